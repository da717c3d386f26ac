//! The SQL migrations in `migrations/`, embedded in the binary. The schema number is SQLite's
//! `user_version`; ops in the outbox carry their own format number (see [`crate::OP_FORMAT`]).
//! A step that changes the op format upcasts the outbox in its own transaction (a hook run
//! after its SQL), so ops queued before an upgrade are sent in the new format. A step that
//! rebuilds a table (SQLite cannot drop a constraint in place) runs with foreign keys off and
//! checks them before it commits.

use std::collections::BTreeMap;

use rusqlite::Transaction;
use rusqlite_migration::{HookResult, M, Migrations};
use serde_json::Value;

use khuyenhoc_sync_protocol::{OP_FORMAT, upcast_fields};

/// The schema steps, oldest first.
fn steps() -> Vec<M<'static>> {
    vec![
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
        M::up_with_hook(
            include_str!("../../../migrations/0009_member_unit_field.sql"),
            upcast_outbox,
        ),
        M::up(include_str!(
            "../../../migrations/0010_unit_links_across_scopes.sql"
        ))
        .foreign_key_check(),
    ]
}

/// The newest schema this build knows.
pub const LATEST_SCHEMA: i64 = 10;

pub fn migrations() -> Migrations<'static> {
    Migrations::new(steps())
}

/// Every op in the outbox (waiting, or kept after it was acknowledged) in the current format:
/// its fields and their base versions renamed as the format says; op ids, sequences and
/// versions unchanged. A row whose fields cannot be read is left as it was (the server reads
/// the previous format too) rather than holding the whole upgrade back.
fn upcast_outbox(tx: &Transaction) -> HookResult {
    let mut read = tx.prepare(
        "SELECT rowid, op_format, entity, fields, bases FROM outbox WHERE op_format < ?1",
    )?;
    let mut write =
        tx.prepare("UPDATE outbox SET op_format = ?2, fields = ?3, bases = ?4 WHERE rowid = ?1")?;
    let mut rows = read.query([OP_FORMAT])?;
    while let Some(row) = rows.next()? {
        let rowid: i64 = row.get(0)?;
        let format: i64 = row.get(1)?;
        let entity: String = row.get(2)?;
        let fields: String = row.get(3)?;
        let bases: Option<String> = row.get(4)?;
        match upcast_row(format, &entity, &fields, bases.as_deref()) {
            Ok((fields, bases)) => {
                write.execute(rusqlite::params![rowid, OP_FORMAT, fields, bases])?;
            }
            Err(e) => tracing::warn!(rowid, error = %e, "an outbox row left in its format"),
        }
    }
    Ok(())
}

/// One outbox row's fields and bases (JSON objects by field name) in the current format.
fn upcast_row(
    format: i64,
    entity: &str,
    fields: &str,
    bases: Option<&str>,
) -> serde_json::Result<(String, Option<String>)> {
    let mut fields: BTreeMap<String, Value> = serde_json::from_str(fields)?;
    upcast_fields(format, entity, &mut fields);
    let bases = match bases {
        Some(text) => {
            let mut bases: BTreeMap<String, Value> = serde_json::from_str(text)?;
            upcast_fields(format, entity, &mut bases);
            Some(serde_json::to_string(&bases)?)
        }
        None => None,
    };
    Ok((serde_json::to_string(&fields)?, bases))
}

#[cfg(test)]
mod tests {
    #[test]
    fn migrations_are_valid() {
        super::migrations().validate().unwrap();
        assert_eq!(super::steps().len() as i64, super::LATEST_SCHEMA);
    }
}
