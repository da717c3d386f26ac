//! An op: one change of one row, recorded on a device in the same SQLite transaction as the
//! change itself, identified by `(device_id, device_seq)` and by its own `op_id` (UUIDv7).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use crate::format::{OP_FORMAT, OP_FORMAT_PREVIOUS};

/// One changed field: the new value, and the version of the field this device had seen when it
/// made the change (`None`: it had seen none, e.g. a new row).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OpField {
    pub value: Value,
    pub base: Option<String>,
}

/// One change of one row, as pushed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Op {
    pub op_id: String,
    pub device_id: String,
    pub device_seq: i64,
    pub op_format: i64,
    /// The kind of row: `member`, `org_unit`, `member_status_event`…
    pub entity: String,
    pub row_id: String,
    /// What the officer did (`member.update`, `unit.merge`…), kept for the audit trail.
    pub intent: String,
    pub fields: BTreeMap<String, OpField>,
    /// The officer's login name.
    pub author: String,
    /// The op's version stamp (hybrid logical clock, then device id; ordered as a string).
    pub version: String,
}

impl Op {
    /// The row the op changes.
    pub fn row(&self) -> RowKey {
        RowKey {
            entity: self.entity.clone(),
            row_id: self.row_id.clone(),
        }
    }
}

/// A row of any entity.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct RowKey {
    pub entity: String,
    pub row_id: String,
}
