//! Enrollment: a laptop joins its commune on the server with a one-time code the province gave
//! the chairperson. It makes its Ed25519 key pair here (the secret never leaves the laptop),
//! sends the public half with its device id (and the official code of the commune it was set up
//! for, so that a code for another commune is refused before it is used up), and keeps the token
//! the server answers with.

use std::sync::Mutex;

use base64::Engine;
use ed25519_dalek::SigningKey;

use khuyenhoc_store::{Enrollment, Store};
use khuyenhoc_sync_protocol::{EnrollRequest, EnrollResponse};

use crate::address::ServerAddress;
use crate::error::SyncError;
use crate::http::Connection;

/// The official code of the unit this laptop was set up for (its commune), if it has one: the
/// server binds the laptop's commune to its own unit of that code, and refuses an enrollment
/// code made for another unit.
fn home_code(store: &Store) -> Result<Option<String>, SyncError> {
    let Some(home) = store.home_unit()? else {
        return Ok(None);
    };
    Ok(store.get_unit(&home)?.org_code)
}

/// Enrolls this device with the server at `address` using `code`; keeps the token.
pub async fn enroll(
    store: &Mutex<Store>,
    address: ServerAddress,
    code: &str,
    device_name: &str,
) -> Result<EnrollResponse, SyncError> {
    enroll_with(store, &Connection::new(address, None)?, code, device_name).await
}

/// [`enroll`] over a connection made by the caller (one that trusts a given authority).
pub async fn enroll_with(
    store: &Mutex<Store>,
    connection: &Connection,
    code: &str,
    device_name: &str,
) -> Result<EnrollResponse, SyncError> {
    let mut secret = [0u8; 32];
    getrandom::fill(&mut secret).map_err(|e| SyncError::BadAnswer {
        detail: format!("no randomness for a key: {e}"),
    })?;
    let key = SigningKey::from_bytes(&secret);
    let (device_id, org_code) = {
        let store = store.lock().unwrap_or_else(|e| e.into_inner());
        (store.device_id().to_string(), home_code(&store)?)
    };
    let request = EnrollRequest {
        code: code.trim().to_uppercase(),
        device_id: device_id.clone(),
        public_key: base64::engine::general_purpose::STANDARD
            .encode(key.verifying_key().to_bytes()),
        device_name: device_name.to_owned(),
        org_code,
    };
    let answer: EnrollResponse = connection.post("v1/enroll", &request).await?;
    if answer.device_id != device_id {
        return Err(SyncError::BadAnswer {
            detail: "the enrollment answer names another device".into(),
        });
    }
    store
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .save_enrollment(
            &Enrollment {
                server_url: connection.address().as_str().to_owned(),
                token: answer.token.clone(),
                signing_key: secret.to_vec(),
                unit_id: answer.unit.id.clone(),
                unit_name: answer.unit.name.clone(),
            },
            &answer.epoch,
        )?;
    Ok(answer)
}
