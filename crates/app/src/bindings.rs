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
    use crate::*;
    ApiError::export_all(&cfg)?;
    AppInfo::export_all(&cfg)?;
    SessionState::export_all(&cfg)?;
    SetupForm::export_all(&cfg)?;
    EnrollForm::export_all(&cfg)?;
    SyncView::export_all(&cfg)?;
    ConflictView::export_all(&cfg)?;
    ParkedView::export_all(&cfg)?;
    DuplicateView::export_all(&cfg)?;
    BatchView::export_all(&cfg)?;
    OfficerForm::export_all(&cfg)?;
    OfficerView::export_all(&cfg)?;
    UnitForm::export_all(&cfg)?;
    Dashboard::export_all(&cfg)?;
    MemberQueryForm::export_all(&cfg)?;
    MemberPageView::export_all(&cfg)?;
    MemberDetail::export_all(&cfg)?;
    StatusForm::export_all(&cfg)?;
    ImportPreviewView::export_all(&cfg)?;
    ImportResultView::export_all(&cfg)?;
    ImportProgress::export_all(&cfg)?;
    ExportForm::export_all(&cfg)?;
    FileResult::export_all(&cfg)?;
    Ok(())
}
