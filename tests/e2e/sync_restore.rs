//! A laptop put back from a backup loses nothing the commune had: laptop A backs up with a
//! change not yet sent, then writes more and syncs; it is restored from the backup (through
//! `khuyenhoc restore`, which gives it a new device identity), enrolls again, writes and syncs.
//! At the end both laptops hold every member once — the one pending in the backup (sent twice
//! under two identities, applied once), the ones written after the backup (pulled back from the
//! server), the one written after the restore and the other laptop's — with the edits made
//! before the restore in force, and every op the laptop ever sent received once by the server.
//!
//! Through the real `khuyenhoc` binary against the real server in-process on 127.0.0.1:0, once
//! on a SQLite file and once on a fresh PostgreSQL database.

use khuyenhoc_server::test_on_both_databases;
use khuyenhoc_server::testing::TestDatabase;
use khuyenhoc_tests::Env;
use khuyenhoc_tests::sync_check::{assert_converged_with_history, count};

fn chair(env: &Env) -> std::process::Command {
    let mut c = env.cmd();
    c.env("KHUYENHOC_USER", "lan")
        .env("KHUYENHOC_PIN", "2580")
        .arg("--json");
    c
}

async fn output(env: &Env, args: &[&str]) -> std::process::Output {
    let mut c = chair(env);
    c.args(args);
    tokio::task::spawn_blocking(move || c.output().unwrap())
        .await
        .unwrap()
}

async fn ok(env: &Env, args: &[&str]) -> serde_json::Value {
    let out = output(env, args).await;
    assert!(
        out.status.success(),
        "khuyenhoc {args:?} failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null)
}

fn members(env: &Env, name: &str) -> i64 {
    khuyenhoc_tests::sync_check::rows(&env.db, "SELECT full_name FROM members WHERE deleted = 0")
        .iter()
        .filter(|r| r["full_name"] == name)
        .count() as i64
}

async fn a_laptop_restored_from_a_backup_loses_nothing_and_doubles_nothing(db: TestDatabase) {
    let a = Env::new();
    a.setup_commune();
    let b = Env::new();
    let (server, admin) = khuyenhoc_tests::server_with_commune(&db).await;
    let url = format!("http://{}", server.addr);
    let new_code = || async { khuyenhoc_tests::commune_code(&admin).await };

    let code = new_code().await;
    ok(&a, &["enroll", "--server", &url, "--code", &code]).await;
    ok(&a, &["sync"]).await;
    let code = new_code().await;
    b.join_commune(&url, &code).await;
    ok(&b, &["sync"]).await;

    // A backup holding one change not yet sent.
    let added = ok(
        &a,
        &[
            "members",
            "add",
            "--unit",
            "26734",
            "--name",
            "Nguyễn Văn An",
        ],
    )
    .await;
    let an = added["id"]
        .as_str()
        .expect("the new member's id")
        .to_owned();
    let backup = a.path("backup.db");
    ok(&a, &["backup", backup.to_str().unwrap()]).await;

    // More work after the backup, synced: a member, an edit of the first one; B adds one too.
    ok(
        &a,
        &[
            "members",
            "add",
            "--unit",
            "26734",
            "--name",
            "Trần Thị Bình",
        ],
    )
    .await;
    ok(&a, &["members", "update", &an, "--phone", "0912345678"]).await;
    ok(&a, &["sync"]).await;
    ok(
        &b,
        &[
            "members",
            "add",
            "--unit",
            "26734",
            "--name",
            "Phạm Văn Dũng",
        ],
    )
    .await;
    ok(&b, &["sync"]).await;
    let before_restore = a.path("before-restore.db");
    ok(&a, &["backup", before_restore.to_str().unwrap()]).await;

    // The restore puts the laptop back as it was at the backup.
    ok(&a, &["restore", backup.to_str().unwrap()]).await;
    assert_eq!(members(&a, "Trần Thị Bình"), 0, "the restore did not take");
    assert!(
        count(&a.db, "SELECT COUNT(*) FROM outbox WHERE acked = 0") > 0,
        "the backup's unsent change is pending again"
    );

    // The restored file is a new device: its token went with the old identity, so it is told
    // to enroll again (nothing sent), enrolls, then writes and syncs.
    let refused = output(&a, &["sync"]).await;
    assert!(!refused.status.success());
    let refused: serde_json::Value = serde_json::from_slice(&refused.stdout).unwrap();
    assert_eq!(refused["error"]["code"], "not_enrolled");
    let code = new_code().await;
    ok(&a, &["enroll", "--server", &url, "--code", &code]).await;
    ok(
        &a,
        &[
            "members",
            "add",
            "--unit",
            "26734",
            "--name",
            "Lê Minh Cường",
        ],
    )
    .await;
    ok(&a, &["sync"]).await;
    ok(&b, &["sync"]).await;
    ok(&a, &["sync"]).await;

    for env in [&a, &b] {
        for name in [
            "Nguyễn Văn An",
            "Trần Thị Bình",
            "Lê Minh Cường",
            "Phạm Văn Dũng",
        ] {
            assert_eq!(members(env, name), 1, "{name} on {}", env.db.display());
        }
        let phone = khuyenhoc_tests::sync_check::rows(
            &env.db,
            &format!("SELECT phone FROM members WHERE id = '{an}'"),
        );
        assert_eq!(
            phone[0]["phone"], "0912345678",
            "the edit made before the restore"
        );
    }
    let done = assert_converged_with_history(&[&a.db, &b.db], &[&before_restore], &db).await;
    println!("{done:?}");
}

test_on_both_databases!(a_laptop_restored_from_a_backup_loses_nothing_and_doubles_nothing);
