//! The change log for sync: one op per change, changed fields only with their bases, device
//! sequences allocated inside the write transaction, and remote changes applied without ops.

mod common;

use std::collections::BTreeMap;

use common::{count, fixture, person, with_card};
use khuyenhoc_domain::MemberInput;
use khuyenhoc_store::{OP_FORMAT, Op, OpField, OpenOptions, Store};
use serde_json::json;

#[test]
fn every_write_appends_one_op_with_only_the_changed_fields() {
    let f = fixture();
    let mut store = f.store;
    let before = store.pending_ops(1000).unwrap().len();
    let m = store
        .add_member(
            &f.branch_a.id,
            &MemberInput {
                phone: Some("0912345678".into()),
                ..person("Nguyễn Văn An")
            },
        )
        .unwrap();
    let ops = store.pending_ops(1000).unwrap();
    assert_eq!(ops.len(), before + 1);
    let create = ops.last().unwrap();
    assert_eq!(create.intent, "member.create");
    assert_eq!(create.entity, "member");
    assert_eq!(create.row_id, m.id.to_string());
    assert_eq!(create.op_format, OP_FORMAT);
    assert_eq!(create.author, "thu-ky");
    assert_eq!(create.device_id, store.device_id().to_string());
    assert_eq!(
        create.fields["full_name"],
        OpField {
            value: json!("Nguyễn Văn An"),
            base: None
        }
    );
    assert!(
        !create.fields.contains_key("address"),
        "absent fields are not sent"
    );
    assert!(
        uuid::Uuid::parse_str(&create.op_id)
            .unwrap()
            .get_version_num()
            == 7
    );

    let mut input = store.member_input(&m.id).unwrap().1;
    input.phone = Some("0987654321".into());
    store.update_member(&m.id, &input, None).unwrap();
    let update = store.pending_ops(1000).unwrap().pop().unwrap();
    assert_eq!(update.intent, "member.update");
    assert_eq!(
        update.fields.keys().collect::<Vec<_>>(),
        ["phone"],
        "only the changed field"
    );
    assert_eq!(update.fields["phone"].value, json!("0987654321"));
    assert_eq!(
        update.fields["phone"].base.as_deref(),
        Some(create.version.as_str()),
        "base = the version this device last saw"
    );
    assert_eq!(update.device_seq, create.device_seq + 1);
    assert!(update.version > create.version);

    // A second change to the same field is based on the first change.
    input.phone = Some("0911111111".into());
    store.update_member(&m.id, &input, None).unwrap();
    let again = store.pending_ops(1000).unwrap().pop().unwrap();
    assert_eq!(
        again.fields["phone"].base.as_deref(),
        Some(update.version.as_str())
    );

    // No change, no op.
    let n = store.pending_ops(1000).unwrap().len();
    store.update_member(&m.id, &input, None).unwrap();
    assert_eq!(store.pending_ops(1000).unwrap().len(), n);
}

#[test]
fn a_refused_write_allocates_nothing() {
    let f = fixture();
    let mut store = f.store;
    store
        .add_member(&f.branch_a.id, &with_card("Nguyễn Văn An", "HV01"))
        .unwrap();
    let stats = store.outbox_stats().unwrap();
    assert!(
        store
            .add_member(&f.branch_b.id, &with_card("Lê Thị Bình", "hv01"))
            .is_err()
    );
    assert!(store.add_member(&f.branch_b.id, &person("")).is_err());
    assert_eq!(store.outbox_stats().unwrap(), stats);
    assert_eq!(count(&store, "SELECT count(*) FROM members"), 1);
}

#[test]
fn two_handles_on_one_file_never_reuse_a_sequence() {
    let f = fixture();
    let mut a = f.store;
    let mut b = Store::open(
        &f.path,
        OpenOptions {
            author: "chu-tich".into(),
            ..Default::default()
        },
    )
    .unwrap();
    for i in 0..10 {
        let (s, who) = if i % 2 == 0 {
            (&mut a, "A")
        } else {
            (&mut b, "B")
        };
        s.add_member(
            &f.branch_a.id,
            &person(&format!(
                "Người {who} {}",
                ["An", "Bình", "Chi", "Dung", "Em"][i / 2]
            )),
        )
        .unwrap();
    }
    let seqs: Vec<i64> = a
        .pending_ops(1000)
        .unwrap()
        .iter()
        .map(|o| o.device_seq)
        .collect();
    let expected: Vec<i64> = (1..=seqs.len() as i64).collect();
    assert_eq!(seqs, expected, "dense, increasing, no reuse");
    let authors: Vec<String> = a
        .pending_ops(1000)
        .unwrap()
        .iter()
        .rev()
        .take(2)
        .map(|o| o.author.clone())
        .collect();
    assert_eq!(authors, ["chu-tich", "thu-ky"]);
}

fn remote_op(row: &str, entity: &str, version: &str, fields: &[(&str, serde_json::Value)]) -> Op {
    Op {
        op_id: uuid::Uuid::now_v7().to_string(),
        device_id: "0197a000-0000-7000-8000-000000000001".into(),
        device_seq: 1,
        op_format: OP_FORMAT,
        entity: entity.into(),
        row_id: row.into(),
        intent: format!("{entity}.update"),
        fields: fields
            .iter()
            .map(|(k, v)| {
                (
                    (*k).to_owned(),
                    OpField {
                        value: v.clone(),
                        base: None,
                    },
                )
            })
            .collect::<BTreeMap<_, _>>(),
        author: "may-khac".into(),
        version: version.into(),
    }
}

#[test]
fn remote_changes_apply_field_by_field_without_outbox_ops() {
    let f = fixture();
    let mut store = f.store;
    let m = store
        .add_member(&f.branch_a.id, &person("Nguyễn Văn An"))
        .unwrap();
    let ops_before = count(&store, "SELECT count(*) FROM outbox");
    let seq_before = count(&store, "SELECT next_seq FROM local_state");
    let far_future = "999999999999999-0000000000-0197a000-0000-7000-8000-000000000001";
    let long_ago = "000000000000001-0000000000-0197a000-0000-7000-8000-000000000001";
    let new_member = "0197a000-0000-7000-8000-0000000000aa";
    let report = store
        .apply_remote_ops(&[
            remote_op(
                &m.id.to_string(),
                "member",
                far_future,
                &[
                    ("phone", json!("0909000111")),
                    ("full_name", json!("Nguyễn Văn Ân")),
                ],
            ),
            remote_op(
                &m.id.to_string(),
                "member",
                long_ago,
                &[("address", json!("Thôn 9"))],
            ),
            remote_op(
                new_member,
                "member",
                far_future,
                &[
                    ("unit_id", json!(f.branch_b.id.to_string())),
                    ("full_name", json!("Đỗ Thị Hoa")),
                    ("status", json!("active")),
                ],
            ),
        ])
        .unwrap();
    assert_eq!(report.rows_created, 1);
    assert_eq!(
        report.fields_older, 1,
        "a change older than the row's creation loses"
    );
    assert_eq!(
        count(&store, "SELECT count(*) FROM outbox"),
        ops_before,
        "applying remote changes writes no ops"
    );
    assert_eq!(
        count(&store, "SELECT next_seq FROM local_state"),
        seq_before
    );
    let got = store.get_member(&m.id).unwrap();
    assert_eq!(got.phone.as_deref(), Some("0909000111"));
    assert_eq!(got.full_name, "Nguyễn Văn Ân");
    assert_eq!(got.address, None);
    // The derived search columns follow the remote name.
    let found = store
        .list_members(&khuyenhoc_store::MemberQuery {
            text: Some("hoa do".into()),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(found.members.len(), 1);

    // An older remote change loses to the newer local one.
    let report = store
        .apply_remote_ops(&[remote_op(
            &m.id.to_string(),
            "member",
            long_ago,
            &[("phone", json!("0900000000"))],
        )])
        .unwrap();
    assert_eq!(report.fields_older, 1);
    assert_eq!(
        store.get_member(&m.id).unwrap().phone.as_deref(),
        Some("0909000111")
    );

    // The local clock moved past the remote version: the next local change sorts after it.
    let mut input = store.member_input(&m.id).unwrap().1;
    input.address = Some("Thôn 3".into());
    store.update_member(&m.id, &input, None).unwrap();
    let op = store.pending_ops(1000).unwrap().pop().unwrap();
    assert!(op.version.as_str() > far_future);

    // A remote tombstone removes the member from lists.
    store
        .apply_remote_ops(&[remote_op(
            new_member,
            "member",
            "999999999999999-0000000009-0197a000-0000-7000-8000-000000000001",
            &[("deleted", json!(true))],
        )])
        .unwrap();
    assert!(store.find_member(new_member).is_err());
}

#[test]
fn unknown_remote_fields_are_refused_and_change_nothing() {
    let f = fixture();
    let mut store = f.store;
    let m = store
        .add_member(&f.branch_a.id, &person("Nguyễn Văn An"))
        .unwrap();
    let v = "999999999999999-0000000000-0197a000-0000-7000-8000-000000000001";
    let err = store
        .apply_remote_ops(&[
            remote_op(
                &m.id.to_string(),
                "member",
                v,
                &[("phone", json!("0909000111"))],
            ),
            remote_op(&m.id.to_string(), "member", v, &[("rid", json!(5))]),
        ])
        .unwrap_err();
    assert_eq!(err.code(), "unknown_op");
    assert_eq!(
        store.get_member(&m.id).unwrap().phone,
        None,
        "the whole batch rolled back"
    );
}

#[test]
fn a_unit_whose_parent_lies_outside_the_laptop_keeps_the_link_and_shows_as_a_root() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path().join("thon1.db"), OpenOptions::default()).unwrap();
    // A branch laptop pulls its branch; the commune above it is not sent to it.
    let (thon1, commune) = (
        "0197a000-0000-7000-8000-0000000000b1",
        "0197a000-0000-7000-8000-0000000000c1",
    );
    let v = "999999999999999-0000000000-0197a000-0000-7000-8000-000000000001";
    store
        .apply_remote_ops(&[remote_op(
            thon1,
            "org_unit",
            v,
            &[
                ("parent_id", json!(commune)),
                ("kind", json!("branch")),
                ("name", json!("Chi hội Thôn 1")),
            ],
        )])
        .unwrap();
    let units = store.list_units().unwrap();
    assert_eq!(units.len(), 1);
    assert_eq!(
        (units[0].name.as_str(), units[0].depth),
        ("Chi hội Thôn 1", 0)
    );
    assert_eq!(
        units[0].parent_id.map(|p| p.to_string()).as_deref(),
        Some(commune)
    );

    // Here a person still picks a parent among this laptop's units, and a member's unit must
    // be one it holds.
    let commune = uuid::Uuid::parse_str(commune).unwrap();
    let err = store
        .create_unit(
            Some(&commune),
            &khuyenhoc_domain::org::OrgUnitInput {
                name: "Chi hội Thôn 9".into(),
                kind: "branch".into(),
                org_code: None,
                valid_from: None,
            },
        )
        .unwrap_err();
    assert_eq!(err.code(), "not_found", "{err:?}");
    let thon1 = uuid::Uuid::parse_str(thon1).unwrap();
    store.add_member(&thon1, &person("Lê Thị Cúc")).unwrap();
    assert!(store.add_member(&commune, &person("Lê Văn Dũng")).is_err());
    let dangling = store.connection().execute(
        "INSERT INTO members (id, unit_id, full_name, search_text, sort_key, created_version) VALUES ('m9', 'nowhere', 'X', 'x', x'00', 'v')",
        [],
    );
    assert!(
        dangling.is_err(),
        "foreign keys are on again after the migrations"
    );
}
