//! Sync through the real `khuyenhoc` binary against the real server started in this test on
//! 127.0.0.1:0 (on its own SQLite file, and again on a PostgreSQL database): the chairperson enrolls the laptop with a one-time code
//! (`http://` to another machine is refused before anything is sent), `khuyenhoc sync` sends a
//! new member, and a second laptop joins the commune, pulls it and logs the officer in.

use jiff::SignedDuration;
use khuyenhoc_server::admin::Admin;
use khuyenhoc_server::test_on_both_databases;
use khuyenhoc_server::testing::TestDatabase;
use khuyenhoc_server::{ServerConfig, start};
use khuyenhoc_tests::Env;

/// Runs the CLI as the chairperson on a blocking thread (the server runs on this runtime).
async fn as_chair(env: &Env, args: &[&str]) -> std::process::Output {
    let mut cmd = env.cmd();
    cmd.env("KHUYENHOC_USER", "lan")
        .env("KHUYENHOC_PIN", "2580")
        .arg("--json")
        .args(args);
    tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap()
}

async fn sync_status(env: &Env) -> serde_json::Value {
    let out = as_chair(env, &["sync", "status"]).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

async fn the_chairperson_enrolls_the_laptop_with_a_one_time_code(db: TestDatabase) {
    let env = Env::new();
    env.setup_commune();
    let server = start(ServerConfig::new(
        "127.0.0.1:0".parse().unwrap(),
        db.db().clone(),
    ))
    .await
    .unwrap();
    let admin = Admin::open_database(db.db()).await.unwrap();
    admin.add_unit("45", "Tỉnh Quảng Trị", None).await.unwrap();
    admin
        .add_unit("26734", "Hội Khuyến học xã Tân Hòa", Some("45"))
        .await
        .unwrap();
    let code = admin
        .create_code("26734", SignedDuration::from_hours(72))
        .await
        .unwrap()
        .code;
    let url = format!("http://{}", server.addr);

    // A plain http:// address of another machine is refused; nothing is sent or kept.
    let out = as_chair(
        &env,
        &[
            "enroll",
            "--server",
            "http://192.168.1.10:8080",
            "--code",
            &code,
        ],
    )
    .await;
    assert!(!out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["error"]["code"], "insecure_address");
    assert!(v["error"]["message"].as_str().unwrap().contains("https"));
    assert!(sync_status(&env).await["server_epoch"].is_null());

    // Without logging in, a set-up register does not enroll.
    let out = env
        .cmd()
        .env_remove("KHUYENHOC_USER")
        .args(["--json", "enroll", "--server", &url, "--code", &code])
        .output()
        .unwrap();
    assert!(!out.status.success());

    let out = as_chair(&env, &["enroll", "--server", &url, "--code", &code]).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let enrolled: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(enrolled["unit"], "Hội Khuyến học xã Tân Hòa");
    let status = sync_status(&env).await;
    assert_eq!(status["server_epoch"], server.epoch.to_string());
    let devices = admin.list_devices().await.unwrap();
    assert_eq!(devices.len(), 1);
    assert_eq!(
        devices[0].id.to_string(),
        enrolled["device_id"].as_str().unwrap()
    );
    // The token is never printed.
    let printed = String::from_utf8_lossy(&out.stdout);
    assert!(!printed.contains("token"), "{printed}");

    // The code was for one laptop only.
    let again = as_chair(&env, &["enroll", "--server", &url, "--code", &code]).await;
    let v: serde_json::Value = serde_json::from_slice(&again.stdout).unwrap();
    assert_eq!(v["error"]["code"], "server_refused");

    // A member added here reaches the server with `khuyenhoc sync`.
    let out = as_chair(
        &env,
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
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let out = as_chair(&env, &["sync"]).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(summary["pushed"].as_i64().unwrap() >= 1);
    let status = sync_status(&env).await;
    assert_eq!(status["pending"], 0);
    assert!(status["last_success_ms"].is_i64());

    // A second laptop joins the commune: it enrolls (no officer exists on it yet), pulls the
    // register with the officers, and then the chairperson logs in there with her own PIN.
    let second = Env::new();
    let join_code = admin
        .create_code("26734", SignedDuration::from_hours(1))
        .await
        .unwrap()
        .code;
    let mut cmd = second.cmd();
    cmd.env_remove("KHUYENHOC_USER")
        .args(["--json", "enroll", "--server", &url, "--code", &join_code]);
    let out = tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let mut cmd = second.cmd();
    cmd.env_remove("KHUYENHOC_USER").args(["--json", "sync"]);
    let out = tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let out = as_chair(&second, &["members", "search", "nguyen an"]).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let found = String::from_utf8_lossy(&out.stdout);
    assert!(found.contains("Nguyễn Văn An"), "{found}");
}

test_on_both_databases!(the_chairperson_enrolls_the_laptop_with_a_one_time_code);
