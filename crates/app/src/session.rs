//! First run, login, logout, language and the backup reminder: what decides which screen the
//! officer sees.

use khuyenhoc_domain::{FieldError, Lang, OfficerInput, Role, ValidationErrors};
use khuyenhoc_store::{CommuneSetup, StoreError};

use crate::error::ApiResult;
use crate::state::{App, given, lang_of};
use crate::sync::EnrollForm;
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
                joined: match s.is_set_up()? {
                    true => None,
                    false => s.enrollment()?.map(|e| e.unit_name),
                },
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

    /// A second laptop joins a commune already set up elsewhere: it enrolls with the server
    /// (the code names the commune) and its first sync brings the commune's officers and
    /// register, so no second commune is created. When that sync fails (the connection dropped)
    /// the laptop stays enrolled and the background task tries again.
    pub async fn join_commune(&self, form: EnrollForm) -> ApiResult<SessionState> {
        self.with(|s| {
            if s.is_set_up()? {
                return Err(StoreError::rule(
                    "already_set_up",
                    "Máy này đã được thiết lập cho một hội; hãy đăng nhập.",
                    "This database is already set up; log in instead.",
                ));
            }
            if form.code.trim().len() < 6 {
                return Err(ValidationErrors(vec![FieldError::new(
                    "code",
                    "invalid_enrolment_code",
                    "Mã tham gia gồm ít nhất 6 ký tự, do hội cấp trên cung cấp.",
                    "The enrolment code has at least 6 characters.",
                )])
                .into());
            }
            Ok(())
        })?;
        if self.with(|s| s.enrollment())?.is_none() {
            self.enroll_with(&form).await?;
        }
        if let Err(e) = self.sync_round().await {
            tracing::warn!(code = e.code(), "the first sync after joining failed");
            self.wake_sync();
        }
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
