//! `GET /health`, `GET /v1/whoami` and `GET /openapi.json`.

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::{AppState, UnitRef};
use crate::auth::AuthDevice;
use crate::error::ErrorBody;

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Health {
    /// Always `ok` when the server answers.
    pub status: String,
    pub epoch: Uuid,
    /// The server's version.
    pub version: String,
}

/// Whether the server is up, and its epoch and version.
#[utoipa::path(
    get,
    path = "/health",
    tag = "status",
    responses((status = 200, description = "The server is up", body = Health))
)]
pub async fn health(State(state): State<AppState>) -> Json<Health> {
    Json(Health {
        status: "ok".into(),
        epoch: state.epoch,
        version: env!("CARGO_PKG_VERSION").into(),
    })
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct WhoAmI {
    pub device_id: Uuid,
    pub device_name: String,
    pub unit: UnitRef,
    pub epoch: Uuid,
}

/// The enrolled device behind the bearer token.
#[utoipa::path(
    get,
    path = "/v1/whoami",
    tag = "devices",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The device", body = WhoAmI),
        (status = 401, description = "`unauthorized`: missing, unknown or revoked token; `token_expired`: unused for longer than the server's idle limit (enroll again with a new code)", body = ErrorBody),
    )
)]
pub async fn whoami(State(state): State<AppState>, AuthDevice(device): AuthDevice) -> Json<WhoAmI> {
    Json(WhoAmI {
        device_id: device.device_id,
        device_name: device.device_name,
        unit: device.unit.into(),
        epoch: state.epoch,
    })
}

/// This document.
#[utoipa::path(
    get,
    path = "/openapi.json",
    tag = "status",
    responses((status = 200, description = "The OpenAPI document", content_type = "application/json"))
)]
pub async fn openapi_json(State(state): State<AppState>) -> Json<utoipa::openapi::OpenApi> {
    Json((*state.openapi).clone())
}
