//! Server answers built by hand for the store's sync tests: what the central server would send
//! back for a push or a pull, without a server.

use std::collections::BTreeMap;

use khuyenhoc_store::Store;
use khuyenhoc_sync_protocol::{
    Change, FieldState, Op, OpOutcome, OpResult, PullPage, PushResponse, RejectCode,
};
use serde_json::{Value, json};

pub const EPOCH: &str = "0195f0a0-0000-7000-8000-000000000001";

/// A version stamp from another device at `wall` ms (stamps order as strings).
pub fn stamp(wall: u64) -> String {
    format!("{wall:015}-0000000000-0195f0a0-0000-7000-8000-0000000000ff")
}

pub fn state(value: Value, version: &str) -> FieldState {
    FieldState {
        value,
        version: version.to_owned(),
    }
}

/// The server's answer that takes `op` as sent.
pub fn applied(op: &Op) -> OpResult {
    OpResult {
        op_id: op.op_id.clone(),
        device_seq: op.device_seq,
        outcome: OpOutcome::Applied,
        fields: op
            .fields
            .iter()
            .map(|(k, f)| (k.clone(), state(f.value.clone(), &op.version)))
            .collect(),
        landed: None,
    }
}

pub fn answer(results: Vec<OpResult>) -> PushResponse {
    PushResponse {
        epoch: EPOCH.into(),
        server_time_ms: 1_700_000_000_000,
        results,
        high_water: 0,
    }
}

pub fn page(cursor: i64, changes: Vec<Change>) -> PullPage {
    PullPage {
        epoch: EPOCH.into(),
        server_time_ms: 1_700_000_000_000,
        changes,
        cursor,
        more: false,
    }
}

pub fn member_change(version: i64, id: &str, fields: &[(&str, Value, &str)]) -> Change {
    Change {
        version,
        entity: "member".into(),
        row_id: id.into(),
        fields: fields
            .iter()
            .map(|(k, v, ver)| (k.to_string(), state(v.clone(), ver)))
            .collect(),
        scope_exit: false,
        author: None,
    }
}

/// Pushes every pending op and has the server take them all.
pub fn push_all(store: &mut Store) {
    let ops = store.next_push(1000).unwrap();
    store
        .apply_push_response(&answer(ops.iter().map(applied).collect()))
        .unwrap();
}

/// The server's refusal of `op`, whose full name stays `name` at `version` on the server.
pub fn refusal(op: &Op, code: RejectCode, reason: &str, name: &str, version: &str) -> PushResponse {
    answer(vec![OpResult {
        op_id: op.op_id.clone(),
        device_seq: op.device_seq,
        outcome: OpOutcome::Rejected {
            code,
            reason: reason.into(),
        },
        fields: BTreeMap::from([("full_name".to_owned(), state(json!(name), version))]),
        landed: None,
    }])
}
