//! Tombstone purge on PostgreSQL, and the pull progress it reads, with the rules of
//! [`super::purge`].
//!
//! The purge takes the push lock ([`super::postgres_sync::PUSH_LOCK`]) before it reads, so no
//! push changes a tombstone (or gives a version) while it decides and deletes; it reads and
//! deletes in bulk, in one transaction. Pulls take no lock: a pull reads its cursor check and
//! its page from one snapshot, taken after its progress was recorded, so it sees either the
//! log before a purge (whole) or the purge point after it (and is refused if it must be).

use std::collections::HashSet;

use deadpool_postgres::Object;
use jiff::{SignedDuration, Timestamp};
use tokio_postgres::IsolationLevel;
use uuid::Uuid;

use super::StorageResult;
use super::postgres_sync::{PUSH_LOCK, Tx, stmt};
use super::purge::{self, DeviceProgress, PurgeReport};

/// Records that `device` pulls after `cursor` at `now`, in its own statement before the pull's
/// snapshot (a pull from zero also records the purge point it starts from). The time is written
/// again only when an hour old or when the cursor moved: a sync with nothing new writes nothing.
pub(super) async fn record_pull(
    client: &Object,
    device: Uuid,
    cursor: i64,
    now: Timestamp,
) -> StorageResult<()> {
    let sql = "INSERT INTO device_pulls (device_id, pull_cursor, pulled_at, clean_through)
         VALUES ($1, $2, $3, CASE WHEN $2::bigint = 0 THEN coalesce(
             (SELECT value::bigint FROM server_meta WHERE key = 'purged_through'), 0) ELSE 0 END)
         ON CONFLICT (device_id) DO UPDATE SET
             pull_cursor = excluded.pull_cursor,
             pulled_at = excluded.pulled_at,
             clean_through = CASE WHEN excluded.pull_cursor = 0 THEN excluded.clean_through
                                  ELSE device_pulls.clean_through END
         WHERE device_pulls.pull_cursor <> excluded.pull_cursor
            OR excluded.pull_cursor = 0
            OR device_pulls.pulled_at < excluded.pulled_at - interval '1 hour'";
    client
        .execute(
            &client.prepare_cached(sql).await?,
            &[&device, &cursor, &now],
        )
        .await?;
    Ok(())
}

/// The rows among `keys` (entity, row id) that were purged.
pub(super) async fn purged_among(
    tx: &Tx<'_>,
    keys: &[(String, String)],
) -> StorageResult<HashSet<(String, String)>> {
    if keys.is_empty() {
        return Ok(HashSet::new());
    }
    let entities: Vec<&str> = keys.iter().map(|k| k.0.as_str()).collect();
    let row_ids: Vec<&str> = keys.iter().map(|k| k.1.as_str()).collect();
    Ok(tx
        .query(
            &stmt(
                tx,
                "SELECT p.entity, p.row_id FROM purged_rows p
                 JOIN unnest($1::text[], $2::text[]) AS k(entity, row_id)
                   ON p.entity = k.entity AND p.row_id = k.row_id",
            )
            .await?,
            &[&entities, &row_ids],
        )
        .await?
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect())
}

/// Purges the tombstones every active device has pulled past, in one transaction.
pub(super) async fn purge(
    client: &mut Object,
    now: Timestamp,
    horizon: SignedDuration,
) -> StorageResult<PurgeReport> {
    let tx = client
        .build_transaction()
        .isolation_level(IsolationLevel::ReadCommitted)
        .start()
        .await?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&PUSH_LOCK])
        .await?;
    let head: i64 = tx
        .query_one("SELECT coalesce(max(version), 0) FROM changes", &[])
        .await?
        .get(0);
    let devices: Vec<DeviceProgress> = tx
        .query(
            "SELECT d.revoked_at IS NOT NULL, d.enrolled_at, p.pull_cursor, p.pulled_at
             FROM devices d LEFT JOIN device_pulls p ON p.device_id = d.id",
            &[],
        )
        .await?
        .iter()
        .map(|r| DeviceProgress {
            revoked: r.get(0),
            enrolled_at: r.get(1),
            last_pull: r
                .get::<_, Option<i64>>(2)
                .zip(r.get::<_, Option<Timestamp>>(3)),
        })
        .collect();
    let low_water = purge::low_water_mark(&devices, now, horizon, head);
    let before: i64 = tx
        .query_one(
            "SELECT coalesce((SELECT value::bigint FROM server_meta WHERE key = 'purged_through'), 0)",
            &[],
        )
        .await?
        .get(0);
    // The tombstones whose every change is at or below the mark, with their last version.
    let dead = tx
        .query(
            "SELECT c.entity, c.row_id, max(c.version) FROM changes c
             JOIN sync_rows s ON s.entity = c.entity AND s.row_id = c.row_id
             WHERE s.state -> 'deleted' -> 'value' = 'true'::jsonb
             GROUP BY c.entity, c.row_id
             HAVING max(c.version) <= $1",
            &[&low_water],
        )
        .await?;
    let entities: Vec<String> = dead.iter().map(|r| r.get(0)).collect();
    let row_ids: Vec<String> = dead.iter().map(|r| r.get(1)).collect();
    let last: Vec<i64> = dead.iter().map(|r| r.get(2)).collect();
    const KEYS: &str = "unnest($1::text[], $2::text[]) AS k(entity, row_id)";
    const MATCH: &str = "t.entity = k.entity AND t.row_id = k.row_id";
    let mut changes = 0;
    let mut rows = 0;
    if !dead.is_empty() {
        changes = tx
            .execute(
                &format!("DELETE FROM changes t USING {KEYS} WHERE {MATCH}"),
                &[&entities, &row_ids],
            )
            .await?;
        for table in ["sync_rows", "conflicts"] {
            tx.execute(
                &format!("DELETE FROM {table} t USING {KEYS} WHERE {MATCH}"),
                &[&entities, &row_ids],
            )
            .await?;
        }
        rows = tx
            .execute(
                "INSERT INTO purged_rows (entity, row_id, last_version, purged_at)
                 SELECT *, $4 FROM unnest($1::text[], $2::text[], $3::bigint[])
                 ON CONFLICT (entity, row_id) DO NOTHING",
                &[&entities, &row_ids, &last, &now],
            )
            .await?;
    }
    let purged_through = before.max(last.iter().copied().max().unwrap_or(0));
    tx.execute(
        "INSERT INTO server_meta (key, value) VALUES ('purged_through', $1)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        &[&purged_through.to_string()],
    )
    .await?;
    tx.commit().await?;
    Ok(PurgeReport {
        low_water,
        active_devices: purge::active_devices(&devices, now, horizon),
        rows: rows as usize,
        changes: changes as usize,
        purged_through,
    })
}
