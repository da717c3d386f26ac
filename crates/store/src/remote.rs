//! Applying changes that come from elsewhere (the central server, another laptop) without
//! writing outbox ops. Field by field, a change wins when its version is newer than the
//! field's current version; the local clock advances past every version it sees. The sync
//! issue replaces the choice of winner with the shared pure merge function; the storage
//! side — no outbox, versions kept per field, derived columns rebuilt — stays here.

use rusqlite::types::Value as SqlValue;
use rusqlite::{OptionalExtension, params};
use serde::Serialize;
use serde_json::Value;

use khuyenhoc_domain::Hlc;
use khuyenhoc_domain::text::name_sort_key;

use crate::error::{Result, StoreError};
use crate::members::search_text;
use crate::open::Store;
use crate::outbox::Op;
use crate::write::{field_version, json_to_sql, now_ms, parse_versions};

pub(crate) struct EntityTable {
    pub entity: &'static str,
    pub table: &'static str,
    pub fields: &'static [&'static str],
    /// Insert-only history rows (no per-field versions).
    pub history: bool,
}

const TABLES: &[EntityTable] = &[
    EntityTable {
        entity: "member",
        table: "members",
        fields: &[
            "unit_id",
            "full_name",
            "gender",
            "birth",
            "phone",
            "address",
            "join_date",
            "card_number",
            "citizen_id",
            "note",
            "status",
            "status_date",
            "merged_into",
            "deleted",
        ],
        history: false,
    },
    EntityTable {
        entity: "org_unit",
        table: "org_units",
        fields: &[
            "parent_id",
            "kind",
            "name",
            "org_code",
            "valid_from",
            "valid_to",
            "merged_into",
            "deleted",
        ],
        history: false,
    },
    EntityTable {
        entity: "unit_denominator",
        table: "unit_denominators",
        fields: &["unit_id", "year", "kind", "value", "source", "deleted"],
        history: false,
    },
    EntityTable {
        entity: "member_dues",
        table: "member_dues",
        fields: &["member_id", "year", "amount", "paid_on", "deleted"],
        history: false,
    },
    EntityTable {
        entity: "officer",
        table: "officers",
        fields: &[
            "username",
            "full_name",
            "role",
            "pin_hash",
            "active",
            "deleted",
        ],
        history: false,
    },
    EntityTable {
        entity: "member_status_event",
        table: "member_status_events",
        fields: &["member_id", "status", "effective_date", "note"],
        history: true,
    },
    EntityTable {
        entity: "org_unit_event",
        table: "org_unit_events",
        fields: &[
            "unit_id",
            "event",
            "effective_date",
            "from_parent_id",
            "to_parent_id",
            "other_unit_id",
            "old_name",
            "new_name",
        ],
        history: true,
    },
];

/// What applying a batch of remote ops did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ApplyReport {
    pub rows_created: usize,
    pub fields_applied: usize,
    /// Fields whose local version was newer than the op's.
    pub fields_older: usize,
    /// Fields (or records) this version does not know, kept aside for a newer version.
    pub fields_unknown: usize,
}

fn unknown(what: &str) -> StoreError {
    StoreError::rule(
        "unknown_op",
        format!("Thay đổi nhận về có nội dung không hợp lệ ({what})."),
        format!("unknown op content: {what}"),
    )
}

/// How a field takes a value from elsewhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Take {
    /// Only if its version is newer than the field's (a server field's version only grows).
    Newer,
    /// Whatever the field holds: the server refused this laptop's change, which is undone.
    Force,
}

/// One field as another device or the server wrote it.
pub(crate) struct Incoming<'a> {
    pub field: &'a str,
    pub value: &'a Value,
    pub version: &'a str,
}

/// Every synced table.
pub(crate) fn tables() -> &'static [EntityTable] {
    TABLES
}

pub(crate) fn table_of(entity: &str) -> Result<&'static EntityTable> {
    TABLES
        .iter()
        .find(|t| t.entity == entity)
        .ok_or_else(|| unknown(entity))
}

/// Applies `fields` to one row (creating it when it does not exist), writing no outbox op.
/// `author` is recorded on history rows. Rebuilds a member's search text and sort key.
pub(crate) fn apply_row(
    tx: &rusqlite::Transaction<'_>,
    table: &EntityTable,
    row_id: &str,
    fields: &[Incoming<'_>],
    author: &str,
    take: Take,
    report: &mut ApplyReport,
) -> Result<()> {
    if let Some(f) = fields.iter().find(|f| !table.fields.contains(&f.field)) {
        return Err(unknown(f.field));
    }
    if fields.is_empty() {
        return Ok(());
    }
    let applied_before = report.fields_applied;
    // Statements are cached: a pulled page or a push answer runs the same few per row.
    let exists: Option<(String, String)> = if table.history {
        tx.prepare_cached(&format!("SELECT 1 FROM {} WHERE id = ?1", table.table))?
            .query_row([row_id], |_| Ok((String::new(), String::new())))
            .optional()?
    } else {
        tx.prepare_cached(&format!(
            "SELECT versions, created_version FROM {} WHERE id = ?1",
            table.table
        ))?
        .query_row([row_id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?
    };
    // The oldest version among the fields: the row's creation version when it is new.
    let oldest = fields.iter().map(|f| f.version).min().unwrap_or_default();
    let existed = exists.is_some();
    match exists {
        None => {
            let mut cols = vec!["id".to_owned()];
            let mut vals = vec![SqlValue::Text(row_id.to_owned())];
            let mut versions = serde_json::Map::new();
            for f in fields {
                cols.push(f.field.to_owned());
                vals.push(json_to_sql(f.value));
                if f.version != oldest {
                    versions.insert(f.field.to_owned(), Value::String(f.version.to_owned()));
                }
            }
            if table.history {
                cols.extend(["version".to_owned(), "author".to_owned()]);
                vals.extend([
                    SqlValue::Text(oldest.to_owned()),
                    SqlValue::Text(author.to_owned()),
                ]);
            } else {
                cols.extend(["created_version".to_owned(), "versions".to_owned()]);
                vals.extend([
                    SqlValue::Text(oldest.to_owned()),
                    SqlValue::Text(Value::Object(versions).to_string()),
                ]);
            }
            // A new member gets its search text and sort key with the row, and its entry in
            // the search index at once (there is no insert trigger).
            let search = (table.entity == "member").then(|| new_member_search(fields));
            if let Some((text, key)) = &search {
                cols.extend(["search_text".to_owned(), "sort_key".to_owned()]);
                vals.extend([SqlValue::Text(text.clone()), SqlValue::Blob(key.clone())]);
            }
            let marks = vec!["?"; cols.len()].join(", ");
            tx.prepare_cached(&format!(
                "INSERT INTO {} ({}) VALUES ({marks})",
                table.table,
                cols.join(", ")
            ))?
            .execute(rusqlite::params_from_iter(vals))?;
            if let Some((text, _)) = &search {
                tx.prepare_cached(
                    "INSERT INTO member_search (rowid, search_text) VALUES (last_insert_rowid(), ?1)",
                )?
                .execute([text])?;
            }
            report.rows_created += 1;
            report.fields_applied += fields.len();
        }
        Some((versions, created)) if !table.history => {
            let mut versions = parse_versions(&versions);
            let mut taken = false;
            for f in fields {
                let current = field_version(&versions, &created, f.field);
                let takes = match take {
                    Take::Newer => f.version > current.as_str(),
                    Take::Force => f.version != current.as_str(),
                };
                if takes {
                    tx.prepare_cached(&format!(
                        "UPDATE {} SET {} = ?2 WHERE id = ?1",
                        table.table, f.field
                    ))?
                    .execute(params![row_id, json_to_sql(f.value)])?;
                    versions.insert(f.field.to_owned(), Value::String(f.version.to_owned()));
                    report.fields_applied += 1;
                    taken = true;
                } else {
                    report.fields_older += 1;
                }
            }
            // An answer that only confirms what the laptop holds (its own push acknowledged)
            // writes nothing.
            if taken {
                tx.prepare_cached(&format!(
                    "UPDATE {} SET versions = ?2 WHERE id = ?1",
                    table.table
                ))?
                .execute(params![row_id, Value::Object(versions).to_string()])?;
            }
        }
        Some(_) => report.fields_older += fields.len(),
    }
    if table.entity == "member" && existed && report.fields_applied > applied_before {
        let (name, card, phone): (String, Option<String>, Option<String>) = tx
            .prepare_cached("SELECT full_name, card_number, phone FROM members WHERE id = ?1")?
            .query_row([row_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
        tx.prepare_cached("UPDATE members SET search_text = ?2, sort_key = ?3 WHERE id = ?1")?
            .execute(params![
                row_id,
                search_text(&name, card.as_deref(), phone.as_deref()),
                name_sort_key(&name)
            ])?;
    }
    Ok(())
}

/// The search text and sort key of a member created from `fields`.
fn new_member_search(fields: &[Incoming<'_>]) -> (String, Vec<u8>) {
    let text = |name: &str| {
        fields
            .iter()
            .find(|f| f.field == name)
            .and_then(|f| f.value.as_str())
    };
    let name = text("full_name").unwrap_or_default();
    (
        search_text(name, text("card_number"), text("phone")),
        name_sort_key(name),
    )
}

/// Reads the hybrid logical clock, lets `f` advance it, writes it back.
pub(crate) fn with_clock<T>(
    tx: &rusqlite::Transaction<'_>,
    f: impl FnOnce(&mut Hlc) -> Result<T>,
) -> Result<T> {
    let (wall, counter): (i64, i64) = tx
        .prepare_cached("SELECT hlc_wall_ms, hlc_counter FROM local_state WHERE id = 1")?
        .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))?;
    let mut clock = Hlc {
        wall_ms: wall as u64,
        counter: counter as u32,
    };
    let out = f(&mut clock)?;
    tx.execute(
        "UPDATE local_state SET hlc_wall_ms = ?1, hlc_counter = ?2 WHERE id = 1",
        (clock.wall_ms as i64, clock.counter as i64),
    )?;
    Ok(out)
}

/// Advances the clock past a version stamp seen from elsewhere.
pub(crate) fn receive_stamp(clock: &mut Hlc, stamp: &str) -> Result<()> {
    let remote = Hlc::from_stamp(stamp).ok_or_else(|| unknown("version"))?;
    *clock = clock.receive(remote, now_ms());
    Ok(())
}

impl Store {
    /// Applies ops recorded elsewhere, in one transaction, writing no outbox ops: each field
    /// takes the op's value when the op's version is newer than the field's.
    pub fn apply_remote_ops(&mut self, ops: &[Op]) -> Result<ApplyReport> {
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let mut report = ApplyReport::default();
        with_clock(&tx, |clock| {
            for op in ops {
                let table = table_of(&op.entity)?;
                receive_stamp(clock, &op.version)?;
                let fields: Vec<Incoming<'_>> = op
                    .fields
                    .iter()
                    .map(|(name, f)| Incoming {
                        field: name,
                        value: &f.value,
                        version: &op.version,
                    })
                    .collect();
                apply_row(
                    &tx,
                    table,
                    &op.row_id,
                    &fields,
                    &op.author,
                    Take::Newer,
                    &mut report,
                )?;
            }
            Ok(())
        })?;
        tx.commit()?;
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    use super::TABLES;

    #[test]
    fn the_store_syncs_exactly_the_entities_the_protocol_names() {
        let store: Vec<(&str, bool)> = TABLES.iter().map(|t| (t.entity, t.history)).collect();
        let protocol: Vec<(&str, bool)> = khuyenhoc_sync_protocol::ENTITIES
            .iter()
            .map(|e| (e.name, e.insert_only))
            .collect();
        assert_eq!(store, protocol);
    }
}
