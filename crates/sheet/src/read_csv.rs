//! CSV (and tab-separated text): the bytes' encoding, the delimiter, then the same pipeline as
//! workbooks. All cells are text; row numbers are record numbers, as Excel would show them.
//!
//! Encodings: UTF-8 with or without BOM, UTF-16 with BOM (Excel's "Unicode text"); otherwise the
//! bytes are read as Windows-1252 and, when the legacy detector finds TCVN3 or VNI there, decoded
//! from it; failing that they are Windows-1258 (Vietnamese Windows code page).

use encoding_rs::{Encoding as Charset, UTF_16BE, UTF_16LE, WINDOWS_1252, WINDOWS_1258};
use khuyenhoc_legacy_text::{self as legacy, Encoding};

use crate::error::SheetError;
use crate::model::{Cell, ReadOptions, Sheet, SourceFormat};
use crate::table::{Grid, build_sheet};

const CANDIDATES: [u8; 3] = [b',', b';', b'\t'];

pub(crate) fn read_csv(bytes: &[u8], opts: &ReadOptions) -> Result<Sheet, SheetError> {
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(SheetError::EmptyFile { file: None });
    }
    let (grid, encoding) = decode_and_parse(bytes)?;
    build_sheet(grid, SourceFormat::Csv, None, encoding, opts)
}

/// The parsed cells and, when already settled here, the encoding (otherwise the pipeline
/// detects legacy text inside the Unicode cells).
fn decode_and_parse(bytes: &[u8]) -> Result<(Grid, Option<Encoding>), SheetError> {
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        return Ok((parse(&String::from_utf8_lossy(rest))?, None));
    }
    if bytes.starts_with(b"\xFF\xFE") {
        return Ok((parse(&decode_with(UTF_16LE, bytes))?, None));
    }
    if bytes.starts_with(b"\xFE\xFF") {
        return Ok((parse(&decode_with(UTF_16BE, bytes))?, None));
    }
    if let Ok(text) = std::str::from_utf8(bytes) {
        return Ok((parse(text)?, None));
    }
    let western = parse(&decode_with(WINDOWS_1252, bytes))?;
    let found = legacy::detect(western.rows.iter().flatten().filter_map(Cell::as_text));
    if !matches!(found, Encoding::Unicode) {
        return Ok((western, Some(found)));
    }
    Ok((
        parse(&decode_with(WINDOWS_1258, bytes))?,
        Some(Encoding::Unicode),
    ))
}

fn decode_with(charset: &'static Charset, bytes: &[u8]) -> String {
    let (text, _, _) = charset.decode(bytes);
    text.into_owned()
}

/// Splits the text into cells, with the delimiter given by an Excel "sep=;" line or sniffed.
fn parse(text: &str) -> Result<Grid, SheetError> {
    let (text, delimiter) = match explicit_separator(text) {
        Some((rest, d)) => (rest, d),
        None => (text, sniff(text)),
    };
    let mut reader = reader(text, delimiter);
    let mut grid = Grid::default();
    for (i, record) in reader.records().enumerate() {
        let record = record.map_err(|e| SheetError::Csv {
            file: None,
            row: i + 1,
            message: e.to_string(),
        })?;
        let mut cells: Vec<Cell> = record
            .iter()
            .map(|f| {
                if f.is_empty() {
                    Cell::Empty
                } else {
                    Cell::Text(f.to_owned())
                }
            })
            .collect();
        while cells.last().is_some_and(Cell::is_empty) {
            cells.pop();
        }
        grid.rows.push(cells);
    }
    Ok(grid)
}

fn reader(text: &str, delimiter: u8) -> csv::Reader<&[u8]> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(text.as_bytes())
}

/// Excel's "sep=;" first line: the rest of the text and the delimiter.
fn explicit_separator(text: &str) -> Option<(&str, u8)> {
    let (first, rest) = text.split_once('\n').unwrap_or((text, ""));
    let sep = first.trim_end_matches('\r').strip_prefix("sep=")?;
    match sep.as_bytes() {
        [d] => Some((rest, *d)),
        _ => None,
    }
}

/// The candidate that splits the most of the first records into the same number (≥ 2) of
/// fields; a comma when none does.
fn sniff(text: &str) -> u8 {
    let mut best = (0usize, 0usize, b',');
    for d in CANDIDATES {
        let mut counts: Vec<usize> = reader(text, d)
            .records()
            .take(60)
            .filter_map(Result::ok)
            .map(|r| r.len())
            .filter(|n| *n >= 2)
            .collect();
        counts.sort_unstable();
        let (mut top_freq, mut top_width) = (0usize, 0usize);
        for group in counts.chunk_by(|a, b| a == b) {
            if group.len() > top_freq || (group.len() == top_freq && group[0] > top_width) {
                top_freq = group.len();
                top_width = group[0];
            }
        }
        if (top_freq, top_width) > (best.0, best.1) {
            best = (top_freq, top_width, d);
        }
    }
    best.2
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs() {
        assert_eq!(sniff("a;b;c\n1;2;3\nTân Hòa, ngày 1\n"), b';');
        assert_eq!(sniff("a,b,c\n1,2,3\n"), b',');
        assert_eq!(sniff("a\tb\tc\n1\t2\t3\n"), b'\t');
        assert_eq!(sniff("one\n"), b',');
        assert_eq!(explicit_separator("sep=;\r\na;b"), Some(("a;b", b';')));
    }
}
