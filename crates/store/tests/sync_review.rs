//! What sync leaves for a person: conflicts listed with both values and settled (keeping the
//! value everyone holds, or writing the lost one as a new edit), refused ops listed with their
//! reason and dismissed (the later changes of the record then go).

mod common;

use std::collections::BTreeMap;

use common::answers::*;
use common::{count, fixture, person};
use khuyenhoc_store::{MemberQuery, Store};
use khuyenhoc_sync_protocol::{Conflict, OpOutcome, OpResult, RejectCode};
use serde_json::json;
use uuid::Uuid;

/// This laptop changes the member's phone to `ours` while another officer's `theirs` wins on
/// the server: the push answer records the conflict.
fn lose_phone_edit(store: &mut Store, id: &Uuid, ours: &str, theirs: &str) {
    let mut input = store.member_input(id).unwrap().1;
    input.phone = Some(ours.into());
    store.update_member(id, &input, None).unwrap();
    let op = store.next_push(10).unwrap().remove(0);
    let kept = state(json!(theirs), &stamp(9_000_000_000_000));
    store
        .apply_push_response(&answer(vec![OpResult {
            op_id: op.op_id.clone(),
            device_seq: op.device_seq,
            outcome: OpOutcome::Conflict {
                conflicts: vec![Conflict {
                    field: "phone".into(),
                    kept: kept.clone(),
                    lost: state(json!(ours), &op.version),
                    op_lost: true,
                }],
            },
            fields: BTreeMap::from([("phone".to_owned(), kept)]),
            landed: None,
        }]))
        .unwrap();
}

fn phone(store: &Store, id: &Uuid) -> Option<String> {
    store.get_member(id).unwrap().phone
}

#[test]
fn a_conflict_is_listed_with_both_values_and_keeping_the_current_one_writes_nothing() {
    let f = fixture();
    let mut store = f.store;
    let m = store
        .add_member(&f.branch_a.id, &person("Lê Đức Anh"))
        .unwrap();
    push_all(&mut store);
    lose_phone_edit(&mut store, &m.id, "0912345678", "0977000111");

    let conflicts = store.sync_conflicts().unwrap();
    assert_eq!(conflicts.len(), 1);
    let c = &conflicts[0];
    assert_eq!(
        (c.entity.as_str(), c.row_id.clone(), c.field.as_str()),
        ("member", m.id.to_string(), "phone")
    );
    assert_eq!(
        (c.kept.clone(), c.lost.clone()),
        (json!("0977000111"), json!("0912345678"))
    );

    let ops_before = count(&store, "SELECT count(*) FROM outbox");
    store.resolve_conflict(c.id, false).unwrap();
    assert!(store.sync_conflicts().unwrap().is_empty());
    assert_eq!(store.sync_status().unwrap().conflicts, 0);
    assert_eq!(count(&store, "SELECT count(*) FROM outbox"), ops_before);
    assert_eq!(phone(&store, &m.id).as_deref(), Some("0977000111"));
    assert_eq!(
        store.resolve_conflict(c.id, false).unwrap_err().code(),
        "not_found",
        "a settled conflict is not settled twice"
    );
}

#[test]
fn choosing_the_lost_value_is_a_new_edit_based_on_the_kept_one() {
    let f = fixture();
    let mut store = f.store;
    let m = store
        .add_member(&f.branch_a.id, &person("Lê Đức Anh"))
        .unwrap();
    push_all(&mut store);
    lose_phone_edit(&mut store, &m.id, "0912345678", "0977000111");
    let c = store.sync_conflicts().unwrap().remove(0);

    store.resolve_conflict(c.id, true).unwrap();
    assert_eq!(phone(&store, &m.id).as_deref(), Some("0912345678"));
    let ops = store.next_push(10).unwrap();
    assert_eq!(ops.len(), 1);
    let op = &ops[0];
    assert_eq!(
        (op.entity.as_str(), op.intent.as_str()),
        ("member", "member.update")
    );
    assert_eq!(op.fields["phone"].value, json!("0912345678"));
    assert_eq!(
        op.fields["phone"].base.as_deref(),
        Some(stamp(9_000_000_000_000).as_str()),
        "based on the value it replaces, so the server sees a sequential edit"
    );
    assert!(
        op.version > stamp(9_000_000_000_000),
        "the clock moved past the kept version"
    );
    // The register's search finds the member by the chosen phone.
    let found = store
        .list_members(&MemberQuery {
            text: Some("0912345678".into()),
            limit: 10,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(found.members.len(), 1);
    assert!(store.sync_conflicts().unwrap().is_empty());
}

#[test]
fn a_refused_op_is_listed_with_its_reason_and_dismissing_it_lets_the_later_edits_go() {
    let f = fixture();
    let mut store = f.store;
    let m = store
        .add_member(&f.branch_a.id, &person("Đỗ Thị Hoa"))
        .unwrap();
    push_all(&mut store);
    let mut input = store.member_input(&m.id).unwrap().1;
    input.full_name = "Đỗ Thị Huệ".into();
    store.update_member(&m.id, &input, None).unwrap();
    let refused = store.next_push(10).unwrap().remove(0);
    store
        .apply_push_response(&refusal(
            &refused,
            RejectCode::OutsideScope,
            "Hội viên này thuộc hội khác.",
            "Đỗ Thị Hoa",
            &refused.version,
        ))
        .unwrap();
    input.phone = Some("0912345678".into());
    store.update_member(&m.id, &input, None).unwrap();
    assert!(
        store.next_push(10).unwrap().is_empty(),
        "held behind the refused op"
    );

    let parked = store.parked_ops().unwrap();
    assert_eq!(parked.len(), 1);
    assert_eq!(parked[0].op_id, refused.op_id);
    assert_eq!(parked[0].intent, "member.update");
    assert_eq!(parked[0].code, "outside_scope");
    assert_eq!(parked[0].reason, "Hội viên này thuộc hội khác.");

    store.dismiss_parked_op(&refused.op_id).unwrap();
    assert!(store.parked_ops().unwrap().is_empty());
    assert_eq!(store.next_push(10).unwrap().len(), 1);
    assert_eq!(
        store.dismiss_parked_op(&refused.op_id).unwrap_err().code(),
        "not_found"
    );
}

#[test]
fn a_refused_create_leaves_the_register_and_waits_with_its_reason() {
    let f = fixture();
    let mut store = f.store;
    push_all(&mut store);
    let m = store
        .add_member(&f.branch_a.id, &person("Phan Văn Tú"))
        .unwrap();
    let create = store.next_push(10).unwrap().remove(0);
    assert_eq!(create.intent, "member.create");
    store
        .apply_push_response(&answer(vec![OpResult {
            op_id: create.op_id.clone(),
            device_seq: create.device_seq,
            outcome: OpOutcome::Rejected {
                code: RejectCode::OutsideScope,
                reason: "Chi hội này thuộc hội khác.".into(),
            },
            fields: BTreeMap::new(),
            landed: None,
        }]))
        .unwrap();
    let listed = store
        .list_members(&MemberQuery {
            limit: 10,
            ..Default::default()
        })
        .unwrap();
    assert!(
        listed.members.iter().all(|x| x.id != m.id),
        "the server has no such member, nor does the laptop any more"
    );
    let parked = store.parked_ops().unwrap();
    assert_eq!(parked.len(), 1);
    assert_eq!(parked[0].intent, "member.create");
    assert_eq!(parked[0].reason, "Chi hội này thuộc hội khác.");
    // The officer reviewing the refusal still reads whom it was about.
    assert_eq!(
        store
            .record_name("member", &m.id.to_string())
            .unwrap()
            .as_deref(),
        Some("Phan Văn Tú")
    );
    // A record whose name is no longer held here is named by the laptop's own change of it.
    store
        .connection()
        .execute(
            "UPDATE members SET full_name = '' WHERE id = ?1",
            [m.id.to_string()],
        )
        .unwrap();
    assert_eq!(
        store
            .record_name("member", &m.id.to_string())
            .unwrap()
            .as_deref(),
        Some("Phan Văn Tú")
    );
    assert_eq!(store.record_name("member_dues", "x").unwrap(), None);
}
