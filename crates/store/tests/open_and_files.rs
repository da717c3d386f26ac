//! Opening, migrating, refusing, backing up and restoring real database files.

mod common;

use std::fs::File;

use common::{count, fixture, person};
use khuyenhoc_store::{
    ConnectOptions, LATEST_SCHEMA, OpenOptions, Store, StoreError, create_at_schema, lock_path,
};

#[test]
fn a_new_database_is_safe_by_default() {
    let f = fixture();
    let c = f.store.connection();
    let q = |sql: &str| -> String {
        c.query_row(sql, [], |r| r.get::<_, rusqlite::types::Value>(0))
            .map(|v| format!("{v:?}"))
            .unwrap()
    };
    assert_eq!(q("PRAGMA journal_mode"), "Text(\"wal\")");
    assert_eq!(q("PRAGMA synchronous"), "Integer(2)", "synchronous=FULL");
    assert_eq!(q("PRAGMA foreign_keys"), "Integer(1)");
    assert_eq!(f.store.schema_version().unwrap(), LATEST_SCHEMA);
    assert!(
        c.query_row("SELECT sqlite_compileoption_used('ENABLE_FTS5')", [], |r| r
            .get::<_, bool>(0))
            .unwrap()
    );
}

#[test]
fn a_database_from_a_newer_version_is_refused_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("new.db");
    drop(Store::open(&path, OpenOptions::default()).unwrap());
    {
        let c = rusqlite::Connection::open(&path).unwrap();
        c.pragma_update(None, "user_version", LATEST_SCHEMA + 5)
            .unwrap();
        c.pragma_update(None, "journal_mode", "DELETE").unwrap();
    }
    let before = std::fs::read(&path).unwrap();
    let err = Store::open(&path, OpenOptions::default()).unwrap_err();
    assert!(
        matches!(err, StoreError::NewerSchema { found, .. } if found == LATEST_SCHEMA + 5),
        "{err:?}"
    );
    assert!(
        err.message(khuyenhoc_domain::Lang::Vi)
            .contains("phiên bản Khuyến học mới hơn")
    );
    assert_eq!(
        std::fs::read(&path).unwrap(),
        before,
        "the file must not change"
    );
}

#[test]
fn damaged_and_foreign_files_are_reported_plainly() {
    let dir = tempfile::tempdir().unwrap();
    let text = dir.path().join("notes.db");
    std::fs::write(
        &text,
        "đây không phải cơ sở dữ liệu, chỉ là một tệp văn bản khá dài ".repeat(100),
    )
    .unwrap();
    let err = Store::open(&text, OpenOptions::default()).unwrap_err();
    assert_eq!(err.code(), "not_a_database", "{err:?}");

    let other = dir.path().join("other.db");
    rusqlite::Connection::open(&other)
        .unwrap()
        .execute_batch("CREATE TABLE t (x); INSERT INTO t VALUES (1);")
        .unwrap();
    assert_eq!(
        Store::open(&other, OpenOptions::default())
            .unwrap_err()
            .code(),
        "not_khuyenhoc_database"
    );
    // Another program's database that keeps a schema number, and has no tables yet.
    let versioned = dir.path().join("versioned.db");
    rusqlite::Connection::open(&versioned)
        .unwrap()
        .pragma_update(None, "user_version", 1)
        .unwrap();
    assert_eq!(
        Store::open(&versioned, OpenOptions::default())
            .unwrap_err()
            .code(),
        "not_khuyenhoc_database"
    );
    let leftovers = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().contains("partial"))
        .count();
    assert_eq!(leftovers, 0, "no half-written copies left behind");

    // Overwrite pages in the middle of a real database.
    let f = fixture();
    let mut store = f.store;
    for i in 0..400 {
        store
            .add_member(
                &f.branch_a.id,
                &person(&format!(
                    "Nguyễn Văn {}",
                    ["An", "Bình", "Cường", "Dũng"][i % 4]
                )),
            )
            .unwrap();
    }
    let path = f.path.clone();
    drop(store);
    let mut bytes = std::fs::read(&path).unwrap();
    assert!(bytes.len() > 8 * 4096);
    for b in &mut bytes[2 * 4096..6 * 4096] {
        *b = 0x5A;
    }
    std::fs::write(&path, bytes).unwrap();
    let err = Store::open(&path, OpenOptions::default()).unwrap_err();
    assert_eq!(err.code(), "database_damaged", "{err:?}");
    assert!(err.message(khuyenhoc_domain::Lang::Vi).contains("bị hỏng"));
}

#[test]
fn an_older_database_is_copied_then_migrated() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.db");
    create_at_schema(&path, 1).unwrap();
    let (store, report) = Store::open_reporting(&path, OpenOptions::default()).unwrap();
    let report = report.expect("migrated");
    assert_eq!((report.from, report.to), (1, LATEST_SCHEMA));
    let copy = report.backup.expect("a copy before migrating");
    let old: i64 = rusqlite::Connection::open(&copy)
        .unwrap()
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(old, 1, "the copy is the database as it was");
    assert_eq!(store.schema_version().unwrap(), LATEST_SCHEMA);
}

#[test]
fn migration_refuses_while_another_process_has_the_file_open() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.db");
    create_at_schema(&path, 2).unwrap();
    // Another process holds the database open: it holds the shared lock.
    let other = File::options()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(lock_path(&path))
        .unwrap();
    other.lock_shared().unwrap();
    let quick = OpenOptions {
        connect: ConnectOptions {
            busy_timeout: Some(std::time::Duration::from_millis(300)),
            ..Default::default()
        },
        ..Default::default()
    };
    let err = Store::open(&path, quick).unwrap_err();
    assert!(
        matches!(err, StoreError::InUse { action: "migrate" }),
        "{err:?}"
    );
    let version: i64 = rusqlite::Connection::open(&path)
        .unwrap()
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, 2, "nothing migrated");
    other.unlock().unwrap();
    assert!(Store::open(&path, OpenOptions::default()).is_ok());
}

#[test]
fn backup_then_restore_brings_back_exactly_the_backup() {
    let f = fixture();
    let mut store = f.store;
    store
        .add_member(&f.branch_a.id, &person("Trần Thị Mai"))
        .unwrap();
    let backup = f.dir.path().join("sao-luu").join("backup.db");
    let info = store.backup(&backup).unwrap();
    assert_eq!(info.members, 1);
    store
        .add_member(&f.branch_a.id, &person("Lê Văn Tám"))
        .unwrap();

    // Refused while this store has the database open.
    let err = Store::restore(&f.path, &backup, &ConnectOptions::default()).unwrap_err();
    assert!(
        matches!(err, StoreError::InUse { action: "restore" }),
        "{err:?}"
    );
    assert_eq!(count(&store, "SELECT count(*) FROM members"), 2);
    drop(store);

    let old_device = Store::open(&f.path, OpenOptions::default())
        .unwrap()
        .device_id();
    let report = Store::restore(&f.path, &backup, &ConnectOptions::default()).unwrap();
    assert!(report.previous_copy.as_ref().unwrap().exists());
    let store = Store::open(&f.path, OpenOptions::default()).unwrap();
    let names: Vec<String> = store
        .list_members(&Default::default())
        .unwrap()
        .members
        .into_iter()
        .map(|m| m.full_name)
        .collect();
    assert_eq!(names, ["Trần Thị Mai"]);
    // A restored database is a new device: its unsent ops move to the new identity, renumbered.
    assert_ne!(store.device_id(), old_device);
    let pending = store.pending_ops(1000).unwrap();
    assert_eq!(pending.len() as i64, info.pending_ops);
    assert!(
        pending
            .iter()
            .all(|o| o.device_id == store.device_id().to_string())
    );
    assert_eq!(
        pending.iter().map(|o| o.device_seq).collect::<Vec<_>>(),
        (1..=pending.len() as i64).collect::<Vec<_>>()
    );
    assert_eq!(
        store.outbox_stats().unwrap().next_seq,
        pending.len() as i64 + 1
    );
    drop(store);
    let again = Store::open(&f.path, OpenOptions::default()).unwrap();
    assert_eq!(
        again.device_id().to_string(),
        pending[0].device_id,
        "the new identity is kept from then on"
    );
}

#[test]
fn restore_refuses_a_damaged_or_foreign_backup_and_changes_nothing() {
    let f = fixture();
    let mut store = f.store;
    store
        .add_member(&f.branch_a.id, &person("Trần Thị Mai"))
        .unwrap();
    drop(store);
    let bad = f.dir.path().join("bad.db");
    std::fs::write(
        &bad,
        b"not a database at all, not at all, not at all..........................................",
    )
    .unwrap();
    let before = count(
        &Store::open(&f.path, OpenOptions::default()).unwrap(),
        "SELECT count(*) FROM members",
    );
    assert!(Store::restore(&f.path, &bad, &ConnectOptions::default()).is_err());
    let foreign = f.dir.path().join("foreign.db");
    rusqlite::Connection::open(&foreign)
        .unwrap()
        .execute_batch("CREATE TABLE x (y);")
        .unwrap();
    assert_eq!(
        Store::restore(&f.path, &foreign, &ConnectOptions::default())
            .unwrap_err()
            .code(),
        "not_khuyenhoc_database"
    );
    let after = count(
        &Store::open(&f.path, OpenOptions::default()).unwrap(),
        "SELECT count(*) FROM members",
    );
    assert_eq!(before, after);
}

#[test]
fn a_full_disk_rolls_the_whole_write_back() {
    let f = fixture();
    let mut store = f.store;
    store
        .add_member(&f.branch_a.id, &person("Trần Thị Mai"))
        .unwrap();
    let pages: i64 = count(&store, "PRAGMA page_count");
    drop(store);
    let mut store = Store::open(
        &f.path,
        OpenOptions {
            max_page_count: Some(pages as u32 + 3),
            ..Default::default()
        },
    )
    .unwrap();
    let ops_before = count(&store, "SELECT count(*) FROM outbox");
    let seq_before = count(&store, "SELECT next_seq FROM local_state");
    // A big note on each member fills the few pages left.
    let mut failure = None;
    for i in 0..200 {
        let input = khuyenhoc_domain::MemberInput {
            note: Some("ghi chú dài ".repeat(40)),
            ..person(&format!("Người Số {}", "Ân".repeat(i % 3 + 1)))
        };
        if let Err(e) = store.add_member(&f.branch_a.id, &input) {
            failure = Some(e);
            break;
        }
    }
    let err = failure.expect("the disk fills up");
    assert!(matches!(err, StoreError::DiskFull), "{err:?}");
    assert!(
        err.message(khuyenhoc_domain::Lang::Vi)
            .contains("Ổ đĩa đã đầy")
    );
    // Every committed member has exactly one op; nothing half-written.
    let members = count(&store, "SELECT count(*) FROM members");
    let ops = count(&store, "SELECT count(*) FROM outbox");
    assert_eq!(ops - ops_before, members - 1);
    assert_eq!(
        count(&store, "SELECT next_seq FROM local_state") - seq_before,
        members - 1
    );
}

#[test]
fn a_restore_from_a_plain_file_copy_also_takes_a_new_identity() {
    let f = fixture();
    let mut store = f.store;
    store
        .add_member(&f.branch_a.id, &person("Trần Thị Mai"))
        .unwrap();
    let device = store.device_id();
    drop(store); // checkpoints the WAL into the file
    let copy = f.dir.path().join("usb-copy.db");
    std::fs::copy(&f.path, &copy).unwrap();
    let mut store = Store::open(&f.path, OpenOptions::default()).unwrap();
    store
        .add_member(&f.branch_a.id, &person("Lê Văn Tám"))
        .unwrap();
    drop(store);
    Store::restore(&f.path, &copy, &ConnectOptions::default()).unwrap();
    let mut store = Store::open(&f.path, OpenOptions::default()).unwrap();
    assert_ne!(
        store.device_id(),
        device,
        "the restored copy is a new device"
    );
    store
        .add_member(&f.branch_a.id, &person("Phạm Thị Cúc"))
        .unwrap();
    let ops = store.pending_ops(1000).unwrap();
    assert!(
        ops.iter()
            .all(|o| o.device_id == store.device_id().to_string()),
        "no op is sent under the old identity again"
    );
}

#[test]
fn a_missing_backup_file_is_reported_as_such() {
    let f = fixture();
    drop(f.store);
    let err = Store::restore(
        &f.path,
        &f.dir.path().join("khong-co.db"),
        &ConnectOptions::default(),
    )
    .unwrap_err();
    assert_eq!(err.code(), "backup_missing");
    assert!(
        err.message(khuyenhoc_domain::Lang::Vi)
            .contains("Không tìm thấy tệp sao lưu")
    );
}

/// Several openers of one new file at once (the app and the CLI started together) all succeed:
/// SQLite answers the switch to WAL with an immediate `busy` when they race, so it is retried.
#[test]
fn openers_racing_on_a_new_file_all_open_it() {
    for round in 0..40 {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("race.db");
        let start = std::sync::Barrier::new(6);
        let ids: Vec<_> = std::thread::scope(|s| {
            let openers: Vec<_> = (0..6)
                .map(|_| {
                    s.spawn(|| {
                        start.wait();
                        Store::open(&path, OpenOptions::default()).map(|store| store.device_id())
                    })
                })
                .collect();
            openers.into_iter().map(|t| t.join().unwrap()).collect()
        });
        for id in &ids {
            let id = id
                .as_ref()
                .unwrap_or_else(|e| panic!("round {round}: {e:?}"));
            assert_eq!(
                Some(id),
                ids[0].as_ref().ok(),
                "one file, one device identity"
            );
        }
    }
}

#[test]
fn the_unit_table_rebuilt_at_schema_10_keeps_every_unit_member_and_index() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("schema9.db");
    create_at_schema(&path, 9).unwrap();
    let c = rusqlite::Connection::open(&path).unwrap();
    c.execute_batch(
        "INSERT INTO org_units (id, kind, name, org_code, created_version, versions) VALUES
             ('0197a000-0000-7000-8000-0000000000c1', 'commune', 'Hội Khuyến học xã Tân Hòa', '26734', 'v0', '{}'),
             ('0197a000-0000-7000-8000-0000000000b1', 'branch', 'Chi hội Thôn 1', NULL, 'v1', '{\"name\":\"v5\"}');
         UPDATE org_units SET parent_id = '0197a000-0000-7000-8000-0000000000c1' WHERE id = '0197a000-0000-7000-8000-0000000000b1';
         INSERT INTO members (id, unit_id, full_name, search_text, sort_key, created_version)
         VALUES ('0197a000-0000-7000-8000-0000000000a1', '0197a000-0000-7000-8000-0000000000b1', 'Lê Thị Hoa', 'le thi hoa', x'00', 'v2');",
    )
    .unwrap();
    drop(c);

    let store = Store::open(&path, OpenOptions::default()).unwrap();
    assert_eq!(store.schema_version().unwrap(), LATEST_SCHEMA);
    let units = store.list_units().unwrap();
    let got: Vec<(&str, i64)> = units.iter().map(|u| (u.name.as_str(), u.depth)).collect();
    assert_eq!(
        got,
        [("Hội Khuyến học xã Tân Hòa", 0), ("Chi hội Thôn 1", 1)]
    );
    let member = store
        .find_member("0197a000-0000-7000-8000-0000000000a1")
        .unwrap();
    assert_eq!(member.unit_name, "Chi hội Thôn 1");
    let indexes: i64 = store
        .connection()
        .query_row(
            "SELECT count(*) FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'org_units' AND name IN ('org_units_parent', 'org_units_code')",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(indexes, 2);
    let versions: String = store
        .connection()
        .query_row(
            "SELECT versions FROM org_units WHERE id = '0197a000-0000-7000-8000-0000000000b1'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(versions, "{\"name\":\"v5\"}");
}
