//! Batches of another laptop's changes that this laptop carries to the server (see
//! `khuyenhoc_sync_protocol::batch`): queued when imported from a file, handed over at the next
//! sync, then marked delivered or refused with the server's reason.

use rusqlite::params;
use serde::Serialize;
use sha2::{Digest, Sha256};

use khuyenhoc_sync_protocol::SignedBatch;

use crate::error::{Result, StoreError};
use crate::open::Store;
use crate::write::now_ms;

/// A carried batch waiting for the server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RelayBatch {
    pub id: i64,
    pub device_id: String,
    pub ops: i64,
    pub batch: SignedBatch,
}

impl Store {
    /// Queues another device's signed batch; false when the same batch is already queued.
    pub fn queue_relay_batch(&mut self, batch: &SignedBatch, ops: usize) -> Result<bool> {
        if batch.device_id == self.device_id.to_string() {
            return Err(StoreError::rule(
                "own_batch",
                "Đây là tệp thay đổi của chính máy này: các thay đổi đó sẽ được gửi khi máy đồng bộ.",
                "a batch of this very device is not relayed",
            ));
        }
        let text = serde_json::to_string(batch).expect("a batch serialises");
        let digest = Sha256::new()
            .chain_update(batch.body.as_bytes())
            .chain_update(b"\n")
            .chain_update(batch.signature.as_bytes())
            .finalize();
        let digest: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        let added = self.conn.execute(
            "INSERT OR IGNORE INTO relay_batches (device_id, digest, batch, ops, imported_ms)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![batch.device_id, digest, text, ops as i64, now_ms() as i64],
        )?;
        Ok(added == 1)
    }

    /// Carried batches not handed over yet, oldest first.
    pub fn relay_batches_waiting(&self) -> Result<Vec<RelayBatch>> {
        let mut stmt = self.conn.prepare(
            "SELECT id, device_id, ops, batch FROM relay_batches
             WHERE delivered_ms IS NULL AND refused IS NULL ORDER BY id",
        )?;
        let rows = stmt
            .query_map([], |r| {
                let text: String = r.get(3)?;
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, text))
            })?
            .collect::<rusqlite::Result<Vec<(i64, String, i64, String)>>>()?;
        Ok(rows
            .into_iter()
            .filter_map(|(id, device_id, ops, text)| {
                let batch = serde_json::from_str(&text).ok()?;
                Some(RelayBatch {
                    id,
                    device_id,
                    ops,
                    batch,
                })
            })
            .collect())
    }

    /// The server took the batch (or refused it, with its reason): it is not sent again.
    pub fn finish_relay_batch(&mut self, id: i64, refused: Option<&str>) -> Result<()> {
        self.conn.execute(
            "UPDATE relay_batches SET delivered_ms = CASE WHEN ?2 IS NULL THEN ?3 END, refused = ?2
             WHERE id = ?1",
            params![id, refused, now_ms() as i64],
        )?;
        Ok(())
    }
}
