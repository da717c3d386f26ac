//! The open application: one store behind a mutex (SQLite connections are not shared between
//! threads) and the language of messages.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use khuyenhoc_domain::Lang;
use khuyenhoc_store::{OpenOptions, Store};
use serde::Serialize;
use ts_rs::TS;

use crate::error::{ApiError, ApiResult};

/// What the UI shows before anyone logs in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct AppInfo {
    pub version: String,
    pub database: String,
    pub schema: i64,
}

pub struct App {
    store: Mutex<Store>,
    path: PathBuf,
    lang: Mutex<Lang>,
}

impl App {
    /// Opens (or creates) the database at `path`.
    pub fn open(path: impl AsRef<Path>) -> ApiResult<App> {
        let path = path.as_ref().to_path_buf();
        let store = Store::open(&path, OpenOptions::default())
            .map_err(|e| ApiError::from_store(&e, Lang::Vi))?;
        Ok(App {
            store: Mutex::new(store),
            path,
            lang: Mutex::new(Lang::Vi),
        })
    }

    pub fn lang(&self) -> Lang {
        *self.lang.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) fn store(&self) -> MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn info(&self) -> ApiResult<AppInfo> {
        let schema = self
            .store()
            .schema_version()
            .map_err(|e| ApiError::from_store(&e, self.lang()))?;
        Ok(AppInfo {
            version: env!("CARGO_PKG_VERSION").to_owned(),
            database: self.path.display().to_string(),
            schema,
        })
    }
}
