//! Reads the member lists communes really keep — .xlsx, .xls, .ods, .csv with title rows,
//! merged cells, two-row headers, column-number rows, totals, signature footers, and text in
//! the TCVN3/VNI legacy encodings — into a clean [`Sheet`], and writes .xlsx/.csv exports.
//!
//! Reading: the file's cells are loaded as typed [`Cell`]s, merged regions are filled with
//! their top-left value, a legacy encoding is detected over all text cells and decoded, the
//! header row (or rows) is found among the first 30 rows by recognising column titles, and
//! every row below it is either returned as a [`SheetRow`] or listed as skipped with a
//! [`SkipReason`]. Values are not interpreted: validation is the domain's job.

mod classify;
mod error;
mod header;
mod model;
mod read_csv;
mod read_xlsx;
mod table;
mod write;

use std::path::Path;

pub use error::SheetError;
pub use model::{
    Cell, Column, ColumnMapping, ReadOptions, Sheet, SheetRow, SkipReason, SkippedRow, SourceFormat,
};
pub use write::{ExportCell, ExportTable, write_csv, write_xlsx};

/// Reads a member list; the format comes from the file extension.
pub fn read_path(path: &Path, opts: &ReadOptions) -> Result<Sheet, SheetError> {
    let file = path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let extension = path
        .extension()
        .map(|e| e.to_string_lossy().into_owned())
        .unwrap_or_default();
    let format =
        SourceFormat::from_extension(&extension).ok_or_else(|| SheetError::UnsupportedFormat {
            file: file.clone(),
            extension,
        })?;
    let bytes = std::fs::read(path).map_err(|source| SheetError::Io {
        file: file.clone(),
        source,
    })?;
    read_bytes(&bytes, format, opts).map_err(|e| e.with_file(&file))
}

/// Reads a member list from the bytes of a file of the given format. A workbook whose bytes are
/// of another workbook kind than declared (a renamed file) is still read, and
/// [`Sheet::format`] tells the real kind.
pub fn read_bytes(
    bytes: &[u8],
    format: SourceFormat,
    opts: &ReadOptions,
) -> Result<Sheet, SheetError> {
    if bytes.is_empty() {
        return Err(SheetError::EmptyFile { file: None });
    }
    match format {
        SourceFormat::Csv => read_csv::read_csv(bytes, opts),
        SourceFormat::Xlsx | SourceFormat::Xls | SourceFormat::Ods => {
            match read_xlsx::read_workbook(bytes, format, opts) {
                // Web systems often hand out delimited text named ".xls".
                Err(SheetError::Open { .. }) if looks_like_text(bytes) => {
                    read_csv::read_csv(bytes, opts)
                }
                other => other,
            }
        }
    }
}

/// No NUL bytes at the start, not a zip or OLE container, not HTML/XML.
fn looks_like_text(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(4096)];
    let trimmed = head
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .map_or(&[][..], |i| &head[i..]);
    !head.contains(&0)
        && !head.starts_with(b"PK")
        && !head.starts_with(b"\xD0\xCF\x11\xE0")
        && !trimmed.starts_with(b"<")
}
