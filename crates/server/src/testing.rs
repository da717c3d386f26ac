//! Test support, used by this crate's tests, the sync client's and the end-to-end tests: a
//! fresh, empty server database of either kind for one test, read straight with the same SQL
//! on both ([`TestDatabase::scalar`], [`TestDatabase::text_rows`],
//! [`TestDatabase::footprint`]), and [`crate::test_on_both_databases!`], which runs a test once
//! on SQLite and once on PostgreSQL.
//!
//! SQLite: a file in a temporary folder. PostgreSQL: a new database `t_<uuid>` created through
//! the admin URL in `KHUYENHOC_TEST_POSTGRES` (e.g. `postgres:///postgres?host=/tmp/pg&user=postgres`;
//! `scripts/test` starts a throwaway cluster and sets it), dropped when the test ends. Without
//! that variable the PostgreSQL variant fails when `CI` is set (it must never pass unseen in
//! CI) and is skipped with a note otherwise.

use std::path::PathBuf;

use tokio_postgres::NoTls;
use uuid::Uuid;

use crate::config::Database;

/// The environment variable holding the admin URL of the tests' PostgreSQL.
pub const POSTGRES_ENV: &str = "KHUYENHOC_TEST_POSTGRES";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A fresh server database for one test; removed when dropped.
pub struct TestDatabase {
    db: Database,
    dir: tempfile::TempDir,
    postgres: Option<Dropper>,
}

/// Drops a test's PostgreSQL database when the test ends.
struct Dropper {
    admin_url: String,
    name: String,
}

impl Drop for Dropper {
    fn drop(&mut self) {
        let admin_url = self.admin_url.clone();
        let sql = format!("DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)", self.name);
        // Best effort, on a thread of its own: Drop cannot await, and may run inside a runtime.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            rt.block_on(async {
                let (client, conn) = tokio_postgres::connect(&admin_url, NoTls).await.ok()?;
                let task = tokio::spawn(conn);
                let _ = client.batch_execute(&sql).await;
                drop(client);
                let _ = task.await;
                Some(())
            })
        })
        .join();
    }
}

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "0" && v != "false")
}

/// `url` with its database name replaced by `name`.
pub fn with_database_name(url: &str, name: &str) -> String {
    let rest = url.find("://").map_or(0, |i| i + 3);
    let path = url[rest..].find(['/', '?']).map_or(url.len(), |i| rest + i);
    let query = url[path..].find('?').map_or(url.len(), |i| path + i);
    format!("{}/{name}{}", &url[..path], &url[query..])
}

impl TestDatabase {
    /// A new empty database of `backend`; `None` when PostgreSQL is not configured and this is
    /// not CI (the caller skips the test).
    ///
    /// # Panics
    /// When PostgreSQL is asked for in CI without `KHUYENHOC_TEST_POSTGRES`, or cannot be
    /// reached.
    pub async fn new(backend: Backend) -> Option<Self> {
        let dir = tempfile::tempdir().expect("a temporary folder");
        match backend {
            Backend::Sqlite => Some(Self {
                db: Database::Sqlite(dir.path().join("server.db")),
                dir,
                postgres: None,
            }),
            Backend::Postgres => {
                let admin_url = match std::env::var(POSTGRES_ENV) {
                    Ok(url) if !url.trim().is_empty() => url,
                    _ if in_ci() => panic!(
                        "{POSTGRES_ENV} is not set, and CI is: the PostgreSQL variant of this \
                         test must run in CI. Run scripts/test (it starts a throwaway \
                         PostgreSQL), or set {POSTGRES_ENV}=postgres://… (an admin connection)."
                    ),
                    _ => {
                        eprintln!(
                            "note: {POSTGRES_ENV} is not set: the PostgreSQL variant is skipped \
                             (scripts/test starts a throwaway PostgreSQL)"
                        );
                        return None;
                    }
                };
                let name = format!("t_{}", Uuid::now_v7().simple());
                let session = PgSession::open(&admin_url).await;
                session
                    .client
                    .batch_execute(&format!("CREATE DATABASE \"{name}\""))
                    .await
                    .unwrap_or_else(|e| panic!("cannot create the test database {name}: {e}"));
                session.close().await;
                Some(Self {
                    db: Database::Postgres(with_database_name(&admin_url, &name)),
                    dir,
                    postgres: Some(Dropper { admin_url, name }),
                })
            }
        }
    }

    pub fn backend(&self) -> Backend {
        match self.db {
            Database::Sqlite(_) => Backend::Sqlite,
            Database::Postgres(_) => Backend::Postgres,
        }
    }

    /// The database, as [`crate::ServerConfig::new`] takes it.
    pub fn db(&self) -> &Database {
        &self.db
    }

    /// The database as `--db` takes it: the file path or the URL (with any password).
    pub fn arg(&self) -> String {
        match &self.db {
            Database::Sqlite(path) => path.display().to_string(),
            Database::Postgres(url) => url.clone(),
        }
    }

    /// A temporary folder that lives as long as the database (for the test's other files).
    pub fn dir(&self) -> PathBuf {
        self.dir.path().to_path_buf()
    }

    /// The one number a query such as `SELECT count(*) FROM devices` answers, read straight
    /// from the database (not through the server).
    pub async fn scalar(&self, sql: &str) -> i64 {
        match &self.db {
            Database::Sqlite(path) => open_sqlite(path)
                .query_row(sql, [], |r| r.get(0))
                .expect(sql),
            Database::Postgres(url) => {
                let session = PgSession::open(url).await;
                let v: i64 = session.client.query_one(sql, &[]).await.expect(sql).get(0);
                session.close().await;
                v
            }
        }
    }

    /// Every row a query answers, each column as text, read straight from the database (not
    /// through the server): what the end-to-end checks read of the server's tables, with the
    /// same SQL on both databases. Every column must be non-null text (cast it otherwise: a
    /// JSON member as `lost ->> 'version'`, which both databases understand).
    pub async fn text_rows(&self, sql: &str) -> Vec<Vec<String>> {
        match &self.db {
            Database::Sqlite(path) => {
                let c = open_sqlite(path);
                let mut stmt = c.prepare(sql).expect(sql);
                let columns = stmt.column_count();
                stmt.query_map([], |r| (0..columns).map(|i| r.get(i)).collect())
                    .expect(sql)
                    .collect::<Result<_, _>>()
                    .expect(sql)
            }
            Database::Postgres(url) => {
                let session = PgSession::open(url).await;
                let rows = session.client.query(sql, &[]).await.expect(sql);
                session.close().await;
                rows.iter()
                    .map(|r| (0..r.len()).map(|i| r.get(i)).collect())
                    .collect()
            }
        }
    }

    /// Runs one statement straight on the database (not through the server), e.g. to make a
    /// device's last pull look months old.
    pub async fn execute(&self, sql: &str) {
        match &self.db {
            Database::Sqlite(path) => {
                let c = rusqlite::Connection::open(path).expect("open the test database");
                c.busy_timeout(std::time::Duration::from_secs(10))
                    .expect("busy timeout");
                c.execute_batch(sql).expect(sql);
            }
            Database::Postgres(url) => {
                let (client, conn) = tokio_postgres::connect(url, NoTls)
                    .await
                    .expect("connect to the test database");
                let task = tokio::spawn(conn);
                client.batch_execute(sql).await.expect(sql);
                drop(client);
                let _ = task.await;
            }
        }
    }

    /// Makes the last pull of `device` look `days` days older than it was.
    pub async fn age_last_pull(&self, device: Uuid, days: i64) {
        let sql = match self.backend() {
            Backend::Sqlite => format!(
                "UPDATE device_pulls SET pulled_at = pulled_at - {days} * 86400000
                 WHERE device_id = '{device}'"
            ),
            Backend::Postgres => format!(
                "UPDATE device_pulls SET pulled_at = pulled_at - interval '{days} days'
                 WHERE device_id = '{device}'"
            ),
        };
        self.execute(&sql).await;
    }

    /// Makes the last use of `device`'s token look `days` days older than it was (the server
    /// writes it down at most once an hour, see [`crate::token_life`]).
    pub async fn age_token_use(&self, device: Uuid, days: i64) {
        let sql = match self.backend() {
            Backend::Sqlite => format!(
                "UPDATE devices SET token_used_at = token_used_at - {days} * 86400000
                 WHERE id = '{device}'"
            ),
            Backend::Postgres => format!(
                "UPDATE devices SET token_used_at = token_used_at - interval '{days} days'
                 WHERE id = '{device}'"
            ),
        };
        self.execute(&sql).await;
    }

    /// What a refused request must leave as it was, read straight from the database: see
    /// [`SyncFootprint`].
    pub async fn footprint(&self) -> SyncFootprint {
        SyncFootprint {
            ops_received: self.scalar("SELECT count(*) FROM ops_received").await,
            sync_rows: self.scalar("SELECT count(*) FROM sync_rows").await,
            changes: self.scalar("SELECT count(*) FROM changes").await,
            conflicts: self.scalar("SELECT count(*) FROM conflicts").await,
            devices: self
                .text_rows(
                    "SELECT CAST(d.id AS TEXT), CAST(d.token_used_at AS TEXT),
                            coalesce(CAST(p.pull_cursor AS TEXT), '-'),
                            coalesce(CAST(p.pulled_at AS TEXT), '-')
                     FROM devices d LEFT JOIN device_pulls p ON p.device_id = d.id
                     ORDER BY 1",
                )
                .await,
        }
    }

    /// Everything the database holds, as bytes to search for secrets that must not be there:
    /// the SQLite file and its WAL, or every PostgreSQL table as text (`bytea` in hex).
    pub async fn dump(&self) -> Vec<u8> {
        match &self.db {
            Database::Sqlite(path) => {
                let mut bytes = std::fs::read(path).expect("read the test database");
                bytes.extend(std::fs::read(path.with_extension("db-wal")).unwrap_or_default());
                bytes
            }
            Database::Postgres(url) => {
                let session = PgSession::open(url).await;
                let client = &session.client;
                let mut out = Vec::new();
                let tables = client
                    .query(
                        "SELECT tablename::text FROM pg_tables WHERE schemaname = current_schema()",
                        &[],
                    )
                    .await
                    .expect("list the tables");
                for t in tables {
                    let name: String = t.get(0);
                    let text: String = client
                        .query_one(
                            &format!(
                                "SELECT coalesce(string_agg(t::text, E'\\n'), '') FROM \"{name}\" t"
                            ),
                            &[],
                        )
                        .await
                        .expect("read a table")
                        .get(0);
                    out.extend(text.into_bytes());
                }
                session.close().await;
                out
            }
        }
    }

    /// A copy of the database as it is now, as a backup would hold it. Stop every server and
    /// drop every [`crate::admin::Admin`] of it first.
    pub async fn backup(&self) -> Snapshot {
        match &self.db {
            Database::Sqlite(path) => {
                let copy = self
                    .dir
                    .path()
                    .join(format!("backup-{}.db", Uuid::now_v7()));
                open_sqlite(path)
                    .execute_batch("PRAGMA wal_checkpoint(TRUNCATE)")
                    .expect("checkpoint");
                std::fs::copy(path, &copy).expect("copy the database");
                Snapshot(copy.display().to_string())
            }
            Database::Postgres(_) => {
                let name = format!("b_{}", Uuid::now_v7().simple());
                let source = &self.postgres.as_ref().expect("a PostgreSQL test").name;
                self.admin_sql(&format!("CREATE DATABASE \"{name}\" TEMPLATE \"{source}\""))
                    .await;
                Snapshot(name)
            }
        }
    }

    /// Puts `snapshot` back in place of the database (servers stopped, as for [`Self::backup`]).
    pub async fn restore(&self, snapshot: &Snapshot) {
        match &self.db {
            Database::Sqlite(path) => {
                for suffix in ["-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
                }
                std::fs::copy(&snapshot.0, path).expect("put the backup back");
            }
            Database::Postgres(_) => {
                let name = &self.postgres.as_ref().expect("a PostgreSQL test").name;
                self.admin_sql(&format!("DROP DATABASE \"{name}\" WITH (FORCE)"))
                    .await;
                self.admin_sql(&format!(
                    "CREATE DATABASE \"{name}\" TEMPLATE \"{}\"",
                    snapshot.0
                ))
                .await;
            }
        }
    }

    async fn admin_sql(&self, sql: &str) {
        let dropper = self.postgres.as_ref().expect("a PostgreSQL test");
        let session = PgSession::open(&dropper.admin_url).await;
        session.client.batch_execute(sql).await.expect(sql);
        session.close().await;
    }

    /// Drops the PostgreSQL database now (it is dropped at the end of the test anyway).
    pub fn close(mut self) {
        self.postgres.take();
    }
}

fn open_sqlite(path: &std::path::Path) -> rusqlite::Connection {
    rusqlite::Connection::open(path).expect("open the test database")
}

/// One connection to the tests' PostgreSQL (a test's database, or the admin URL), with the
/// task that drives it.
struct PgSession {
    client: tokio_postgres::Client,
    task: tokio::task::JoinHandle<Result<(), tokio_postgres::Error>>,
}

impl PgSession {
    async fn open(url: &str) -> Self {
        let (client, conn) = tokio_postgres::connect(url, NoTls)
            .await
            .unwrap_or_else(|e| {
                panic!(
                    "cannot connect to the tests' PostgreSQL ({}): {e}",
                    crate::config::redact_url(url)
                )
            });
        Self {
            client,
            task: tokio::spawn(conn),
        }
    }

    /// Closes the connection and waits until it is closed.
    async fn close(self) {
        drop(self.client);
        let _ = self.task.await;
    }
}

/// The sync state of a server database that a refused request must not change: the ops it
/// received, the rows it holds, the changes it logged and the conflicts it kept (counts), and
/// each device's token use and pull progress (id, token last used, pull cursor, pulled at; `-`
/// for a device that never pulled).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncFootprint {
    pub ops_received: i64,
    pub sync_rows: i64,
    pub changes: i64,
    pub conflicts: i64,
    pub devices: Vec<Vec<String>>,
}

/// A copy made by [`TestDatabase::backup`]: a file path, or a PostgreSQL database's name
/// (left behind for the cluster's removal at the end of the run).
#[derive(Debug, Clone)]
pub struct Snapshot(String);

/// Runs each named `async fn name(db: TestDatabase)` twice, as the tests `name::sqlite` and
/// `name::postgres`, each on a fresh database. With `before: setup;` first, each variant calls
/// `fn setup()` of the same module before anything else (before its database is made): the
/// place to set the environment once (under a `Once`) while no other thread reads it.
#[macro_export]
macro_rules! test_on_both_databases {
    (@tests $before:block $($name:ident),+) => {
        $(
            mod $name {
                #[::tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    $before
                    let db = $crate::testing::TestDatabase::new($crate::testing::Backend::Sqlite)
                        .await
                        .expect("a SQLite test database");
                    super::$name(db).await;
                }

                #[::tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    $before
                    if let Some(db) =
                        $crate::testing::TestDatabase::new($crate::testing::Backend::Postgres).await
                    {
                        super::$name(db).await;
                    }
                }
            }
        )+
    };
    (before: $before:ident; $($name:ident),+ $(,)?) => {
        $crate::test_on_both_databases!(@tests { super::$before(); } $($name),+);
    };
    ($($name:ident),+ $(,)?) => {
        $crate::test_on_both_databases!(@tests {} $($name),+);
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_database_name_is_replaced() {
        assert_eq!(
            with_database_name("postgres:///postgres?host=/tmp/pg&user=postgres", "t_1"),
            "postgres:///t_1?host=/tmp/pg&user=postgres"
        );
        assert_eq!(
            with_database_name("postgres://u:p@localhost:5433/k", "t_1"),
            "postgres://u:p@localhost:5433/t_1"
        );
        assert_eq!(
            with_database_name("postgresql://localhost", "t_1"),
            "postgresql://localhost/t_1"
        );
    }
}
