//! Signed batches carried by another device or by the administrator (a laptop with no
//! connection at all wrote them to a file; see `khuyenhoc_sync_protocol::batch`). The batch is
//! opened with the public key its device registered at enrollment, so whoever carried it can
//! neither forge nor alter it; its ops are then applied exactly as that device's own push
//! (same authority, same exactly-once rules), so a batch delivered twice, or the device's later
//! push of the same ops, is answered `duplicate`.

use ed25519_dalek::VerifyingKey;
use jiff::Timestamp;
use uuid::Uuid;

use khuyenhoc_sync_protocol::{BatchError, Op, SignedBatch, format_readable, upcast};

use crate::storage::{PushAnswer, ServerStorage, StorageError};

/// Most ops in one batch (a laptop offline for weeks; the body limit caps the bytes too).
pub const BATCH_MAX_OPS: usize = 100_000;

/// Why a batch is refused; nothing of it is applied.
#[derive(Debug, thiserror::Error)]
pub enum BatchRefusal {
    #[error("the batch's device is unknown or revoked")]
    UnknownDevice,
    #[error(transparent)]
    Batch(#[from] BatchError),
    #[error("op format not accepted")]
    Format,
    #[error("invalid ops: {0}")]
    Invalid(&'static str),
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// The checks every list of a device's ops passes before it is applied (formats this server
/// reads, device sequences strictly increasing), and the ops upcast to the current format.
pub fn admit_ops(ops: Vec<Op>, max: usize) -> Result<Vec<Op>, BatchRefusal> {
    if ops.len() > max {
        return Err(BatchRefusal::Invalid("ops"));
    }
    if ops.iter().any(|op| !format_readable(op.op_format)) {
        return Err(BatchRefusal::Format);
    }
    if ops.windows(2).any(|w| w[0].device_seq >= w[1].device_seq) {
        return Err(BatchRefusal::Invalid("ops"));
    }
    Ok(ops.into_iter().map(upcast).collect())
}

/// Opens `batch` with its device's key and applies its ops as that device's push.
pub async fn apply_batch(
    storage: &dyn ServerStorage,
    batch: &SignedBatch,
) -> Result<PushAnswer, BatchRefusal> {
    let device_id = Uuid::parse_str(&batch.device_id).map_err(|_| BatchRefusal::UnknownDevice)?;
    let (device, key) = storage
        .device_key(device_id)
        .await?
        .ok_or(BatchRefusal::UnknownDevice)?;
    let key = VerifyingKey::from_bytes(&key).map_err(|_| BatchRefusal::UnknownDevice)?;
    let body = batch.open(&key)?;
    if !format_readable(body.op_format) {
        return Err(BatchRefusal::Format);
    }
    let ops = admit_ops(body.ops, BATCH_MAX_OPS)?;
    tracing::info!(device = %device_id, ops = ops.len(), "applying a signed batch");
    Ok(storage.push(device, ops, Timestamp::now()).await?)
}
