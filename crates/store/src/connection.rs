//! The one place a SQLite connection is opened. It takes an optional key so that a later
//! SQLCipher build can encrypt the database at rest without changing any caller.

use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

use crate::error::{Result, StoreError};

/// `PRAGMA application_id` of a khuyenhoc database ("KHHO").
pub const APPLICATION_ID: i32 = 0x4B48_484F;

/// How a connection is opened.
#[derive(Clone, Default)]
pub struct ConnectOptions {
    /// The encryption key, for a SQLCipher build.
    pub key: Option<String>,
    pub read_only: bool,
    pub busy_timeout: Option<Duration>,
}

impl std::fmt::Debug for ConnectOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnectOptions")
            .field("key", &self.key.as_ref().map(|_| "<hidden>"))
            .field("read_only", &self.read_only)
            .finish()
    }
}

pub fn connect(path: &Path, opts: &ConnectOptions) -> Result<Connection> {
    let flags = if opts.read_only {
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX
    } else {
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX
    };
    let conn = Connection::open_with_flags(path, flags)?;
    if let Some(key) = &opts.key {
        // SQLCipher answers `PRAGMA cipher_version`; plain SQLite does not know it.
        let cipher: Option<String> = conn
            .query_row("PRAGMA cipher_version", [], |r| r.get(0))
            .ok();
        if cipher.is_none() {
            return Err(StoreError::EncryptionUnavailable);
        }
        conn.pragma_update(None, "key", key)?;
    }
    conn.busy_timeout(opts.busy_timeout.unwrap_or(Duration::from_secs(10)))?;
    Ok(conn)
}

/// The header facts of a database: its application id and schema number. Reading them is the
/// first read, so a file that is not a database is found here.
pub fn header(conn: &Connection) -> Result<(i32, i64, i64)> {
    let app: i32 = conn.query_row("PRAGMA application_id", [], |r| r.get(0))?;
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    let tables: i64 = conn.query_row("SELECT count(*) FROM sqlite_schema", [], |r| r.get(0))?;
    Ok((app, version, tables))
}

/// Runs SQLite's quick integrity check; anything but "ok" is reported as damage.
pub fn check_integrity(conn: &Connection) -> Result<()> {
    let mut stmt = conn.prepare("PRAGMA quick_check")?;
    let rows: Vec<String> = stmt
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    if rows.len() == 1 && rows[0] == "ok" {
        Ok(())
    } else {
        Err(StoreError::Corrupt(rows.join("; ")))
    }
}
