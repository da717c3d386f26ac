//! Reading CSV files in the encodings and delimiters they come in.

use khuyenhoc_legacy_text::{Encoding, encode_bytes};
use khuyenhoc_sheet::{Cell, Column, ReadOptions, SkipReason, SourceFormat, read_bytes, read_path};

fn text(s: &str) -> Cell {
    Cell::Text(s.to_owned())
}

fn names(sheet: &khuyenhoc_sheet::Sheet) -> Vec<String> {
    sheet
        .rows
        .iter()
        .filter_map(|r| {
            r.get(Column::FullName)
                .and_then(Cell::as_text)
                .map(str::to_owned)
        })
        .collect()
}

const LIST: &str = "DANH SÁCH HỘI VIÊN CHI HỘI THÔN 3\n\
STT,Họ và tên,Năm sinh,Giới tính,Số ĐT,Địa chỉ\n\
1,2,3,4,5,6\n\
1,Nguyễn Văn An,1950,Nam,0912345678,\"Thôn 3, xã Tân Hòa\"\n\
2,Trần Thị Bình,12/05/1962,Nữ,,Thôn 3\n\
,,,,,\n\
Tổng cộng,,,,,\n\
\"Tân Hòa, ngày 15 tháng 3 năm 2025\",,,,,\n";

#[test]
fn utf8_with_bom() {
    let mut bytes = b"\xEF\xBB\xBF".to_vec();
    bytes.extend_from_slice(LIST.as_bytes());
    let sheet = read_bytes(&bytes, SourceFormat::Csv, &ReadOptions::default()).unwrap();
    assert_eq!(sheet.format, SourceFormat::Csv);
    assert_eq!(sheet.sheet_name, None);
    assert_eq!(sheet.encoding, Encoding::Unicode);
    assert_eq!(sheet.header_rows, vec![2]);
    assert_eq!(names(&sheet), vec!["Nguyễn Văn An", "Trần Thị Bình"]);
    let an = &sheet.rows[0];
    assert_eq!(an.row_number, 4);
    assert_eq!(an.get(Column::Phone), Some(&text("0912345678")));
    assert_eq!(an.get(Column::Address), Some(&text("Thôn 3, xã Tân Hòa")));
    assert_eq!(
        sheet.rows[1].get(Column::BirthDate),
        Some(&text("12/05/1962"))
    );
    assert_eq!(sheet.rows[1].get(Column::Phone), None);
    let skipped: Vec<(usize, SkipReason)> = sheet
        .skipped
        .iter()
        .map(|s| (s.row_number, s.reason))
        .collect();
    assert_eq!(
        skipped,
        vec![
            (3, SkipReason::ColumnNumbers),
            (6, SkipReason::Blank),
            (7, SkipReason::Total),
            (8, SkipReason::Footer)
        ]
    );
}

#[test]
fn semicolons_without_bom() {
    let csv = "Họ tên;Ngày sinh;Điện thoại;Chi hội\r\n\
               Phạm Thị Cúc;03/04/1958;0977111222;Chi hội Đồng Tâm\r\n\
               Hoàng Văn Dũng;1949;;Chi hội Đồng Tâm\r\n";
    let sheet = read_bytes(csv.as_bytes(), SourceFormat::Csv, &ReadOptions::default()).unwrap();
    assert_eq!(sheet.header_rows, vec![1]);
    assert_eq!(names(&sheet), vec!["Phạm Thị Cúc", "Hoàng Văn Dũng"]);
    assert_eq!(sheet.rows[1].get(Column::BirthDate), Some(&text("1949")));
    assert_eq!(
        sheet.rows[1].get(Column::Branch),
        Some(&text("Chi hội Đồng Tâm"))
    );
}

#[test]
fn tabs_and_excel_sep_line() {
    let tsv = "STT\tHọ và tên\tThôn\n1\tĐỗ Văn Hải\tThôn 1\n";
    let sheet = read_bytes(tsv.as_bytes(), SourceFormat::Csv, &ReadOptions::default()).unwrap();
    assert_eq!(sheet.rows[0].get(Column::Address), Some(&text("Thôn 1")));

    let sep = "sep=|\nSTT|Họ và tên|Thôn\n1|Đỗ Văn Hải|Thôn 1\n";
    let sheet = read_bytes(sep.as_bytes(), SourceFormat::Csv, &ReadOptions::default()).unwrap();
    assert_eq!(sheet.header_rows, vec![1]);
    assert_eq!(sheet.rows[0].row_number, 2);
    assert_eq!(names(&sheet), vec!["Đỗ Văn Hải"]);
}

#[test]
fn raw_tcvn3_and_vni_bytes() {
    for enc in [Encoding::Tcvn3, Encoding::VniWindows] {
        let bytes = encode_bytes(LIST, enc);
        assert!(std::str::from_utf8(&bytes).is_err());
        let sheet = read_bytes(&bytes, SourceFormat::Csv, &ReadOptions::default()).unwrap();
        assert_eq!(sheet.encoding, enc);
        assert_eq!(sheet.header_rows, vec![2]);
        assert_eq!(sheet.columns[1].header, "Họ và tên");
        assert_eq!(names(&sheet), vec!["Nguyễn Văn An", "Trần Thị Bình"]);
        assert_eq!(
            sheet.rows[0].get(Column::Address),
            Some(&text("Thôn 3, xã Tân Hòa"))
        );
        assert_eq!(sheet.skipped.len(), 4);
    }
}

#[test]
fn windows_1258_bytes() {
    // "Họ và tên;Năm sinh" / "Lê Văn Tú;1955" in Windows-1258 (tones as combining marks).
    let bytes = b"Ho\xF2 va\xCC t\xEAn;N\xE3m sinh\r\nL\xEA V\xE3n Tu\xEC;1955\r\n";
    let sheet = read_bytes(bytes, SourceFormat::Csv, &ReadOptions::default()).unwrap();
    assert_eq!(sheet.encoding, Encoding::Unicode);
    assert_eq!(names(&sheet), vec!["Lê Văn Tú"]);
    assert_eq!(sheet.rows[0].get(Column::BirthDate), Some(&text("1955")));
}

#[test]
fn csv_without_header_and_empty_csv() {
    let err = read_bytes(b"a,b\n1,2\n", SourceFormat::Csv, &ReadOptions::default()).unwrap_err();
    assert_eq!(err.code(), "no_header");
    let err = read_bytes(b"", SourceFormat::Csv, &ReadOptions::default()).unwrap_err();
    assert_eq!(err.code(), "empty_file");

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("trong.csv");
    std::fs::write(&path, "\r\n").unwrap();
    let err = read_path(&path, &ReadOptions::default()).unwrap_err();
    assert_eq!(err.code(), "empty_file");
    assert!(
        err.message_vi().contains("trong.csv"),
        "{}",
        err.message_vi()
    );
}

#[test]
fn two_row_header_without_merge_information() {
    // As a .csv or .ods gives it: "Năm sinh" only above its first sub-column.
    let csv = "STT,Họ và tên,Năm sinh,,Địa chỉ\n,,Nam,Nữ,\n1,Nguyễn Văn An,1950,,Thôn 1\n2,Lò Thị Xuân,,1971,Bản Mòng\n";
    let sheet = read_bytes(csv.as_bytes(), SourceFormat::Csv, &ReadOptions::default()).unwrap();
    assert_eq!(sheet.header_rows, vec![1, 2]);
    assert_eq!(sheet.columns[3].header, "Năm sinh / Nữ");
    assert_eq!(
        sheet.rows[0].get(Column::BirthYearMale),
        Some(&text("1950"))
    );
    assert_eq!(
        sheet.rows[1].get(Column::BirthYearFemale),
        Some(&text("1971"))
    );
    assert_eq!(sheet.rows[1].row_number, 4);
}

#[test]
fn gender_ticked_under_nam_nu_is_left_unmapped() {
    let csv = "STT,Họ và tên,Giới tính,,Năm sinh\n,,Nam,Nữ,\n1,Nguyễn Văn An,x,,1950\n";
    let sheet = read_bytes(csv.as_bytes(), SourceFormat::Csv, &ReadOptions::default()).unwrap();
    assert_eq!(sheet.header_rows, vec![1, 2]);
    let cols: Vec<(&str, Option<Column>)> = sheet
        .columns
        .iter()
        .map(|m| (m.header.as_str(), m.column))
        .collect();
    assert_eq!(
        cols,
        vec![
            ("STT", Some(Column::Ordinal)),
            ("Họ và tên", Some(Column::FullName)),
            ("Giới tính / Nam", None),
            ("Giới tính / Nữ", None),
            ("Năm sinh", Some(Column::BirthDate)),
        ]
    );
    assert_eq!(sheet.rows.len(), 1);
}

#[test]
fn section_headings_inside_a_list_are_not_members() {
    let csv = "STT,Họ và tên,Năm sinh\nI.,Chi hội Thôn 1,\n1,Nguyễn Văn An,1960\n2,Lê Thị Bình,1972\nII,Chi hội Thôn 2,\n3,Trần Văn Cường,1958\n,Tổ dân phố 5,\n4,Phạm Thị Dung,1980\n";
    let sheet = khuyenhoc_sheet::read_bytes(
        csv.as_bytes(),
        khuyenhoc_sheet::SourceFormat::Csv,
        &Default::default(),
    )
    .unwrap();
    let names: Vec<String> = sheet
        .rows
        .iter()
        .filter_map(|r| {
            r.get(khuyenhoc_sheet::Column::FullName)
                .and_then(|c| c.as_text().map(str::to_owned))
        })
        .collect();
    assert_eq!(
        names,
        [
            "Nguyễn Văn An",
            "Lê Thị Bình",
            "Trần Văn Cường",
            "Phạm Thị Dung"
        ]
    );
    let sections: Vec<usize> = sheet
        .skipped
        .iter()
        .filter(|s| s.reason == khuyenhoc_sheet::SkipReason::Section)
        .map(|s| s.row_number)
        .collect();
    assert_eq!(sections, [2, 5, 7]);
}
