//! Pulling everything again from zero after the server purged deleted records this laptop had
//! not pulled yet (it refused the cursor as `cursor_purged`: the laptop was silent for longer
//! than the server's horizon). The sync client first sends what is pending (an edit of a purged
//! record comes back refused as `row_purged`, is parked, and its row dropped), then calls
//! [`Store::start_rebootstrap`] and pulls as usual. Each page notes the rows it carries in
//! `sync_rebootstrap_seen`, in the transaction that applies the page and moves the cursor, so a
//! pull cut half-way goes on from its cursor after a restart. The last page drops every synced
//! row the server did not send — unless a pending or parked op of this laptop holds it — the way
//! a row leaving the laptop's scope is dropped (hidden, no outbox op), and ends the re-bootstrap.

use rusqlite::params;

use crate::error::Result;
use crate::open::Store;
use crate::remote::tables;
use crate::write::now_ms;

impl Store {
    /// Starts pulling everything again from zero after the server refused the cursor as purged;
    /// the caller has sent the pending ops first. One transaction: the cursor back to zero, the
    /// mark set, the rows seen by any earlier attempt forgotten.
    pub fn start_rebootstrap(&mut self) -> Result<()> {
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        tx.execute(
            "UPDATE sync_state SET pull_cursor = 0, rebootstrap_ms = ?1 WHERE id = 1",
            [now_ms() as i64],
        )?;
        tx.execute("DELETE FROM sync_rebootstrap_seen", [])?;
        tx.commit()?;
        tracing::warn!("the server purged records this laptop had not pulled: pulling from zero");
        Ok(())
    }

    /// Whether a pull from zero after a purge is under way (its last page not applied yet).
    pub fn rebootstrapping(&self) -> Result<bool> {
        under_way(&self.conn)
    }
}

pub(crate) fn under_way(conn: &rusqlite::Connection) -> Result<bool> {
    Ok(conn.query_row(
        "SELECT rebootstrap_ms IS NOT NULL FROM sync_state WHERE id = 1",
        [],
        |r| r.get(0),
    )?)
}

/// Notes that the server sent `row_id` during the re-bootstrap.
pub(crate) fn note_seen(tx: &rusqlite::Transaction<'_>, entity: &str, row_id: &str) -> Result<()> {
    tx.prepare_cached(
        "INSERT OR IGNORE INTO sync_rebootstrap_seen (entity, row_id) VALUES (?1, ?2)",
    )?
    .execute(params![entity, row_id])?;
    Ok(())
}

/// Ends the re-bootstrap with its last page: drops the synced rows the server did not send and
/// no pending or parked op holds; returns how many.
pub(crate) fn finish(tx: &rusqlite::Transaction<'_>) -> Result<usize> {
    let mut dropped = 0;
    for table in tables().iter().filter(|t| !t.history) {
        let t = table.table;
        dropped += tx.execute(
            &format!(
                "UPDATE {t} SET deleted = 1
                 WHERE deleted = 0
                   AND NOT EXISTS (SELECT 1 FROM sync_rebootstrap_seen s
                                   WHERE s.entity = ?1 AND s.row_id = {t}.id)
                   AND NOT EXISTS (SELECT 1 FROM outbox o
                                   WHERE o.acked = 0 AND o.entity = ?1 AND o.row_id = {t}.id)
                   AND NOT EXISTS (SELECT 1 FROM parked_ops p
                                   WHERE p.resolved = 0 AND p.entity = ?1 AND p.row_id = {t}.id)"
            ),
            [table.entity],
        )?;
    }
    forget(tx)?;
    tracing::info!(
        dropped,
        "pulled from zero after a purge: rows the server no longer has dropped"
    );
    Ok(dropped)
}

/// Ends a re-bootstrap without dropping anything (the laptop starts over with another server,
/// or with this one restored from a backup, which other laptops still have to give back what
/// it lost).
pub(crate) fn forget(tx: &rusqlite::Transaction<'_>) -> Result<()> {
    tx.execute("DELETE FROM sync_rebootstrap_seen", [])?;
    tx.execute(
        "UPDATE sync_state SET rebootstrap_ms = NULL WHERE id = 1",
        [],
    )?;
    Ok(())
}
