//! The laptop's side of sync in the database: push answers and pulled pages applied in one
//! transaction each, writing no outbox ops; pending local edits kept (rebase); a refused op
//! parked with its effect undone and its row held back; conflicts kept; a restored server's
//! page refused.

mod common;

use std::collections::BTreeMap;

use common::answers::*;
use common::{count, fixture, person};
use khuyenhoc_store::Store;
use khuyenhoc_sync_protocol::{Conflict, OpOutcome, OpResult, RejectCode};
use serde_json::json;

/// Changes a member's name or phone on the laptop (one pending op).
fn edit(
    store: &mut Store,
    id: &uuid::Uuid,
    change: impl FnOnce(&mut khuyenhoc_domain::MemberInput),
) {
    let mut input = store.member_input(id).unwrap().1;
    change(&mut input);
    store.update_member(id, &input, None).unwrap();
}

/// The version the member row was created with (what the server holds before any edit).
fn created_version(store: &Store, id: &uuid::Uuid) -> String {
    store
        .connection()
        .query_row(
            "SELECT created_version FROM members WHERE id = ?1",
            [id.to_string()],
            |r| r.get(0),
        )
        .unwrap()
}

fn field(store: &Store, id: &str, name: &str) -> Option<String> {
    store
        .connection()
        .query_row(
            &format!("SELECT {name} FROM members WHERE id = ?1"),
            [id],
            |r| r.get(0),
        )
        .unwrap()
}

#[test]
fn a_pulled_page_applies_without_ops_and_keeps_fields_with_pending_edits() {
    let f = fixture();
    let mut store = f.store;
    let m = store
        .add_member(&f.branch_a.id, &person("Nguyễn Văn An"))
        .unwrap();
    push_all(&mut store);
    assert_eq!(store.sync_status().unwrap().pending, 0);
    // An edit of the phone, not pushed yet.
    edit(&mut store, &m.id, |m| m.phone = Some("0912345678".into()));
    let ops_before = count(&store, "SELECT count(*) FROM outbox");

    let newer = stamp(9_000_000_000_000);
    let report = store
        .apply_pull_page(&page(
            42,
            vec![member_change(
                42,
                &m.id.to_string(),
                &[
                    ("full_name", json!("Nguyễn Văn Ánh"), &newer),
                    ("phone", json!("0987654321"), &newer),
                ],
            )],
        ))
        .unwrap();
    assert_eq!(report.changes, 1);
    assert_eq!(report.fields_kept_pending, 1);
    let id = m.id.to_string();
    assert_eq!(
        field(&store, &id, "full_name").as_deref(),
        Some("Nguyễn Văn Ánh")
    );
    assert_eq!(
        field(&store, &id, "phone").as_deref(),
        Some("0912345678"),
        "the pending edit stays"
    );
    assert_eq!(
        count(&store, "SELECT count(*) FROM outbox"),
        ops_before,
        "pulling wrote an op"
    );
    let status = store.sync_status().unwrap();
    assert_eq!(
        (status.pull_cursor, status.server_epoch.as_deref()),
        (42, Some(EPOCH))
    );
    assert_eq!(status.pending, 1);
    // The search text follows the pulled name.
    assert_eq!(
        count(
            &store,
            "SELECT count(*) FROM member_search WHERE member_search MATCH 'anh'"
        ),
        1
    );
}

#[test]
fn an_older_version_never_replaces_a_newer_one() {
    let f = fixture();
    let mut store = f.store;
    let m = store
        .add_member(&f.branch_a.id, &person("Trần Thị Bình"))
        .unwrap();
    push_all(&mut store);
    store
        .apply_pull_page(&page(
            3,
            vec![member_change(
                3,
                &m.id.to_string(),
                &[("full_name", json!("Trần Thị Bính"), &stamp(1))],
            )],
        ))
        .unwrap();
    assert_eq!(
        field(&store, &m.id.to_string(), "full_name").as_deref(),
        Some("Trần Thị Bình")
    );
    assert_eq!(store.sync_status().unwrap().pull_cursor, 3);
}

#[test]
fn a_lost_conflict_takes_the_kept_value_and_keeps_ours_for_review() {
    let f = fixture();
    let mut store = f.store;
    let m = store
        .add_member(&f.branch_a.id, &person("Lê Đức Anh"))
        .unwrap();
    push_all(&mut store);
    edit(&mut store, &m.id, |m| m.phone = Some("0912345678".into()));
    let op = store.next_push(10).unwrap().remove(0);
    let kept = state(json!("0977000111"), &stamp(9_000_000_000_000));
    let ours = state(json!("0912345678"), &op.version);
    let report = store
        .apply_push_response(&answer(vec![OpResult {
            op_id: op.op_id.clone(),
            device_seq: op.device_seq,
            outcome: OpOutcome::Conflict {
                conflicts: vec![Conflict {
                    field: "phone".into(),
                    kept: kept.clone(),
                    lost: ours,
                    op_lost: true,
                }],
            },
            fields: BTreeMap::from([("phone".to_owned(), kept)]),
            landed: None,
        }]))
        .unwrap();
    assert_eq!((report.acknowledged, report.conflicts), (1, 1));
    assert_eq!(
        field(&store, &m.id.to_string(), "phone").as_deref(),
        Some("0977000111")
    );
    let status = store.sync_status().unwrap();
    assert_eq!((status.pending, status.conflicts), (0, 1));
    assert_eq!(
        count(
            &store,
            "SELECT count(*) FROM sync_conflicts WHERE lost_value = '\"0912345678\"' AND field = 'phone'"
        ),
        1
    );
}

#[test]
fn a_refused_op_is_parked_undone_and_holds_back_its_row_only() {
    let f = fixture();
    let mut store = f.store;
    let a = store
        .add_member(&f.branch_a.id, &person("Phạm Văn Cường"))
        .unwrap();
    let b = store
        .add_member(&f.branch_a.id, &person("Hoàng Thị Dung"))
        .unwrap();
    push_all(&mut store);
    assert!(store.next_push(10).unwrap().is_empty());
    let original = created_version(&store, &a.id);
    for (id, name) in [
        (&a.id, "Phạm Văn Cương"),
        (&a.id, "Phạm Văn Cường Em"),
        (&b.id, "Hoàng Thị Dũng"),
    ] {
        edit(&mut store, id, |m| m.full_name = name.into());
    }
    let ops = store.next_push(1).unwrap();
    assert_eq!(ops.len(), 1);
    let refused = &ops[0];
    assert_eq!(refused.row_id, a.id.to_string());
    store
        .apply_push_response(&refusal(
            refused,
            RejectCode::OutsideScope,
            "Hội viên này thuộc xã khác.",
            "Phạm Văn Cường",
            &original,
        ))
        .unwrap();
    let status = store.sync_status().unwrap();
    assert_eq!((status.parked, status.pending), (1, 2));
    assert_eq!(
        count(
            &store,
            "SELECT count(*) FROM parked_ops WHERE code = 'outside_scope' AND reason = 'Hội viên này thuộc xã khác.'"
        ),
        1
    );
    // The later edit of the same member waits behind the refused one; the other member goes.
    let next = store.next_push(10).unwrap();
    assert_eq!(next.len(), 1);
    assert_eq!(next[0].row_id, b.id.to_string());
    // The refused edit's effect is undone only where no later edit sits on top of it: here the
    // second pending rename of the same member keeps the screen as the officer left it.
    assert_eq!(
        field(&store, &a.id.to_string(), "full_name").as_deref(),
        Some("Phạm Văn Cường Em")
    );
}

#[test]
fn the_push_sent_before_an_answer_is_applied_holds_back_the_rows_that_answer_refused() {
    let f = fixture();
    let mut store = f.store;
    let a = store
        .add_member(&f.branch_a.id, &person("Phạm Văn Cường"))
        .unwrap();
    let b = store
        .add_member(&f.branch_a.id, &person("Hoàng Thị Dung"))
        .unwrap();
    push_all(&mut store);
    for (id, name) in [
        (&a.id, "Phạm Văn Cương"),
        (&a.id, "Phạm Văn Cường Em"),
        (&b.id, "Hoàng Thị Dũng"),
    ] {
        edit(&mut store, id, |m| m.full_name = name.into());
    }
    let sent = store.next_push(1).unwrap();
    let refused = &sent[0];
    assert_eq!(refused.row_id, a.id.to_string());
    // Without the refusal known, the next push would carry the member's later edit.
    let unaware = store
        .next_push_after(1, refused.device_seq, &Default::default())
        .unwrap();
    assert_eq!(unaware[0].row_id, a.id.to_string());
    // Knowing it (the answer received, not yet applied), the row waits and the push is filled
    // from further along the outbox.
    let held = std::collections::BTreeMap::from([(refused.row(), refused.version.clone())]);
    let next = store.next_push_after(1, refused.device_seq, &held).unwrap();
    assert_eq!(next.len(), 1);
    assert_eq!(next[0].row_id, b.id.to_string());
    assert!(
        store
            .next_push_after(1, next[0].device_seq, &held)
            .unwrap()
            .is_empty()
    );
}

#[test]
fn a_refused_op_alone_on_its_field_is_undone_to_the_servers_value() {
    let f = fixture();
    let mut store = f.store;
    let a = store
        .add_member(&f.branch_a.id, &person("Võ Văn Em"))
        .unwrap();
    push_all(&mut store);
    let original = created_version(&store, &a.id);
    edit(&mut store, &a.id, |m| m.full_name = "Võ Văn Êm".into());
    let op = store.next_push(1).unwrap().remove(0);
    store
        .apply_push_response(&refusal(
            &op,
            RejectCode::InvalidValue,
            "Họ tên không hợp lệ.",
            "Võ Văn Em",
            &original,
        ))
        .unwrap();
    assert_eq!(
        field(&store, &a.id.to_string(), "full_name").as_deref(),
        Some("Võ Văn Em")
    );
    assert_eq!(store.sync_status().unwrap().pending, 0);
}

#[test]
fn a_page_from_a_restored_server_changes_nothing() {
    let f = fixture();
    let mut store = f.store;
    let m = store
        .add_member(&f.branch_a.id, &person("Đỗ Thị Hoa"))
        .unwrap();
    push_all(&mut store);
    store.apply_pull_page(&page(7, vec![])).unwrap();
    let mut other = page(
        9,
        vec![member_change(
            9,
            &m.id.to_string(),
            &[("full_name", json!("Đỗ Thị Huệ"), &stamp(9_000_000_000_000))],
        )],
    );
    other.epoch = "0195f0a0-0000-7000-8000-000000000002".into();
    let err = store.apply_pull_page(&other).unwrap_err();
    assert_eq!(err.code(), "server_epoch_changed");
    assert_eq!(
        field(&store, &m.id.to_string(), "full_name").as_deref(),
        Some("Đỗ Thị Hoa")
    );
    assert_eq!(store.sync_status().unwrap().pull_cursor, 7);
}

#[test]
fn ops_queued_under_schema_5_are_pushed_after_the_upgrade() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("schema5.db");
    khuyenhoc_store::create_at_schema(&path, 5).unwrap();
    // A change queued by the previous version, not yet sent.
    rusqlite::Connection::open(&path)
        .unwrap()
        .execute(
            "INSERT INTO outbox (device_id, device_seq, op_id, op_format, entity, row_id, intent, fields, author, version)
             VALUES ('0195f0a0-0000-7000-8000-0000000000aa', 1, '0195f0a0-0000-7000-8000-0000000000bb', 1,
                     'member', 'm1', 'member.update', '{\"phone\":\"0912345678\"}', 'lan', ?1)",
            [stamp(5)],
        )
        .unwrap();
    let store = Store::open(&path, khuyenhoc_store::OpenOptions::default()).unwrap();
    assert_eq!(
        store.schema_version().unwrap(),
        khuyenhoc_store::LATEST_SCHEMA
    );
    let status = store.sync_status().unwrap();
    assert_eq!((status.pending, status.pull_cursor), (1, 0));
    assert!(status.server_epoch.is_none());
}

#[test]
fn the_upgrade_to_op_format_2_renames_a_members_unit_everywhere_the_laptop_keeps_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("schema8.db");
    khuyenhoc_store::create_at_schema(&path, 8).unwrap();
    let c = rusqlite::Connection::open(&path).unwrap();
    c.execute_batch(
        "INSERT INTO org_units (id, kind, name, created_version) VALUES ('u1', 'branch', 'Chi hội Thôn 1', 'v0');
         INSERT INTO members (id, branch_id, full_name, search_text, sort_key, created_version, versions)
         VALUES ('m1', 'u1', 'Lê Thị Hoa', 'le thi hoa', x'00', 'v1', '{\"branch_id\":\"v2\",\"phone\":\"v3\"}');
         INSERT INTO sync_conflicts (op_id, entity, row_id, field, kept_value, kept_version, lost_value, lost_version, detected_ms)
         VALUES ('o0', 'member', 'm1', 'branch_id', '\"u1\"', 'v2', '\"u0\"', 'v1', 0);",
    )
    .unwrap();
    let queue = [
        // A move queued offline, with the version of the unit it was based on.
        (
            1,
            "member",
            "{\"branch_id\":\"u1\",\"phone\":\"0912\"}",
            Some("{\"branch_id\":\"v2\"}"),
        ),
        // Another kind whose field is called the same is not renamed.
        (2, "org_unit_event", "{\"branch_id\":\"x\"}", None),
        // A row whose fields cannot be read is left as it was, not holding the upgrade back.
        (3, "member", "{not json", None),
    ];
    for (seq, entity, fields, bases) in queue {
        c.execute(
            "INSERT INTO outbox (device_id, device_seq, op_id, op_format, entity, row_id, intent, fields, bases, author, version)
             VALUES ('d1', ?1, 'o' || ?1, 1, ?2, 'm1', 'member.update', ?3, ?4, 'lan', 'v' || ?1)",
            rusqlite::params![seq, entity, fields, bases],
        )
        .unwrap();
    }
    drop(c);

    let store = Store::open(&path, khuyenhoc_store::OpenOptions::default()).unwrap();
    assert_eq!(
        store.schema_version().unwrap(),
        khuyenhoc_store::LATEST_SCHEMA
    );
    let row = |sql: &str| -> Vec<(i64, String, Option<String>)> {
        let mut stmt = store.connection().prepare(sql).unwrap();
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    };
    let outbox = row("SELECT op_format, fields, bases FROM outbox ORDER BY device_seq");
    let parsed = |text: &str| serde_json::from_str::<serde_json::Value>(text).unwrap();
    assert_eq!(outbox[0].0, khuyenhoc_store::OP_FORMAT);
    assert_eq!(
        parsed(&outbox[0].1),
        json!({"unit_id": "u1", "phone": "0912"})
    );
    assert_eq!(
        parsed(outbox[0].2.as_deref().unwrap()),
        json!({"unit_id": "v2"})
    );
    assert_eq!(parsed(&outbox[1].1), json!({"branch_id": "x"}));
    assert_eq!((outbox[2].0, outbox[2].1.as_str()), (1, "{not json"));
    let member = row("SELECT 0, unit_id, versions FROM members");
    assert_eq!(member[0].1, "u1");
    assert_eq!(
        parsed(member[0].2.as_deref().unwrap()),
        json!({"unit_id": "v2", "phone": "v3"})
    );
    assert_eq!(
        count(
            &store,
            "SELECT count(*) FROM sync_conflicts WHERE field = 'unit_id'"
        ),
        1
    );
}

fn enrollment(server: &str) -> khuyenhoc_store::Enrollment {
    khuyenhoc_store::Enrollment {
        server_url: server.into(),
        token: "token-secret".into(),
        signing_key: vec![7; 32],
        unit_id: "0195f0a0-0000-7000-8000-0000000000cc".into(),
        unit_name: "Hội Khuyến học xã Tân Hòa".into(),
    }
}

#[test]
fn a_copy_of_the_file_keeps_no_token_and_another_server_pulls_from_zero() {
    let f = fixture();
    let mut store = f.store;
    assert!(store.enrollment().unwrap().is_none());
    store
        .save_enrollment(&enrollment("https://a.example/"), EPOCH)
        .unwrap();
    store.apply_pull_page(&page(12, vec![])).unwrap();
    assert_eq!(
        store.enrollment().unwrap(),
        Some(enrollment("https://a.example/"))
    );
    // Enrolling again with the same server keeps the cursor; another server starts over.
    store
        .save_enrollment(&enrollment("https://a.example/"), EPOCH)
        .unwrap();
    assert_eq!(store.sync_status().unwrap().pull_cursor, 12);

    let copy = f.path.with_file_name("copy.db");
    store.backup(&copy).unwrap();
    let copied = Store::open(&copy, khuyenhoc_store::OpenOptions::default()).unwrap();
    assert_ne!(copied.device_id(), store.device_id());
    assert!(
        copied.enrollment().unwrap().is_none(),
        "a copy of the file carries the original device's token"
    );

    store
        .save_enrollment(&enrollment("https://b.example/"), "another-epoch")
        .unwrap();
    let status = store.sync_status().unwrap();
    assert_eq!(
        (status.pull_cursor, status.server_epoch.as_deref()),
        (0, Some("another-epoch"))
    );
}

#[test]
fn a_row_that_leaves_the_laptops_scope_is_dropped_here() {
    let f = fixture();
    let mut store = f.store;
    let m = store
        .add_member(&f.branch_a.id, &person("Đỗ Thị Hoa"))
        .unwrap();
    push_all(&mut store);
    let mut exit = member_change(12, &m.id.to_string(), &[]);
    exit.scope_exit = true;
    let report = store.apply_pull_page(&page(12, vec![exit])).unwrap();
    assert_eq!(report.scope_exits, 1);
    assert_eq!(store.sync_status().unwrap().pull_cursor, 12);
    assert_eq!(
        count(
            &store,
            "SELECT count(*) FROM members WHERE deleted = 0 AND merged_into IS NULL"
        ),
        0,
        "the member moved to another commune is no longer listed here"
    );
    assert_eq!(
        store.sync_status().unwrap().pending,
        0,
        "dropping it is not a change"
    );
}

#[test]
fn a_row_that_comes_back_holds_what_the_server_holds_and_nothing_it_refused() {
    let f = fixture();
    let mut store = f.store;
    let m = store
        .add_member(&f.branch_a.id, &person("Đỗ Thị Hoa"))
        .unwrap();
    push_all(&mut store);
    let created = created_version(&store, &m.id);
    let id = m.id.to_string();
    // A phone set here while the member was being moved to another commune: refused there.
    edit(&mut store, &m.id, |p| p.phone = Some("0912345678".into()));
    let op = store.next_push(1).unwrap().remove(0);
    let mut refused = refusal(&op, RejectCode::OutsideScope, "Thuộc đơn vị khác.", "", "");
    refused.results[0].fields.clear();
    store.apply_push_response(&refused).unwrap();
    let mut exit = member_change(12, &id, &[]);
    exit.scope_exit = true;
    store.apply_pull_page(&page(12, vec![exit])).unwrap();
    // Moved back: the server sends all it holds, and it never held the phone.
    let back = member_change(
        13,
        &id,
        &[
            (
                "unit_id",
                json!(f.branch_b.id.to_string()),
                &stamp(2_000_000_000_000),
            ),
            ("full_name", json!("Đỗ Thị Hoa"), &created),
            ("status", json!("active"), &created),
        ],
    );
    store.apply_pull_page(&page(13, vec![back])).unwrap();
    let got = store.get_member(&m.id).unwrap();
    assert_eq!((got.unit_id, got.phone), (f.branch_b.id, None));
    let found = store
        .list_members(&khuyenhoc_store::MemberQuery {
            text: Some("0912345678".into()),
            ..Default::default()
        })
        .unwrap();
    assert!(found.members.is_empty(), "the search follows");
    // A value written later anywhere is taken over the emptied one.
    let later = member_change(14, &id, &[("phone", json!("0987654321"), &stamp(1))]);
    store.apply_pull_page(&page(14, vec![later])).unwrap();
    assert_eq!(field(&store, &id, "phone").as_deref(), Some("0987654321"));
}

#[test]
fn an_answer_that_puts_a_member_under_a_unit_not_held_here_drops_the_member() {
    let f = fixture();
    let mut store = f.store;
    let m = store
        .add_member(&f.branch_a.id, &person("Đỗ Thị Hoa"))
        .unwrap();
    push_all(&mut store);
    // Moved to a branch that was merged meanwhile into a branch of another commune: the server
    // puts the member there, which this laptop does not hold.
    let input = store.member_input(&m.id).unwrap().1;
    store
        .update_member(&m.id, &input, Some(&f.branch_b.id))
        .unwrap();
    let op = store.next_push(1).unwrap().remove(0);
    let mut result = applied(&op);
    result.fields.insert(
        "unit_id".into(),
        state(
            json!("0195f0a0-0000-7000-8000-0000000000ee"),
            &khuyenhoc_sync_protocol::version_after(&op.version),
        ),
    );
    store.apply_push_response(&answer(vec![result])).unwrap();
    assert!(store.get_member(&m.id).is_err(), "no longer kept here");
    let status = store.sync_status().unwrap();
    assert_eq!((status.pending, status.parked), (0, 0));
}
