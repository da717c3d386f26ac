//! One sync: push the outbox in batches until nothing sendable is left, then pull pages until
//! the server says there are no more. Every answer is applied by the store in one transaction,
//! so a cut connection or a killed process leaves the outbox and the cursor consistent, and the
//! next sync goes on from there. The store is locked only while an answer is applied, never
//! while waiting for the network, so the app stays usable during a sync.

use std::sync::Mutex;

use serde::Serialize;

use khuyenhoc_store::Store;
use khuyenhoc_sync_protocol::{OP_FORMAT, PullRequest, PushRequest};

use crate::error::SyncError;
use crate::http::Connection;

/// Ops per push.
pub const PUSH_BATCH: usize = 500;
/// Changes per pulled page.
pub const PULL_PAGE: u32 = 1_000;

/// What one sync did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SyncSummary {
    pub pushed: usize,
    pub conflicts: usize,
    pub rejected: usize,
    pub pulled: usize,
    pub cursor: i64,
}

fn lock(store: &Mutex<Store>) -> std::sync::MutexGuard<'_, Store> {
    // A panic while applying an answer rolled its transaction back: the store is usable.
    store.lock().unwrap_or_else(|e| e.into_inner())
}

/// Pushes, then pulls. On failure, the reason is recorded for the status line.
pub async fn sync_once(store: &Mutex<Store>, conn: &Connection) -> Result<SyncSummary, SyncError> {
    let result = run(store, conn).await;
    if let Err(e) = &result {
        tracing::warn!(code = e.code(), error = %e, "sync failed");
        let _ = lock(store).record_sync_error(&e.message_vi());
    }
    result
}

async fn run(store: &Mutex<Store>, conn: &Connection) -> Result<SyncSummary, SyncError> {
    let mut summary = SyncSummary::default();
    loop {
        let (device_id, ops) = {
            let s = lock(store);
            (s.device_id().to_string(), s.next_push(PUSH_BATCH)?)
        };
        if ops.is_empty() {
            break;
        }
        let sent = ops.len();
        let answer = conn
            .push(&PushRequest {
                op_format: OP_FORMAT,
                device_id,
                ops,
            })
            .await?;
        let report = lock(store).apply_push_response(&answer)?;
        if report.acknowledged == 0 {
            // Sending the same ops again would loop for ever.
            return Err(SyncError::BadAnswer {
                detail: format!("the server acknowledged none of {sent} ops"),
            });
        }
        summary.pushed += report.acknowledged;
        summary.conflicts += report.conflicts;
        summary.rejected += report.rejected;
    }
    loop {
        let cursor = lock(store).sync_status()?.pull_cursor;
        let page = conn
            .pull(&PullRequest {
                op_format: OP_FORMAT,
                cursor,
                limit: PULL_PAGE,
            })
            .await?;
        let report = lock(store).apply_pull_page(&page)?;
        summary.pulled += report.changes;
        summary.cursor = report.cursor;
        if !page.more {
            break;
        }
        if report.cursor <= cursor {
            return Err(SyncError::BadAnswer {
                detail: format!("a page after {cursor} did not move the cursor"),
            });
        }
    }
    Ok(summary)
}
