//! One error shape across IPC: `{code, message, fields}`. `code` is stable (the UI may localise
//! it); `message` is already in the officer's language; `fields` names each wrong form field.

use khuyenhoc_domain::Lang;
use khuyenhoc_store::StoreError;
use serde::Serialize;
use ts_rs::TS;

/// A message about one form field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct FieldMessage {
    pub field: String,
    pub message: String,
}

/// The one error every command returns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS, thiserror::Error)]
#[error("{code}: {message}")]
pub struct ApiError {
    pub code: String,
    pub message: String,
    pub fields: Vec<FieldMessage>,
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> Self {
        ApiError {
            code: code.into(),
            message: message.into(),
            fields: Vec::new(),
        }
    }

    /// The officer-facing form of a store error; the English form goes to the log.
    pub fn from_store(e: &StoreError, lang: Lang) -> Self {
        tracing::info!(code = e.code(), error = %e, "command failed");
        let fields = match e {
            StoreError::Invalid(v) => {
                v.0.iter()
                    .map(|f| FieldMessage {
                        field: f.field.to_string(),
                        message: f.message(lang).to_owned(),
                    })
                    .collect()
            }
            _ => Vec::new(),
        };
        ApiError {
            code: e.code().to_owned(),
            message: e.message(lang),
            fields,
        }
    }
}
