//! The SQL migrations in `migrations/`, embedded in the binary. The schema number is SQLite's
//! `user_version`; ops in the outbox carry their own format number (see [`crate::OP_FORMAT`]).

use rusqlite_migration::{M, Migrations};

const STEPS: &[M<'static>] = &[
    M::up(include_str!("../../../migrations/0001_local_state.sql")),
    M::up(include_str!("../../../migrations/0002_org_units.sql")),
    M::up(include_str!("../../../migrations/0003_members.sql")),
    M::up(include_str!("../../../migrations/0004_officers.sql")),
    M::up(include_str!("../../../migrations/0005_member_counts.sql")),
    M::up(include_str!("../../../migrations/0006_sync_state.sql")),
    M::up(include_str!("../../../migrations/0007_sync_upkeep.sql")),
    M::up(include_str!(
        "../../../migrations/0008_sync_rebootstrap.sql"
    )),
];

/// The newest schema this build knows.
pub const LATEST_SCHEMA: i64 = STEPS.len() as i64;

pub fn migrations() -> Migrations<'static> {
    Migrations::from_slice(STEPS)
}

#[cfg(test)]
mod tests {
    #[test]
    fn migrations_are_valid() {
        super::migrations().validate().unwrap();
    }
}
