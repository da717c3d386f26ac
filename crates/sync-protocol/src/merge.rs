//! The merge: what a row's fields hold after an op, decided on the server and applied the same
//! way everywhere. Pure: no clock, no database, no randomness.
//!
//! Field by field:
//! - a field the op's device had seen at its current version (the op's `base` is that version,
//!   or newer) takes the op's value: a sequential edit, never a conflict;
//! - otherwise the edit was concurrent with the one the field holds. If both wrote the same
//!   value there is nothing to review; else the winner is the larger version stamp (hybrid
//!   logical clock, then device id) and the other value is returned as a [`Conflict`] for a
//!   person to review. Nothing is lost silently.
//!
//! A field's version only ever grows, to the largest version of all ops applied to it, so the
//! final value does not depend on the order concurrent ops arrive in; replaying an op changes
//! nothing.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::op::Op;

/// A field's value and the version of the op that wrote it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FieldState {
    pub value: Value,
    pub version: String,
}

/// A row as the server holds it: each field with its version.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RowState {
    pub fields: BTreeMap<String, FieldState>,
}

/// Two concurrent edits of one field with different values: the one kept and the one that
/// lost, which a person may still choose.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Conflict {
    pub field: String,
    pub kept: FieldState,
    pub lost: FieldState,
    /// Whether the value that lost is the op's own (else the op's value won and the field's
    /// previous value lost).
    pub op_lost: bool,
}

/// What [`merge`] decided for one op.
#[derive(Debug, Clone, PartialEq)]
pub struct MergeOutcome {
    /// The row after the op.
    pub row: RowState,
    /// Every field the op named, as it now stands (what other devices are sent).
    pub fields: BTreeMap<String, FieldState>,
    /// Whether the row did not exist before.
    pub created: bool,
    /// Whether nothing changed (the op was already applied).
    pub unchanged: bool,
    pub conflicts: Vec<Conflict>,
}

/// Applies `op` to the row as it stands (`None`: the row does not exist yet).
pub fn merge(current: Option<&RowState>, op: &Op) -> MergeOutcome {
    let created = current.is_none();
    let mut row = current.cloned().unwrap_or_default();
    let mut fields = BTreeMap::new();
    let mut conflicts = Vec::new();
    let mut unchanged = true;
    for (name, change) in &op.fields {
        let theirs = FieldState {
            value: change.value.clone(),
            version: op.version.clone(),
        };
        let next = match row.fields.get(name) {
            None => Some(theirs),
            Some(cur) if cur.version == op.version => None,
            Some(cur)
                if change.base.as_deref() >= Some(cur.version.as_str())
                    && op.version > cur.version =>
            {
                Some(theirs)
            }
            Some(cur) if cur.value == theirs.value => (op.version > cur.version).then_some(theirs),
            Some(cur) => {
                let op_wins = op.version > cur.version;
                let (kept, lost) = if op_wins {
                    (theirs.clone(), cur.clone())
                } else {
                    (cur.clone(), theirs.clone())
                };
                conflicts.push(Conflict {
                    field: name.clone(),
                    kept,
                    lost,
                    op_lost: !op_wins,
                });
                op_wins.then_some(theirs)
            }
        };
        if let Some(state) = next {
            unchanged = false;
            row.fields.insert(name.clone(), state);
        }
        fields.insert(name.clone(), row.fields[name].clone());
    }
    MergeOutcome {
        row,
        fields,
        created,
        unchanged: unchanged && !created,
        conflicts,
    }
}

/// The device part of a version the server writes by a rule rather than by an op's value (a
/// record following its merged unit to the successor): no device's id, and below every real one.
pub const RULE_DEVICE: &str = "00000000-0000-0000-0000-000000000000";

/// The version told for a field the server does not hold (a refused op's field put back
/// empty): a stamp below every real one, so any value written later wins over it.
pub const NO_VERSION: &str = "000000000000000-0000000000-00000000-0000-0000-0000-000000000000";

/// A version just after `version` (`wall-counter-device`: the same wall time, the next counter,
/// [`RULE_DEVICE`]): what a field written by a rule takes, so every device holding the field at
/// `version` takes the new value, and a device's own later edit still wins over it.
pub fn version_after(version: &str) -> String {
    let mut parts = version.splitn(3, '-');
    let wall = parts.next().and_then(|w| w.parse::<u64>().ok());
    let counter = parts.next().and_then(|c| c.parse::<u64>().ok());
    match (wall, counter) {
        (Some(wall), Some(counter)) => format!("{wall:015}-{:010}-{RULE_DEVICE}", counter + 1),
        // Not a stamp this version writes: still something that sorts after it.
        _ => format!("{version}~"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::op::OpField;
    use serde_json::json;

    fn op(version: &str, fields: &[(&str, Value, Option<&str>)]) -> Op {
        Op {
            op_id: format!("op-{version}"),
            device_id: version.rsplit('-').next().unwrap().to_owned(),
            device_seq: 1,
            op_format: crate::OP_FORMAT,
            entity: "member".into(),
            row_id: "m1".into(),
            intent: "member.update".into(),
            fields: fields
                .iter()
                .map(|(n, v, b)| {
                    (
                        n.to_string(),
                        OpField {
                            value: v.clone(),
                            base: b.map(str::to_owned),
                        },
                    )
                })
                .collect(),
            author: "lan".into(),
            version: version.into(),
        }
    }

    #[test]
    fn a_new_row_takes_every_field() {
        let out = merge(None, &op("001-a", &[("full_name", json!("An"), None)]));
        assert!(out.created && !out.unchanged && out.conflicts.is_empty());
        assert_eq!(out.row.fields["full_name"].value, json!("An"));
    }

    #[test]
    fn a_sequential_edit_applies_without_conflict() {
        let first = merge(None, &op("001-a", &[("phone", json!("0912"), None)])).row;
        let out = merge(
            Some(&first),
            &op("002-b", &[("phone", json!("0988"), Some("001-a"))]),
        );
        assert!(out.conflicts.is_empty());
        assert_eq!(out.row.fields["phone"].value, json!("0988"));
        assert_eq!(out.row.fields["phone"].version, "002-b");
    }

    #[test]
    fn concurrent_edits_keep_the_larger_version_and_the_other_as_a_conflict() {
        let base = merge(None, &op("001-a", &[("phone", json!("0912"), None)])).row;
        let b = op("003-b", &[("phone", json!("0988"), Some("001-a"))]);
        let c = op("002-c", &[("phone", json!("0977"), Some("001-a"))]);
        // b then c: c is older, so it loses.
        let after_b = merge(Some(&base), &b).row;
        let out = merge(Some(&after_b), &c);
        assert_eq!(out.row.fields["phone"].value, json!("0988"));
        assert_eq!(out.conflicts.len(), 1);
        assert_eq!(out.conflicts[0].lost.value, json!("0977"));
        assert!(out.conflicts[0].op_lost);
        // c then b: the same end, the same loser.
        let after_c = merge(Some(&base), &c).row;
        let out = merge(Some(&after_c), &b);
        assert_eq!(out.row.fields["phone"].value, json!("0988"));
        assert_eq!(out.conflicts[0].lost.value, json!("0977"));
        assert!(!out.conflicts[0].op_lost);
    }

    #[test]
    fn the_same_value_written_twice_is_not_a_conflict() {
        let base = merge(None, &op("001-a", &[("status", json!("active"), None)])).row;
        let b = merge(
            Some(&base),
            &op("002-b", &[("status", json!("left"), Some("001-a"))]),
        )
        .row;
        let out = merge(
            Some(&b),
            &op("003-c", &[("status", json!("left"), Some("001-a"))]),
        );
        assert!(out.conflicts.is_empty());
        assert_eq!(out.row.fields["status"].version, "003-c");
    }

    #[test]
    fn replaying_an_op_changes_nothing() {
        let o = op("001-a", &[("full_name", json!("An"), None)]);
        let row = merge(None, &o).row;
        let again = merge(Some(&row), &o);
        assert!(again.unchanged && again.conflicts.is_empty());
        assert_eq!(again.row, row);
    }

    #[test]
    fn only_the_fields_an_op_names_are_touched() {
        let row = merge(
            None,
            &op(
                "001-a",
                &[("full_name", json!("An")), ("phone", json!("0912"))].map(|(n, v)| (n, v, None)),
            ),
        )
        .row;
        let out = merge(
            Some(&row),
            &op("002-b", &[("phone", json!("0988"), Some("001-a"))]),
        );
        assert_eq!(out.row.fields["full_name"].value, json!("An"));
        assert_eq!(out.fields.keys().collect::<Vec<_>>(), ["phone"]);
    }

    #[test]
    fn a_version_after_sorts_after_it_and_before_the_next_tick_of_any_device() {
        let v = "000001700000000-0000000007-0197a000-0000-7000-8000-000000000001";
        let after = version_after(v);
        assert_eq!(
            after,
            "000001700000000-0000000008-00000000-0000-0000-0000-000000000000"
        );
        assert!(after.as_str() > v);
        let next_tick = "000001700000000-0000000008-0197a000-0000-7000-8000-000000000001";
        assert!(after.as_str() < next_tick);
        assert!(version_after("v1").as_str() > "v1");
        assert!(NO_VERSION < v && NO_VERSION.ends_with(RULE_DEVICE));
    }
}
