//! The server over HTTPS (`--tls-cert/--tls-key`): a laptop that trusts the server's
//! certificate authority enrolls and syncs over TLS; one that does not trust it refuses to talk
//! (its token never leaves), and plain `http://` to another machine is refused before anything
//! is sent.

use std::sync::Mutex;

use jiff::SignedDuration;
use khuyenhoc_server::admin::Admin;
use khuyenhoc_server::test_on_both_databases;
use khuyenhoc_server::testing::TestDatabase;
use khuyenhoc_server::{ServerConfig, TlsFiles, start};
use khuyenhoc_store::{OpenOptions, Store};
use khuyenhoc_sync_client::{Connection, ServerAddress, SyncError, sync_once};

async fn a_laptop_syncs_over_https_only_with_a_server_it_trusts(db: TestDatabase) {
    let dir = db.dir();
    let issued =
        rcgen::generate_simple_self_signed(vec!["localhost".into(), "127.0.0.1".into()]).unwrap();
    let cert_pem = issued.cert.pem();
    std::fs::write(dir.join("cert.pem"), &cert_pem).unwrap();
    std::fs::write(dir.join("key.pem"), issued.signing_key.serialize_pem()).unwrap();
    let mut config = ServerConfig::new("127.0.0.1:0".parse().unwrap(), db.db().clone());
    config.tls = Some(TlsFiles {
        cert: dir.join("cert.pem"),
        key: dir.join("key.pem"),
    });
    let server = start(config).await.unwrap();
    let admin = Admin::open_database(db.db()).await.unwrap();
    admin.add_unit("44", "Tỉnh Quảng Trị", None).await.unwrap();
    admin
        .add_unit("26734", "Xã Tân Hòa", Some("44"))
        .await
        .unwrap();
    let code = admin
        .create_code("26734", SignedDuration::from_hours(1))
        .await
        .unwrap()
        .code;
    let https = format!("https://localhost:{}", server.addr.port());
    let address = ServerAddress::parse(&https, false).unwrap();

    // Not trusting the certificate: nothing is exchanged, the code stays unused.
    let stranger = Connection::new(address.clone(), None).unwrap();
    let err = stranger
        .get::<serde_json::Value>("health")
        .await
        .unwrap_err();
    assert!(matches!(err, SyncError::Unreachable { .. }), "{err:?}");

    // A file of authorities that is not PEM is said to be that, not a bad address.
    let err = Connection::with_roots(address.clone(), None, &[b"not a certificate".to_vec()])
        .err()
        .unwrap();
    assert_eq!(err.code(), "bad_ca_certificate", "{err:?}");
    assert!(err.message_vi().contains("chứng chỉ"));

    // Trusting it: enrollment and a sync over TLS.
    let store = Mutex::new(Store::open(dir.join("a.db"), OpenOptions::default()).unwrap());
    let trusted =
        Connection::with_roots(address.clone(), None, &[cert_pem.clone().into_bytes()]).unwrap();
    let health: serde_json::Value = trusted.get("health").await.unwrap();
    assert_eq!(health["status"], "ok");
    let answer = khuyenhoc_sync_client::enroll::enroll_with(&store, &trusted, &code, "Máy xã")
        .await
        .unwrap();
    let conn = Connection::with_roots(
        address.clone(),
        Some(answer.token),
        &[cert_pem.into_bytes()],
    )
    .unwrap();
    sync_once(&store, &conn).await.unwrap();
    assert!(
        store
            .lock()
            .unwrap()
            .sync_status()
            .unwrap()
            .last_success_ms
            .is_some()
    );

    // Plain http:// to another machine is refused before anything is sent.
    let err = ServerAddress::parse("http://192.0.2.10:8080", false).unwrap_err();
    assert!(matches!(err, SyncError::InsecureAddress { .. }));
    server.shutdown().await.unwrap();
}

test_on_both_databases!(a_laptop_syncs_over_https_only_with_a_server_it_trusts);
