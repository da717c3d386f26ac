//! One sync per database at a time, whoever starts it: a second sync is refused at once,
//! before it touches the network or the outbox.

use std::sync::Mutex;

use khuyenhoc_store::{OpenOptions, Store};
use khuyenhoc_sync_client::{Connection, ServerAddress, sync_once};

#[tokio::test]
async fn a_sync_while_another_runs_is_refused_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("k.db");
    let store = Store::open(&path, OpenOptions::default()).unwrap();
    // The CLI's sync of the same file holds the turn.
    let other = Store::open(&path, OpenOptions::default()).unwrap();
    let turn = other.sync_turn().unwrap();
    // Nothing listens on port 9: reaching the network would fail differently.
    let address = ServerAddress::parse("http://127.0.0.1:9", false).unwrap();
    let connection = Connection::new(address, Some("token".into())).unwrap();
    let store = Mutex::new(store);
    let err = sync_once(&store, &connection).await.unwrap_err();
    assert_eq!(err.code(), "sync_running");
    let status = store.lock().unwrap().sync_status().unwrap();
    assert_eq!(
        status.last_error, None,
        "the running sync reports for itself"
    );
    drop(turn);
    let err = sync_once(&store, &connection).await.unwrap_err();
    assert_eq!(
        err.code(),
        "unreachable",
        "with the turn free, the sync goes out"
    );
    let status = store.lock().unwrap().sync_status().unwrap();
    assert!(status.last_error.is_some());
}

mod reuse {
    //! A laptop whose database file was put back from an old plain copy (the store cannot tell)
    //! sends sequences the server already holds: it takes a new identity, is told to enroll
    //! again, and after that nothing is lost and nothing is doubled. On the server over SQLite
    //! and again over PostgreSQL.

    use std::path::Path;
    use std::sync::Mutex;

    use jiff::SignedDuration;
    use khuyenhoc_domain::MemberInput;
    use khuyenhoc_domain::org::OrgUnitInput;
    use khuyenhoc_server::admin::Admin;
    use khuyenhoc_server::test_on_both_databases;
    use khuyenhoc_server::testing::TestDatabase;
    use khuyenhoc_server::{ServerConfig, start};
    use khuyenhoc_store::{OpenOptions, Store};
    use khuyenhoc_sync_client::{Connection, ServerAddress, enroll, sync_once};

    async fn enrolled(
        path: &Path,
        admin: &Admin,
        address: &ServerAddress,
    ) -> (Mutex<Store>, Connection) {
        let store = Mutex::new(Store::open(path, OpenOptions::default()).unwrap());
        let code = admin
            .create_code("26734", SignedDuration::from_hours(1))
            .await
            .unwrap()
            .code;
        let answer = enroll(&store, address.clone(), &code, "Máy xã")
            .await
            .unwrap();
        (
            store,
            Connection::new(address.clone(), Some(answer.token)).unwrap(),
        )
    }

    fn connection_of(store: &Mutex<Store>, address: &ServerAddress) -> Connection {
        let token = store.lock().unwrap().enrollment().unwrap().unwrap().token;
        Connection::new(address.clone(), Some(token)).unwrap()
    }

    fn add(store: &Mutex<Store>, branch: &uuid::Uuid, name: &str) {
        let input = MemberInput {
            full_name: name.into(),
            ..Default::default()
        };
        store.lock().unwrap().add_member(branch, &input).unwrap();
    }

    fn names(store: &Mutex<Store>) -> Vec<String> {
        let s = store.lock().unwrap();
        let mut stmt = s
            .connection()
            .prepare("SELECT full_name FROM members ORDER BY full_name")
            .unwrap();
        stmt.query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    }

    async fn a_file_put_back_from_an_old_copy_takes_a_new_identity_and_loses_nothing(
        db: TestDatabase,
    ) {
        let dir = db.dir();
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
        let address = ServerAddress::parse(&format!("http://{}", server.addr), false).unwrap();

        let path = dir.join("a.db");
        let (store, conn) = enrolled(&path, &admin, &address).await;
        let branch = store
            .lock()
            .unwrap()
            .create_unit(
                None,
                &OrgUnitInput {
                    name: "Hội Khuyến học xã Tân Hòa".into(),
                    kind: "commune".into(),
                    org_code: None,
                    valid_from: None,
                },
            )
            .unwrap()
            .id;
        add(&store, &branch, "Đỗ Thị Hoa");
        sync_once(&store, &conn).await.unwrap();
        drop(store); // checkpoints the WAL into the file
        let old = dir.join("old-copy.db");
        std::fs::copy(&path, &old).unwrap();

        let store = Mutex::new(Store::open(&path, OpenOptions::default()).unwrap());
        add(&store, &branch, "Lê Văn Nam");
        sync_once(&store, &conn).await.unwrap();
        drop(store);
        // Put back by hand, as a file manager would: the store cannot tell.
        std::fs::copy(&old, &path).unwrap();
        let store = Mutex::new(Store::open(&path, OpenOptions::default()).unwrap());
        let old_device = store.lock().unwrap().device_id();
        add(&store, &branch, "Phan Văn Tú");

        let err = sync_once(&store, &conn).await.unwrap_err();
        assert_eq!(err.code(), "enroll_again");
        {
            let s = store.lock().unwrap();
            assert_ne!(s.device_id(), old_device, "a new identity");
            assert!(
                s.enrollment().unwrap().is_none(),
                "the old token is dropped"
            );
            let pending = s.pending_ops(10).unwrap();
            assert_eq!(pending.len(), 1, "the unsent member is kept");
            assert_eq!(
                pending[0].device_seq, 1,
                "renumbered under the new identity"
            );
            let status = s.sync_status().unwrap();
            assert!(status.last_error.unwrap().contains("đăng ký lại"));
        }

        // Enrolled again: the kept change goes, and the member the copy lacked comes back.
        let code = admin
            .create_code("26734", SignedDuration::from_hours(1))
            .await
            .unwrap()
            .code;
        enroll(&store, address.clone(), &code, "Máy xã")
            .await
            .unwrap();
        let conn = connection_of(&store, &address);
        sync_once(&store, &conn).await.unwrap();
        assert_eq!(names(&store), ["Lê Văn Nam", "Phan Văn Tú", "Đỗ Thị Hoa"]);

        // Another laptop of the commune gets each member exactly once.
        let (other, other_conn) = enrolled(&dir.join("b.db"), &admin, &address).await;
        sync_once(&other, &other_conn).await.unwrap();
        assert_eq!(names(&other), names(&store));
    }

    test_on_both_databases!(
        a_file_put_back_from_an_old_copy_takes_a_new_identity_and_loses_nothing
    );
}
