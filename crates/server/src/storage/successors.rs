//! Records that follow a merged unit to its successor (the rules, shared by SQLite and
//! PostgreSQL). When branches or communes merge, the merging laptop moves the members and open
//! sub-units it knows of to the unit they merge into; what other laptops recorded in the merged
//! unit while offline goes the same way, whichever reaches the server first:
//! - an op that puts a member (its `unit_id`) or a unit (its `parent_id`) in a unit already
//!   merged away puts it in the unit that one was merged into, a few merges deep
//!   ([`follow_successor`]);
//! - an op that merges a unit away takes along the members and open sub-units the server still
//!   holds in it ([`heir`]). Those found are the ones placed by that link: a sub-unit bound to
//!   a server unit by its own official code keeps its parent (the server's tree holds it).
//!
//! Either way the link is written at a version just after the one it replaces
//! ([`version_after`]), so every laptop takes the new value, the one that sent the op too, and
//! a person's later edit still wins over it.

use khuyenhoc_sync_protocol::{
    FieldState, MergeOutcome, Op, OpResult, PARENT_FIELD, RejectCode, RowState, version_after,
};

use super::sync_rules::{MAX_REDIRECTS, refused_back};

/// The field by which a row of `entity` lies in a unit and goes with the unit's merge. History
/// and yearly denominators stay with the unit they describe.
pub(super) fn unit_link(entity: &str) -> Option<&'static str> {
    match entity {
        "member" => Some("unit_id"),
        "org_unit" => Some(PARENT_FIELD),
        _ => None,
    }
}

fn text<'a>(row: &'a RowState, field: &str) -> Option<&'a str> {
    row.fields
        .get(field)
        .and_then(|f| f.value.as_str())
        .filter(|v| !v.is_empty())
}

/// The record `row` was merged into, if it was.
pub(super) fn merged_into(row: &RowState) -> Option<String> {
    text(row, "merged_into").map(str::to_owned)
}

/// A row that no longer goes anywhere with its unit: deleted, merged into another record, or
/// (a unit) closed.
fn retired(row: &RowState) -> bool {
    let deleted = row
        .fields
        .get("deleted")
        .is_some_and(|f| f.value.as_bool() == Some(true));
    deleted || merged_into(row).is_some() || text(row, "valid_to").is_some()
}

/// The unit `unit` was merged into, followed up to [`MAX_REDIRECTS`] merges (`merged_into`
/// reads one unit's); `None` when it was not merged.
pub(super) fn successor<E>(
    unit: &str,
    mut merged_into: impl FnMut(&str) -> Result<Option<String>, E>,
) -> Result<Option<String>, E> {
    let mut seen = vec![unit.to_owned()];
    for _ in 0..MAX_REDIRECTS {
        match merged_into(seen.last().expect("one unit at least"))? {
            Some(next) if !seen.contains(&next) => seen.push(next),
            _ => break,
        }
    }
    Ok((seen.len() > 1).then(|| seen.pop().expect("two units")))
}

/// Whether merging `unit` into `survivor` would close a loop: `survivor` was merged, a few
/// merges deep, into `unit` itself (two laptops merged two branches into each other offline).
/// The first merge to reach the server stands; the second is refused ([`merge_loop_refused`]).
pub(super) fn closes_a_loop<E>(
    unit: &str,
    survivor: &str,
    mut merged_into: impl FnMut(&str) -> Result<Option<String>, E>,
) -> Result<bool, E> {
    let mut at = survivor.to_owned();
    for _ in 0..MAX_REDIRECTS {
        if at == unit {
            return Ok(true);
        }
        match merged_into(&at)? {
            Some(next) => at = next,
            None => return Ok(false),
        }
    }
    Ok(at == unit)
}

/// The refusal of a merge that would close a loop ([`closes_a_loop`]).
/// The laptop puts the unit back as the server holds it (`row`), not merged.
pub(super) fn merge_loop_refused(op: &Op, row: &RowState) -> OpResult {
    refused_back(
        op,
        row,
        RejectCode::InvalidValue,
        "Không sáp nhập được: trong lúc đó, máy khác đã sáp nhập đơn vị nhận vào chính đơn vị \
         này. Hãy xem lại cây đơn vị rồi sáp nhập lại nếu cần.",
    )
}

/// The unit `op` puts its row in, when the op set the row's link and its value was taken.
pub(super) fn linked_unit<'a>(op: &Op, merged: &'a MergeOutcome) -> Option<&'a str> {
    let field = unit_link(&op.entity)?;
    let state = merged.row.fields.get(field)?;
    if !op.fields.contains_key(field) || state.version != op.version {
        return None;
    }
    state
        .value
        .as_str()
        .filter(|unit| !unit.is_empty() && *unit != op.row_id)
}

/// The row `op` put in a merged unit goes to `successor` instead (unless that is the row
/// itself: a unit is not put under itself; it stays under the merged one).
pub(super) fn follow_successor(op: &Op, merged: &mut MergeOutcome, successor: &str) {
    let Some(field) = unit_link(&op.entity) else {
        return;
    };
    if successor == op.row_id {
        return;
    }
    let state = FieldState {
        value: serde_json::Value::String(successor.to_owned()),
        version: version_after(&op.version),
    };
    merged.row.fields.insert(field.to_owned(), state.clone());
    merged.fields.insert(field.to_owned(), state);
}

/// The unit `op` merged its row into, when this op did it (its `merged_into` taken).
pub(super) fn merged_away(op: &Op, merged: &MergeOutcome) -> Option<String> {
    if op.entity != "org_unit" || !op.fields.contains_key("merged_into") {
        return None;
    }
    let state = merged.row.fields.get("merged_into")?;
    if state.version != op.version {
        return None;
    }
    merged_into(&merged.row).filter(|survivor| *survivor != op.row_id)
}

/// The new link of a row (`entity`, `row_id`) that still lies in `unit`, which an op at
/// `merge_version` merged into `survivor`; `None` when the row does not go along (nor does the
/// survivor itself, when it was a sub-unit of the merged unit: it would lie under itself).
pub(super) fn heir(
    (entity, row_id): (&str, &str),
    row: &RowState,
    (unit, survivor): (&str, &str),
    merge_version: &str,
) -> Option<(&'static str, FieldState)> {
    let field = unit_link(entity)?;
    let link = row.fields.get(field)?;
    if link.value.as_str() != Some(unit) || retired(row) || row_id == survivor {
        return None;
    }
    let after = link.version.as_str().max(merge_version);
    Some((
        field,
        FieldState {
            value: serde_json::Value::String(survivor.to_owned()),
            version: version_after(after),
        },
    ))
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, HashMap};
    use std::convert::Infallible;

    use khuyenhoc_sync_protocol::{OpField, merge};
    use serde_json::{Value, json};

    use super::*;

    fn state(fields: &[(&str, Value, &str)]) -> RowState {
        RowState {
            fields: fields
                .iter()
                .map(|(k, v, version)| {
                    (
                        (*k).to_owned(),
                        FieldState {
                            value: v.clone(),
                            version: (*version).to_owned(),
                        },
                    )
                })
                .collect(),
        }
    }

    fn op(entity: &str, version: &str, fields: &[(&str, Value)]) -> Op {
        Op {
            op_id: "op".into(),
            device_id: "d".into(),
            device_seq: 1,
            op_format: khuyenhoc_sync_protocol::OP_FORMAT,
            entity: entity.into(),
            row_id: "r".into(),
            intent: format!("{entity}.update"),
            fields: fields
                .iter()
                .map(|(k, v)| {
                    (
                        (*k).to_owned(),
                        OpField {
                            value: v.clone(),
                            base: None,
                        },
                    )
                })
                .collect::<BTreeMap<_, _>>(),
            author: String::new(),
            version: version.into(),
        }
    }

    const V1: &str = "000000000000001-0000000000-d";
    const V2: &str = "000000000000002-0000000000-d";

    #[test]
    fn a_successor_is_followed_a_few_merges_deep_and_a_loop_stops() {
        let merges: HashMap<&str, &str> = [("x", "y"), ("y", "z"), ("a", "b"), ("b", "a")].into();
        let next = |u: &str| Ok::<_, Infallible>(merges.get(u).map(|s| (*s).to_owned()));
        assert_eq!(successor("x", next), Ok(Some("z".to_owned())));
        assert_eq!(successor("z", next), Ok(None));
        assert_eq!(successor("a", next), Ok(Some("b".to_owned())));
    }

    #[test]
    fn a_merge_into_a_unit_merged_into_this_one_closes_a_loop() {
        let merges: HashMap<&str, &str> = [("y", "x"), ("b", "c"), ("c", "a")].into();
        let next = |u: &str| Ok::<_, Infallible>(merges.get(u).map(|s| (*s).to_owned()));
        assert_eq!(closes_a_loop("x", "y", next), Ok(true));
        assert_eq!(closes_a_loop("a", "b", next), Ok(true));
        assert_eq!(closes_a_loop("x", "z", next), Ok(false));
        assert_eq!(closes_a_loop("y", "x", next), Ok(false), "x was not merged");
    }

    #[test]
    fn a_member_put_in_a_merged_unit_goes_to_its_successor_at_a_later_version() {
        let put = op(
            "member",
            V2,
            &[("unit_id", json!("x")), ("full_name", json!("An"))],
        );
        let mut merged = merge(None, &put);
        assert_eq!(linked_unit(&put, &merged), Some("x"));
        let mut itself = merged.clone();
        follow_successor(&put, &mut itself, "r");
        assert_eq!(itself, merged, "not put under itself");
        follow_successor(&put, &mut merged, "z");
        let link = &merged.row.fields["unit_id"];
        assert_eq!(link.value, json!("z"));
        assert!(link.version.as_str() > V2);
        assert_eq!(merged.fields["unit_id"], *link, "what the devices are sent");
        assert_eq!(merged.fields["full_name"].version, V2);

        // A link the op did not set, or set but lost to a newer one, is left alone.
        let phone = op("member", V2, &[("phone", json!("0912"))]);
        let row = state(&[("unit_id", json!("x"), V1)]);
        assert_eq!(linked_unit(&phone, &merge(Some(&row), &phone)), None);
        let late = op("member", V1, &[("unit_id", json!("x"))]);
        let newer = state(&[("unit_id", json!("y"), V2)]);
        assert_eq!(linked_unit(&late, &merge(Some(&newer), &late)), None);
        // A dues row names no unit to follow.
        let dues = op("member_dues", V2, &[("member_id", json!("x"))]);
        assert_eq!(linked_unit(&dues, &merge(None, &dues)), None);
    }

    #[test]
    fn a_merge_takes_the_open_rows_still_in_the_unit_along() {
        let merging = op(
            "org_unit",
            V1,
            &[
                ("merged_into", json!("y")),
                ("valid_to", json!("2026-11-01")),
            ],
        );
        let merged = merge(Some(&state(&[("name", json!("Thôn 2"), V1)])), &merging);
        assert_eq!(merged_away(&merging, &merged), Some("y".to_owned()));
        assert_eq!(
            merged_away(&op("org_unit", V1, &[("name", json!("n"))]), &merged),
            None
        );

        // A member recorded after the merge (a later version) still goes, after its own version.
        let member = state(&[("unit_id", json!("x"), V2)]);
        let (field, link) = heir(("member", "r"), &member, ("x", "y"), V1).unwrap();
        assert_eq!((field, &link.value), ("unit_id", &json!("y")));
        assert!(link.version.as_str() > V2);
        let unit = state(&[("parent_id", json!("x"), V1)]);
        assert_eq!(
            heir(("org_unit", "r"), &unit, ("x", "y"), V2).unwrap().0,
            "parent_id"
        );

        for staying in [
            state(&[("unit_id", json!("w"), V1)]),
            state(&[("unit_id", json!("x"), V1), ("deleted", json!(true), V1)]),
            state(&[
                ("unit_id", json!("x"), V1),
                ("merged_into", json!("m2"), V1),
            ]),
        ] {
            assert_eq!(heir(("member", "r"), &staying, ("x", "y"), V1), None);
        }
        let closed = state(&[
            ("parent_id", json!("x"), V1),
            ("valid_to", json!("2026-01-01"), V1),
        ]);
        assert_eq!(heir(("org_unit", "r"), &closed, ("x", "y"), V1), None);
        assert_eq!(
            heir(("org_unit", "y"), &unit, ("x", "y"), V1),
            None,
            "not under itself"
        );
        let history = state(&[("unit_id", json!("x"), V1)]);
        assert_eq!(
            heir(("unit_denominator", "r"), &history, ("x", "y"), V1),
            None
        );
    }
}
