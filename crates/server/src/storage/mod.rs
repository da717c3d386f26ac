//! What the server keeps, behind one async trait with one implementation per database
//! (Atuin's shape): [`sqlite::SqliteStorage`] (one file, the default) and
//! [`postgres::PostgresStorage`] (one PostgreSQL database, shared by any number of stateless
//! servers). Both pass the same tests; the rules of push and pull that do not depend on the
//! database are written once, in `sync_rules`, and those of the tombstone purge in [`purge`].
//! Handlers and admin commands only see [`ServerStorage`]; [`open`] picks the implementation
//! from a [`Database`].
//!
//! The storage layer takes hashes, never plain tokens or enrollment codes: hashing and
//! generating secrets is the caller's job ([`crate::auth`], [`crate::admin`]).

pub mod postgres;
mod postgres_purge;
mod postgres_push;
mod postgres_sync;
pub mod purge;
mod scopes;
pub mod sqlite;
mod sqlite_purge;
mod sqlite_sync;
mod successors;
mod sync_rules;

pub use purge::{DEFAULT_HORIZON_DAYS, PurgeReport};

use std::sync::Arc;

use crate::config::Database;

use async_trait::async_trait;
use jiff::{SignedDuration, Timestamp};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

/// A node of the association's tree (province, commune, branch…).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct OrgUnit {
    pub id: Uuid,
    /// The official code, e.g. the commune code `26734`; unique on the server.
    pub org_code: String,
    pub name: String,
    pub parent_id: Option<Uuid>,
}

/// A new org unit, placed under the unit with `parent_code` (or at the top).
#[derive(Debug, Clone)]
pub struct NewOrgUnit {
    pub org_code: String,
    pub name: String,
    pub parent_code: Option<String>,
}

/// A one-time enrollment code as stored: its hash, unit and expiry.
#[derive(Debug, Clone)]
pub struct NewEnrollmentCode {
    pub code_hash: [u8; 32],
    pub unit_id: Uuid,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
}

/// Everything enrollment writes, in one transaction.
#[derive(Debug, Clone)]
pub struct Enrollment {
    pub code_hash: [u8; 32],
    pub device_id: Uuid,
    pub device_name: String,
    pub public_key: [u8; 32],
    pub token_hash: [u8; 32],
    pub now: Timestamp,
    /// The official code of the unit the laptop was set up for, when it has one: the code's
    /// unit must have it (a commune set up offline binds to its own commune, never another).
    pub org_code: Option<String>,
    /// A device already enrolled under this id, not revoked, of the code's unit, whose token
    /// was last used before this time (its token has expired, see [`crate::token_life`]) is
    /// enrolled again: it gets the new token and key and keeps its id, sequences and pull
    /// progress. `None`, or any other existing device: [`StorageError::DeviceExists`].
    pub token_expired_before: Option<Timestamp>,
}

/// Refuses an enrollment whose laptop was set up for another unit than the code's
/// ([`Enrollment::org_code`]), before the code is used up.
fn check_unit_code(expected: Option<&str>, unit: &OrgUnit) -> StorageResult<()> {
    match expected.map(str::trim).filter(|c| !c.is_empty()) {
        Some(code) if code != unit.org_code => Err(StorageError::UnitMismatch {
            laptop_code: code.to_owned(),
            unit_code: unit.org_code.clone(),
            unit_name: unit.name.clone(),
        }),
        _ => Ok(()),
    }
}

/// An enrolled device, as the admin sees it (`admin device list`): which laptops have gone
/// quiet, and how far each has pulled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Device {
    pub id: Uuid,
    pub name: String,
    pub unit_id: Uuid,
    pub unit_code: String,
    pub enrolled_at: Timestamp,
    pub revoked_at: Option<Timestamp>,
    /// When the server last heard from the device: the last use of its token as written down
    /// (`devices.token_used_at`), **accurate to the hour** (a use is written at most once an
    /// hour, see [`crate::token_life`]). Enrolling (again) counts as a use, so a device that
    /// never synced shows when it enrolled; requests refused (revoked or expired token) do not
    /// count. A device enrolled before server schema 7 that has not synced since shows the
    /// upgrade's time.
    pub last_seen_at: Timestamp,
    /// The cursor of the device's last pull: every change up to this version had reached it
    /// then (the page that pull answered may have taken it further, which its next pull tells).
    /// Exact, not hourly: it is written whenever it moves. 0 after a pull from zero (a new
    /// laptop, a restored server, `cursor_purged`); `None` when the device never pulled.
    pub pulled_through: Option<i64>,
}

/// The device behind a valid (known, not revoked) bearer token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthenticatedDevice {
    pub device_id: Uuid,
    pub device_name: String,
    pub unit: OrgUnit,
}

/// The device a bearer token belongs to (not revoked), and when the token was last used as
/// the server wrote it down (at most once an hour, see [`crate::token_life`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenOwner {
    pub device: AuthenticatedDevice,
    pub token_used_at: Timestamp,
}

/// What a push did: one result per op, and the highest device sequence now held.
#[derive(Debug, Clone, PartialEq)]
pub struct PushAnswer {
    pub results: Vec<khuyenhoc_sync_protocol::OpResult>,
    pub high_water: i64,
}

/// One page of changes for a device, and where the next page starts.
#[derive(Debug, Clone, PartialEq)]
pub struct PullAnswer {
    pub changes: Vec<khuyenhoc_sync_protocol::Change>,
    pub cursor: i64,
    pub more: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// Another op already came under this device sequence: nothing of the push is applied.
    #[error("device sequence {0} was already used by another op")]
    SequenceReused(i64),
    /// A pull after a cursor below the purge point, from a device that may hold purged rows:
    /// it must pull again from zero (see [`purge`]).
    #[error("cursor {cursor} lies below the purge point {purged_through}")]
    CursorPurged { cursor: i64, purged_through: i64 },
    #[error("an org unit with code {0} already exists")]
    UnitCodeExists(String),
    #[error("no org unit with code {0}")]
    UnitNotFound(String),
    #[error("enrollment code unknown")]
    CodeInvalid,
    #[error("enrollment code expired")]
    CodeExpired,
    #[error("enrollment code already used")]
    CodeUsed,
    #[error("device {0} is already enrolled")]
    DeviceExists(Uuid),
    /// The laptop was set up for the unit `laptop_code`; the code is for another one.
    #[error("the laptop's unit code {laptop_code} is not the code's unit {unit_code}")]
    UnitMismatch {
        laptop_code: String,
        unit_code: String,
        unit_name: String,
    },
    #[error("no device {0}")]
    DeviceNotFound(Uuid),
    #[error(
        "the database was written by a newer server (schema {found}, this build knows {known})"
    )]
    TooNew { found: i64, known: i64 },
    #[error("{0} is not a khuyenhoc server database")]
    NotServerDatabase(String),
    /// The database server cannot be reached (or refused the login): said plainly, without
    /// the password of the URL.
    #[error("cannot connect to the database {target}: {reason}")]
    Unreachable { target: String, reason: String },
    #[error("database error")]
    Database(#[source] Box<dyn std::error::Error + Send + Sync>),
}

pub type StorageResult<T> = Result<T, StorageError>;

/// Opens (creating and migrating it if needed) the server database `db`: a SQLite file, or a
/// PostgreSQL database.
pub async fn open(db: &Database) -> StorageResult<Arc<dyn ServerStorage>> {
    Ok(match db {
        Database::Sqlite(path) => Arc::new(sqlite::SqliteStorage::open(path).await?),
        Database::Postgres(url) => Arc::new(postgres::PostgresStorage::open(url).await?),
    })
}

/// The server's storage. Every method is one transaction.
#[async_trait]
pub trait ServerStorage: Send + Sync + 'static {
    /// The UUID made when this database was created (or renewed after a restore), read when
    /// the storage is opened.
    fn epoch(&self) -> Uuid;

    /// Gives the database a new epoch, after it was restored from a backup: laptops then pull
    /// from zero and push again what the backup lacked. Servers read it when they start.
    async fn renew_epoch(&self) -> StorageResult<Uuid>;

    async fn add_unit(&self, unit: NewOrgUnit) -> StorageResult<OrgUnit>;
    async fn list_units(&self) -> StorageResult<Vec<OrgUnit>>;
    async fn unit_by_code(&self, org_code: &str) -> StorageResult<Option<OrgUnit>>;
    /// Whether `unit` is `ancestor` or lies in its subtree: the authority rule of later pushes
    /// and pulls (a commune's device sees its commune and what is below it).
    async fn is_within(&self, unit: Uuid, ancestor: Uuid) -> StorageResult<bool>;

    async fn create_enrollment_code(&self, code: NewEnrollmentCode) -> StorageResult<()>;
    /// Consumes the code, registers the device and stores its token hash, all or nothing.
    /// Returns the device's unit.
    async fn enroll(&self, enrollment: Enrollment) -> StorageResult<OrgUnit>;

    /// The device behind a token, unless unknown or revoked; whether it has expired is the
    /// caller's to judge ([`crate::auth::AuthDevice`]), so this only reads.
    async fn device_by_token(&self, token_hash: [u8; 32]) -> StorageResult<Option<TokenOwner>>;
    /// Writes down that the device's token was used at `now` (never moving it back).
    async fn touch_token(&self, device_id: Uuid, now: Timestamp) -> StorageResult<()>;
    /// A device that is not revoked, with the Ed25519 public key it registered: who signed a
    /// batch of ops carried by another device.
    async fn device_key(
        &self,
        device_id: Uuid,
    ) -> StorageResult<Option<(AuthenticatedDevice, [u8; 32])>>;
    async fn list_devices(&self) -> StorageResult<Vec<Device>>;
    /// Revokes a device's token; revoking twice keeps the first time.
    async fn revoke_device(&self, device_id: Uuid, now: Timestamp) -> StorageResult<()>;

    /// Applies a device's ops in one transaction (see `sqlite_sync`, `postgres_sync` and
    /// `sync_rules` for the rules).
    async fn push(
        &self,
        device: AuthenticatedDevice,
        ops: Vec<khuyenhoc_sync_protocol::Op>,
        now: Timestamp,
    ) -> StorageResult<PushAnswer>;

    /// The changes after `cursor` in the device's subtree, at most `limit`. Records how far the
    /// device has pulled, and when (`now`), for the purge; a cursor below the purge point from
    /// a device that may hold purged rows is refused ([`StorageError::CursorPurged`]).
    async fn pull(
        &self,
        device: AuthenticatedDevice,
        cursor: i64,
        limit: u32,
        now: Timestamp,
    ) -> StorageResult<PullAnswer>;

    /// Purges the tombstones every device active at `now` (not revoked, pulled within
    /// `horizon`) has pulled past (see [`purge`]).
    async fn purge(&self, horizon: SignedDuration, now: Timestamp) -> StorageResult<PurgeReport>;
}
