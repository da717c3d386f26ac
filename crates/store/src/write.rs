//! Every write goes through a [`WriteTx`]: one `BEGIN IMMEDIATE` transaction in which the
//! domain rows change and, for each change, an outbox op is appended. The device sequence and
//! the hybrid logical clock are read from the database inside the transaction and written back
//! before commit, so a rolled-back write allocates nothing and a crash loses nothing committed.

use std::collections::BTreeMap;

use rusqlite::{OptionalExtension, Transaction, TransactionBehavior};
use serde_json::{Map, Value};
use uuid::Uuid;

use khuyenhoc_domain::{Hlc, Permission};

use crate::error::Result;
use crate::officers::authorize;
use crate::open::Store;

/// The format of outbox ops (distinct from the local schema number), shared with the server.
pub use khuyenhoc_sync_protocol::OP_FORMAT;

/// One changed field of an op: its new value and the version this device last saw.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldChange {
    pub field: &'static str,
    pub value: Value,
    pub base: Option<String>,
}

impl FieldChange {
    pub fn new(field: &'static str, value: impl Into<Value>, base: Option<String>) -> Self {
        FieldChange {
            field,
            value: value.into(),
            base,
        }
    }
}

pub(crate) struct WriteTx<'s> {
    pub tx: Transaction<'s>,
    device_text: String,
    author: &'s str,
    next_seq: i64,
    hlc: Hlc,
}

pub(crate) fn now_ms() -> u64 {
    jiff::Timestamp::now().as_millisecond().max(0) as u64
}

impl<'s> WriteTx<'s> {
    /// Starts a write that needs `permission`: the logged-in officer's role is read again inside
    /// the transaction, so a role taken away by another program counts at once.
    pub fn begin(store: &'s mut Store, permission: Permission) -> Result<WriteTx<'s>> {
        let Store {
            conn,
            device_id,
            author,
            officer,
            ..
        } = store;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        authorize(&tx, officer.as_ref(), permission)?;
        let (next_seq, wall, counter): (i64, i64, i64) = tx.query_row(
            "SELECT next_seq, hlc_wall_ms, hlc_counter FROM local_state WHERE id = 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )?;
        Ok(WriteTx {
            tx,
            device_text: device_id.to_string(),
            author: author.as_str(),
            next_seq,
            hlc: Hlc {
                wall_ms: wall as u64,
                counter: counter as u32,
            },
        })
    }

    pub fn author(&self) -> &str {
        self.author
    }

    /// A fresh version stamp for the next change.
    pub fn stamp(&mut self) -> String {
        self.hlc = self.hlc.tick(now_ms());
        self.hlc.stamp_with(&self.device_text)
    }

    /// Appends an outbox op holding `changes` (the changed fields only).
    pub fn record(
        &mut self,
        entity: &str,
        row_id: &str,
        intent: &str,
        changes: &[FieldChange],
        version: &str,
    ) -> Result<()> {
        let (fields, bases) = encode_changes(changes);
        self.record_encoded(entity, row_id, intent, &fields, bases.as_deref(), version)
    }

    /// Appends an outbox op whose fields are already encoded by [`encode_changes`].
    pub fn record_encoded(
        &mut self,
        entity: &str,
        row_id: &str,
        intent: &str,
        fields: &str,
        bases: Option<&str>,
        version: &str,
    ) -> Result<()> {
        let mut stmt = self.tx.prepare_cached(
            "INSERT INTO outbox (device_id, device_seq, op_id, op_format, entity, row_id, intent, fields, bases, author, version)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        )?;
        stmt.execute(rusqlite::params![
            self.device_text,
            self.next_seq,
            Uuid::now_v7().to_string(),
            OP_FORMAT,
            entity,
            row_id,
            intent,
            fields,
            bases,
            self.author,
            version,
        ])?;
        self.next_seq += 1;
        Ok(())
    }

    pub fn commit(self) -> Result<()> {
        self.tx.execute(
            "UPDATE local_state SET next_seq = ?1, hlc_wall_ms = ?2, hlc_counter = ?3 WHERE id = 1",
            (
                self.next_seq,
                self.hlc.wall_ms as i64,
                self.hlc.counter as i64,
            ),
        )?;
        self.tx.commit()?;
        Ok(())
    }
}

/// Encodes an op's changed fields: `{"field": value}`, and `{"field": base}` for those that
/// have a base (`None` when none has).
pub(crate) fn encode_changes(changes: &[FieldChange]) -> (String, Option<String>) {
    let fields: BTreeMap<&str, &Value> = changes.iter().map(|c| (c.field, &c.value)).collect();
    let bases: BTreeMap<&str, &str> = changes
        .iter()
        .filter_map(|c| c.base.as_deref().map(|b| (c.field, b)))
        .collect();
    let fields = serde_json::to_string(&fields).expect("JSON values serialise");
    let bases =
        (!bases.is_empty()).then(|| serde_json::to_string(&bases).expect("strings serialise"));
    (fields, bases)
}

/// The version of `field` in a row: its entry in `versions`, else the row's creation version.
pub(crate) fn field_version(versions: &Map<String, Value>, created: &str, field: &str) -> String {
    versions
        .get(field)
        .and_then(Value::as_str)
        .unwrap_or(created)
        .to_owned()
}

pub(crate) fn parse_versions(text: &str) -> Map<String, Value> {
    serde_json::from_str(text).unwrap_or_default()
}

/// Compares old and new values of a row's fields; returns the changes (with their bases) and
/// the updated versions map.
pub(crate) fn diff_fields(
    old: &[(&'static str, Value)],
    new: &[(&'static str, Value)],
    versions: &Map<String, Value>,
    created: &str,
    stamp: &str,
) -> (Vec<FieldChange>, Map<String, Value>) {
    let mut changes = Vec::new();
    let mut updated = versions.clone();
    for ((field, before), (_, after)) in old.iter().zip(new) {
        if before != after {
            changes.push(FieldChange::new(
                field,
                after.clone(),
                Some(field_version(versions, created, field)),
            ));
            updated.insert((*field).to_owned(), Value::String(stamp.to_owned()));
        }
    }
    (changes, updated)
}

/// An optional text as a JSON value (null when absent).
pub(crate) fn opt<T: Into<Value>>(v: Option<T>) -> Value {
    v.map_or(Value::Null, Into::into)
}

/// Creates or updates a row that has a deterministic id (a yearly figure, a year's dues), in
/// `w`, recording one op with what changed. `keys` are written when the row is created; `values`
/// are the fields that may change. A row that was deleted comes back, and the op says so.
pub(crate) fn upsert_keyed_row(
    w: &mut WriteTx<'_>,
    table: &'static str,
    entity: &str,
    intent: &str,
    id: &str,
    keys: &[(&'static str, Value)],
    values: &[(&'static str, Value)],
) -> Result<()> {
    let names: Vec<&str> = values.iter().map(|(f, _)| *f).collect();
    let stamp = w.stamp();
    let existing =
        w.tx.query_row(
            &format!(
                "SELECT {}, versions, created_version, deleted FROM {table} WHERE id = ?1",
                names.join(", ")
            ),
            [id],
            |r| {
                let old = (0..names.len())
                    .map(|i| r.get::<_, rusqlite::types::Value>(i).map(sql_to_json))
                    .collect::<rusqlite::Result<Vec<_>>>()?;
                Ok((
                    old,
                    r.get::<_, String>(names.len())?,
                    r.get::<_, String>(names.len() + 1)?,
                    r.get::<_, bool>(names.len() + 2)?,
                ))
            },
        )
        .optional()?;
    let params_of =
        |row: &[(&'static str, Value)]| row.iter().map(|(_, v)| json_to_sql(v)).collect::<Vec<_>>();
    match existing {
        None => {
            let all: Vec<(&'static str, Value)> = keys.iter().chain(values).cloned().collect();
            let cols: Vec<&str> = all.iter().map(|(f, _)| *f).collect();
            let marks = vec!["?"; cols.len() + 2].join(", ");
            let mut params = vec![rusqlite::types::Value::Text(id.to_owned())];
            params.extend(params_of(&all));
            params.push(rusqlite::types::Value::Text(stamp.clone()));
            w.tx.execute(
                &format!(
                    "INSERT INTO {table} (id, {}, created_version) VALUES ({marks})",
                    cols.join(", ")
                ),
                rusqlite::params_from_iter(params),
            )?;
            let changes: Vec<FieldChange> = all
                .into_iter()
                .map(|(f, v)| FieldChange::new(f, v, None))
                .collect();
            w.record(entity, id, intent, &changes, &stamp)
        }
        Some((old_values, versions, created, was_deleted)) => {
            let mut old: Vec<(&'static str, Value)> =
                names.iter().copied().zip(old_values).collect();
            old.push(("deleted", Value::Bool(was_deleted)));
            let mut new = values.to_vec();
            new.push(("deleted", Value::Bool(false)));
            let (changes, versions) =
                diff_fields(&old, &new, &parse_versions(&versions), &created, &stamp);
            if changes.is_empty() {
                return Ok(());
            }
            let sets: Vec<String> = names
                .iter()
                .enumerate()
                .map(|(i, f)| format!("{f} = ?{}", i + 3))
                .collect();
            let mut params = vec![
                rusqlite::types::Value::Text(id.to_owned()),
                rusqlite::types::Value::Text(Value::Object(versions).to_string()),
            ];
            params.extend(params_of(values));
            w.tx.execute(
                &format!(
                    "UPDATE {table} SET {}, versions = ?2, deleted = 0 WHERE id = ?1",
                    sets.join(", ")
                ),
                rusqlite::params_from_iter(params),
            )?;
            w.record(entity, id, intent, &changes, &stamp)
        }
    }
}

fn sql_to_json(v: rusqlite::types::Value) -> Value {
    match v {
        rusqlite::types::Value::Null => Value::Null,
        rusqlite::types::Value::Integer(i) => Value::from(i),
        rusqlite::types::Value::Real(f) => Value::from(f),
        rusqlite::types::Value::Text(t) => Value::String(t),
        rusqlite::types::Value::Blob(b) => Value::from(b),
    }
}

/// A JSON value as an SQL value (the same mapping remote ops use).
pub(crate) fn json_to_sql(v: &Value) -> rusqlite::types::Value {
    match v {
        Value::Null => rusqlite::types::Value::Null,
        Value::Bool(b) => rusqlite::types::Value::Integer(i64::from(*b)),
        Value::Number(n) => n.as_i64().map_or_else(
            || rusqlite::types::Value::Real(n.as_f64().unwrap_or(0.0)),
            rusqlite::types::Value::Integer,
        ),
        Value::String(s) => rusqlite::types::Value::Text(s.clone()),
        other => rusqlite::types::Value::Text(other.to_string()),
    }
}
