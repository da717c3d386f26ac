//! Push and pull on PostgreSQL, with the rules of [`super::sync_rules`] (the same as SQLite's:
//! exactly once by `(device_id, device_seq)` and op id, authority by org-unit subtree,
//! insert-only entities, the shared merge, the change log and the conflicts; a reused sequence
//! aborts the whole push). A push is one transaction; a pull reads one snapshot.
//!
//! **Versions become visible in order.** On PostgreSQL, transactions commit in any order: if
//! push A took version 104 and push B version 105, B may commit first, and a laptop pulling
//! then would move its cursor past 104 and never see it. Two cures exist: pull only below the
//! oldest transaction still running (the snapshot's `xmin`, which needs a transaction id kept
//! per change), or let pushes take versions one at a time. We take the second: every push
//! first takes one transaction-level advisory lock (`pg_advisory_xact_lock`), held until its
//! commit or rollback, and only then reads and writes. So a version is handed out only after
//! every push that took a smaller one has ended, and any snapshot sees a prefix of the log
//! (with gaps only where a push rolled back, and a gap never fills later). Pulls take no lock.
//!
//! The same lock also makes each push's read-merge-write of a row safe against another push of
//! the same row (no lost update) and the exactly-once checks safe against a device's two
//! concurrent retries, with no serialisation failures to retry. The price is that pushes of a
//! whole province take turns, as on SQLite; a push reads and writes in bulk, its statements
//! pipelined ([`super::postgres_push`]), so a turn of 500 ops lasts a few tens of milliseconds
//! (docs/BENCHMARKS.md). The push runs at READ COMMITTED on purpose: each statement after the
//! lock sees every push committed before it (a REPEATABLE READ snapshot would be taken by the
//! lock statement itself, before the wait, and miss the push it waited for).
//!
//! A pull first records the device's progress (how far it has pulled, for the tombstone purge
//! of [`super::postgres_purge`], which takes the push lock too), then reads the purge point,
//! the head and the page from one snapshot.

use std::collections::BTreeMap;

use deadpool_postgres::Object;
use jiff::Timestamp;
use tokio_postgres::IsolationLevel;
use tokio_postgres::types::Json;

use khuyenhoc_sync_protocol::{Change, FieldState, Op};

use super::sync_rules as rules;
use super::{AuthenticatedDevice, PullAnswer, PushAnswer, StorageError, StorageResult};

pub(super) type Tx<'a> = deadpool_postgres::Transaction<'a>;

/// The statement for `sql`, prepared once per connection (preparing it every time would double
/// the round trips).
pub(super) async fn stmt(tx: &Tx<'_>, sql: &str) -> StorageResult<tokio_postgres::Statement> {
    Ok(tx.prepare_cached(sql).await?)
}

/// The advisory lock key every push takes before it reads or writes ("KHSV", 2).
pub const PUSH_LOCK: i64 = 0x4B48_5356_0000_0002;

/// Units in the subtree of `$1` (the device's unit), as a CTE to prefix queries with.
pub(super) const SUBTREE: &str = "WITH RECURSIVE subtree(id) AS (
        SELECT $1::uuid UNION SELECT u.id FROM org_units u JOIN subtree s ON u.parent_id = s.id)";

pub(super) async fn push(
    client: &mut Object,
    device: &AuthenticatedDevice,
    ops: &[Op],
    now: Timestamp,
) -> StorageResult<PushAnswer> {
    let tx = client
        .build_transaction()
        .isolation_level(IsolationLevel::ReadCommitted)
        .start()
        .await?;
    // Taken before anything is read, held to commit: see the module documentation.
    tx.execute(
        &stmt(&tx, "SELECT pg_advisory_xact_lock($1)").await?,
        &[&PUSH_LOCK],
    )
    .await?;
    let (results, high_water) = super::postgres_push::apply(&tx, device, ops, now).await?;
    tx.commit().await?;
    Ok(PushAnswer {
        results,
        high_water,
    })
}

pub(super) async fn pull(
    client: &mut Object,
    device: &AuthenticatedDevice,
    cursor: i64,
    limit: u32,
    now: Timestamp,
) -> StorageResult<PullAnswer> {
    // Committed before the snapshot below: a purge that starts later counts this device.
    super::postgres_purge::record_pull(client, device.device_id, cursor, now).await?;
    // One snapshot for the purge point, the head and the page, so that they agree.
    let tx = client
        .build_transaction()
        .isolation_level(IsolationLevel::RepeatableRead)
        .read_only(true)
        .start()
        .await?;
    let known = tx
        .query_one(
            &stmt(
                &tx,
                "SELECT coalesce((SELECT max(version) FROM changes), 0),
                        coalesce((SELECT value::bigint FROM server_meta
                                  WHERE key = 'purged_through'), 0),
                        coalesce((SELECT clean_through FROM device_pulls
                                  WHERE device_id = $1), 0)",
            )
            .await?,
            &[&device.device_id],
        )
        .await?;
    let (newest, purged_through, clean_through): (i64, i64, i64) =
        (known.get(0), known.get(1), known.get(2));
    if super::purge::cursor_purged(cursor, purged_through, clean_through) {
        tx.commit().await?;
        return Err(StorageError::CursorPurged {
            cursor,
            purged_through,
        });
    }
    let head = super::purge::head(newest, purged_through);
    let rows = tx
        .query(
            &stmt(
                &tx,
                &format!(
                    // Each unit's next changes from the (scope_unit, version) index, then the
                    // first of them all: a page costs the same early or late in a long log
                    // (filtering the whole log by scope and sorting it grew with every page).
                    // A scope exit goes to the devices that do not see where the row went.
                    "{SUBTREE} SELECT c.version, c.entity, c.row_id, c.fields, c.author,
                            c.exit_to IS NOT NULL
                     FROM subtree s CROSS JOIN LATERAL (
                         SELECT * FROM changes
                         WHERE scope_unit = s.id AND version > $2 AND version <= $3
                           AND (exit_to IS NULL OR exit_to NOT IN (SELECT id FROM subtree))
                         ORDER BY version LIMIT $4) c
                     ORDER BY c.version LIMIT $4"
                ),
            )
            .await?,
            &[&device.unit.id, &cursor, &head, &i64::from(limit)],
        )
        .await?;
    tx.commit().await?;
    let changes = rows
        .iter()
        .map(|r| {
            let Json(fields): Json<BTreeMap<String, FieldState>> = r.get(3);
            Change {
                version: r.get(0),
                entity: r.get(1),
                row_id: r.get(2),
                fields,
                scope_exit: r.get(5),
                author: r.get(4),
            }
        })
        .collect();
    Ok(rules::page(changes, cursor, head, limit))
}
