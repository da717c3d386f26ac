//! The `khuyenhoc` command line driven as a district IT officer would: real binary, real file.

use khuyenhoc_tests::{Env, member_csv};

#[test]
fn a_commune_register_from_init_to_export() {
    let env = Env::new();
    env.commune();
    let units = env.json(&["units", "list"]);
    let names: Vec<&str> = units
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "Hội Khuyến học xã Tân Hòa",
            "Chi hội Thôn 1",
            "Chi hội Thôn 2"
        ]
    );

    let an = env.json(&[
        "members",
        "add",
        "--unit",
        "Chi hội Thôn 1",
        "--name",
        "Nguyễn Văn An",
        "--gender",
        "Nam",
        "--birth",
        "15/03/1985",
        "--phone",
        "912345678",
        "--card",
        "HV001",
        "--citizen-id",
        "001085012345",
    ]);
    assert_eq!(an["phone"], "0912345678");
    assert_eq!(an["citizen_id_masked"], "********2345");
    env.json(&[
        "members",
        "add",
        "--unit",
        "chi hoi thon 2",
        "--name",
        "Lê Thị Đức",
        "--birth",
        "1990",
    ]);
    env.json(&[
        "members",
        "add",
        "--unit",
        "26734",
        "--name",
        "Trần Đức Anh",
    ]);

    let found = env.json(&["members", "search", "duc"]);
    let names: Vec<&str> = found["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["full_name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["Trần Đức Anh", "Lê Thị Đức"],
        "tone-insensitive, sorted by given name"
    );
    let in_branch = env.json(&["members", "list", "--unit", "Chi hội Thôn 1"]);
    assert_eq!(in_branch["members"].as_array().unwrap().len(), 1);

    let shown = env.json(&["members", "show", "hv001"]);
    assert_eq!(shown["member"]["full_name"], "Nguyễn Văn An");
    env.json(&[
        "members",
        "status",
        "HV001",
        "moved_away",
        "--date",
        "01/09/2026",
        "--note",
        "Chuyển vào Bình Dương",
    ]);
    env.json(&[
        "members", "dues", "HV001", "--year", "2026", "--amount", "24.000",
    ]);
    let shown = env.json(&["members", "show", "HV001"]);
    assert_eq!(shown["member"]["status"], "moved_away");
    assert_eq!(shown["status_history"][0]["effective_date"], "2026-09-01");
    assert_eq!(shown["dues"][0]["amount"], 24000);
    let updated = env.json(&[
        "members",
        "update",
        "HV001",
        "--phone",
        "0987654321",
        "--unit",
        "Chi hội Thôn 2",
    ]);
    assert_eq!(updated["unit_name"], "Chi hội Thôn 2");

    let file = env.path("hoi-vien.xlsx");
    let exported = env.json(&["members", "export", file.to_str().unwrap()]);
    assert_eq!(exported["exported"], 3);
    assert!(std::fs::metadata(&file).unwrap().len() > 1000);

    let status = env.json(&["status"]);
    assert_eq!(status["members"]["total"], 3);
    assert!(status["pending_changes"].as_i64().unwrap() >= 10);
    let outbox = env.json(&["outbox", "--limit", "1000"]);
    let ops = outbox["ops"].as_array().unwrap();
    assert_eq!(
        ops.len() as i64,
        status["pending_changes"].as_i64().unwrap()
    );
    assert_eq!(outbox["pending"], status["pending_changes"]);
    assert!(ops.iter().all(|op| op["author"] == "thu-ky"));
    let text = outbox.to_string();
    assert!(
        !text.contains("001085012345") && text.contains("********2345"),
        "citizen IDs leave only masked"
    );
    // A page of the outbox still reports the whole count.
    let page = env.json(&["outbox", "--limit", "2"]);
    assert_eq!(page["ops"].as_array().unwrap().len(), 2);
    assert_eq!(page["pending"], status["pending_changes"]);

    // Sync status: everything still waits, nothing was ever synced.
    let sync = env.json(&["sync", "status"]);
    assert_eq!(sync["pending"], status["pending_changes"]);
    assert_eq!(
        (sync["parked"].as_i64(), sync["conflicts"].as_i64()),
        (Some(0), Some(0))
    );
    assert_eq!(sync["pull_cursor"], 0);
    assert!(sync["last_success_ms"].is_null() && sync["server_epoch"].is_null());
}

#[test]
fn bad_input_gets_a_vietnamese_message_naming_the_field_and_changes_nothing() {
    let env = Env::new();
    env.commune();
    let before = env.json(&["status"])["pending_changes"].as_i64().unwrap();
    let err = env.json_error(&[
        "members",
        "add",
        "--unit",
        "26734",
        "--name",
        "Nguyễn Văn An",
        "--birth",
        "31/02/1985",
        "--phone",
        "12",
    ]);
    assert_eq!(err["code"], "invalid_input");
    let fields: Vec<&str> = err["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["birth", "phone"]);
    assert!(
        err["message"]
            .as_str()
            .unwrap()
            .contains("Ngày sinh \"31/02/1985\" không có thật")
    );
    assert_eq!(
        env.json(&["status"])["pending_changes"].as_i64().unwrap(),
        before
    );

    // Human output goes to stderr in Vietnamese, or English with --lang en; exit code 1.
    let out = env.run(&["members", "add", "--unit", "nowhere", "--name", "An"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("Lỗi: Không tìm thấy đơn vị \"nowhere\"")
    );
    let out = env.run(&[
        "--lang", "en", "members", "add", "--unit", "nowhere", "--name", "An",
    ]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("Error: org_unit \"nowhere\" not found"));

    // A command on a database that does not exist says how to start.
    let other = Env::new();
    let err = other.json_error(&["members", "list"]);
    assert_eq!(err["code"], "database_missing");
    assert!(!other.db.exists(), "nothing was created");
}

#[test]
fn import_previews_then_commits_and_a_second_import_adds_nobody() {
    let env = Env::new();
    env.commune();
    let file = env.path("danh-sach.csv");
    member_csv(&file, 120, Some("Thôn 1"));
    let preview = env.json(&[
        "members",
        "import",
        file.to_str().unwrap(),
        "--unit",
        "26734",
    ]);
    assert_eq!(preview["new_members"], 120);
    assert_eq!(preview["errors"].as_array().unwrap().len(), 0);
    assert_eq!(
        env.json(&["status"])["members"]["total"],
        0,
        "a preview writes nothing"
    );
    let done = env.json(&[
        "members",
        "import",
        file.to_str().unwrap(),
        "--unit",
        "26734",
        "--commit",
    ]);
    assert_eq!(done["added"], 120);
    let again = env.json(&[
        "members",
        "import",
        file.to_str().unwrap(),
        "--unit",
        "26734",
        "--commit",
    ]);
    assert_eq!(
        (again["added"].as_i64(), again["already_present"].as_i64()),
        (Some(0), Some(120))
    );
    let branch = env.json(&[
        "members",
        "list",
        "--unit",
        "Chi hội Thôn 1",
        "--limit",
        "1000",
    ]);
    assert_eq!(branch["members"].as_array().unwrap().len(), 120);
    assert_eq!(
        env.count("SELECT count(*) FROM outbox WHERE intent = 'member.create'"),
        120
    );
}

#[test]
fn backup_and_restore_from_the_command_line() {
    let env = Env::new();
    env.commune();
    env.json(&[
        "members",
        "add",
        "--unit",
        "26734",
        "--name",
        "Trần Thị Mai",
    ]);
    let backup = env.path("sao-luu.db");
    let info = env.json(&["backup", backup.to_str().unwrap()]);
    assert_eq!(info["members"], 1);
    env.json(&["members", "add", "--unit", "26734", "--name", "Lê Văn Tám"]);
    let restored = env.json(&["restore", backup.to_str().unwrap()]);
    assert_eq!(restored["restored"]["members"], 1);
    let list = env.json(&["members", "list"]);
    let names: Vec<&str> = list["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["full_name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Trần Thị Mai"]);

    // A damaged backup is refused and the database stays as it is.
    let bad = env.path("hong.db");
    std::fs::write(&bad, vec![7u8; 8192]).unwrap();
    let err = env.json_error(&["restore", bad.to_str().unwrap()]);
    assert_eq!(err["code"], "not_a_database");
    assert_eq!(
        env.json(&["members", "list"])["members"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn restore_refuses_while_another_process_has_the_database_open() {
    let env = Env::new();
    env.commune();
    let backup = env.path("sao-luu.db");
    env.json(&["backup", backup.to_str().unwrap()]);
    env.json(&["members", "add", "--unit", "26734", "--name", "Lê Văn Tám"]);
    // This test process holds the database open, as the desktop app would.
    let held = khuyenhoc_store::Store::open(&env.db, Default::default()).unwrap();
    let err = env.json_error(&["restore", backup.to_str().unwrap()]);
    assert_eq!(err["code"], "database_in_use");
    assert!(
        err["message"]
            .as_str()
            .unwrap()
            .contains("đang được mở ở chương trình khác")
    );
    drop(held);
    assert_eq!(
        env.json(&["members", "list"])["members"]
            .as_array()
            .unwrap()
            .len(),
        1,
        "nothing was restored"
    );
}

#[test]
fn denominators_are_set_together_and_listed() {
    let env = Env::new();
    env.commune();
    let set = env.json(&[
        "units",
        "denominators",
        "set",
        "26734",
        "--year",
        "2025",
        "--population",
        "12450",
        "--households",
        "3120",
        "--source",
        "Niên giám thống kê 2024",
    ]);
    assert_eq!(set.as_array().unwrap().len(), 2);
    let list = env.json(&["units", "denominators", "list", "26734", "--year", "2025"]);
    let values: Vec<i64> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["value"].as_i64().unwrap())
        .collect();
    assert_eq!(values, [3120, 12450]);
    // A bad figure among good ones writes none of them.
    let err = env.json_error(&[
        "units",
        "denominators",
        "set",
        "26734",
        "--year",
        "2026",
        "--population",
        "100",
        "--clans=-3",
    ]);
    assert_eq!(err["code"], "invalid_input");
    assert!(
        env.json(&["units", "denominators", "list", "26734", "--year", "2026"])
            .as_array()
            .unwrap()
            .is_empty()
    );
}

#[test]
fn mistakes_on_the_command_line_get_the_one_error_shape() {
    let env = Env::new();
    env.commune();
    let out = env.run(&[
        "--json", "members", "dues", "x", "--year", "abc", "--amount", "1",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["error"]["code"], "invalid_arguments");
    // A --db path that does not exist is not silently created.
    let typo = env.path("khuyenhco.db");
    let out = std::process::Command::new(khuyenhoc_tests::khuyenhoc_bin())
        .arg("--db")
        .arg(&typo)
        .args(["--json", "status"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(!typo.exists());
}

#[test]
fn merging_communes_lists_card_numbers_now_held_twice() {
    let env = Env::new();
    env.commune();
    env.json(&[
        "units",
        "add",
        "Hội Khuyến học xã Tân Phú",
        "--kind",
        "commune",
        "--code",
        "26737",
    ]);
    env.json(&[
        "members",
        "add",
        "--unit",
        "26734",
        "--name",
        "Nguyễn Văn An",
        "--card",
        "HV01",
    ]);
    env.json(&[
        "members",
        "add",
        "--unit",
        "26737",
        "--name",
        "Trần Thị Bình",
        "--card",
        "hv01",
    ]);
    let merged = env.json(&[
        "units",
        "merge",
        "26737",
        "--into",
        "26734",
        "--date",
        "01/07/2025",
    ]);
    assert_eq!(merged["unit"]["org_code"], "26734");
    let clashes = merged["card_clashes"].as_array().unwrap();
    assert_eq!(clashes.len(), 1);
    assert_eq!(clashes[0]["card_number"], "HV01");
    let human = env.run(&["units", "history", "26737"]);
    assert!(String::from_utf8_lossy(&human.stdout).contains("sáp nhập"));
}

#[test]
fn the_chairperson_sets_how_long_sent_changes_are_kept_and_a_wrong_number_changes_nothing() {
    let env = Env::new();
    env.setup_commune();
    let chair = |args: &[&str]| {
        env.cmd()
            .env("KHUYENHOC_USER", "lan")
            .env("KHUYENHOC_PIN", "2580")
            .arg("--json")
            .args(args)
            .output()
            .unwrap()
    };
    let read = |out: std::process::Output| -> serde_json::Value {
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let out = chair(&["sync", "keep-days"]);
    assert!(out.status.success());
    assert_eq!(read(out)["keep_days"], 90, "the default");
    let out = chair(&["sync", "keep-days", "30"]);
    assert!(out.status.success());
    assert_eq!(read(out)["keep_days"], 30);

    let out = chair(&["sync", "keep-days", "3"]);
    assert_eq!(out.status.code(), Some(1));
    let err = read(out);
    assert_eq!(err["error"]["code"], "invalid_keep_days");
    assert!(
        err["error"]["message"]
            .as_str()
            .unwrap()
            .contains("từ 7 đến 3650 (nhận được 3)"),
        "{err}"
    );
    assert_eq!(read(chair(&["sync", "keep-days"]))["keep_days"], 30);
}
