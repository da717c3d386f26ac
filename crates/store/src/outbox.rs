//! Reading the outbox: the ops waiting for the central server, in device-sequence order.

use std::collections::BTreeMap;

use rusqlite::Row;
use serde::Serialize;
use serde_json::Value;

use crate::error::Result;
use crate::open::Store;

pub use khuyenhoc_sync_protocol::{Op, OpField};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OutboxStats {
    pub pending: i64,
    pub total: i64,
    pub next_seq: i64,
}

fn op_from_row(r: &Row<'_>) -> rusqlite::Result<Op> {
    let values: BTreeMap<String, Value> =
        serde_json::from_str(&r.get::<_, String>(7)?).unwrap_or_default();
    let mut bases: BTreeMap<String, String> = r
        .get::<_, Option<String>>(10)?
        .and_then(|b| serde_json::from_str(&b).ok())
        .unwrap_or_default();
    let fields = values.into_iter().map(|(k, value)| {
        let base = bases.remove(&k);
        (k, OpField { value, base })
    });
    Ok(Op {
        device_id: r.get(0)?,
        device_seq: r.get(1)?,
        op_id: r.get(2)?,
        op_format: r.get(3)?,
        entity: r.get(4)?,
        row_id: r.get(5)?,
        intent: r.get(6)?,
        fields: fields.collect(),
        author: r.get(8)?,
        version: r.get(9)?,
    })
}

impl Store {
    /// Unacknowledged ops, oldest first.
    pub fn pending_ops(&self, limit: usize) -> Result<Vec<Op>> {
        self.pending_ops_after(0, limit)
    }

    /// The first `limit` unacknowledged ops after device sequence `after`.
    pub(crate) fn pending_ops_after(&self, after: i64, limit: usize) -> Result<Vec<Op>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT device_id, device_seq, op_id, op_format, entity, row_id, intent, fields, author, version, bases
             FROM outbox WHERE acked = 0 AND device_id = ?1 AND device_seq > ?2
             ORDER BY device_seq LIMIT ?3",
        )?;
        let ops = stmt
            .query_map(
                rusqlite::params![self.device_id.to_string(), after, limit as i64],
                op_from_row,
            )?
            .collect::<rusqlite::Result<_>>()?;
        Ok(ops)
    }

    pub fn outbox_stats(&self) -> Result<OutboxStats> {
        Ok(self.conn.query_row(
            "SELECT (SELECT count(*) FROM outbox WHERE acked = 0), (SELECT count(*) FROM outbox),
                    (SELECT next_seq FROM local_state WHERE id = 1)",
            [],
            |r| {
                Ok(OutboxStats {
                    pending: r.get(0)?,
                    total: r.get(1)?,
                    next_seq: r.get(2)?,
                })
            },
        )?)
    }
}
