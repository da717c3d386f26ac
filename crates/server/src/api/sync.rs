//! `POST /v1/push` and `POST /v1/pull`: a device's ops in, its subtree's changes out. The bodies
//! are the types of `khuyenhoc-sync-protocol`, shared with the client. Every push and every
//! pull is authorised against the device behind the token: ops in another device's name are
//! refused whole, and rows outside the device's org-unit subtree are neither changed nor shown.

use axum::Json;
use axum::extract::State;
use jiff::Timestamp;

use khuyenhoc_sync_protocol::{
    PullPage, PullRequest, PushRequest, PushResponse, SignedBatch, downcast_pull_page,
    downcast_push_response, format_readable,
};

use super::{ApiJson, AppState};
use crate::auth::AuthDevice;
use crate::error::{ApiError, ErrorBody};
use crate::relay::{admit_ops, apply_batch};

/// Most ops in one push.
pub const PUSH_MAX_OPS: usize = 5_000;
/// Most changes in one pulled page.
pub const PULL_MAX: u32 = 5_000;

fn now_ms() -> u64 {
    Timestamp::now().as_millisecond().max(0) as u64
}

/// A request of an op format this server no longer reads is told to update (`426`); the
/// laptop keeps queueing until it does.
fn check_format(format: i64) -> Result<(), ApiError> {
    if format_readable(format) {
        Ok(())
    } else {
        Err(ApiError::UpdateRequired)
    }
}

/// Push ops (in device-sequence order); one result per op.
#[utoipa::path(
    post,
    path = "/v1/push",
    tag = "sync",
    security(("bearer" = [])),
    request_body(content = PushRequest, description = "The device's ops in device-sequence order, with the op format it writes"),
    responses(
        (status = 200, body = PushResponse, description = "One result per op: each is applied, duplicate, conflict or rejected (code `outside_scope`, `unknown_entity`, `invalid_value`, `insert_only` or `row_purged`: a row deleted and purged since)"),
        (status = 400, description = "`malformed_json`, `invalid_field`", body = ErrorBody),
        (status = 401, description = "`unauthorized`: missing, unknown or revoked token; `token_expired`: unused for longer than the server's idle limit (enroll again with a new code)", body = ErrorBody),
        (status = 403, description = "`wrong_device`: ops in another device's name", body = ErrorBody),
        (status = 409, description = "`sequence_reused`: a device sequence already holds another op; nothing applied", body = ErrorBody),
        (status = 413, description = "`payload_too_large`", body = ErrorBody),
        (status = 426, description = "`update_required`: an op format this server no longer reads", body = ErrorBody),
    )
)]
pub async fn push(
    State(state): State<AppState>,
    AuthDevice(device): AuthDevice,
    ApiJson(req): ApiJson<PushRequest>,
) -> Result<Json<PushResponse>, ApiError> {
    check_format(req.op_format)?;
    let me = device.device_id.to_string();
    if req.device_id != me || req.ops.iter().any(|op| op.device_id != me) {
        return Err(ApiError::WrongDevice);
    }
    let entities: Vec<String> = req.ops.iter().map(|op| op.entity.clone()).collect();
    let ops = admit_ops(req.ops, PUSH_MAX_OPS)?;
    let answer = state.storage.push(device, ops, Timestamp::now()).await?;
    let mut response = PushResponse {
        epoch: state.epoch.to_string(),
        server_time_ms: now_ms(),
        results: answer.results,
        high_water: answer.high_water,
    };
    // A client of the previous format reads the fields by the names it knows.
    downcast_push_response(req.op_format, &entities, &mut response);
    Ok(Json(response))
}

/// Pull the changes after a cursor, in the device's org-unit subtree; the server records how far
/// the device has pulled (tombstones are purged once every active device has pulled past them).
#[utoipa::path(
    post,
    path = "/v1/pull",
    tag = "sync",
    security(("bearer" = [])),
    request_body(content = PullRequest, description = "The cursor to read after (0: from the beginning) and the page size"),
    responses(
        (status = 200, body = PullPage, description = "A page of changes in version order and the cursor to ask from next"),
        (status = 400, description = "`invalid_field`: a negative cursor", body = ErrorBody),
        (status = 401, description = "`unauthorized`: missing, unknown or revoked token; `token_expired`: unused for longer than the server's idle limit (enroll again with a new code)", body = ErrorBody),
        (status = 410, description = "`cursor_purged`: the cursor lies below the purge point and the device may hold purged rows: push what is pending, then pull from zero", body = ErrorBody),
        (status = 426, description = "`update_required`", body = ErrorBody),
    )
)]
pub async fn pull(
    State(state): State<AppState>,
    AuthDevice(device): AuthDevice,
    ApiJson(req): ApiJson<PullRequest>,
) -> Result<Json<PullPage>, ApiError> {
    check_format(req.op_format)?;
    if req.cursor < 0 {
        return Err(ApiError::InvalidField("cursor"));
    }
    let limit = req.limit.clamp(1, PULL_MAX);
    let answer = state
        .storage
        .pull(device, req.cursor, limit, Timestamp::now())
        .await?;
    let mut page = PullPage {
        epoch: state.epoch.to_string(),
        server_time_ms: now_ms(),
        changes: answer.changes,
        cursor: answer.cursor,
        more: answer.more,
    };
    downcast_pull_page(req.op_format, &mut page);
    Ok(Json(page))
}

/// Hand over another device's signed batch (carried on a USB stick): it is applied as that
/// device's push once its signature checks out against the key it enrolled with.
#[utoipa::path(
    post,
    path = "/v1/batch",
    tag = "sync",
    security(("bearer" = [])),
    request_body(content = SignedBatch, description = "Another device's signed batch, as written to the file"),
    responses(
        (status = 200, body = PushResponse, description = "The push answer for the batch's device"),
        (status = 400, description = "`malformed_json`, `invalid_field`", body = ErrorBody),
        (status = 401, description = "`unauthorized`, `token_expired`: the carrying device's token", body = ErrorBody),
        (status = 403, description = "`batch_signature_invalid`, `batch_device_unknown`, `wrong_device`", body = ErrorBody),
        (status = 409, description = "`sequence_reused`", body = ErrorBody),
        (status = 426, description = "`update_required`", body = ErrorBody),
    )
)]
pub async fn batch(
    State(state): State<AppState>,
    AuthDevice(carrier): AuthDevice,
    ApiJson(batch): ApiJson<SignedBatch>,
) -> Result<Json<PushResponse>, ApiError> {
    tracing::info!(carrier = %carrier.device_id, "a signed batch handed over");
    let answer = apply_batch(state.storage.as_ref(), &batch).await?;
    Ok(Json(PushResponse {
        epoch: state.epoch.to_string(),
        server_time_ms: now_ms(),
        results: answer.results,
        high_water: answer.high_water,
    }))
}
