//! The local store of khuyenhoc: one SQLite file per laptop, opened in one place
//! ([`Store::open`]) that can take an encryption key. Every write is one `BEGIN IMMEDIATE`
//! transaction that also appends outbox ops for sync; changes from elsewhere are applied
//! without outbox ops ([`Store::apply_remote_ops`]).

mod backup;
mod connection;
mod duplicates;
mod error;
mod export;
mod import;
mod lock;
mod members;
mod migrations;
mod officers;
mod open;
mod org_units;
mod outbox;
mod paths;
mod relay;
mod remote;
mod search;
mod sync;
mod sync_rebootstrap;
mod sync_review;
mod sync_upkeep;
mod write;

pub use backup::{BackupInfo, RestoreReport, verify_backup};
pub use connection::{APPLICATION_ID, ConnectOptions};
pub use duplicates::{DuplicateGroup, DuplicateReason};
pub use error::{Result, StoreError};
pub use export::ExportOptions;
pub use import::{
    CommitOptions, ImportColumn, ImportOptions, ImportOutcome, ImportPreview, ImportRow, RowError,
};
pub use lock::{SyncTurn, lock_path};
pub use members::{CardClash, Dues, Member, StatusEvent};
pub use migrations::LATEST_SCHEMA;
pub use officers::{CommuneSetup, LOCKOUT_MS, MAX_PIN_FAILURES, Officer, SetupOutcome};
pub use open::{MigrationReport, OpenOptions, Store};
pub use org_units::{Denominator, OrgUnit, UnitEvent, UnitKind};
pub use outbox::{Op, OpField, OutboxStats};
pub use paths::{DB_ENV, database_path, default_database_path};
pub use relay::RelayBatch;
pub use remote::ApplyReport;
pub use search::{MemberCounts, MemberPage, MemberQuery};
pub use sync::{Enrollment, PullReport, PushReport, SERVER_EPOCH_CHANGED, SyncStatus};
pub use sync_review::{ParkedOp, SyncConflict};
pub use sync_upkeep::{
    CLOCK_WARNING_MS, DEFAULT_KEEP_ACKED_DAYS, KEEP_ACKED_DAYS, RestoredServer, SEQUENCE_BEHIND,
};
pub use write::{FieldChange, OP_FORMAT};

/// Test support: build a database at an older schema, as an older version of the app left it.
#[doc(hidden)]
pub fn create_at_schema(path: &std::path::Path, schema: usize) -> Result<()> {
    let mut conn = rusqlite::Connection::open(path)?;
    migrations::migrations().to_version(&mut conn, schema)?;
    conn.pragma_update(None, "application_id", APPLICATION_ID)?;
    Ok(())
}
