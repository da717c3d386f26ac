//! What only PostgreSQL has: servers starting together on an empty database, a database that is
//! not the server's, and one migrated by a newer server.

mod common;

use common::*;
use khuyenhoc_server::storage::ServerStorage;
use khuyenhoc_server::storage::StorageError;
use khuyenhoc_server::storage::postgres::{LATEST_SCHEMA, PostgresStorage};

async fn postgres() -> Option<TestDatabase> {
    TestDatabase::new(Backend::Postgres).await
}

async fn execute(db: &TestDatabase, sql: &str) {
    let (client, conn) = tokio_postgres::connect(&db.arg(), tokio_postgres::NoTls)
        .await
        .unwrap();
    let task = tokio::spawn(conn);
    client.batch_execute(sql).await.unwrap();
    drop(client);
    task.await.unwrap().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn servers_starting_together_migrate_once_and_share_one_epoch() {
    let Some(db) = postgres().await else { return };
    let url = db.arg();
    let opens: Vec<_> = (0..4)
        .map(|_| {
            let url = url.clone();
            tokio::spawn(async move { PostgresStorage::open(&url).await.unwrap().epoch() })
        })
        .collect();
    let mut epochs = Vec::new();
    for o in opens {
        epochs.push(o.await.unwrap());
    }
    epochs.dedup();
    assert_eq!(epochs.len(), 1, "{epochs:?}");
    assert_eq!(
        db.scalar("SELECT count(*) FROM khuyenhoc_schema").await,
        LATEST_SCHEMA
    );
}

#[tokio::test]
async fn a_database_of_another_program_is_refused_untouched() {
    let Some(db) = postgres().await else { return };
    execute(&db, "CREATE TABLE invoices (id bigint)").await;
    let err = PostgresStorage::open(&db.arg()).await.unwrap_err();
    assert!(matches!(err, StorageError::NotServerDatabase(_)), "{err:?}");
    assert_eq!(
        db.scalar("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
            .await,
        1
    );
}

#[tokio::test]
async fn a_database_from_a_newer_server_is_refused_untouched() {
    let Some(db) = postgres().await else { return };
    PostgresStorage::open(&db.arg()).await.unwrap();
    execute(
        &db,
        &format!(
            "INSERT INTO khuyenhoc_schema (version, name) VALUES ({}, 'future')",
            LATEST_SCHEMA + 1
        ),
    )
    .await;
    let err = PostgresStorage::open(&db.arg()).await.unwrap_err();
    assert!(
        matches!(err, StorageError::TooNew { found, known } if found == LATEST_SCHEMA + 1 && known == LATEST_SCHEMA),
        "{err:?}"
    );
    assert_eq!(
        db.scalar("SELECT max(version) FROM khuyenhoc_schema").await,
        LATEST_SCHEMA + 1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_that_went_away_is_503_database_unavailable() {
    let Some(db) = postgres().await else { return };
    let s = start_server(db).await;
    let code = s.commune_and_code().await;
    let body: serde_json::Value = s
        .enroll(&enroll_body(&code, uuid::Uuid::now_v7()))
        .await
        .json()
        .await
        .unwrap();
    let token = body["token"].as_str().unwrap().to_owned();
    assert_eq!(s.whoami(&token).await.status(), 200);

    // The database is dropped under the running server (its connections cut).
    let admin_url = std::env::var(khuyenhoc_server::testing::POSTGRES_ENV).unwrap();
    let name = s.db.arg();
    let name = name.split(['/', '?']).nth(3).unwrap().to_owned();
    let (client, conn) = tokio_postgres::connect(&admin_url, tokio_postgres::NoTls)
        .await
        .unwrap();
    let task = tokio::spawn(conn);
    client
        .batch_execute(&format!("DROP DATABASE \"{name}\" WITH (FORCE)"))
        .await
        .unwrap();
    drop(client);
    task.await.unwrap().unwrap();

    let resp = s.whoami(&token).await;
    assert_error(resp, 503, "database_unavailable").await;
    // The server itself still answers.
    let health = s.client.get(s.url("/health")).send().await.unwrap();
    assert_eq!(health.status(), 200);
}
