//! What sync leaves for a person: conflicts (two officers changed one field; the value kept
//! everywhere and the one that lost) and ops the server refused (parked, with its reason).
//! Choosing the value that lost is a new edit, sent like any other; dismissing a refused op
//! lets the later changes of its record go.

use rusqlite::{OptionalExtension, params};
use serde::Serialize;
use serde_json::Value;

use khuyenhoc_domain::Permission;

use crate::error::{Result, StoreError};
use crate::open::Store;
use crate::remote::{ApplyReport, Incoming, Take, apply_row, table_of};
use crate::write::{FieldChange, WriteTx, field_version, parse_versions};

/// A conflict waiting for a person.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SyncConflict {
    pub id: i64,
    pub entity: String,
    pub row_id: String,
    pub field: String,
    /// The value every laptop holds now.
    pub kept: Value,
    /// The value that lost (an officer's edit made at the same time).
    pub lost: Value,
    pub detected_ms: i64,
}

/// An op the server refused, waiting for a person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ParkedOp {
    pub op_id: String,
    pub entity: String,
    pub row_id: String,
    /// What the change was, e.g. `member.update` (empty when the op is gone from the outbox).
    pub intent: String,
    pub code: String,
    /// The server's reason, in plain words.
    pub reason: String,
    pub parked_ms: i64,
}

/// Writes `fields` of one row as a local edit: each takes a fresh version, based on the one it
/// replaces, and one outbox op carries them all.
pub(crate) fn write_fields(
    w: &mut WriteTx<'_>,
    entity: &str,
    row_id: &str,
    fields: &[(&str, Value)],
) -> Result<()> {
    let table = table_of(entity)?;
    let (versions, created): (String, String) =
        w.tx.query_row(
            &format!(
                "SELECT versions, created_version FROM {} WHERE id = ?1",
                table.table
            ),
            [row_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?
        .ok_or_else(|| not_found("record", row_id))?;
    let versions = parse_versions(&versions);
    let stamp = w.stamp();
    let author = w.author().to_owned();
    let mut changes = Vec::new();
    let mut incoming = Vec::new();
    for (name, value) in fields {
        let field = *table
            .fields
            .iter()
            .find(|f| *f == name)
            .ok_or_else(|| not_found("field", name))?;
        let base = field_version(&versions, &created, field);
        changes.push(FieldChange::new(field, value.clone(), Some(base)));
        incoming.push(Incoming {
            field,
            value,
            version: &stamp,
        });
    }
    apply_row(
        &w.tx,
        table,
        row_id,
        &incoming,
        &author,
        Take::Force,
        &mut ApplyReport::default(),
    )?;
    w.record(
        entity,
        row_id,
        &format!("{entity}.update"),
        &changes,
        &stamp,
    )
}

/// Who may change a record of `entity` (the same rule as a direct edit).
fn permission_for(entity: &str) -> Permission {
    match entity {
        "org_unit" | "unit_denominator" | "org_unit_event" => Permission::EditUnits,
        "officer" => Permission::ManageOfficers,
        _ => Permission::EditMembers,
    }
}

fn not_found(entity: &'static str, reference: impl ToString) -> StoreError {
    StoreError::NotFound {
        entity,
        reference: reference.to_string(),
    }
}

impl Store {
    /// Conflicts no one has dealt with yet, newest first.
    pub fn sync_conflicts(&self) -> Result<Vec<SyncConflict>> {
        self.require(Permission::ReadMembers)?;
        let mut stmt = self.conn.prepare(
            "SELECT id, entity, row_id, field, kept_value, lost_value, detected_ms
             FROM sync_conflicts WHERE resolved = 0 ORDER BY detected_ms DESC, id DESC",
        )?;
        let rows = stmt
            .query_map([], |r| {
                let json = |i: usize| -> rusqlite::Result<Value> {
                    Ok(serde_json::from_str(&r.get::<_, String>(i)?).unwrap_or(Value::Null))
                };
                Ok(SyncConflict {
                    id: r.get(0)?,
                    entity: r.get(1)?,
                    row_id: r.get(2)?,
                    field: r.get(3)?,
                    kept: json(4)?,
                    lost: json(5)?,
                    detected_ms: r.get(6)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }

    /// Ops the server refused that no one has dealt with yet, oldest first.
    pub fn parked_ops(&self) -> Result<Vec<ParkedOp>> {
        self.require(Permission::ReadMembers)?;
        let mut stmt = self.conn.prepare(
            "SELECT p.op_id, p.entity, p.row_id, coalesce(o.intent, ''), p.code, p.reason, p.parked_ms
             FROM parked_ops p LEFT JOIN outbox o ON o.op_id = p.op_id
             WHERE p.resolved = 0 ORDER BY p.parked_ms, p.device_seq",
        )?;
        let rows = stmt
            .query_map([], |r| {
                Ok(ParkedOp {
                    op_id: r.get(0)?,
                    entity: r.get(1)?,
                    row_id: r.get(2)?,
                    intent: r.get(3)?,
                    code: r.get(4)?,
                    reason: r.get(5)?,
                    parked_ms: r.get(6)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }

    /// What an officer calls a record under review: a member's or a unit's name, also when the
    /// record is hidden here (a new member the server refused), else the name the laptop's own
    /// changes gave it; `None` for other kinds (the caller shows a short id).
    pub fn record_name(&self, entity: &str, row_id: &str) -> Result<Option<String>> {
        let (table, column) = match entity {
            "member" => ("members", "full_name"),
            "org_unit" => ("org_units", "name"),
            _ => return Ok(None),
        };
        let kept: Option<String> = self
            .conn
            .query_row(
                &format!("SELECT {column} FROM {table} WHERE id = ?1"),
                [row_id],
                |r| r.get(0),
            )
            .optional()?;
        if let Some(name) = kept.filter(|n| !n.trim().is_empty()) {
            return Ok(Some(name));
        }
        let path = format!("$.{column}");
        Ok(self
            .conn
            .query_row(
                "SELECT json_extract(fields, ?3) FROM outbox
                 WHERE entity = ?1 AND row_id = ?2 AND json_type(fields, ?3) = 'text'
                 ORDER BY device_seq DESC LIMIT 1",
                params![entity, row_id, path],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// Settles a conflict: keeps the value every laptop holds, or (`use_lost`) writes the value
    /// that lost as a new edit, which is then synced like any other. One transaction.
    pub fn resolve_conflict(&mut self, id: i64, use_lost: bool) -> Result<()> {
        let (entity, row_id, field, lost): (String, String, String, String) = self
            .conn
            .query_row(
                "SELECT entity, row_id, field, lost_value FROM sync_conflicts
                 WHERE id = ?1 AND resolved = 0",
                [id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .optional()?
            .ok_or_else(|| not_found("sync_conflict", id))?;
        let mut w = WriteTx::begin(self, permission_for(&entity))?;
        if use_lost {
            let value: Value = serde_json::from_str(&lost).unwrap_or(Value::Null);
            write_fields(&mut w, &entity, &row_id, &[(field.as_str(), value)])?;
        }
        w.tx.execute("UPDATE sync_conflicts SET resolved = 1 WHERE id = ?1", [id])?;
        w.commit()
    }

    /// Dismisses a refused op (its effect was already undone): the later changes of its
    /// record, held back behind it, go with the next sync.
    pub fn dismiss_parked_op(&mut self, op_id: &str) -> Result<()> {
        let entity: String = self
            .conn
            .query_row(
                "SELECT entity FROM parked_ops WHERE op_id = ?1 AND resolved = 0",
                [op_id],
                |r| r.get(0),
            )
            .optional()?
            .ok_or_else(|| not_found("parked_op", op_id))?;
        let w = WriteTx::begin(self, permission_for(&entity))?;
        w.tx.execute(
            "UPDATE parked_ops SET resolved = 1 WHERE op_id = ?1",
            params![op_id],
        )?;
        w.commit()
    }
}
