//! Backup and restore with SQLite's online backup API. A backup is written to a temporary
//! file and renamed into place, so a cut-off backup never looks complete. A restore first
//! verifies the backup (a khuyenhoc database, not newer than this build, intact), refuses
//! while another process has the database open, and keeps a copy of what it replaces.

use std::path::{Path, PathBuf};

use rusqlite::Connection;
use rusqlite::backup::{Backup, StepResult};
use serde::Serialize;

use crate::connection::{APPLICATION_ID, ConnectOptions, connect, header};
use crate::error::{Result, StoreError};
use crate::lock::ProcessLock;
use crate::migrations::LATEST_SCHEMA;
use crate::open::{Store, sibling};

/// Copies the whole database behind `src` into a new file at `dest`.
pub(crate) fn copy_database(src: &Connection, dest: &Path, opts: &ConnectOptions) -> Result<()> {
    let tmp = dest.with_extension("partial");
    let _ = std::fs::remove_file(&tmp);
    let written = (|| -> Result<()> {
        let mut dst = connect(
            &tmp,
            &ConnectOptions {
                read_only: false,
                ..opts.clone()
            },
        )?;
        copy_pages(src, &mut dst)?;
        dst.execute("UPDATE local_state SET needs_new_identity = 1", [])?;
        // A backup is a single self-contained file: no WAL beside it.
        dst.pragma_update(None, "journal_mode", "DELETE")?;
        Ok(())
    })();
    match written {
        Ok(()) => Ok(std::fs::rename(&tmp, dest)?),
        Err(e) => {
            // Leave nothing half-written behind.
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", tmp.display()));
            }
            Err(e)
        }
    }
}

fn copy_pages(src: &Connection, dst: &mut Connection) -> Result<()> {
    let backup = Backup::new(src, dst)?;
    loop {
        match backup.step(1024)? {
            StepResult::Done => return Ok(()),
            StepResult::More => {}
            StepResult::Busy | StepResult::Locked => return Err(StoreError::Busy),
            _ => return Err(StoreError::Busy),
        }
    }
}

/// What a verified backup holds.
#[derive(Debug, Clone, Serialize)]
pub struct BackupInfo {
    pub path: PathBuf,
    pub schema_version: i64,
    pub members: i64,
    pub org_units: i64,
    pub pending_ops: i64,
}

/// Checks that `path` is an intact khuyenhoc database this build can read.
pub fn verify_backup(path: &Path, opts: &ConnectOptions) -> Result<BackupInfo> {
    if !path.exists() {
        return Err(StoreError::BackupMissing);
    }
    let conn = connect(
        path,
        &ConnectOptions {
            read_only: true,
            ..opts.clone()
        },
    )?;
    let (app, version, _) = header(&conn)?;
    if app != APPLICATION_ID {
        return Err(StoreError::NotOurs);
    }
    if version > LATEST_SCHEMA {
        return Err(StoreError::NewerSchema {
            found: version,
            supported: LATEST_SCHEMA,
        });
    }
    let mut stmt = conn.prepare("PRAGMA integrity_check")?;
    let rows: Vec<String> = stmt
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    if rows != ["ok"] {
        return Err(StoreError::Corrupt(rows.join("; ")));
    }
    let count =
        |sql: &str| -> Result<i64> { Ok(conn.query_row(sql, [], |r| r.get(0)).unwrap_or(0)) };
    Ok(BackupInfo {
        path: path.to_path_buf(),
        schema_version: version,
        members: count("SELECT count(*) FROM members WHERE deleted = 0")?,
        org_units: count("SELECT count(*) FROM org_units WHERE deleted = 0")?,
        pending_ops: count("SELECT count(*) FROM outbox WHERE acked = 0")?,
    })
}

/// What a restore did.
#[derive(Debug, Clone, Serialize)]
pub struct RestoreReport {
    pub restored: BackupInfo,
    /// The copy of the database as it was before the restore.
    pub previous_copy: Option<PathBuf>,
}

impl Store {
    /// Writes a consistent copy of the database to `dest` while the store stays usable.
    pub fn backup(&self, dest: &Path) -> Result<BackupInfo> {
        self.require(khuyenhoc_domain::Permission::Backup)?;
        if let Some(dir) = dest.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        copy_database(&self.conn, dest, &self.connect_options)?;
        verify_backup(dest, &self.connect_options)
    }

    /// Replaces the database at `db` with the backup at `from`. Refuses while any other process
    /// has `db` open; the current file is copied aside first.
    pub fn restore(db: &Path, from: &Path, opts: &ConnectOptions) -> Result<RestoreReport> {
        let restored = verify_backup(from, opts)?;
        let _lock = ProcessLock::exclusive(db, "restore")?;
        let mut target = connect(db, opts)?;
        let previous_copy = if db.exists() && header(&target)?.2 > 0 {
            let stamp = jiff::Timestamp::now().strftime("%Y%m%d-%H%M%S");
            let copy = sibling(db, &format!("before-restore-{stamp}.bak"));
            copy_database(&target, &copy, opts)?;
            Some(copy)
        } else {
            None
        };
        let source = connect(
            from,
            &ConnectOptions {
                read_only: true,
                ..opts.clone()
            },
        )?;
        copy_pages(&source, &mut target)?;
        drop(source);
        // Whatever file it came from (a backup, or a plain copy of a database), the restored
        // database is a copy: it takes a new device identity when next opened.
        target.execute("UPDATE local_state SET needs_new_identity = 1", [])?;
        target.pragma_update(None, "journal_mode", "WAL")?;
        crate::connection::check_integrity(&target)?;
        tracing::info!(
            schema = restored.schema_version,
            "database restored from a backup"
        );
        Ok(RestoreReport {
            restored,
            previous_copy,
        })
    }
}
