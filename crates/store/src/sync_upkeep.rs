//! Keeping sync healthy over months: the one-sync-at-a-time turn, the laptop's clock measured
//! against the server's, repairing a server restored from an older backup (pull from zero and
//! give it again the ops it lost), and purging acknowledged ops once they are old enough.

use rusqlite::params;

use crate::error::Result;
use crate::lock::SyncTurn;
use crate::open::Store;
use crate::write::now_ms;

/// A laptop clock further than this from the server's is shown as a warning.
pub const CLOCK_WARNING_MS: i64 = 24 * 60 * 60 * 1000;

/// Acknowledged ops are kept this many days by default (setting `sync_keep_days`).
pub const DEFAULT_KEEP_ACKED_DAYS: i64 = 90;

/// What repairing a restored server queued again.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RestoredServer {
    /// Acknowledged ops queued to be pushed again (the server answers `duplicate` for the ones
    /// its backup already had).
    pub requeued: usize,
}

impl Store {
    /// Takes this database's sync turn (see [`SyncTurn`]).
    pub fn sync_turn(&self) -> Result<SyncTurn> {
        SyncTurn::take(&self.path)
    }

    /// The server was restored from a backup (it answers with another epoch): pull everything
    /// again from zero, and queue again the acknowledged ops this device still keeps, so the
    /// server gets back what it lost. Refused ops stay parked. One transaction.
    pub fn restart_with_restored_server(&mut self, epoch: &str) -> Result<RestoredServer> {
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        tx.execute(
            "UPDATE sync_state SET server_epoch = ?1, pull_cursor = 0 WHERE id = 1",
            [epoch],
        )?;
        let requeued = tx.execute(
            "UPDATE outbox SET acked = 0, acked_ms = NULL
             WHERE acked = 1 AND device_id = ?1
               AND op_id NOT IN (SELECT op_id FROM parked_ops)",
            [self.device_id.to_string()],
        )?;
        tx.commit()?;
        tracing::warn!(
            requeued,
            "the server was restored from a backup: pulling from zero and pushing again"
        );
        Ok(RestoredServer { requeued })
    }

    /// Deletes acknowledged ops older than the `sync_keep_days` setting, but for refused ones
    /// still waiting for a person; returns how many.
    pub fn purge_acknowledged_ops(&mut self) -> Result<usize> {
        let days = self
            .local_setting("sync_keep_days")?
            .and_then(|d| d.parse::<i64>().ok())
            .filter(|d| *d >= 0)
            .unwrap_or(DEFAULT_KEEP_ACKED_DAYS);
        let before = now_ms() as i64 - days * 24 * 60 * 60 * 1000;
        Ok(self.conn.execute(
            "DELETE FROM outbox WHERE acked = 1 AND acked_ms < ?1
             AND op_id NOT IN (SELECT op_id FROM parked_ops WHERE resolved = 0)",
            params![before],
        )?)
    }
}

/// The server's clock minus this laptop's, from an answer's `server_time_ms`, recorded in the
/// transaction that applies the answer.
pub(crate) fn record_clock_offset(
    tx: &rusqlite::Transaction<'_>,
    server_time_ms: u64,
) -> Result<()> {
    tx.execute(
        "UPDATE sync_state SET clock_offset_ms = ?1 WHERE id = 1",
        [server_time_ms as i64 - now_ms() as i64],
    )?;
    Ok(())
}
