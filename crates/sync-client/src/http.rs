//! The HTTP calls to the server: JSON bodies compressed with zstd, the device token as a bearer
//! token, answers decompressed by reqwest, and every error answer read as the server's one shape
//! `{code, message}`.

use std::time::Duration;

use reqwest::header;
use serde::Serialize;
use serde::de::DeserializeOwned;

use khuyenhoc_sync_protocol::{ErrorBody, PullPage, PullRequest, PushRequest, PushResponse};

use crate::address::ServerAddress;
use crate::error::SyncError;

/// The header in which every answer carries the server database's epoch.
pub const EPOCH_HEADER: &str = "x-khuyenhoc-epoch";

/// A server and, once enrolled, this device's token.
#[derive(Clone)]
pub struct Connection {
    http: reqwest::Client,
    address: ServerAddress,
    token: Option<String>,
}

fn unreachable(e: reqwest::Error) -> SyncError {
    SyncError::Unreachable {
        connected: !e.is_connect(),
        // Without the URL: no addresses or tokens in messages.
        detail: e.without_url().to_string(),
    }
}

/// A PEM file of certificate authorities to trust besides the system's (a province whose
/// server has a certificate from its own authority).
pub const CA_CERT_ENV: &str = "KHUYENHOC_CA_CERT";

impl Connection {
    /// A connection trusting the system's certificate authorities, and those of the PEM file
    /// named by `KHUYENHOC_CA_CERT` when it is set.
    pub fn new(address: ServerAddress, token: Option<String>) -> Result<Connection, SyncError> {
        let extra = match std::env::var_os(CA_CERT_ENV) {
            Some(path) => vec![
                std::fs::read(&path).map_err(|e| SyncError::BadCaCertificate {
                    detail: format!(
                        "{CA_CERT_ENV}={}: {e}",
                        std::path::Path::new(&path).display()
                    ),
                })?,
            ],
            None => Vec::new(),
        };
        Self::with_roots(address, token, &extra)
    }

    /// A connection trusting, besides the system's, the authorities in `pems` (PEM bytes).
    pub fn with_roots(
        address: ServerAddress,
        token: Option<String>,
        pems: &[Vec<u8>],
    ) -> Result<Connection, SyncError> {
        let mut roots = Vec::new();
        for pem in pems {
            let certs = reqwest::Certificate::from_pem_bundle(pem).map_err(|e| {
                SyncError::BadCaCertificate {
                    detail: format!("not a PEM certificate: {e}"),
                }
            })?;
            if certs.is_empty() {
                return Err(SyncError::BadCaCertificate {
                    detail: "no PEM certificate in the file".into(),
                });
            }
            roots.extend(certs);
        }
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(15))
            .timeout(Duration::from_secs(120))
            .user_agent(concat!("khuyenhoc/", env!("CARGO_PKG_VERSION")))
            .tls_certs_merge(roots)
            .build()
            .map_err(unreachable)?;
        Ok(Connection {
            http,
            address,
            token,
        })
    }

    pub fn address(&self) -> &ServerAddress {
        &self.address
    }

    /// POSTs `body` as zstd-compressed JSON to `path`; reads the JSON answer.
    pub async fn post<B: Serialize, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<T, SyncError> {
        let json = serde_json::to_vec(body).map_err(|e| SyncError::BadAnswer {
            detail: e.to_string(),
        })?;
        let compressed =
            zstd::encode_all(json.as_slice(), 3).map_err(|e| SyncError::BadAnswer {
                detail: e.to_string(),
            })?;
        let mut request = self
            .http
            .post(self.address.join(path))
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::CONTENT_ENCODING, "zstd")
            .body(compressed);
        if let Some(token) = &self.token {
            request = request.bearer_auth(token);
        }
        read(request.send().await.map_err(unreachable)?).await
    }

    /// GETs the JSON at `path`.
    pub async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, SyncError> {
        let mut request = self.http.get(self.address.join(path));
        if let Some(token) = &self.token {
            request = request.bearer_auth(token);
        }
        read(request.send().await.map_err(unreachable)?).await
    }

    pub async fn push(&self, body: &PushRequest) -> Result<PushResponse, SyncError> {
        self.post("v1/push", body).await
    }

    pub async fn pull(&self, body: &PullRequest) -> Result<PullPage, SyncError> {
        self.post("v1/pull", body).await
    }
}

async fn read<T: DeserializeOwned>(response: reqwest::Response) -> Result<T, SyncError> {
    let status = response.status();
    let bytes = response.bytes().await.map_err(unreachable)?;
    if status.is_success() {
        return serde_json::from_slice(&bytes).map_err(|e| SyncError::BadAnswer {
            detail: e.to_string(),
        });
    }
    let body: Option<ErrorBody> = serde_json::from_slice(&bytes).ok();
    let (code, message) = match body {
        Some(b) => (b.code, b.message),
        None => (
            status
                .canonical_reason()
                .unwrap_or("error")
                .to_lowercase()
                .replace(' ', "_"),
            format!("Máy chủ trả lời lỗi {}.", status.as_u16()),
        ),
    };
    Err(SyncError::Server {
        status: status.as_u16(),
        code,
        message,
    })
}
