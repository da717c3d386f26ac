//! What a finished sync must leave behind, read straight from the laptops' SQLite files and
//! from the server's database, SQLite or PostgreSQL (through [`TestDatabase`], with the same
//! SQL on both): the same register everywhere (units and members, field by field, with their
//! versions), nothing sent twice or lost, and every edit either in force or kept as a
//! conflict's losing value.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use khuyenhoc_server::testing::TestDatabase;
use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags};
use serde_json::{Value, json};

/// One row as column → value.
pub type Row = BTreeMap<String, Value>;

fn open(db: &Path) -> Connection {
    Connection::open_with_flags(db, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .unwrap_or_else(|e| panic!("{}: {e}", db.display()))
}

/// Every row of `sql`, each as a map (TEXT holding JSON objects is kept as text).
pub fn rows(db: &Path, sql: &str) -> Vec<Row> {
    let conn = open(db);
    let mut stmt = conn.prepare(sql).unwrap();
    let names: Vec<String> = stmt.column_names().iter().map(|s| s.to_string()).collect();
    stmt.query_map([], |r| {
        let mut row = Row::new();
        for (i, name) in names.iter().enumerate() {
            let v = match r.get_ref(i)? {
                ValueRef::Null => Value::Null,
                ValueRef::Integer(n) => json!(n),
                ValueRef::Real(f) => json!(f),
                ValueRef::Text(t) => json!(String::from_utf8_lossy(t)),
                ValueRef::Blob(b) => json!(b),
            };
            row.insert(name.clone(), v);
        }
        Ok(row)
    })
    .unwrap()
    .collect::<Result<_, _>>()
    .unwrap()
}

pub fn count(db: &Path, sql: &str) -> i64 {
    open(db).query_row(sql, [], |r| r.get(0)).unwrap()
}

/// `PRAGMA integrity_check` says ok.
pub fn assert_integrity(db: &Path) {
    let v: String = open(db)
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(v, "ok", "{}", db.display());
}

/// A laptop's register: units and members with every stored column but the local row number,
/// the `versions` column parsed (its key order is not part of the data).
pub fn register(db: &Path) -> (Vec<Row>, Vec<Row>) {
    let parse = |mut rows: Vec<Row>| {
        for row in &mut rows {
            row.remove("rid");
            if let Some(Value::String(s)) = row.get("versions") {
                let parsed: Value = serde_json::from_str(s).unwrap();
                row.insert("versions".into(), parsed);
            }
        }
        rows
    };
    (
        parse(rows(db, "SELECT * FROM org_units ORDER BY id")),
        parse(rows(db, "SELECT * FROM members ORDER BY id")),
    )
}

/// One op of a laptop's outbox.
#[derive(Debug, Clone)]
pub struct OutboxOp {
    pub op_id: String,
    pub entity: String,
    pub row_id: String,
    pub fields: serde_json::Map<String, Value>,
    pub bases: serde_json::Map<String, Value>,
    pub version: String,
    pub acked: bool,
}

pub fn outbox(db: &Path) -> Vec<OutboxOp> {
    rows(
        db,
        "SELECT op_id, entity, row_id, fields, bases, version, acked FROM outbox ORDER BY seq",
    )
    .into_iter()
    .map(|r| {
        let obj = |v: &Value| match v {
            Value::String(s) => match serde_json::from_str(s).unwrap() {
                Value::Object(m) => m,
                Value::Null => Default::default(),
                other => panic!("not an object: {other}"),
            },
            _ => Default::default(),
        };
        OutboxOp {
            op_id: r["op_id"].as_str().unwrap().into(),
            entity: r["entity"].as_str().unwrap().into(),
            row_id: r["row_id"].as_str().unwrap().into(),
            fields: obj(&r["fields"]),
            bases: obj(&r["bases"]),
            version: r["version"].as_str().unwrap().into(),
            acked: r["acked"] == json!(1),
        }
    })
    .collect()
}

/// The ids of every op the server received.
pub async fn received_ops(server: &TestDatabase) -> Vec<String> {
    server
        .text_rows("SELECT op_id FROM ops_received")
        .await
        .into_iter()
        .map(|mut r| r.swap_remove(0))
        .collect()
}

/// The outbox is consistent with the sync state: no op is both pending and parked, pending
/// ops are numbered above every acknowledged op of this device, and the pull cursor is not
/// past the server's newest change.
pub async fn assert_outbox_consistent(db: &Path, server: &TestDatabase) {
    assert_eq!(
        count(
            db,
            "SELECT COUNT(*) FROM parked_ops p JOIN outbox o USING (op_id) WHERE o.acked = 0"
        ),
        0,
        "a parked op is still pending"
    );
    assert_eq!(
        count(
            db,
            "SELECT COUNT(*) FROM outbox p JOIN outbox a ON a.device_id = p.device_id \
             WHERE p.acked = 0 AND a.acked = 1 AND a.device_seq > p.device_seq"
        ),
        0,
        "an op was acknowledged before an older pending op of the same device"
    );
    assert_eq!(
        count(
            db,
            "SELECT COUNT(*) FROM (SELECT op_id FROM outbox GROUP BY op_id HAVING COUNT(*) > 1)"
        ),
        0,
        "an op id is twice in the outbox"
    );
    let cursor = count(db, "SELECT pull_cursor FROM sync_state");
    let newest = server
        .scalar("SELECT COALESCE(MAX(version), 0) FROM changes")
        .await;
    assert!(
        (0..=newest).contains(&cursor),
        "pull cursor {cursor} outside 0..={newest}"
    );
}

/// Column of `table` that holds field `field`, when the field is one.
fn table_of(entity: &str) -> Option<&'static str> {
    match entity {
        "member" => Some("members"),
        "org_unit" => Some("org_units"),
        _ => None,
    }
}

/// What the final checks counted, for the test's output.
#[derive(Debug, Default)]
pub struct Converged {
    pub members: usize,
    pub ops: usize,
    pub field_edits: usize,
    pub edits_in_force: usize,
    pub edits_lost_to_a_conflict: usize,
    pub edits_overwritten_knowingly: usize,
    pub server_conflicts: i64,
}

/// After a clean sync of every laptop: all registers equal, nothing pending or refused, every
/// op received exactly once by the server and logged at most once, and no edit lost.
pub async fn assert_converged(laptops: &[&Path], server: &TestDatabase) -> Converged {
    assert_converged_with_history(laptops, &[], server).await
}

/// [`assert_converged`], with the outboxes of earlier copies of the laptops' files (before a
/// restore from a backup, say) counted among the ops sent: an op in them that the laptops no
/// longer hold must still have reached the server and not be lost.
pub async fn assert_converged_with_history(
    laptops: &[&Path],
    history: &[&Path],
    server: &TestDatabase,
) -> Converged {
    for db in laptops {
        assert_integrity(db);
        assert_outbox_consistent(db, server).await;
        assert_eq!(
            count(db, "SELECT COUNT(*) FROM outbox WHERE acked = 0"),
            0,
            "{} still has pending ops",
            db.display()
        );
        assert_eq!(
            count(db, "SELECT COUNT(*) FROM parked_ops"),
            0,
            "{}: the server refused ops",
            db.display()
        );
    }
    let (units, members) = register(laptops[0]);
    for db in &laptops[1..] {
        let (u, m) = register(db);
        assert_eq!(u.len(), units.len(), "units on {}", db.display());
        assert_eq!(m.len(), members.len(), "members on {}", db.display());
        for (a, b) in units.iter().zip(&u).chain(members.iter().zip(&m)) {
            assert_eq!(a, b, "a row differs between laptops ({})", db.display());
        }
    }

    // Every op of every laptop reached the server exactly once; nothing else did.
    let mut ops: Vec<OutboxOp> = laptops.iter().flat_map(|db| outbox(db)).collect();
    let held: BTreeSet<String> = ops.iter().map(|o| o.op_id.clone()).collect();
    assert_eq!(held.len(), ops.len(), "an op id is on two laptops");
    let mut earlier: Vec<OutboxOp> = history.iter().flat_map(|db| outbox(db)).collect();
    earlier.retain(|o| !held.contains(&o.op_id));
    ops.extend(earlier);
    let sent: BTreeSet<&str> = ops.iter().map(|o| o.op_id.as_str()).collect();
    let received = received_ops(server).await;
    let received_set: BTreeSet<&str> = received.iter().map(String::as_str).collect();
    assert_eq!(received.len(), received_set.len());
    assert_eq!(
        sent, received_set,
        "the server's received ops are not the laptops' ops"
    );
    assert_eq!(
        server
            .scalar(
                "SELECT COUNT(*) FROM (SELECT op_id FROM changes GROUP BY op_id \
                 HAVING COUNT(*) > 1) AS twice"
            )
            .await,
        0,
        "an op was applied twice on the server"
    );
    assert_eq!(
        server
            .scalar("SELECT COUNT(*) FROM ops_received WHERE outcome = 'rejected'")
            .await,
        0
    );

    // Every conflict the server found is on a laptop for a person to review (the laptop whose
    // push met it), even when the answer that told it was lost and the push was sent again.
    let on_laptops: BTreeSet<(String, String)> = laptops
        .iter()
        .flat_map(|db| rows(db, "SELECT op_id, field FROM sync_conflicts"))
        .map(|r| {
            (
                r["op_id"].as_str().unwrap().to_owned(),
                r["field"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    for r in server
        .text_rows("SELECT op_id, row_id, field FROM conflicts")
        .await
    {
        let [op_id, row_id, field] = <[String; 3]>::try_from(r).unwrap();
        assert!(
            on_laptops.contains(&(op_id.clone(), field.clone())),
            "the server's conflict on {row_id} {field} (op {op_id}) is on no laptop for review"
        );
    }

    // No edit lost: each field an op wrote holds the value of the op with the largest version
    // stamp (the merge's rule), and every other value written is either equal to it, recorded
    // on the server as a conflict's losing value, or was overwritten by an op made on a device
    // that had already seen it (its base for that field is at least the op's version).
    let lost: BTreeSet<(String, String, String)> = server
        .text_rows("SELECT row_id, field, lost ->> 'version' FROM conflicts")
        .await
        .into_iter()
        .map(|r| <[String; 3]>::try_from(r).unwrap().into())
        .collect();
    let by_id: BTreeMap<(&str, String), &Row> = units
        .iter()
        .map(|r| ("org_unit", r))
        .chain(members.iter().map(|r| ("member", r)))
        .map(|(e, r)| ((e, r["id"].as_str().unwrap().to_owned()), r))
        .collect();
    let mut out = Converged {
        members: members.len(),
        ops: ops.len(),
        server_conflicts: server.scalar("SELECT COUNT(*) FROM conflicts").await,
        ..Default::default()
    };
    for op in &ops {
        let Some(_) = table_of(&op.entity) else {
            continue;
        };
        let row = by_id
            .get(&(op.entity.as_str(), op.row_id.clone()))
            .unwrap_or_else(|| panic!("{} {} is on no laptop", op.entity, op.row_id));
        for (field, value) in &op.fields {
            let Some(now) = row.get(field) else { continue };
            out.field_edits += 1;
            let newest = ops
                .iter()
                .filter(|o| o.entity == op.entity && o.row_id == op.row_id)
                .filter(|o| o.fields.contains_key(field))
                .max_by(|a, b| a.version.cmp(&b.version))
                .unwrap();
            // A field never changed since the row was made carries the row's creation version.
            let version = row["versions"][field]
                .as_str()
                .or(row["created_version"].as_str());
            assert_eq!(
                version,
                Some(newest.version.as_str()),
                "{} {} {field}: not the newest edit's version",
                op.entity,
                op.row_id
            );
            assert!(
                same(&newest.fields[field], now),
                "{} {} {field}: {now} is not the newest edit's value {}",
                op.entity,
                op.row_id,
                newest.fields[field]
            );
            if same(value, now) {
                out.edits_in_force += 1;
            } else if lost.contains(&(op.row_id.clone(), field.clone(), op.version.clone())) {
                out.edits_lost_to_a_conflict += 1;
            } else if ops.iter().any(|o| {
                o.row_id == op.row_id
                    && o.fields.contains_key(field)
                    && o.bases
                        .get(field)
                        .and_then(Value::as_str)
                        .is_some_and(|b| b >= op.version.as_str())
            }) {
                out.edits_overwritten_knowingly += 1;
            } else {
                panic!(
                    "{} {} {field} = {value} (version {}) was lost: neither in force ({now}), \
                     nor a conflict's losing value, nor seen by a later edit",
                    op.entity, op.row_id, op.version
                );
            }
        }
    }
    out
}

/// An op's value against the stored column (booleans are stored as 0/1).
fn same(op_value: &Value, column: &Value) -> bool {
    match (op_value, column) {
        (Value::Bool(b), Value::Number(n)) => n.as_i64() == Some(*b as i64),
        (a, b) => a == b,
    }
}
