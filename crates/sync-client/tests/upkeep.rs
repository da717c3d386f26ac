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
