//! Keeping sync healthy over months: the one-sync-at-a-time turn, the laptop's clock measured
//! against the server's, repairing a server restored from an older backup (pull from zero and
//! give it again the ops it lost), a laptop whose file was put back from an undetected copy (a
//! new device identity), and purging acknowledged ops once they are old enough.

use rusqlite::params;

use crate::error::{Result, StoreError};
use crate::lock::SyncTurn;
use crate::open::Store;
use crate::write::now_ms;

/// A laptop clock further than this from the server's is shown as a warning.
pub const CLOCK_WARNING_MS: i64 = 24 * 60 * 60 * 1000;

/// Acknowledged ops are kept this many days by default (setting `sync_keep_days`).
pub const DEFAULT_KEEP_ACKED_DAYS: i64 = 90;

/// What [`Store::set_sync_keep_days`] accepts.
pub const KEEP_ACKED_DAYS: std::ops::RangeInclusive<i64> = 7..=3650;

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
    /// server gets back what it lost. Refused ops stay parked. A pull from zero after a purge
    /// that was under way ends without dropping anything: the restored server lacks rows that
    /// other laptops have yet to give back. One transaction.
    pub fn restart_with_restored_server(&mut self, epoch: &str) -> Result<RestoredServer> {
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        tx.execute(
            "UPDATE sync_state SET server_epoch = ?1, pull_cursor = 0 WHERE id = 1",
            [epoch],
        )?;
        crate::sync_rebootstrap::forget(&tx)?;
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

    /// The server holds sequences of this device that this file never gave out, or refused a
    /// sequence as used by another op: the file was put back from a copy the store could not
    /// tell from the original. Like a copy, it takes a new device identity (unsent ops
    /// renumbered, their op ids kept so the server recognises those it has) and drops its
    /// token: the laptop enrolls again. Crash-safe: the mark is set first, and an interrupted
    /// change of identity is finished at the next open.
    pub fn take_new_identity_after_reuse(&mut self) -> Result<uuid::Uuid> {
        self.conn.execute(
            "UPDATE local_state SET needs_new_identity = 1 WHERE id = 1",
            [],
        )?;
        let id = crate::open::take_new_identity(&mut self.conn)?;
        self.device_id = id;
        tracing::warn!("sequence reuse: this laptop took a new device identity");
        Ok(id)
    }

    /// How many days acknowledged ops are kept (to give back to a server restored from an
    /// older backup): the `sync_keep_days` setting, or [`DEFAULT_KEEP_ACKED_DAYS`].
    pub fn sync_keep_days(&self) -> Result<i64> {
        Ok(self
            .local_setting("sync_keep_days")?
            .and_then(|d| d.parse::<i64>().ok())
            .filter(|d| *d >= 0)
            .unwrap_or(DEFAULT_KEEP_ACKED_DAYS))
    }

    /// Sets [`Store::sync_keep_days`]: between [`KEEP_ACKED_DAYS`]'s bounds (a week, so a
    /// server restored from last week's backup can still be repaired, to ten years).
    pub fn set_sync_keep_days(&mut self, days: i64) -> Result<()> {
        if !KEEP_ACKED_DAYS.contains(&days) {
            return Err(StoreError::rule(
                "invalid_keep_days",
                format!(
                    "Số ngày giữ thay đổi đã gửi phải từ {} đến {} (nhận được {days}).",
                    KEEP_ACKED_DAYS.start(),
                    KEEP_ACKED_DAYS.end()
                ),
                format!(
                    "days to keep sent changes must be {} to {} (got {days})",
                    KEEP_ACKED_DAYS.start(),
                    KEEP_ACKED_DAYS.end()
                ),
            ));
        }
        self.set_local_setting("sync_keep_days", &days.to_string())
    }

    /// Deletes ops acknowledged at least `sync_keep_days` days ago (0: all of them, even one
    /// acknowledged this very millisecond), but for refused ones still waiting for a person;
    /// returns how many.
    pub fn purge_acknowledged_ops(&mut self) -> Result<usize> {
        let days = self.sync_keep_days()?;
        let before = now_ms() as i64 - days * 24 * 60 * 60 * 1000;
        Ok(self.conn.execute(
            "DELETE FROM outbox WHERE acked = 1 AND acked_ms <= ?1
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

/// The code of the error a push answer gets when the server knows sequences of this device
/// beyond its counter ([`Store::take_new_identity_after_reuse`]).
pub const SEQUENCE_BEHIND: &str = "sequence_behind";

/// Refuses a push answer whose high-water mark is at or above this device's next sequence.
pub(crate) fn check_high_water(tx: &rusqlite::Transaction<'_>, high_water: i64) -> Result<()> {
    let next: i64 = tx.query_row("SELECT next_seq FROM local_state WHERE id = 1", [], |r| {
        r.get(0)
    })?;
    if high_water >= next {
        return Err(StoreError::rule(
            SEQUENCE_BEHIND,
            "Máy chủ đã nhận những thay đổi mà tệp dữ liệu này chưa từng có (tệp được chép đè từ một bản cũ). Máy sẽ nhận một danh tính mới; hãy đăng ký lại với máy chủ.",
            format!("the server holds sequence {high_water} of this device, whose next is {next}"),
        ));
    }
    Ok(())
}
