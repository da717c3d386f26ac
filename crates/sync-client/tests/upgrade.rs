//! An app upgrade across an op-format change, on real laptop files and the real server (on
//! SQLite and on PostgreSQL): changes queued offline by the previous version (where a member's
//! unit was `branch_id`) are upcast by the local migration and reach the other laptop whole;
//! nothing queued is lost, sent twice or mistaken for a concurrent edit.

mod common;

use std::sync::Mutex;

use common::{names, person, register, world};
use khuyenhoc_domain::org::OrgUnitInput;
use khuyenhoc_server::test_on_both_databases;
use khuyenhoc_server::testing::TestDatabase;
use khuyenhoc_store::{OpenOptions, Store};
use khuyenhoc_sync_client::sync_once;
use khuyenhoc_sync_protocol::OP_FORMAT;
use uuid::Uuid;

/// Puts a laptop's file back as the previous version of the app kept it (schema 8, op format
/// 1): the member's unit column and field named `branch_id`, in the table, the field versions
/// and every op of the outbox.
const BACK_TO_SCHEMA_8: &str = "
    UPDATE outbox
       SET fields = json_set(json_remove(fields, '$.unit_id'), '$.branch_id', json_extract(fields, '$.unit_id'))
     WHERE entity = 'member' AND json_type(fields, '$.unit_id') IS NOT NULL;
    UPDATE outbox
       SET bases = json_set(json_remove(bases, '$.unit_id'), '$.branch_id', json_extract(bases, '$.unit_id'))
     WHERE entity = 'member' AND json_type(bases, '$.unit_id') IS NOT NULL;
    UPDATE outbox SET op_format = 1;
    ALTER TABLE members RENAME COLUMN unit_id TO branch_id;
    UPDATE members
       SET versions = json_set(json_remove(versions, '$.unit_id'), '$.branch_id', json_extract(versions, '$.unit_id'))
     WHERE json_type(versions, '$.unit_id') IS NOT NULL;
    PRAGMA user_version = 8;";

fn count(store: &Store, sql: &str) -> i64 {
    store.connection().query_row(sql, [], |r| r.get(0)).unwrap()
}

fn unit_of(store: &Mutex<Store>, member: &Uuid) -> Uuid {
    store.lock().unwrap().get_member(member).unwrap().unit_id
}

fn move_member(store: &Mutex<Store>, member: &Uuid, to: &Uuid) {
    let mut s = store.lock().unwrap();
    let input = s.member_input(member).unwrap().1;
    s.update_member(member, &input, Some(to)).unwrap();
}

async fn changes_queued_before_an_upgrade_reach_the_other_laptop(db: TestDatabase) {
    let w = world(db).await;
    let (a, conn_a) = w.laptop("lan", "26734").await;
    let (b, conn_b) = w.laptop("hoa", "26734").await;
    let (thon1, ids) = register(&a, &["Nguyễn Văn An"]);
    let an = ids[0];
    sync_once(&a, &conn_a).await.unwrap();
    sync_once(&b, &conn_b).await.unwrap();
    assert_eq!(names(&b), ["Nguyễn Văn An"]);

    // Offline, on the previous version: a second branch, An moved into it, a new member.
    let thon2 = {
        let mut s = a.lock().unwrap();
        let commune = s.association_of(&thon1).unwrap();
        s.create_unit(
            Some(&commune),
            &OrgUnitInput {
                name: "Chi hội Thôn 2".into(),
                kind: "branch".into(),
                org_code: None,
                valid_from: None,
            },
        )
        .unwrap()
        .id
    };
    move_member(&a, &an, &thon2);
    let binh = a
        .lock()
        .unwrap()
        .add_member(&thon2, &person("Trần Thị Bình"))
        .unwrap()
        .id;
    let a = a.into_inner().unwrap();
    let (pending, kept) = (
        a.outbox_stats().unwrap().pending,
        count(&a, "SELECT count(*) FROM outbox"),
    );
    a.connection().execute_batch(BACK_TO_SCHEMA_8).unwrap();
    assert!(
        count(
            &a,
            "SELECT count(*) FROM outbox WHERE acked = 0 AND fields LIKE '%branch_id%'"
        ) >= 2,
        "the queued member ops name the unit as the previous version did"
    );
    let path = w.db.dir().join("lan.db");
    drop(a);

    // The new version opens the file: the queue is upcast in the schema's migration.
    let a = Store::open(
        &path,
        OpenOptions {
            author: "lan".into(),
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(a.outbox_stats().unwrap().pending, pending);
    assert_eq!(count(&a, "SELECT count(*) FROM outbox"), kept);
    assert_eq!(
        count(
            &a,
            &format!("SELECT count(*) FROM outbox WHERE op_format <> {OP_FORMAT}")
        ),
        0
    );
    assert_eq!(
        count(
            &a,
            "SELECT count(*) FROM outbox WHERE fields LIKE '%branch_id%' OR bases LIKE '%branch_id%'"
        ),
        0
    );
    let a = Mutex::new(a);
    assert_eq!(unit_of(&a, &an), thon2);

    sync_once(&a, &conn_a).await.unwrap();
    sync_once(&b, &conn_b).await.unwrap();
    assert_eq!(names(&b), ["Nguyễn Văn An", "Trần Thị Bình"]);
    assert_eq!(unit_of(&b, &an), thon2);
    assert_eq!(unit_of(&b, &binh), thon2);

    // The unit's version came through the upgrade: moving An back is a sequential edit, not a
    // conflict, on either laptop.
    move_member(&a, &an, &thon1);
    sync_once(&a, &conn_a).await.unwrap();
    sync_once(&b, &conn_b).await.unwrap();
    assert_eq!(unit_of(&b, &an), thon1);
    for laptop in [&a, &b] {
        let status = laptop.lock().unwrap().sync_status().unwrap();
        assert_eq!((status.pending, status.conflicts, status.parked), (0, 0, 0));
    }
}

test_on_both_databases!(changes_queued_before_an_upgrade_reach_the_other_laptop);
