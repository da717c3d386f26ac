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
//! whole province take turns, as on SQLite: a push is a few milliseconds of work per op, far
//! below what communes send. The push runs at READ COMMITTED on purpose: each statement after
//! the lock sees every push committed before it (a REPEATABLE READ snapshot would be taken by
//! the lock statement itself, before the wait, and miss the push it waited for).

use std::collections::BTreeMap;

use deadpool_postgres::Object;
use jiff::Timestamp;
use tokio_postgres::IsolationLevel;
use tokio_postgres::types::Json;
use uuid::Uuid;

use khuyenhoc_sync_protocol::{Change, FieldState, Op, OpResult, RowState};

use super::sync_rules as rules;
use super::{AuthenticatedDevice, PullAnswer, PushAnswer, StorageResult};

type Tx<'a> = deadpool_postgres::Transaction<'a>;

/// The statement for `sql`, prepared once per connection (a push runs a handful of statements
/// per op: preparing each every time would double the round trips).
async fn stmt(tx: &Tx<'_>, sql: &str) -> StorageResult<tokio_postgres::Statement> {
    Ok(tx.prepare_cached(sql).await?)
}

/// The advisory lock key every push takes before it reads or writes ("KHSV", 2).
pub const PUSH_LOCK: i64 = 0x4B48_5356_0000_0002;

/// Units in the subtree of `$1` (the device's unit), as a CTE to prefix queries with.
const SUBTREE: &str = "WITH RECURSIVE subtree(id) AS (
        SELECT $1::uuid UNION SELECT u.id FROM org_units u JOIN subtree s ON u.parent_id = s.id)";

async fn load_row(tx: &Tx<'_>, op: &Op) -> StorageResult<Option<(RowState, Uuid)>> {
    let row = tx
        .query_opt(
            &stmt(
                tx,
                "SELECT state, scope_unit FROM sync_rows WHERE entity = $1 AND row_id = $2",
            )
            .await?,
            &[&op.entity, &op.row_id],
        )
        .await?;
    row.map(|r| Ok((rules::row_state(r.get(0))?, r.get(1))))
        .transpose()
}

async fn in_subtree(tx: &Tx<'_>, unit: Uuid, root: Uuid) -> StorageResult<bool> {
    Ok(tx
        .query_one(
            &stmt(
                tx,
                &format!("{SUBTREE} SELECT EXISTS (SELECT 1 FROM subtree WHERE id = $2)"),
            )
            .await?,
            &[&root, &unit],
        )
        .await?
        .get(0))
}

/// Applies one op inside the push transaction.
async fn apply_op(
    tx: &Tx<'_>,
    device: &AuthenticatedDevice,
    op: &Op,
    now: Timestamp,
) -> StorageResult<OpResult> {
    // Exactly once: the same op again is a duplicate; another op under its sequence is refused.
    let seen: Option<String> = tx
        .query_opt(
            &stmt(
                tx,
                "SELECT op_id FROM ops_received WHERE device_id = $1 AND device_seq = $2",
            )
            .await?,
            &[&device.device_id, &op.device_seq],
        )
        .await?
        .map(|r| r.get(0));
    if rules::seen_under_sequence(op, seen.as_deref())? {
        return duplicate(tx, device, op).await;
    }
    // The same op renumbered by a copy of the laptop's file (a new device identity).
    let known: bool = tx
        .query_one(
            &stmt(
                tx,
                "SELECT EXISTS (SELECT 1 FROM ops_received WHERE op_id = $1)",
            )
            .await?,
            &[&op.op_id],
        )
        .await?
        .get(0);
    if known {
        return duplicate(tx, device, op).await;
    }

    let result = decide(tx, device, op).await?;
    let (outcome, code, reason) = rules::recorded(&result);
    tx.execute(
            &stmt(tx, "INSERT INTO ops_received
             (device_id, device_seq, op_id, entity, row_id, outcome, reject_code, reject_reason, received_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)").await?,
        &[
            &device.device_id,
            &op.device_seq,
            &op.op_id,
            &op.entity,
            &op.row_id,
            &outcome,
            &code,
            &reason,
            &now,
        ],
    )
    .await?;
    for c in rules::conflicts_of(&result) {
        tx.execute(
            &stmt(
                tx,
                "INSERT INTO conflicts (op_id, entity, row_id, field, kept, lost, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .await?,
            &[
                &op.op_id,
                &op.entity,
                &op.row_id,
                &c.field,
                &Json(&c.kept),
                &Json(&c.lost),
                &now,
            ],
        )
        .await?;
    }
    Ok(result)
}

/// A retried op's answer (see [`rules::replayed`]).
async fn duplicate(tx: &Tx<'_>, device: &AuthenticatedDevice, op: &Op) -> StorageResult<OpResult> {
    let fields = match load_row(tx, op).await? {
        Some((row, scope)) if in_subtree(tx, scope, device.unit.id).await? => {
            rules::current_fields(&row, op)
        }
        _ => BTreeMap::new(),
    };
    let refused = tx
        .query_opt(
            &stmt(
                tx,
                "SELECT reject_code, reject_reason FROM ops_received
             WHERE op_id = $1 AND outcome = 'rejected'",
            )
            .await?,
            &[&op.op_id],
        )
        .await?
        .map(|r| (r.get(0), r.get(1)));
    Ok(rules::replayed(op, refused, fields))
}

/// Authority, kind and merge of a new op; writes the row and the change when it applies.
async fn decide(tx: &Tx<'_>, device: &AuthenticatedDevice, op: &Op) -> StorageResult<OpResult> {
    let kind = match rules::known_entity(op) {
        Ok(kind) => kind,
        Err(refused) => return Ok(refused),
    };
    let existing = load_row(tx, op).await?;
    let in_scope = match &existing {
        Some((_, scope)) => in_subtree(tx, *scope, device.unit.id).await?,
        None => true,
    };
    let merged = match rules::decide(kind, op, existing.as_ref().map(|(row, _)| (row, in_scope))) {
        Ok(merged) => merged,
        Err(refused) => return Ok(refused),
    };
    let scope = existing.map_or(device.unit.id, |(_, scope)| scope);
    if !merged.unchanged {
        tx.execute(
            &stmt(
                tx,
                "INSERT INTO sync_rows (entity, row_id, scope_unit, state) VALUES ($1, $2, $3, $4)
             ON CONFLICT (entity, row_id) DO UPDATE SET state = excluded.state",
            )
            .await?,
            &[&op.entity, &op.row_id, &scope, &Json(&merged.row.fields)],
        )
        .await?;
        tx.execute(
            &stmt(
                tx,
                "INSERT INTO changes (entity, row_id, scope_unit, fields, op_id)
             VALUES ($1, $2, $3, $4, $5)",
            )
            .await?,
            &[
                &op.entity,
                &op.row_id,
                &scope,
                &Json(&merged.fields),
                &op.op_id,
            ],
        )
        .await?;
    }
    Ok(rules::merged_result(op, merged))
}

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
    let mut results = Vec::with_capacity(ops.len());
    for op in ops {
        results.push(apply_op(&tx, device, op, now).await?);
    }
    let high_water: i64 = tx
        .query_one(
            &stmt(
                &tx,
                "SELECT coalesce(max(device_seq), 0) FROM ops_received WHERE device_id = $1",
            )
            .await?,
            &[&device.device_id],
        )
        .await?
        .get(0);
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
) -> StorageResult<PullAnswer> {
    // One snapshot for the head and the page, so that the two agree.
    let tx = client
        .build_transaction()
        .isolation_level(IsolationLevel::RepeatableRead)
        .read_only(true)
        .start()
        .await?;
    let head: i64 = tx
        .query_one(
            &stmt(&tx, "SELECT coalesce(max(version), 0) FROM changes").await?,
            &[],
        )
        .await?
        .get(0);
    let rows = tx
        .query(
            &stmt(
                &tx,
                &format!(
                    "{SUBTREE} SELECT version, entity, row_id, fields FROM changes
                     WHERE version > $2 AND version <= $3 AND scope_unit IN (SELECT id FROM subtree)
                     ORDER BY version LIMIT $4"
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
                scope_exit: false,
            }
        })
        .collect();
    Ok(rules::page(changes, cursor, head, limit))
}
