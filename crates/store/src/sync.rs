//! This laptop's side of sync, in the database: which pending ops go in the next push, and the
//! server's answers — push results and pulled pages — applied each in one transaction, writing
//! no outbox ops. The server decides every merge (`khuyenhoc_sync_protocol::merge`); here a
//! field takes the server's state unless a pending local op will change it (rebase: the local
//! edit stays on screen and reaches the server in its turn), and never goes back to an older
//! version (a server field's version only grows).

use std::collections::{BTreeMap, BTreeSet};

use rusqlite::{OptionalExtension, params};
use serde::Serialize;
use serde_json::Value;

use khuyenhoc_sync_protocol::{
    FieldState, NO_VERSION, Op, OpOutcome, PullPage, PushResponse, RejectCode, RowKey, ScopeRule,
    plan_push,
};

use crate::error::{Result, StoreError};
use crate::open::Store;
use crate::remote::{ApplyReport, Incoming, Take, apply_row, receive_stamp, table_of, with_clock};
use crate::sync_rebootstrap;
use crate::sync_upkeep::{CLOCK_WARNING_MS, check_high_water, record_clock_offset};
use crate::write::now_ms;

/// Where sync stands, for the status line and `khuyenhoc sync status --json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SyncStatus {
    /// Ops waiting to be pushed.
    pub pending: i64,
    /// Ops the server refused, waiting for a person.
    pub parked: i64,
    /// Conflicts waiting for a person.
    pub conflicts: i64,
    pub pull_cursor: i64,
    pub server_epoch: Option<String>,
    pub last_success_ms: Option<i64>,
    pub last_error: Option<String>,
    /// The server's clock minus this laptop's at the last answer.
    pub clock_offset_ms: Option<i64>,
    /// The laptop's clock is more than a day off ([`CLOCK_WARNING_MS`]).
    pub clock_warning: bool,
}

/// What applying a push answer did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PushReport {
    pub acknowledged: usize,
    pub duplicates: usize,
    pub conflicts: usize,
    pub rejected: usize,
    pub fields: ApplyReport,
}

/// What applying a pulled page did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PullReport {
    pub changes: usize,
    /// Fields left as they are because a pending local op will change them.
    pub fields_kept_pending: usize,
    /// Rows that left this laptop's scope (moved to another commune) and were dropped here.
    pub scope_exits: usize,
    pub fields: ApplyReport,
    pub cursor: i64,
    /// This page ended a pull from zero after the server purged deleted records
    /// ([`Store::start_rebootstrap`]): this many rows the server no longer has were dropped.
    pub rebootstrap_dropped: Option<usize>,
}

/// The code of the error an answer from a restored server gets ([`Store::restart_with_restored_server`]).
pub const SERVER_EPOCH_CHANGED: &str = "server_epoch_changed";

/// Refuses an answer from another server database than the one this laptop synced with.
fn check_epoch(tx: &rusqlite::Transaction<'_>, epoch: &str) -> Result<()> {
    let known: Option<String> = tx.query_row(
        "SELECT server_epoch FROM sync_state WHERE id = 1",
        [],
        |r| r.get(0),
    )?;
    if known.is_some_and(|k| k != epoch) {
        return Err(StoreError::rule(
            SERVER_EPOCH_CHANGED,
            "Máy chủ đã được khôi phục từ bản sao lưu: cần đồng bộ lại từ đầu.",
            "the server database changed (restored from a backup): pull from zero",
        ));
    }
    Ok(())
}

/// The fields pending (unacknowledged) ops of this device will change on one row.
fn pending_fields(
    tx: &rusqlite::Transaction<'_>,
    entity: &str,
    row_id: &str,
) -> Result<BTreeSet<String>> {
    let mut stmt = tx.prepare_cached(
        "SELECT fields FROM outbox WHERE acked = 0 AND entity = ?1 AND row_id = ?2",
    )?;
    let mut fields = BTreeSet::new();
    for text in stmt.query_map(params![entity, row_id], |r| r.get::<_, String>(0))? {
        if let Ok(Value::Object(map)) = serde_json::from_str(&text?) {
            fields.extend(map.into_iter().map(|(k, _)| k));
        }
    }
    Ok(fields)
}

/// Applies server field states to one row, skipping fields with pending local ops; returns how
/// many were skipped. Fields (or a whole kind of record) this version does not know are kept
/// aside in `sync_unknown_fields`, never an error: a newer laptop or server may send them.
fn take_states<'a>(
    tx: &rusqlite::Transaction<'_>,
    entity: &str,
    row_id: &str,
    states: impl Iterator<Item = (&'a String, &'a FieldState)>,
    author: &str,
    take: Take,
    report: &mut ApplyReport,
) -> Result<usize> {
    let table = table_of(entity).ok();
    let pending = pending_fields(tx, entity, row_id)?;
    let mut skipped = 0;
    let mut incoming: Vec<Incoming<'_>> = Vec::new();
    for (name, state) in states {
        if !table.is_some_and(|t| t.fields.contains(&name.as_str())) {
            keep_unknown(tx, entity, row_id, name, state)?;
            report.fields_unknown += 1;
        } else if pending.contains(name.as_str()) {
            skipped += 1;
        } else {
            incoming.push(Incoming {
                field: name,
                value: &state.value,
                version: &state.version,
            });
        }
    }
    if let Some(table) = table {
        apply_row(tx, table, row_id, &incoming, author, take, report)?;
    }
    Ok(skipped)
}

/// Hides a row the server does not have for this laptop: a create it refused, a row it purged,
/// or a row that left the laptop's scope (no outbox op: nothing to send).
fn hide_row(tx: &rusqlite::Transaction<'_>, entity: &str, row_id: &str) -> Result<()> {
    if let Ok(table) = table_of(entity)
        && !table.history
    {
        tx.execute(
            &format!("UPDATE {} SET deleted = 1 WHERE id = ?1", table.table),
            [row_id],
        )?;
    }
    Ok(())
}

/// Whether the server's `fields` for a row of `entity` put it under a record (the one it
/// follows) that this laptop does not hold: then the row lies outside this laptop's scope.
fn outside_scope(
    tx: &rusqlite::Transaction<'_>,
    entity: &str,
    fields: &BTreeMap<String, FieldState>,
) -> Result<bool> {
    let Some(ScopeRule::Follows {
        field,
        entity: leader,
    }) = khuyenhoc_sync_protocol::entity(entity).map(|kind| kind.scope)
    else {
        return Ok(false);
    };
    match fields.get(field).and_then(|f| f.value.as_str()) {
        Some(id) if !id.is_empty() => Ok(!row_exists(tx, leader, id)?),
        _ => Ok(false),
    }
}

/// Drops a row that left this laptop's scope (a member moved to another commune, a branch moved
/// under another commune): hidden, with every field's version forgotten, so that if it comes
/// back (moved back, or this laptop's unit now sees it) its whole state, sent again by the
/// server, is taken. A history row is removed (it is sent again whole). No outbox op.
fn leave_scope(tx: &rusqlite::Transaction<'_>, entity: &str, row_id: &str) -> Result<()> {
    let Ok(table) = table_of(entity) else {
        return Ok(());
    };
    if table.history {
        tx.execute(
            &format!("DELETE FROM {} WHERE id = ?1", table.table),
            [row_id],
        )?;
        return Ok(());
    }
    let forgotten: serde_json::Map<String, Value> = table
        .fields
        .iter()
        .map(|f| ((*f).to_owned(), Value::String(String::new())))
        .collect();
    tx.execute(
        &format!(
            "UPDATE {} SET deleted = 1, versions = ?2 WHERE id = ?1",
            table.table
        ),
        params![row_id, Value::Object(forgotten).to_string()],
    )?;
    Ok(())
}

/// Whether the row exists on this laptop.
fn row_exists(tx: &rusqlite::Transaction<'_>, entity: &str, row_id: &str) -> Result<bool> {
    let Ok(table) = table_of(entity) else {
        return Ok(false);
    };
    Ok(tx
        .prepare_cached(&format!(
            "SELECT EXISTS (SELECT 1 FROM {} WHERE id = ?1)",
            table.table
        ))?
        .query_row([row_id], |r| r.get(0))?)
}

/// Puts a row back as the server has it after one of its ops landed on another record (see
/// `khuyenhoc_sync_protocol::Landed`): each field the op (`op_id`) named takes the server's
/// state from `own`, or is emptied when the server has none; fields a later pending op will
/// change are left to it.
fn restore_own(
    tx: &rusqlite::Transaction<'_>,
    (entity, row_id): (&str, &str),
    op_id: &str,
    own: &BTreeMap<String, FieldState>,
    report: &mut crate::remote::ApplyReport,
) -> Result<()> {
    let Ok(table) = table_of(entity) else {
        return Ok(());
    };
    if table.history {
        return Ok(());
    }
    let (fields, created): (String, Option<String>) = tx.query_row(
        &format!(
            "SELECT o.fields, (SELECT created_version FROM {} WHERE id = ?2)
             FROM outbox o WHERE o.op_id = ?1",
            table.table
        ),
        params![op_id, row_id],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let Some(created) = created else {
        return Ok(());
    };
    let named: BTreeMap<String, Value> = serde_json::from_str(&fields).unwrap_or_default();
    let back: BTreeMap<String, FieldState> = named
        .keys()
        .map(|field| {
            let state = own.get(field).cloned().unwrap_or(FieldState {
                value: Value::Null,
                version: created.clone(),
            });
            (field.clone(), state)
        })
        .collect();
    take_states(tx, entity, row_id, back.iter(), "", Take::Force, report)?;
    Ok(())
}

/// Shows again a row that had left this laptop's scope and is sent again (moved back): hidden
/// by [`leave_scope`], its `deleted` flag has the empty version no device ever writes; a real
/// deletion sent with the row has its own version and stays.
fn return_to_scope(
    tx: &rusqlite::Transaction<'_>,
    entity: &str,
    row_id: &str,
    report: &mut ApplyReport,
) -> Result<()> {
    let Ok(table) = table_of(entity) else {
        return Ok(());
    };
    if table.history {
        return Ok(());
    }
    let returned = tx
        .prepare_cached(&format!(
            "UPDATE {} SET deleted = 0
             WHERE id = ?1 AND deleted = 1 AND json_extract(versions, '$.deleted') = ''",
            table.table
        ))?
        .execute([row_id])?;
    if returned == 0 {
        return Ok(());
    }
    // The server sent the row's whole state: a field it did not send is not set there (an edit
    // of this laptop's that the server refused while the row was elsewhere), so it is emptied
    // here too, at a version below every real one.
    let versions: String = tx.query_row(
        &format!("SELECT versions FROM {} WHERE id = ?1", table.table),
        [row_id],
        |r| r.get(0),
    )?;
    let versions: serde_json::Map<String, Value> =
        serde_json::from_str(&versions).unwrap_or_default();
    let required: BTreeSet<String> = tx
        .prepare_cached(&format!(
            "SELECT name FROM pragma_table_info('{}') WHERE \"notnull\" = 1",
            table.table
        ))?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let null = Value::Null;
    let unset: Vec<Incoming<'_>> = table
        .fields
        .iter()
        .filter(|f| **f != "deleted" && !required.contains(**f))
        .filter(|f| versions.get(**f).and_then(Value::as_str) == Some(""))
        .map(|f| Incoming {
            field: f,
            value: &null,
            version: NO_VERSION,
        })
        .collect();
    apply_row(tx, table, row_id, &unset, "", Take::Force, report)
}

/// Keeps a field this version does not know (its newest version).
fn keep_unknown(
    tx: &rusqlite::Transaction<'_>,
    entity: &str,
    row_id: &str,
    field: &str,
    state: &FieldState,
) -> Result<()> {
    tx.prepare_cached(
        "INSERT INTO sync_unknown_fields (entity, row_id, field, value, version)
         VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (entity, row_id, field) DO UPDATE
             SET value = excluded.value, version = excluded.version
             WHERE excluded.version > sync_unknown_fields.version",
    )?
    .execute(params![
        entity,
        row_id,
        field,
        state.value.to_string(),
        state.version
    ])?;
    Ok(())
}

impl Store {
    pub fn sync_status(&self) -> Result<SyncStatus> {
        Ok(self.conn.query_row(
            "SELECT (SELECT count(*) FROM outbox WHERE acked = 0),
                    (SELECT count(*) FROM parked_ops WHERE resolved = 0),
                    (SELECT count(*) FROM sync_conflicts WHERE resolved = 0),
                    pull_cursor, server_epoch, last_success_ms, last_error, clock_offset_ms
             FROM sync_state WHERE id = 1",
            [],
            |r| {
                let clock_offset_ms: Option<i64> = r.get(7)?;
                Ok(SyncStatus {
                    pending: r.get(0)?,
                    parked: r.get(1)?,
                    conflicts: r.get(2)?,
                    pull_cursor: r.get(3)?,
                    server_epoch: r.get(4)?,
                    last_success_ms: r.get(5)?,
                    last_error: r.get(6)?,
                    clock_offset_ms,
                    clock_warning: clock_offset_ms.is_some_and(|o| o.abs() > CLOCK_WARNING_MS),
                })
            },
        )?)
    }

    /// Records why the last sync failed (plain words for the status line, no personal data).
    pub fn record_sync_error(&mut self, message: &str) -> Result<()> {
        self.conn.execute(
            "UPDATE sync_state SET last_error = ?1 WHERE id = 1",
            [message],
        )?;
        Ok(())
    }

    /// Rows with an op the server refused that no person has dealt with yet, each with the
    /// version of its earliest such op (ops after it wait).
    pub fn parked_rows(&self) -> Result<BTreeMap<RowKey, String>> {
        // Parked ops are never purged from the outbox; "" would hold the whole row.
        let mut stmt = self.conn.prepare(
            "SELECT p.entity, p.row_id, min(coalesce(o.version, '')) FROM parked_ops p
             LEFT JOIN outbox o ON o.op_id = p.op_id
             WHERE p.resolved = 0 GROUP BY p.entity, p.row_id",
        )?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    RowKey {
                        entity: r.get(0)?,
                        row_id: r.get(1)?,
                    },
                    r.get(2)?,
                ))
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }

    /// The next push: up to `max_ops` pending ops in device-sequence order, without the rows
    /// held behind a refused op ([`plan_push`]).
    pub fn next_push(&self, max_ops: usize) -> Result<Vec<Op>> {
        self.next_push_after(max_ops, 0, &BTreeMap::new())
    }

    /// The push after the ops up to device sequence `after`, sent while their answer is not
    /// yet applied: as [`Self::next_push`], also holding back the rows that answer refused
    /// (`refused`: each row with its earliest refused version).
    pub fn next_push_after(
        &self,
        max_ops: usize,
        after: i64,
        refused: &BTreeMap<RowKey, String>,
    ) -> Result<Vec<Op>> {
        let mut parked = self.parked_rows()?;
        for (row, version) in refused {
            let first = parked.entry(row.clone()).or_insert_with(|| version.clone());
            if version < first {
                *first = version.clone();
            }
        }
        if parked.is_empty() {
            return self.pending_ops_after(after, max_ops);
        }
        // Held ops are few: read windows until the push is full or the outbox ends.
        let mut send = Vec::new();
        let mut from = after;
        loop {
            let window = self.pending_ops_after(from, max_ops)?;
            let Some(last) = window.last() else { break };
            from = last.device_seq;
            let plan = plan_push(&window, &parked, max_ops - send.len());
            send.extend(plan.send.into_iter().map(|i| window[i].clone()));
            if send.len() == max_ops || window.len() < max_ops {
                break;
            }
        }
        Ok(send)
    }

    /// Applies the server's answer to a push, in one transaction: every op in it is
    /// acknowledged; refused ones are parked with their reason and their effect undone;
    /// conflicts are kept for review; each op's fields take the server's values unless a later
    /// pending op will change them. An answer from another server database than the one this
    /// laptop synced with (a restored server) changes nothing and is refused.
    pub fn apply_push_response(&mut self, response: &PushResponse) -> Result<PushReport> {
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        check_epoch(&tx, &response.epoch)?;
        check_high_water(&tx, response.high_water)?;
        record_clock_offset(&tx, response.server_time_ms)?;
        let mut report = PushReport::default();
        let now = now_ms() as i64;
        with_clock(&tx, |clock| {
            *clock = clock.receive(
                khuyenhoc_domain::Hlc {
                    wall_ms: response.server_time_ms,
                    counter: 0,
                },
                now_ms(),
            );
            for result in &response.results {
                let Some((entity, row_id, seq, intent)) = tx
                    .prepare_cached(
                        "SELECT entity, row_id, device_seq, intent FROM outbox WHERE op_id = ?1",
                    )?
                    .query_row([&result.op_id], |r| {
                        Ok((
                            r.get::<_, String>(0)?,
                            r.get::<_, String>(1)?,
                            r.get::<_, i64>(2)?,
                            r.get::<_, String>(3)?,
                        ))
                    })
                    .optional()?
                else {
                    tracing::warn!(op = %result.op_id, "a push result for an op this laptop does not have");
                    continue;
                };
                if seq != result.device_seq {
                    return Err(StoreError::rule(
                        "push_result_mismatch",
                        "Máy chủ trả lời không khớp với thay đổi đã gửi.",
                        format!(
                            "push result for op {} names sequence {}, the outbox has {seq}",
                            result.op_id, result.device_seq
                        ),
                    ));
                }
                tx.prepare_cached("UPDATE outbox SET acked = 1, acked_ms = ?2 WHERE op_id = ?1")?
                    .execute(params![result.op_id, now])?;
                report.acknowledged += 1;
                let mut take = Take::Newer;
                match &result.outcome {
                    OpOutcome::Applied => {}
                    OpOutcome::Duplicate => report.duplicates += 1,
                    OpOutcome::Conflict { conflicts } => {
                        report.conflicts += conflicts.len();
                        for c in conflicts {
                            tx.execute(
                                "INSERT OR IGNORE INTO sync_conflicts
                                     (op_id, entity, row_id, field, kept_value, kept_version, lost_value, lost_version, detected_ms)
                                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                                params![
                                    result.op_id,
                                    entity,
                                    result.landed.as_ref().map_or(&row_id, |l| &l.row_id),
                                    c.field,
                                    c.kept.value.to_string(),
                                    c.kept.version,
                                    c.lost.value.to_string(),
                                    c.lost.version,
                                    now
                                ],
                            )?;
                        }
                    }
                    OpOutcome::Rejected { code, reason } => {
                        report.rejected += 1;
                        take = Take::Force;
                        let code_text = serde_json::to_value(code)
                            .ok()
                            .and_then(|v| v.as_str().map(str::to_owned))
                            .unwrap_or_else(|| "other".to_owned());
                        tx.execute(
                            "INSERT OR IGNORE INTO parked_ops (op_id, device_seq, entity, row_id, code, reason, parked_ms)
                             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                            params![result.op_id, seq, entity, row_id, code_text, reason, now],
                        )?;
                        // A refused create, or an edit of a row deleted and purged on the server:
                        // the server has no such row, so neither does the laptop any more (the
                        // record stays, hidden, with the parked op).
                        if result.fields.is_empty()
                            && (intent.ends_with(".create") || *code == RejectCode::RowPurged)
                        {
                            hide_row(&tx, &entity, &row_id)?;
                        }
                    }
                }
                for state in result.fields.values() {
                    receive_stamp(clock, &state.version)?;
                }
                if let Some(landed) = &result.landed {
                    // The op landed on the record its own was merged into: that record takes
                    // the server's fields, and its own record goes back to the server's.
                    if outside_scope(&tx, &entity, &result.fields)? {
                        leave_scope(&tx, &entity, &landed.row_id)?;
                    } else if row_exists(&tx, &entity, &landed.row_id)? {
                        take_states(
                            &tx,
                            &entity,
                            &landed.row_id,
                            result.fields.iter(),
                            "",
                            Take::Newer,
                            &mut report.fields,
                        )?;
                    }
                    if outside_scope(&tx, &entity, &landed.own_fields)? {
                        leave_scope(&tx, &entity, &row_id)?;
                        continue;
                    }
                    restore_own(
                        &tx,
                        (&entity, &row_id),
                        &result.op_id,
                        &landed.own_fields,
                        &mut report.fields,
                    )?;
                    continue;
                }
                if outside_scope(&tx, &entity, &result.fields)? {
                    // The server put the row under a record this laptop does not hold (a member
                    // sent on to the successor of a unit merged into another commune): it left
                    // this laptop's scope, as the exit the next pull brings says too.
                    leave_scope(&tx, &entity, &row_id)?;
                    continue;
                }
                // The row is this laptop's own: its history rows already carry their author.
                take_states(
                    &tx,
                    &entity,
                    &row_id,
                    result.fields.iter(),
                    "",
                    take,
                    &mut report.fields,
                )?;
            }
            Ok(())
        })?;
        tx.execute(
            "UPDATE sync_state SET server_epoch = ?1, last_success_ms = ?2, last_error = NULL
             WHERE id = 1",
            params![response.epoch, now],
        )?;
        tx.commit()?;
        Ok(report)
    }

    /// Applies one pulled page and moves the cursor, in one transaction. A page from another
    /// server database than the cursor's (a restored server) changes nothing and is refused.
    /// During a pull from zero after a purge, the page's rows are noted as sent, and the last
    /// page drops the rows the server did not send ([`crate::sync_rebootstrap`]).
    pub fn apply_pull_page(&mut self, page: &PullPage) -> Result<PullReport> {
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        check_epoch(&tx, &page.epoch)?;
        let rebootstrap = sync_rebootstrap::under_way(&tx)?;
        record_clock_offset(&tx, page.server_time_ms)?;
        let cursor: i64 =
            tx.query_row("SELECT pull_cursor FROM sync_state WHERE id = 1", [], |r| {
                r.get(0)
            })?;
        let mut report = PullReport::default();
        with_clock(&tx, |clock| {
            *clock = clock.receive(
                khuyenhoc_domain::Hlc {
                    wall_ms: page.server_time_ms,
                    counter: 0,
                },
                now_ms(),
            );
            for change in &page.changes {
                for state in change.fields.values() {
                    receive_stamp(clock, &state.version)?;
                }
                if change.scope_exit {
                    // Moved out of this laptop's commune (or branch): no longer kept here.
                    leave_scope(&tx, &change.entity, &change.row_id)?;
                    report.scope_exits += 1;
                    report.changes += 1;
                    continue;
                }
                if rebootstrap {
                    sync_rebootstrap::note_seen(&tx, &change.entity, &change.row_id)?;
                }
                report.fields_kept_pending += take_states(
                    &tx,
                    &change.entity,
                    &change.row_id,
                    change.fields.iter(),
                    change.author.as_deref().unwrap_or(""),
                    Take::Newer,
                    &mut report.fields,
                )?;
                return_to_scope(&tx, &change.entity, &change.row_id, &mut report.fields)?;
                report.changes += 1;
            }
            Ok(())
        })?;
        if rebootstrap && !page.more {
            report.rebootstrap_dropped = Some(sync_rebootstrap::finish(&tx)?);
        }
        report.cursor = cursor.max(page.cursor);
        tx.execute(
            "UPDATE sync_state SET server_epoch = ?1, pull_cursor = ?2, last_success_ms = ?3, last_error = NULL
             WHERE id = 1",
            params![page.epoch, report.cursor, now_ms() as i64],
        )?;
        tx.commit()?;
        Ok(report)
    }
}

/// This device's enrollment with a server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Enrollment {
    pub server_url: String,
    /// The bearer token (a secret: never print or log it).
    pub token: String,
    /// The Ed25519 secret key (32 bytes).
    pub signing_key: Vec<u8>,
    pub unit_id: String,
    pub unit_name: String,
}

impl Store {
    /// The enrollment, if this device has one (a copy of the file has none: it re-enrolls).
    pub fn enrollment(&self) -> Result<Option<Enrollment>> {
        Ok(self
            .conn
            .query_row(
                "SELECT server_url, device_token, signing_key, unit_id, unit_name FROM sync_state
                 WHERE id = 1 AND device_token IS NOT NULL",
                [],
                |r| {
                    Ok(Enrollment {
                        server_url: r.get(0)?,
                        token: r.get(1)?,
                        signing_key: r.get(2)?,
                        unit_id: r.get(3)?,
                        unit_name: r.get(4)?,
                    })
                },
            )
            .optional()?)
    }

    /// Keeps a new enrollment; a device enrolled with another server starts pulling from zero.
    pub fn save_enrollment(&mut self, e: &Enrollment, epoch: &str) -> Result<()> {
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let same_server: bool = tx.query_row(
            "SELECT coalesce(server_url = ?1 AND server_epoch = ?2, 0) FROM sync_state WHERE id = 1",
            params![e.server_url, epoch],
            |r| r.get(0),
        )?;
        if !same_server {
            tx.execute(
                "UPDATE sync_state SET server_epoch = ?1, pull_cursor = 0 WHERE id = 1",
                [epoch],
            )?;
            sync_rebootstrap::forget(&tx)?;
        }
        tx.execute(
            "UPDATE sync_state SET server_url = ?1, device_token = ?2, signing_key = ?3, unit_id = ?4,
                 unit_name = ?5, enrolled_ms = ?6, last_error = NULL
             WHERE id = 1",
            params![
                e.server_url,
                e.token,
                e.signing_key,
                e.unit_id,
                e.unit_name,
                now_ms() as i64
            ],
        )?;
        tx.commit()?;
        Ok(())
    }
}
