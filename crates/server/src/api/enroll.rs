//! `POST /v1/enroll`: a laptop trades a one-time enrollment code for a bearer token bound to
//! its device id, public key and the code's org unit. A laptop whose token expired (unused for
//! too long, see [`crate::token_life`]) enrolls again the same way, with a new code of its unit,
//! and keeps its device id: what it queued meanwhile then goes up as if it had never left.

use axum::Json;
use axum::extract::State;
use base64::Engine;
use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use ed25519_dalek::VerifyingKey;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::{ApiJson, AppState};
use crate::auth;
use crate::error::{ApiError, ErrorBody};
use crate::storage::{Enrollment, OrgUnit};

/// Longest device name, in characters.
pub const DEVICE_NAME_MAX: usize = 100;

/// Standard base64, padded or not.
const B64: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

#[derive(Debug, Deserialize, ToSchema)]
pub struct EnrollRequest {
    /// The code the administrator gave, e.g. `K7QM-2XHD-9PRT` (case, dashes and spaces are
    /// ignored).
    pub code: String,
    /// The device's own id, made once on the laptop.
    pub device_id: Uuid,
    /// The device's Ed25519 public key: 32 bytes, standard base64.
    pub public_key: String,
    /// A name people recognise, e.g. "Laptop xã Tân Hòa".
    pub device_name: String,
    /// The official code of the unit the laptop was set up for (offline, before enrolling),
    /// when it has one: a code for another unit is refused (`unit_code_mismatch`) and stays
    /// unused.
    #[serde(default)]
    pub org_code: Option<String>,
}

/// An org unit as clients see it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
pub struct UnitRef {
    pub id: Uuid,
    pub org_code: String,
    pub name: String,
}

impl From<OrgUnit> for UnitRef {
    fn from(u: OrgUnit) -> Self {
        Self {
            id: u.id,
            org_code: u.org_code,
            name: u.name,
        }
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct EnrollResponse {
    /// The bearer token; shown once, the server keeps only its hash.
    pub token: String,
    pub device_id: Uuid,
    pub unit: UnitRef,
    /// The server database's epoch.
    pub epoch: Uuid,
}

fn parse_public_key(s: &str) -> Result<[u8; 32], ApiError> {
    let bytes = B64
        .decode(s.trim())
        .map_err(|_| ApiError::InvalidPublicKey)?;
    let bytes: [u8; 32] = bytes.try_into().map_err(|_| ApiError::InvalidPublicKey)?;
    let key = VerifyingKey::from_bytes(&bytes).map_err(|_| ApiError::InvalidPublicKey)?;
    if key.is_weak() {
        return Err(ApiError::InvalidPublicKey);
    }
    Ok(bytes)
}

fn parse_device_name(s: &str) -> Result<String, ApiError> {
    let name = s.trim();
    let len = name.chars().count();
    if len == 0 || len > DEVICE_NAME_MAX || name.chars().any(char::is_control) {
        return Err(ApiError::InvalidField("device_name"));
    }
    Ok(name.to_owned())
}

/// Enroll a device with a one-time code.
#[utoipa::path(
    post,
    path = "/v1/enroll",
    tag = "devices",
    request_body = EnrollRequest,
    responses(
        (status = 200, description = "Enrolled", body = EnrollResponse),
        (status = 400, description = "Malformed JSON, bad public key or device name (`malformed_json`, `invalid_public_key`, `invalid_field`)", body = ErrorBody),
        (status = 403, description = "`enrollment_code_invalid`, `enrollment_code_expired` or `enrollment_code_used`", body = ErrorBody),
        (status = 409, description = "`device_exists`: this device id is already enrolled (and its token has not expired, or it was revoked, or it belongs to another unit); `unit_code_mismatch`: the laptop was set up for another unit than the code's", body = ErrorBody),
        (status = 413, description = "`payload_too_large`", body = ErrorBody),
        (status = 422, description = "`invalid_body`: missing field or wrong type", body = ErrorBody),
    )
)]
pub async fn enroll(
    State(state): State<AppState>,
    ApiJson(req): ApiJson<EnrollRequest>,
) -> Result<Json<EnrollResponse>, ApiError> {
    let public_key = parse_public_key(&req.public_key)?;
    let device_name = parse_device_name(&req.device_name)?;
    if req.device_id.is_nil() {
        return Err(ApiError::InvalidField("device_id"));
    }
    let token = auth::new_token();
    let now = Timestamp::now();
    let unit = state
        .storage
        .enroll(Enrollment {
            code_hash: auth::code_hash(&req.code),
            device_id: req.device_id,
            device_name,
            public_key,
            token_hash: auth::token_hash(&token),
            now,
            org_code: req.org_code,
            token_expired_before: Some(state.token_life.expired_before(now)),
        })
        .await?;
    tracing::info!(device_id = %req.device_id, unit = %unit.org_code, "device enrolled");
    Ok(Json(EnrollResponse {
        token,
        device_id: req.device_id,
        unit: unit.into(),
        epoch: state.epoch,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_keys_are_checked() {
        let good = ed25519_dalek::SigningKey::from_bytes(&[7u8; 32]).verifying_key();
        let b64 = B64.encode(good.as_bytes());
        assert_eq!(parse_public_key(&b64).unwrap(), *good.as_bytes());
        assert_eq!(
            parse_public_key(b64.trim_end_matches('=')).unwrap(),
            *good.as_bytes()
        );
        assert!(parse_public_key("not base64!").is_err());
        assert!(parse_public_key(&B64.encode([1u8; 31])).is_err());
        // The identity point is a weak key.
        let mut identity = [0u8; 32];
        identity[0] = 1;
        assert!(parse_public_key(&B64.encode(identity)).is_err());
    }

    #[test]
    fn device_names_are_checked() {
        assert_eq!(parse_device_name("  Laptop xã  ").unwrap(), "Laptop xã");
        assert!(parse_device_name("   ").is_err());
        assert!(parse_device_name("a\nb").is_err());
        assert!(parse_device_name(&"x".repeat(101)).is_err());
    }
}
