//! The TypeScript types of the UI, generated from the Rust types the commands take and return.
//! `UPDATE_BINDINGS=1 cargo test -p khuyenhoc-app --test bindings` rewrites the checked-in copies
//! in `ui/src/lib/bindings/`; the same test fails when they are out of date.

use std::path::Path;

use ts_rs::{Config, ExportError, TS};

/// Integers cross IPC as JS numbers: sums of đồng and counts stay far below 2^53.
pub fn config(out_dir: &Path) -> Config {
    Config::new().with_large_int("number").with_out_dir(out_dir)
}

/// Writes every type the UI uses (and the types they refer to) into `out_dir`.
pub fn export_all(out_dir: &Path) -> Result<(), ExportError> {
    let cfg = config(out_dir);
    crate::ApiError::export_all(&cfg)?;
    crate::AppInfo::export_all(&cfg)?;
    Ok(())
}
