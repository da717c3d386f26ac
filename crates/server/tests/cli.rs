//! The real `khuyenhoc-server` binary: admin commands end to end, and `serve` from nothing
//! with a graceful stop on SIGTERM.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Output, Stdio};

use common::*;
use jiff::Timestamp;
use khuyenhoc_server::{ServerConfig, start};
use khuyenhoc_sync_protocol::{OP_FORMAT, PullRequest};
use serde_json::Value;
use uuid::Uuid;

const BIN: &str = env!("CARGO_BIN_EXE_khuyenhoc-server");

fn admin(db: &str, args: &[&str]) -> Output {
    Command::new(BIN)
        .arg("admin")
        .arg("--db")
        .arg(db)
        .args(args)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap()
}

fn ok(out: Output) -> String {
    assert!(
        out.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// `admin device list --json`: the JSON array it prints, parsed.
fn devices_json(db: &str) -> Vec<Value> {
    let out = ok(admin(db, &["device", "list", "--json"]));
    match serde_json::from_str(&out) {
        Ok(Value::Array(devices)) => devices,
        _ => panic!("not a JSON array: {out}"),
    }
}

fn timestamp(v: &Value) -> Timestamp {
    v.as_str()
        .and_then(|t| t.parse().ok())
        .unwrap_or_else(|| panic!("not a timestamp: {v}"))
}

/// A `khuyenhoc-server serve` on 127.0.0.1:0, once it says where it listens.
struct Serving {
    child: std::process::Child,
    stderr: BufReader<std::process::ChildStderr>,
    /// What it logged up to then.
    logs: String,
    /// `127.0.0.1:PORT`
    addr: String,
}

fn serve(args: &[&str]) -> Serving {
    let mut child = Command::new(BIN)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .args(args)
        .env("RUST_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut logs = String::new();
    let addr = loop {
        let mut line = String::new();
        assert!(
            stderr.read_line(&mut line).unwrap() > 0,
            "server exited: {logs}"
        );
        logs.push_str(&line);
        if let Some(rest) = line.split("listening on http://").nth(1) {
            break rest.split_whitespace().next().unwrap().to_owned();
        }
    };
    Serving {
        child,
        stderr,
        logs,
        addr,
    }
}

/// With `--log-format json` every log line is one JSON object a collector can read: each
/// request with its method, path and status; tokens never.
#[tokio::test]
async fn logs_can_be_one_json_object_per_line() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("server.db");
    let Serving {
        mut child,
        mut stderr,
        logs,
        addr,
    } = serve(&["--db", db.to_str().unwrap(), "--log-format", "json"]);
    let secret = "dGhpcy1pcy1hLXNlY3JldC10b2tlbi1mb3ItdGVzdA";
    let resp = reqwest::Client::new()
        .get(format!("http://{addr}/v1/whoami"))
        .bearer_auth(secret)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
    child.kill().unwrap();
    child.wait().unwrap();
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stderr, &mut rest).unwrap();
    let all = logs + &rest;
    assert!(!all.contains(secret), "{all}");
    let entries: Vec<Value> = all
        .lines()
        // The one plain line is the address, for a person starting the server by hand.
        .filter(|line| !line.starts_with("khuyenhoc-server listening on"))
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect();
    assert!(
        entries.iter().any(|e| e["span"]["method"] == "GET"
            && e["span"]["path"] == "/v1/whoami"
            && e["fields"]["status"] == 401),
        "{all}"
    );
}

async fn admin_commands_end_to_end(database: TestDatabase) {
    let db = database.arg();
    let db = db.as_str();
    ok(admin(
        db,
        &["unit", "add", "--code", "01", "--name", "Tỉnh Thử"],
    ));
    ok(admin(
        db,
        &[
            "unit",
            "add",
            "--code",
            "26734",
            "--name",
            "Xã Tân Hòa",
            "--parent-code",
            "01",
        ],
    ));
    // A duplicate code and an unknown parent fail, with a message and no change.
    assert!(
        !admin(db, &["unit", "add", "--code", "01", "--name", "Lại"])
            .status
            .success()
    );
    assert!(
        !admin(
            db,
            &[
                "unit",
                "add",
                "--code",
                "9",
                "--name",
                "X",
                "--parent-code",
                "nope"
            ]
        )
        .status
        .success()
    );
    let units = ok(admin(db, &["unit", "list"]));
    let lines: Vec<&str> = units.lines().collect();
    assert_eq!(lines, ["01\tTỉnh Thử\t-", "26734\tXã Tân Hòa\t01"]);

    let out = admin(
        db,
        &[
            "code",
            "create",
            "--unit-code",
            "26734",
            "--valid-hours",
            "2",
        ],
    );
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let code = ok(out).trim().to_owned();
    assert_eq!(code.len(), 14, "{code}");
    assert!(stderr.contains("Xã Tân Hòa"), "{stderr}");
    assert!(
        !admin(db, &["code", "create", "--unit-code", "nope"])
            .status
            .success()
    );
    assert!(
        !admin(
            db,
            &[
                "code",
                "create",
                "--unit-code",
                "26734",
                "--valid-hours",
                "0"
            ]
        )
        .status
        .success()
    );

    // No device yet: nothing in either form (no header line).
    assert_eq!(ok(admin(db, &["device", "list"])), "");
    assert_eq!(devices_json(db), Vec::<Value>::new());

    // Enroll against a server on the same database, with the printed code.
    let server = start(ServerConfig::new("127.0.0.1:0".parse().unwrap(), db))
        .await
        .unwrap();
    let base = format!("http://{}", server.addr);
    let client = reqwest::Client::new();
    let device = Uuid::now_v7();
    let resp = client
        .post(format!("{base}/v1/enroll"))
        .json(&enroll_body(&code, device))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["unit"]["org_code"], "26734");
    let token = body["token"].as_str().unwrap().to_owned();

    // Tab-separated, the columns added last: seen when it enrolled, never pulled.
    let devices = ok(admin(db, &["device", "list"]));
    let columns: Vec<&str> = devices.trim_end_matches('\n').split('\t').collect();
    let id = device.to_string();
    assert_eq!(
        columns[..3],
        [id.as_str(), "Laptop xã Tân Hòa", "26734"],
        "{devices}"
    );
    assert_eq!(columns[4..], ["active", columns[3], "-"], "{devices}");

    // Once it has pulled, as JSON for scripts: every field, the same times.
    let resp = client
        .post(format!("{base}/v1/pull"))
        .bearer_auth(&token)
        .json(&PullRequest {
            op_format: OP_FORMAT,
            cursor: 0,
            limit: 100,
        })
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let listed = devices_json(db);
    assert_eq!(listed.len(), 1, "{listed:?}");
    let d = &listed[0];
    assert_eq!(d["id"], id);
    assert_eq!(d["name"], "Laptop xã Tân Hòa");
    assert_eq!(d["unit_code"], "26734");
    assert_eq!(d["unit_id"], body["unit"]["id"]);
    assert!(d["revoked_at"].is_null(), "{d}");
    assert_eq!(timestamp(&d["enrolled_at"]).to_string(), columns[3]);
    // Its pull came within the hour of its enrollment: not written again.
    assert_eq!(timestamp(&d["last_seen_at"]), timestamp(&d["enrolled_at"]));
    assert_eq!(d["pulled_through"], 0);

    // Revoked from the command line while the server runs: the token stops working at once.
    ok(admin(db, &["device", "revoke", &device.to_string()]));
    let resp = client
        .get(format!("{base}/v1/whoami"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_error(resp, 401, "unauthorized").await;
    assert!(ok(admin(db, &["device", "list"])).contains("revoked"));
    let revoked = &devices_json(db)[0];
    assert!(timestamp(&revoked["revoked_at"]) >= timestamp(&d["enrolled_at"]));
    assert_eq!(revoked["last_seen_at"], d["last_seen_at"]);
    assert!(
        !admin(db, &["device", "revoke", &Uuid::now_v7().to_string()])
            .status
            .success()
    );
    server.shutdown().await.unwrap();
}

async fn serve_creates_its_database_and_stops_on_sigterm(database: TestDatabase) {
    let file = database.dir().join("fresh").with_extension("db");
    let db = match database.backend() {
        Backend::Sqlite => file.display().to_string(),
        Backend::Postgres => database.arg(),
    };
    assert!(!file.exists());
    let Serving {
        mut child,
        mut stderr,
        logs,
        addr,
    } = serve(&["--db", &db]);
    let health: Value = reqwest::get(format!("http://{addr}/health"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(health["status"], "ok");
    assert_eq!(file.exists(), database.backend() == Backend::Sqlite);
    let secret = "dGhpcy1pcy1hLXNlY3JldC10b2tlbi1mb3ItdGVzdA";
    let resp = reqwest::Client::new()
        .get(format!("http://{addr}/v1/whoami"))
        .bearer_auth(secret)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);

    // A request in flight when the stop comes: its head and half its body are sent, then
    // SIGTERM; once the server says it is shutting down, the rest of the body goes, and the
    // request is still answered in full before the server exits.
    let body = format!(
        r#"{{"code":"XXXX-XXXX-XXXX","device_id":"{}","public_key":"AAAA","device_name":"Máy thử"}}"#,
        Uuid::now_v7()
    );
    let (first, second) = body.as_bytes().split_at(body.len() / 2);
    let mut in_flight = std::net::TcpStream::connect(&addr).unwrap();
    write!(
        in_flight,
        "POST /v1/enroll HTTP/1.1\r\nHost: {addr}\r\ncontent-type: application/json\r\n\
         content-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    )
    .unwrap();
    in_flight.write_all(first).unwrap();
    in_flight.flush().unwrap();
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let mut rest = String::new();
    loop {
        let mut line = String::new();
        assert!(
            stderr.read_line(&mut line).unwrap() > 0,
            "the server ended without saying it was shutting down: {rest}"
        );
        rest.push_str(&line);
        if line.contains("shutting down") {
            break;
        }
    }
    in_flight.write_all(second).unwrap();
    let mut answer = String::new();
    std::io::Read::read_to_string(&mut in_flight, &mut answer).unwrap();
    assert!(
        // The handler read the whole body: it got as far as the (made-up) key.
        answer.starts_with("HTTP/1.1 400")
            && answer.ends_with(
                r#""code":"invalid_public_key","message":"Khóa công khai của máy không hợp lệ."}"#
            ),
        "the request in flight was answered in full: {answer:?}"
    );
    let exit = child.wait().unwrap();
    assert!(exit.success(), "graceful stop exits 0: {exit:?}");
    std::io::Read::read_to_string(&mut stderr, &mut rest).unwrap();
    // Requests are logged, tokens never.
    let all = logs + &rest;
    assert!(
        all.contains("/health") && all.contains("/v1/whoami"),
        "{all}"
    );
    assert!(!all.contains(secret), "{all}");

    // The same database keeps its epoch when opened again.
    let again = khuyenhoc_server::admin::Admin::open(&db).await.unwrap();
    assert_eq!(again.epoch().to_string(), health["epoch"]);
}

/// `admin restored` gives a restored database a new epoch (the one servers then announce), and
/// `admin import-batch` refuses a file that is not a batch without changing anything.
async fn a_restored_database_gets_a_new_epoch(database: TestDatabase) {
    let db = database.arg();
    let before = khuyenhoc_server::admin::Admin::open(&db)
        .await
        .unwrap()
        .epoch();
    let printed = ok(admin(&db, &["restored"]));
    let after = khuyenhoc_server::admin::Admin::open(&db)
        .await
        .unwrap()
        .epoch();
    assert_ne!(after, before);
    assert_eq!(printed.trim(), after.to_string());

    let junk = database.dir().join("junk.khbatch");
    std::fs::write(&junk, b"{\"hello\": 1}").unwrap();
    let out = admin(&db, &["import-batch", junk.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("is not a khuyenhoc batch file"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

test_on_both_databases!(
    admin_commands_end_to_end,
    serve_creates_its_database_and_stops_on_sigterm,
    a_restored_database_gets_a_new_epoch,
);

/// A PostgreSQL that cannot be reached is said so in plain English, with no password shown.
#[test]
fn an_unreachable_postgres_is_a_clear_error() {
    let out = admin(
        "postgres://khuyenhoc:s3cret@127.0.0.1:1/khuyenhoc",
        &["unit", "list"],
    );
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(
            "cannot connect to the database postgres://khuyenhoc:***@127.0.0.1:1/khuyenhoc"
        ),
        "{stderr}"
    );
    assert!(!stderr.contains("s3cret"), "{stderr}");
    let out = Command::new(BIN)
        .args(["serve", "--listen", "127.0.0.1:0", "--db"])
        .arg("postgres://khuyenhoc:s3cret@127.0.0.1:1/khuyenhoc")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("cannot connect to the database"),
        "{stderr}"
    );
    assert!(!stderr.contains("s3cret"), "{stderr}");
}

/// `serve --tls-cert/--tls-key` needs both files, and says plainly when it cannot read them.
#[test]
fn serve_over_tls_needs_a_readable_certificate_and_key() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("srv.db");
    let serve = |args: &[&str]| {
        Command::new(BIN)
            .args(["serve", "--listen", "127.0.0.1:0", "--db"])
            .arg(&db)
            .args(args)
            .env("RUST_LOG", "warn")
            .output()
            .unwrap()
    };
    let only_cert = serve(&["--tls-cert", "cert.pem"]);
    assert!(!only_cert.status.success());
    assert!(String::from_utf8_lossy(&only_cert.stderr).contains("--tls-key"));
    let missing = serve(&[
        "--tls-cert",
        "/nonexistent/cert.pem",
        "--tls-key",
        "/nonexistent/key.pem",
    ]);
    assert!(!missing.status.success());
    let stderr = String::from_utf8_lossy(&missing.stderr);
    assert!(
        stderr.contains("cannot read the TLS certificate or key (/nonexistent/cert.pem"),
        "{stderr}"
    );
}

/// `serve --token-idle-days` must be longer than `--purge-horizon-days`: refused before the
/// database is made otherwise, with both flags named.
#[test]
fn a_token_life_within_the_purge_horizon_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("srv.db");
    let out = Command::new(BIN)
        .args(["serve", "--listen", "127.0.0.1:0", "--db"])
        .arg(&db)
        .args(["--token-idle-days", "60", "--purge-horizon-days", "90"])
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("--token-idle-days"), "{stderr}");
    assert!(stderr.contains("purge horizon (90 days)"), "{stderr}");
    assert!(!db.exists(), "the database was made before the refusal");
    let zero = Command::new(BIN)
        .args(["serve", "--listen", "127.0.0.1:0", "--db"])
        .arg(&db)
        .args(["--token-idle-days", "0"])
        .output()
        .unwrap();
    assert!(!zero.status.success());
}
