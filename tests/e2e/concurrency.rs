//! Two processes writing the same database at once (the desktop app and the CLI): each write
//! either succeeds or gets a clear "busy" answer; nothing is half-written, no sequence reused.

use std::process::Stdio;

use khuyenhoc_tests::{Env, member_csv};

#[test]
fn two_processes_writing_at_once_both_succeed_or_one_is_told_busy() {
    let env = Env::new();
    env.commune();
    let a = env.path("a.csv");
    let b = env.path("b.csv");
    member_csv(&a, 4_000, Some("Thôn 1"));
    member_csv(&b, 4_000, Some("Thôn 2"));
    let spawn = |file: &std::path::Path| {
        env.cmd()
            .args([
                "--json",
                "members",
                "import",
                file.to_str().unwrap(),
                "--unit",
                "26734",
                "--commit",
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let ops_before = env.count("SELECT count(*) FROM outbox");
    let (pa, pb) = (spawn(&a), spawn(&b));
    // A third writer adds members one by one while the imports run.
    let mut single_ok = 0;
    for i in 0..20 {
        let out = env.run(&[
            "--json",
            "members",
            "add",
            "--unit",
            "26734",
            "--name",
            &format!("Người Thứ {}", ["An", "Ba", "Tư", "Năm"][i % 4]),
            "--birth",
            &format!("{}", 1950 + i),
        ]);
        if out.status.success() {
            single_ok += 1;
        } else {
            let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
            assert_eq!(
                v["error"]["code"], "busy",
                "the only acceptable failure is a clear busy answer"
            );
        }
    }
    let mut added = single_ok;
    for p in [pa, pb] {
        let out = p.wait_with_output().unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        if out.status.success() {
            assert_eq!(v["added"], 4_000);
            added += 4_000;
        } else {
            assert_eq!(v["error"]["code"], "busy");
        }
    }
    assert!(added >= 4_000, "at least one import got through");
    assert_eq!(env.count("SELECT count(*) FROM members"), added as i64);
    assert_eq!(
        env.count("SELECT count(*) FROM outbox") - ops_before,
        added as i64,
        "one op per member, none half-written"
    );
    assert_eq!(
        env.count("SELECT max(device_seq) - min(device_seq) + 1 - count(*) FROM outbox"),
        0,
        "no sequence reused or skipped"
    );
}

#[test]
fn processes_starting_together_on_a_new_database_all_open_it() {
    let env = Env::new();
    let children: Vec<_> = (0..4)
        .map(|_| {
            env.cmd()
                .args(["--json", "init"])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
    let status = env.json(&["status"]);
    assert_eq!(status["schema_version"], khuyenhoc_store::LATEST_SCHEMA);
    let again = env.json(&["status"]);
    assert_eq!(
        again["device_id"], status["device_id"],
        "one database, one device identity"
    );
}
