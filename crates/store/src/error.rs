//! The store's one error type. `Display` is English for logs and never holds personal data;
//! [`StoreError::message`] gives the officer a plain Vietnamese (or English) sentence, and
//! [`StoreError::code`] a stable code for the UI and `--json` output.

use khuyenhoc_domain::{Lang, Permission, Role, ValidationErrors};
use khuyenhoc_sheet::SheetError;
use rusqlite::ErrorCode;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(transparent)]
    Invalid(#[from] ValidationErrors),
    /// A business rule refused the change (e.g. moving a unit under itself).
    #[error("{en}")]
    Rule {
        code: &'static str,
        vi: String,
        en: String,
    },
    #[error("log in first: this database has officers")]
    LoginRequired,
    #[error("the role {role:?} may not {}", permission.action_en())]
    Forbidden { role: Role, permission: Permission },
    #[error("wrong login name or PIN ({left} tries left)")]
    WrongPin { left: u32 },
    #[error("too many wrong PINs; wait {minutes} minutes")]
    LockedOut { minutes: u32 },
    #[error("{entity} not found")]
    NotFound {
        entity: &'static str,
        reference: String,
    },
    #[error("the database is busy (another program is writing)")]
    Busy,
    #[error("the disk is full; the write was rolled back")]
    DiskFull,
    #[error("database schema {found} is newer than this program supports ({supported})")]
    NewerSchema { found: i64, supported: i64 },
    #[error("the file is not a khuyenhoc database")]
    NotOurs,
    #[error("the file is not a database or is encrypted with another key")]
    NotADatabase,
    #[error("the database file is damaged: {0}")]
    Corrupt(String),
    #[error("the database is open in another program; cannot {action}")]
    InUse { action: &'static str },
    #[error("this build cannot open encrypted databases")]
    EncryptionUnavailable,
    #[error("the database file does not exist")]
    Missing,
    #[error("the backup file does not exist")]
    BackupMissing,
    #[error("reading the file failed: {0}")]
    Sheet(#[from] SheetError),
    #[error("database error: {0}")]
    Sqlite(rusqlite::Error),
    #[error("file error: {0}")]
    Io(#[from] std::io::Error),
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        match e.sqlite_error_code() {
            Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => StoreError::Busy,
            Some(ErrorCode::DiskFull) => StoreError::DiskFull,
            Some(ErrorCode::NotADatabase) => StoreError::NotADatabase,
            Some(ErrorCode::DatabaseCorrupt) => StoreError::Corrupt(e.to_string()),
            _ => StoreError::Sqlite(e),
        }
    }
}

impl From<rusqlite_migration::Error> for StoreError {
    fn from(e: rusqlite_migration::Error) -> Self {
        match e {
            rusqlite_migration::Error::RusqliteError { err, .. } => err.into(),
            other => StoreError::Corrupt(other.to_string()),
        }
    }
}

impl StoreError {
    pub fn rule(code: &'static str, vi: impl Into<String>, en: impl Into<String>) -> Self {
        StoreError::Rule {
            code,
            vi: vi.into(),
            en: en.into(),
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            StoreError::Invalid(_) => "invalid_input",
            StoreError::Rule { code, .. } => code,
            StoreError::NotFound { .. } => "not_found",
            StoreError::LoginRequired => "login_required",
            StoreError::Forbidden { .. } => "forbidden",
            StoreError::WrongPin { .. } => "wrong_pin",
            StoreError::LockedOut { .. } => "locked_out",
            StoreError::Busy => "busy",
            StoreError::DiskFull => "disk_full",
            StoreError::NewerSchema { .. } => "newer_schema",
            StoreError::NotOurs => "not_khuyenhoc_database",
            StoreError::NotADatabase => "not_a_database",
            StoreError::Corrupt(_) => "database_damaged",
            StoreError::InUse { .. } => "database_in_use",
            StoreError::EncryptionUnavailable => "encryption_unavailable",
            StoreError::Missing => "database_missing",
            StoreError::BackupMissing => "backup_missing",
            StoreError::Sheet(e) => e.code(),
            StoreError::Sqlite(_) => "database_error",
            StoreError::Io(_) => "file_error",
        }
    }

    pub fn message(&self, lang: Lang) -> String {
        if lang == Lang::En {
            return match self {
                StoreError::Invalid(v) => v.message(Lang::En),
                StoreError::NotFound { entity, reference } => {
                    format!("{entity} \"{reference}\" not found.")
                }
                other => format!("{other}."),
            };
        }
        match self {
            StoreError::Invalid(v) => v.message(Lang::Vi),
            StoreError::Rule { vi, .. } => vi.clone(),
            StoreError::NotFound { entity, reference } => {
                let what = match *entity {
                    "org_unit" => "đơn vị",
                    "member" => "hội viên",
                    "unit_kind" => "loại đơn vị",
                    "officer" => "cán bộ",
                    "sync_conflict" => "xung đột",
                    "parked_op" => "thay đổi bị từ chối",
                    _ => "bản ghi",
                };
                format!("Không tìm thấy {what} \"{reference}\".")
            }
            StoreError::LoginRequired => "Hãy đăng nhập (tên đăng nhập và mã PIN) trước khi làm việc này.".into(),
            StoreError::Forbidden { role, permission } => format!(
                "Chức danh {} không được {}. Hãy nhờ chủ tịch hội cấp quyền.",
                role.name_vi(),
                permission.action_vi()
            ),
            StoreError::WrongPin { left } => format!(
                "Tên đăng nhập hoặc mã PIN không đúng. Còn {left} lần thử trước khi phải chờ 5 phút."
            ),
            StoreError::LockedOut { minutes } => format!(
                "Đã nhập sai mã PIN quá nhiều lần. Hãy chờ {minutes} phút rồi thử lại."
            ),
            StoreError::Busy => "Cơ sở dữ liệu đang bận vì một chương trình khác đang ghi. Chưa có gì thay đổi; hãy thử lại sau giây lát.".into(),
            StoreError::DiskFull => "Ổ đĩa đã đầy nên không ghi được. Mọi thay đổi của thao tác này đã được hủy, dữ liệu cũ vẫn nguyên vẹn. Hãy giải phóng dung lượng rồi thử lại.".into(),
            StoreError::NewerSchema { found, supported } => format!(
                "Tệp dữ liệu này do phiên bản Khuyến học mới hơn tạo ra (lược đồ {found}, phiên bản này chỉ đọc được đến {supported}). Hãy cập nhật ứng dụng; tệp không bị thay đổi."
            ),
            StoreError::NotOurs => "Tệp này không phải cơ sở dữ liệu của ứng dụng Khuyến học.".into(),
            StoreError::NotADatabase => "Tệp này không phải cơ sở dữ liệu, hoặc đã được mã hóa bằng khóa khác.".into(),
            StoreError::Corrupt(_) => "Tệp dữ liệu bị hỏng. Đừng ghi thêm vào tệp này; hãy khôi phục từ bản sao lưu gần nhất (lệnh restore) và báo cho cán bộ tin học.".into(),
            StoreError::InUse { action } => {
                let what = match *action {
                    "restore" => "khôi phục",
                    "migrate" => "nâng cấp",
                    _ => "thực hiện thao tác này",
                };
                format!("Cơ sở dữ liệu đang được mở ở chương trình khác (ứng dụng hoặc dòng lệnh) nên chưa thể {what}. Hãy đóng chương trình kia rồi thử lại.")
            }
            StoreError::EncryptionUnavailable => "Bản cài đặt này chưa hỗ trợ mở cơ sở dữ liệu đã mã hóa.".into(),
            StoreError::Missing => "Chưa có cơ sở dữ liệu. Hãy chạy lệnh khởi tạo (init) trước.".into(),
            StoreError::BackupMissing => "Không tìm thấy tệp sao lưu; hãy kiểm tra lại đường dẫn.".into(),
            StoreError::Sheet(e) => e.message_vi(),
            StoreError::Sqlite(_) => "Lỗi cơ sở dữ liệu; thao tác đã được hủy, dữ liệu cũ vẫn nguyên vẹn.".into(),
            StoreError::Io(_) => "Không đọc/ghi được tệp; hãy kiểm tra đường dẫn và quyền truy cập.".into(),
        }
    }
}
