//! The kinds of rows that sync, known to client and server alike. History rows (status changes,
//! unit events) are insert-only: once written they never change, on any device. Each kind says
//! where its rows belong ([`ScopeRule`]): the server reads a row's scope from its own fields, so
//! a member lies where its unit lies and follows it when the unit moves.

/// Where the rows of a kind belong, read from their fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScopeRule {
    /// Where the device that created the row belongs, for good (officers: the people who log
    /// in on the laptops of one commune).
    Creator,
    /// Where the row named by `field` (a row of `entity`) lies: a member's unit, a due's
    /// member.
    Follows {
        field: &'static str,
        entity: &'static str,
    },
    /// An org unit: bound to the server's unit of the same official code (`org_code`) when the
    /// device may write there (a commune set up offline binds to its commune), else where its
    /// parent unit (`parent_id`) lies.
    Unit,
}

/// The official-code field of an org unit ([`ScopeRule::Unit`]).
pub const ORG_CODE_FIELD: &str = "org_code";
/// The parent field of an org unit ([`ScopeRule::Unit`]).
pub const PARENT_FIELD: &str = "parent_id";

/// One kind of synced row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EntityKind {
    pub name: &'static str,
    /// Rows are only ever inserted (history); a change to an existing one is refused.
    pub insert_only: bool,
    pub scope: ScopeRule,
}

impl EntityKind {
    /// Whether a change of `field` may move a row of this kind to another scope.
    pub fn is_scope_field(&self, field: &str) -> bool {
        match self.scope {
            ScopeRule::Creator => false,
            ScopeRule::Follows { field: f, .. } => f == field,
            ScopeRule::Unit => field == ORG_CODE_FIELD || field == PARENT_FIELD,
        }
    }
}

const fn follows(field: &'static str, entity: &'static str) -> ScopeRule {
    ScopeRule::Follows { field, entity }
}

pub const ENTITIES: &[EntityKind] = &[
    EntityKind {
        name: "member",
        insert_only: false,
        scope: follows("unit_id", "org_unit"),
    },
    EntityKind {
        name: "org_unit",
        insert_only: false,
        scope: ScopeRule::Unit,
    },
    EntityKind {
        name: "unit_denominator",
        insert_only: false,
        scope: follows("unit_id", "org_unit"),
    },
    EntityKind {
        name: "member_dues",
        insert_only: false,
        scope: follows("member_id", "member"),
    },
    EntityKind {
        name: "officer",
        insert_only: false,
        scope: ScopeRule::Creator,
    },
    EntityKind {
        name: "member_status_event",
        insert_only: true,
        scope: follows("member_id", "member"),
    },
    EntityKind {
        name: "org_unit_event",
        insert_only: true,
        scope: follows("unit_id", "org_unit"),
    },
];

/// The kind named `name`, if it syncs.
pub fn entity(name: &str) -> Option<&'static EntityKind> {
    ENTITIES.iter().find(|e| e.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_follow_synced_kinds_through_their_scope_fields() {
        for kind in ENTITIES {
            if let ScopeRule::Follows {
                field,
                entity: parent,
            } = kind.scope
            {
                assert!(kind.is_scope_field(field), "{}", kind.name);
                assert!(!kind.is_scope_field("note"), "{}", kind.name);
                assert!(
                    entity(parent).is_some(),
                    "{} follows a synced kind",
                    kind.name
                );
            }
        }
        let unit = entity("org_unit").unwrap();
        assert!(unit.is_scope_field(ORG_CODE_FIELD) && unit.is_scope_field(PARENT_FIELD));
        assert!(!entity("officer").unwrap().is_scope_field("role"));
    }
}
