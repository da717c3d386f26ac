//! The application layer of khuyenhoc: what the desktop shell's commands call, one function per
//! command. It owns the open store and the logged-in officer, turns every failure into one
//! [`ApiError`] shape `{code, message}` (localised, with field-level messages for forms), and
//! defines the data the UI receives. The TypeScript types of the UI are generated from these
//! Rust types (`ts-rs`); a test fails when the checked-in copies are out of date.

pub mod bindings;
mod duplicates;
mod error;
mod files;
mod members;
mod officers;
mod session;
mod state;
mod sync;
mod units;
mod views;

pub use duplicates::DuplicateView;
pub use error::{ApiError, ApiResult, FieldMessage};
pub use files::{
    ExportForm, FileResult, ImportColumnView, ImportErrorView, ImportPreviewView, ImportProgress,
    ImportResultView, ImportRowView,
};
/// Where the officer's database lives (shared with the CLI).
pub use khuyenhoc_store::{DB_ENV, database_path, default_database_path};
pub use officers::OfficerForm;
pub use session::BACKUP_REMINDER_DAYS;
pub use state::{App, AppInfo};
pub use sync::{BatchView, ConflictView, EnrollForm, ParkedView, SyncTimings, SyncView};
pub use views::*;
