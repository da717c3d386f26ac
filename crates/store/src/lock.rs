//! A lock file beside the database so several processes (the desktop app and the CLI) know
//! about each other: every open store holds a shared lock for its lifetime; a migration or a
//! restore needs the exclusive lock and refuses when another process has the database open.
//! The OS releases the lock when a process dies, even after `kill -9`.

use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};

use crate::error::{Result, StoreError};

#[derive(Debug)]
pub struct ProcessLock {
    file: File,
    exclusive: bool,
}

pub fn lock_path(db: &Path) -> PathBuf {
    let mut name = db.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(".lock");
    db.with_file_name(name)
}

impl ProcessLock {
    fn open_file(db: &Path) -> Result<File> {
        Ok(OpenOptions::new().read(true).write(true).create(true).truncate(false).open(lock_path(db))?)
    }

    /// Takes the exclusive lock if nobody else holds the database, else a shared one.
    pub fn acquire(db: &Path) -> Result<ProcessLock> {
        let file = Self::open_file(db)?;
        match file.try_lock() {
            Ok(()) => return Ok(ProcessLock { file, exclusive: true }),
            Err(TryLockError::WouldBlock) => {}
            Err(TryLockError::Error(e)) => return Err(e.into()),
        }
        match file.try_lock_shared() {
            Ok(()) => Ok(ProcessLock { file, exclusive: false }),
            Err(TryLockError::WouldBlock) => Err(StoreError::InUse { action: "open" }),
            Err(TryLockError::Error(e)) => Err(e.into()),
        }
    }

    /// Takes the exclusive lock or refuses at once: for restore.
    pub fn exclusive(db: &Path, action: &'static str) -> Result<ProcessLock> {
        let file = Self::open_file(db)?;
        match file.try_lock() {
            Ok(()) => Ok(ProcessLock { file, exclusive: true }),
            Err(TryLockError::WouldBlock) => Err(StoreError::InUse { action }),
            Err(TryLockError::Error(e)) => Err(e.into()),
        }
    }

    pub fn is_exclusive(&self) -> bool {
        self.exclusive
    }

    /// Lets other processes in once the migration is done.
    pub fn downgrade(&mut self) -> Result<()> {
        if self.exclusive {
            self.file.unlock()?;
            self.file.lock_shared()?;
            self.exclusive = false;
        }
        Ok(())
    }
}
