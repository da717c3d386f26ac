//! [`ServerStorage`] on one SQLite file (rusqlite, bundled SQLite).
//!
//! **One connection behind a `Mutex`, used from `spawn_blocking`.** SQLite lets one writer in
//! at a time whatever we do, and this slice's traffic (enrollment, whoami, admin) is small, so
//! a single connection costs nothing and rules out `SQLITE_BUSY` between our own
//! connections; `spawn_blocking` keeps disk waits off the async worker threads. The admin CLI
//! may open the same file while the server runs: WAL mode and a busy timeout cover that. When
//! pull traffic needs concurrent reads, a small pool of read-only connections can be added
//! beside the writer without changing the trait.
//!
//! The file is WAL with `synchronous=FULL` and foreign keys on (as the desktop store), carries
//! its own `application_id` so that the desktop's database is refused, and is migrated with the
//! SQL files in `migrations/server-sqlite/`.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use jiff::{SignedDuration, Timestamp};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use rusqlite_migration::{M, Migrations};
use uuid::Uuid;

use super::{
    AuthenticatedDevice, Device, Enrollment, NewEnrollmentCode, NewOrgUnit, OrgUnit, ServerStorage,
    StorageError, StorageResult, TokenOwner,
};

/// `PRAGMA application_id` of a khuyenhoc server database ("KHSV").
pub const APPLICATION_ID: i32 = 0x4B48_5356;

const STEPS: &[M<'static>] = &[
    M::up(include_str!(
        "../../../../migrations/server-sqlite/0001_devices_units_codes.sql"
    )),
    M::up(include_str!(
        "../../../../migrations/server-sqlite/0002_sync.sql"
    )),
    M::up(include_str!(
        "../../../../migrations/server-sqlite/0003_change_author.sql"
    )),
    M::up(include_str!(
        "../../../../migrations/server-sqlite/0004_tombstone_purge.sql"
    )),
    M::up(include_str!(
        "../../../../migrations/server-sqlite/0005_row_scopes.sql"
    )),
    M::up(include_str!(
        "../../../../migrations/server-sqlite/0006_member_unit_field.sql"
    )),
    M::up(include_str!(
        "../../../../migrations/server-sqlite/0007_token_use.sql"
    )),
];

/// The newest server schema this build knows.
pub const LATEST_SCHEMA: i64 = STEPS.len() as i64;

pub fn migrations() -> Migrations<'static> {
    Migrations::from_slice(STEPS)
}

#[derive(Clone)]
pub struct SqliteStorage {
    conn: Arc<Mutex<Connection>>,
    epoch: Uuid,
    path: PathBuf,
}

impl std::fmt::Debug for SqliteStorage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStorage")
            .field("path", &self.path)
            .field("epoch", &self.epoch)
            .finish()
    }
}

fn db_err(e: impl std::error::Error + Send + Sync + 'static) -> StorageError {
    StorageError::Database(Box::new(e))
}

impl From<rusqlite::Error> for StorageError {
    fn from(e: rusqlite::Error) -> Self {
        db_err(e)
    }
}

fn ms(t: Timestamp) -> i64 {
    t.as_millisecond()
}

fn from_ms(v: i64) -> rusqlite::Result<Timestamp> {
    Timestamp::from_millisecond(v).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Integer, Box::new(e))
    })
}

fn uuid_col(row: &rusqlite::Row<'_>, idx: usize) -> rusqlite::Result<Uuid> {
    let s: String = row.get(idx)?;
    Uuid::parse_str(&s).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(idx, rusqlite::types::Type::Text, Box::new(e))
    })
}

fn opt_uuid_col(row: &rusqlite::Row<'_>, idx: usize) -> rusqlite::Result<Option<Uuid>> {
    let s: Option<String> = row.get(idx)?;
    s.map(|s| {
        Uuid::parse_str(&s).map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(idx, rusqlite::types::Type::Text, Box::new(e))
        })
    })
    .transpose()
}

const UNIT_COLS: &str = "id, org_code, name, parent_id";

fn unit_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<OrgUnit> {
    Ok(OrgUnit {
        id: uuid_col(row, 0)?,
        org_code: row.get(1)?,
        name: row.get(2)?,
        parent_id: opt_uuid_col(row, 3)?,
    })
}

fn is_unique_violation(e: &rusqlite::Error) -> bool {
    matches!(
        e,
        rusqlite::Error::SqliteFailure(f, _)
            if f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
                || f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY
    )
}

impl SqliteStorage {
    /// Opens (creating it if needed) and migrates the server database at `path`.
    pub async fn open(path: impl AsRef<Path>) -> StorageResult<Self> {
        let path = path.as_ref().to_path_buf();
        tokio::task::spawn_blocking(move || Self::open_blocking(&path))
            .await
            .map_err(db_err)?
    }

    /// [`Self::open`] for callers outside a runtime.
    pub fn open_blocking(path: &Path) -> StorageResult<Self> {
        let mut conn = Connection::open(path)?;
        conn.busy_timeout(Duration::from_secs(10))?;
        let app: i32 = conn.query_row("PRAGMA application_id", [], |r| r.get(0))?;
        let tables: i64 = conn.query_row("SELECT count(*) FROM sqlite_schema", [], |r| r.get(0))?;
        if app != APPLICATION_ID && (app != 0 || tables != 0) {
            return Err(StorageError::NotServerDatabase(path.display().to_string()));
        }
        let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        if version > LATEST_SCHEMA {
            return Err(StorageError::TooNew {
                found: version,
                known: LATEST_SCHEMA,
            });
        }
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", true)?;
        conn.pragma_update(None, "application_id", APPLICATION_ID)?;
        migrations().to_latest(&mut conn).map_err(db_err)?;
        // The epoch is made once, by whichever open creates the database.
        conn.execute(
            "INSERT OR IGNORE INTO server_meta(key, value) VALUES ('epoch', ?1)",
            [Uuid::now_v7().to_string()],
        )?;
        let epoch: String = conn.query_row(
            "SELECT value FROM server_meta WHERE key = 'epoch'",
            [],
            |r| r.get(0),
        )?;
        let epoch = Uuid::parse_str(&epoch).map_err(db_err)?;
        Ok(Self {
            conn: Arc::new(Mutex::new(conn)),
            epoch,
            path: path.to_path_buf(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Runs `f` on the connection on a blocking thread.
    async fn with_conn<T, F>(&self, f: F) -> StorageResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> StorageResult<T> + Send + 'static,
    {
        let conn = Arc::clone(&self.conn);
        tokio::task::spawn_blocking(move || {
            // A panic while holding the lock leaves SQLite consistent (the transaction rolls
            // back on drop), so a poisoned lock is safe to take over.
            let mut guard = conn.lock().unwrap_or_else(|p| p.into_inner());
            f(&mut guard)
        })
        .await
        .map_err(db_err)?
    }
}

fn unit_by_code(conn: &Connection, code: &str) -> StorageResult<Option<OrgUnit>> {
    Ok(conn
        .query_row(
            &format!("SELECT {UNIT_COLS} FROM org_units WHERE org_code = ?1"),
            [code],
            unit_row,
        )
        .optional()?)
}

#[async_trait]
impl ServerStorage for SqliteStorage {
    fn epoch(&self) -> Uuid {
        self.epoch
    }

    async fn add_unit(&self, unit: NewOrgUnit) -> StorageResult<OrgUnit> {
        self.with_conn(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let parent_id = match &unit.parent_code {
                Some(code) => Some(
                    unit_by_code(&tx, code)?
                        .ok_or_else(|| StorageError::UnitNotFound(code.clone()))?
                        .id,
                ),
                None => None,
            };
            let new = OrgUnit {
                id: Uuid::now_v7(),
                org_code: unit.org_code,
                name: unit.name,
                parent_id,
            };
            tx.execute(
                "INSERT INTO org_units(id, org_code, name, parent_id, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![
                    new.id.to_string(),
                    new.org_code,
                    new.name,
                    new.parent_id.map(|p| p.to_string()),
                    ms(Timestamp::now())
                ],
            )
            .map_err(|e| {
                if is_unique_violation(&e) {
                    StorageError::UnitCodeExists(new.org_code.clone())
                } else {
                    e.into()
                }
            })?;
            tx.commit()?;
            Ok(new)
        })
        .await
    }

    async fn list_units(&self) -> StorageResult<Vec<OrgUnit>> {
        self.with_conn(|conn| {
            let mut stmt = conn.prepare(&format!(
                "SELECT {UNIT_COLS} FROM org_units ORDER BY org_code"
            ))?;
            let rows = stmt.query_map([], unit_row)?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
        .await
    }

    async fn unit_by_code(&self, org_code: &str) -> StorageResult<Option<OrgUnit>> {
        let code = org_code.to_owned();
        self.with_conn(move |conn| unit_by_code(conn, &code)).await
    }

    async fn is_within(&self, unit: Uuid, ancestor: Uuid) -> StorageResult<bool> {
        self.with_conn(move |conn| {
            // Walk up from `unit`; UNION (not UNION ALL) stops on a cycle.
            let found: bool = conn.query_row(
                "WITH RECURSIVE up(id) AS (
                     SELECT ?1
                     UNION
                     SELECT o.parent_id FROM org_units o JOIN up ON o.id = up.id
                     WHERE o.parent_id IS NOT NULL
                 )
                 SELECT EXISTS(SELECT 1 FROM up WHERE id = ?2)
                    AND EXISTS(SELECT 1 FROM org_units WHERE id = ?1)",
                params![unit.to_string(), ancestor.to_string()],
                |r| r.get(0),
            )?;
            Ok(found)
        })
        .await
    }

    async fn create_enrollment_code(&self, code: NewEnrollmentCode) -> StorageResult<()> {
        self.with_conn(move |conn| {
            conn.execute(
                "INSERT INTO enrollment_codes(code_hash, unit_id, created_at, expires_at)
                 VALUES (?1, ?2, ?3, ?4)",
                params![
                    code.code_hash.as_slice(),
                    code.unit_id.to_string(),
                    ms(code.created_at),
                    ms(code.expires_at)
                ],
            )?;
            Ok(())
        })
        .await
    }

    async fn enroll(&self, e: Enrollment) -> StorageResult<OrgUnit> {
        self.with_conn(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let code: Option<(String, i64, Option<i64>)> = tx
                .query_row(
                    "SELECT unit_id, expires_at, used_at FROM enrollment_codes
                     WHERE code_hash = ?1",
                    [e.code_hash.as_slice()],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )
                .optional()?;
            let Some((unit_id, expires_at, used_at)) = code else {
                return Err(StorageError::CodeInvalid);
            };
            if used_at.is_some() {
                return Err(StorageError::CodeUsed);
            }
            if expires_at <= ms(e.now) {
                return Err(StorageError::CodeExpired);
            }
            let unit = tx.query_row(
                &format!("SELECT {UNIT_COLS} FROM org_units WHERE id = ?1"),
                [&unit_id],
                unit_row,
            )?;
            super::check_unit_code(e.org_code.as_deref(), &unit)?;
            let existing: Option<(String, Option<i64>, i64)> = tx
                .query_row(
                    "SELECT unit_id, revoked_at, token_used_at FROM devices WHERE id = ?1",
                    [e.device_id.to_string()],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )
                .optional()?;
            match existing {
                None => {
                    tx.execute(
                        "INSERT INTO devices(id, unit_id, name, public_key, token_hash,
                                             enrolled_at, token_used_at)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
                        params![
                            e.device_id.to_string(),
                            unit_id,
                            e.device_name,
                            e.public_key.as_slice(),
                            e.token_hash.as_slice(),
                            ms(e.now)
                        ],
                    )?;
                }
                Some((device_unit, None, used))
                    if device_unit == unit_id
                        && e.token_expired_before.is_some_and(|t| used < ms(t)) =>
                {
                    tx.execute(
                        "UPDATE devices SET name = ?1, public_key = ?2, token_hash = ?3,
                                            token_used_at = ?4
                         WHERE id = ?5",
                        params![
                            e.device_name,
                            e.public_key.as_slice(),
                            e.token_hash.as_slice(),
                            ms(e.now),
                            e.device_id.to_string()
                        ],
                    )?;
                }
                Some(_) => return Err(StorageError::DeviceExists(e.device_id)),
            }
            let changed = tx.execute(
                "UPDATE enrollment_codes SET used_at = ?1, used_by_device = ?2
                 WHERE code_hash = ?3 AND used_at IS NULL",
                params![ms(e.now), e.device_id.to_string(), e.code_hash.as_slice()],
            )?;
            if changed != 1 {
                return Err(StorageError::CodeUsed);
            }
            tx.commit()?;
            Ok(unit)
        })
        .await
    }

    async fn device_by_token(&self, token_hash: [u8; 32]) -> StorageResult<Option<TokenOwner>> {
        self.with_conn(move |conn| {
            Ok(conn
                .query_row(
                    "SELECT d.id, d.name, u.id, u.org_code, u.name, u.parent_id, d.token_used_at
                     FROM devices d JOIN org_units u ON u.id = d.unit_id
                     WHERE d.token_hash = ?1 AND d.revoked_at IS NULL",
                    [token_hash.as_slice()],
                    |r| {
                        Ok(TokenOwner {
                            device: AuthenticatedDevice {
                                device_id: uuid_col(r, 0)?,
                                device_name: r.get(1)?,
                                unit: OrgUnit {
                                    id: uuid_col(r, 2)?,
                                    org_code: r.get(3)?,
                                    name: r.get(4)?,
                                    parent_id: opt_uuid_col(r, 5)?,
                                },
                            },
                            token_used_at: from_ms(r.get(6)?)?,
                        })
                    },
                )
                .optional()?)
        })
        .await
    }

    async fn touch_token(&self, device_id: Uuid, now: Timestamp) -> StorageResult<()> {
        self.with_conn(move |conn| {
            conn.execute(
                "UPDATE devices SET token_used_at = ?1 WHERE id = ?2 AND token_used_at < ?1",
                params![ms(now), device_id.to_string()],
            )?;
            Ok(())
        })
        .await
    }

    async fn device_key(
        &self,
        device_id: Uuid,
    ) -> StorageResult<Option<(AuthenticatedDevice, [u8; 32])>> {
        self.with_conn(move |conn| {
            let row = conn
                .query_row(
                    "SELECT d.id, d.name, u.id, u.org_code, u.name, u.parent_id, d.public_key
                     FROM devices d JOIN org_units u ON u.id = d.unit_id
                     WHERE d.id = ?1 AND d.revoked_at IS NULL",
                    [device_id.to_string()],
                    |r| {
                        Ok((
                            AuthenticatedDevice {
                                device_id: uuid_col(r, 0)?,
                                device_name: r.get(1)?,
                                unit: OrgUnit {
                                    id: uuid_col(r, 2)?,
                                    org_code: r.get(3)?,
                                    name: r.get(4)?,
                                    parent_id: opt_uuid_col(r, 5)?,
                                },
                            },
                            r.get::<_, Vec<u8>>(6)?,
                        ))
                    },
                )
                .optional()?;
            Ok(row.and_then(|(device, key)| Some((device, key.try_into().ok()?))))
        })
        .await
    }

    async fn renew_epoch(&self) -> StorageResult<Uuid> {
        let epoch = Uuid::now_v7();
        self.with_conn(move |conn| {
            conn.execute(
                "UPDATE server_meta SET value = ?1 WHERE key = 'epoch'",
                [epoch.to_string()],
            )?;
            Ok(epoch)
        })
        .await
    }

    async fn list_devices(&self) -> StorageResult<Vec<Device>> {
        self.with_conn(|conn| {
            let mut stmt = conn.prepare(
                "SELECT d.id, d.name, d.unit_id, u.org_code, d.enrolled_at, d.revoked_at,
                        d.token_used_at, p.pull_cursor
                 FROM devices d JOIN org_units u ON u.id = d.unit_id
                 LEFT JOIN device_pulls p ON p.device_id = d.id
                 ORDER BY d.enrolled_at, d.id",
            )?;
            let rows = stmt.query_map([], |r| {
                Ok(Device {
                    id: uuid_col(r, 0)?,
                    name: r.get(1)?,
                    unit_id: uuid_col(r, 2)?,
                    unit_code: r.get(3)?,
                    enrolled_at: from_ms(r.get(4)?)?,
                    revoked_at: r.get::<_, Option<i64>>(5)?.map(from_ms).transpose()?,
                    last_seen_at: from_ms(r.get(6)?)?,
                    pulled_through: r.get(7)?,
                })
            })?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
        .await
    }

    async fn revoke_device(&self, device_id: Uuid, now: Timestamp) -> StorageResult<()> {
        self.with_conn(move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let exists: bool = tx.query_row(
                "SELECT EXISTS(SELECT 1 FROM devices WHERE id = ?1)",
                [device_id.to_string()],
                |r| r.get(0),
            )?;
            if !exists {
                return Err(StorageError::DeviceNotFound(device_id));
            }
            tx.execute(
                "UPDATE devices SET revoked_at = ?1 WHERE id = ?2 AND revoked_at IS NULL",
                params![ms(now), device_id.to_string()],
            )?;
            tx.commit()?;
            Ok(())
        })
        .await
    }

    async fn push(
        &self,
        device: AuthenticatedDevice,
        ops: Vec<khuyenhoc_sync_protocol::Op>,
        now: Timestamp,
    ) -> StorageResult<super::PushAnswer> {
        self.with_conn(move |conn| super::sqlite_sync::push(conn, &device, &ops, ms(now)))
            .await
    }

    async fn pull(
        &self,
        device: AuthenticatedDevice,
        cursor: i64,
        limit: u32,
        now: Timestamp,
    ) -> StorageResult<super::PullAnswer> {
        self.with_conn(move |conn| super::sqlite_sync::pull(conn, &device, cursor, limit, ms(now)))
            .await
    }

    async fn purge(
        &self,
        horizon: SignedDuration,
        now: Timestamp,
    ) -> StorageResult<super::PurgeReport> {
        self.with_conn(move |conn| super::sqlite_purge::purge(conn, now, horizon))
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_are_valid() {
        migrations().validate().unwrap();
    }

    #[tokio::test]
    async fn is_within_follows_the_tree() {
        let dir = tempfile::tempdir().unwrap();
        let s = SqliteStorage::open(dir.path().join("s.db")).await.unwrap();
        let add = |code: &str, parent: Option<&str>| NewOrgUnit {
            org_code: code.into(),
            name: format!("Đơn vị {code}"),
            parent_code: parent.map(Into::into),
        };
        let province = s.add_unit(add("01", None)).await.unwrap();
        let commune = s.add_unit(add("26734", Some("01"))).await.unwrap();
        let branch = s.add_unit(add("26734-01", Some("26734"))).await.unwrap();
        let other = s.add_unit(add("02", None)).await.unwrap();
        assert!(s.is_within(branch.id, province.id).await.unwrap());
        assert!(s.is_within(branch.id, commune.id).await.unwrap());
        assert!(s.is_within(commune.id, commune.id).await.unwrap());
        assert!(!s.is_within(commune.id, branch.id).await.unwrap());
        assert!(!s.is_within(branch.id, other.id).await.unwrap());
        assert!(!s.is_within(Uuid::now_v7(), Uuid::now_v7()).await.unwrap());
        assert!(matches!(
            s.add_unit(add("26734", None)).await,
            Err(StorageError::UnitCodeExists(_))
        ));
        assert!(matches!(
            s.add_unit(add("9", Some("nope"))).await,
            Err(StorageError::UnitNotFound(_))
        ));
    }

    #[test]
    fn a_foreign_database_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("other.db");
        let c = Connection::open(&path).unwrap();
        c.execute_batch("CREATE TABLE t(x)").unwrap();
        drop(c);
        assert!(matches!(
            SqliteStorage::open_blocking(&path),
            Err(StorageError::NotServerDatabase(_))
        ));
    }

    #[test]
    fn a_database_from_a_newer_server_is_refused_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("newer.db");
        let first = SqliteStorage::open_blocking(&path).unwrap();
        drop(first);
        let c = Connection::open(&path).unwrap();
        c.pragma_update(None, "user_version", LATEST_SCHEMA + 1)
            .unwrap();
        drop(c);
        assert!(matches!(
            SqliteStorage::open_blocking(&path),
            Err(StorageError::TooNew { .. })
        ));
        let c = Connection::open(&path).unwrap();
        let v: i64 = c
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(v, LATEST_SCHEMA + 1);
    }

    #[test]
    fn the_epoch_is_made_once_per_file() {
        let dir = tempfile::tempdir().unwrap();
        let a = SqliteStorage::open_blocking(&dir.path().join("a.db")).unwrap();
        let a2 = SqliteStorage::open_blocking(&dir.path().join("a.db")).unwrap();
        let b = SqliteStorage::open_blocking(&dir.path().join("b.db")).unwrap();
        assert_eq!(a.epoch(), a2.epoch());
        assert_ne!(a.epoch(), b.epoch());
    }
}
