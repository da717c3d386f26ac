//! The bodies of the sync HTTP API: push (ops up, one result per op) and pull (pages of changes
//! after a server-assigned cursor). Every answer carries the server database's epoch, so a
//! client notices a server restored from a backup, and the server's clock, which advances the
//! client's hybrid logical clock.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::merge::{Conflict, FieldState};
use crate::op::Op;

/// `POST /v1/enroll`: a laptop joins the org unit a one-time code was made for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrollRequest {
    pub code: String,
    pub device_id: String,
    /// The device's Ed25519 public key, 32 bytes in standard base64.
    pub public_key: String,
    pub device_name: String,
    /// The official code of the unit the laptop was set up for, when it has one: the server
    /// refuses a code for another unit (`unit_code_mismatch`) without using it up.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org_code: Option<String>,
}

/// The org unit a device is bound to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnitRef {
    pub id: String,
    pub org_code: Option<String>,
    pub name: String,
}

/// The answer to an enrollment: the device's token (shown once, kept by the laptop).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrollResponse {
    pub token: String,
    pub device_id: String,
    pub unit: UnitRef,
    pub epoch: String,
}

/// `POST /v1/push`: ops in device-sequence order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PushRequest {
    pub op_format: i64,
    pub device_id: String,
    pub ops: Vec<Op>,
}

/// The answer to a push: one result per op, in the order sent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PushResponse {
    pub epoch: String,
    pub server_time_ms: u64,
    pub results: Vec<OpResult>,
    /// The highest device sequence the server holds for this device.
    pub high_water: i64,
}

/// What became of one op, and the fields it named as they now stand on the server. The laptop
/// takes those values for every field with no later pending op of its own: its losing value in
/// a conflict, or a rejected op's effect, is replaced by the server's, even when the op was a
/// retry whose first answer was lost (a pull then skipped it as pending).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OpResult {
    pub op_id: String,
    pub device_seq: i64,
    #[serde(flatten)]
    pub outcome: OpOutcome,
    /// Absent fields do not exist on the server (e.g. a rejected new row).
    pub fields: BTreeMap<String, FieldState>,
    /// Set when the op was applied to another record than its own: its record had been merged
    /// into that one (an edit made offline before the merge was known). `fields` are then that
    /// record's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub landed: Option<Box<Landed>>,
}

/// Where a redirected op landed ([`OpResult::landed`]), and its own record's fields as they
/// stand on the server, so the laptop puts that record back as the server has it: each of the
/// op's fields takes the value here, or is emptied when absent here.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Landed {
    pub row_id: String,
    pub own_fields: BTreeMap<String, FieldState>,
}

/// What became of one pushed op. Every outcome acknowledges the op: a rejected op is not sent
/// again, it is kept on the laptop with its reason for a person to see.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "result", rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum OpOutcome {
    Applied,
    /// The server already had this op (a retry after a lost answer).
    Duplicate,
    /// Applied; some fields had been changed concurrently elsewhere.
    Conflict {
        conflicts: Vec<Conflict>,
    },
    /// Not applied; the laptop goes back to the server's values.
    Rejected {
        code: RejectCode,
        reason: String,
    },
}

/// Why an op was refused (a person reads `reason`; programs read this).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum RejectCode {
    /// The row is outside the device's org-unit subtree (before or after the change).
    OutsideScope,
    /// An entity the server does not know.
    UnknownEntity,
    /// A value the server refuses (e.g. a required field emptied).
    InvalidValue,
    /// A change to a row that may only be inserted (history, ledger entries).
    InsertOnly,
    /// The row was deleted and, once every active device had pulled its deletion, purged from
    /// the server: a late edit (made offline on a laptop silent for months) is not applied,
    /// and the laptop drops the row.
    RowPurged,
    /// A code from a newer server.
    #[serde(other)]
    Other,
}

/// `POST /v1/pull`: changes after `cursor` (0: from the beginning). A cursor above 0 but below
/// the server's purge point, from a device that may still hold rows purged since, is refused
/// with `410` [`CURSOR_PURGED`]: the device pushes what it has pending, then pulls from zero.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PullRequest {
    pub op_format: i64,
    pub cursor: i64,
    pub limit: u32,
}

/// One page of changes in version order, and the cursor to ask from next.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PullPage {
    pub epoch: String,
    pub server_time_ms: u64,
    pub changes: Vec<Change>,
    pub cursor: i64,
    /// Whether more changes wait after this page.
    pub more: bool,
}

/// A row's fields as they now stand on the server, after the change numbered `version`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Change {
    pub version: i64,
    pub entity: String,
    pub row_id: String,
    pub fields: BTreeMap<String, FieldState>,
    /// The row left the device's scope (moved to another commune): drop it locally.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub scope_exit: bool,
    /// Who made the change (the officer's login name on the laptop that sent it), for history
    /// rows; absent from servers older than this field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
}

/// The error code of a pull whose cursor lies below the server's purge point (see
/// [`PullRequest`]).
pub const CURSOR_PURGED: &str = "cursor_purged";

/// The body of every error answer: a code for programs, a message for people (Vietnamese).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub code: String,
    pub message: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn outcomes_are_tagged_by_result() {
        let r = OpResult {
            op_id: "o".into(),
            device_seq: 3,
            outcome: OpOutcome::Duplicate,
            fields: BTreeMap::new(),
            landed: None,
        };
        assert_eq!(
            serde_json::to_value(&r).unwrap(),
            json!({"op_id": "o", "device_seq": 3, "result": "duplicate", "fields": {}})
        );
    }

    #[test]
    fn a_reject_code_from_a_newer_server_is_read_as_other() {
        let r: OpResult = serde_json::from_value(json!({
            "op_id": "o", "device_seq": 1, "result": "rejected",
            "code": "quota_exceeded", "reason": "…", "fields": {}
        }))
        .unwrap();
        assert!(matches!(
            r.outcome,
            OpOutcome::Rejected {
                code: RejectCode::Other,
                ..
            }
        ));
    }

    #[test]
    fn a_purged_row_is_refused_as_row_purged() {
        assert_eq!(
            serde_json::to_value(RejectCode::RowPurged).unwrap(),
            json!("row_purged")
        );
    }
}
