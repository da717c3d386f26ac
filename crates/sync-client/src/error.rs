//! What can go wrong in a sync, in English for the log (`Display`) and in Vietnamese for the
//! officer ([`SyncError::message_vi`]); [`SyncError::is_transient`] says whether trying again
//! later can help (no connection, a busy or failing server), so such errors are retried and
//! never park anything.

use khuyenhoc_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("not a server address: {address:?}")]
    BadAddress { address: String },
    #[error("refusing http:// to another machine: {address:?}")]
    InsecureAddress { address: String },
    #[error("the server could not be reached: {detail}")]
    Unreachable { detail: String },
    #[error("the server answered {status} {code}: {message}")]
    Server {
        status: u16,
        code: String,
        message: String,
    },
    #[error("the server's answer could not be read: {detail}")]
    BadAnswer { detail: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl SyncError {
    /// Whether trying again later may succeed.
    pub fn is_transient(&self) -> bool {
        match self {
            SyncError::Unreachable { .. } => true,
            SyncError::Server { status, .. } => *status >= 500 || *status == 429 || *status == 408,
            _ => false,
        }
    }

    /// A short code for programs (`khuyenhoc sync --json`, the app's status line).
    pub fn code(&self) -> &str {
        match self {
            SyncError::BadAddress { .. } => "bad_address",
            SyncError::InsecureAddress { .. } => "insecure_address",
            SyncError::Unreachable { .. } => "unreachable",
            SyncError::Server { code, .. } => code,
            SyncError::BadAnswer { .. } => "bad_answer",
            SyncError::Store(e) => e.code(),
        }
    }

    /// What the officer reads.
    pub fn message_vi(&self) -> String {
        match self {
            SyncError::BadAddress { address } => {
                format!("“{address}” không phải là địa chỉ máy chủ (ví dụ: https://khuyenhoc.tinh.vn).")
            }
            SyncError::InsecureAddress { address } => format!(
                "Địa chỉ “{address}” không mã hóa đường truyền: hãy dùng https://. \
                 Chỉ dùng http:// cho máy chủ chạy trên chính máy này."
            ),
            SyncError::Unreachable { .. } => {
                "Không kết nối được máy chủ. Các thay đổi vẫn được lưu trên máy và sẽ gửi khi có mạng.".to_owned()
            }
            SyncError::Server { status, message, .. } if *status < 500 => message.clone(),
            SyncError::Server { .. } => {
                "Máy chủ đang bận hoặc gặp lỗi; sẽ thử lại sau. Các thay đổi vẫn được lưu trên máy.".to_owned()
            }
            SyncError::BadAnswer { .. } => {
                "Máy chủ trả lời không đúng dạng; có thể cần cập nhật phần mềm.".to_owned()
            }
            SyncError::Store(e) => e.message(khuyenhoc_domain::Lang::Vi),
        }
    }
}
