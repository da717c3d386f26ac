//! Push and pull on the SQLite server database. A push is one transaction: for each op, in
//! device-sequence order, the exactly-once check (`(device_id, device_seq)` and the op id), the
//! authority check (a row outside the device's org-unit subtree is refused, and nothing of it is
//! told), the merge (`khuyenhoc_sync_protocol::merge`, the one function both sides share), the
//! new row state, one change-log entry and the conflicts. A reused sequence aborts the whole
//! push, so nothing of it is applied or acknowledged. A pull reads, in one read transaction, the
//! changes after a cursor whose rows lie in the device's subtree. The rules themselves are in
//! [`super::sync_rules`], shared with PostgreSQL; this module reads and writes the rows.
//!
//! SQLite lets one writer in at a time (`BEGIN IMMEDIATE`), so versions are given and
//! committed in order and a pull never sees a version before a smaller one. A pull writes too:
//! the device's progress, which the tombstone purge reads ([`super::sqlite_purge`]); a new op
//! against a purged row is refused.
//!
//! Scope, in this first slice: a new row belongs to the org unit of the device that created it
//! (its commune), and stays there. Scopes below the commune, moves between communes and scope
//! exits come with the next step of the sync issue.

use std::collections::BTreeMap;

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use uuid::Uuid;

use khuyenhoc_sync_protocol::{Change, Op, OpResult, RowState};

use super::sync_rules::{self as rules};
use super::{AuthenticatedDevice, PullAnswer, PushAnswer, StorageError, StorageResult};

/// Units in the subtree of `?1` (the device's unit), as a CTE to prefix queries with.
const SUBTREE: &str = "WITH RECURSIVE subtree(id) AS (
        SELECT ?1 UNION SELECT u.id FROM org_units u JOIN subtree s ON u.parent_id = s.id)";

fn load_row(tx: &rusqlite::Transaction<'_>, op: &Op) -> StorageResult<Option<(RowState, String)>> {
    let row: Option<(String, String)> = tx
        .query_row(
            "SELECT state, scope_unit FROM sync_rows WHERE entity = ?1 AND row_id = ?2",
            params![op.entity, op.row_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    row.map(|(state, scope)| {
        let json = serde_json::from_str(&state).map_err(|e| StorageError::Database(Box::new(e)))?;
        Ok((rules::row_state(json)?, scope))
    })
    .transpose()
}

fn in_subtree(tx: &rusqlite::Transaction<'_>, unit: &str, root: Uuid) -> StorageResult<bool> {
    Ok(tx.query_row(
        &format!("{SUBTREE} SELECT EXISTS (SELECT 1 FROM subtree WHERE id = ?2)"),
        params![root.to_string(), unit],
        |r| r.get(0),
    )?)
}

/// Applies one op inside the push transaction.
fn apply_op(
    tx: &rusqlite::Transaction<'_>,
    device: &AuthenticatedDevice,
    op: &Op,
    now_ms: i64,
) -> StorageResult<OpResult> {
    let device_id = device.device_id.to_string();
    // Exactly once: the same op again is a duplicate; another op under its sequence is refused.
    let seen: Option<String> = tx
        .query_row(
            "SELECT op_id FROM ops_received WHERE device_id = ?1 AND device_seq = ?2",
            params![device_id, op.device_seq],
            |r| r.get(0),
        )
        .optional()?;
    if rules::seen_under_sequence(op, seen.as_deref())? {
        return duplicate(tx, device, op);
    }
    // The same op renumbered by a copy of the laptop's file (a new device identity).
    let known: bool = tx.query_row(
        "SELECT EXISTS (SELECT 1 FROM ops_received WHERE op_id = ?1)",
        [&op.op_id],
        |r| r.get(0),
    )?;
    if known {
        return duplicate(tx, device, op);
    }

    let result = decide(tx, device, op)?;
    let (outcome, code, reason) = rules::recorded(&result);
    tx.execute(
        "INSERT INTO ops_received
             (device_id, device_seq, op_id, entity, row_id, outcome, reject_code, reject_reason, received_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![
            device_id,
            op.device_seq,
            op.op_id,
            op.entity,
            op.row_id,
            outcome,
            code,
            reason,
            now_ms
        ],
    )?;
    for c in rules::conflicts_of(&result) {
        tx.execute(
            "INSERT INTO conflicts (op_id, entity, row_id, field, kept, lost, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                op.op_id,
                op.entity,
                op.row_id,
                c.field,
                serde_json::to_string(&c.kept).unwrap_or_default(),
                serde_json::to_string(&c.lost).unwrap_or_default(),
                now_ms
            ],
        )?;
    }
    Ok(result)
}

/// A retried op's answer (see [`rules::replayed`]).
fn duplicate(
    tx: &rusqlite::Transaction<'_>,
    device: &AuthenticatedDevice,
    op: &Op,
) -> StorageResult<OpResult> {
    let fields = match load_row(tx, op)? {
        Some((row, scope)) if in_subtree(tx, &scope, device.unit.id)? => {
            rules::current_fields(&row, op)
        }
        _ => BTreeMap::new(),
    };
    let refused: Option<(Option<String>, Option<String>)> = tx
        .query_row(
            "SELECT reject_code, reject_reason FROM ops_received
             WHERE op_id = ?1 AND outcome = 'rejected'",
            [&op.op_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let mut conflicts = Vec::new();
    {
        let mut stmt = tx.prepare_cached(
            "SELECT field, kept, lost FROM conflicts WHERE op_id = ?1 ORDER BY id",
        )?;
        let mut rows = stmt.query([&op.op_id])?;
        while let Some(r) = rows.next()? {
            let json = |i| -> StorageResult<serde_json::Value> {
                let text: String = r.get(i)?;
                serde_json::from_str(&text).map_err(|e| StorageError::Database(Box::new(e)))
            };
            conflicts.push(rules::recorded_conflict(op, r.get(0)?, json(1)?, json(2)?)?);
        }
    }
    Ok(rules::replayed(op, refused, conflicts, fields))
}

/// Authority, kind and merge of a new op; writes the row and the change when it applies.
fn decide(
    tx: &rusqlite::Transaction<'_>,
    device: &AuthenticatedDevice,
    op: &Op,
) -> StorageResult<OpResult> {
    let kind = match rules::known_entity(op) {
        Ok(kind) => kind,
        Err(refused) => return Ok(refused),
    };
    let mut existing = load_row(tx, op)?;
    // An edit of a record merged away (made offline before the merge was known) lands on the
    // record it was merged into.
    let mut target = std::borrow::Cow::Borrowed(op);
    for _ in 0..rules::MAX_REDIRECTS {
        let Some(survivor) = existing
            .as_ref()
            .and_then(|(row, _)| rules::redirect_target(&target, row))
        else {
            break;
        };
        let next = rules::redirected(&target, survivor);
        match load_row(tx, &next)? {
            Some(row) => {
                existing = Some(row);
                target = std::borrow::Cow::Owned(next);
            }
            None => break,
        }
    }
    let op = target.as_ref();
    // A row deleted and purged since: a late edit does not bring half of it back.
    if existing.is_none() && super::sqlite_purge::is_purged(tx, &op.entity, &op.row_id)? {
        return Ok(rules::refused_as_purged(op));
    }
    let in_scope = match &existing {
        Some((_, scope)) => in_subtree(tx, scope, device.unit.id)?,
        None => true,
    };
    let merged = match rules::decide(kind, op, existing.as_ref().map(|(row, _)| (row, in_scope))) {
        Ok(merged) => merged,
        Err(refused) => return Ok(refused),
    };
    let scope = match &existing {
        Some((_, scope)) => scope.clone(),
        None => device.unit.id.to_string(),
    };
    if !merged.unchanged {
        tx.execute(
            "INSERT INTO sync_rows (entity, row_id, scope_unit, state) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (entity, row_id) DO UPDATE SET state = excluded.state",
            params![
                op.entity,
                op.row_id,
                scope,
                serde_json::to_string(&merged.row.fields).unwrap_or_default()
            ],
        )?;
        tx.execute(
            "INSERT INTO changes (entity, row_id, scope_unit, fields, op_id, author) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                op.entity,
                op.row_id,
                scope,
                serde_json::to_string(&merged.fields).unwrap_or_default(),
                op.op_id,
                op.author
            ],
        )?;
    }
    Ok(rules::merged_result(op, merged))
}

pub fn push(
    conn: &mut Connection,
    device: &AuthenticatedDevice,
    ops: &[Op],
    now_ms: i64,
) -> StorageResult<PushAnswer> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let mut results = Vec::with_capacity(ops.len());
    for op in ops {
        results.push(apply_op(&tx, device, op, now_ms)?);
    }
    let high_water: i64 = tx.query_row(
        "SELECT coalesce(max(device_seq), 0) FROM ops_received WHERE device_id = ?1",
        [device.device_id.to_string()],
        |r| r.get(0),
    )?;
    tx.commit()?;
    Ok(PushAnswer {
        results,
        high_water,
    })
}

/// A page of changes for `device` after `cursor`. The device's progress is recorded in the
/// same transaction (the purge reads it); a cursor below the purge point is refused
/// ([`super::purge::cursor_purged`]).
pub fn pull(
    conn: &mut Connection,
    device: &AuthenticatedDevice,
    cursor: i64,
    limit: u32,
    now_ms: i64,
) -> StorageResult<PullAnswer> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let purged_through = super::sqlite_purge::purged_through(&tx)?;
    let clean_through =
        super::sqlite_purge::record_pull(&tx, device.device_id, cursor, now_ms, purged_through)?;
    if super::purge::cursor_purged(cursor, purged_through, clean_through) {
        // The device was seen all the same.
        tx.commit()?;
        return Err(StorageError::CursorPurged {
            cursor,
            purged_through,
        });
    }
    let newest: i64 = tx.query_row("SELECT coalesce(max(version), 0) FROM changes", [], |r| {
        r.get(0)
    })?;
    let head = super::purge::head(newest, purged_through);
    let changes: Vec<Change> = {
        let mut stmt = tx.prepare(&format!(
            "{SUBTREE} SELECT version, entity, row_id, fields, author FROM changes
             WHERE version > ?2 AND version <= ?3 AND scope_unit IN (SELECT id FROM subtree)
             ORDER BY version LIMIT ?4"
        ))?;
        stmt.query_map(
            params![device.unit.id.to_string(), cursor, head, limit],
            |r| {
                let fields: String = r.get(3)?;
                Ok(Change {
                    version: r.get(0)?,
                    entity: r.get(1)?,
                    row_id: r.get(2)?,
                    fields: serde_json::from_str(&fields).unwrap_or_default(),
                    scope_exit: false,
                    author: r.get(4)?,
                })
            },
        )?
        .collect::<rusqlite::Result<_>>()?
    };
    tx.commit()?;
    Ok(rules::page(changes, cursor, head, limit))
}
