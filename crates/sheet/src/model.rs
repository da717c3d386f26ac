//! The clean table handed to the rest of the app: recognised columns, typed cells, data rows
//! numbered as the officer sees them in Excel, and the rows that were skipped and why.

use serde::Serialize;

/// A column of a member list that the importer understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Column {
    /// "STT": the ordinal number printed in the list.
    Ordinal,
    /// "Họ và tên" in one cell.
    FullName,
    /// "Họ và tên đệm" when the given name has its own column.
    FamilyAndMiddle,
    /// "Tên" when the family and middle names have their own column.
    GivenName,
    /// "Giới tính".
    Gender,
    /// "Ngày sinh" / "Năm sinh".
    BirthDate,
    /// "Năm sinh — Nam": the birth year, written in this column for men.
    BirthYearMale,
    /// "Năm sinh — Nữ": the birth year, written in this column for women.
    BirthYearFemale,
    /// "Số điện thoại".
    Phone,
    /// "Địa chỉ" / "Thôn".
    Address,
    /// "Chi hội".
    Branch,
    /// "Ngày vào hội".
    JoinDate,
    /// "Số thẻ hội viên".
    CardNumber,
    /// "Số CCCD".
    CitizenId,
    /// "Tình trạng".
    Status,
    /// "Ghi chú".
    Note,
}

impl Column {
    /// Every column, in the order a member list usually has them.
    pub const ALL: [Column; 16] = [
        Column::Ordinal,
        Column::FullName,
        Column::FamilyAndMiddle,
        Column::GivenName,
        Column::Gender,
        Column::BirthDate,
        Column::BirthYearMale,
        Column::BirthYearFemale,
        Column::Phone,
        Column::Address,
        Column::Branch,
        Column::JoinDate,
        Column::CardNumber,
        Column::CitizenId,
        Column::Status,
        Column::Note,
    ];

    /// The Vietnamese column title used in the app and in exports.
    pub fn header_vi(self) -> &'static str {
        match self {
            Column::Ordinal => "STT",
            Column::FullName => "Họ và tên",
            Column::FamilyAndMiddle => "Họ và tên đệm",
            Column::GivenName => "Tên",
            Column::Gender => "Giới tính",
            Column::BirthDate => "Ngày sinh",
            Column::BirthYearMale => "Năm sinh (Nam)",
            Column::BirthYearFemale => "Năm sinh (Nữ)",
            Column::Phone => "Số điện thoại",
            Column::Address => "Địa chỉ",
            Column::Branch => "Chi hội",
            Column::JoinDate => "Ngày vào hội",
            Column::CardNumber => "Số thẻ hội viên",
            Column::CitizenId => "Số CCCD",
            Column::Status => "Tình trạng",
            Column::Note => "Ghi chú",
        }
    }

    /// The English column title, for logs and developer tools.
    pub fn header_en(self) -> &'static str {
        match self {
            Column::Ordinal => "No.",
            Column::FullName => "Full name",
            Column::FamilyAndMiddle => "Family and middle name",
            Column::GivenName => "Given name",
            Column::Gender => "Gender",
            Column::BirthDate => "Date of birth",
            Column::BirthYearMale => "Birth year (male)",
            Column::BirthYearFemale => "Birth year (female)",
            Column::Phone => "Phone",
            Column::Address => "Address",
            Column::Branch => "Branch",
            Column::JoinDate => "Join date",
            Column::CardNumber => "Card number",
            Column::CitizenId => "Citizen ID",
            Column::Status => "Status",
            Column::Note => "Note",
        }
    }
}

/// One cell as it was in the file. Text is trimmed (and NFC-normalised, and converted from a
/// legacy encoding when the sheet used one); nothing else is interpreted: a phone stored as a
/// number stays a [`Cell::Number`], a date typed as text stays [`Cell::Text`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum Cell {
    Empty,
    Text(String),
    Number(f64),
    /// A cell Excel (or LibreOffice) stores as a date.
    Date {
        year: i32,
        month: u8,
        day: u8,
    },
    Bool(bool),
}

impl Cell {
    /// A text cell, trimmed; empty text becomes [`Cell::Empty`].
    pub fn text(s: &str) -> Cell {
        let t = s.trim();
        if t.is_empty() {
            Cell::Empty
        } else {
            Cell::Text(t.to_owned())
        }
    }

    pub fn is_empty(&self) -> bool {
        matches!(self, Cell::Empty)
    }

    /// The text of a [`Cell::Text`].
    pub fn as_text(&self) -> Option<&str> {
        match self {
            Cell::Text(s) => Some(s),
            _ => None,
        }
    }

    /// The value of a [`Cell::Number`], or of a text that is just a number ("12", "1.5").
    pub fn as_number(&self) -> Option<f64> {
        match self {
            Cell::Number(n) => Some(*n),
            Cell::Text(s) => {
                let s = s.trim();
                if !s.is_empty()
                    && s.chars().all(|c| c.is_ascii_digit() || c == '.')
                    && s.chars().any(|c| c.is_ascii_digit())
                {
                    s.parse().ok()
                } else {
                    None
                }
            }
            _ => None,
        }
    }
}

/// The kind of file a sheet was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum SourceFormat {
    Xlsx,
    Xls,
    Ods,
    Csv,
}

impl SourceFormat {
    /// The format for a file extension (case-insensitive, without the dot).
    pub fn from_extension(ext: &str) -> Option<SourceFormat> {
        match ext.to_ascii_lowercase().as_str() {
            "xlsx" | "xlsm" => Some(SourceFormat::Xlsx),
            "xls" => Some(SourceFormat::Xls),
            "ods" => Some(SourceFormat::Ods),
            "csv" | "tsv" | "txt" => Some(SourceFormat::Csv),
            _ => None,
        }
    }

    /// The usual extension, without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            SourceFormat::Xlsx => "xlsx",
            SourceFormat::Xls => "xls",
            SourceFormat::Ods => "ods",
            SourceFormat::Csv => "csv",
        }
    }
}

/// One column of the header: its position, its title as written (both rows of a two-row
/// header joined with " / "), and the column it was recognised as, if any.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ColumnMapping {
    /// 0-based column index (A = 0).
    pub index: usize,
    pub header: String,
    pub column: Option<Column>,
}

/// One data row: the non-empty cells of the recognised columns, in column order.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SheetRow {
    /// 1-based, as the officer sees it in Excel (for CSV: the record number).
    pub row_number: usize,
    pub cells: Vec<(Column, Cell)>,
}

impl SheetRow {
    /// The cell of a column; `None` when the column is not in the sheet or the cell is empty.
    pub fn get(&self, c: Column) -> Option<&Cell> {
        self.cells
            .iter()
            .find(|(col, cell)| *col == c && !cell.is_empty())
            .map(|(_, cell)| cell)
    }
}

/// Why a row below the header was not returned as data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum SkipReason {
    /// Every cell is empty.
    Blank,
    /// "Tổng cộng", "Cộng: 125 hội viên".
    Total,
    /// The "1 2 3 …" or "(1) (2) (3) …" row under the header.
    ColumnNumbers,
    /// The place/date line, signatures and everything after them.
    Footer,
    /// A heading inside the list: "I. Chi hội Thôn 1", "A | Tổ dân phố 5".
    Section,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct SkippedRow {
    /// 1-based, as in [`SheetRow::row_number`].
    pub row_number: usize,
    pub reason: SkipReason,
}

/// A member list read from a file.
#[derive(Debug, Clone)]
pub struct Sheet {
    pub format: SourceFormat,
    /// The worksheet read (`None` for CSV).
    pub sheet_name: Option<String>,
    /// The encoding the text was in; text in the cells is already Unicode.
    pub encoding: khuyenhoc_legacy_text::Encoding,
    /// 1-based row numbers of the header (two for a two-row header).
    pub header_rows: Vec<usize>,
    /// Every column with a header title (and every column given in the overrides).
    pub columns: Vec<ColumnMapping>,
    pub rows: Vec<SheetRow>,
    pub skipped: Vec<SkippedRow>,
}

impl Sheet {
    /// The column index a column was recognised at.
    pub fn index_of(&self, c: Column) -> Option<usize> {
        self.columns
            .iter()
            .find(|m| m.column == Some(c))
            .map(|m| m.index)
    }
}

/// How to read a file.
#[derive(Debug, Clone, Default)]
pub struct ReadOptions {
    /// The worksheet to read; by default the first one that has a recognisable header.
    pub sheet: Option<String>,
    /// The officer's corrections: column index (0-based) → column, or `None` to ignore it.
    /// They win over the automatic recognition.
    pub overrides: Vec<(usize, Option<Column>)>,
}
