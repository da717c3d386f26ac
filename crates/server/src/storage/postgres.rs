//! [`ServerStorage`] on a PostgreSQL database (tokio-postgres, pooled by deadpool-postgres).
//!
//! Why not sqlx: its `sqlx` crate names `sqlx-sqlite` as an optional dependency, and Cargo
//! resolves the `links = "sqlite3"` of that optional crate even when its feature is off, which
//! clashes with rusqlite's bundled SQLite in this workspace. tokio-postgres has no such tie.
//!
//! **Stateless servers.** Everything lives in the database, the epoch included (made once by
//! whichever server migrates an empty database), so any number of servers can run over one
//! database behind a load balancer: a laptop may push to one and pull from another.
//!
//! **Migrations** are the SQL files in `migrations/server-postgres/`, embedded in the binary and
//! applied in one transaction under an advisory lock (two servers starting together take turns),
//! recorded in `khuyenhoc_schema`. A database with other tables and no `khuyenhoc_schema` is
//! refused, and so is one migrated by a newer server.
//!
//! **Pool.** [`POOL_SIZE`] connections by default: pushes take turns anyway (see
//! [`super::postgres_sync`]), so more connections would only serve more concurrent pulls and
//! lookups, and PostgreSQL's default of 100 connections leaves room for several servers.
//! Connections are plain TCP or a Unix socket (`?host=/run/postgresql`); TLS to the database
//! is not built in yet.

use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use deadpool_postgres::{Manager, ManagerConfig, Object, Pool, RecyclingMethod, Runtime};
use jiff::{SignedDuration, Timestamp};
use tokio_postgres::NoTls;
use tokio_postgres::error::SqlState;
use uuid::Uuid;

use super::{
    AuthenticatedDevice, Device, Enrollment, NewEnrollmentCode, NewOrgUnit, OrgUnit, PullAnswer,
    PurgeReport, PushAnswer, ServerStorage, StorageError, StorageResult, TokenOwner,
};
use crate::config::redact_url;

/// The schema steps: version, name, SQL.
const STEPS: &[(i64, &str, &str)] = &[
    (
        1,
        "devices_units_codes",
        include_str!("../../../../migrations/server-postgres/0001_devices_units_codes.sql"),
    ),
    (
        2,
        "sync",
        include_str!("../../../../migrations/server-postgres/0002_sync.sql"),
    ),
    (
        3,
        "change_author",
        include_str!("../../../../migrations/server-postgres/0003_change_author.sql"),
    ),
    (
        4,
        "tombstone_purge",
        include_str!("../../../../migrations/server-postgres/0004_tombstone_purge.sql"),
    ),
    (
        5,
        "row_scopes",
        include_str!("../../../../migrations/server-postgres/0005_row_scopes.sql"),
    ),
    (
        6,
        "member_unit_field",
        include_str!("../../../../migrations/server-postgres/0006_member_unit_field.sql"),
    ),
    (
        7,
        "token_use",
        include_str!("../../../../migrations/server-postgres/0007_token_use.sql"),
    ),
];

/// The newest server schema this build knows.
pub const LATEST_SCHEMA: i64 = STEPS.len() as i64;

/// Default number of pooled connections of one server.
pub const POOL_SIZE: usize = 16;

/// The advisory lock key that serialises migrations ("KHSV", 1).
const MIGRATION_LOCK: i64 = 0x4B48_5356_0000_0001;

#[derive(Clone)]
pub struct PostgresStorage {
    pool: Pool,
    epoch: Uuid,
    /// The URL without its password, for messages.
    target: String,
}

impl std::fmt::Debug for PostgresStorage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresStorage")
            .field("target", &self.target)
            .field("epoch", &self.epoch)
            .finish()
    }
}

impl From<tokio_postgres::Error> for StorageError {
    fn from(e: tokio_postgres::Error) -> Self {
        // A connection cut under a query (the database restarted, or went away) is the
        // database being unreachable, not a fault of the request.
        let cut = e.is_closed()
            || matches!(
                e.code(),
                Some(c) if *c == SqlState::ADMIN_SHUTDOWN
                    || *c == SqlState::CRASH_SHUTDOWN
                    || *c == SqlState::CANNOT_CONNECT_NOW
            );
        if cut {
            StorageError::Unreachable {
                target: "PostgreSQL".into(),
                reason: e.to_string(),
            }
        } else {
            StorageError::Database(Box::new(e))
        }
    }
}

/// Whether `e` broke the unique constraint (or primary key) `constraint`.
fn violates(e: &tokio_postgres::Error, constraint: &str) -> bool {
    e.code() == Some(&SqlState::UNIQUE_VIOLATION)
        && e.as_db_error().and_then(|d| d.constraint()) == Some(constraint)
}

fn unit_row(row: &tokio_postgres::Row) -> OrgUnit {
    OrgUnit {
        id: row.get("id"),
        org_code: row.get("org_code"),
        name: row.get("name"),
        parent_id: row.get("parent_id"),
    }
}

const UNIT_COLS: &str = "id, org_code, name, parent_id";

impl PostgresStorage {
    /// Connects to the database at `url` (`postgres://user:password@host:port/db`), migrating it
    /// if needed, with a pool of [`POOL_SIZE`] connections.
    pub async fn open(url: &str) -> StorageResult<Self> {
        Self::open_with_pool(url, POOL_SIZE).await
    }

    /// [`Self::open`] with at most `max_connections` connections.
    pub async fn open_with_pool(url: &str, max_connections: usize) -> StorageResult<Self> {
        let target = redact_url(url);
        let mut config =
            tokio_postgres::Config::from_str(url).map_err(|e| StorageError::Unreachable {
                target: target.clone(),
                reason: format!("not a valid PostgreSQL URL ({e})"),
            })?;
        if config.get_application_name().is_none() {
            config.application_name("khuyenhoc-server");
        }
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(Duration::from_secs(10));
        }
        let manager = Manager::from_config(
            config,
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(max_connections.max(1))
            .runtime(Runtime::Tokio1)
            .wait_timeout(Some(Duration::from_secs(30)))
            .create_timeout(Some(Duration::from_secs(15)))
            .build()
            .map_err(|e| StorageError::Database(Box::new(e)))?;
        let mut storage = Self {
            pool,
            epoch: Uuid::nil(),
            target,
        };
        let mut client = storage.client().await?;
        storage.epoch = migrate(&mut client, &storage.target).await?;
        Ok(storage)
    }

    /// A pooled connection; a database that cannot be reached is said so plainly.
    pub(super) async fn client(&self) -> StorageResult<Object> {
        self.pool.get().await.map_err(|e| {
            let reason = match e {
                deadpool_postgres::PoolError::Backend(e) => e.to_string(),
                deadpool_postgres::PoolError::Timeout(_) => {
                    "no connection became free in time (the database is slow or unreachable)".into()
                }
                other => other.to_string(),
            };
            tracing::error!(database = %self.target, %reason, "cannot connect to the database");
            StorageError::Unreachable {
                target: self.target.clone(),
                reason,
            }
        })
    }

    /// The URL without its password.
    pub fn target(&self) -> &str {
        &self.target
    }
}

/// Applies the missing schema steps and returns the database's epoch, in one transaction.
async fn migrate(client: &mut Object, target: &str) -> StorageResult<Uuid> {
    let tx = client.transaction().await?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
        .await?;
    let ours: bool = tx
        .query_one("SELECT to_regclass('khuyenhoc_schema') IS NOT NULL", &[])
        .await?
        .get(0);
    if !ours {
        let tables: i64 = tx
            .query_one(
                "SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()",
                &[],
            )
            .await?
            .get(0);
        if tables > 0 {
            return Err(StorageError::NotServerDatabase(target.to_owned()));
        }
        tx.batch_execute(
            "CREATE TABLE khuyenhoc_schema (
                 version    bigint PRIMARY KEY,
                 name       text NOT NULL,
                 applied_at timestamptz NOT NULL DEFAULT now()
             )",
        )
        .await?;
    }
    let current: i64 = tx
        .query_one(
            "SELECT coalesce(max(version), 0) FROM khuyenhoc_schema",
            &[],
        )
        .await?
        .get(0);
    if current > LATEST_SCHEMA {
        return Err(StorageError::TooNew {
            found: current,
            known: LATEST_SCHEMA,
        });
    }
    for (version, name, sql) in STEPS.iter().filter(|(v, _, _)| *v > current) {
        tx.batch_execute(sql).await?;
        tx.execute(
            "INSERT INTO khuyenhoc_schema (version, name) VALUES ($1, $2)",
            &[version, name],
        )
        .await?;
        tracing::info!(version, name, "database migrated");
    }
    // The epoch is made once, by whichever server creates the database.
    tx.execute(
        "INSERT INTO server_meta (key, value) VALUES ('epoch', $1) ON CONFLICT (key) DO NOTHING",
        &[&Uuid::now_v7().to_string()],
    )
    .await?;
    let epoch: String = tx
        .query_one("SELECT value FROM server_meta WHERE key = 'epoch'", &[])
        .await?
        .get(0);
    tx.commit().await?;
    Uuid::parse_str(&epoch).map_err(|e| StorageError::Database(Box::new(e)))
}

async fn unit_by_code(
    client: &impl deadpool_postgres::GenericClient,
    code: &str,
) -> StorageResult<Option<OrgUnit>> {
    Ok(client
        .query_opt(
            &format!("SELECT {UNIT_COLS} FROM org_units WHERE org_code = $1"),
            &[&code],
        )
        .await?
        .as_ref()
        .map(unit_row))
}

#[async_trait]
impl ServerStorage for PostgresStorage {
    fn epoch(&self) -> Uuid {
        self.epoch
    }

    async fn add_unit(&self, unit: NewOrgUnit) -> StorageResult<OrgUnit> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let parent_id = match &unit.parent_code {
            Some(code) => Some(
                unit_by_code(&tx, code)
                    .await?
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
            "INSERT INTO org_units (id, org_code, name, parent_id, created_at)
             VALUES ($1, $2, $3, $4, $5)",
            &[
                &new.id,
                &new.org_code,
                &new.name,
                &new.parent_id,
                &Timestamp::now(),
            ],
        )
        .await
        .map_err(|e| {
            if violates(&e, "org_units_org_code_key") {
                StorageError::UnitCodeExists(new.org_code.clone())
            } else {
                e.into()
            }
        })?;
        tx.commit().await?;
        Ok(new)
    }

    async fn list_units(&self) -> StorageResult<Vec<OrgUnit>> {
        let client = self.client().await?;
        let rows = client
            .query(
                &format!("SELECT {UNIT_COLS} FROM org_units ORDER BY org_code COLLATE \"C\""),
                &[],
            )
            .await?;
        Ok(rows.iter().map(unit_row).collect())
    }

    async fn unit_by_code(&self, org_code: &str) -> StorageResult<Option<OrgUnit>> {
        let client = self.client().await?;
        unit_by_code(&client, org_code).await
    }

    async fn is_within(&self, unit: Uuid, ancestor: Uuid) -> StorageResult<bool> {
        let client = self.client().await?;
        // Walk up from `unit`; UNION (not UNION ALL) stops on a cycle.
        Ok(client
            .query_one(
                "WITH RECURSIVE up(id) AS (
                     SELECT $1::uuid
                     UNION
                     SELECT o.parent_id FROM org_units o JOIN up ON o.id = up.id
                     WHERE o.parent_id IS NOT NULL
                 )
                 SELECT EXISTS (SELECT 1 FROM up WHERE id = $2)
                    AND EXISTS (SELECT 1 FROM org_units WHERE id = $1)",
                &[&unit, &ancestor],
            )
            .await?
            .get(0))
    }

    async fn create_enrollment_code(&self, code: NewEnrollmentCode) -> StorageResult<()> {
        let client = self.client().await?;
        client
            .execute(
                "INSERT INTO enrollment_codes (code_hash, unit_id, created_at, expires_at)
                 VALUES ($1, $2, $3, $4)",
                &[
                    &code.code_hash.as_slice(),
                    &code.unit_id,
                    &code.created_at,
                    &code.expires_at,
                ],
            )
            .await?;
        Ok(())
    }

    async fn enroll(&self, e: Enrollment) -> StorageResult<OrgUnit> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        // FOR UPDATE: of laptops racing with one code, the others wait here and then see it
        // used.
        let code = tx
            .query_opt(
                "SELECT unit_id, expires_at, used_at FROM enrollment_codes
                 WHERE code_hash = $1 FOR UPDATE",
                &[&e.code_hash.as_slice()],
            )
            .await?;
        let Some(code) = code else {
            return Err(StorageError::CodeInvalid);
        };
        let unit_id: Uuid = code.get(0);
        let expires_at: Timestamp = code.get(1);
        let used_at: Option<Timestamp> = code.get(2);
        if used_at.is_some() {
            return Err(StorageError::CodeUsed);
        }
        if expires_at <= e.now {
            return Err(StorageError::CodeExpired);
        }
        let unit = tx
            .query_one(
                &format!("SELECT {UNIT_COLS} FROM org_units WHERE id = $1"),
                &[&unit_id],
            )
            .await?;
        let unit = unit_row(&unit);
        super::check_unit_code(e.org_code.as_deref(), &unit)?;
        let existing = tx
            .query_opt(
                "SELECT unit_id, revoked_at, token_used_at FROM devices WHERE id = $1 FOR UPDATE",
                &[&e.device_id],
            )
            .await?;
        match existing {
            None => {
                tx.execute(
                    "INSERT INTO devices (id, unit_id, name, public_key, token_hash,
                                          enrolled_at, token_used_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $6)",
                    &[
                        &e.device_id,
                        &unit_id,
                        &e.device_name,
                        &e.public_key.as_slice(),
                        &e.token_hash.as_slice(),
                        &e.now,
                    ],
                )
                .await
                .map_err(|err| {
                    // The same new device enrolling twice at once, with two codes.
                    if violates(&err, "devices_pkey") {
                        StorageError::DeviceExists(e.device_id)
                    } else {
                        err.into()
                    }
                })?;
            }
            Some(row) => {
                let device_unit: Uuid = row.get(0);
                let revoked_at: Option<Timestamp> = row.get(1);
                let used: Timestamp = row.get(2);
                let expired = e.token_expired_before.is_some_and(|t| used < t);
                if device_unit != unit_id || revoked_at.is_some() || !expired {
                    return Err(StorageError::DeviceExists(e.device_id));
                }
                tx.execute(
                    "UPDATE devices SET name = $1, public_key = $2, token_hash = $3,
                                        token_used_at = $4
                     WHERE id = $5",
                    &[
                        &e.device_name,
                        &e.public_key.as_slice(),
                        &e.token_hash.as_slice(),
                        &e.now,
                        &e.device_id,
                    ],
                )
                .await?;
            }
        }
        let changed = tx
            .execute(
                "UPDATE enrollment_codes SET used_at = $1, used_by_device = $2
                 WHERE code_hash = $3 AND used_at IS NULL",
                &[&e.now, &e.device_id, &e.code_hash.as_slice()],
            )
            .await?;
        if changed != 1 {
            return Err(StorageError::CodeUsed);
        }
        tx.commit().await?;
        Ok(unit)
    }

    async fn device_by_token(&self, token_hash: [u8; 32]) -> StorageResult<Option<TokenOwner>> {
        let client = self.client().await?;
        let row = client
            .query_opt(
                "SELECT d.id AS device_id, d.name AS device_name, d.token_used_at,
                        u.id, u.org_code, u.name, u.parent_id
                 FROM devices d JOIN org_units u ON u.id = d.unit_id
                 WHERE d.token_hash = $1 AND d.revoked_at IS NULL",
                &[&token_hash.as_slice()],
            )
            .await?;
        Ok(row.map(|r| TokenOwner {
            device: AuthenticatedDevice {
                device_id: r.get("device_id"),
                device_name: r.get("device_name"),
                unit: unit_row(&r),
            },
            token_used_at: r.get("token_used_at"),
        }))
    }

    async fn touch_token(&self, device_id: Uuid, now: Timestamp) -> StorageResult<()> {
        self.client()
            .await?
            .execute(
                "UPDATE devices SET token_used_at = $1 WHERE id = $2 AND token_used_at < $1",
                &[&now, &device_id],
            )
            .await?;
        Ok(())
    }

    async fn device_key(
        &self,
        device_id: Uuid,
    ) -> StorageResult<Option<(AuthenticatedDevice, [u8; 32])>> {
        let client = self.client().await?;
        let row = client
            .query_opt(
                "SELECT d.id AS device_id, d.name AS device_name, d.public_key,
                        u.id, u.org_code, u.name, u.parent_id
                 FROM devices d JOIN org_units u ON u.id = d.unit_id
                 WHERE d.id = $1 AND d.revoked_at IS NULL",
                &[&device_id],
            )
            .await?;
        Ok(row.and_then(|r| {
            let key: Vec<u8> = r.get("public_key");
            Some((
                AuthenticatedDevice {
                    device_id: r.get("device_id"),
                    device_name: r.get("device_name"),
                    unit: unit_row(&r),
                },
                key.try_into().ok()?,
            ))
        }))
    }

    async fn renew_epoch(&self) -> StorageResult<Uuid> {
        let epoch = Uuid::now_v7();
        self.client()
            .await?
            .execute(
                "UPDATE server_meta SET value = $1 WHERE key = 'epoch'",
                &[&epoch.to_string()],
            )
            .await?;
        Ok(epoch)
    }

    async fn list_devices(&self) -> StorageResult<Vec<Device>> {
        let client = self.client().await?;
        let rows = client
            .query(
                "SELECT d.id, d.name, d.unit_id, u.org_code, d.enrolled_at, d.revoked_at,
                        d.token_used_at, p.pull_cursor
                 FROM devices d JOIN org_units u ON u.id = d.unit_id
                 LEFT JOIN device_pulls p ON p.device_id = d.id
                 ORDER BY d.enrolled_at, d.id",
                &[],
            )
            .await?;
        Ok(rows
            .iter()
            .map(|r| Device {
                id: r.get(0),
                name: r.get(1),
                unit_id: r.get(2),
                unit_code: r.get(3),
                enrolled_at: r.get(4),
                revoked_at: r.get(5),
                last_seen_at: r.get(6),
                pulled_through: r.get(7),
            })
            .collect())
    }

    async fn revoke_device(&self, device_id: Uuid, now: Timestamp) -> StorageResult<()> {
        let client = self.client().await?;
        let exists: bool = client
            .query_one(
                "SELECT EXISTS (SELECT 1 FROM devices WHERE id = $1)",
                &[&device_id],
            )
            .await?
            .get(0);
        if !exists {
            return Err(StorageError::DeviceNotFound(device_id));
        }
        client
            .execute(
                "UPDATE devices SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL",
                &[&now, &device_id],
            )
            .await?;
        Ok(())
    }

    async fn push(
        &self,
        device: AuthenticatedDevice,
        ops: Vec<khuyenhoc_sync_protocol::Op>,
        now: Timestamp,
    ) -> StorageResult<PushAnswer> {
        let mut client = self.client().await?;
        super::postgres_sync::push(&mut client, &device, &ops, now).await
    }

    async fn pull(
        &self,
        device: AuthenticatedDevice,
        cursor: i64,
        limit: u32,
        now: Timestamp,
    ) -> StorageResult<PullAnswer> {
        let mut client = self.client().await?;
        super::postgres_sync::pull(&mut client, &device, cursor, limit, now).await
    }

    async fn purge(&self, horizon: SignedDuration, now: Timestamp) -> StorageResult<PurgeReport> {
        let mut client = self.client().await?;
        super::postgres_purge::purge(&mut client, now, horizon).await
    }
}
