//! Sync through the real `khuyenhoc` binary against the real server started in this test on
//! 127.0.0.1:0 (on its own SQLite file, and again on a PostgreSQL database): the chairperson enrolls the laptop with a one-time code
//! (`http://` to another machine is refused before anything is sent), `khuyenhoc sync` sends a
//! new member, and a second laptop joins the commune, pulls it and logs the officer in; and a
//! laptop with no connection sends its changes on a signed file, carried by another laptop or
//! imported by the server's admin.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use jiff::SignedDuration;
use khuyenhoc_server::test_on_both_databases;
use khuyenhoc_server::testing::TestDatabase;
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
    let (server, admin) = khuyenhoc_tests::server_with_commune(&db).await;
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
    let join_code = khuyenhoc_tests::commune_code(&admin).await;
    second.join_commune(&url, &join_code).await;
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

/// Runs `khuyenhoc-server admin --db DB ARGS…` on a blocking thread.
async fn server_admin(db: &TestDatabase, args: &[&str]) -> std::process::Output {
    let mut cmd = std::process::Command::new(khuyenhoc_tests::server_bin());
    cmd.arg("admin").arg("--db").arg(db.arg()).args(args);
    tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap()
}

/// Runs `khuyenhoc --json ARGS…` as the chairperson and returns its JSON, asserting success.
async fn chair_json(env: &Env, args: &[&str]) -> serde_json::Value {
    let out = as_chair(env, args).await;
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

async fn member_names(env: &Env) -> Vec<String> {
    let found = chair_json(env, &["members", "list"]).await;
    assert!(found["next"].is_null(), "one page: {found}");
    let mut names: Vec<String> = found["members"]
        .as_array()
        .expect("a list of members")
        .iter()
        .map(|m| m["full_name"].as_str().unwrap().to_owned())
        .collect();
    names.sort();
    names
}

/// A laptop with no connection at all: `khuyenhoc sync export` writes its pending changes to a
/// signed file; a relay laptop takes it with `khuyenhoc sync import` and sends it at its next
/// sync, or the server's admin takes it with `khuyenhoc-server admin import-batch`; an altered
/// file is refused whole and changes nothing; when the laptop itself syncs later, nothing is
/// applied twice.
async fn a_laptop_with_no_connection_sends_its_changes_on_a_file(db: TestDatabase) {
    let (server, admin) = khuyenhoc_tests::server_with_commune(&db).await;
    let url = format!("http://{}", server.addr);
    let code = || async { khuyenhoc_tests::commune_code(&admin).await };
    // The commune's laptop, and the relay: a second laptop of the commune that joined it.
    let far = Env::new();
    far.setup_commune();
    chair_json(&far, &["enroll", "--server", &url, "--code", &code().await]).await;
    chair_json(&far, &["sync"]).await;
    let relay = Env::new();
    let join = code().await;
    relay.join_commune(&url, &join).await;
    chair_json(&relay, &["sync"]).await;

    // Offline, a member is added and written to a file that a relay laptop carries up.
    chair_json(
        &far,
        &[
            "members",
            "add",
            "--unit",
            "26734",
            "--name",
            "Trần Văn Bình",
        ],
    )
    .await;
    let first_file = far.path("thay-doi-1.khbatch");
    let written = chair_json(&far, &["sync", "export", first_file.to_str().unwrap()]).await;
    assert!(written["ops"].as_i64().unwrap() >= 1, "{written}");
    let read = chair_json(&relay, &["sync", "import", first_file.to_str().unwrap()]).await;
    assert_eq!(read["new"], true, "{read}");
    let again = chair_json(&relay, &["sync", "import", first_file.to_str().unwrap()]).await;
    assert_eq!(
        again["new"], false,
        "the same file twice is one batch: {again}"
    );
    chair_json(&relay, &["sync"]).await;
    chair_json(&relay, &["sync"]).await;
    assert!(
        member_names(&relay)
            .await
            .contains(&"Trần Văn Bình".to_owned()),
        "the relayed member reached the server and came back to the relay"
    );

    // Another member, on a file the server's admin imports; an altered copy first.
    chair_json(
        &far,
        &[
            "members",
            "add",
            "--unit",
            "26734",
            "--name",
            "Phạm Thị Cúc",
        ],
    )
    .await;
    let second_file = far.path("thay-doi-2.khbatch");
    chair_json(&far, &["sync", "export", second_file.to_str().unwrap()]).await;
    // The relay's view of the file: the signed body, with the member's name changed in it.
    let mut file: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&second_file).unwrap()).unwrap();
    let body = String::from_utf8(STANDARD.decode(file["body"].as_str().unwrap()).unwrap()).unwrap();
    assert!(
        body.contains("Phạm Thị Cúc"),
        "the member's name is in the file"
    );
    file["body"] = STANDARD
        .encode(body.replace("Phạm Thị Cúc", "Phạm Thị Cục"))
        .into();
    let altered = far.path("thay-doi-sua.khbatch");
    std::fs::write(&altered, serde_json::to_vec(&file).unwrap()).unwrap();
    let before = db.footprint().await;
    let out = server_admin(&db, &["import-batch", altered.to_str().unwrap()]).await;
    assert!(!out.status.success(), "an altered file is refused");
    assert_eq!(
        db.footprint().await,
        before,
        "an altered file changes nothing"
    );
    let out = server_admin(&db, &["import-batch", second_file.to_str().unwrap()]).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        String::from_utf8_lossy(&out.stdout)
            .trim()
            .parse::<i64>()
            .unwrap()
            >= 1,
        "the admin is told how many changes were new"
    );
    chair_json(&relay, &["sync"]).await;
    let at_relay = member_names(&relay).await;
    assert!(
        at_relay.contains(&"Phạm Thị Cúc".to_owned()),
        "{at_relay:?}"
    );
    assert!(
        !at_relay.contains(&"Phạm Thị Cục".to_owned()),
        "{at_relay:?}"
    );

    // Back online, the laptop syncs itself: its changes are already there, nothing is doubled.
    let summary = chair_json(&far, &["sync"]).await;
    assert_eq!(sync_status(&far).await["pending"], 0, "{summary}");
    chair_json(&relay, &["sync"]).await;
    assert_eq!(member_names(&far).await, member_names(&relay).await);
    let names = member_names(&relay).await;
    let mut unique = names.clone();
    unique.dedup();
    assert_eq!(names, unique, "a member is doubled");
}

test_on_both_databases!(
    the_chairperson_enrolls_the_laptop_with_a_one_time_code,
    a_laptop_with_no_connection_sends_its_changes_on_a_file,
);
