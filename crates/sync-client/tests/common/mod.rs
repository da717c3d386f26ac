//! A real server in-process on 127.0.0.1:0 over a fresh database of either kind, with a
//! province "45" and two communes, "26734" (Tân Hòa) and "26737" (Tân Lập), and real laptops
//! enrolled in them.
#![allow(dead_code)]

use std::sync::Mutex;

use jiff::SignedDuration;
use khuyenhoc_domain::MemberInput;
use khuyenhoc_domain::org::OrgUnitInput;
use khuyenhoc_server::admin::Admin;
use khuyenhoc_server::testing::TestDatabase;
use khuyenhoc_server::{RunningServer, ServerConfig, start};
use khuyenhoc_store::{OpenOptions, Store};
use khuyenhoc_sync_client::{Connection, ServerAddress, enroll};

pub struct World {
    pub db: TestDatabase,
    pub server: RunningServer,
    pub admin: Admin,
}

pub async fn world(db: TestDatabase) -> World {
    let server = start(ServerConfig::new(
        "127.0.0.1:0".parse().unwrap(),
        db.db().clone(),
    ))
    .await
    .unwrap();
    let admin = Admin::open_database(db.db()).await.unwrap();
    admin.add_unit("45", "Tỉnh Quảng Trị", None).await.unwrap();
    for (code, name) in [("26734", "Xã Tân Hòa"), ("26737", "Xã Tân Lập")] {
        admin.add_unit(code, name, Some("45")).await.unwrap();
    }
    World { db, server, admin }
}

impl World {
    pub fn address(&self) -> ServerAddress {
        ServerAddress::parse(&format!("http://{}", self.server.addr), false).unwrap()
    }

    /// A new laptop enrolled in the commune `code`; returns it and its connection.
    pub async fn laptop(&self, name: &str, code: &str) -> (Mutex<Store>, Connection) {
        let store = Store::open(
            self.db.dir().join(format!("{name}.db")),
            OpenOptions {
                author: name.into(),
                ..Default::default()
            },
        )
        .unwrap();
        let store = Mutex::new(store);
        let one_time = self
            .admin
            .create_code(code, SignedDuration::from_hours(1))
            .await
            .unwrap()
            .code;
        let answer = enroll(&store, self.address(), &one_time, name)
            .await
            .unwrap();
        let conn = Connection::new(self.address(), Some(answer.token)).unwrap();
        (store, conn)
    }
}

/// The members a laptop shows (rows that left its scope are hidden), sorted by name; each name
/// as often as it is held.
pub fn names(store: &Mutex<Store>) -> Vec<String> {
    let s = store.lock().unwrap();
    let mut stmt = s
        .connection()
        .prepare("SELECT full_name FROM members WHERE deleted = 0 ORDER BY full_name")
        .unwrap();
    stmt.query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

pub fn person(name: &str) -> MemberInput {
    MemberInput {
        full_name: name.into(),
        ..Default::default()
    }
}

/// A unit made on laptop `store` under `parent`, with an official code if given.
pub fn unit(
    store: &Mutex<Store>,
    parent: Option<&uuid::Uuid>,
    name: &str,
    kind: &str,
    code: Option<&str>,
) -> uuid::Uuid {
    store
        .lock()
        .unwrap()
        .create_unit(
            parent,
            &OrgUnitInput {
                name: name.into(),
                kind: kind.into(),
                org_code: code.map(str::to_owned),
                valid_from: None,
            },
        )
        .unwrap()
        .id
}

/// A member added on laptop `store` to `unit`.
pub fn add(store: &Mutex<Store>, unit: &uuid::Uuid, name: &str) -> uuid::Uuid {
    store
        .lock()
        .unwrap()
        .add_member(unit, &person(name))
        .unwrap()
        .id
}

/// The commune's register on laptop `store`: the commune unit, a branch, members.
pub fn register(store: &Mutex<Store>, members: &[&str]) -> (uuid::Uuid, Vec<uuid::Uuid>) {
    let commune = unit(store, None, "Hội Khuyến học xã Tân Hòa", "commune", None);
    let branch = unit(store, Some(&commune), "Chi hội Thôn 1", "branch", None);
    let ids = members.iter().map(|n| add(store, &branch, n)).collect();
    (branch, ids)
}
