//! Op formats over real HTTP, on SQLite and on PostgreSQL: a laptop not yet updated (the
//! previous op format, where a member's unit is `branch_id`) syncs beside an updated one — its
//! ops are upcast as they arrive (scope read from the renamed field, conflicts kept under the
//! current name) and everything it is answered names fields as it knows them; an older format
//! is told to update and changes nothing; and a server database of the schema before format 2
//! is carried over by its migration with every version kept.

mod common;

use common::*;
use khuyenhoc_sync_protocol::{
    Change, FieldState, OP_FORMAT, OP_FORMAT_PREVIOUS, Op, OpOutcome, PullRequest, PushRequest,
    PushResponse, RejectCode,
};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use uuid::Uuid;

fn id() -> String {
    Uuid::now_v7().to_string()
}

/// A commune row bound to the server's unit `code`, and two branches under it.
fn commune_and_branches(d: &mut HttpDevice, code: &str) -> (Vec<Op>, [String; 2]) {
    let (commune, b1, b2) = (id(), id(), id());
    let mut ops = vec![d.op(
        "org_unit",
        &commune,
        "unit.add",
        &[
            ("kind", json!("commune")),
            ("name", json!(format!("Hội Khuyến học {code}"))),
            ("org_code", json!(code)),
        ],
    )];
    for (row, name) in [(&b1, "Chi hội Thôn 1"), (&b2, "Chi hội Thôn 2")] {
        ops.push(d.op(
            "org_unit",
            row,
            "unit.add",
            &[
                ("kind", json!("branch")),
                ("name", json!(name)),
                ("parent_id", json!(commune)),
            ],
        ));
    }
    (ops, [b1, b2])
}

fn applied(answer: &PushResponse) {
    for r in &answer.results {
        assert!(
            matches!(r.outcome, OpOutcome::Applied),
            "{:?}",
            answer.results
        );
    }
}

/// A row's fields as last pulled.
fn latest(changes: &[Change], row: &str) -> BTreeMap<String, FieldState> {
    changes
        .iter()
        .rev()
        .find(|c| c.row_id == row)
        .unwrap_or_else(|| panic!("{row} pulled"))
        .fields
        .clone()
}

fn value(fields: &BTreeMap<String, FieldState>, name: &str) -> Value {
    fields
        .get(name)
        .unwrap_or_else(|| panic!("{name} in {fields:?}"))
        .value
        .clone()
}

async fn a_laptop_not_yet_updated_syncs_beside_an_updated_one(db: TestDatabase) {
    let s = start_server(db).await;
    s.commune_and_code().await;
    s.admin
        .add_unit("26735", "Xã Tân Lập", Some("01"))
        .await
        .unwrap();
    let mut updated = s.device_in("26734").await;
    let mut old = s.device_in("26734").await;
    old.format = OP_FORMAT_PREVIOUS;
    let (units, [b1, b2]) = commune_and_branches(&mut updated, "26734");
    applied(&s.push(&updated, units).await);

    // The old laptop adds a member in its format: the unit is `branch_id`.
    let m = id();
    let add = old.op(
        "member",
        &m,
        "member.add",
        &[
            ("branch_id", json!(b1)),
            ("full_name", json!("Trần Thị Mai")),
        ],
    );
    assert_eq!(add.op_format, OP_FORMAT_PREVIOUS);
    let answer = s.push(&old, vec![add]).await;
    applied(&answer);
    let fields = &answer.results[0].fields;
    assert_eq!(value(fields, "branch_id"), json!(b1));
    assert!(!fields.contains_key("unit_id"), "{fields:?}");

    // Each laptop reads the member by the names it knows; other kinds are as they were.
    let (for_updated, _) = s.pull_all(&updated, 0, 100).await;
    let (for_old, _) = s.pull_all(&old, 0, 100).await;
    let (new_view, old_view) = (latest(&for_updated, &m), latest(&for_old, &m));
    assert_eq!(value(&new_view, "unit_id"), json!(b1));
    assert!(!new_view.contains_key("branch_id"));
    assert_eq!(value(&old_view, "branch_id"), json!(b1));
    assert!(!old_view.contains_key("unit_id"));
    assert_eq!(latest(&for_old, &b2), latest(&for_updated, &b2));

    // Both move the member at once, each from the version it pulled: one conflict, kept by
    // the server under the current name and answered to the old laptop under its own.
    let seen = new_view["unit_id"].version.clone();
    let to_b2 = updated.edit("member", &m, &[("unit_id", json!(b2))], &seen);
    applied(&s.push(&updated, vec![to_b2]).await);
    let back = old.edit("member", &m, &[("branch_id", json!(b1))], &seen);
    let answer = s.push(&old, vec![back]).await;
    match &answer.results[0].outcome {
        OpOutcome::Conflict { conflicts } => {
            assert_eq!(conflicts.len(), 1, "{conflicts:?}");
            assert_eq!(conflicts[0].field, "branch_id");
        }
        other => panic!("a concurrent move conflicts: {other:?}"),
    }
    let kept = value(&answer.results[0].fields, "branch_id");
    assert_eq!(
        s.db.scalar("SELECT count(*) FROM conflicts WHERE entity = 'member' AND field = 'unit_id'")
            .await,
        1
    );
    assert_eq!(
        s.db.scalar("SELECT count(*) FROM conflicts WHERE field = 'branch_id'")
            .await,
        0
    );
    let (for_updated, _) = s.pull_all(&updated, 0, 100).await;
    let (for_old, _) = s.pull_all(&old, 0, 100).await;
    assert_eq!(value(&latest(&for_updated, &m), "unit_id"), kept);
    assert_eq!(value(&latest(&for_old, &m), "branch_id"), kept);

    // The scope of an old op is read from its upcast field: a member the old laptop aims at
    // another commune's branch is refused.
    let mut elsewhere = s.device_in("26735").await;
    let (units, [foreign, _]) = commune_and_branches(&mut elsewhere, "26735");
    applied(&s.push(&elsewhere, units).await);
    let stray = old.op(
        "member",
        &id(),
        "member.add",
        &[
            ("branch_id", json!(foreign)),
            ("full_name", json!("Lê Văn Nam")),
        ],
    );
    let answer = s.push(&old, vec![stray]).await;
    match &answer.results[0].outcome {
        OpOutcome::Rejected { code, .. } => assert_eq!(*code, RejectCode::OutsideScope),
        other => panic!("{other:?}"),
    }
    let (for_elsewhere, _) = s.pull_all(&elsewhere, 0, 100).await;
    assert!(
        for_elsewhere.iter().all(|c| c.entity != "member"),
        "{for_elsewhere:?}"
    );
}

async fn an_older_format_is_told_to_update_and_changes_nothing(db: TestDatabase) {
    let s = start_server(db).await;
    s.commune_and_code().await;
    let mut d = s.device_in("26734").await;
    let (units, _) = commune_and_branches(&mut d, "26734");
    let before = s.db.scalar("SELECT count(*) FROM changes").await;
    for (request_format, op_format) in [
        (OP_FORMAT_PREVIOUS - 1, OP_FORMAT),
        (OP_FORMAT, OP_FORMAT_PREVIOUS - 1),
    ] {
        let ops: Vec<Op> = units
            .iter()
            .cloned()
            .map(|mut op| {
                op.op_format = op_format;
                op
            })
            .collect();
        let resp = s
            .client
            .post(s.url("/v1/push"))
            .bearer_auth(&d.token)
            .json(&PushRequest {
                op_format: request_format,
                device_id: d.id.to_string(),
                ops,
            })
            .send()
            .await
            .unwrap();
        assert_error(resp, 426, "update_required").await;
    }
    let resp = s
        .client
        .post(s.url("/v1/pull"))
        .bearer_auth(&d.token)
        .json(&PullRequest {
            op_format: OP_FORMAT_PREVIOUS - 1,
            cursor: 0,
            limit: 10,
        })
        .send()
        .await
        .unwrap();
    assert_error(resp, 426, "update_required").await;
    assert_eq!(s.db.scalar("SELECT count(*) FROM changes").await, before);
    assert_eq!(
        s.db.scalar("SELECT count(*) FROM ops_received").await,
        0,
        "no op was taken in"
    );
    // The same ops in a format the server reads are taken, sequences unused by the refusals.
    applied(&s.push(&d, units).await);
}

/// SQL that puts a server database back as the schema before format 2 held it (without the
/// later schemas too: 7's token use).
fn back_to_schema_5(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => {
            "UPDATE sync_rows
                SET state = json_set(json_remove(state, '$.unit_id'), '$.branch_id', json(json_extract(state, '$.unit_id')))
              WHERE entity = 'member';
             UPDATE changes
                SET fields = json_set(json_remove(fields, '$.unit_id'), '$.branch_id', json(json_extract(fields, '$.unit_id')))
              WHERE entity = 'member' AND json_type(fields, '$.unit_id') = 'object';
             UPDATE conflicts SET field = 'branch_id' WHERE entity = 'member' AND field = 'unit_id';
             ALTER TABLE devices DROP COLUMN token_used_at;
             PRAGMA user_version = 5;"
        }
        Backend::Postgres => {
            "UPDATE sync_rows SET state = (state - 'unit_id') || jsonb_build_object('branch_id', state -> 'unit_id')
              WHERE entity = 'member';
             UPDATE changes SET fields = (fields - 'unit_id') || jsonb_build_object('branch_id', fields -> 'unit_id')
              WHERE entity = 'member' AND fields ? 'unit_id';
             UPDATE conflicts SET field = 'branch_id' WHERE entity = 'member' AND field = 'unit_id';
             ALTER TABLE devices DROP COLUMN token_used_at;
             DELETE FROM khuyenhoc_schema WHERE version >= 6;"
        }
    }
}

async fn a_database_of_the_previous_schema_is_carried_over(db: TestDatabase) {
    let mut s = start_server(db).await;
    s.commune_and_code().await;
    let mut a = s.device_in("26734").await;
    let mut b = s.device_in("26734").await;
    let (units, [b1, b2]) = commune_and_branches(&mut a, "26734");
    applied(&s.push(&a, units).await);
    let m = id();
    let add = a.op(
        "member",
        &m,
        "member.add",
        &[("unit_id", json!(b1)), ("full_name", json!("Phạm Thị Lan"))],
    );
    applied(&s.push(&a, vec![add]).await);
    let (pulled, _) = s.pull_all(&b, 0, 100).await;
    let seen = latest(&pulled, &m)["unit_id"].version.clone();
    // A conflict on the unit, then the database as the schema before format 2 held it.
    let first = a.edit("member", &m, &[("unit_id", json!(b2))], &seen);
    applied(&s.push(&a, vec![first]).await);
    let second = b.edit("member", &m, &[("unit_id", json!(b1))], &seen);
    let answer = s.push(&b, vec![second]).await;
    assert!(matches!(
        answer.results[0].outcome,
        OpOutcome::Conflict { .. }
    ));
    let (before, _) = s.pull_all(&b, 0, 100).await;
    let backend = s.db.backend();
    s.stop().await;
    s.db.execute(back_to_schema_5(backend)).await;
    assert_eq!(
        s.db.scalar("SELECT count(*) FROM conflicts WHERE field = 'branch_id'")
            .await,
        1
    );

    s.restart().await;
    // Tokens of devices enrolled before schema 7 keep working: their last use is the upgrade.
    let (after, _) = s.pull_all(&b, 0, 100).await;
    assert_eq!(
        after, before,
        "every change as it was, under the current name"
    );
    assert_eq!(
        s.db.scalar("SELECT count(*) FROM conflicts WHERE field = 'unit_id'")
            .await,
        1
    );
    // The member still lies under its unit, and an edit from the version pulled is sequential.
    let now = latest(&after, &m)["unit_id"].clone();
    let next = b.edit("member", &m, &[("unit_id", json!(b2))], &now.version);
    applied(&s.push(&b, vec![next]).await);
}

test_on_both_databases!(
    a_laptop_not_yet_updated_syncs_beside_an_updated_one,
    an_older_format_is_told_to_update_and_changes_nothing,
    a_database_of_the_previous_schema_is_carried_over,
);
