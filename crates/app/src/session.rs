//! First run, login, logout, language and the backup reminder: what decides which screen the
//! officer sees.

use khuyenhoc_domain::{FieldError, Lang, OfficerInput, Role, ValidationErrors};
use khuyenhoc_store::{CommuneSetup, StoreError};

use crate::error::ApiResult;
use crate::state::{App, given, lang_of};
use crate::views::{JoinForm, OfficerView, SessionState, SetupForm, UnitView};

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
                join_pending: s
                    .local_setting("join_request")?
                    .and_then(|j| serde_json::from_str(&j).ok()),
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

    /// A second laptop: remembers which commune to join; the first sync enrolls the laptop
    /// and pulls the commune's officers and register (no second commune is created).
    pub fn request_join(&self, form: JoinForm) -> ApiResult<SessionState> {
        self.with(|s| {
            if s.is_set_up()? {
                return Err(StoreError::rule(
                    "already_set_up",
                    "Máy này đã được thiết lập cho một hội; hãy đăng nhập.",
                    "This database is already set up; log in instead.",
                ));
            }
            let mut errors = Vec::new();
            let url = form.server_url.trim();
            if !(url.starts_with("https://") || url.starts_with("http://")) || url.len() < 10 {
                errors.push(FieldError::new(
                    "server_url",
                    "invalid_url",
                    "Địa chỉ máy chủ phải bắt đầu bằng https:// (ví dụ https://khuyenhoc.tinh.gov.vn).",
                    "The server address must start with https://.",
                ));
            }
            if form.commune_code.trim().is_empty() {
                errors.push(FieldError::new(
                    "commune_code",
                    "required",
                    "Hãy nhập mã xã/phường của hội.",
                    "The commune code is required.",
                ));
            }
            if form.enrolment_code.trim().len() < 6 {
                errors.push(FieldError::new(
                    "enrolment_code",
                    "invalid_enrolment_code",
                    "Mã tham gia gồm ít nhất 6 ký tự, do chủ tịch hội cung cấp.",
                    "The enrolment code has at least 6 characters.",
                ));
            }
            if !errors.is_empty() {
                return Err(ValidationErrors(errors).into());
            }
            let form = JoinForm {
                server_url: url.trim_end_matches('/').to_owned(),
                commune_code: form.commune_code.trim().to_owned(),
                enrolment_code: form.enrolment_code.trim().to_owned(),
            };
            s.set_local_setting(
                "join_request",
                &serde_json::to_string(&form).expect("serialisable"),
            )
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
