//! First run, login, logout, language and the backup reminder: what decides which screen the
//! officer sees.

use khuyenhoc_domain::{Lang, OfficerInput, Role};
use khuyenhoc_store::CommuneSetup;

use crate::error::ApiResult;
use crate::state::{App, given, lang_of};
use crate::views::{OfficerView, SessionState, SetupForm, UnitView};

/// A backup older than this many days is due.
pub const BACKUP_REMINDER_DAYS: i64 = 7;

impl App {
    pub fn session(&self) -> ApiResult<SessionState> {
        self.with(|s| {
            let lang = lang_of(s);
            let commune = match s.home_unit()? {
                Some(id) => Some(UnitView::new(&s.get_unit(&id)?)),
                None => None,
            };
            let last = s
                .local_setting("last_backup_ms")?
                .and_then(|v| v.parse::<i64>().ok());
            let now = jiff::Timestamp::now().as_millisecond();
            let days = last.map(|ms| (now - ms).max(0) / 86_400_000);
            Ok(SessionState {
                set_up: s.is_set_up()?,
                commune,
                officer: s.officer().map(|o| OfficerView::new(o, lang)),
                lang: match lang {
                    Lang::Vi => "vi".into(),
                    Lang::En => "en".into(),
                },
                days_since_backup: days,
                backup_due: days.is_none_or(|d| d > BACKUP_REMINDER_DAYS),
            })
        })
    }

    /// The first run: the commune and its first officer (a chairperson), who is then logged in.
    pub fn setup(&self, form: SetupForm) -> ApiResult<SessionState> {
        self.with(|s| {
            s.setup_commune(&CommuneSetup {
                province_name: form.province_name,
                province_code: given(&form.province_code),
                commune_name: form.commune_name,
                commune_code: given(&form.commune_code),
                officer: OfficerInput {
                    username: form.username,
                    full_name: form.full_name,
                    role: Role::Chairperson.code().into(),
                    pin: form.pin,
                },
            })
            .map(|_| ())
        })?;
        self.session()
    }

    pub fn login(&self, username: String, pin: String) -> ApiResult<SessionState> {
        self.with(|s| s.login(&username, &pin).map(|_| ()))?;
        self.session()
    }

    pub fn logout(&self) -> ApiResult<SessionState> {
        self.with(|s| {
            s.logout();
            Ok(())
        })?;
        self.session()
    }

    /// "vi" or "en"; kept on this laptop.
    pub fn set_lang(&self, lang: String) -> ApiResult<SessionState> {
        let code = match Lang::parse(&lang) {
            Lang::Vi => "vi",
            Lang::En => "en",
        };
        self.with(|s| s.set_local_setting("lang", code))?;
        self.session()
    }
}
