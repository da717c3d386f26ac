//! The open application: one store behind a mutex (SQLite connections are not shared between
//! threads), the language of messages, and the import preview waiting for its commit.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use khuyenhoc_domain::{FieldError, Lang, ValidationErrors};
use khuyenhoc_store::{ImportPreview, OpenOptions, Store, StoreError};
use serde::Serialize;
use ts_rs::TS;
use uuid::Uuid;

use crate::error::{ApiError, ApiResult};

/// What the UI shows before anyone logs in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct AppInfo {
    pub version: String,
    pub database: String,
    pub schema: i64,
}

pub struct App {
    pub(crate) store: Mutex<Store>,
    pub(crate) sync: crate::sync::SyncRunner,
    path: PathBuf,
    pub(crate) preview: Mutex<Option<ImportPreview>>,
}

impl App {
    /// Opens (or creates) the database at `path`.
    pub fn open(path: impl AsRef<Path>) -> ApiResult<App> {
        let path = path.as_ref().to_path_buf();
        let store = Store::open(&path, OpenOptions::default())
            .map_err(|e| ApiError::from_store(&e, Lang::Vi))?;
        Ok(App {
            store: Mutex::new(store),
            sync: Default::default(),
            path,
            preview: Mutex::new(None),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The language the officer chose on this laptop (Vietnamese unless English was chosen).
    pub fn lang(&self) -> Lang {
        lang_of(&self.store())
    }

    pub(crate) fn store(&self) -> MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Runs `f` on the store and turns its error into the one IPC shape.
    pub(crate) fn with<T>(
        &self,
        f: impl FnOnce(&mut Store) -> Result<T, StoreError>,
    ) -> ApiResult<T> {
        let mut store = self.store();
        let lang = lang_of(&store);
        f(&mut store).map_err(|e| ApiError::from_store(&e, lang))
    }

    pub fn info(&self) -> ApiResult<AppInfo> {
        let schema = self.with(|s| s.schema_version())?;
        Ok(AppInfo {
            version: env!("CARGO_PKG_VERSION").to_owned(),
            database: self.path.display().to_string(),
            schema,
        })
    }
}

pub(crate) fn lang_of(store: &Store) -> Lang {
    store
        .local_setting("lang")
        .ok()
        .flatten()
        .map(|l| Lang::parse(&l))
        .unwrap_or_default()
}

/// An id sent by the UI; a malformed one is a field error naming `field`.
pub(crate) fn parse_id(text: &str, field: &'static str) -> Result<Uuid, StoreError> {
    Uuid::parse_str(text.trim()).map_err(|_| {
        StoreError::Invalid(ValidationErrors(vec![FieldError::new(
            field,
            "invalid_id",
            "Mã bản ghi không hợp lệ; hãy tải lại màn hình.",
            "invalid record id",
        )]))
    })
}

/// Empty text from a form means "not given".
pub(crate) fn given(v: &Option<String>) -> Option<String> {
    v.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}
