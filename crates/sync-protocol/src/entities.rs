//! The kinds of rows that sync, known to client and server alike. History rows (status changes,
//! unit events) are insert-only: once written they never change, on any device.

/// One kind of synced row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EntityKind {
    pub name: &'static str,
    /// Rows are only ever inserted (history); a change to an existing one is refused.
    pub insert_only: bool,
}

pub const ENTITIES: &[EntityKind] = &[
    EntityKind {
        name: "member",
        insert_only: false,
    },
    EntityKind {
        name: "org_unit",
        insert_only: false,
    },
    EntityKind {
        name: "unit_denominator",
        insert_only: false,
    },
    EntityKind {
        name: "member_dues",
        insert_only: false,
    },
    EntityKind {
        name: "officer",
        insert_only: false,
    },
    EntityKind {
        name: "member_status_event",
        insert_only: true,
    },
    EntityKind {
        name: "org_unit_event",
        insert_only: true,
    },
];

/// The kind named `name`, if it syncs.
pub fn entity(name: &str) -> Option<&'static EntityKind> {
    ENTITIES.iter().find(|e| e.name == name)
}
