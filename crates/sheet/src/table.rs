//! From a raw grid of cells (any format) to a [`Sheet`]: legacy-encoding repair, header
//! detection (one or more header rows), column mapping, row classification.

use std::collections::HashSet;

use khuyenhoc_legacy_text::{self as legacy, Encoding};
use unicode_normalization::{IsNormalized, UnicodeNormalization, is_nfc_quick};

use crate::classify::{RowContext, classify_rows, is_blank};
use crate::error::SheetError;
use crate::header::{match_header, match_sub_header, normalize};
use crate::model::{
    Cell, Column, ColumnMapping, ReadOptions, Sheet, SheetRow, SkippedRow, SourceFormat,
};

/// How many rows from the top may hold the header.
pub(crate) const HEADER_SCAN_ROWS: usize = 30;
/// At most this many header rows are merged (title + sub-titles).
const MAX_HEADER_ROWS: usize = 3;

/// A merged region: `((first_row, first_col), (last_row, last_col))`, 0-based, inclusive.
pub(crate) type Region = ((usize, usize), (usize, usize));

/// The cells of a worksheet, 0-based, starting at A1.
#[derive(Debug, Default)]
pub(crate) struct Grid {
    pub rows: Vec<Vec<Cell>>,
}

impl Grid {
    pub fn width(&self) -> usize {
        self.rows.iter().map(Vec::len).max().unwrap_or(0)
    }

    fn cell(&self, row: usize, col: usize) -> &Cell {
        self.rows
            .get(row)
            .and_then(|r| r.get(col))
            .unwrap_or(&Cell::Empty)
    }

    /// Copies the top-left value of each merged region into all its cells (clamped to the
    /// used area).
    pub fn fill_merged(&mut self, regions: &[Region]) {
        let height = self.rows.len();
        let width = self.width();
        for &((r0, c0), (r1, c1)) in regions {
            if r0 >= height || c0 >= width {
                continue;
            }
            let value = self.cell(r0, c0).clone();
            if value.is_empty() {
                continue;
            }
            for r in r0..=r1.min(height - 1) {
                let row = &mut self.rows[r];
                let last = c1.min(width - 1);
                if row.len() <= last {
                    row.resize(last + 1, Cell::Empty);
                }
                for cell in &mut row[c0..=last] {
                    *cell = value.clone();
                }
            }
        }
    }

    /// Drops trailing blank rows.
    fn trim_end(&mut self) {
        while self.rows.last().is_some_and(|r| is_blank(r)) {
            self.rows.pop();
        }
    }
}

/// Builds the sheet. `encoding` is given when the reader already knows it (CSV bytes decoded as
/// Windows-1258); otherwise it is detected over all text cells and every text cell decoded.
pub(crate) fn build_sheet(
    mut grid: Grid,
    format: SourceFormat,
    sheet_name: Option<String>,
    encoding: Option<Encoding>,
    opts: &ReadOptions,
) -> Result<Sheet, SheetError> {
    grid.trim_end();
    let encoding = repair_text(&mut grid, encoding);

    let Some(header) = find_header(&grid, &opts.overrides) else {
        return Err(SheetError::NoHeader {
            file: None,
            sheet: sheet_name,
            scanned_rows: HEADER_SCAN_ROWS.min(grid.rows.len()),
        });
    };
    let mut mapping = header.mapping;

    let data_start = header.rows.last().map_or(0, |r| r + 1);
    let data: Vec<&[Cell]> = grid
        .rows
        .iter()
        .skip(data_start)
        .map(Vec::as_slice)
        .collect();

    if let Some((a, b)) = header.split_name {
        undo_split_if_same(&mut mapping, &data, a, b);
    }

    let ctx = RowContext {
        name_columns: mapping
            .iter()
            .enumerate()
            .filter(|(_, c)| {
                matches!(
                    c,
                    Some(Column::FullName | Column::FamilyAndMiddle | Column::GivenName)
                )
            })
            .map(|(i, _)| i)
            .collect(),
        ordinal_column: mapping.iter().position(|c| *c == Some(Column::Ordinal)),
    };
    let classes = classify_rows(&data, &ctx);

    let mut rows = Vec::new();
    let mut skipped = Vec::new();
    for (offset, (row, class)) in data.iter().zip(classes).enumerate() {
        let row_number = data_start + offset + 1;
        if let Some(reason) = class {
            skipped.push(SkippedRow { row_number, reason });
            continue;
        }
        let cells = mapping
            .iter()
            .enumerate()
            .filter_map(|(i, c)| {
                let c = (*c)?;
                let cell = row.get(i)?;
                (!cell.is_empty()).then(|| (c, cell.clone()))
            })
            .collect();
        rows.push(SheetRow { row_number, cells });
    }

    let overridden: HashSet<usize> = opts.overrides.iter().map(|(i, _)| *i).collect();
    let columns = mapping
        .iter()
        .enumerate()
        .filter_map(|(index, column)| {
            let title = header.titles.get(index).cloned().unwrap_or_default();
            (!title.is_empty() || overridden.contains(&index) || column.is_some()).then_some(
                ColumnMapping {
                    index,
                    header: title,
                    column: *column,
                },
            )
        })
        .collect();

    Ok(Sheet {
        format,
        sheet_name,
        encoding,
        header_rows: header.rows.iter().map(|r| r + 1).collect(),
        columns,
        rows,
        skipped,
    })
}

/// Detects a legacy encoding over all text cells and decodes them; trims and NFC-normalises
/// every text cell. Returns the encoding the text was in.
fn repair_text(grid: &mut Grid, known: Option<Encoding>) -> Encoding {
    let encoding = match known {
        Some(e) => e,
        None => legacy::detect(grid.rows.iter().flatten().filter_map(Cell::as_text)),
    };
    let is_legacy = !matches!(encoding, Encoding::Unicode);
    for cell in grid.rows.iter_mut().flatten() {
        if let Cell::Text(t) = cell {
            if is_legacy && is_cp1252_reading(t) {
                let fixed = legacy::decode(&c1_to_cp1252(t), encoding);
                *cell = Cell::text(&fixed.nfc().collect::<String>());
            } else if t.is_ascii() || is_nfc_quick(t.chars()) == IsNormalized::Yes {
                // Most cells are NFC already: keep them, trimmed, without rebuilding them.
                if t.trim().len() != t.len() {
                    *cell = Cell::text(t);
                }
            } else {
                *cell = Cell::text(&t.nfc().collect::<String>());
            }
        }
    }
    encoding
}

/// The characters of Windows-1252 in 0x80..=0x9F (undefined bytes stay C1 controls).
const CP1252_HIGH: [char; 32] = [
    '€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8D}', 'Ž', '\u{8F}',
    '\u{90}', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{9D}', 'ž', 'Ÿ',
];

/// True when every character could come from reading single bytes as Windows-1252 (or
/// Latin-1), i.e. the text can be legacy bytes shown through a Western code page. Cells that
/// already hold real Vietnamese Unicode letters (ư, ạ, …) are left alone.
fn is_cp1252_reading(text: &str) -> bool {
    text.chars()
        .all(|c| c <= '\u{FF}' || CP1252_HIGH.contains(&c))
}

/// Maps C1 controls (a Latin-1 reading of bytes 0x80..=0x9F, as some .xls readers give) to the
/// Windows-1252 characters of the same bytes.
fn c1_to_cp1252(text: &str) -> String {
    text.chars()
        .map(|c| match c as u32 {
            n @ 0x80..=0x9F => CP1252_HIGH[(n - 0x80) as usize],
            _ => c,
        })
        .collect()
}

/// The chosen header.
struct Header {
    /// 0-based grid rows forming the header.
    rows: Vec<usize>,
    /// Title per column (rows joined with " / ").
    titles: Vec<String>,
    mapping: Vec<Option<Column>>,
    /// Two adjacent columns under one "Họ và tên" title, mapped as family+middle and given name.
    split_name: Option<(usize, usize)>,
}

fn cell_title(cell: &Cell) -> String {
    match cell {
        Cell::Text(t) => t.split_whitespace().collect::<Vec<_>>().join(" "),
        _ => String::new(),
    }
}

/// Scans the first rows for the best header (most recognised columns, then most distinct
/// titles; the earliest on a tie).
fn find_header(grid: &Grid, overrides: &[(usize, Option<Column>)]) -> Option<Header> {
    let width = grid
        .width()
        .max(overrides.iter().map(|(i, _)| i + 1).max().unwrap_or(0));
    let mut best: Option<((usize, usize), Header)> = None;
    for r in 0..grid.rows.len().min(HEADER_SCAN_ROWS) {
        let Some((score, header)) = header_at(grid, r, width, overrides) else {
            continue;
        };
        if best.as_ref().is_none_or(|(s, _)| score > *s) {
            best = Some((score, header));
        }
    }
    best.map(|(_, h)| h)
}

fn header_at(
    grid: &Grid,
    r: usize,
    width: usize,
    overrides: &[(usize, Option<Column>)],
) -> Option<((usize, usize), Header)> {
    let row = &grid.rows[r];
    let mut titles: Vec<String> = (0..width)
        .map(|i| cell_title(row.get(i).unwrap_or(&Cell::Empty)))
        .collect();
    if distinct_titles(&titles) < 2 {
        return None;
    }
    let mut mapping: Vec<Option<Column>> = titles.iter().map(|t| match_header(t)).collect();
    let mut rows = vec![r];
    while rows.len() < MAX_HEADER_ROWS {
        let next = r + rows.len();
        let Some(sub) = grid.rows.get(next) else {
            break;
        };
        let Some((t, m)) = merge_sub_header(&titles, &mapping, sub) else {
            break;
        };
        titles = t;
        mapping = m;
        rows.push(next);
    }

    let distinct = distinct_titles(&titles);
    let split_name = split_name_columns(&titles, &mut mapping);
    dedupe(&mut mapping);
    for &(i, c) in overrides {
        if let Some(c) = c {
            for m in mapping.iter_mut().filter(|m| **m == Some(c)) {
                *m = None;
            }
        }
        if i < mapping.len() {
            mapping[i] = c;
        }
    }

    let mapped: HashSet<Column> = mapping.iter().flatten().copied().collect();
    let has_name = mapped.contains(&Column::FullName)
        || (mapped.contains(&Column::FamilyAndMiddle) && mapped.contains(&Column::GivenName));
    if mapped.len() < 2 || !has_name {
        return None;
    }
    let split_name = split_name.filter(|(a, b)| {
        mapping[*a] == Some(Column::FamilyAndMiddle) && mapping[*b] == Some(Column::GivenName)
    });
    Some((
        (mapped.len(), distinct),
        Header {
            rows,
            titles,
            mapping,
            split_name,
        },
    ))
}

fn distinct_titles(titles: &[String]) -> usize {
    titles
        .iter()
        .filter(|t| !t.is_empty())
        .collect::<HashSet<_>>()
        .len()
}

/// Tries `sub` as a sub-header row under the header so far. Returns the combined titles and
/// mapping, or `None` when `sub` looks like data (or a column-number row).
fn merge_sub_header(
    titles: &[String],
    mapping: &[Option<Column>],
    sub: &[Cell],
) -> Option<(Vec<String>, Vec<Option<Column>>)> {
    let mut new_titles = titles.to_vec();
    let mut new_mapping = mapping.to_vec();
    let mut recognised = 0usize;
    let mut unrecognised = 0usize;
    let mut repeats = 0usize;
    for (i, cell) in sub.iter().enumerate().take(titles.len()) {
        let text = match cell {
            Cell::Empty => continue,
            Cell::Text(_) if cell.as_number().is_none() => cell_title(cell),
            _ => return None,
        };
        let parent = &titles[i];
        if normalize(&text) == normalize(parent) {
            repeats += 1;
            continue;
        }
        // Without merge information the group title is only above its first column:
        // "Năm sinh" | "" over "Nam" | "Nữ".
        let (group_title, group_col) = if parent.is_empty() {
            group_to_the_left(titles, mapping, sub, i)
        } else {
            (parent.clone(), mapping[i])
        };
        if matches!(
            group_col,
            Some(Column::FullName | Column::FamilyAndMiddle | Column::GivenName)
        ) && match_sub_header(group_col, &text).is_none()
        {
            // Text under a name title that is not a sub-title: a member's name.
            return None;
        }
        if group_col == Some(Column::Gender) && matches!(normalize(&text).as_str(), "nam" | "nu") {
            // "Giới tính" over "Nam" | "Nữ" ticked with an "x": a real sub-header, but no single
            // column of ours holds it; left for the officer to map.
            recognised += 1;
            new_mapping[i] = None;
            new_titles[i] = format!("{group_title} / {text}");
            continue;
        }
        match match_sub_header(group_col, &text) {
            Some(c) => {
                recognised += 1;
                new_mapping[i] = Some(c);
            }
            None => {
                unrecognised += 1;
                new_mapping[i] = if parent.is_empty() { None } else { mapping[i] };
            }
        }
        new_titles[i] = if group_title.is_empty() {
            text
        } else {
            format!("{group_title} / {text}")
        };
    }
    let is_sub_header = (recognised >= 1 && recognised >= unrecognised)
        || (recognised == 0 && unrecognised == 0 && repeats >= 1);
    is_sub_header.then_some((new_titles, new_mapping))
}

/// The group title an untitled column belongs to: the nearest title to the left, when every
/// column in between has a sub-title.
fn group_to_the_left(
    titles: &[String],
    mapping: &[Option<Column>],
    sub: &[Cell],
    i: usize,
) -> (String, Option<Column>) {
    for j in (0..i).rev() {
        if sub.get(j).is_none_or(Cell::is_empty) {
            break;
        }
        if !titles[j].is_empty() {
            return (titles[j].clone(), mapping[j]);
        }
    }
    (String::new(), None)
}

/// "Họ và tên" merged across two columns with no sub-titles: the first holds the family and
/// middle names, the second the given name.
fn split_name_columns(titles: &[String], mapping: &mut [Option<Column>]) -> Option<(usize, usize)> {
    let full: Vec<usize> = mapping
        .iter()
        .enumerate()
        .filter(|(_, c)| **c == Some(Column::FullName))
        .map(|(i, _)| i)
        .collect();
    let has_parts = mapping
        .iter()
        .any(|c| matches!(c, Some(Column::FamilyAndMiddle | Column::GivenName)));
    if let [a, b] = full[..]
        && b == a + 1
        && !has_parts
        && titles[a] == titles[b]
    {
        mapping[a] = Some(Column::FamilyAndMiddle);
        mapping[b] = Some(Column::GivenName);
        return Some((a, b));
    }
    None
}

/// When the "split" name columns hold the same text in most rows, the name was merged across
/// both columns in the data too: keep one full-name column.
fn undo_split_if_same(mapping: &mut [Option<Column>], data: &[&[Cell]], a: usize, b: usize) {
    let (mut same, mut different) = (0usize, 0usize);
    for row in data {
        match (row.get(a), row.get(b)) {
            (Some(x), Some(y)) if !x.is_empty() && !y.is_empty() => {
                if x == y {
                    same += 1;
                } else {
                    different += 1;
                }
            }
            _ => {}
        }
    }
    if same > different {
        mapping[a] = Some(Column::FullName);
        mapping[b] = None;
    }
}

/// Each column is taken by its first header only.
fn dedupe(mapping: &mut [Option<Column>]) {
    let mut seen = HashSet::new();
    for m in mapping.iter_mut() {
        if let Some(c) = m
            && !seen.insert(*c)
        {
            *m = None;
        }
    }
}
