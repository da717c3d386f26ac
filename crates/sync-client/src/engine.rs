//! One sync: push the outbox in batches until nothing sendable is left, then pull pages until
//! the server says there are no more. Every answer is applied by the store in one transaction,
//! so a cut connection or a killed process leaves the outbox and the cursor consistent, and the
//! next sync goes on from there. The store is locked only while an answer is applied, never
//! while waiting for the network, so the app stays usable during a sync.
//!
//! One sync per database at a time ([`khuyenhoc_store::SyncTurn`], shared by the app and the
//! CLI). An answer from a restored server (another epoch) starts the sync over once: the store
//! queues again the acknowledged ops it keeps and pulls from zero, so the server gets back what
//! it lost and the laptop what changed since. A server that already holds this device's
//! sequences (`409 sequence_reused`, or a high-water mark past the local counter: the file was
//! put back from an old copy) makes the laptop take a new identity and enroll again.
//!
//! A pull refused as `410 cursor_purged` (the laptop was silent while the server purged deleted
//! records it had not pulled) starts the sync over once too, as a re-bootstrap: the outbox has
//! just been drained by the push (an edit of a purged record comes back refused and parked),
//! other laptops' carried batches are handed over, then the store pulls from zero and its last
//! page drops the rows the server no longer sends ([`khuyenhoc_store::Store::start_rebootstrap`]).
//! The re-bootstrap is kept in the database: a sync cut half-way goes on with it next time.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;

use serde::Serialize;

use khuyenhoc_store::{SEQUENCE_BEHIND, SERVER_EPOCH_CHANGED, Store, StoreError};
use khuyenhoc_sync_protocol::{
    CURSOR_PURGED, OP_FORMAT, Op, OpOutcome, PullRequest, PushRequest, PushResponse, RowKey,
};

use crate::error::SyncError;
use crate::http::Connection;

/// Ops per push.
pub const PUSH_BATCH: usize = 500;
/// Changes per pulled page.
pub const PULL_PAGE: u32 = 1_000;

/// Ops per push: [`PUSH_BATCH`], or `KHUYENHOC_SYNC_PUSH_BATCH` (tests use small batches to get
/// several round trips out of a little data).
pub fn push_batch() -> usize {
    env_size("KHUYENHOC_SYNC_PUSH_BATCH").unwrap_or(PUSH_BATCH)
}

/// Changes per pulled page: [`PULL_PAGE`], or `KHUYENHOC_SYNC_PULL_PAGE` (for tests).
pub fn pull_page() -> u32 {
    env_size("KHUYENHOC_SYNC_PULL_PAGE")
        .and_then(|n| u32::try_from(n).ok())
        .unwrap_or(PULL_PAGE)
}

fn env_size(name: &str) -> Option<usize> {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|&n| n > 0)
}

/// What one sync did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SyncSummary {
    pub pushed: usize,
    pub conflicts: usize,
    pub rejected: usize,
    pub pulled: usize,
    /// Fields and rows the pulled changes altered here; a change that only confirmed what this
    /// laptop held (its own, sent back) counts in `pulled` but not here.
    pub changed_here: usize,
    pub cursor: i64,
    /// The server had been restored from a backup; this many acknowledged ops were sent again.
    pub server_restored: Option<usize>,
    /// Other laptops' signed batches carried here and handed to the server.
    pub relayed: usize,
    /// The laptop pulled everything again from zero because the server had purged deleted
    /// records it had not pulled; this many rows the server no longer has were dropped here.
    pub rebootstrapped: Option<usize>,
}

/// The store, also after a panic elsewhere while it was held.
pub(crate) fn lock(store: &Mutex<Store>) -> std::sync::MutexGuard<'_, Store> {
    // A panic while applying an answer rolled its transaction back: the store is usable.
    store.lock().unwrap_or_else(|e| e.into_inner())
}

/// Pushes, then pulls. On failure, the reason is recorded for the status line.
pub async fn sync_once(store: &Mutex<Store>, conn: &Connection) -> Result<SyncSummary, SyncError> {
    let result = run(store, conn).await;
    match &result {
        // The sync that holds the turn reports for itself.
        Err(e) if e.code() == "sync_running" => {}
        Err(e) => {
            tracing::warn!(code = e.code(), error = %e, "sync failed");
            let _ = lock(store).record_sync_error(&e.message_vi());
        }
        Ok(_) => {}
    }
    result
}

async fn run(store: &Mutex<Store>, conn: &Connection) -> Result<SyncSummary, SyncError> {
    let _turn = lock(store).sync_turn()?;
    let mut summary = SyncSummary::default();
    // A re-bootstrap cut short last time: other laptops' batches carried here reach the server
    // before the last page, or their rows would be dropped here as unknown to it.
    if lock(store).rebootstrapping()? {
        summary.relayed += crate::batch::deliver_relayed(store, conn).await?;
    }
    let (mut restored, mut cursor_purged) = (false, false);
    loop {
        match push_and_pull(store, conn, &mut summary).await {
            Ok(()) => break,
            Err(Stop::Restored { epoch }) if !restored => {
                restored = true;
                let r = lock(store).restart_with_restored_server(&epoch)?;
                summary.server_restored = Some(r.requeued);
            }
            Err(Stop::CursorPurged) if !cursor_purged => {
                cursor_purged = true;
                // The push has just drained the outbox; carried batches go too.
                summary.relayed += crate::batch::deliver_relayed(store, conn).await?;
                lock(store).start_rebootstrap()?;
            }
            Err(stop) => return Err(stop.into_error()),
        }
    }
    summary.relayed += crate::batch::deliver_relayed(store, conn).await?;
    let purged = lock(store).purge_acknowledged_ops()?;
    if purged > 0 {
        tracing::info!(purged, "purged old acknowledged ops");
    }
    Ok(summary)
}

/// Why one pass stopped: the server was restored (another epoch), it refused the cursor as
/// purged, or any other error.
enum Stop {
    Restored { epoch: String },
    CursorPurged,
    Failed(SyncError),
}
impl Stop {
    fn into_error(self) -> SyncError {
        match self {
            Stop::Failed(e) => e,
            Stop::Restored { .. } => SyncError::BadAnswer {
                detail: "the server's epoch changed twice in one sync".into(),
            },
            Stop::CursorPurged => SyncError::Server {
                status: 410,
                code: CURSOR_PURGED.into(),
                message: "the cursor was refused as purged again after a pull from zero".into(),
            },
        }
    }
}

impl<E: Into<SyncError>> From<E> for Stop {
    fn from(e: E) -> Self {
        Stop::Failed(e.into())
    }
}

/// An answer refused because it comes from a restored server stops the pass; one that shows
/// the server ahead of this device's counter gives the laptop a new identity.
fn applied<T>(result: Result<T, StoreError>, epoch: &str, store: &Mutex<Store>) -> Result<T, Stop> {
    match result {
        Err(e) if e.code() == SERVER_EPOCH_CHANGED => Err(Stop::Restored {
            epoch: epoch.to_owned(),
        }),
        Err(e) if e.code() == SEQUENCE_BEHIND => Err(Stop::Failed(new_identity(store))),
        other => Ok(other?),
    }
}

/// Sends one push in its own task (it goes on while the laptop applies the previous answer).
fn send_push(
    conn: &Connection,
    device_id: &str,
    ops: &[Op],
) -> tokio::task::JoinHandle<Result<PushResponse, SyncError>> {
    tracing::debug!(
        ops = ops.len(),
        first_seq = ops.first().map_or(0, |op| op.device_seq),
        "push: sending {} ops",
        ops.len()
    );
    let conn = conn.clone();
    let request = PushRequest {
        op_format: OP_FORMAT,
        device_id: device_id.to_owned(),
        ops: ops.to_vec(),
    };
    tokio::spawn(async move { conn.push(&request).await })
}

/// The rows whose ops `answer` refused, each with its earliest refused version: their later
/// ops wait (as they will once the refusals are parked).
fn refused_rows(ops: &[Op], answer: &PushResponse) -> BTreeMap<RowKey, String> {
    let refused: BTreeSet<&str> = answer
        .results
        .iter()
        .filter(|r| matches!(r.outcome, OpOutcome::Rejected { .. }))
        .map(|r| r.op_id.as_str())
        .collect();
    let mut rows: BTreeMap<RowKey, String> = BTreeMap::new();
    for op in ops.iter().filter(|op| refused.contains(op.op_id.as_str())) {
        let first = rows.entry(op.row()).or_insert_with(|| op.version.clone());
        if op.version < *first {
            first.clone_from(&op.version);
        }
    }
    rows
}

/// Takes a new device identity after a sequence clash; the error tells the officer to enroll
/// the laptop again (its token belonged to the old identity).
fn new_identity(store: &Mutex<Store>) -> SyncError {
    if let Err(e) = lock(store).take_new_identity_after_reuse() {
        return e.into();
    }
    SyncError::Store(StoreError::rule(
        "enroll_again",
        "Tệp dữ liệu của máy này được chép đè từ một bản cũ, nên máy chủ không nhận các thay \
         đổi dưới danh tính cũ. Máy đã nhận danh tính mới và giữ nguyên mọi thay đổi chưa gửi: \
         hãy đăng ký lại máy với máy chủ bằng một mã tham gia mới.",
        "the server already holds this device's sequences: a new identity was taken, enroll again",
    ))
}

async fn push_and_pull(
    store: &Mutex<Store>,
    conn: &Connection,
    summary: &mut SyncSummary,
) -> Result<(), Stop> {
    push_all(store, conn, summary).await?;
    pull_all(store, conn, summary).await
}

/// Pushes the pending ops without pulling (the sync benchmark times the push alone); taking
/// the sync turn as a sync does.
pub async fn push_pending(
    store: &Mutex<Store>,
    conn: &Connection,
) -> Result<SyncSummary, SyncError> {
    let _turn = lock(store).sync_turn()?;
    let mut summary = SyncSummary::default();
    push_all(store, conn, &mut summary)
        .await
        .map_err(Stop::into_error)?;
    Ok(summary)
}

/// Pushes until nothing sendable is left.
async fn push_all(
    store: &Mutex<Store>,
    conn: &Connection,
    summary: &mut SyncSummary,
) -> Result<(), Stop> {
    let (device_id, mut ops) = {
        let s = lock(store);
        (s.device_id().to_string(), s.next_push(push_batch())?)
    };
    let mut request = (!ops.is_empty()).then(|| send_push(conn, &device_id, &ops));
    while let Some(in_flight) = request.take() {
        let sent = ops.len();
        let answer = match in_flight.await {
            Ok(Err(SyncError::Server { code, .. })) if code == "sequence_reused" => {
                return Err(Stop::Failed(new_identity(store)));
            }
            Ok(answer) => answer?,
            Err(e) => {
                return Err(Stop::Failed(SyncError::BadAnswer {
                    detail: format!("the push task ended: {e}"),
                }));
            }
        };
        // The next push leaves before this answer is applied, so that the laptop's work and
        // the server's overlap; it already holds back the rows this answer refused. The server
        // still gets one push at a time, in sequence order.
        let next = {
            let after = ops.last().map_or(0, |op| op.device_seq);
            lock(store).next_push_after(push_batch(), after, &refused_rows(&ops, &answer))?
        };
        if !next.is_empty() {
            request = Some(send_push(conn, &device_id, &next));
        }
        // The store's lock is let go before `applied` may need it again.
        tracing::debug!("push: answer received, applying it");
        let result = lock(store).apply_push_response(&answer);
        let report = match applied(result, &answer.epoch, store) {
            Ok(report) => report,
            Err(stop) => {
                if let Some(next) = request {
                    next.abort();
                }
                return Err(stop);
            }
        };
        tracing::debug!(
            acknowledged = report.acknowledged,
            "push: applied the answer, {} ops acknowledged",
            report.acknowledged
        );
        if report.acknowledged == 0 {
            // Sending the same ops again would loop for ever.
            if let Some(next) = request {
                next.abort();
            }
            return Err(Stop::Failed(SyncError::BadAnswer {
                detail: format!("the server acknowledged none of {sent} ops"),
            }));
        }
        summary.pushed += report.acknowledged;
        summary.conflicts += report.conflicts;
        summary.rejected += report.rejected;
        ops = next;
    }
    Ok(())
}

/// Pulls pages until the server says there are no more.
async fn pull_all(
    store: &Mutex<Store>,
    conn: &Connection,
    summary: &mut SyncSummary,
) -> Result<(), Stop> {
    loop {
        let cursor = lock(store).sync_status()?.pull_cursor;
        tracing::debug!(cursor, "pull: asking for the page after cursor {cursor}");
        let page = match conn
            .pull(&PullRequest {
                op_format: OP_FORMAT,
                cursor,
                limit: pull_page(),
            })
            .await
        {
            Err(SyncError::Server { code, .. }) if code == CURSOR_PURGED => {
                tracing::info!(
                    cursor,
                    "pull: the cursor lies below the server's purge point"
                );
                return Err(Stop::CursorPurged);
            }
            other => other?,
        };
        tracing::debug!(
            cursor,
            changes = page.changes.len(),
            "pull: page received, applying it"
        );
        let result = lock(store).apply_pull_page(&page);
        let report = applied(result, &page.epoch, store)?;
        tracing::debug!(
            cursor = report.cursor,
            "pull: applied the page, cursor now {}",
            report.cursor
        );
        summary.pulled += report.changes;
        summary.changed_here += report.fields.fields_applied + report.scope_exits;
        summary.cursor = report.cursor;
        if let Some(dropped) = report.rebootstrap_dropped {
            summary.rebootstrapped = Some(dropped);
        }
        if !page.more {
            break;
        }
        if report.cursor <= cursor {
            return Err(Stop::Failed(SyncError::BadAnswer {
                detail: format!("a page after {cursor} did not move the cursor"),
            }));
        }
    }
    Ok(())
}
