//! Opening a store: lock, header checks (a newer schema is refused untouched), integrity check,
//! pragmas (WAL, `synchronous=FULL`, foreign keys), a copy of the file before any migration,
//! then the migrations and this device's identity.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::Connection;
use uuid::Uuid;

use crate::backup::copy_database;
use crate::connection::{APPLICATION_ID, ConnectOptions, check_integrity, connect, header};
use crate::error::{Result, StoreError};
use crate::lock::{MigrationTurn, ProcessLock};
use crate::migrations::{LATEST_SCHEMA, migrations};

/// How to open a store.
#[derive(Debug, Clone)]
pub struct OpenOptions {
    /// Create the file when it does not exist.
    pub create: bool,
    /// Who is making the changes (recorded on every op).
    pub author: String,
    pub connect: ConnectOptions,
    /// Caps the file size in pages (tests use it to simulate a full disk).
    pub max_page_count: Option<u32>,
}

impl Default for OpenOptions {
    fn default() -> Self {
        OpenOptions {
            create: true,
            author: "local".into(),
            connect: ConnectOptions {
                busy_timeout: Some(Duration::from_secs(10)),
                ..Default::default()
            },
            max_page_count: None,
        }
    }
}

/// The local store: one SQLite file.
pub struct Store {
    pub(crate) conn: Connection,
    pub(crate) path: PathBuf,
    pub(crate) device_id: Uuid,
    pub(crate) author: String,
    /// The officer logged in through [`Store::login`], if any.
    pub(crate) officer: Option<crate::officers::Officer>,
    pub(crate) connect_options: ConnectOptions,
    _lock: ProcessLock,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("path", &self.path)
            .field("device_id", &self.device_id)
            .finish()
    }
}

/// What a migration left behind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationReport {
    pub from: i64,
    pub to: i64,
    /// The copy of the file taken before migrating (none for a new file).
    pub backup: Option<PathBuf>,
}

impl Store {
    pub fn open(path: impl AsRef<Path>, opts: OpenOptions) -> Result<Store> {
        Self::open_reporting(path, opts).map(|(s, _)| s)
    }

    /// Opens the store and says whether it was migrated.
    pub fn open_reporting(
        path: impl AsRef<Path>,
        opts: OpenOptions,
    ) -> Result<(Store, Option<MigrationReport>)> {
        let path = path.as_ref().to_path_buf();
        if !path.exists() {
            if !opts.create {
                return Err(StoreError::Missing);
            }
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir)?;
            }
        }
        let wait = opts.connect.busy_timeout.unwrap_or(Duration::from_secs(10));
        let mut lock = ProcessLock::shared(&path, wait)?;
        let mut conn = connect(&path, &opts.connect)?;
        let (app_id, version, tables) = header(&conn)?;
        // A new file has neither an application id nor a schema; ours has both. Anything else
        // is another program's database.
        if app_id != APPLICATION_ID && (app_id != 0 || version > 0 || tables > 0) {
            return Err(StoreError::NotOurs);
        }
        if version > LATEST_SCHEMA {
            return Err(StoreError::NewerSchema {
                found: version,
                supported: LATEST_SCHEMA,
            });
        }
        check_integrity(&conn)?;
        enable_wal(&conn, wait)?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        // 64 MiB of page cache at most (the default is 2 MiB): a 100,000-member import touches several
        // indexes at once and would otherwise spill pages to the WAL mid-transaction.
        conn.pragma_update(None, "cache_size", -65_536)?;
        conn.pragma_update(None, "temp_store", "MEMORY")?;
        if let Some(max) = opts.max_page_count {
            conn.pragma_update(None, "max_page_count", max)?;
        }
        let mut report = None;
        if version < LATEST_SCHEMA {
            // Queue for the one migration turn (processes starting together on a new file all
            // get here), then look again: the process before us may have migrated already.
            lock.release()?;
            let turn = MigrationTurn::wait(&path, wait)?;
            lock.reacquire(wait)?;
            let (_, now, _) = header(&conn)?;
            if now < LATEST_SCHEMA {
                // Processes that are still opening hold the shared lock for a moment before
                // they queue behind us; one that keeps the file open makes us give up.
                let start = std::time::Instant::now();
                let mut pause = Duration::from_millis(2);
                while !lock.try_upgrade(wait)? {
                    if start.elapsed() >= wait {
                        return Err(StoreError::InUse { action: "migrate" });
                    }
                    std::thread::sleep(pause);
                    pause = (pause * 2).min(Duration::from_millis(100));
                }
                report = Some(migrate(&mut conn, &path, now, &opts.connect)?);
                lock.downgrade()?;
            }
            drop(turn);
        }
        let device_id = ensure_local_state(&mut conn)?;
        let store = Store {
            conn,
            path,
            device_id,
            author: opts.author,
            officer: None,
            connect_options: opts.connect,
            _lock: lock,
        };
        Ok((store, report))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn device_id(&self) -> Uuid {
        self.device_id
    }

    pub fn author(&self) -> &str {
        &self.author
    }

    /// Changes who the following writes are recorded as.
    pub fn set_author(&mut self, author: impl Into<String>) {
        self.author = author.into();
    }

    /// The schema number of the open file.
    pub fn schema_version(&self) -> Result<i64> {
        Ok(self
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))?)
    }

    /// Read access for reports and tests that need a query the store does not offer yet.
    pub fn connection(&self) -> &Connection {
        &self.conn
    }
}

/// Copies the file aside (unless it is new), then runs the migrations. Needs the exclusive lock.
fn migrate(
    conn: &mut Connection,
    path: &Path,
    version: i64,
    connect: &ConnectOptions,
) -> Result<MigrationReport> {
    let backup = if version > 0 {
        let stamp = jiff::Timestamp::now().strftime("%Y%m%d-%H%M%S");
        let copy = sibling(path, &format!("before-schema-{LATEST_SCHEMA}-{stamp}.bak"));
        copy_database(conn, &copy, connect)?;
        tracing::info!(
            from = version,
            to = LATEST_SCHEMA,
            "copied the database before migrating"
        );
        Some(copy)
    } else {
        None
    };
    // Foreign keys are off while the schema changes, as SQLite asks for a table rebuilt in
    // place; a step that rebuilds one runs `PRAGMA foreign_key_check` before it commits.
    conn.pragma_update(None, "foreign_keys", "OFF")?;
    let migrated = migrations().to_latest(conn);
    conn.pragma_update(None, "foreign_keys", "ON")?;
    migrated?;
    Ok(MigrationReport {
        from: version,
        to: LATEST_SCHEMA,
        backup,
    })
}

/// Puts the file in WAL mode (it stays so). SQLite answers `busy` at once, without waiting on
/// the busy timeout, when several processes switch a new file together, so the switch is retried
/// here until `wait` runs out.
fn enable_wal(conn: &Connection, wait: Duration) -> Result<()> {
    let start = std::time::Instant::now();
    let mut pause = Duration::from_millis(2);
    loop {
        let mode =
            conn.pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get::<_, String>(0));
        match mode {
            Ok(mode) if mode.eq_ignore_ascii_case("wal") => return Ok(()),
            Ok(mode) => {
                return Err(StoreError::Corrupt(format!(
                    "the database stays in journal mode {mode}"
                )));
            }
            Err(e)
                if e.sqlite_error_code() == Some(rusqlite::ErrorCode::DatabaseBusy)
                    && start.elapsed() < wait =>
            {
                tracing::debug!("switching to WAL: busy, trying again");
                std::thread::sleep(pause);
                pause = (pause * 2).min(Duration::from_millis(100));
            }
            Err(e) => return Err(e.into()),
        }
    }
}

/// `khuyenhoc.db` + `x` → `khuyenhoc.db.x` in the same folder.
pub(crate) fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    name.push(".");
    name.push(suffix);
    path.with_file_name(name)
}

fn ensure_local_state(conn: &mut Connection) -> Result<Uuid> {
    // Two processes may open a new file at once: the first insert wins, both read it back.
    conn.execute(
        "INSERT OR IGNORE INTO local_state (id, device_id, next_seq, hlc_wall_ms, hlc_counter, created_at)
         VALUES (1, ?1, 1, 0, 0, ?2)",
        (Uuid::now_v7().to_string(), jiff::Timestamp::now().to_string()),
    )?;
    let (id, copied): (String, bool) = conn.query_row(
        "SELECT device_id, needs_new_identity FROM local_state WHERE id = 1",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    if copied {
        return take_new_identity(conn);
    }
    Uuid::parse_str(&id).map_err(|_| StoreError::Corrupt("bad device id".into()))
}

/// This file is a copy (a restored backup, or a backup opened on another laptop): it gets a new
/// device id, and its unsent ops move to the new identity, renumbered from 1 in their order.
/// Their op ids stay, so the server can tell them from ops the original laptop may also send.
pub(crate) fn take_new_identity(conn: &mut Connection) -> Result<Uuid> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let (current, copied): (String, bool) = tx.query_row(
        "SELECT device_id, needs_new_identity FROM local_state WHERE id = 1",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    if !copied {
        // Another process opening the same copy took the new identity first.
        return Uuid::parse_str(&current).map_err(|_| StoreError::Corrupt("bad device id".into()));
    }
    let id = Uuid::now_v7();
    let pending: Vec<i64> = {
        let mut stmt = tx.prepare("SELECT seq FROM outbox WHERE acked = 0 ORDER BY device_seq")?;
        stmt.query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?
    };
    {
        let mut renumber =
            tx.prepare("UPDATE outbox SET device_id = ?1, device_seq = ?2 WHERE seq = ?3")?;
        for (i, op) in pending.iter().enumerate() {
            renumber.execute(rusqlite::params![id.to_string(), i as i64 + 1, op])?;
        }
    }
    tx.execute(
        "UPDATE local_state SET device_id = ?1, next_seq = ?2, needs_new_identity = 0 WHERE id = 1",
        rusqlite::params![id.to_string(), pending.len() as i64 + 1],
    )?;
    // The token and key belong to the device this file was copied from: the copy enrolls anew.
    tx.execute(
        "UPDATE sync_state SET device_token = NULL, signing_key = NULL WHERE id = 1",
        [],
    )?;
    tx.commit()?;
    tracing::info!(
        pending = pending.len(),
        "a copied database took a new device identity"
    );
    Ok(id)
}
