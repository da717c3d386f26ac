//! Workbooks (.xlsx, .xls, .ods) through calamine: cells with their Excel types, merged regions
//! filled in (xlsx and xls; calamine does not report merges for .ods), and the worksheet chosen.

use std::io::Cursor;

use calamine::{
    Data, Dimensions, Ods, Reader, SheetType, Sheets, Xls, Xlsx, open_workbook_from_rs,
};
use khuyenhoc_domain::text::fold;

use crate::error::SheetError;
use crate::model::{Cell, ReadOptions, Sheet, SourceFormat};
use crate::table::{Grid, build_sheet};

type Book<'a> = Sheets<Cursor<&'a [u8]>>;

/// Reads a workbook. When the bytes are not of the declared kind (a renamed file), the real kind
/// is detected.
pub(crate) fn read_workbook(
    bytes: &[u8],
    format: SourceFormat,
    opts: &ReadOptions,
) -> Result<Sheet, SheetError> {
    let (mut book, format) = open(bytes, format)?;

    let sheets: Vec<(String, bool)> = book
        .sheets_metadata()
        .iter()
        .filter(|s| s.typ == SheetType::WorkSheet)
        .map(|s| (s.name.clone(), s.visible == calamine::SheetVisible::Visible))
        .collect();
    if sheets.is_empty() {
        return Err(SheetError::NoSheets { file: None });
    }

    if let Some(wanted) = &opts.sheet {
        let name = sheets
            .iter()
            .find(|(n, _)| n == wanted)
            .or_else(|| sheets.iter().find(|(n, _)| fold(n) == fold(wanted)))
            .map(|(n, _)| n.clone())
            .ok_or_else(|| SheetError::SheetNotFound {
                file: None,
                name: wanted.clone(),
                available: sheets.iter().map(|(n, _)| n.clone()).collect(),
            })?;
        return read_one(&mut book, &name, format, opts);
    }

    // The first visible worksheet with a recognisable header; hidden ones only as a last resort.
    let order = sheets
        .iter()
        .filter(|(_, v)| *v)
        .chain(sheets.iter().filter(|(_, v)| !*v));
    let mut first_error = None;
    for (name, _) in order {
        match read_one(&mut book, name, format, opts) {
            Ok(sheet) => return Ok(sheet),
            Err(e @ SheetError::NoHeader { .. }) => {
                first_error.get_or_insert(e);
            }
            Err(e) => return Err(e),
        }
    }
    Err(first_error.unwrap_or(SheetError::NoSheets { file: None }))
}

fn open(bytes: &[u8], format: SourceFormat) -> Result<(Book<'_>, SourceFormat), SheetError> {
    let cursor = || Cursor::new(bytes);
    let declared = match format {
        SourceFormat::Xlsx => open_workbook_from_rs::<Xlsx<_>, _>(cursor())
            .map(Sheets::Xlsx)
            .map_err(|e| e.to_string()),
        SourceFormat::Xls => open_workbook_from_rs::<Xls<_>, _>(cursor())
            .map(Sheets::Xls)
            .map_err(|e| e.to_string()),
        SourceFormat::Ods => open_workbook_from_rs::<Ods<_>, _>(cursor())
            .map(Sheets::Ods)
            .map_err(|e| e.to_string()),
        SourceFormat::Csv => Err("not a workbook".to_owned()),
    };
    let message = match declared {
        Ok(book) => return Ok((book, format)),
        Err(message) => message,
    };
    match calamine::open_workbook_auto_from_rs(cursor()) {
        Ok(book) => {
            let actual = match &book {
                Sheets::Xls(_) => SourceFormat::Xls,
                Sheets::Ods(_) => SourceFormat::Ods,
                Sheets::Xlsx(_) | Sheets::Xlsb(_) => SourceFormat::Xlsx,
            };
            Ok((book, actual))
        }
        Err(_) => Err(SheetError::Open {
            file: None,
            message,
        }),
    }
}

fn read_one(
    book: &mut Book<'_>,
    name: &str,
    format: SourceFormat,
    opts: &ReadOptions,
) -> Result<Sheet, SheetError> {
    let range = book.worksheet_range(name).map_err(|e| SheetError::Open {
        file: None,
        message: format!("sheet {name:?}: {e}"),
    })?;
    let merges = merged_regions(book, name);

    let mut grid = Grid::default();
    if let (Some((r0, c0)), Some(_)) = (range.start(), range.end()) {
        let (r0, c0) = (r0 as usize, c0 as usize);
        grid.rows = vec![Vec::new(); r0];
        for row in range.rows() {
            let mut cells = vec![Cell::Empty; c0];
            cells.extend(row.iter().map(convert));
            while cells.last().is_some_and(Cell::is_empty) {
                cells.pop();
            }
            grid.rows.push(cells);
        }
    }
    let regions: Vec<_> = merges
        .iter()
        .map(|d| {
            (
                (d.start.0 as usize, d.start.1 as usize),
                (d.end.0 as usize, d.end.1 as usize),
            )
        })
        .collect();
    grid.fill_merged(&regions);

    build_sheet(grid, format, Some(name.to_owned()), None, opts)
}

/// Merged regions of a worksheet (empty when the format does not report them).
fn merged_regions(book: &mut Book<'_>, name: &str) -> Vec<Dimensions> {
    match book {
        Sheets::Xlsx(x) => x.merge_cells_by_sheet_name(name).unwrap_or_default(),
        Sheets::Xls(x) => x.merge_cells_by_sheet_name(name).unwrap_or_default(),
        Sheets::Xlsb(_) | Sheets::Ods(_) => Vec::new(),
    }
}

/// A calamine value as a [`Cell`]: dates become [`Cell::Date`], everything else keeps its type.
fn convert(data: &Data) -> Cell {
    match data {
        Data::Empty => Cell::Empty,
        // Not trimmed yet: in a legacy encoding an edge character may be a letter.
        Data::String(s) if s.is_empty() => Cell::Empty,
        Data::String(s) => Cell::Text(s.clone()),
        Data::Int(i) => Cell::Number(*i as f64),
        Data::Float(f) => Cell::Number(*f),
        Data::Bool(b) => Cell::Bool(*b),
        Data::DateTime(dt) => {
            if dt.is_datetime() && dt.as_f64() >= 1.0 {
                let (year, month, day, ..) = dt.to_ymd_hms_milli();
                Cell::Date {
                    year: i32::from(year),
                    month,
                    day,
                }
            } else {
                Cell::Number(dt.as_f64())
            }
        }
        Data::DateTimeIso(s) => parse_iso_date(s).unwrap_or_else(|| Cell::text(s)),
        Data::DurationIso(s) => Cell::text(s),
        Data::Error(e) => Cell::Text(e.to_string()),
    }
}

/// "2025-03-15" or "2025-03-15T10:00:00" (how .ods stores dates).
fn parse_iso_date(s: &str) -> Option<Cell> {
    let date = s.get(..10)?;
    let mut parts = date.split('-');
    let year: i32 = parts.next()?.parse().ok()?;
    let month: u8 = parts.next()?.parse().ok()?;
    let day: u8 = parts.next()?.parse().ok()?;
    ((1..=12).contains(&month) && (1..=31).contains(&day)).then_some(Cell::Date {
        year,
        month,
        day,
    })
}
