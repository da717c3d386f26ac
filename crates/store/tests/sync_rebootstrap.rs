//! Pulling everything again from zero after the server purged deleted records this laptop had
//! not pulled: the rows the server sent are noted with each page (and survive a restart half-way),
//! the last page drops the synced rows it did not send unless a pending or parked op holds them,
//! and an edit the server refuses as `row_purged` is parked and its row dropped.

mod common;

use std::collections::BTreeMap;

use common::answers::*;
use common::{count, fixture, person};
use khuyenhoc_store::{OpenOptions, Store};
use khuyenhoc_sync_protocol::{Change, OpOutcome, OpResult, RejectCode};

/// A change the server sends for `row` (its fields do not matter here).
fn sent(entity: &str, row: &uuid::Uuid, version: i64) -> Change {
    Change {
        version,
        entity: entity.into(),
        row_id: row.to_string(),
        fields: BTreeMap::new(),
        scope_exit: false,
        author: None,
    }
}

fn listed(store: &Store, member: &uuid::Uuid) -> bool {
    store
        .connection()
        .query_row(
            "SELECT count(*) FROM members WHERE id = ?1 AND deleted = 0",
            [member.to_string()],
            |r| r.get::<_, i64>(0),
        )
        .unwrap()
        == 1
}

fn rename(store: &mut Store, member: &uuid::Uuid, name: &str) {
    let mut input = store.member_input(member).unwrap().1;
    input.full_name = name.into();
    store.update_member(member, &input, None).unwrap();
}

#[test]
fn a_pull_from_zero_drops_only_what_the_server_no_longer_sends_and_survives_a_restart() {
    let f = fixture();
    let mut store = f.store;
    let kept = store
        .add_member(&f.branch_a.id, &person("Nguyễn Văn An"))
        .unwrap()
        .id;
    let gone = store
        .add_member(&f.branch_a.id, &person("Trần Thị Cúc"))
        .unwrap()
        .id;
    let pending = store
        .add_member(&f.branch_b.id, &person("Lê Thị Bình"))
        .unwrap()
        .id;
    let parked = store
        .add_member(&f.branch_b.id, &person("Phạm Văn Dũng"))
        .unwrap()
        .id;
    push_all(&mut store);
    // An edit still to send, and an edit the server refused (parked for a person).
    rename(&mut store, &pending, "Lê Thị Bình Minh");
    rename(&mut store, &parked, "Phạm Văn Dũng Em");
    let ops = store.next_push(10).unwrap();
    let refused = ops.iter().find(|o| o.row_id == parked.to_string()).unwrap();
    store
        .apply_push_response(&answer(vec![OpResult {
            op_id: refused.op_id.clone(),
            device_seq: refused.device_seq,
            outcome: OpOutcome::Rejected {
                code: RejectCode::InvalidValue,
                reason: "Giá trị không hợp lệ.".into(),
            },
            fields: BTreeMap::new(),
            landed: None,
        }]))
        .unwrap();
    let outbox = count(&store, "SELECT count(*) FROM outbox");

    store.start_rebootstrap().unwrap();
    assert!(store.rebootstrapping().unwrap());
    assert_eq!(store.sync_status().unwrap().pull_cursor, 0);
    let mut first = page(
        3,
        vec![
            sent("org_unit", &f.commune.id, 1),
            sent("org_unit", &f.branch_a.id, 2),
            sent("member", &kept, 3),
        ],
    );
    first.more = true;
    let report = store.apply_pull_page(&first).unwrap();
    assert_eq!(report.rebootstrap_dropped, None);

    // The app is killed between two pages.
    drop(store);
    let mut store = Store::open(&f.path, OpenOptions::default()).unwrap();
    assert!(store.rebootstrapping().unwrap());
    assert_eq!(store.sync_status().unwrap().pull_cursor, 3);
    assert!(
        listed(&store, &gone),
        "nothing dropped before the last page"
    );

    let report = store
        .apply_pull_page(&page(9, vec![sent("org_unit", &f.branch_b.id, 9)]))
        .unwrap();
    assert_eq!(report.rebootstrap_dropped, Some(1), "{report:?}");
    assert!(!listed(&store, &gone));
    for member in [&kept, &pending, &parked] {
        assert!(listed(&store, member), "{member} is kept");
    }
    assert_eq!(
        count(&store, "SELECT count(*) FROM org_units WHERE deleted = 0"),
        3
    );
    assert_eq!(
        count(&store, "SELECT count(*) FROM outbox"),
        outbox,
        "dropping a row is not a change to send"
    );
    assert!(!store.rebootstrapping().unwrap());
    assert_eq!(
        count(&store, "SELECT count(*) FROM sync_rebootstrap_seen"),
        0
    );
    // An ordinary page afterwards drops nothing.
    let report = store.apply_pull_page(&page(10, vec![])).unwrap();
    assert_eq!(report.rebootstrap_dropped, None);
    assert!(listed(&store, &kept));
}

#[test]
fn an_edit_refused_as_purged_is_parked_and_its_row_dropped() {
    let f = fixture();
    let mut store = f.store;
    let cuc = store
        .add_member(&f.branch_a.id, &person("Trần Thị Cúc"))
        .unwrap()
        .id;
    push_all(&mut store);
    rename(&mut store, &cuc, "Trần Thị Cúc Em");
    let op = store.next_push(10).unwrap().remove(0);
    let report = store
        .apply_push_response(&answer(vec![OpResult {
            op_id: op.op_id.clone(),
            device_seq: op.device_seq,
            outcome: OpOutcome::Rejected {
                code: RejectCode::RowPurged,
                reason: "Bản ghi này đã bị xóa và đã được dọn hẳn khỏi máy chủ.".into(),
            },
            fields: BTreeMap::new(),
            landed: None,
        }]))
        .unwrap();
    assert_eq!(report.rejected, 1);
    assert!(!listed(&store, &cuc));
    let status = store.sync_status().unwrap();
    assert_eq!((status.pending, status.parked), (0, 1));
    assert_eq!(
        count(
            &store,
            "SELECT count(*) FROM parked_ops WHERE code = 'row_purged'"
        ),
        1
    );
}

#[test]
fn a_restored_server_ends_a_pull_from_zero_without_dropping_anything() {
    let f = fixture();
    let mut store = f.store;
    let an = store
        .add_member(&f.branch_a.id, &person("Nguyễn Văn An"))
        .unwrap()
        .id;
    push_all(&mut store);
    store.start_rebootstrap().unwrap();
    store.restart_with_restored_server("another-epoch").unwrap();
    assert!(!store.rebootstrapping().unwrap());
    let mut last = page(1, vec![]);
    last.epoch = "another-epoch".into();
    let report = store.apply_pull_page(&last).unwrap();
    assert_eq!(report.rebootstrap_dropped, None);
    assert!(listed(&store, &an));
}
