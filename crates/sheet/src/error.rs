//! Errors: English `Display` for logs, a stable [`SheetError::code`] for the UI, and
//! [`SheetError::message_vi`] to show the officer.

use std::io;

/// Something that stopped a file from being read or written.
#[derive(Debug, thiserror::Error)]
pub enum SheetError {
    /// The extension is not one of .xlsx, .xls, .ods, .csv.
    #[error("unsupported file type {extension:?} ({file})")]
    UnsupportedFormat { file: String, extension: String },

    /// The file could not be read from disk.
    #[error("cannot read {file}: {source}")]
    Io {
        file: String,
        #[source]
        source: io::Error,
    },

    /// The file is not a workbook of the expected kind, or is damaged.
    #[error("cannot open workbook{}: {message}", in_file(.file.as_deref()))]
    Open {
        file: Option<String>,
        message: String,
    },

    /// The file has no content at all.
    #[error("file is empty{}", in_file(.file.as_deref()))]
    EmptyFile { file: Option<String> },

    /// The workbook has no worksheet.
    #[error("workbook has no worksheets{}", in_file(.file.as_deref()))]
    NoSheets { file: Option<String> },

    /// The worksheet asked for does not exist.
    #[error("worksheet {name:?} not found{}; available: {available:?}", in_file(.file.as_deref()))]
    SheetNotFound {
        file: Option<String>,
        name: String,
        available: Vec<String>,
    },

    /// No row in the first rows looks like a header with a name column.
    #[error(
        "no header row with a name column in the first {scanned_rows} rows{}{}",
        in_sheet(.sheet.as_deref()),
        in_file(.file.as_deref())
    )]
    NoHeader {
        file: Option<String>,
        sheet: Option<String>,
        scanned_rows: usize,
    },

    /// The CSV text could not be parsed.
    #[error("CSV error at row {row}{}: {message}", in_file(.file.as_deref()))]
    Csv {
        file: Option<String>,
        row: usize,
        message: String,
    },

    /// An export could not be written.
    #[error("cannot write {file}: {message}")]
    Write {
        file: String,
        message: String,
        locked: bool,
    },
}

fn in_file(file: Option<&str>) -> String {
    file.map(|f| format!(" in {f}")).unwrap_or_default()
}

fn in_sheet(sheet: Option<&str>) -> String {
    sheet
        .map(|s| format!(" of sheet {s:?}"))
        .unwrap_or_default()
}

impl SheetError {
    /// A stable code for the UI and tests.
    pub fn code(&self) -> &'static str {
        match self {
            SheetError::UnsupportedFormat { .. } => "unsupported_format",
            SheetError::Io { .. } => "io",
            SheetError::Open { .. } => "open_failed",
            SheetError::EmptyFile { .. } => "empty_file",
            SheetError::NoSheets { .. } => "no_sheets",
            SheetError::SheetNotFound { .. } => "sheet_not_found",
            SheetError::NoHeader { .. } => "no_header",
            SheetError::Csv { .. } => "csv",
            SheetError::Write { .. } => "write_failed",
        }
    }

    /// What went wrong, in plain Vietnamese, naming the file, sheet and row where it helps.
    pub fn message_vi(&self) -> String {
        match self {
            SheetError::UnsupportedFormat { file, .. } => format!(
                "Tệp “{file}” không phải là bảng tính được hỗ trợ. \
                 Hãy chọn tệp Excel (.xlsx, .xls), LibreOffice (.ods) hoặc .csv."
            ),
            SheetError::Io { file, source } => {
                let why = match source.kind() {
                    io::ErrorKind::NotFound => "tệp không còn ở chỗ cũ (đã bị xóa hoặc di chuyển)",
                    io::ErrorKind::PermissionDenied => {
                        "không có quyền đọc tệp; nếu tệp đang mở trong Excel, hãy đóng lại rồi thử lại"
                    }
                    _ => "có lỗi khi đọc ổ đĩa",
                };
                format!("Không đọc được tệp “{file}”: {why}.")
            }
            SheetError::Open { file, .. } => format!(
                "Không mở được {}: tệp bị hỏng hoặc không đúng định dạng. \
                 Hãy mở tệp bằng Excel rồi lưu lại dưới dạng .xlsx và thử lại.",
                file_vi(file.as_deref())
            ),
            SheetError::EmptyFile { file } => {
                format!(
                    "{} không có nội dung.",
                    capitalize(&file_vi(file.as_deref()))
                )
            }
            SheetError::NoSheets { file } => {
                format!(
                    "{} không có trang tính nào.",
                    capitalize(&file_vi(file.as_deref()))
                )
            }
            SheetError::SheetNotFound {
                file,
                name,
                available,
            } => format!(
                "Không tìm thấy trang “{name}” trong {}. Các trang có trong tệp: {}.",
                file_vi(file.as_deref()),
                available
                    .iter()
                    .map(|s| format!("“{s}”"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            SheetError::NoHeader {
                file,
                sheet,
                scanned_rows,
            } => {
                let place = match sheet {
                    Some(s) => format!("trang “{s}” của {}", file_vi(file.as_deref())),
                    None => file_vi(file.as_deref()),
                };
                format!(
                    "Không tìm thấy dòng tiêu đề cột trong {scanned_rows} dòng đầu của {place}. \
                     Danh sách cần có một dòng tiêu đề gồm cột “Họ và tên” (hoặc “Họ đệm” và “Tên”) \
                     và ít nhất một cột khác như “Năm sinh”, “Địa chỉ”, “Số điện thoại”. \
                     Hãy kiểm tra lại tệp hoặc chọn cột bằng tay."
                )
            }
            SheetError::Csv { file, row, .. } => format!(
                "Không đọc được dòng {row} của {}: dữ liệu CSV không hợp lệ.",
                file_vi(file.as_deref())
            ),
            SheetError::Write { file, locked, .. } => {
                if *locked {
                    format!(
                        "Không ghi được tệp “{file}”. Nếu tệp đang mở trong Excel, \
                         hãy đóng lại rồi thử lại."
                    )
                } else {
                    format!(
                        "Không ghi được tệp “{file}”. Hãy kiểm tra thư mục lưu và chỗ trống trên ổ đĩa."
                    )
                }
            }
        }
    }

    /// Names the file in errors from [`crate::read_bytes`] when the caller knows it.
    pub(crate) fn with_file(mut self, name: &str) -> SheetError {
        match &mut self {
            SheetError::Open { file, .. }
            | SheetError::EmptyFile { file }
            | SheetError::NoSheets { file }
            | SheetError::SheetNotFound { file, .. }
            | SheetError::NoHeader { file, .. }
            | SheetError::Csv { file, .. } => {
                if file.is_none() {
                    *file = Some(name.to_owned());
                }
            }
            SheetError::UnsupportedFormat { .. }
            | SheetError::Io { .. }
            | SheetError::Write { .. } => {}
        }
        self
    }
}

fn file_vi(file: Option<&str>) -> String {
    match file {
        Some(f) => format!("tệp “{f}”"),
        None => "tệp".to_owned(),
    }
}

fn capitalize(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}
