//! Enrollment end to end: the real server in-process on 127.0.0.1:0 over a fresh database (a
//! SQLite file, and again PostgreSQL), the real client over HTTP, a real laptop database.

use std::sync::Mutex;

use jiff::SignedDuration;
use khuyenhoc_server::admin::Admin;
use khuyenhoc_server::test_on_both_databases;
use khuyenhoc_server::testing::TestDatabase;
use khuyenhoc_server::{ServerConfig, start};
use khuyenhoc_store::{OpenOptions, Store};
use khuyenhoc_sync_client::{Connection, ServerAddress, SyncError, enroll};

struct Setup {
    _db: TestDatabase,
    server: khuyenhoc_server::RunningServer,
    admin: Admin,
    laptop: Mutex<Store>,
}

async fn setup(db: TestDatabase) -> Setup {
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
    let laptop = Store::open(db.dir().join("laptop.db"), OpenOptions::default()).unwrap();
    Setup {
        _db: db,
        server,
        admin,
        laptop: Mutex::new(laptop),
    }
}

impl Setup {
    fn address(&self) -> ServerAddress {
        ServerAddress::parse(&format!("http://{}", self.server.addr), false).unwrap()
    }

    async fn code(&self) -> String {
        self.admin
            .create_code("26734", SignedDuration::from_hours(72))
            .await
            .unwrap()
            .code
    }
}

async fn a_laptop_enrolls_keeps_its_token_and_is_known_by_it(db: TestDatabase) {
    let s = setup(db).await;
    let code = s.code().await;
    // Typed as an officer might: lower case, spaces around.
    let answer = enroll(
        &s.laptop,
        s.address(),
        &format!("  {}  ", code.to_lowercase()),
        "Máy thư ký",
    )
    .await
    .unwrap();
    assert_eq!(answer.unit.name, "Hội Khuyến học xã Tân Hòa");
    let kept = s
        .laptop
        .lock()
        .unwrap()
        .enrollment()
        .unwrap()
        .expect("enrolled");
    assert_eq!(kept.token, answer.token);
    assert_eq!(kept.unit_name, "Hội Khuyến học xã Tân Hòa");
    assert_eq!(kept.signing_key.len(), 32);
    let status = s.laptop.lock().unwrap().sync_status().unwrap();
    assert_eq!(status.server_epoch.as_deref(), Some(answer.epoch.as_str()));

    // The server knows this laptop by its token.
    let who: serde_json::Value = Connection::new(s.address(), Some(kept.token))
        .unwrap()
        .get("v1/whoami")
        .await
        .unwrap();
    let device = s.laptop.lock().unwrap().device_id().to_string();
    assert_eq!(who["device_id"], device.as_str());
}

async fn a_used_code_is_refused_with_the_servers_message_and_nothing_is_kept(db: TestDatabase) {
    let s = setup(db).await;
    let code = s.code().await;
    enroll(&s.laptop, s.address(), &code, "Máy 1")
        .await
        .unwrap();

    let dir = tempfile::tempdir().unwrap();
    let second =
        Mutex::new(Store::open(dir.path().join("second.db"), OpenOptions::default()).unwrap());
    let err = enroll(&second, s.address(), &code, "Máy 2")
        .await
        .unwrap_err();
    match &err {
        SyncError::Server { status, code, .. } => {
            assert_eq!((*status, code.as_str()), (403, "enrollment_code_used"));
        }
        other => panic!("{other:?}"),
    }
    assert!(!err.is_transient(), "a used code is not worth retrying");
    assert!(!err.message_vi().is_empty());
    assert!(second.lock().unwrap().enrollment().unwrap().is_none());
}

async fn no_server_listening_is_a_transient_error(db: TestDatabase) {
    // A port that was free a moment ago: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let s = setup(db).await;
    let address = ServerAddress::parse(&format!("http://127.0.0.1:{port}"), false).unwrap();
    let err = enroll(&s.laptop, address, "AAAA-BBBB-CCCC", "Máy 1")
        .await
        .unwrap_err();
    assert!(matches!(err, SyncError::Unreachable { .. }), "{err:?}");
    assert!(err.is_transient());
    assert!(err.is_offline(), "no connection could be made: {err:?}");
    assert!(s.laptop.lock().unwrap().enrollment().unwrap().is_none());
}

test_on_both_databases!(
    a_laptop_enrolls_keeps_its_token_and_is_known_by_it,
    a_used_code_is_refused_with_the_servers_message_and_nothing_is_kept,
    no_server_listening_is_a_transient_error,
);
