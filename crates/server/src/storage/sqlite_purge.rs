//! Tombstone purge on the SQLite server database, and the pull progress it reads, with the rules
//! of [`super::purge`]. The purge is one `BEGIN IMMEDIATE` transaction: no push or pull runs
//! while it decides and deletes.

use jiff::{SignedDuration, Timestamp};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use uuid::Uuid;

use super::purge::{self, DeviceProgress, PurgeReport};
use super::{StorageError, StorageResult};

/// A device's last pull time is written again only when older than this (or when its cursor
/// moved), so that a sync with nothing new writes nothing: the horizon counts in days.
pub(super) const SEEN_EVERY_MS: i64 = 60 * 60 * 1000;

/// The purge point: the highest change version a purge removed (0: none yet).
pub(super) fn purged_through(conn: &Connection) -> StorageResult<i64> {
    let value: Option<String> = conn
        .query_row(
            "SELECT value FROM server_meta WHERE key = 'purged_through'",
            [],
            |r| r.get(0),
        )
        .optional()?;
    Ok(value.and_then(|v| v.parse().ok()).unwrap_or(0))
}

/// Records that `device` pulls after `cursor` at `now_ms` (a pull from zero also records the
/// purge point it starts from); returns the purge point of its last pull from zero.
pub(super) fn record_pull(
    conn: &Connection,
    device: Uuid,
    cursor: i64,
    now_ms: i64,
    purged_through: i64,
) -> StorageResult<i64> {
    let device = device.to_string();
    conn.prepare_cached(
        "INSERT INTO device_pulls (device_id, pull_cursor, pulled_at, clean_through)
         VALUES (?1, ?2, ?3, CASE WHEN ?2 = 0 THEN ?4 ELSE 0 END)
         ON CONFLICT (device_id) DO UPDATE SET
             pull_cursor = excluded.pull_cursor,
             pulled_at = excluded.pulled_at,
             clean_through = CASE WHEN excluded.pull_cursor = 0 THEN excluded.clean_through
                                  ELSE device_pulls.clean_through END
         WHERE device_pulls.pull_cursor <> excluded.pull_cursor
            OR excluded.pull_cursor = 0
            OR device_pulls.pulled_at < excluded.pulled_at - ?5",
    )?
    .execute(params![
        device,
        cursor,
        now_ms,
        purged_through,
        SEEN_EVERY_MS
    ])?;
    Ok(conn
        .prepare_cached("SELECT clean_through FROM device_pulls WHERE device_id = ?1")?
        .query_row([device], |r| r.get(0))?)
}

/// Whether the row was purged (a new op against it is refused).
pub(super) fn is_purged(conn: &Connection, entity: &str, row_id: &str) -> StorageResult<bool> {
    Ok(conn
        .prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM purged_rows WHERE entity = ?1 AND row_id = ?2)",
        )?
        .query_row(params![entity, row_id], |r| r.get(0))?)
}

fn device_progress(conn: &Connection) -> StorageResult<Vec<DeviceProgress>> {
    let ms =
        |v: i64| Timestamp::from_millisecond(v).map_err(|e| StorageError::Database(Box::new(e)));
    let mut stmt = conn.prepare(
        "SELECT d.revoked_at IS NOT NULL, d.enrolled_at, p.pull_cursor, p.pulled_at
         FROM devices d LEFT JOIN device_pulls p ON p.device_id = d.id",
    )?;
    let rows = stmt
        .query_map([], |r| {
            Ok((
                r.get::<_, bool>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, Option<i64>>(2)?,
                r.get::<_, Option<i64>>(3)?,
            ))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    rows.into_iter()
        .map(|(revoked, enrolled_at, cursor, pulled_at)| {
            Ok(DeviceProgress {
                revoked,
                enrolled_at: ms(enrolled_at)?,
                last_pull: match (cursor, pulled_at) {
                    (Some(c), Some(at)) => Some((c, ms(at)?)),
                    _ => None,
                },
            })
        })
        .collect()
}

/// Purges the tombstones every active device has pulled past, in one transaction.
pub(super) fn purge(
    conn: &mut Connection,
    now: Timestamp,
    horizon: SignedDuration,
) -> StorageResult<PurgeReport> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let head: i64 = tx.query_row("SELECT coalesce(max(version), 0) FROM changes", [], |r| {
        r.get(0)
    })?;
    let devices = device_progress(&tx)?;
    let low_water = purge::low_water_mark(&devices, now, horizon, head);
    let before = purged_through(&tx)?;
    // The tombstones whose every change is at or below the mark, with their last version.
    tx.execute_batch(
        "CREATE TEMP TABLE IF NOT EXISTS purge_rows (
             entity TEXT NOT NULL, row_id TEXT NOT NULL, last_version INTEGER NOT NULL,
             PRIMARY KEY (entity, row_id)
         ) WITHOUT ROWID;
         DELETE FROM temp.purge_rows;",
    )?;
    tx.execute(
        "INSERT INTO temp.purge_rows (entity, row_id, last_version)
         SELECT c.entity, c.row_id, max(c.version) FROM changes c
         JOIN sync_rows s ON s.entity = c.entity AND s.row_id = c.row_id
         WHERE json_type(s.state, '$.deleted.value') = 'true'
         GROUP BY c.entity, c.row_id
         HAVING max(c.version) <= ?1",
        [low_water],
    )?;
    const PURGED: &str = "(entity, row_id) IN (SELECT entity, row_id FROM temp.purge_rows)";
    let changes = tx.execute(&format!("DELETE FROM changes WHERE {PURGED}"), [])?;
    tx.execute(&format!("DELETE FROM sync_rows WHERE {PURGED}"), [])?;
    tx.execute(&format!("DELETE FROM conflicts WHERE {PURGED}"), [])?;
    let rows = tx.execute(
        "INSERT INTO purged_rows (entity, row_id, last_version, purged_at)
         SELECT entity, row_id, last_version, ?1 FROM temp.purge_rows WHERE true
         ON CONFLICT (entity, row_id) DO NOTHING",
        [now.as_millisecond()],
    )?;
    let removed: i64 = tx.query_row(
        "SELECT coalesce(max(last_version), 0) FROM temp.purge_rows",
        [],
        |r| r.get(0),
    )?;
    let purged_through = before.max(removed);
    tx.execute(
        "INSERT INTO server_meta (key, value) VALUES ('purged_through', ?1)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        [purged_through.to_string()],
    )?;
    tx.execute_batch("DROP TABLE temp.purge_rows")?;
    tx.commit()?;
    Ok(PurgeReport {
        low_water,
        active_devices: purge::active_devices(&devices, now, horizon),
        rows,
        changes,
        purged_through,
    })
}
