//! Op formats: what changed from one to the next, and the pure functions that carry an op up
//! to the current format (upcasting) and an answer down to a client still on the previous one.
//!
//! The server reads the current format and the previous one: an op of the previous format is
//! upcast as it arrives (pushed, or carried in a signed batch), and what the server answers
//! that client (pushed ops' results, pulled changes) names fields as that client knows them, so
//! a laptop that has not updated yet keeps syncing. An older format is refused with
//! `426 update_required`; the laptop tells its officer to update and keeps queueing. A laptop
//! that updates upcasts the ops waiting in its outbox in the same migration that changes its
//! tables (see the store's migrations), so nothing queued across an upgrade is lost.
//!
//! Format history:
//! - 1: the first format.
//! - 2: a member's org unit is `unit_id`, as for every other row that names a unit (format 1
//!   called it `branch_id`; members sit in branches, groups, committees or directly in the
//!   commune association, and the org tree hard-codes no level).

use std::collections::BTreeMap;

use crate::messages::{PullPage, PushResponse};
use crate::op::Op;

/// The op format this build writes and reads.
pub const OP_FORMAT: i64 = 2;
/// The previous format, still read (upcast) from clients that have not updated yet.
pub const OP_FORMAT_PREVIOUS: i64 = 1;

/// A field renamed between two formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldRename {
    /// The first format with the new name.
    pub since: i64,
    pub entity: &'static str,
    pub old: &'static str,
    pub new: &'static str,
}

/// Every rename, oldest first.
pub const RENAMES: &[FieldRename] = &[FieldRename {
    since: 2,
    entity: "member",
    old: "branch_id",
    new: "unit_id",
}];

/// Whether ops (and requests) of `format` are read by this build.
pub fn format_readable(format: i64) -> bool {
    format == OP_FORMAT || format == OP_FORMAT_PREVIOUS
}

/// The renames between `format` and the current one that touch `entity`.
fn renames_after(format: i64, entity: &str) -> impl Iterator<Item = &'static FieldRename> + '_ {
    RENAMES
        .iter()
        .filter(move |r| r.since > format && r.entity == entity)
}

/// Moves the value under `from` to `to`. A value already under `to` is kept (a client never
/// sends both names; if one did, the current name wins).
fn rename_key<V>(fields: &mut BTreeMap<String, V>, from: &str, to: &str) {
    if let Some(value) = fields.remove(from) {
        fields.entry(to.to_owned()).or_insert(value);
    }
}

/// `op` in the current format: fields renamed since its format take their new names, values
/// and base versions unchanged. An op already current (or newer: refused elsewhere) is
/// returned as it is.
pub fn upcast(mut op: Op) -> Op {
    if op.op_format >= OP_FORMAT {
        return op;
    }
    upcast_fields(op.op_format, &op.entity, &mut op.fields);
    op.op_format = OP_FORMAT;
    op
}

/// Fields of an op of `format` (values, or anything else kept by field name, such as base
/// versions) under their current names.
pub fn upcast_fields<V>(format: i64, entity: &str, fields: &mut BTreeMap<String, V>) {
    for r in renames_after(format, entity) {
        rename_key(fields, r.old, r.new);
    }
}

/// The name a client of `format` knows a current field of `entity` by.
pub fn field_name_for(format: i64, entity: &str, field: &str) -> String {
    let mut name = field;
    for r in renames_after(format, entity)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
    {
        if r.new == name {
            name = r.old;
        }
    }
    name.to_owned()
}

/// A row's fields named as a client of `format` knows them.
pub fn downcast_fields<V>(format: i64, entity: &str, fields: &mut BTreeMap<String, V>) {
    for r in renames_after(format, entity)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
    {
        rename_key(fields, r.new, r.old);
    }
}

/// A push answer for a client of `format`; `entities` are the pushed ops' kinds, in the order
/// sent (one result per op).
pub fn downcast_push_response(format: i64, entities: &[String], answer: &mut PushResponse) {
    if format >= OP_FORMAT {
        return;
    }
    for (result, entity) in answer.results.iter_mut().zip(entities) {
        downcast_fields(format, entity, &mut result.fields);
        if let Some(landed) = result.landed.as_mut() {
            downcast_fields(format, entity, &mut landed.own_fields);
        }
        if let crate::OpOutcome::Conflict { conflicts } = &mut result.outcome {
            for c in conflicts {
                c.field = field_name_for(format, entity, &c.field);
            }
        }
    }
}

/// A pulled page for a client of `format`.
pub fn downcast_pull_page(format: i64, page: &mut PullPage) {
    if format >= OP_FORMAT {
        return;
    }
    for change in &mut page.changes {
        downcast_fields(format, &change.entity, &mut change.fields);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::merge::{Conflict, FieldState};
    use crate::messages::{Change, Landed, OpOutcome, OpResult};
    use crate::op::OpField;
    use proptest::prelude::*;
    use serde_json::{Value, json};

    fn op(format: i64, entity: &str, fields: &[(&str, Value, Option<&str>)]) -> Op {
        Op {
            op_id: "o1".into(),
            device_id: "d1".into(),
            device_seq: 1,
            op_format: format,
            entity: entity.into(),
            row_id: "r1".into(),
            intent: format!("{entity}.update"),
            fields: fields
                .iter()
                .map(|(k, v, b)| {
                    (
                        (*k).to_owned(),
                        OpField {
                            value: v.clone(),
                            base: b.map(str::to_owned),
                        },
                    )
                })
                .collect(),
            author: "lan".into(),
            version: "v1".into(),
        }
    }

    fn state(value: Value) -> FieldState {
        FieldState {
            value,
            version: "v9".into(),
        }
    }

    #[test]
    fn a_format_1_member_op_names_its_unit_unit_id_with_value_and_base_kept() {
        let old = op(
            1,
            "member",
            &[
                ("branch_id", json!("u1"), Some("v0")),
                ("full_name", json!("Lê Thị Hoa"), None),
            ],
        );
        let up = upcast(old.clone());
        assert_eq!(up.op_format, OP_FORMAT);
        assert_eq!(up.fields.get("branch_id"), None);
        assert_eq!(up.fields["unit_id"], old.fields["branch_id"]);
        assert_eq!(up.fields["full_name"], old.fields["full_name"]);
        assert_eq!(
            (&up.op_id, &up.version, up.device_seq),
            (&old.op_id, &old.version, old.device_seq)
        );
    }

    #[test]
    fn other_kinds_and_current_ops_are_not_renamed() {
        let dues = op(1, "unit_denominator", &[("unit_id", json!("u1"), None)]);
        assert_eq!(upcast(dues.clone()).fields, dues.fields);
        // A format-1 field of another kind that happens to be called branch_id stays.
        let event = op(1, "org_unit_event", &[("branch_id", json!("x"), None)]);
        assert!(upcast(event).fields.contains_key("branch_id"));
        let current = op(OP_FORMAT, "member", &[("unit_id", json!("u1"), None)]);
        assert_eq!(upcast(current.clone()), current);
    }

    #[test]
    fn answers_to_a_format_1_client_use_its_names_and_current_ones_are_untouched() {
        let fields: BTreeMap<String, FieldState> = [
            ("unit_id".to_owned(), state(json!("u2"))),
            ("note".to_owned(), state(json!("x"))),
        ]
        .into();
        let result = OpResult {
            op_id: "o1".into(),
            device_seq: 1,
            outcome: OpOutcome::Conflict {
                conflicts: vec![Conflict {
                    field: "unit_id".into(),
                    kept: state(json!("u2")),
                    lost: state(json!("u1")),
                    op_lost: true,
                }],
            },
            fields: fields.clone(),
            landed: Some(Box::new(Landed {
                row_id: "r0".into(),
                own_fields: fields.clone(),
            })),
        };
        let mut answer = PushResponse {
            epoch: "e".into(),
            server_time_ms: 0,
            results: vec![result.clone(), result],
            high_water: 2,
        };
        let current = answer.clone();
        let mut same = answer.clone();
        downcast_push_response(OP_FORMAT, &["member".into(), "member".into()], &mut same);
        assert_eq!(same, current);

        downcast_push_response(1, &["member".into(), "org_unit".into()], &mut answer);
        let member = &answer.results[0];
        assert_eq!(member.fields["branch_id"].value, json!("u2"));
        assert!(!member.fields.contains_key("unit_id"));
        assert!(
            member
                .landed
                .as_ref()
                .unwrap()
                .own_fields
                .contains_key("branch_id")
        );
        let OpOutcome::Conflict { conflicts } = &member.outcome else {
            unreachable!()
        };
        assert_eq!(conflicts[0].field, "branch_id");
        // The second op was an org unit's: its fields keep their names.
        assert_eq!(answer.results[1], current.results[1]);

        let mut page = PullPage {
            epoch: "e".into(),
            server_time_ms: 0,
            changes: vec![Change {
                version: 3,
                entity: "member".into(),
                row_id: "r1".into(),
                fields: fields.clone(),
                scope_exit: false,
                author: None,
            }],
            cursor: 3,
            more: false,
        };
        downcast_pull_page(1, &mut page);
        assert!(page.changes[0].fields.contains_key("branch_id"));
        assert_eq!(field_name_for(1, "member", "unit_id"), "branch_id");
        assert_eq!(field_name_for(2, "member", "unit_id"), "unit_id");
    }

    #[test]
    fn only_the_current_and_previous_formats_are_read() {
        assert!(format_readable(OP_FORMAT) && format_readable(OP_FORMAT_PREVIOUS));
        assert!(!format_readable(OP_FORMAT_PREVIOUS - 1) && !format_readable(OP_FORMAT + 1));
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, rng_seed: proptest::test_runner::RngSeed::Fixed(2026), ..ProptestConfig::default() })]

        /// Upcasting a previous-format op and naming its fields back for that format gives the
        /// op's own fields: nothing is dropped, renamed twice or changed.
        #[test]
        fn upcast_then_downcast_gives_back_the_fields(
            entity in prop::sample::select(vec!["member", "org_unit", "member_dues", "officer"]),
            names in prop::collection::btree_set(
                prop::sample::select(vec!["branch_id", "full_name", "phone", "note", "parent_id", "unit_id_x"]), 0..5),
            base in prop::option::of("[a-z0-9]{1,6}"),
        ) {
            let fields: Vec<(&str, Value, Option<&str>)> =
                names.iter().map(|n| (*n, json!(format!("{n}-value")), base.as_deref())).collect();
            let old = op(OP_FORMAT_PREVIOUS, entity, &fields);
            let up = upcast(old.clone());
            prop_assert_eq!(up.op_format, OP_FORMAT);
            prop_assert_eq!(up.fields.len(), old.fields.len());
            let mut back = up.fields.clone();
            downcast_fields(OP_FORMAT_PREVIOUS, entity, &mut back);
            prop_assert_eq!(back, old.fields);
        }
    }
}
