//! A lock file beside the database so several processes (the desktop app and the CLI) know
//! about each other: every open store holds a shared lock for its lifetime; a migration or a
//! restore needs the exclusive lock, and refuses when another process has the database open.
//! The OS releases the lock when a process dies, even after `kill -9`.

use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::error::{Result, StoreError};

#[derive(Debug)]
pub struct ProcessLock {
    file: File,
}

pub fn lock_path(db: &Path) -> PathBuf {
    suffixed(db, ".lock")
}

fn suffixed(db: &Path, suffix: &str) -> PathBuf {
    let mut name = db.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(suffix);
    db.with_file_name(name)
}

fn open_file(db: &Path) -> Result<File> {
    open_path(&lock_path(db))
}

fn open_path(path: &Path) -> Result<File> {
    Ok(OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)?)
}

/// Held by the one process that may migrate the database; the others wait their turn (they
/// then find the schema current). Released when dropped.
#[derive(Debug)]
pub struct MigrationTurn {
    _file: File,
}

impl MigrationTurn {
    pub fn wait(db: &Path, wait: Duration) -> Result<MigrationTurn> {
        let file = open_path(&suffixed(db, ".migrate.lock"))?;
        let start = Instant::now();
        let mut pause = Duration::from_millis(2);
        loop {
            match file.try_lock() {
                Ok(()) => return Ok(MigrationTurn { _file: file }),
                Err(TryLockError::WouldBlock) if start.elapsed() < wait => {
                    std::thread::sleep(pause);
                    pause = (pause * 2).min(Duration::from_millis(100));
                }
                Err(TryLockError::WouldBlock) => {
                    return Err(StoreError::InUse { action: "migrate" });
                }
                Err(TryLockError::Error(e)) => return Err(e.into()),
            }
        }
    }
}

/// Takes the shared lock, waiting up to `wait` while another process holds the exclusive one
/// (a migration or a restore in progress), as SQLite's busy timeout waits for a writer.
fn lock_shared(file: &File, wait: Duration, action: &'static str) -> Result<()> {
    let start = Instant::now();
    let mut pause = Duration::from_millis(2);
    loop {
        match file.try_lock_shared() {
            Ok(()) => return Ok(()),
            Err(TryLockError::WouldBlock) if start.elapsed() < wait => {
                std::thread::sleep(pause);
                pause = (pause * 2).min(Duration::from_millis(100));
            }
            Err(TryLockError::WouldBlock) => return Err(StoreError::InUse { action }),
            Err(TryLockError::Error(e)) => return Err(e.into()),
        }
    }
}

impl ProcessLock {
    /// The shared lock every open store holds.
    pub fn shared(db: &Path, wait: Duration) -> Result<ProcessLock> {
        let file = open_file(db)?;
        lock_shared(&file, wait, "open")?;
        Ok(ProcessLock { file })
    }

    /// Takes the exclusive lock or refuses at once: for restore.
    pub fn exclusive(db: &Path, action: &'static str) -> Result<ProcessLock> {
        let file = open_file(db)?;
        match file.try_lock() {
            Ok(()) => Ok(ProcessLock { file }),
            Err(TryLockError::WouldBlock) => Err(StoreError::InUse { action }),
            Err(TryLockError::Error(e)) => Err(e.into()),
        }
    }

    /// Lets go of the shared lock for a while (to queue for a migration turn).
    pub fn release(&mut self) -> Result<()> {
        Ok(self.file.unlock()?)
    }

    /// Takes the shared lock again after [`ProcessLock::release`].
    pub fn reacquire(&mut self, wait: Duration) -> Result<()> {
        lock_shared(&self.file, wait, "open")
    }

    /// Trades the shared lock for the exclusive one if no other process holds the database.
    /// When another does, the shared lock is taken again (waiting up to `wait`) and the
    /// answer is false.
    pub fn try_upgrade(&mut self, wait: Duration) -> Result<bool> {
        self.file.unlock()?;
        match self.file.try_lock() {
            Ok(()) => Ok(true),
            Err(TryLockError::WouldBlock) => {
                lock_shared(&self.file, wait, "open")?;
                Ok(false)
            }
            Err(TryLockError::Error(e)) => Err(e.into()),
        }
    }

    /// Lets other processes in once the migration is done.
    pub fn downgrade(&mut self) -> Result<()> {
        self.file.unlock()?;
        lock_shared(&self.file, Duration::ZERO, "open")
    }
}

/// The one sync of a database at a time, whether the desktop app or the CLI starts it: held
/// for the whole sync, released when dropped (or when the process dies).
#[derive(Debug)]
pub struct SyncTurn {
    _file: File,
}

impl SyncTurn {
    /// Takes the turn, or refuses at once when another sync of this database is running.
    pub fn take(db: &Path) -> Result<SyncTurn> {
        let file = open_path(&suffixed(db, ".sync.lock"))?;
        match file.try_lock() {
            Ok(()) => Ok(SyncTurn { _file: file }),
            Err(TryLockError::WouldBlock) => Err(StoreError::rule(
                "sync_running",
                "Máy này đang đồng bộ; hãy chờ lần đồng bộ đó xong.",
                "another sync of this database is running",
            )),
            Err(TryLockError::Error(e)) => Err(e.into()),
        }
    }
}
