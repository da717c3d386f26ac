//! Exports: a tidy .xlsx (title, bold frozen header, dates as real dates shown dd/mm/yyyy, text
//! kept as text so phone numbers and ID numbers keep their leading zeros) or a UTF-8 CSV with a
//! BOM so that Excel shows Vietnamese correctly.

use std::io::{self, Write as _};
use std::path::Path;

use rust_xlsxwriter::{ExcelDateTime, Format, FormatAlign, FormatBorder, Workbook, XlsxError};
use serde::Serialize;

use crate::error::SheetError;

/// One cell of an export.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum ExportCell {
    Empty,
    /// Written as text, always (phone "0912…", CCCD "0012…" keep their zeros).
    Text(String),
    /// Written as a number.
    Integer(i64),
    /// Written as a real date, shown dd/mm/yyyy (as text when Excel cannot hold it).
    Date {
        year: i32,
        month: u8,
        day: u8,
    },
}

/// A table to export.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExportTable {
    /// A title row above the header (xlsx only), e.g. "DANH SÁCH HỘI VIÊN CHI HỘI THÔN 3".
    pub title: Option<String>,
    pub sheet_name: String,
    pub headers: Vec<String>,
    pub rows: Vec<Vec<ExportCell>>,
}

const MIN_WIDTH: usize = 5;
const MAX_WIDTH: usize = 50;

/// Writes the table as an .xlsx workbook with one worksheet.
pub fn write_xlsx(path: &Path, table: &ExportTable) -> Result<(), SheetError> {
    build_xlsx(table)
        .and_then(|mut wb| wb.save(path))
        .map_err(|e| write_error(path, &e.to_string(), is_locked_xlsx(&e)))
}

fn build_xlsx(table: &ExportTable) -> Result<Workbook, XlsxError> {
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.set_name(sheet_name(&table.sheet_name))?;

    let title_format = Format::new()
        .set_bold()
        .set_font_size(14)
        .set_align(FormatAlign::Center);
    let header_format = Format::new()
        .set_bold()
        .set_text_wrap()
        .set_align(FormatAlign::Center)
        .set_align(FormatAlign::VerticalCenter)
        .set_border(FormatBorder::Thin)
        .set_background_color(0xDDEBF7);
    let text_format = Format::new().set_num_format("@");
    let date_format = Format::new()
        .set_num_format("dd/mm/yyyy")
        .set_align(FormatAlign::Center);

    let columns = table
        .headers
        .len()
        .max(table.rows.iter().map(Vec::len).max().unwrap_or(0));
    let mut row: u32 = 0;
    if let Some(title) = table.title.as_deref().filter(|t| !t.trim().is_empty()) {
        if columns > 1 {
            sheet.merge_range(0, 0, 0, col(columns - 1), title, &title_format)?;
        } else {
            sheet.write_string_with_format(0, 0, title, &title_format)?;
        }
        row = 2;
    }
    let header_row = row;
    for (i, h) in table.headers.iter().enumerate() {
        sheet.write_string_with_format(header_row, col(i), h, &header_format)?;
    }
    sheet.set_freeze_panes(header_row + 1, 0)?;

    let mut widths: Vec<usize> = (0..columns)
        .map(|i| table.headers.get(i).map_or(0, |h| h.chars().count()))
        .collect();
    for (r, cells) in table.rows.iter().enumerate() {
        let excel_row =
            header_row + 1 + u32::try_from(r).map_err(|_| XlsxError::RowColumnLimitError)?;
        for (i, cell) in cells.iter().enumerate() {
            let c = col(i);
            let width = match cell {
                ExportCell::Empty => 0,
                ExportCell::Text(t) => {
                    sheet.write_string_with_format(excel_row, c, t, &text_format)?;
                    t.chars().count()
                }
                ExportCell::Integer(n) => {
                    // Excel numbers are f64; beyond 2^53 the value would change, keep it as text.
                    if n.unsigned_abs() < (1u64 << 53) {
                        sheet.write_number(excel_row, c, *n as f64)?;
                    } else {
                        sheet.write_string_with_format(
                            excel_row,
                            c,
                            n.to_string(),
                            &text_format,
                        )?;
                    }
                    n.to_string().len()
                }
                &ExportCell::Date { year, month, day } => {
                    match excel_date(year, month, day) {
                        Some(d) => sheet.write_date_with_format(excel_row, c, &d, &date_format)?,
                        None => sheet.write_string_with_format(
                            excel_row,
                            c,
                            date_text(year, month, day),
                            &text_format,
                        )?,
                    };
                    10
                }
            };
            widths[i] = widths[i].max(width);
        }
    }
    for (i, w) in widths.iter().enumerate() {
        sheet.set_column_width(col(i), (w + 2).clamp(MIN_WIDTH, MAX_WIDTH) as f64)?;
    }
    Ok(workbook)
}

fn excel_date(year: i32, month: u8, day: u8) -> Option<ExcelDateTime> {
    let year = u16::try_from(year)
        .ok()
        .filter(|y| (1900..=9999).contains(y))?;
    ExcelDateTime::from_ymd(year, month, day)
        .ok()
        .filter(|_| day <= days_in_month(year, month))
}

fn days_in_month(year: u16, month: u8) -> u8 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400) => {
            29
        }
        2 => 28,
        _ => 0,
    }
}

fn date_text(year: i32, month: u8, day: u8) -> String {
    format!("{day:02}/{month:02}/{year:04}")
}

fn col(i: usize) -> u16 {
    u16::try_from(i).unwrap_or(u16::MAX)
}

/// A valid Excel worksheet name: no `[]:*?/\`, at most 31 characters, not empty.
fn sheet_name(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .map(|c| {
            if matches!(c, '[' | ']' | ':' | '*' | '?' | '/' | '\\') {
                '-'
            } else {
                c
            }
        })
        .collect();
    let cleaned = cleaned.trim().trim_matches('\'');
    let cut: String = cleaned.chars().take(31).collect();
    if cut.is_empty() {
        "Sheet1".to_owned()
    } else {
        cut
    }
}

fn is_locked_xlsx(e: &XlsxError) -> bool {
    matches!(e, XlsxError::IoError(io) if io.kind() == io::ErrorKind::PermissionDenied)
}

fn write_error(path: &Path, message: &str, locked: bool) -> SheetError {
    SheetError::Write {
        file: path.display().to_string(),
        message: message.to_owned(),
        locked,
    }
}

/// Writes the table as comma-separated UTF-8 with a BOM (no title row).
pub fn write_csv(path: &Path, table: &ExportTable) -> Result<(), SheetError> {
    let io_err = |e: io::Error| {
        write_error(
            path,
            &e.to_string(),
            e.kind() == io::ErrorKind::PermissionDenied,
        )
    };
    let mut out = Vec::new();
    out.extend_from_slice(b"\xEF\xBB\xBF");
    {
        let mut writer = csv::WriterBuilder::new()
            .flexible(true)
            .from_writer(&mut out);
        let csv_err = |e: csv::Error| write_error(path, &e.to_string(), false);
        writer.write_record(&table.headers).map_err(csv_err)?;
        for row in &table.rows {
            writer
                .write_record(row.iter().map(|c| match c {
                    ExportCell::Empty => String::new(),
                    ExportCell::Text(t) => t.clone(),
                    ExportCell::Integer(n) => n.to_string(),
                    &ExportCell::Date { year, month, day } => date_text(year, month, day),
                }))
                .map_err(csv_err)?;
        }
        writer.flush().map_err(io_err)?;
    }
    let mut file = std::fs::File::create(path).map_err(io_err)?;
    file.write_all(&out).map_err(io_err)?;
    file.sync_all().map_err(io_err)
}
