//! Device credentials: bearer tokens and enrollment codes are made here from the system's
//! random source, and only their SHA-256 is ever stored. [`AuthDevice`] is the extractor that
//! turns `Authorization: Bearer …` into the enrolled, non-revoked device behind it, refusing a
//! token unused for too long ([`crate::token_life`]) and keeping a used one alive.

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jiff::Timestamp;
use sha2::{Digest, Sha256};

use crate::api::AppState;
use crate::error::ApiError;
use crate::storage::AuthenticatedDevice;

/// Letters and digits that cannot be mistaken for one another when read or typed (no 0/O,
/// 1/I/L): 31 symbols.
const CODE_SYMBOLS: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";
/// Symbols in an enrollment code (3 groups of 4, about 59 bits; one-time and expiring).
pub const CODE_LEN: usize = 12;

pub fn sha256(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

fn random_bytes<const N: usize>() -> [u8; N] {
    let mut buf = [0u8; N];
    getrandom::fill(&mut buf).expect("the system's random source is unavailable");
    buf
}

/// A new bearer token: 32 random bytes, base64url without padding.
pub fn new_token() -> String {
    URL_SAFE_NO_PAD.encode(random_bytes::<32>())
}

pub fn token_hash(token: &str) -> [u8; 32] {
    sha256(token.as_bytes())
}

/// A new enrollment code like `K7QM-2XHD-9PRT`.
pub fn new_enrollment_code() -> String {
    let mut out = String::with_capacity(CODE_LEN + CODE_LEN / 4);
    let n = CODE_SYMBOLS.len();
    let mut i = 0;
    while i < CODE_LEN {
        // Rejection sampling keeps every symbol equally likely.
        for b in random_bytes::<16>() {
            let b = usize::from(b);
            if b >= 256 - 256 % n {
                continue;
            }
            if i > 0 && i % 4 == 0 {
                out.push('-');
            }
            out.push(char::from(CODE_SYMBOLS[b % n]));
            i += 1;
            if i == CODE_LEN {
                break;
            }
        }
    }
    out
}

/// The form a code is hashed in: upper case, without dashes or spaces.
pub fn normalize_code(code: &str) -> String {
    code.chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

pub fn code_hash(code: &str) -> [u8; 32] {
    sha256(normalize_code(code).as_bytes())
}

/// The device that made an authenticated request.
#[derive(Debug, Clone)]
pub struct AuthDevice(pub AuthenticatedDevice);

impl FromRequestParts<AppState> for AuthDevice {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let header = parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .ok_or(ApiError::Unauthorized)?;
        let (scheme, token) = header.split_once(' ').ok_or(ApiError::Unauthorized)?;
        let token = token.trim();
        if !scheme.eq_ignore_ascii_case("bearer") || token.is_empty() {
            return Err(ApiError::Unauthorized);
        }
        let owner = state
            .storage
            .device_by_token(token_hash(token))
            .await?
            .ok_or(ApiError::Unauthorized)?;
        let device = owner.device;
        tracing::Span::current().record("device_id", tracing::field::display(device.device_id));
        let now = Timestamp::now();
        if state.token_life.expired(owner.token_used_at, now) {
            // Refused before anything is read or written: an expired token stays expired.
            tracing::info!(last_used = %owner.token_used_at, "token unused for too long");
            return Err(ApiError::TokenExpired);
        }
        if state.token_life.needs_refresh(owner.token_used_at, now) {
            state.storage.touch_token(device.device_id, now).await?;
        }
        Ok(AuthDevice(device))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_grouped_and_unambiguous() {
        for _ in 0..200 {
            let c = new_enrollment_code();
            assert_eq!(c.len(), 14, "{c}");
            let groups: Vec<&str> = c.split('-').collect();
            assert_eq!(groups.len(), 3);
            assert!(groups.iter().all(|g| g.len() == 4));
            assert!(
                normalize_code(&c)
                    .bytes()
                    .all(|b| CODE_SYMBOLS.contains(&b) && !b"01OIL".contains(&b))
            );
        }
        assert_ne!(new_enrollment_code(), new_enrollment_code());
    }

    #[test]
    fn a_code_typed_loosely_hashes_the_same() {
        assert_eq!(code_hash("K7QM-2XHD-9PRT"), code_hash(" k7qm 2xhd9prt "));
        assert_ne!(code_hash("K7QM-2XHD-9PRT"), code_hash("K7QM-2XHD-9PRA"));
    }

    #[test]
    fn tokens_are_32_random_bytes() {
        let t = new_token();
        assert_eq!(URL_SAFE_NO_PAD.decode(&t).unwrap().len(), 32);
        assert_ne!(t, new_token());
    }
}
