//! Officers, logins and roles on a real SQLite file: the first-run setup, PIN checks with a
//! lockout, and roles enforced by the store itself (not by hiding buttons).

mod common;

use common::{count, person};
use khuyenhoc_domain::{OfficerInput, Role};
use khuyenhoc_store::{CommuneSetup, MemberQuery, OpenOptions, Store, StoreError};

fn setup_input() -> CommuneSetup {
    CommuneSetup {
        province_name: "Hội Khuyến học tỉnh Quảng Trị".into(),
        province_code: Some("44".into()),
        commune_name: "Hội Khuyến học xã Tân Hòa".into(),
        commune_code: Some("26734".into()),
        officer: OfficerInput {
            username: "Lan".into(),
            full_name: "Trần Thị Lan".into(),
            role: "viewer".into(), // ignored: the first officer is the chairperson
            pin: "2580".into(),
        },
    }
}

fn officer(username: &str, role: &str, pin: &str) -> OfficerInput {
    OfficerInput {
        username: username.into(),
        full_name: format!("Cán bộ {username}"),
        role: role.into(),
        pin: pin.into(),
    }
}

struct SetUp {
    _dir: tempfile::TempDir,
    path: std::path::PathBuf,
    commune: uuid::Uuid,
}

fn set_up() -> SetUp {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("khuyenhoc.db");
    let mut store = Store::open(&path, OpenOptions::default()).unwrap();
    let outcome = store.setup_commune(&setup_input()).unwrap();
    store
        .add_officer(&officer("quy", "thủ quỹ", "3691"))
        .unwrap();
    store
        .add_officer(&officer("thuky", "secretary", "4826"))
        .unwrap();
    store
        .add_officer(&officer("xem", "viewer", "5937"))
        .unwrap();
    SetUp {
        _dir: dir,
        path,
        commune: outcome.commune.id,
    }
}

fn open(path: &std::path::Path) -> Store {
    Store::open(path, OpenOptions::default()).unwrap()
}

fn logged_in(path: &std::path::Path, user: &str, pin: &str) -> Store {
    let mut store = open(path);
    store.login(user, pin).unwrap();
    store
}

#[test]
fn first_run_creates_the_commune_and_a_chairperson() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("k.db");
    let mut store = Store::open(&path, OpenOptions::default()).unwrap();
    assert!(!store.is_set_up().unwrap());
    let out = store.setup_commune(&setup_input()).unwrap();
    assert_eq!(out.officer.username, "lan");
    assert_eq!(out.officer.role, Role::Chairperson);
    assert_eq!(out.commune.parent_id, Some(out.province.id));
    assert_eq!(out.commune.org_code.as_deref(), Some("26734"));
    assert_eq!(store.home_unit().unwrap(), Some(out.commune.id));
    assert_eq!(store.officer().map(|o| o.username.as_str()), Some("lan"));
    assert!(store.is_set_up().unwrap());

    // The PIN is stored only as an argon2id hash, and the outbox carries no PIN either.
    let hash: String = store
        .connection()
        .query_row("SELECT pin_hash FROM officers", [], |r| r.get(0))
        .unwrap();
    assert!(hash.starts_with("$argon2id$"), "{hash}");
    let outbox: String = store
        .connection()
        .query_row("SELECT group_concat(fields, ' ') FROM outbox", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(
        count(
            &store,
            "SELECT count(*) FROM outbox WHERE intent = 'officer.create'"
        ),
        1,
        "the first officer is an op for the other laptops"
    );
    assert!(outbox.contains("$argon2id$"), "the op carries the hash");
    assert!(!outbox.contains("\"2580\""));

    // A second setup is refused and changes nothing.
    let before = count(&store, "SELECT count(*) FROM outbox");
    let err = store.setup_commune(&setup_input()).unwrap_err();
    assert_eq!(err.code(), "already_set_up");
    assert_eq!(count(&store, "SELECT count(*) FROM outbox"), before);
}

#[test]
fn setup_names_every_wrong_field_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("k.db");
    let mut store = Store::open(&path, OpenOptions::default()).unwrap();
    let mut input = setup_input();
    input.province_name = " ".into();
    input.officer.username = "lan anh".into();
    input.officer.pin = "1234".into();
    let Err(StoreError::Invalid(v)) = store.setup_commune(&input) else {
        panic!("expected field errors")
    };
    let fields: Vec<_> = v.0.iter().map(|e| e.field).collect();
    assert_eq!(fields, ["province_name", "username", "pin"]);
    assert!(v.0[2].message_vi.contains("dễ đoán"));
    assert_eq!(count(&store, "SELECT count(*) FROM org_units"), 0);
    assert_eq!(count(&store, "SELECT count(*) FROM officers"), 0);
    assert_eq!(count(&store, "SELECT count(*) FROM outbox"), 0);
}

#[test]
fn a_set_up_register_needs_a_login_to_change_or_read_members() {
    let s = set_up();
    let mut store = open(&s.path);
    let err = store
        .add_member(&s.commune, &person("Nguyễn Văn An"))
        .unwrap_err();
    assert_eq!(err.code(), "login_required");
    assert!(
        err.message(khuyenhoc_domain::Lang::Vi)
            .contains("đăng nhập")
    );
    let err = store
        .list_members(&MemberQuery {
            limit: 10,
            ..Default::default()
        })
        .unwrap_err();
    assert_eq!(err.code(), "login_required");
    // Units and counts are not personal data: the login screen may show the commune.
    assert!(!store.list_units().unwrap().is_empty());

    store.login("LAN", "2580").unwrap();
    store
        .add_member(&s.commune, &person("Nguyễn Văn An"))
        .unwrap();
    store.logout();
    assert_eq!(
        store
            .add_member(&s.commune, &person("Lê Thị Bình"))
            .unwrap_err()
            .code(),
        "login_required"
    );
}

#[test]
fn each_role_may_do_only_its_work_and_a_refusal_changes_nothing() {
    let s = set_up();
    let mut treasurer = logged_in(&s.path, "quy", "3691");
    let before = count(&treasurer, "SELECT count(*) FROM outbox");
    let err = treasurer
        .add_member(&s.commune, &person("Nguyễn Văn An"))
        .unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::Forbidden {
                role: Role::Treasurer,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.message(khuyenhoc_domain::Lang::Vi).contains("Thủ quỹ"));
    assert_eq!(count(&treasurer, "SELECT count(*) FROM members"), 0);
    assert_eq!(count(&treasurer, "SELECT count(*) FROM outbox"), before);
    assert_eq!(
        treasurer
            .add_officer(&officer("moi", "viewer", "7391"))
            .unwrap_err()
            .code(),
        "forbidden"
    );

    let mut secretary = logged_in(&s.path, "thuky", "4826");
    let m = secretary
        .add_member(&s.commune, &person("Nguyễn Văn An"))
        .unwrap();
    let branch = secretary
        .create_unit(
            Some(&s.commune),
            &khuyenhoc_domain::org::OrgUnitInput {
                name: "Chi hội Thôn 1".into(),
                kind: "branch".into(),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(branch.parent_id, Some(s.commune));
    assert_eq!(
        secretary
            .add_officer(&officer("moi", "viewer", "7391"))
            .unwrap_err()
            .code(),
        "forbidden"
    );
    // Every change records its author: the officer's login name.
    let authors: Vec<String> = secretary
        .connection()
        .prepare("SELECT DISTINCT author FROM outbox WHERE entity IN ('member', 'org_unit') AND row_id IN (?1, ?2)")
        .unwrap()
        .query_map([m.id.to_string(), branch.id.to_string()], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(authors, ["thuky"]);

    let viewer = logged_in(&s.path, "xem", "5937");
    let page = viewer
        .list_members(&MemberQuery {
            limit: 10,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(page.members.len(), 1);
    let backup = s.path.with_file_name("copy.db");
    assert_eq!(viewer.backup(&backup).unwrap_err().code(), "forbidden");
    assert!(!backup.exists());
    assert_eq!(treasurer.backup(&backup).unwrap().members, 1);
}

#[test]
fn a_role_taken_away_elsewhere_counts_at_once() {
    let s = set_up();
    let mut secretary = logged_in(&s.path, "thuky", "4826");
    let mut chair = logged_in(&s.path, "lan", "2580");
    chair.set_officer_role("thuky", Role::Viewer, true).unwrap();
    let err = secretary
        .add_member(&s.commune, &person("Nguyễn Văn An"))
        .unwrap_err();
    assert_eq!(err.code(), "forbidden");
    chair
        .set_officer_role("thuky", Role::Secretary, false)
        .unwrap();
    assert_eq!(
        secretary
            .add_member(&s.commune, &person("Nguyễn Văn An"))
            .unwrap_err()
            .code(),
        "login_required"
    );
    assert_eq!(
        open(&s.path).login("thuky", "4826").unwrap_err().code(),
        "wrong_pin",
        "a turned-off account cannot log in"
    );
}

#[test]
fn the_last_chairperson_stays() {
    let s = set_up();
    let mut chair = logged_in(&s.path, "lan", "2580");
    let err = chair
        .set_officer_role("lan", Role::Secretary, true)
        .unwrap_err();
    assert_eq!(err.code(), "last_chairperson");
    chair
        .set_officer_role("thuky", Role::Chairperson, true)
        .unwrap();
    chair
        .set_officer_role("lan", Role::Secretary, true)
        .unwrap();
}

#[test]
fn wrong_pins_are_counted_and_then_the_login_waits() {
    let s = set_up();
    let mut store = open(&s.path);
    match store.login("quy", "0000").unwrap_err() {
        StoreError::WrongPin { left } => assert_eq!(left, 4),
        other => panic!("{other:?}"),
    }
    // Unknown names get the same answer as wrong PINs.
    assert_eq!(
        store.login("nobody", "2580").unwrap_err().code(),
        "wrong_pin"
    );
    for _ in 0..3 {
        assert_eq!(store.login("quy", "0000").unwrap_err().code(), "wrong_pin");
    }
    assert_eq!(store.login("quy", "0000").unwrap_err().code(), "locked_out");
    // Even the right PIN waits now.
    let err = store.login("quy", "3691").unwrap_err();
    assert_eq!(err.code(), "locked_out");
    assert!(err.message(khuyenhoc_domain::Lang::Vi).contains("5 phút"));
    // Others are not affected.
    store.login("lan", "2580").unwrap();
    // When the wait is over (moved into the past here), the right PIN works and resets the count.
    store
        .connection()
        .execute("UPDATE login_failures SET locked_until_ms = 1", [])
        .unwrap();
    store.login("quy", "3691").unwrap();
    assert_eq!(
        count(
            &store,
            "SELECT count(*) FROM login_failures WHERE username = 'quy'"
        ),
        0
    );
}

#[test]
fn pins_are_changed_knowing_the_old_one_or_by_the_chairperson() {
    let s = set_up();
    let mut treasurer = logged_in(&s.path, "quy", "3691");
    let err = treasurer
        .change_pin("quy", Some("9999"), "7531")
        .unwrap_err();
    assert_eq!(err.code(), "invalid_input");
    treasurer.change_pin("quy", Some("3691"), "7531").unwrap();
    assert_eq!(
        treasurer
            .change_pin("xem", None, "8642")
            .unwrap_err()
            .code(),
        "forbidden"
    );
    open(&s.path).login("quy", "7531").unwrap();
    assert_eq!(
        open(&s.path).login("quy", "3691").unwrap_err().code(),
        "wrong_pin"
    );

    let mut chair = logged_in(&s.path, "lan", "2580");
    chair.change_pin("quy", None, "8642").unwrap();
    open(&s.path).login("quy", "8642").unwrap();
}

#[test]
fn officers_reach_a_second_laptop_through_its_ops() {
    let s = set_up();
    let first = logged_in(&s.path, "lan", "2580");
    let ops = first.pending_ops(1000).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut second = Store::open(dir.path().join("second.db"), OpenOptions::default()).unwrap();
    second.apply_remote_ops(&ops).unwrap();
    assert!(second.is_set_up().unwrap());
    let officer = second.login("quy", "3691").unwrap();
    assert_eq!(officer.role, Role::Treasurer);
    assert_eq!(second.officers().unwrap().len(), 4);
}

#[test]
fn a_database_of_the_previous_version_keeps_its_data_and_is_not_set_up() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.db");
    khuyenhoc_store::create_at_schema(&path, 3).unwrap();
    {
        let c = rusqlite::Connection::open(&path).unwrap();
        c.execute(
            "INSERT INTO local_state (id, device_id, next_seq, hlc_wall_ms, hlc_counter, created_at) VALUES (1, '0192f0c6-0000-7000-8000-000000000001', 1, 0, 0, '2026-01-01')",
            [],
        )
        .unwrap();
        c.execute(
            "INSERT INTO org_units (id, kind, name, created_version) VALUES ('0192f0c6-0000-7000-8000-000000000002', 'commune', 'Hội Khuyến học xã Cũ', 'v')",
            [],
        )
        .unwrap();
    }
    let (mut store, report) = Store::open_reporting(&path, OpenOptions::default()).unwrap();
    assert_eq!(report.unwrap().from, 3);
    assert_eq!(store.list_units().unwrap()[0].name, "Hội Khuyến học xã Cũ");
    assert!(!store.is_set_up().unwrap());
    // Setup reuses nothing by name (no code given) but works on the migrated file.
    store.setup_commune(&setup_input()).unwrap();
}
