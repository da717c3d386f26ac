//! Administration of a server database, used by the `khuyenhoc-server admin` commands (and by
//! tests): org units, enrollment codes, devices, the tombstone purge. The plain enrollment code exists only in the
//! value [`Admin::create_code`] returns; the database keeps its hash.

use std::sync::Arc;

use jiff::{SignedDuration, Timestamp};
use uuid::Uuid;

use crate::auth;
use crate::config::Database;
use crate::storage::{
    Device, NewEnrollmentCode, NewOrgUnit, OrgUnit, PurgeReport, ServerStorage, StorageError,
    postgres::PostgresStorage, sqlite::SqliteStorage,
};

#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Storage(#[from] StorageError),
}

pub type AdminResult<T> = Result<T, AdminError>;

/// A freshly made enrollment code: show `code` once, it cannot be read back.
#[derive(Debug, Clone)]
pub struct IssuedCode {
    pub code: String,
    pub unit: OrgUnit,
    pub expires_at: Timestamp,
}

pub struct Admin {
    storage: Arc<dyn ServerStorage>,
}

impl Admin {
    pub fn new(storage: Arc<dyn ServerStorage>) -> Self {
        Self { storage }
    }

    /// Opens (creating or migrating it if needed) the server database `db`, as `--db` takes
    /// it: a `postgres://` URL for PostgreSQL, else a SQLite file path.
    pub async fn open(db: &str) -> AdminResult<Self> {
        Self::open_database(&Database::parse(db)).await
    }

    /// [`Self::open`] with the database already read. An administrator's PostgreSQL pool is
    /// small: one command at a time.
    pub async fn open_database(db: &Database) -> AdminResult<Self> {
        Ok(Self::new(match db {
            Database::Sqlite(path) => Arc::new(SqliteStorage::open(path).await?),
            Database::Postgres(url) => Arc::new(PostgresStorage::open_with_pool(url, 2).await?),
        }))
    }

    /// Opens (creating it if needed) a SQLite server database.
    pub async fn open_sqlite(path: &std::path::Path) -> AdminResult<Self> {
        Ok(Self::new(Arc::new(SqliteStorage::open(path).await?)))
    }

    pub fn epoch(&self) -> Uuid {
        self.storage.epoch()
    }

    pub async fn add_unit(
        &self,
        org_code: &str,
        name: &str,
        parent_code: Option<&str>,
    ) -> AdminResult<OrgUnit> {
        let org_code = org_code.trim();
        let name = name.trim();
        if org_code.is_empty()
            || org_code
                .chars()
                .any(|c| c.is_whitespace() || c.is_control())
        {
            return Err(AdminError::Invalid(format!(
                "org code must be non-empty without spaces: {org_code:?}"
            )));
        }
        if name.is_empty() {
            return Err(AdminError::Invalid("name must not be empty".into()));
        }
        Ok(self
            .storage
            .add_unit(NewOrgUnit {
                org_code: org_code.into(),
                name: name.into(),
                parent_code: parent_code.map(|p| p.trim().to_owned()),
            })
            .await?)
    }

    pub async fn list_units(&self) -> AdminResult<Vec<OrgUnit>> {
        Ok(self.storage.list_units().await?)
    }

    /// Makes a one-time code for the unit `unit_code`, valid for `valid_for` from now. A
    /// negative duration makes an already expired code (for tests).
    pub async fn create_code(
        &self,
        unit_code: &str,
        valid_for: SignedDuration,
    ) -> AdminResult<IssuedCode> {
        let unit = self
            .storage
            .unit_by_code(unit_code.trim())
            .await?
            .ok_or_else(|| StorageError::UnitNotFound(unit_code.into()))?;
        let now = Timestamp::now();
        let expires_at = now
            .checked_add(valid_for)
            .map_err(|e| AdminError::Invalid(format!("validity out of range: {e}")))?;
        let code = auth::new_enrollment_code();
        self.storage
            .create_enrollment_code(NewEnrollmentCode {
                code_hash: auth::code_hash(&code),
                unit_id: unit.id,
                created_at: now,
                expires_at,
            })
            .await?;
        Ok(IssuedCode {
            code,
            unit,
            expires_at,
        })
    }

    /// Every device, oldest enrollment first, with when it was last seen (to the hour) and how
    /// far it has pulled (see [`Device`]).
    pub async fn list_devices(&self) -> AdminResult<Vec<Device>> {
        Ok(self.storage.list_devices().await?)
    }

    pub async fn revoke_device(&self, device_id: Uuid) -> AdminResult<()> {
        Ok(self
            .storage
            .revoke_device(device_id, Timestamp::now())
            .await?)
    }

    /// After the database was restored from a backup (and before servers start on it): a new
    /// epoch, so every laptop pulls from zero and pushes again what the backup lacked.
    pub async fn renew_epoch(&self) -> AdminResult<Uuid> {
        Ok(self.storage.renew_epoch().await?)
    }

    /// Applies a device's signed batch brought on a USB stick (see [`crate::relay`]); returns
    /// how many of its ops were new to the server.
    pub async fn import_batch(
        &self,
        batch: &khuyenhoc_sync_protocol::SignedBatch,
    ) -> AdminResult<usize> {
        let answer = crate::relay::apply_batch(self.storage.as_ref(), batch)
            .await
            .map_err(|e| AdminError::Invalid(e.to_string()))?;
        Ok(answer
            .results
            .iter()
            .filter(|r| !matches!(r.outcome, khuyenhoc_sync_protocol::OpOutcome::Duplicate))
            .count())
    }

    /// Purges the tombstones (deleted records) every active device has pulled past; a device
    /// revoked, or silent for more than `horizon_days`, does not hold the purge back (it pulls
    /// again from zero when it comes back). See [`crate::storage::purge`].
    pub async fn purge(&self, horizon_days: u32) -> AdminResult<PurgeReport> {
        let horizon = SignedDuration::from_hours(24 * i64::from(horizon_days));
        Ok(self.storage.purge(horizon, Timestamp::now()).await?)
    }

    /// Whether `unit` is `ancestor` or below it.
    pub async fn is_within(&self, unit: Uuid, ancestor: Uuid) -> AdminResult<bool> {
        Ok(self.storage.is_within(unit, ancestor).await?)
    }
}
