//! Repairs through the real server (on SQLite and on PostgreSQL): a server restored from an
//! older backup is given back, by its laptops, everything the backup lacked; a laptop with no
//! connection at all sends its changes in a signed file carried by another laptop (or by the
//! administrator), and an altered file is refused and changes nothing.

mod common;

use std::sync::Mutex;

use common::names;
use jiff::SignedDuration;
use khuyenhoc_domain::MemberInput;
use khuyenhoc_domain::org::OrgUnitInput;
use khuyenhoc_server::admin::Admin;
use khuyenhoc_server::test_on_both_databases;
use khuyenhoc_server::testing::TestDatabase;
use khuyenhoc_server::{RunningServer, ServerConfig, start};
use khuyenhoc_store::{OpenOptions, Store};
use khuyenhoc_sync_client::batch::{export_batch, import_for_relay};
use khuyenhoc_sync_client::{Connection, ServerAddress, enroll, sync_once};
use khuyenhoc_sync_protocol::SignedBatch;

struct World {
    db: TestDatabase,
    server: Option<RunningServer>,
    admin: Option<Admin>,
    addr: std::net::SocketAddr,
}

impl World {
    async fn new(db: TestDatabase) -> World {
        let server = start(ServerConfig::new(
            "127.0.0.1:0".parse().unwrap(),
            db.db().clone(),
        ))
        .await
        .unwrap();
        let admin = Admin::open_database(db.db()).await.unwrap();
        admin.add_unit("44", "Tỉnh Quảng Trị", None).await.unwrap();
        admin
            .add_unit("26734", "Xã Tân Hòa", Some("44"))
            .await
            .unwrap();
        World {
            addr: server.addr,
            server: Some(server),
            admin: Some(admin),
            db,
        }
    }

    fn admin(&self) -> &Admin {
        self.admin.as_ref().unwrap()
    }

    fn address(&self) -> ServerAddress {
        ServerAddress::parse(&format!("http://{}", self.addr), false).unwrap()
    }

    /// A laptop enrolled in the commune, and its connection.
    async fn laptop(&self, name: &str) -> (Mutex<Store>, Connection) {
        let store = Mutex::new(
            Store::open(
                self.db.dir().join(format!("{name}.db")),
                OpenOptions::default(),
            )
            .unwrap(),
        );
        let code = self
            .admin()
            .create_code("26734", SignedDuration::from_hours(1))
            .await
            .unwrap()
            .code;
        let answer = enroll(&store, self.address(), &code, name).await.unwrap();
        (
            store,
            Connection::new(self.address(), Some(answer.token)).unwrap(),
        )
    }

    /// Stops the server and lets go of the database.
    async fn stop(&mut self) {
        self.server.take().unwrap().shutdown().await.unwrap();
        self.admin.take();
    }

    /// Starts the server again on the same address.
    async fn restart(&mut self) {
        let config = ServerConfig::new(self.addr, self.db.db().clone());
        self.server = Some(start(config).await.unwrap());
        self.admin = Some(Admin::open_database(self.db.db()).await.unwrap());
    }
}

fn commune(store: &Mutex<Store>) -> uuid::Uuid {
    store
        .lock()
        .unwrap()
        .create_unit(
            None,
            &OrgUnitInput {
                name: "Hội Khuyến học xã Tân Hòa".into(),
                kind: "commune".into(),
                org_code: Some("26734".into()),
                valid_from: None,
            },
        )
        .unwrap()
        .id
}

fn add(store: &Mutex<Store>, unit: &uuid::Uuid, name: &str) {
    let input = MemberInput {
        full_name: name.into(),
        ..Default::default()
    };
    store.lock().unwrap().add_member(unit, &input).unwrap();
}

async fn a_server_restored_from_an_older_backup_is_repaired_by_its_laptops(db: TestDatabase) {
    let mut w = World::new(db).await;
    let (a, a_conn) = w.laptop("a").await;
    let (b, b_conn) = w.laptop("b").await;
    let unit = commune(&a);
    add(&a, &unit, "Đỗ Thị Hoa");
    sync_once(&a, &a_conn).await.unwrap();
    sync_once(&b, &b_conn).await.unwrap();

    w.stop().await;
    let backup = w.db.backup().await;
    w.restart().await;
    add(&a, &unit, "Lê Văn Nam");
    sync_once(&a, &a_conn).await.unwrap();
    sync_once(&b, &b_conn).await.unwrap();
    assert_eq!(names(&b), ["Lê Văn Nam", "Đỗ Thị Hoa"]);

    // The server's disk fails; the administrator restores last night's backup.
    w.stop().await;
    w.db.restore(&backup).await;
    w.restart().await;
    w.admin().renew_epoch().await.unwrap();
    w.stop().await;
    w.restart().await;

    add(&b, &unit, "Phan Văn Tú");
    let summary = sync_once(&b, &b_conn).await.unwrap();
    assert!(summary.server_restored.is_some(), "{summary:?}");
    let summary = sync_once(&a, &a_conn).await.unwrap();
    let requeued = summary.server_restored.expect("A saw the restore too");
    assert!(
        requeued >= 1,
        "A sent again what the backup lacked: {summary:?}"
    );
    sync_once(&b, &b_conn).await.unwrap();

    // Nothing lost, nothing doubled: a new laptop gets each member once.
    let (c, c_conn) = w.laptop("c").await;
    sync_once(&c, &c_conn).await.unwrap();
    let want = ["Lê Văn Nam", "Phan Văn Tú", "Đỗ Thị Hoa"];
    assert_eq!(names(&c), want);
    assert_eq!(names(&a), want);
    assert_eq!(names(&b), want);
}

async fn a_signed_file_carried_by_another_laptop_reaches_the_server_once(db: TestDatabase) {
    let w = World::new(db).await;
    let (a, a_conn) = w.laptop("a").await;
    let (b, b_conn) = w.laptop("b").await;
    let unit = commune(&a);
    sync_once(&a, &a_conn).await.unwrap();
    // A has no connection for weeks: its new member goes on a USB stick.
    add(&a, &unit, "Đỗ Thị Hoa");
    let file = w.db.dir().join("xa-tan-hoa.khbatch");
    export_batch(&a, &file).unwrap();

    // Someone alters a copy on the way: the server refuses it, nothing of it is applied.
    let mut altered: SignedBatch = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    let body = String::from_utf8(
        base64::Engine::decode(&base64::engine::general_purpose::STANDARD, &altered.body).unwrap(),
    )
    .unwrap()
    .replace("Đỗ Thị Hoa", "Đỗ Thị Giả");
    altered.body = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, body);
    let altered_file = w.db.dir().join("altered.khbatch");
    std::fs::write(&altered_file, serde_json::to_vec(&altered).unwrap()).unwrap();
    import_for_relay(&b, &altered_file).unwrap();
    let summary = sync_once(&b, &b_conn).await.unwrap();
    assert_eq!(summary.relayed, 0, "the altered file is refused");
    assert!(names(&b).is_empty());
    assert!(
        b.lock()
            .unwrap()
            .relay_batches_waiting()
            .unwrap()
            .is_empty(),
        "not sent again"
    );

    // The real file, carried by B, reaches the server.
    import_for_relay(&b, &file).unwrap();
    let summary = sync_once(&b, &b_conn).await.unwrap();
    assert_eq!(summary.relayed, 1);
    sync_once(&b, &b_conn).await.unwrap();
    assert_eq!(names(&b), ["Đỗ Thị Hoa"]);

    // The administrator may import the same file too: nothing new.
    let batch: SignedBatch = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    assert_eq!(w.admin().import_batch(&batch).await.unwrap(), 0);

    // Back online, A's own push is answered as duplicates: acknowledged, applied once.
    let summary = sync_once(&a, &a_conn).await.unwrap();
    assert!(summary.pushed >= 1);
    assert_eq!(a.lock().unwrap().sync_status().unwrap().pending, 0);
    let (c, c_conn) = w.laptop("c").await;
    sync_once(&c, &c_conn).await.unwrap();
    assert_eq!(names(&c), ["Đỗ Thị Hoa"]);
}

test_on_both_databases!(
    a_server_restored_from_an_older_backup_is_repaired_by_its_laptops,
    a_signed_file_carried_by_another_laptop_reaches_the_server_once,
);
