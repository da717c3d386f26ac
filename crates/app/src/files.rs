//! Files: the import wizard (preview with the column mapping and per-row errors, then one
//! commit with progress), export, backup and restore.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use khuyenhoc_domain::{Lang, Permission};
use khuyenhoc_store::{
    CommitOptions, ConnectOptions, ExportOptions, ImportOptions, Store, StoreError,
};

use crate::error::{ApiError, ApiResult};
use crate::state::{App, given, lang_of, parse_id};

/// Rows of the preview sent to the screen (all errors are counted; the first ones listed).
const PREVIEW_ROWS: usize = 50;
const PREVIEW_ERRORS: usize = 200;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct ImportColumnView {
    pub header: String,
    /// The field the column is read as (`None`: ignored).
    pub field: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct ImportRowView {
    pub row_number: u32,
    pub full_name: String,
    pub birth: Option<String>,
    pub card_number: Option<String>,
    pub already_present: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct ImportErrorView {
    pub row_number: u32,
    pub field: Option<String>,
    pub message: String,
}

/// The wizard's second and third steps: how columns were read, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct ImportPreviewView {
    pub file: String,
    pub sheet_name: Option<String>,
    pub encoding: String,
    pub columns: Vec<ImportColumnView>,
    pub rows: Vec<ImportRowView>,
    pub row_count: u32,
    pub new_members: u32,
    pub already_present: u32,
    pub error_count: u32,
    pub errors: Vec<ImportErrorView>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct ImportResultView {
    pub added: u32,
    pub already_present: u32,
    pub skipped_invalid: u32,
}

/// Progress of a commit, sent to the window as it goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
pub struct ImportProgress {
    pub done: u32,
    pub total: u32,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, TS)]
pub struct ExportForm {
    pub path: String,
    pub unit_id: Option<String>,
    pub status: Option<String>,
    pub include_citizen_id: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct FileResult {
    pub path: String,
    pub members: u32,
    pub units: u32,
}

impl App {
    /// Reads the file and shows what an import would do; nothing is written.
    pub fn import_preview(&self, path: String, unit_id: String) -> ApiResult<ImportPreviewView> {
        let preview = self.with(|s| {
            s.require(Permission::EditMembers)?;
            let unit = parse_id(&unit_id, "unit_id")?;
            s.preview_import(&PathBuf::from(&path), &unit, &ImportOptions::default())
        })?;
        let lang = self.lang();
        let already = preview.rows.iter().filter(|r| r.already_present).count();
        let view = ImportPreviewView {
            file: preview.file.clone(),
            sheet_name: preview.sheet_name.clone(),
            encoding: preview.encoding.clone(),
            columns: preview
                .columns
                .iter()
                .map(|c| ImportColumnView {
                    header: c.header.clone(),
                    field: c.field.and_then(|f| {
                        serde_json::to_value(f)
                            .ok()
                            .and_then(|v| v.as_str().map(str::to_owned))
                    }),
                })
                .collect(),
            rows: preview
                .rows
                .iter()
                .take(PREVIEW_ROWS)
                .map(|r| ImportRowView {
                    row_number: r.row_number as u32,
                    full_name: r.full_name.clone(),
                    birth: r.birth.as_deref().map(crate::views::display_date),
                    card_number: r.card_number.clone(),
                    already_present: r.already_present,
                })
                .collect(),
            row_count: preview.rows.len() as u32,
            new_members: preview.new_members as u32,
            already_present: already as u32,
            error_count: preview.errors.len() as u32,
            errors: preview
                .errors
                .iter()
                .take(PREVIEW_ERRORS)
                .map(|e| ImportErrorView {
                    row_number: e.row_number as u32,
                    field: e.field.clone(),
                    message: match lang {
                        Lang::Vi => e.message_vi.clone(),
                        Lang::En => e.message_en.clone(),
                    },
                })
                .collect(),
        };
        *self.preview.lock().unwrap_or_else(|p| p.into_inner()) = Some(preview);
        Ok(view)
    }

    /// Writes the previewed rows in one transaction, reporting progress as it goes.
    pub fn import_commit(
        &self,
        skip_invalid: bool,
        progress: &mut dyn FnMut(ImportProgress),
    ) -> ApiResult<ImportResultView> {
        let preview = self
            .preview
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
            .ok_or_else(|| {
                ApiError::new(
                    "no_preview",
                    match self.lang() {
                        Lang::Vi => "Hãy chọn tệp và xem trước trước khi nhập.",
                        Lang::En => "Choose a file and preview it before importing.",
                    },
                )
            })?;
        let result = self.with(|s| {
            s.commit_import(
                &preview,
                CommitOptions { skip_invalid },
                &mut |done, total| {
                    progress(ImportProgress {
                        done: done as u32,
                        total: total as u32,
                    })
                },
            )
        });
        if result.is_err() {
            // Keep the preview so the officer can choose to skip the wrong rows.
            *self.preview.lock().unwrap_or_else(|p| p.into_inner()) = Some(preview);
        }
        let outcome = result?;
        Ok(ImportResultView {
            added: outcome.added as u32,
            already_present: outcome.already_present as u32,
            skipped_invalid: outcome.skipped_invalid as u32,
        })
    }

    pub fn export_members(&self, form: ExportForm) -> ApiResult<FileResult> {
        self.with(|s| {
            let unit = match given(&form.unit_id) {
                Some(u) => Some(parse_id(&u, "unit_id")?),
                None => None,
            };
            let status =
                given(&form.status).and_then(|st| khuyenhoc_domain::MemberStatus::parse(&st));
            let n = s.export_members(
                &PathBuf::from(&form.path),
                &ExportOptions {
                    unit,
                    status,
                    include_citizen_id: form.include_citizen_id,
                },
            )?;
            Ok(FileResult {
                path: form.path.clone(),
                members: n as u32,
                units: 0,
            })
        })
    }

    /// A consistent copy of the database; remembered for the backup reminder.
    pub fn backup(&self, path: String) -> ApiResult<FileResult> {
        self.with(|s| {
            let info = s.backup(&PathBuf::from(&path))?;
            let now = jiff::Timestamp::now().as_millisecond().to_string();
            s.set_local_setting("last_backup_ms", &now)?;
            Ok(FileResult {
                path,
                members: info.members as u32,
                units: info.org_units as u32,
            })
        })
    }

    /// Replaces the database with a backup (chairperson only). The store is closed for the
    /// restore and opened again; everyone has to log in again afterwards.
    pub fn restore(&self, path: String) -> ApiResult<FileResult> {
        let mut guard = self.store();
        let lang = lang_of(&guard);
        let err = |e: StoreError| ApiError::from_store(&e, lang);
        guard.require(Permission::Restore).map_err(err)?;
        // Close our own connection (a placeholder store on a temporary file takes its place),
        // restore, and open the restored file.
        let db = self.path().to_path_buf();
        let placeholder_dir = tempfile_dir().map_err(|e| err(e.into()))?;
        let placeholder =
            Store::open(placeholder_dir.join("closed.db"), Default::default()).map_err(err)?;
        let old = std::mem::replace(&mut *guard, placeholder);
        drop(old);
        let restored = Store::restore(&db, &PathBuf::from(&path), &ConnectOptions::default());
        let reopened = Store::open(&db, Default::default()).map_err(err)?;
        *guard = reopened;
        // The placeholder is closed now; its folder goes whether or not the restore worked.
        let _ = std::fs::remove_dir_all(&placeholder_dir);
        let report = restored.map_err(err)?;
        Ok(FileResult {
            path,
            members: report.restored.members as u32,
            units: report.restored.org_units as u32,
        })
    }
}

fn tempfile_dir() -> std::io::Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!("khuyenhoc-restore-{}", uuid::Uuid::now_v7()));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}
