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
//! Scope: a row lies where its fields say ([`super::scopes`]); a row that moves is logged as a
//! scope exit under its old scope and in full under the new one, and the rows that follow it
//! move with it, in the same transaction.

use std::collections::{BTreeMap, HashSet};

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use uuid::Uuid;

use khuyenhoc_sync_protocol::{Change, EntityKind, FieldState, Op, OpResult, RowState};

use super::scopes::{self, Placement};
use super::successors;
use super::sync_rules::{self as rules};
use super::{AuthenticatedDevice, PullAnswer, PushAnswer, StorageError, StorageResult};

/// Units in the subtree of `?1` (the device's unit), as a CTE to prefix queries with.
const SUBTREE: &str = "WITH RECURSIVE subtree(id) AS (
        SELECT ?1 UNION SELECT u.id FROM org_units u JOIN subtree s ON u.parent_id = s.id)";

/// The device's subtree (its unit and every unit below it), read once per push.
struct Subtree(HashSet<Uuid>);

impl Subtree {
    fn read(tx: &rusqlite::Transaction<'_>, root: Uuid) -> StorageResult<Subtree> {
        let mut stmt = tx.prepare_cached(&format!("{SUBTREE} SELECT id FROM subtree"))?;
        let ids = stmt
            .query_map([root.to_string()], |r| r.get::<_, String>(0))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(Subtree(
            ids.iter().filter_map(|id| id.parse().ok()).collect(),
        ))
    }

    fn contains(&self, unit: Uuid) -> bool {
        self.0.contains(&unit)
    }
}

fn db_err(e: impl std::error::Error + Send + Sync + 'static) -> StorageError {
    StorageError::Database(Box::new(e))
}

fn load_row(
    tx: &rusqlite::Transaction<'_>,
    entity: &str,
    row_id: &str,
) -> StorageResult<Option<(RowState, Placement)>> {
    let row: Option<(String, String, Option<String>)> = tx
        .prepare_cached(
            "SELECT state, scope_unit, scope_parent FROM sync_rows
             WHERE entity = ?1 AND row_id = ?2",
        )?
        .query_row(params![entity, row_id], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .optional()?;
    row.map(|(state, scope, parent)| {
        let json = serde_json::from_str(&state).map_err(db_err)?;
        let scope = scope.parse().map_err(db_err)?;
        Ok((rules::row_state(json)?, Placement { scope, parent }))
    })
    .transpose()
}

/// Where the op's row (as merged into `row`) lies now ([`scopes::place`]).
fn place(
    tx: &rusqlite::Transaction<'_>,
    device: &AuthenticatedDevice,
    subtree: &Subtree,
    (kind, op): (&EntityKind, &Op),
    row: &RowState,
    existing: Option<&Placement>,
) -> StorageResult<Result<Placement, OpResult>> {
    if !scopes::needs_placing(kind, op, existing.is_some()) {
        return Ok(Ok(existing.cloned().expect("an existing row")));
    }
    let sources = scopes::sources(kind, row);
    let code_unit = match sources.code {
        Some(code) => tx
            .prepare_cached("SELECT id FROM org_units WHERE org_code = ?1")?
            .query_row([code], |r| r.get::<_, String>(0))
            .optional()?
            .and_then(|id| id.parse().ok())
            .filter(|unit| subtree.contains(*unit)),
        None => None,
    };
    let parent_scope = match (code_unit, sources.parent) {
        (None, Some((entity, id))) if id != op.row_id => {
            load_row(tx, entity, id)?.map(|(_, p)| p.scope)
        }
        _ => None,
    };
    Ok(scopes::place(
        op,
        sources,
        code_unit,
        parent_scope,
        existing,
        device.unit.id,
        |unit| subtree.contains(unit),
    ))
}

/// One change-log entry: the row's `fields` under `scope`, or its exit from `scope` to
/// `exit_to` (no fields).
fn log_change(
    tx: &rusqlite::Transaction<'_>,
    entity: &str,
    row_id: &str,
    scope: Uuid,
    fields: &BTreeMap<String, FieldState>,
    exit_to: Option<Uuid>,
    op: &Op,
) -> StorageResult<()> {
    tx.prepare_cached(
        "INSERT INTO changes (entity, row_id, scope_unit, fields, op_id, author, exit_to)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![
        entity,
        row_id,
        scope.to_string(),
        serde_json::to_string(fields).unwrap_or_default(),
        op.op_id,
        op.author,
        exit_to.map(|u| u.to_string())
    ])?;
    Ok(())
}

/// A row that moved from `from` to `to`: its exit under the old scope, its whole state under
/// the new one.
fn log_move(
    tx: &rusqlite::Transaction<'_>,
    entity: &str,
    row_id: &str,
    (from, to): (Uuid, Uuid),
    row: &RowState,
    op: &Op,
) -> StorageResult<()> {
    log_change(tx, entity, row_id, from, &BTreeMap::new(), Some(to), op)?;
    log_change(tx, entity, row_id, to, &row.fields, None, op)
}

/// The rows that follow `leader` (and those that follow them) to `scope`, each logged as a
/// move.
fn take_followers(
    tx: &rusqlite::Transaction<'_>,
    leader: &str,
    scope: Uuid,
    op: &Op,
) -> StorageResult<()> {
    let mut leaders = vec![leader.to_owned()];
    while let Some(leader) = leaders.pop() {
        let followers: Vec<(String, String, String, String)> = tx
            .prepare_cached(
                "SELECT entity, row_id, state, scope_unit FROM sync_rows
                 WHERE scope_parent = ?1 AND scope_unit <> ?2",
            )?
            .query_map(params![leader, scope.to_string()], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
            })?
            .collect::<rusqlite::Result<_>>()?;
        for (entity, row_id, state, from) in followers {
            let row = rules::row_state(serde_json::from_str(&state).map_err(db_err)?)?;
            tx.prepare_cached(
                "UPDATE sync_rows SET scope_unit = ?3 WHERE entity = ?1 AND row_id = ?2",
            )?
            .execute(params![entity, row_id, scope.to_string()])?;
            log_move(
                tx,
                &entity,
                &row_id,
                (from.parse().map_err(db_err)?, scope),
                &row,
                op,
            )?;
            if scopes::may_lead(&entity) {
                leaders.push(row_id);
            }
        }
    }
    Ok(())
}

/// Applies one op inside the push transaction.
fn apply_op(
    tx: &rusqlite::Transaction<'_>,
    device: &AuthenticatedDevice,
    subtree: &Subtree,
    refused: &mut rules::RefusedRows,
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
        return replay(tx, subtree, refused, op);
    }
    // The same op renumbered by a copy of the laptop's file (a new device identity).
    let known: bool = tx.query_row(
        "SELECT EXISTS (SELECT 1 FROM ops_received WHERE op_id = ?1)",
        [&op.op_id],
        |r| r.get(0),
    )?;
    if known {
        return replay(tx, subtree, refused, op);
    }

    let result = match rules::refused_behind(op, refused) {
        Some(refused) => refused_behind(tx, subtree, op, refused)?,
        None => decide(tx, device, subtree, op)?,
    };
    rules::note_refusal(op, &result, refused);
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
    // Conflicts lie on the row the op changed (the record it was merged into, if so).
    let changed_row = result.landed.as_ref().map_or(&op.row_id, |l| &l.row_id);
    for c in rules::conflicts_of(&result) {
        tx.execute(
            "INSERT INTO conflicts (op_id, entity, row_id, field, kept, lost, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                op.op_id,
                op.entity,
                changed_row,
                c.field,
                serde_json::to_string(&c.kept).unwrap_or_default(),
                serde_json::to_string(&c.lost).unwrap_or_default(),
                now_ms
            ],
        )?;
    }
    Ok(result)
}

/// The refusal of an op behind a refused one ([`rules::refused_behind`]), told with what the
/// laptop puts back: the fields of the record it aimed at, when the device sees it, and its own
/// record's when it was merged into another.
fn refused_behind(
    tx: &rusqlite::Transaction<'_>,
    subtree: &Subtree,
    op: &Op,
    refused: OpResult,
) -> StorageResult<OpResult> {
    let (own, target, existing) = follow_redirects(tx, op)?;
    let visible = existing
        .as_ref()
        .filter(|(_, placement)| subtree.contains(placement.scope))
        .map(|(row, _)| row);
    let result = rules::with_fields_back(refused, &target, visible);
    Ok(rules::landed(
        result,
        op,
        own.as_ref().map(|(row, _)| row),
        &target.row_id,
    ))
}

/// A retried op's answer; a refusal again holds its row's later ops in this push back too.
fn replay(
    tx: &rusqlite::Transaction<'_>,
    subtree: &Subtree,
    refused: &mut rules::RefusedRows,
    op: &Op,
) -> StorageResult<OpResult> {
    let result = duplicate(tx, subtree, op)?;
    rules::note_refusal(op, &result, refused);
    Ok(result)
}

/// A retried op's answer (see [`rules::replayed`]).
fn duplicate(
    tx: &rusqlite::Transaction<'_>,
    subtree: &Subtree,
    op: &Op,
) -> StorageResult<OpResult> {
    let (own, target, existing) = follow_redirects(tx, op)?;
    let visible = existing
        .as_ref()
        .filter(|(_, placement)| subtree.contains(placement.scope))
        .map(|(row, _)| row);
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
    let result = rules::replayed(&target, refused, conflicts, visible);
    Ok(rules::landed(
        result,
        op,
        own.as_ref().map(|(row, _)| row),
        &target.row_id,
    ))
}

/// The op's row as it stands, and where the op lands: on its own row, or on the record that row
/// was merged into (an edit made offline before the merge was known), followed a few merges
/// deep; with the row it lands on.
type Redirect<'a> = (
    Option<(RowState, Placement)>,
    std::borrow::Cow<'a, Op>,
    Option<(RowState, Placement)>,
);

fn follow_redirects<'a>(tx: &rusqlite::Transaction<'_>, op: &'a Op) -> StorageResult<Redirect<'a>> {
    let own = load_row(tx, &op.entity, &op.row_id)?;
    let mut existing = own.clone();
    let mut target = std::borrow::Cow::Borrowed(op);
    for _ in 0..rules::MAX_REDIRECTS {
        let Some(survivor) = existing
            .as_ref()
            .and_then(|(row, _)| rules::redirect_target(&target, row))
        else {
            break;
        };
        let next = rules::redirected(&target, survivor);
        match load_row(tx, &next.entity, &next.row_id)? {
            Some(row) => {
                existing = Some(row);
                target = std::borrow::Cow::Owned(next);
            }
            None => break,
        }
    }
    Ok((own, target, existing))
}

/// Authority, kind, merge and place of a new op, on the record it lands on ([`follow_redirects`]);
/// the answer tells where it landed.
fn decide(
    tx: &rusqlite::Transaction<'_>,
    device: &AuthenticatedDevice,
    subtree: &Subtree,
    op: &Op,
) -> StorageResult<OpResult> {
    let kind = match rules::known_entity(op) {
        Ok(kind) => kind,
        Err(refused) => return Ok(refused),
    };
    let (own, target, existing) = follow_redirects(tx, op)?;
    let result = decide_on(tx, device, subtree, kind, &target, existing)?;
    Ok(rules::landed(
        result,
        op,
        own.as_ref().map(|(row, _)| row),
        &target.row_id,
    ))
}

/// [`decide`] on the record the op lands on (`existing`, as it stands); writes the row and the
/// change log when it applies, and moves the rows that follow it when it moved.
fn decide_on(
    tx: &rusqlite::Transaction<'_>,
    device: &AuthenticatedDevice,
    subtree: &Subtree,
    kind: &EntityKind,
    op: &Op,
    existing: Option<(RowState, Placement)>,
) -> StorageResult<OpResult> {
    // A row deleted and purged since: a late edit does not bring half of it back.
    if existing.is_none() && super::sqlite_purge::is_purged(tx, &op.entity, &op.row_id)? {
        return Ok(rules::refused_as_purged(op));
    }
    let current = existing
        .as_ref()
        .map(|(row, placement)| (row, subtree.contains(placement.scope)));
    let mut merged = match rules::decide(kind, op, current) {
        Ok(merged) => merged,
        Err(refused) => return Ok(refused),
    };
    if merged.unchanged {
        return Ok(rules::merged_result(op, merged));
    }
    if let Some(survivor) = successors::merged_away(op, &merged)
        && successors::closes_a_loop(&op.row_id, &survivor, |id| unit_merged_into(tx, id))?
    {
        let current = current.map(|(row, _)| row.clone()).unwrap_or_default();
        return Ok(successors::merge_loop_refused(op, &current));
    }
    if let Some(unit) = successors::linked_unit(op, &merged).map(str::to_owned)
        && let Some(to) = successors::successor(&unit, |id| unit_merged_into(tx, id))?
    {
        successors::follow_successor(op, &mut merged, &to);
    }
    let was = existing.as_ref().map(|(_, placement)| placement);
    let placement = match place(tx, device, subtree, (kind, op), &merged.row, was)? {
        Ok(placement) => placement,
        Err(refused) => return Ok(refused),
    };
    tx.prepare_cached(
        "INSERT INTO sync_rows (entity, row_id, scope_unit, scope_parent, state)
         VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (entity, row_id) DO UPDATE
             SET state = excluded.state, scope_unit = excluded.scope_unit,
                 scope_parent = excluded.scope_parent",
    )?
    .execute(params![
        op.entity,
        op.row_id,
        placement.scope.to_string(),
        placement.parent,
        serde_json::to_string(&merged.row.fields).unwrap_or_default()
    ])?;
    let moved_from = was.map(|p| p.scope).filter(|from| *from != placement.scope);
    match moved_from {
        Some(from) => log_move(
            tx,
            &op.entity,
            &op.row_id,
            (from, placement.scope),
            &merged.row,
            op,
        )?,
        None => log_change(
            tx,
            &op.entity,
            &op.row_id,
            placement.scope,
            &merged.fields,
            None,
            op,
        )?,
    }
    // Rows that follow this one: those of a moved row go with it; those that came before it
    // (their leader unknown then) join it.
    if (was.is_none() || moved_from.is_some()) && scopes::may_lead(&op.entity) {
        take_followers(tx, &op.row_id, placement.scope, op)?;
    }
    if let Some(survivor) = successors::merged_away(op, &merged) {
        take_heirs(tx, (&op.row_id, &survivor), op)?;
    }
    Ok(rules::merged_result(op, merged))
}

/// The unit the org unit `id` was merged into, if the server holds it and it was. Asked for the
/// unit of every new member: one field read in SQLite, not the whole row parsed.
fn unit_merged_into(tx: &rusqlite::Transaction<'_>, id: &str) -> StorageResult<Option<String>> {
    let survivor: Option<Option<String>> = tx
        .prepare_cached(
            "SELECT CASE WHEN json_type(state, '$.merged_into.value') = 'text'
                    THEN json_extract(state, '$.merged_into.value') END
             FROM sync_rows WHERE entity = 'org_unit' AND row_id = ?1",
        )?
        .query_row([id], |r| r.get(0))
        .optional()?;
    Ok(survivor.flatten().filter(|s| !s.is_empty()))
}

/// The members and open sub-units still in `unit`, which `op` merged into `survivor`, go there
/// ([`successors::heir`]), each logged as a change of its link, or as a move (taking its own
/// followers) when the survivor lies in another scope.
fn take_heirs(
    tx: &rusqlite::Transaction<'_>,
    (unit, survivor): (&str, &str),
    op: &Op,
) -> StorageResult<()> {
    // Merged into a unit merged away meanwhile: they go on to where that one went.
    let survivor = &successors::successor(survivor, |id| unit_merged_into(tx, id))?
        .unwrap_or_else(|| survivor.to_owned());
    let to = load_row(tx, "org_unit", survivor)?.map(|(_, p)| p.scope);
    let rows: Vec<(String, String, String, String)> = tx
        .prepare_cached(
            "SELECT entity, row_id, state, scope_unit FROM sync_rows WHERE scope_parent = ?1",
        )?
        .query_map([unit], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
        .collect::<rusqlite::Result<_>>()?;
    for (entity, row_id, state, from) in rows {
        let mut row = rules::row_state(serde_json::from_str(&state).map_err(db_err)?)?;
        let Some((field, link)) =
            successors::heir((&entity, &row_id), &row, (unit, survivor), &op.version)
        else {
            continue;
        };
        row.fields.insert(field.to_owned(), link.clone());
        let from: Uuid = from.parse().map_err(db_err)?;
        let to = to.unwrap_or(from);
        tx.prepare_cached(
            "UPDATE sync_rows SET state = ?3, scope_unit = ?4, scope_parent = ?5
             WHERE entity = ?1 AND row_id = ?2",
        )?
        .execute(params![
            entity,
            row_id,
            serde_json::to_string(&row.fields).unwrap_or_default(),
            to.to_string(),
            survivor
        ])?;
        if from == to {
            let fields = BTreeMap::from([(field.to_owned(), link)]);
            log_change(tx, &entity, &row_id, to, &fields, None, op)?;
        } else {
            log_move(tx, &entity, &row_id, (from, to), &row, op)?;
            if scopes::may_lead(&entity) {
                take_followers(tx, &row_id, to, op)?;
            }
        }
    }
    Ok(())
}

pub fn push(
    conn: &mut Connection,
    device: &AuthenticatedDevice,
    ops: &[Op],
    now_ms: i64,
) -> StorageResult<PushAnswer> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let subtree = Subtree::read(&tx, device.unit.id)?;
    let mut refused = rules::RefusedRows::new();
    let mut results = Vec::with_capacity(ops.len());
    for op in ops {
        results.push(apply_op(&tx, device, &subtree, &mut refused, op, now_ms)?);
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
            "{SUBTREE} SELECT version, entity, row_id, fields, author, exit_to IS NOT NULL
             FROM changes
             WHERE version > ?2 AND version <= ?3 AND scope_unit IN (SELECT id FROM subtree)
               AND (exit_to IS NULL OR exit_to NOT IN (SELECT id FROM subtree))
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
                    scope_exit: r.get(5)?,
                    author: r.get(4)?,
                })
            },
        )?
        .collect::<rusqlite::Result<_>>()?
    };
    tx.commit()?;
    Ok(rules::page(changes, cursor, head, limit))
}
