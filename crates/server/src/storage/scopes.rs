//! Where a synced row belongs, read from its own fields (the rules, shared by SQLite and
//! PostgreSQL; each database module reads the rows they name). A member lies where its branch
//! lies, a branch where its parent unit lies, a unit whose official code names a server unit the
//! device may write in is bound to that unit (so a commune set up offline binds to its commune on
//! the server), and dues, denominators and history follow their member or unit
//! ([`khuyenhoc_sync_protocol::ScopeRule`]).
//!
//! A row whose scope changes (a member moved to another commune, a branch moved under another
//! commune) is logged twice: a scope exit under its old scope, pulled by the devices that do not
//! see the new one (they drop the row), and its whole state under the new scope, so devices that
//! never saw it get all of it. The rows that follow it (`scope_parent`) move with it, and so on
//! down. A move is authorised by the source scope: a device may edit a row of its subtree and send
//! it elsewhere; a new row must land inside the device's subtree.

use khuyenhoc_sync_protocol::{
    EntityKind, ORG_CODE_FIELD, Op, OpResult, PARENT_FIELD, RejectCode, RowState, ScopeRule,
};
use uuid::Uuid;

use super::sync_rules::rejected;

/// Where a row lies: the server unit whose devices see it, and the row it follows (NULL when
/// bound to a unit directly).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Placement {
    pub scope: Uuid,
    pub parent: Option<String>,
}

/// What a row's fields point at, for the database module to look up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(super) struct Sources<'a> {
    /// The official code of an org unit.
    pub code: Option<&'a str>,
    /// The row followed: its entity and id.
    pub parent: Option<(&'static str, &'a str)>,
}

fn text<'a>(row: &'a RowState, field: &str) -> Option<&'a str> {
    row.fields
        .get(field)
        .and_then(|f| f.value.as_str())
        .map(str::trim)
        .filter(|v| !v.is_empty())
}

/// What the row's fields point at.
pub(super) fn sources<'a>(kind: &EntityKind, row: &'a RowState) -> Sources<'a> {
    match kind.scope {
        ScopeRule::Creator => Sources::default(),
        ScopeRule::Follows { field, entity } => Sources {
            code: None,
            parent: text(row, field).map(|id| (entity, id)),
        },
        ScopeRule::Unit => Sources {
            code: text(row, ORG_CODE_FIELD),
            parent: text(row, PARENT_FIELD).map(|id| ("org_unit", id)),
        },
    }
}

/// Whether the op may change where its row lies: a new row, or a change of a scope field.
pub(super) fn needs_placing(kind: &EntityKind, op: &Op, exists: bool) -> bool {
    !exists || op.fields.keys().any(|f| kind.is_scope_field(f))
}

/// Whether rows of `entity` may be followed by others (a moved one takes them along).
pub(super) fn may_lead(entity: &str) -> bool {
    khuyenhoc_sync_protocol::ENTITIES
        .iter()
        .any(|k| match k.scope {
            ScopeRule::Follows { entity: e, .. } => e == entity,
            ScopeRule::Unit => entity == "org_unit",
            ScopeRule::Creator => false,
        })
}

/// Where the row (as merged) lies, from what its fields point at: `code_unit`, the server unit
/// of its official code when the device may write there; `parent_scope`, the scope of the row
/// it follows when the server has that row. Unresolved, a row stays where it was (a new one
/// lies with the device), still noting the row it follows, so it moves once that row does. A
/// new row landing outside the device's subtree is refused: a laptop of one commune does not
/// write into another.
pub(super) fn place(
    op: &Op,
    sources: Sources<'_>,
    code_unit: Option<Uuid>,
    parent_scope: Option<Uuid>,
    existing: Option<&Placement>,
    device_unit: Uuid,
    in_subtree: impl Fn(Uuid) -> bool,
) -> Result<Placement, OpResult> {
    let parent = sources.parent.map(|(_, id)| id.to_owned());
    let placement = match (code_unit, parent_scope) {
        (Some(unit), _) => Placement {
            scope: unit,
            parent: None,
        },
        (None, Some(scope)) => Placement { scope, parent },
        (None, None) => Placement {
            scope: existing.map_or(device_unit, |p| p.scope),
            parent,
        },
    };
    if existing.is_none() && !in_subtree(placement.scope) {
        return Err(rejected(
            op,
            RejectCode::OutsideScope,
            "Đơn vị của bản ghi này thuộc nơi khác, máy này không được thêm vào đó.",
        ));
    }
    Ok(placement)
}

#[cfg(test)]
mod tests {
    use khuyenhoc_sync_protocol::{FieldState, OpField, entity};
    use serde_json::json;

    use super::*;

    fn row(fields: &[(&str, &str)]) -> RowState {
        RowState {
            fields: fields
                .iter()
                .map(|(k, v)| {
                    (
                        (*k).to_owned(),
                        FieldState {
                            value: json!(v),
                            version: "v".into(),
                        },
                    )
                })
                .collect(),
        }
    }

    fn op(fields: &[&str]) -> Op {
        Op {
            op_id: "op".into(),
            device_id: "d".into(),
            device_seq: 1,
            op_format: khuyenhoc_sync_protocol::OP_FORMAT,
            entity: "member".into(),
            row_id: "m".into(),
            intent: "member.update".into(),
            fields: fields
                .iter()
                .map(|f| {
                    (
                        (*f).to_owned(),
                        OpField {
                            value: json!("x"),
                            base: None,
                        },
                    )
                })
                .collect(),
            author: String::new(),
            version: "v".into(),
        }
    }

    #[test]
    fn a_row_points_at_what_its_kind_follows() {
        let member = entity("member").unwrap();
        let unit = entity("org_unit").unwrap();
        let r = row(&[
            ("unit_id", "b1"),
            ("parent_id", "p"),
            ("org_code", " 26734 "),
        ]);
        assert_eq!(sources(member, &r).parent, Some(("org_unit", "b1")));
        assert_eq!(sources(member, &r).code, None);
        assert_eq!(sources(unit, &r).code, Some("26734"));
        assert_eq!(sources(unit, &r).parent, Some(("org_unit", "p")));
        let empty = row(&[("org_code", ""), ("parent_id", "")]);
        assert_eq!(sources(unit, &empty), Sources::default());
        assert_eq!(sources(entity("officer").unwrap(), &r), Sources::default());
        assert_eq!(
            sources(entity("member_dues").unwrap(), &row(&[("member_id", "m1")])).parent,
            Some(("member", "m1"))
        );
    }

    #[test]
    fn only_new_rows_and_scope_fields_are_placed() {
        let member = entity("member").unwrap();
        assert!(needs_placing(member, &op(&["phone"]), false));
        assert!(!needs_placing(member, &op(&["phone"]), true));
        assert!(needs_placing(member, &op(&["phone", "unit_id"]), true));
        assert!(may_lead("member") && may_lead("org_unit"));
        assert!(!may_lead("member_dues") && !may_lead("officer"));
    }

    #[test]
    fn a_code_binds_before_a_parent_and_an_unresolved_row_stays() {
        let (device, commune, other) = (Uuid::from_u128(1), Uuid::from_u128(2), Uuid::from_u128(3));
        let r = row(&[("org_code", "26734"), ("parent_id", "p")]);
        let unit = entity("org_unit").unwrap();
        let everywhere = |_| true;
        let s = sources(unit, &r);
        let bound = place(
            &op(&[]),
            s,
            Some(commune),
            Some(other),
            None,
            device,
            everywhere,
        );
        assert_eq!(
            bound.unwrap(),
            Placement {
                scope: commune,
                parent: None
            }
        );
        let followed = place(&op(&[]), s, None, Some(other), None, device, everywhere);
        assert_eq!(
            followed.unwrap(),
            Placement {
                scope: other,
                parent: Some("p".into())
            }
        );
        let new = place(&op(&[]), s, None, None, None, device, everywhere).unwrap();
        assert_eq!(
            new,
            Placement {
                scope: device,
                parent: Some("p".into())
            }
        );
        let kept = Placement {
            scope: other,
            parent: None,
        };
        let stays = place(&op(&[]), s, None, None, Some(&kept), device, everywhere).unwrap();
        assert_eq!(stays.scope, other);
    }

    #[test]
    fn a_new_row_outside_the_subtree_is_refused_a_move_is_not() {
        let (device, elsewhere) = (Uuid::from_u128(1), Uuid::from_u128(9));
        let s = Sources {
            code: None,
            parent: Some(("org_unit", "b")),
        };
        let mine = |u| u == device;
        let refused = place(
            &op(&["unit_id"]),
            s,
            None,
            Some(elsewhere),
            None,
            device,
            mine,
        );
        assert!(matches!(
            refused.unwrap_err().outcome,
            khuyenhoc_sync_protocol::OpOutcome::Rejected {
                code: RejectCode::OutsideScope,
                ..
            }
        ));
        let was = Placement {
            scope: device,
            parent: None,
        };
        let moved = place(
            &op(&["unit_id"]),
            s,
            None,
            Some(elsewhere),
            Some(&was),
            device,
            mine,
        );
        assert_eq!(moved.unwrap().scope, elsewhere);
    }
}
