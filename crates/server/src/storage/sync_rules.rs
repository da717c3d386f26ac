//! The rules of push and pull that do not depend on the database, shared by
//! [`super::sqlite_sync`] and [`super::postgres_sync`]: what a retried op is answered, what a new
//! op becomes (unknown entity, outside the device's subtree, insert-only, or merged with the
//! shared `khuyenhoc_sync_protocol::merge`), how an outcome is recorded and read back, and how a
//! page of changes ends. Each database module only reads and writes rows around these.

use std::collections::BTreeMap;

use khuyenhoc_sync_protocol::{
    Change, Conflict, EntityKind, FieldState, Landed, MergeOutcome, NO_VERSION, Op, OpOutcome,
    OpResult, RejectCode, RowState, entity, merge,
};

use super::{PullAnswer, StorageError, StorageResult};

pub(super) fn rejected(op: &Op, code: RejectCode, reason: &str) -> OpResult {
    OpResult {
        op_id: op.op_id.clone(),
        device_seq: op.device_seq,
        outcome: OpOutcome::Rejected {
            code,
            reason: reason.to_owned(),
        },
        fields: BTreeMap::new(),
        landed: None,
    }
}

/// A refusal of an op on a row the device sees, with every field the op named as the server
/// holds it ([`with_fields_back`]).
pub(super) fn refused_back(op: &Op, row: &RowState, code: RejectCode, reason: &str) -> OpResult {
    with_fields_back(rejected(op, code, reason), op, Some(row))
}

/// A refusal told with the fields the op named as the server holds them when the device sees
/// the row (`row`), so the laptop puts them back: a field the server does not hold is sent
/// empty (`null`, at [`NO_VERSION`]), and the laptop empties it. Other answers are unchanged.
pub(super) fn with_fields_back(mut result: OpResult, op: &Op, row: Option<&RowState>) -> OpResult {
    if let (OpOutcome::Rejected { .. }, Some(row)) = (&result.outcome, row) {
        result.fields = op
            .fields
            .keys()
            .map(|f| {
                let state = row.fields.get(f).cloned().unwrap_or(FieldState {
                    value: serde_json::Value::Null,
                    version: NO_VERSION.to_owned(),
                });
                (f.clone(), state)
            })
            .collect();
    }
    result
}

/// The op's fields as they now stand (what the device takes back).
pub(super) fn current_fields(row: &RowState, op: &Op) -> BTreeMap<String, FieldState> {
    op.fields
        .keys()
        .filter_map(|f| row.fields.get(f).map(|s| (f.clone(), s.clone())))
        .collect()
}

/// A row's stored state (JSON `{"field": {"value", "version"}}`).
pub(super) fn row_state(json: serde_json::Value) -> StorageResult<RowState> {
    let fields: BTreeMap<String, FieldState> =
        serde_json::from_value(json).map_err(|e| StorageError::Database(Box::new(e)))?;
    Ok(RowState { fields })
}

/// What the op already stored under `(device_id, device_seq)` means: `Ok(true)` for the same
/// op again (a duplicate), `Ok(false)` for a free sequence, an error for another op under it.
pub(super) fn seen_under_sequence(op: &Op, seen: Option<&str>) -> StorageResult<bool> {
    match seen {
        Some(id) if id == op.op_id => Ok(true),
        Some(_) => Err(StorageError::SequenceReused(op.device_seq)),
        None => Ok(false),
    }
}

/// How an op's result is kept in `ops_received`: outcome, reject code, reject reason.
pub(super) fn recorded(result: &OpResult) -> (&'static str, Option<String>, Option<String>) {
    match &result.outcome {
        OpOutcome::Applied | OpOutcome::Duplicate => ("applied", None, None),
        OpOutcome::Conflict { .. } => ("conflict", None, None),
        OpOutcome::Rejected { code, reason } => (
            "rejected",
            serde_json::to_value(code)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned)),
            Some(reason.clone()),
        ),
    }
}

/// A retried op's answer: its refusal again if it was refused (`refused` holds the kept code
/// and reason), the conflicts its first application found again if it met any (`conflicts`,
/// as recorded: a laptop whose first answer was lost keeps them for review all the same), else
/// a duplicate; with the fields the op named as they stand if the device sees the row the op
/// landed on (`visible`). A refusal is told with every field the op named, as the first answer
/// told it ([`with_fields_back`]): when that answer was lost, this one is the only one that
/// makes the laptop put back a field the server does not hold (a refused merge's
/// `merged_into`), which it would otherwise keep for good.
pub(super) fn replayed(
    op: &Op,
    refused: Option<(Option<String>, Option<String>)>,
    conflicts: Vec<Conflict>,
    visible: Option<&RowState>,
) -> OpResult {
    let outcome = match refused {
        Some((code, reason)) => OpOutcome::Rejected {
            code: code
                .and_then(|c| serde_json::from_value(serde_json::Value::String(c)).ok())
                .unwrap_or(RejectCode::Other),
            reason: reason.unwrap_or_default(),
        },
        None if !conflicts.is_empty() => OpOutcome::Conflict { conflicts },
        None => OpOutcome::Duplicate,
    };
    let result = OpResult {
        op_id: op.op_id.clone(),
        device_seq: op.device_seq,
        outcome,
        fields: visible
            .map(|row| current_fields(row, op))
            .unwrap_or_default(),
        landed: None,
    };
    with_fields_back(result, op, visible)
}

/// A conflict recorded for `op` (its field, and the kept and lost `{value, version}`) as the
/// answer tells it; the op's own value lost when the lost version is the op's.
pub(super) fn recorded_conflict(
    op: &Op,
    field: String,
    kept: serde_json::Value,
    lost: serde_json::Value,
) -> StorageResult<Conflict> {
    let state = |v: serde_json::Value| {
        serde_json::from_value::<FieldState>(v).map_err(|e| StorageError::Database(Box::new(e)))
    };
    let (kept, lost) = (state(kept)?, state(lost)?);
    Ok(Conflict {
        op_lost: lost.version == op.version,
        field,
        kept,
        lost,
    })
}

/// A new op's entity, or its refusal when the server does not know the entity.
pub(super) fn known_entity(op: &Op) -> Result<&'static EntityKind, OpResult> {
    entity(&op.entity).ok_or_else(|| {
        rejected(
            op,
            RejectCode::UnknownEntity,
            "Máy chủ không biết loại dữ liệu này; có thể cần cập nhật máy chủ.",
        )
    })
}

/// The refusal of a new op against a row that was deleted and then purged (see
/// [`super::purge`]): a late edit from a laptop silent for months does not bring back half a
/// record; the laptop drops the row and keeps its edit parked for a person to see.
pub(super) fn refused_as_purged(op: &Op) -> OpResult {
    rejected(
        op,
        RejectCode::RowPurged,
        "Bản ghi này đã bị xóa và đã được dọn hẳn khỏi máy chủ, nên thay đổi này không được \
         áp dụng.",
    )
}

/// Rows with an op refused earlier in the push being applied, with the code of that refusal.
pub(super) type RefusedRows = std::collections::HashMap<(String, String), RejectCode>;

/// The refusal of an op whose row had an op refused earlier in the same push: applying it on top
/// of a change the server refused would not mean what the officer meant (a refused new record
/// would come back as half a record). The laptop holds such ops back across pushes
/// (`khuyenhoc_sync_protocol::plan_push`); within one push the server refuses them, with the
/// same code.
pub(super) fn refused_behind(op: &Op, refused: &RefusedRows) -> Option<OpResult> {
    let code = refused.get(&(op.entity.clone(), op.row_id.clone()))?;
    Some(rejected(
        op,
        *code,
        "Một thay đổi trước của bản ghi này vừa bị từ chối, nên thay đổi này cũng không được \
         áp dụng.",
    ))
}

/// Notes `result`'s row as refused for the rest of the push when it is a refusal.
pub(super) fn note_refusal(op: &Op, result: &OpResult, refused: &mut RefusedRows) {
    if let OpOutcome::Rejected { code, .. } = &result.outcome {
        refused
            .entry((op.entity.clone(), op.row_id.clone()))
            .or_insert(*code);
    }
}

/// What a new op does to the row as it stands (`existing`: the row and whether it lies in the
/// device's subtree): refused (outside the subtree, or a change to an insert-only row), or the
/// merge to write.
pub(super) fn decide(
    kind: &EntityKind,
    op: &Op,
    existing: Option<(&RowState, bool)>,
) -> Result<MergeOutcome, OpResult> {
    if let Some((_, false)) = existing {
        return Err(rejected(
            op,
            RejectCode::OutsideScope,
            "Dữ liệu này thuộc đơn vị khác, máy này không được sửa.",
        ));
    }
    if kind.insert_only && existing.is_some() {
        return Err(rejected(
            op,
            RejectCode::InsertOnly,
            "Bản ghi lịch sử đã có thì không sửa được.",
        ));
    }
    Ok(merge(existing.map(|(row, _)| row), op))
}

/// The answer to an op whose merge was written.
pub(super) fn merged_result(op: &Op, merged: MergeOutcome) -> OpResult {
    OpResult {
        op_id: op.op_id.clone(),
        device_seq: op.device_seq,
        outcome: if merged.conflicts.is_empty() {
            OpOutcome::Applied
        } else {
            OpOutcome::Conflict {
                conflicts: merged.conflicts,
            }
        },
        fields: merged.fields,
        landed: None,
    }
}

/// The conflicts an op's result holds (to keep for review).
pub(super) fn conflicts_of(result: &OpResult) -> &[Conflict] {
    match &result.outcome {
        OpOutcome::Conflict { conflicts } => conflicts,
        _ => &[],
    }
}

/// A page of at most `limit` changes read after `cursor`, up to `head` (the newest version
/// visible when the page was read): where the next page starts and whether there is more.
pub(super) fn page(changes: Vec<Change>, cursor: i64, head: i64, limit: u32) -> PullAnswer {
    let full = changes.len() as u32 == limit;
    let next = match changes.last() {
        Some(last) if full => last.version,
        _ => head.max(cursor),
    };
    PullAnswer {
        changes,
        cursor: next,
        more: full && next < head,
    }
}

/// Most merges followed from one record to the record that finally holds it.
pub(super) const MAX_REDIRECTS: usize = 8;

/// The record `row` was merged into, when an op against `row` must land there instead: a member
/// or unit merged away while a laptop still had offline edits for it. An op that changes the
/// merge itself (or the record's deletion) stays where it is.
pub(super) fn redirect_target(op: &Op, row: &RowState) -> Option<String> {
    if !matches!(op.entity.as_str(), "member" | "org_unit")
        || op.fields.contains_key("merged_into")
        || op.fields.contains_key("deleted")
    {
        return None;
    }
    row.fields
        .get("merged_into")
        .and_then(|f| f.value.as_str())
        .filter(|survivor| !survivor.is_empty() && *survivor != op.row_id)
        .map(str::to_owned)
}

/// The answer to `op` told where it landed, when that is not its own record (see
/// `khuyenhoc_sync_protocol::Landed`): with its own record's fields as they stand (`own`).
pub(super) fn landed(
    mut result: OpResult,
    op: &Op,
    own: Option<&RowState>,
    landed_on: &str,
) -> OpResult {
    if landed_on != op.row_id {
        result.landed = Some(Box::new(Landed {
            row_id: landed_on.to_owned(),
            own_fields: own.map(|row| current_fields(row, op)).unwrap_or_default(),
        }));
    }
    result
}

/// `op` aimed at the record `row_id` instead (same op id, sequence and fields).
pub(super) fn redirected(op: &Op, row_id: String) -> Op {
    Op {
        row_id,
        ..op.clone()
    }
}
