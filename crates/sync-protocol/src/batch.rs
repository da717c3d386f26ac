//! Signed batches: a laptop with no connection at all writes its pending ops to a file (for a
//! USB stick or a chat app); another laptop or the server's administrator carries it to the
//! server. The device signs the exact bytes of the batch with its Ed25519 key (made when it
//! enrolled; the server holds the public half), so a relay carries ops but can neither forge
//! nor alter them: the server checks the signature against the device's key and then applies
//! the ops exactly as if the device had pushed them (same exactly-once rules).

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use serde::{Deserialize, Serialize};

use crate::op::Op;

/// The format of the batch file itself.
pub const BATCH_FORMAT: u32 = 1;

/// What a device signs: its pending ops, in device-sequence order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BatchBody {
    pub device_id: String,
    /// When the file was written (the device's clock; for people, not for ordering).
    pub created_ms: u64,
    pub op_format: i64,
    pub ops: Vec<Op>,
}

/// The file: the body's bytes (base64) and the device's signature over exactly those bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SignedBatch {
    pub format: u32,
    /// Which device signed (the server looks its public key up by it).
    pub device_id: String,
    pub body: String,
    pub signature: String,
}

/// Why a batch is refused. Nothing of a refused batch is applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BatchError {
    #[error("unknown batch format {0}")]
    Format(u32),
    #[error("the batch is not valid base64 or JSON")]
    Malformed,
    #[error("the signature does not match the batch (altered, or not signed by this device)")]
    Signature,
    #[error("an op in the batch names another device than the one that signed it")]
    WrongDevice,
}

impl SignedBatch {
    /// Signs `body` with the device's key.
    pub fn sign(body: &BatchBody, key: &SigningKey) -> SignedBatch {
        let bytes = serde_json::to_vec(body).expect("a batch body serialises");
        SignedBatch {
            format: BATCH_FORMAT,
            device_id: body.device_id.clone(),
            signature: STANDARD.encode(key.sign(&bytes).to_bytes()),
            body: STANDARD.encode(bytes),
        }
    }

    /// Checks the signature with the device's public key and returns the ops it carries.
    pub fn open(&self, key: &VerifyingKey) -> Result<BatchBody, BatchError> {
        if self.format != BATCH_FORMAT {
            return Err(BatchError::Format(self.format));
        }
        let bytes = STANDARD
            .decode(&self.body)
            .map_err(|_| BatchError::Malformed)?;
        let signature = STANDARD
            .decode(&self.signature)
            .ok()
            .and_then(|s| Signature::from_slice(&s).ok())
            .ok_or(BatchError::Signature)?;
        key.verify(&bytes, &signature)
            .map_err(|_| BatchError::Signature)?;
        let body: BatchBody = serde_json::from_slice(&bytes).map_err(|_| BatchError::Malformed)?;
        if body.device_id != self.device_id
            || body.ops.iter().any(|op| op.device_id != self.device_id)
        {
            return Err(BatchError::WrongDevice);
        }
        Ok(body)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::op::OpField;

    fn op(device: &str, seq: i64, name: &str) -> Op {
        Op {
            op_id: format!("op-{seq}"),
            device_id: device.into(),
            device_seq: seq,
            op_format: crate::OP_FORMAT,
            entity: "member".into(),
            row_id: "m1".into(),
            intent: "member.update".into(),
            fields: BTreeMap::from([(
                "full_name".to_owned(),
                OpField {
                    value: serde_json::json!(name),
                    base: None,
                },
            )]),
            author: "lan".into(),
            version: format!("{seq:015}-d"),
        }
    }

    fn body(device: &str) -> BatchBody {
        BatchBody {
            device_id: device.into(),
            created_ms: 1_700_000_000_000,
            op_format: crate::OP_FORMAT,
            ops: vec![op(device, 1, "Đỗ Thị Hoa"), op(device, 2, "Đỗ Thị Huệ")],
        }
    }

    fn key(seed: u8) -> SigningKey {
        SigningKey::from_bytes(&[seed; 32])
    }

    #[test]
    fn a_signed_batch_opens_with_the_devices_key_after_a_round_trip_through_a_file() {
        let batch = SignedBatch::sign(&body("d1"), &key(7));
        let file = serde_json::to_string_pretty(&batch).unwrap();
        let read: SignedBatch = serde_json::from_str(&file).unwrap();
        assert_eq!(read.open(&key(7).verifying_key()).unwrap(), body("d1"));
    }

    #[test]
    fn another_key_an_altered_op_or_a_borrowed_device_id_is_refused() {
        let batch = SignedBatch::sign(&body("d1"), &key(7));
        assert_eq!(
            batch.open(&key(8).verifying_key()),
            Err(BatchError::Signature)
        );

        // A relay changes a name inside the body and encodes it again.
        let mut text = String::from_utf8(STANDARD.decode(&batch.body).unwrap()).unwrap();
        text = text.replace("Đỗ Thị Huệ", "Đỗ Thị Hoa");
        let mut altered = batch.clone();
        altered.body = STANDARD.encode(text);
        assert_eq!(
            altered.open(&key(7).verifying_key()),
            Err(BatchError::Signature)
        );

        // A relay claims the batch is another device's.
        let mut renamed = batch.clone();
        renamed.device_id = "d2".into();
        assert_eq!(
            renamed.open(&key(7).verifying_key()),
            Err(BatchError::WrongDevice)
        );

        // A device signs ops in another device's name.
        let mut foreign = body("d1");
        foreign.ops.push(op("d2", 3, "x"));
        let signed = SignedBatch::sign(&foreign, &key(7));
        assert_eq!(
            signed.open(&key(7).verifying_key()),
            Err(BatchError::WrongDevice)
        );

        let mut garbage = batch.clone();
        garbage.body = "not base64!".into();
        assert_eq!(
            garbage.open(&key(7).verifying_key()),
            Err(BatchError::Malformed)
        );
        let mut future = batch;
        future.format = 2;
        assert_eq!(
            future.open(&key(7).verifying_key()),
            Err(BatchError::Format(2))
        );
    }
}
