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
use crate::lock::ProcessLock;
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
            connect: ConnectOptions { busy_timeout: Some(Duration::from_secs(10)), ..Default::default() },
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
    pub(crate) connect_options: ConnectOptions,
    _lock: ProcessLock,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.path).field("device_id", &self.device_id).finish()
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
    pub fn open_reporting(path: impl AsRef<Path>, opts: OpenOptions) -> Result<(Store, Option<MigrationReport>)> {
        let path = path.as_ref().to_path_buf();
        if !path.exists() {
            if !opts.create {
                return Err(StoreError::Missing);
            }
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir)?;
            }
        }
        let mut lock = ProcessLock::acquire(&path)?;
        let mut conn = connect(&path, &opts.connect)?;
        let (app_id, version, tables) = header(&conn)?;
        if app_id != APPLICATION_ID && (app_id != 0 || (version == 0 && tables > 0)) {
            return Err(StoreError::NotOurs);
        }
        if version > LATEST_SCHEMA {
            return Err(StoreError::NewerSchema { found: version, supported: LATEST_SCHEMA });
        }
        check_integrity(&conn)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        if let Some(max) = opts.max_page_count {
            conn.pragma_update(None, "max_page_count", max)?;
        }
        let mut report = None;
        if version < LATEST_SCHEMA {
            if !lock.is_exclusive() {
                return Err(StoreError::InUse { action: "migrate" });
            }
            let backup = if version > 0 {
                let stamp = jiff::Timestamp::now().strftime("%Y%m%d-%H%M%S");
                let copy = sibling(&path, &format!("before-schema-{LATEST_SCHEMA}-{stamp}.bak"));
                copy_database(&conn, &copy, &opts.connect)?;
                tracing::info!(from = version, to = LATEST_SCHEMA, "copied the database before migrating");
                Some(copy)
            } else {
                None
            };
            migrations().to_latest(&mut conn)?;
            conn.pragma_update(None, "application_id", APPLICATION_ID)?;
            report = Some(MigrationReport { from: version, to: LATEST_SCHEMA, backup });
        }
        let device_id = ensure_local_state(&conn)?;
        lock.downgrade()?;
        let store = Store {
            conn,
            path,
            device_id,
            author: opts.author,
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
        Ok(self.conn.query_row("PRAGMA user_version", [], |r| r.get(0))?)
    }

    /// Read access for reports and tests that need a query the store does not offer yet.
    pub fn connection(&self) -> &Connection {
        &self.conn
    }
}

/// `khuyenhoc.db` + `x` → `khuyenhoc.db.x` in the same folder.
pub(crate) fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(".");
    name.push(suffix);
    path.with_file_name(name)
}

fn ensure_local_state(conn: &Connection) -> Result<Uuid> {
    let existing: Option<String> =
        conn.query_row("SELECT device_id FROM local_state WHERE id = 1", [], |r| r.get(0)).ok();
    if let Some(id) = existing {
        return Uuid::parse_str(&id).map_err(|_| StoreError::Corrupt("bad device id".into()));
    }
    let id = Uuid::now_v7();
    conn.execute(
        "INSERT INTO local_state (id, device_id, next_seq, hlc_wall_ms, hlc_counter, created_at)
         VALUES (1, ?1, 1, 0, 0, ?2)",
        (id.to_string(), jiff::Timestamp::now().to_string()),
    )?;
    Ok(id)
}
