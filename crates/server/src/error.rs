//! The one error shape of the HTTP API: a status and a JSON body `{code, message}`. `code` is a
//! stable English identifier clients switch on; `message` is Vietnamese, for people. Logs carry
//! the English detail, never tokens, codes or personal data.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use crate::storage::StorageError;

/// The body of every error answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// Stable identifier, e.g. `enrollment_code_expired`.
    pub code: String,
    /// A sentence in Vietnamese for the person using the app.
    pub message: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("malformed JSON body")]
    MalformedJson,
    #[error("JSON body does not match the expected shape")]
    InvalidBody,
    #[error("request body too large")]
    PayloadTooLarge,
    #[error("content type must be application/json")]
    UnsupportedMediaType,
    #[error("invalid field {0}")]
    InvalidField(&'static str),
    #[error("invalid public key")]
    InvalidPublicKey,
    #[error("missing, unknown or revoked bearer token")]
    Unauthorized,
    #[error("bearer token unused for longer than the server's idle limit")]
    TokenExpired,
    #[error("enrollment code unknown")]
    EnrollmentCodeInvalid,
    #[error("enrollment code expired")]
    EnrollmentCodeExpired,
    #[error("enrollment code already used")]
    EnrollmentCodeUsed,
    #[error("device already enrolled")]
    DeviceExists,
    #[error("the laptop's unit code {laptop_code} is not the code's unit {unit_code}")]
    UnitMismatch {
        laptop_code: String,
        unit_code: String,
        unit_name: String,
    },
    #[error("ops sent in another device's name")]
    WrongDevice,
    #[error("a batch whose device is unknown or revoked")]
    BatchDeviceUnknown,
    #[error("a batch whose signature does not match")]
    BatchSignature,
    #[error("device sequence {0} already holds another op")]
    SequenceReused(i64),
    #[error("pull cursor {cursor} lies below the purge point {purged_through}")]
    CursorPurged { cursor: i64, purged_through: i64 },
    #[error("op format not accepted")]
    UpdateRequired,
    #[error("no such route")]
    NotFound,
    #[error("database unavailable: {0}")]
    DatabaseUnavailable(String),
    #[error("internal error: {0}")]
    Internal(String),
}

impl ApiError {
    pub fn status(&self) -> StatusCode {
        match self {
            Self::MalformedJson | Self::InvalidField(_) | Self::InvalidPublicKey => {
                StatusCode::BAD_REQUEST
            }
            Self::InvalidBody => StatusCode::UNPROCESSABLE_ENTITY,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::Unauthorized | Self::TokenExpired => StatusCode::UNAUTHORIZED,
            // The code is a credential: refused, whatever is wrong with it.
            Self::EnrollmentCodeInvalid
            | Self::EnrollmentCodeExpired
            | Self::EnrollmentCodeUsed => StatusCode::FORBIDDEN,
            Self::DeviceExists | Self::SequenceReused(_) | Self::UnitMismatch { .. } => {
                StatusCode::CONFLICT
            }
            Self::WrongDevice | Self::BatchDeviceUnknown | Self::BatchSignature => {
                StatusCode::FORBIDDEN
            }
            Self::UpdateRequired => StatusCode::UPGRADE_REQUIRED,
            Self::CursorPurged { .. } => StatusCode::GONE,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::DatabaseUnavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            Self::MalformedJson => "malformed_json",
            Self::InvalidBody => "invalid_body",
            Self::PayloadTooLarge => "payload_too_large",
            Self::UnsupportedMediaType => "unsupported_media_type",
            Self::InvalidField(_) => "invalid_field",
            Self::InvalidPublicKey => "invalid_public_key",
            Self::Unauthorized => "unauthorized",
            Self::TokenExpired => "token_expired",
            Self::EnrollmentCodeInvalid => "enrollment_code_invalid",
            Self::EnrollmentCodeExpired => "enrollment_code_expired",
            Self::EnrollmentCodeUsed => "enrollment_code_used",
            Self::DeviceExists => "device_exists",
            Self::UnitMismatch { .. } => "unit_code_mismatch",
            Self::WrongDevice => "wrong_device",
            Self::BatchDeviceUnknown => "batch_device_unknown",
            Self::BatchSignature => "batch_signature_invalid",
            Self::SequenceReused(_) => "sequence_reused",
            Self::UpdateRequired => "update_required",
            Self::CursorPurged { .. } => khuyenhoc_sync_protocol::CURSOR_PURGED,
            Self::NotFound => "not_found",
            Self::DatabaseUnavailable(_) => "database_unavailable",
            Self::Internal(_) => "internal",
        }
    }

    /// The Vietnamese sentence shown to people.
    pub fn message(&self) -> String {
        match self {
            Self::MalformedJson => "Dữ liệu gửi lên không đúng định dạng JSON.".into(),
            Self::InvalidBody => "Dữ liệu gửi lên thiếu trường hoặc có trường sai kiểu.".into(),
            Self::PayloadTooLarge => "Dữ liệu gửi lên quá lớn.".into(),
            Self::UnsupportedMediaType => "Dữ liệu phải được gửi dạng JSON.".into(),
            Self::InvalidField(f) => format!("Trường \"{f}\" không hợp lệ."),
            Self::InvalidPublicKey => "Khóa công khai của máy không hợp lệ.".into(),
            Self::Unauthorized => "Máy chưa được đăng ký hoặc đã bị thu hồi quyền đồng bộ.".into(),
            Self::TokenExpired => {
                "Máy này đã quá lâu không kết nối máy chủ nên quyền đồng bộ đã hết hạn. Hãy xin \
                 quản trị viên một mã đăng ký mới để đăng ký lại máy; các thay đổi vẫn được giữ \
                 trên máy."
                    .into()
            }
            Self::EnrollmentCodeInvalid => "Mã đăng ký không đúng.".into(),
            Self::EnrollmentCodeExpired => {
                "Mã đăng ký đã hết hạn. Hãy xin quản trị viên một mã mới.".into()
            }
            Self::EnrollmentCodeUsed => {
                "Mã đăng ký đã được dùng. Hãy xin quản trị viên một mã mới.".into()
            }
            Self::DeviceExists => "Máy này đã được đăng ký trước đó.".into(),
            Self::UnitMismatch {
                laptop_code,
                unit_code,
                unit_name,
            } => format!(
                "Mã đăng ký này dành cho {unit_name} (mã đơn vị {unit_code}), còn máy này được lập \
                 cho đơn vị mã {laptop_code}. Hãy xin mã đăng ký của đúng đơn vị, hoặc sửa mã \
                 đơn vị trên máy nếu nhập nhầm. Mã đăng ký vẫn còn dùng được."
            ),
            Self::WrongDevice => "Thay đổi gửi lên mang tên một máy khác.".into(),
            Self::BatchDeviceUnknown => {
                "Tệp thay đổi của một máy chưa đăng ký hoặc đã bị thu hồi quyền đồng bộ.".into()
            }
            Self::BatchSignature => {
                "Tệp thay đổi đã bị sửa hoặc không do máy đó ký: không nhận.".into()
            }
            Self::SequenceReused(_) => {
                "Số thứ tự thay đổi của máy đã được dùng (máy được khôi phục từ bản sao?). Máy sẽ nhận định danh mới rồi gửi lại.".into()
            }
            Self::UpdateRequired => {
                "Phần mềm trên máy này đã cũ: hãy cập nhật. Các thay đổi vẫn được giữ trên máy.".into()
            }
            Self::CursorPurged { .. } => {
                "Máy này đã lâu không đồng bộ, trong khi đó máy chủ đã dọn hẳn các bản ghi đã \
                 xóa. Máy sẽ gửi các thay đổi còn chờ rồi tải lại toàn bộ dữ liệu từ máy chủ."
                    .into()
            }
            Self::NotFound => "Không có địa chỉ này trên máy chủ.".into(),
            Self::DatabaseUnavailable(_) => {
                "Máy chủ tạm thời không kết nối được cơ sở dữ liệu. Vui lòng thử lại sau.".into()
            }
            Self::Internal(_) => "Máy chủ gặp lỗi. Vui lòng thử lại sau.".into(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        if status.is_server_error() {
            tracing::error!(code = self.code(), error = %self, "request failed");
        } else {
            tracing::info!(code = self.code(), error = %self, "request refused");
        }
        let body = ErrorBody {
            code: self.code().into(),
            message: self.message(),
        };
        (status, Json(body)).into_response()
    }
}

impl From<JsonRejection> for ApiError {
    fn from(r: JsonRejection) -> Self {
        match r.status() {
            StatusCode::PAYLOAD_TOO_LARGE => Self::PayloadTooLarge,
            StatusCode::UNSUPPORTED_MEDIA_TYPE => Self::UnsupportedMediaType,
            StatusCode::UNPROCESSABLE_ENTITY => Self::InvalidBody,
            StatusCode::BAD_REQUEST => Self::MalformedJson,
            // A body that could not be read (cut connection, bad compression…).
            _ => Self::MalformedJson,
        }
    }
}

impl From<StorageError> for ApiError {
    fn from(e: StorageError) -> Self {
        match e {
            StorageError::CodeInvalid => Self::EnrollmentCodeInvalid,
            StorageError::CodeExpired => Self::EnrollmentCodeExpired,
            StorageError::CodeUsed => Self::EnrollmentCodeUsed,
            StorageError::DeviceExists(_) => Self::DeviceExists,
            StorageError::UnitMismatch {
                laptop_code,
                unit_code,
                unit_name,
            } => Self::UnitMismatch {
                laptop_code,
                unit_code,
                unit_name,
            },
            StorageError::SequenceReused(seq) => Self::SequenceReused(seq),
            StorageError::CursorPurged {
                cursor,
                purged_through,
            } => Self::CursorPurged {
                cursor,
                purged_through,
            },
            // The URL in the text has no password (see `StorageError::Unreachable`).
            e @ StorageError::Unreachable { .. } => Self::DatabaseUnavailable(e.to_string()),
            other => {
                // The whole chain of causes, for the log.
                let mut text = other.to_string();
                let mut source = std::error::Error::source(&other);
                while let Some(s) = source {
                    text.push_str(": ");
                    text.push_str(&s.to_string());
                    source = s.source();
                }
                Self::Internal(text)
            }
        }
    }
}

impl From<crate::relay::BatchRefusal> for ApiError {
    fn from(e: crate::relay::BatchRefusal) -> Self {
        use crate::relay::BatchRefusal;
        use khuyenhoc_sync_protocol::BatchError;
        match e {
            BatchRefusal::UnknownDevice => Self::BatchDeviceUnknown,
            BatchRefusal::Batch(BatchError::Signature) => Self::BatchSignature,
            BatchRefusal::Batch(BatchError::WrongDevice) => Self::WrongDevice,
            BatchRefusal::Batch(BatchError::Format(_)) | BatchRefusal::Format => {
                Self::UpdateRequired
            }
            BatchRefusal::Batch(BatchError::Malformed) => Self::MalformedJson,
            BatchRefusal::Invalid(field) => Self::InvalidField(field),
            BatchRefusal::Storage(e) => e.into(),
        }
    }
}
