//! The push on PostgreSQL, in three steps so that a batch of ops costs a handful of round trips
//! instead of several per op: read everything the batch needs (the sequences and op ids already
//! received, the rows it touches, the device's subtree), decide every op in memory in device
//! sequence order with the rules of [`super::sync_rules`] (as SQLite does row by row: later ops
//! of the batch see the earlier ones), then write the received ops, the rows, the change log
//! and the conflicts with one statement each. All of it runs inside the push transaction, after
//! the push lock (see [`super::postgres_sync`]), so nothing changes under the reads. Where each
//! row lies is decided with the rest ([`super::scopes`]): the rows a batch's rows follow are read
//! with them, and the rows that follow a moved one are read and moved after the batch is decided.

use std::collections::{HashMap, HashSet};

use jiff::Timestamp;
use tokio_postgres::types::Json;
use uuid::Uuid;

use khuyenhoc_sync_protocol::{FieldState, Op, OpResult, RowState, entity};

use super::postgres_sync::{SUBTREE, Tx, stmt};
use super::scopes::{self, Placement};
use super::successors;

mod moves;

use super::sync_rules as rules;
use super::{AuthenticatedDevice, StorageResult};
use moves::{closes_a_loop, follow_successor, take_followers, take_heirs};

/// A row the batch touches, as it stands after the ops decided so far.
struct Row {
    state: RowState,
    scope: Uuid,
    /// The row it follows ([`Placement::parent`]).
    parent: Option<String>,
    /// Changed by this batch: to be written.
    dirty: bool,
}

impl Row {
    fn placement(&self) -> Placement {
        Placement {
            scope: self.scope,
            parent: self.parent.clone(),
        }
    }
}

/// How an op already received was answered: its outcome, reject code and reason.
type Received = (String, Option<String>, Option<String>);

/// What the batch reads before deciding.
struct Known {
    /// Op ids by device sequence, for this device.
    by_seq: HashMap<i64, String>,
    /// Every op id of the batch already received (by any device), with its answer.
    by_id: HashMap<String, Received>,
    rows: HashMap<(String, String), Row>,
    /// The conflicts recorded for ops of the batch already received, by op id (told again).
    conflicts: HashMap<String, Vec<(String, serde_json::Value, serde_json::Value)>>,
    /// The units of the device's subtree.
    subtree: HashSet<Uuid>,
    /// The units of the device's subtree by official code (an org unit binds to one).
    codes: HashMap<String, Uuid>,
    /// The device's highest sequence received before this batch.
    high_water: i64,
    /// The rows of the batch that do not exist because they were purged.
    purged: HashSet<(String, String)>,
    /// Rows with an op refused earlier in this push.
    refused: rules::RefusedRows,
}

const ROWS_SQL: &str = "SELECT s.entity, s.row_id, s.state, s.scope_unit, s.scope_parent
     FROM sync_rows s
     JOIN unnest($1::text[], $2::text[]) AS k(entity, row_id)
       ON s.entity = k.entity AND s.row_id = k.row_id";

/// The rows of `keys` (entity, row id) that exist.
async fn load_rows(
    tx: &Tx<'_>,
    keys: &[(String, String)],
) -> StorageResult<Vec<tokio_postgres::Row>> {
    let entities: Vec<&str> = keys.iter().map(|k| k.0.as_str()).collect();
    let row_ids: Vec<&str> = keys.iter().map(|k| k.1.as_str()).collect();
    Ok(tx
        .query(&stmt(tx, ROWS_SQL).await?, &[&entities, &row_ids])
        .await?)
}

fn to_rows(rows: Vec<tokio_postgres::Row>) -> StorageResult<Vec<((String, String), Row)>> {
    rows.iter()
        .map(|r| {
            Ok((
                (r.get(0), r.get(1)),
                Row {
                    state: rules::row_state(r.get(2))?,
                    scope: r.get(3),
                    parent: r.get(4),
                    dirty: false,
                },
            ))
        })
        .collect()
}

async fn query(
    tx: &Tx<'_>,
    sql: &str,
    params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
) -> StorageResult<Vec<tokio_postgres::Row>> {
    Ok(tx.query(&stmt(tx, sql).await?, params).await?)
}

/// Reads what the batch needs. The first reads go out together (tokio-postgres pipelines
/// queries polled at once on one connection: one round trip, not five).
async fn read(tx: &Tx<'_>, device: &AuthenticatedDevice, ops: &[Op]) -> StorageResult<Known> {
    let seqs: Vec<i64> = ops.iter().map(|o| o.device_seq).collect();
    let ids: Vec<&str> = ops.iter().map(|o| o.op_id.as_str()).collect();
    let mut wanted: Vec<(String, String)> = ops
        .iter()
        .map(|o| (o.entity.clone(), o.row_id.clone()))
        .collect();
    let subtree_sql =
        format!("{SUBTREE} SELECT s.id, u.org_code FROM subtree s JOIN org_units u ON u.id = s.id");
    let (by_device, by_ids, by_unit): (Params<1>, Params<1>, Params<1>) =
        ([&device.device_id], [&ids], [&device.unit.id]);
    let (id_rows, first_rows, subtree_rows, high_water, mut purged) = tokio::try_join!(
        query(
            tx,
            "SELECT op_id, outcome, reject_code, reject_reason FROM ops_received
             WHERE op_id = ANY($1)",
            &by_ids,
        ),
        load_rows(tx, &wanted),
        query(tx, &subtree_sql, &by_unit),
        query(
            tx,
            "SELECT coalesce(max(device_seq), 0) FROM ops_received WHERE device_id = $1",
            &by_device,
        ),
        super::postgres_purge::purged_among(tx, &wanted),
    )?;
    let high_water: i64 = high_water[0].get(0);
    // Only a number the device already used can clash: a push of new ops (the usual case)
    // skips the lookup, which on a table grown since its plan was cached reads every op of
    // the device. A join rather than `device_seq = ANY($2)` for the same reason.
    let used: Vec<i64> = seqs.into_iter().filter(|s| *s <= high_water).collect();
    let by_seq = if used.is_empty() {
        HashMap::new()
    } else {
        query(
            tx,
            "SELECT r.device_seq, r.op_id FROM unnest($2::bigint[]) AS s(seq)
             JOIN ops_received r ON r.device_id = $1 AND r.device_seq = s.seq",
            &[&device.device_id, &used],
        )
        .await?
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect()
    };
    let by_id: HashMap<String, Received> = id_rows
        .iter()
        .map(|r| (r.get(0), (r.get(1), r.get(2), r.get(3))))
        .collect();
    let met: Vec<&str> = ops
        .iter()
        .map(|o| o.op_id.as_str())
        .filter(|id| matches!(by_id_outcome(&by_id, id), Some("conflict")))
        .collect();
    let mut conflicts: HashMap<String, Vec<_>> = HashMap::new();
    if !met.is_empty() {
        for r in query(
            tx,
            "SELECT op_id, field, kept, lost FROM conflicts WHERE op_id = ANY($1) ORDER BY id",
            &[&met],
        )
        .await?
        {
            let (kept, lost): (Json<serde_json::Value>, Json<serde_json::Value>) =
                (r.get(2), r.get(3));
            conflicts
                .entry(r.get(0))
                .or_default()
                .push((r.get(1), kept.0, lost.0));
        }
    }
    let mut rows = HashMap::new();
    // The ops' rows, then the records those were merged into (an edit of a record merged
    // away lands on its survivor), a few merges deep.
    let mut loaded = to_rows(first_rows)?;
    for _ in 0..=rules::MAX_REDIRECTS {
        wanted = Vec::new();
        for (key, row) in loaded {
            if let Some(survivor) = row
                .state
                .fields
                .get("merged_into")
                .and_then(|f| f.value.as_str())
            {
                let next = (key.0.clone(), survivor.to_owned());
                if !rows.contains_key(&next) && next != key {
                    wanted.push(next);
                }
            }
            rows.entry(key).or_insert(row);
        }
        if wanted.is_empty() {
            break;
        }
        loaded = to_rows(load_rows(tx, &wanted).await?)?;
    }
    // Keys purged and not re-created under their redirects.
    purged.retain(|k| !rows.contains_key(k));
    // The rows the batch's rows may follow (by the ops' values or the rows' own), for placing.
    let mut leaders: Vec<(String, String)> = Vec::new();
    for op in ops {
        let Some(kind) = entity(&op.entity) else {
            continue;
        };
        if let khuyenhoc_sync_protocol::ScopeRule::Follows { .. }
        | khuyenhoc_sync_protocol::ScopeRule::Unit = kind.scope
        {
            let states = [
                Some(&op_state(op)),
                rows.get(&(op.entity.clone(), op.row_id.clone()))
                    .map(|r| &r.state),
            ];
            // The unit an op merges its unit into (a merge must not close a loop).
            if let Some(survivor) = op
                .fields
                .get("merged_into")
                .and_then(|f| f.value.as_str())
                .filter(|_| op.entity == "org_unit")
            {
                let key = ("org_unit".to_owned(), survivor.to_owned());
                if !rows.contains_key(&key) {
                    leaders.push(key);
                }
            }
            for state in states.into_iter().flatten() {
                if let Some((entity, id)) = scopes::sources(kind, state).parent {
                    let key = (entity.to_owned(), id.to_owned());
                    if !rows.contains_key(&key) {
                        leaders.push(key);
                    }
                }
            }
        }
    }
    if !leaders.is_empty() {
        leaders.sort();
        leaders.dedup();
        for (key, row) in to_rows(load_rows(tx, &leaders).await?)? {
            rows.entry(key).or_insert(row);
        }
    }
    // The units those were merged into, a few merges deep: a record put in a unit merged away
    // goes to its successor.
    for _ in 0..rules::MAX_REDIRECTS {
        let mut survivors: Vec<(String, String)> = rows
            .iter()
            .filter(|((entity, _), _)| entity == "org_unit")
            .filter_map(|(_, row)| successors::merged_into(&row.state))
            .map(|survivor| ("org_unit".to_owned(), survivor))
            .filter(|key| !rows.contains_key(key))
            .collect();
        if survivors.is_empty() {
            break;
        }
        survivors.sort();
        survivors.dedup();
        let loaded = to_rows(load_rows(tx, &survivors).await?)?;
        if loaded.is_empty() {
            break;
        }
        for (key, row) in loaded {
            rows.entry(key).or_insert(row);
        }
    }
    Ok(Known {
        by_seq,
        by_id,
        rows,
        conflicts,
        subtree: subtree_rows.iter().map(|r| r.get(0)).collect(),
        codes: subtree_rows.iter().map(|r| (r.get(1), r.get(0))).collect(),
        high_water,
        purged,
        refused: rules::RefusedRows::new(),
    })
}

/// The op's fields as a row state (what its scope fields point at).
fn op_state(op: &Op) -> RowState {
    RowState {
        fields: op
            .fields
            .iter()
            .map(|(name, f)| {
                (
                    name.clone(),
                    FieldState {
                        value: f.value.clone(),
                        version: op.version.clone(),
                    },
                )
            })
            .collect(),
    }
}

fn by_id_outcome<'a>(by_id: &'a HashMap<String, Received>, id: &str) -> Option<&'a str> {
    by_id.get(id).map(|(outcome, _, _)| outcome.as_str())
}

/// An op received: device sequence, op id, entity, row id, outcome, reject code and reason.
type ReceivedRow = (
    i64,
    String,
    String,
    String,
    &'static str,
    Option<String>,
    Option<String>,
);

/// A change-log entry: entity, row id, scope, fields, op id, author, and where the row went when
/// it is a scope exit.
type ChangeRow = (
    String,
    String,
    Uuid,
    serde_json::Value,
    String,
    String,
    Option<Uuid>,
);

/// A conflict: op id, entity, row id, field, kept, lost.
type ConflictRow = (
    String,
    String,
    String,
    String,
    serde_json::Value,
    serde_json::Value,
);

/// What the batch writes, gathered while deciding.
#[derive(Default)]
struct Writes {
    received: Vec<ReceivedRow>,
    /// In op order.
    changes: Vec<ChangeRow>,
    conflicts: Vec<ConflictRow>,
    /// Rows created or moved whose followers go where they are at the end of the batch: the
    /// row's key, the op id and author.
    leaders: Vec<((String, String), String, String)>,
    /// Units merged away by the batch, whose members and open sub-units go to the survivor.
    heirs: Vec<Heirs>,
}

/// A unit an op of the batch merged away ([`successors::merged_away`]).
struct Heirs {
    unit: String,
    survivor: String,
    op_id: String,
    author: String,
    version: String,
}

impl Writes {
    /// A row that moved from `from` to `to`: its exit under the old scope, its whole state
    /// under the new one.
    fn moved(
        &mut self,
        (entity, row_id): (&str, &str),
        (from, to): (Uuid, Uuid),
        row: &RowState,
        (op_id, author): (&str, &str),
    ) {
        self.changes.push((
            entity.to_owned(),
            row_id.to_owned(),
            from,
            serde_json::json!({}),
            op_id.to_owned(),
            author.to_owned(),
            Some(to),
        ));
        self.changes.push((
            entity.to_owned(),
            row_id.to_owned(),
            to,
            to_json(&row.fields),
            op_id.to_owned(),
            author.to_owned(),
            None,
        ));
    }
}

fn to_json(v: &impl serde::Serialize) -> serde_json::Value {
    serde_json::to_value(v).unwrap_or_default()
}

/// Decides one op against what is known, updating it and gathering the writes.
fn decide(
    device: &AuthenticatedDevice,
    op: &Op,
    known: &mut Known,
    writes: &mut Writes,
) -> StorageResult<OpResult> {
    let own = known
        .rows
        .get(&(op.entity.clone(), op.row_id.clone()))
        .map(|row| row.state.clone());
    let (key, target) = follow_redirects(known, op);
    // Exactly once: the same op again is a duplicate; another op under its sequence is refused.
    // The same op renumbered by a copy of the laptop's file is a duplicate too.
    let seen = known.by_seq.get(&op.device_seq).map(String::as_str);
    if rules::seen_under_sequence(op, seen)? || known.by_id.contains_key(&op.op_id) {
        let visible = known
            .rows
            .get(&key)
            .filter(|row| known.subtree.contains(&row.scope))
            .map(|row| &row.state);
        let refused = match known.by_id.get(&op.op_id) {
            Some((outcome, code, reason)) if outcome == "rejected" => {
                Some((code.clone(), reason.clone()))
            }
            _ => None,
        };
        let conflicts = known
            .conflicts
            .get(&op.op_id)
            .into_iter()
            .flatten()
            .map(|(field, kept, lost)| {
                rules::recorded_conflict(op, field.clone(), kept.clone(), lost.clone())
            })
            .collect::<StorageResult<Vec<_>>>()?;
        let result = rules::replayed(&target, refused, conflicts, visible);
        let result = rules::landed(result, op, own.as_ref(), &target.row_id);
        // A refusal again holds the row's later ops in this push back too.
        rules::note_refusal(op, &result, &mut known.refused);
        return Ok(result);
    }

    if let Some(refused) = rules::refused_behind(op, &known.refused) {
        // Told with what the laptop puts back (see the SQLite module's `refused_behind`).
        let visible = known
            .rows
            .get(&key)
            .filter(|row| known.subtree.contains(&row.scope))
            .map(|row| &row.state);
        let result = rules::with_fields_back(refused, &target, visible);
        let result = rules::landed(result, op, own.as_ref(), &target.row_id);
        return Ok(record(op, &target.row_id, result, known, writes));
    }
    let original = op;
    let op = target.as_ref();

    let result = match rules::known_entity(op) {
        Err(refused) => refused,
        // A row deleted and purged since: a late edit does not bring half of it back.
        Ok(_) if !known.rows.contains_key(&key) && known.purged.contains(&key) => {
            rules::refused_as_purged(op)
        }
        Ok(kind) => {
            let existing = known
                .rows
                .get(&key)
                .map(|row| (&row.state, known.subtree.contains(&row.scope)));
            match rules::decide(kind, op, existing) {
                Err(refused) => refused,
                Ok(merged) if merged.unchanged => rules::merged_result(op, merged),
                Ok(merged) if closes_a_loop(known, op, &merged) => {
                    let current = existing.map(|(row, _)| row.clone()).unwrap_or_default();
                    successors::merge_loop_refused(op, &current)
                }
                Ok(mut merged) => {
                    follow_successor(known, op, &mut merged);
                    match place(device, known, (kind, op), &key, &merged.row) {
                        Err(refused) => refused,
                        Ok(placement) => write_merged(op, (key, placement), merged, known, writes),
                    }
                }
            }
        }
    };
    let result = rules::landed(result, original, own.as_ref(), &op.row_id);
    rules::note_refusal(original, &result, &mut known.refused);
    Ok(record(original, &op.row_id, result, known, writes))
}

/// Keeps the merge of a new op (its row as merged, placed at `placement`) in what the batch
/// knows and writes: the change (or the move), the row as a leader of its followers when it was
/// created or moved, and the unit it merged away for its heirs.
fn write_merged(
    op: &Op,
    (key, placement): ((String, String), Placement),
    merged: khuyenhoc_sync_protocol::MergeOutcome,
    known: &mut Known,
    writes: &mut Writes,
) -> OpResult {
    let was = known.rows.get(&key).map(|r| r.scope);
    let moved_from = was.filter(|from| *from != placement.scope);
    let names = (op.entity.as_str(), op.row_id.as_str());
    let by = (op.op_id.as_str(), op.author.as_str());
    match moved_from {
        Some(from) => writes.moved(names, (from, placement.scope), &merged.row, by),
        None => writes.changes.push((
            op.entity.clone(),
            op.row_id.clone(),
            placement.scope,
            to_json(&merged.fields),
            op.op_id.clone(),
            op.author.clone(),
            None,
        )),
    }
    if (was.is_none() || moved_from.is_some()) && scopes::may_lead(&op.entity) {
        writes
            .leaders
            .push((key.clone(), op.op_id.clone(), op.author.clone()));
    }
    known.rows.insert(
        key,
        Row {
            state: merged.row.clone(),
            scope: placement.scope,
            parent: placement.parent,
            dirty: true,
        },
    );
    if let Some(survivor) = successors::merged_away(op, &merged) {
        writes.heirs.push(Heirs {
            unit: op.row_id.clone(),
            survivor,
            op_id: op.op_id.clone(),
            author: op.author.clone(),
            version: op.version.clone(),
        });
    }
    rules::merged_result(op, merged)
}

/// Where `op` lands ([`rules::redirect_target`]): its own row, or the record that row was merged
/// into, followed a few merges deep; the row's key and the op aimed at it.
fn follow_redirects<'a>(known: &Known, op: &'a Op) -> ((String, String), std::borrow::Cow<'a, Op>) {
    let mut key = (op.entity.clone(), op.row_id.clone());
    let mut target = std::borrow::Cow::Borrowed(op);
    for _ in 0..rules::MAX_REDIRECTS {
        let Some(survivor) = known
            .rows
            .get(&key)
            .and_then(|row| rules::redirect_target(&target, &row.state))
        else {
            break;
        };
        let next = (key.0.clone(), survivor.clone());
        if !known.rows.contains_key(&next) {
            break;
        }
        target = std::borrow::Cow::Owned(rules::redirected(&target, survivor));
        key = next;
    }
    (key, target)
}

/// Keeps a new op's answer: in what the rest of the batch knows, and in what it writes (the op
/// as received, under its own row; its conflicts under `landed_on`, the row it changed).
fn record(
    op: &Op,
    landed_on: &str,
    result: OpResult,
    known: &mut Known,
    writes: &mut Writes,
) -> OpResult {
    let (outcome, code, reason) = rules::recorded(&result);
    for c in rules::conflicts_of(&result) {
        // The same op again later in this batch is told them too.
        known.conflicts.entry(op.op_id.clone()).or_default().push((
            c.field.clone(),
            to_json(&c.kept),
            to_json(&c.lost),
        ));
        writes.conflicts.push((
            op.op_id.clone(),
            op.entity.clone(),
            landed_on.to_owned(),
            c.field.clone(),
            to_json(&c.kept),
            to_json(&c.lost),
        ));
    }
    known.by_seq.insert(op.device_seq, op.op_id.clone());
    known.by_id.insert(
        op.op_id.clone(),
        (outcome.to_owned(), code.clone(), reason.clone()),
    );
    writes.received.push((
        op.device_seq,
        op.op_id.clone(),
        op.entity.clone(),
        op.row_id.clone(),
        outcome,
        code,
        reason,
    ));
    result
}

/// Where the op's row (as merged into `row`) lies now ([`scopes::place`]), from what the batch
/// read and decided so far.
fn place(
    device: &AuthenticatedDevice,
    known: &Known,
    (kind, op): (&khuyenhoc_sync_protocol::EntityKind, &Op),
    key: &(String, String),
    row: &RowState,
) -> Result<Placement, OpResult> {
    let was = known.rows.get(key).map(Row::placement);
    if !scopes::needs_placing(kind, op, was.is_some()) {
        return Ok(was.expect("an existing row"));
    }
    let sources = scopes::sources(kind, row);
    let code_unit = sources.code.and_then(|code| known.codes.get(code)).copied();
    let parent_scope = match (code_unit, sources.parent) {
        (None, Some((entity, id))) if id != op.row_id => known
            .rows
            .get(&(entity.to_owned(), id.to_owned()))
            .map(|r| r.scope),
        _ => None,
    };
    scopes::place(
        op,
        sources,
        code_unit,
        parent_scope,
        was.as_ref(),
        device.unit.id,
        |unit| known.subtree.contains(&unit),
    )
}

/// A statement's parameters.
type Params<'a, const N: usize> = [&'a (dyn tokio_postgres::types::ToSql + Sync); N];

/// Runs `sql` unless there is nothing to write.
async fn execute_unless_empty(
    tx: &Tx<'_>,
    empty: bool,
    sql: &str,
    params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
) -> StorageResult<()> {
    if !empty {
        tx.execute(&stmt(tx, sql).await?, params).await?;
    }
    Ok(())
}

/// Writes what the batch decided: the four statements go out together (pipelined).
async fn write(
    tx: &Tx<'_>,
    device: &AuthenticatedDevice,
    rows: HashMap<(String, String), Row>,
    w: Writes,
    now: Timestamp,
) -> StorageResult<()> {
    macro_rules! column {
        ($v:expr, $i:tt) => {
            $v.iter().map(|r| r.$i.clone()).collect::<Vec<_>>()
        };
    }
    let received = (
        column!(w.received, 0),
        column!(w.received, 1),
        column!(w.received, 2),
        column!(w.received, 3),
        w.received.iter().map(|r| r.4).collect::<Vec<&str>>(),
        column!(w.received, 5),
        column!(w.received, 6),
    );
    let dirty: Vec<_> = rows.into_iter().filter(|(_, r)| r.dirty).collect();
    let entities: Vec<&str> = dirty.iter().map(|((e, _), _)| e.as_str()).collect();
    let ids: Vec<&str> = dirty.iter().map(|((_, id), _)| id.as_str()).collect();
    let scopes: Vec<Uuid> = dirty.iter().map(|(_, r)| r.scope).collect();
    let parents: Vec<Option<&str>> = dirty.iter().map(|(_, r)| r.parent.as_deref()).collect();
    let states: Vec<Json<_>> = dirty.iter().map(|(_, r)| Json(&r.state.fields)).collect();
    let changes = (
        column!(w.changes, 0),
        column!(w.changes, 1),
        column!(w.changes, 2),
        column!(w.changes, 3),
        column!(w.changes, 4),
        column!(w.changes, 5),
        column!(w.changes, 6),
    );
    let conflicts = (
        column!(w.conflicts, 0),
        column!(w.conflicts, 1),
        column!(w.conflicts, 2),
        column!(w.conflicts, 3),
        column!(w.conflicts, 4),
        column!(w.conflicts, 5),
    );
    let received: Params<9> = [
        &device.device_id,
        &received.0,
        &received.1,
        &received.2,
        &received.3,
        &received.4,
        &received.5,
        &received.6,
        &now,
    ];
    let dirty_rows: Params<5> = [&entities, &ids, &scopes, &parents, &states];
    let changes: Params<7> = [
        &changes.0, &changes.1, &changes.2, &changes.3, &changes.4, &changes.5, &changes.6,
    ];
    let conflicts: Params<7> = [
        &conflicts.0,
        &conflicts.1,
        &conflicts.2,
        &conflicts.3,
        &conflicts.4,
        &conflicts.5,
        &now,
    ];
    tokio::try_join!(
        execute_unless_empty(
            tx,
            w.received.is_empty(),
            "INSERT INTO ops_received (device_id, device_seq, op_id, entity, row_id, outcome,
                 reject_code, reject_reason, received_at)
             SELECT $1, * , $9 FROM unnest($2::bigint[], $3::text[], $4::text[], $5::text[],
                 $6::text[], $7::text[], $8::text[])",
            &received,
        ),
        execute_unless_empty(
            tx,
            dirty.is_empty(),
            "INSERT INTO sync_rows (entity, row_id, scope_unit, scope_parent, state)
             SELECT * FROM unnest($1::text[], $2::text[], $3::uuid[], $4::text[], $5::jsonb[])
             ON CONFLICT (entity, row_id) DO UPDATE
                 SET state = excluded.state, scope_unit = excluded.scope_unit,
                     scope_parent = excluded.scope_parent",
            &dirty_rows,
        ),
        // In op order: versions follow the device's sequence.
        execute_unless_empty(
            tx,
            w.changes.is_empty(),
            "INSERT INTO changes (entity, row_id, scope_unit, fields, op_id, author, exit_to)
             SELECT entity, row_id, scope_unit, fields, op_id, author, exit_to
             FROM unnest($1::text[], $2::text[], $3::uuid[], $4::jsonb[], $5::text[], $6::text[],
                          $7::uuid[])
                  WITH ORDINALITY AS c(entity, row_id, scope_unit, fields, op_id, author, exit_to, n)
             ORDER BY n",
            &changes,
        ),
        execute_unless_empty(
            tx,
            w.conflicts.is_empty(),
            "INSERT INTO conflicts (op_id, entity, row_id, field, kept, lost, created_at)
             SELECT *, $7 FROM unnest($1::text[], $2::text[], $3::text[], $4::text[],
                 $5::jsonb[], $6::jsonb[])",
            &conflicts,
        ),
    )?;
    Ok(())
}

/// Applies `ops` inside the push transaction `tx` (the push lock held) and answers each; with
/// the device's highest sequence received.
pub(super) async fn apply(
    tx: &Tx<'_>,
    device: &AuthenticatedDevice,
    ops: &[Op],
    now: Timestamp,
) -> StorageResult<(Vec<OpResult>, i64)> {
    let mut known = read(tx, device, ops).await?;
    let mut writes = Writes::default();
    let mut results = Vec::with_capacity(ops.len());
    for op in ops {
        results.push(decide(device, op, &mut known, &mut writes)?);
    }
    if !writes.heirs.is_empty() {
        take_heirs(tx, &mut known, &mut writes).await?;
    }
    if !writes.leaders.is_empty() {
        take_followers(tx, &mut known, &mut writes).await?;
    }
    // The device's highest sequence now: under the push lock, what was there plus this batch.
    let high_water = writes
        .received
        .iter()
        .map(|r| r.0)
        .fold(known.high_water, i64::max);
    write(tx, device, known.rows, writes, now).await?;
    Ok((results, high_water))
}
