//! What can go wrong in a sync, in English for the log (`Display`) and in Vietnamese for the
//! officer ([`SyncError::message_vi`]); [`SyncError::is_transient`] says whether trying again
//! later can help (no connection, a busy or failing server), so such errors are retried and
//! never park anything, and [`SyncError::is_offline`] whether no connection could be made.

use khuyenhoc_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("not a server address: {address:?}")]
    BadAddress { address: String },
    #[error("refusing http:// to another machine: {address:?}")]
    InsecureAddress { address: String },
    #[error("the server could not be reached: {detail}")]
    Unreachable {
        detail: String,
        /// A connection was made and then failed (reset, timed out mid-answer). When false,
        /// none could be made at all: no network, no name resolution, nothing listening.
        connected: bool,
    },
    #[error("the server answered {status} {code}: {message}")]
    Server {
        status: u16,
        code: String,
        message: String,
    },
    #[error("the server's answer could not be read: {detail}")]
    BadAnswer { detail: String },
    /// The certificate authorities to trust (`KHUYENHOC_CA_CERT`) could not be read.
    #[error("the certificate authorities could not be read: {detail}")]
    BadCaCertificate { detail: String },
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

    /// Whether no connection to the server could be made at all (this laptop is offline, or
    /// the server is down). Trying again costs the server nothing, so the app tries often and
    /// syncs soon after a connection returns; a busy or failing server is left alone longer.
    pub fn is_offline(&self) -> bool {
        matches!(
            self,
            SyncError::Unreachable {
                connected: false,
                ..
            }
        )
    }

    /// A short code for programs (`khuyenhoc sync --json`, the app's status line).
    pub fn code(&self) -> &str {
        match self {
            SyncError::BadAddress { .. } => "bad_address",
            SyncError::InsecureAddress { .. } => "insecure_address",
            SyncError::Unreachable { .. } => "unreachable",
            SyncError::Server { code, .. } => code,
            SyncError::BadAnswer { .. } => "bad_answer",
            SyncError::BadCaCertificate { .. } => "bad_ca_certificate",
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
            SyncError::Server {
                status,
                code,
                message,
            } if *status < 500 => server_refusal_vi(code, message),
            SyncError::Server { .. } => {
                "Máy chủ đang bận hoặc gặp lỗi; sẽ thử lại sau. Các thay đổi vẫn được lưu trên máy.".to_owned()
            }
            SyncError::BadAnswer { .. } => {
                "Máy chủ trả lời không đúng dạng; có thể cần cập nhật phần mềm.".to_owned()
            }
            SyncError::BadCaCertificate { .. } => format!(
                "Không đọc được tệp chứng chỉ của cơ quan cấp chứng chỉ (biến môi trường \
                 {}): hãy kiểm tra đường dẫn và nội dung tệp (dạng PEM).",
                crate::http::CA_CERT_ENV
            ),
            SyncError::Store(e) => e.message(khuyenhoc_domain::Lang::Vi),
        }
    }
}

/// The officer's words for a server's refusal, by its stable code; the server's own (Vietnamese)
/// message where it names what only the server knows (the unit a code was made for).
fn server_refusal_vi(code: &str, message: &str) -> String {
    match code {
        "unit_code_mismatch" if !message.is_empty() => message.to_owned(),
        "enrollment_code_invalid" => {
            "Mã tham gia không đúng: hãy kiểm tra lại mã do hội cấp trên cung cấp.".into()
        }
        "enrollment_code_expired" => "Mã tham gia đã hết hạn: hãy xin một mã mới.".into(),
        "enrollment_code_used" => {
            "Mã tham gia này đã được dùng: mỗi mã chỉ dùng cho một máy, hãy xin một mã mới.".into()
        }
        "device_exists" => "Máy này đã được đăng ký với máy chủ.".into(),
        "unauthorized" => "Máy chủ không còn nhận máy này (quyền đồng bộ đã bị thu hồi): \
             hãy đăng ký lại bằng một mã tham gia mới. Các thay đổi vẫn được lưu trên máy."
            .into(),
        // Like a revoked token, not a passing trouble: retrying cannot help, and nothing
        // queued is parked or dropped; enrolling again under the same id sends it all.
        "token_expired" => "Máy này đã quá lâu không đồng bộ nên quyền đồng bộ đã hết hạn: \
             hãy xin hội cấp trên một mã tham gia mới rồi đăng ký lại máy. Các thay đổi vẫn được \
             lưu trên máy và sẽ được gửi sau khi đăng ký lại."
            .into(),
        "wrong_device" | "sequence_reused" => "Máy chủ thấy máy này trùng với một máy khác \
             (có thể do khôi phục bản sao lưu): hãy đăng ký lại bằng một mã tham gia mới."
            .into(),
        "update_required" => "Phiên bản phần mềm này đã cũ: hãy cập nhật để đồng bộ tiếp. \
             Các thay đổi vẫn được lưu trên máy."
            .into(),
        "cursor_purged" => "Máy này đã lâu không đồng bộ, trong khi đó máy chủ đã dọn hẳn các \
             bản ghi đã xóa: máy cần tải lại toàn bộ dữ liệu. Hãy đồng bộ lại; các thay đổi vẫn \
             được lưu trên máy."
            .into(),
        other => format!("Máy chủ từ chối yêu cầu ({other}). Các thay đổi vẫn được lưu trên máy."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refusal(status: u16, code: &str) -> SyncError {
        SyncError::Server {
            status,
            code: code.into(),
            message: "server's own words".into(),
        }
    }

    #[test]
    fn an_expired_token_is_not_transient_and_asks_for_a_new_code() {
        let e = refusal(401, "token_expired");
        assert!(!e.is_transient());
        assert_eq!(e.code(), "token_expired");
        let words = e.message_vi();
        assert!(words.contains("hết hạn"), "{words}");
        assert!(words.contains("mã tham gia mới"), "{words}");
        assert!(words.contains("vẫn được lưu"), "{words}");
        // English for the log.
        assert!(e.to_string().contains("401 token_expired"), "{e}");
        // Not the words of a revoked laptop.
        assert_ne!(words, refusal(401, "unauthorized").message_vi());
    }
}
