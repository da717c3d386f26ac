//! The sync protocol of khuyenhoc, shared by the desktop client and the central server
//! (`khuyenhoc-server`): the op as it travels, the push and pull messages, and the one pure
//! merge function ([`merge`]) that decides, on the server, what a field ends up holding. A
//! client never merges by itself: it applies what the server decided (see `SYNC.md` in
//! `../shared` and the sync issue).
//!
//! - [`op`]: an op (one change of one row, recorded offline in the outbox);
//! - [`format`]: op formats, and upcasting ops of the previous one (and answers back to it);
//! - [`entities`]: the kinds of rows that sync, which are insert-only, and where each belongs;
//! - [`merge`]: field-level merge with base versions, a deterministic winner and conflicts kept
//!   for a person to review;
//! - [`messages`]: push and pull bodies and per-op results;
//! - [`plan`]: which pending ops go in the next push (pure, so it is tested without a network);
//! - [`batch`]: pending ops in a file signed by the device, for a USB stick when there is no
//!   connection at all.

pub mod batch;
pub mod entities;
pub mod format;
pub mod merge;
pub mod messages;
pub mod op;
pub mod plan;

pub use batch::{BATCH_FORMAT, BatchBody, BatchError, SignedBatch};
pub use entities::{ENTITIES, EntityKind, ORG_CODE_FIELD, PARENT_FIELD, ScopeRule, entity};
pub use format::{
    FieldRename, RENAMES, downcast_fields, downcast_pull_page, downcast_push_response,
    field_name_for, format_readable, upcast, upcast_fields,
};
pub use merge::{
    Conflict, FieldState, MergeOutcome, NO_VERSION, RULE_DEVICE, RowState, merge, version_after,
};
pub use messages::{
    CURSOR_PURGED, Change, EnrollRequest, EnrollResponse, ErrorBody, Landed, OpOutcome, OpResult,
    PullPage, PullRequest, PushRequest, PushResponse, RejectCode, UnitRef,
};
pub use op::{OP_FORMAT, OP_FORMAT_PREVIOUS, Op, OpField, RowKey};
pub use plan::{PushPlan, plan_push};
