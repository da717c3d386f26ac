//! No connection at all: this laptop's pending changes written to a signed file (for a USB
//! stick or a chat app), and another laptop's file carried to the server at this laptop's next
//! sync. The signature (the device's Ed25519 key, made at enrollment) lets the server refuse
//! anything a relay forged or altered; accepted ops follow the same exactly-once rules as a
//! push, so the origin laptop's own later sync is answered `duplicate`.

use std::path::Path;
use std::sync::Mutex;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ed25519_dalek::SigningKey;
use serde::Serialize;

use khuyenhoc_store::{Store, StoreError};
use khuyenhoc_sync_protocol::{BatchBody, OP_FORMAT, PushResponse, SignedBatch};

use crate::engine::lock;
use crate::error::SyncError;
use crate::http::Connection;

/// The answer to an export or an import.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BatchFile {
    pub device_id: String,
    pub ops: usize,
    /// False when the same batch was already waiting here.
    pub new: bool,
}

fn not_a_batch(detail: impl Into<String>) -> SyncError {
    SyncError::Store(StoreError::rule(
        "not_a_batch",
        "Tệp này không phải là tệp thay đổi của Khuyến học (hoặc đã bị hỏng).",
        detail,
    ))
}

/// Writes every pending op of this laptop to `path`, signed. The ops stay pending: they are
/// acknowledged when this laptop syncs (the server then answers `duplicate`).
pub fn export_batch(store: &Mutex<Store>, path: &Path) -> Result<BatchFile, SyncError> {
    let (device_id, ops, key) = {
        let s = lock(store);
        let Some(enrollment) = s.enrollment()? else {
            return Err(SyncError::Store(StoreError::rule(
                "not_enrolled",
                "Máy này chưa đăng ký với máy chủ nên chưa ký được tệp thay đổi: hãy đăng ký trước.",
                "this laptop is not enrolled: it has no key to sign a batch",
            )));
        };
        let key: [u8; 32] =
            enrollment
                .signing_key
                .as_slice()
                .try_into()
                .map_err(|_| SyncError::BadAnswer {
                    detail: "the stored signing key is not 32 bytes".into(),
                })?;
        (
            s.device_id().to_string(),
            s.next_push(usize::MAX >> 1)?,
            SigningKey::from_bytes(&key),
        )
    };
    let body = BatchBody {
        device_id: device_id.clone(),
        created_ms: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64),
        op_format: OP_FORMAT,
        ops,
    };
    let signed = SignedBatch::sign(&body, &key);
    let text = serde_json::to_vec_pretty(&signed).expect("a batch serialises");
    // Written beside, then renamed: a full stick or a pulled-out stick leaves no half file.
    let partial = path.with_extension("partial");
    std::fs::write(&partial, text)
        .and_then(|()| std::fs::rename(&partial, path))
        .map_err(|e| SyncError::Store(StoreError::Io(e)))?;
    Ok(BatchFile {
        device_id,
        ops: body.ops.len(),
        new: true,
    })
}

/// Reads another laptop's batch file and keeps it for the next sync (this laptop cannot check
/// the signature; the server does).
pub fn import_for_relay(store: &Mutex<Store>, path: &Path) -> Result<BatchFile, SyncError> {
    let text = std::fs::read(path).map_err(|e| SyncError::Store(StoreError::Io(e)))?;
    let batch: SignedBatch =
        serde_json::from_slice(&text).map_err(|e| not_a_batch(format!("not a batch: {e}")))?;
    let body: BatchBody = STANDARD
        .decode(&batch.body)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or_else(|| not_a_batch("the batch body is not readable"))?;
    let new = lock(store).queue_relay_batch(&batch, body.ops.len())?;
    Ok(BatchFile {
        device_id: batch.device_id,
        ops: body.ops.len(),
        new,
    })
}

/// Hands the carried batches to the server; returns how many it took. A batch the server
/// refuses (altered, unknown device) is kept with the reason and not sent again; a transient
/// failure leaves the rest for the next sync.
pub async fn deliver_relayed(store: &Mutex<Store>, conn: &Connection) -> Result<usize, SyncError> {
    let waiting = lock(store).relay_batches_waiting()?;
    let mut delivered = 0;
    for relay in waiting {
        match conn.post::<_, PushResponse>("v1/batch", &relay.batch).await {
            Ok(_) => {
                lock(store).finish_relay_batch(relay.id, None)?;
                delivered += 1;
            }
            Err(e) if e.is_transient() => return Err(e),
            // A server without batches (an older version): keep them for a later one.
            Err(SyncError::Server {
                status: 404 | 405, ..
            }) => break,
            Err(e @ SyncError::Server { .. }) => {
                tracing::warn!(code = e.code(), "the server refused a carried batch");
                lock(store).finish_relay_batch(relay.id, Some(&e.message_vi()))?;
            }
            Err(e) => return Err(e),
        }
    }
    Ok(delivered)
}
