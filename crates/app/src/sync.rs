//! Sync in the desktop app: the status line, enrollment (joining a commune on the server), "sync
//! now", the background task that syncs on a timer and retries with capped, jittered backoff
//! while the server cannot be reached, and the review of conflicts and refused changes.
//!
//! Every sync of the app goes through [`App::sync_round`], one at a time; the CLI's syncs of the
//! same file are kept apart by the store's sync turn.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::Duration;

use backon::{BackoffBuilder, ExponentialBackoff, ExponentialBuilder};
use khuyenhoc_domain::{Lang, Permission};
use khuyenhoc_store::{Enrollment, StoreError};
use khuyenhoc_sync_client::{Connection, ServerAddress, SyncError, SyncSummary, words};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::error::{ApiError, ApiResult};
use crate::state::{App, lang_of};

/// When the background task syncs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SyncTimings {
    /// The first sync after the app starts.
    pub first: Duration,
    /// Between syncs while all is well.
    pub every: Duration,
    /// The first retry after the server answered with an error that may pass (busy, failing,
    /// a connection cut mid-answer); doubles up to `retry_max`, with jitter so that a
    /// commune's laptops do not all come back at once.
    pub retry_min: Duration,
    pub retry_max: Duration,
    /// The same while no connection can be made at all (the laptop is offline, or the server
    /// down). Trying costs nobody anything, so the cap is short: the laptop syncs within
    /// `offline_retry_max` of a connection returning.
    pub offline_retry_min: Duration,
    pub offline_retry_max: Duration,
}

impl Default for SyncTimings {
    fn default() -> Self {
        SyncTimings {
            first: Duration::from_secs(3),
            every: Duration::from_secs(5 * 60),
            retry_min: Duration::from_secs(15),
            retry_max: Duration::from_secs(10 * 60),
            offline_retry_min: Duration::from_secs(10),
            offline_retry_max: Duration::from_secs(60),
        }
    }
}

/// The app's side of its syncs: one at a time, and a bell for the background task.
#[derive(Default)]
pub(crate) struct SyncRunner {
    gate: tokio::sync::Mutex<()>,
    wake: tokio::sync::Notify,
    running: AtomicBool,
    last_result: Mutex<Option<String>>,
    /// Syncs of this session that changed records here; see [`SyncView::data_generation`].
    data_generation: AtomicU32,
    /// The server said this laptop's token expired (unused too long): it must enroll again.
    token_expired: AtomicBool,
}

/// What the status line and the sync screen show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct SyncView {
    pub enrolled: bool,
    pub server_url: Option<String>,
    /// The org unit the server bound this laptop to.
    pub unit_name: Option<String>,
    /// Changes waiting to be sent.
    pub pending: i64,
    /// Changes the server refused, waiting for a person.
    pub parked: i64,
    pub conflicts: i64,
    pub last_success_ms: Option<i64>,
    /// Why the last sync failed, in plain words.
    pub last_error: Option<String>,
    /// Set when the laptop's clock is more than a day off.
    pub clock_warning: Option<String>,
    pub running: bool,
    /// What the last sync of this session did.
    pub last_result: Option<String>,
    /// The server no longer takes this laptop's token (unused for too long): the chairperson
    /// enrolls it again with a new code, and what it queued meanwhile then goes up.
    pub reenroll: bool,
    /// Counts the syncs of this session that changed records on this laptop (changes pulled,
    /// refused changes undone, conflicts settled, the database pulled again). A screen that
    /// shows records reloads when it moves, so what a sync brought appears without leaving it.
    pub data_generation: u32,
}

/// The enrollment form: the server and the one-time code from the province.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, TS)]
pub struct EnrollForm {
    pub server_url: String,
    pub code: String,
    /// A name for this laptop, shown to the province's administrator.
    pub device_name: String,
}

/// A conflict as the review screen shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct ConflictView {
    pub id: i64,
    /// member | org_unit | …
    pub entity: String,
    /// The record's name (a member's full name, a unit's name).
    pub record: String,
    /// The field's code, e.g. `phone` (the UI names it).
    pub field: String,
    /// The value every laptop holds, as text.
    pub kept: String,
    /// The value that lost, as text.
    pub lost: String,
    pub detected_ms: i64,
}

/// A refused change as the review screen shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct ParkedView {
    pub op_id: String,
    pub entity: String,
    pub record: String,
    /// e.g. `member.update`
    pub intent: String,
    pub reason: String,
    pub parked_ms: i64,
}

fn from_sync(e: &SyncError, lang: Lang) -> ApiError {
    if let SyncError::Store(e) = e {
        return ApiError::from_store(e, lang);
    }
    tracing::info!(code = e.code(), error = %e, "sync failed");
    let code = match e.code() {
        "unreachable" => "server_unreachable",
        code => code,
    };
    let message = match lang {
        Lang::Vi => e.message_vi(),
        Lang::En => e.to_string(),
    };
    ApiError::new(code, message)
}

/// Whether a sync wrote to the records on this laptop, not only to its outbox.
fn changed_records_here(summary: &SyncSummary) -> bool {
    summary.changed_here + summary.rejected + summary.conflicts > 0
        || summary.rebootstrapped.is_some()
        || summary.server_restored.is_some()
}

fn not_enrolled() -> StoreError {
    StoreError::rule(
        "not_enrolled",
        "Máy này chưa tham gia máy chủ đồng bộ: nhập địa chỉ máy chủ và mã tham gia trước.",
        "this laptop is not enrolled with a sync server",
    )
}

/// A field's value as the officer reads it (text without quotes, empty for none); a citizen
/// id stays masked, as everywhere else in the app.
fn shown(field: &str, v: &serde_json::Value) -> String {
    let text = match v {
        serde_json::Value::Null => String::new(),
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    match field {
        "citizen_id" if !text.is_empty() => khuyenhoc_domain::citizen_id::mask_citizen_id(&text),
        _ => text,
    }
}

impl App {
    pub fn sync_view(&self) -> ApiResult<SyncView> {
        let (status, enrollment, lang) =
            self.with(|s| Ok((s.sync_status()?, s.enrollment()?, lang_of(s))))?;
        let clock_warning = match lang {
            Lang::Vi => words::clock_warning_vi(&status),
            Lang::En => words::clock_warning_vi(&status)
                .map(|_| "This computer's clock is more than a day off; please correct it.".into()),
        };
        Ok(SyncView {
            enrolled: enrollment.is_some(),
            server_url: enrollment
                .as_ref()
                .map(|e| e.server_url.trim_end_matches('/').to_owned()),
            unit_name: enrollment.map(|e| e.unit_name),
            pending: status.pending,
            parked: status.parked,
            conflicts: status.conflicts,
            last_success_ms: status.last_success_ms,
            last_error: status.last_error,
            clock_warning,
            running: self.sync.running.load(Ordering::SeqCst),
            reenroll: self.sync.token_expired.load(Ordering::SeqCst),
            data_generation: self.sync.data_generation.load(Ordering::SeqCst),
            last_result: self
                .sync
                .last_result
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .clone(),
        })
    }

    /// Enrolls this laptop with the server. Once the commune is set up only the chairperson
    /// may do it; a new laptop enrolls before anything else (see [`App::join_commune`]).
    pub async fn enroll(&self, form: EnrollForm) -> ApiResult<SyncView> {
        self.with(|s| s.require(Permission::ManageOfficers))?;
        self.enroll_with(&form).await?;
        self.sync.wake.notify_one();
        self.sync_view()
    }

    /// Enrolls with the server; a wrong address or code is an error on its form field.
    pub(crate) async fn enroll_with(&self, form: &EnrollForm) -> ApiResult<()> {
        let lang = self.lang();
        let address = ServerAddress::parse(form.server_url.trim(), false)
            .map_err(|e| field_error(&e, "server_url", lang))?;
        let name = match form.device_name.trim() {
            "" => "Máy tính xã",
            name => name,
        };
        khuyenhoc_sync_client::enroll(&self.store, address, form.code.trim(), name)
            .await
            .map_err(|e| match e {
                SyncError::Server { ref code, .. }
                    if code.starts_with("enrollment_code_") || code == "unit_code_mismatch" =>
                {
                    field_error(&e, "code", lang)
                }
                SyncError::Unreachable { .. } => field_error(&e, "server_url", lang),
                e => from_sync(&e, lang),
            })?;
        self.sync.token_expired.store(false, Ordering::SeqCst);
        Ok(())
    }

    /// Syncs now and says how it went.
    pub async fn sync_now(&self) -> ApiResult<SyncView> {
        let lang = self.lang();
        self.sync_round().await.map_err(|e| from_sync(&e, lang))?;
        self.sync_view()
    }

    /// One sync (waiting for one already running in the app to finish first).
    pub async fn sync_round(&self) -> Result<SyncSummary, SyncError> {
        let _one = self.sync.gate.lock().await;
        let enrollment: Option<Enrollment> = self.store().enrollment()?;
        let enrollment = enrollment.ok_or_else(not_enrolled)?;
        // The address was checked when enrolling.
        let address = ServerAddress::parse(&enrollment.server_url, true)?;
        let connection = Connection::new(address, Some(enrollment.token))?;
        self.sync.running.store(true, Ordering::SeqCst);
        let result = khuyenhoc_sync_client::sync_once(&self.store, &connection).await;
        self.sync.running.store(false, Ordering::SeqCst);
        let expired = matches!(&result, Err(SyncError::Server { status: 401, code, .. })
            if code == "token_expired");
        self.sync.token_expired.store(expired, Ordering::SeqCst);
        if let Ok(summary) = &result {
            if changed_records_here(summary) {
                self.sync.data_generation.fetch_add(1, Ordering::SeqCst);
            }
            *self
                .sync
                .last_result
                .lock()
                .unwrap_or_else(|p| p.into_inner()) = Some(words::summary_vi(summary));
        }
        result
    }

    /// The background task: syncs soon after start, then every `timings.every`. After an error
    /// that may pass it retries with capped, jittered backoff: a short cap while no connection
    /// can be made (so the laptop syncs soon after one returns), a long one while the server
    /// answers with errors (so a struggling server is left to recover). Enrollment and
    /// [`App::wake_sync`] ring it at once. Runs until the app ends.
    pub async fn run_sync_worker(&self, timings: SyncTimings) {
        let retries = |min, max| {
            ExponentialBuilder::new()
                .with_min_delay(min)
                .with_max_delay(max)
                .with_jitter()
                .without_max_times()
        };
        let server_trouble = retries(timings.retry_min, timings.retry_max);
        let offline = retries(timings.offline_retry_min, timings.offline_retry_max);
        // The backoff under way, and whether it is the offline one.
        let mut backoff: Option<(bool, ExponentialBackoff)> = None;
        let mut delay = timings.first;
        loop {
            tokio::select! {
                () = tokio::time::sleep(delay) => {}
                () = self.sync.wake.notified() => {}
            }
            let enrolled = matches!(self.store().enrollment(), Ok(Some(_)));
            if !enrolled {
                delay = timings.every;
                continue;
            }
            delay = match self.sync_round().await {
                Ok(summary) => {
                    tracing::info!(pushed = summary.pushed, pulled = summary.pulled, "synced");
                    backoff = None;
                    timings.every
                }
                Err(e) if e.is_transient() => {
                    let is_offline = e.is_offline();
                    let (kind, cap) = if is_offline {
                        (&offline, timings.offline_retry_max)
                    } else {
                        (&server_trouble, timings.retry_max)
                    };
                    match &mut backoff {
                        Some((was_offline, b)) if *was_offline == is_offline => b.next(),
                        _ => backoff.insert((is_offline, kind.build())).1.next(),
                    }
                    .unwrap_or(cap)
                }
                Err(_) => {
                    backoff = None;
                    timings.every
                }
            };
        }
    }

    /// Rings the background task (after a change the officer wants sent soon).
    pub fn wake_sync(&self) {
        self.sync.wake.notify_one();
    }

    pub fn conflicts(&self) -> ApiResult<Vec<ConflictView>> {
        self.with(|s| {
            let conflicts = s.sync_conflicts()?;
            Ok(conflicts
                .into_iter()
                .map(|c| ConflictView {
                    record: record_name(s, &c.entity, &c.row_id),
                    kept: shown(&c.field, &c.kept),
                    lost: shown(&c.field, &c.lost),
                    id: c.id,
                    entity: c.entity,
                    field: c.field,
                    detected_ms: c.detected_ms,
                })
                .collect())
        })
    }

    pub fn resolve_conflict(&self, id: i64, use_lost: bool) -> ApiResult<SyncView> {
        self.with(|s| s.resolve_conflict(id, use_lost))?;
        self.sync_view()
    }

    pub fn parked(&self) -> ApiResult<Vec<ParkedView>> {
        self.with(|s| {
            let parked = s.parked_ops()?;
            Ok(parked
                .into_iter()
                .map(|p| ParkedView {
                    record: record_name(s, &p.entity, &p.row_id),
                    op_id: p.op_id,
                    entity: p.entity,
                    intent: p.intent,
                    reason: p.reason,
                    parked_ms: p.parked_ms,
                })
                .collect())
        })
    }

    pub fn dismiss_parked(&self, op_id: String) -> ApiResult<SyncView> {
        self.with(|s| s.dismiss_parked_op(&op_id))?;
        self.sync_view()
    }
}

/// A batch file written or carried (no connection at all).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct BatchView {
    pub path: String,
    pub ops: u32,
    /// False when the same file was already waiting here.
    pub new: bool,
}

impl App {
    /// Writes this laptop's unsent changes to a file signed by its key (they stay unsent here).
    pub fn export_batch(&self, path: String) -> ApiResult<BatchView> {
        let lang = self.lang();
        self.with(|s| s.require(Permission::ReadMembers))?;
        let written = khuyenhoc_sync_client::batch::export_batch(&self.store, path.as_ref())
            .map_err(|e| from_sync(&e, lang))?;
        Ok(BatchView {
            path,
            ops: written.ops as u32,
            new: written.new,
        })
    }

    /// Keeps another laptop's file to hand to the server at the next sync.
    pub fn import_batch(&self, path: String) -> ApiResult<BatchView> {
        let lang = self.lang();
        self.with(|s| s.require(Permission::ReadMembers))?;
        let read = khuyenhoc_sync_client::batch::import_for_relay(&self.store, path.as_ref())
            .map_err(|e| from_sync(&e, lang))?;
        self.sync.wake.notify_one();
        Ok(BatchView {
            path,
            ops: read.ops as u32,
            new: read.new,
        })
    }
}

/// A form error on `field` carrying the sync error's message.
pub(crate) fn field_error(e: &SyncError, field: &str, lang: Lang) -> ApiError {
    let mut error = from_sync(e, lang);
    error.fields.push(crate::FieldMessage {
        field: field.to_owned(),
        message: error.message.clone(),
    });
    error
}

/// What the officer calls a record: a member's or a unit's name (also of a record the server
/// refused, hidden here), else its short id.
fn record_name(s: &khuyenhoc_store::Store, entity: &str, row_id: &str) -> String {
    s.record_name(entity, row_id)
        .ok()
        .flatten()
        .unwrap_or_else(|| row_id.chars().take(8).collect())
}
