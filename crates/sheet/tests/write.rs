//! Exports, and reading them back.

use khuyenhoc_sheet::{
    Cell, Column, ExportCell, ExportTable, ReadOptions, SourceFormat, read_path, write_csv,
    write_xlsx,
};

fn table() -> ExportTable {
    let t = |s: &str| ExportCell::Text(s.to_owned());
    ExportTable {
        title: Some("DANH SÁCH HỘI VIÊN CHI HỘI THÔN 3".to_owned()),
        sheet_name: "Hội viên: Thôn 3/2025".to_owned(),
        headers: [
            "STT",
            "Họ và tên",
            "Ngày sinh",
            "Số điện thoại",
            "Số CCCD",
            "Ghi chú",
        ]
        .map(str::to_owned)
        .to_vec(),
        rows: vec![
            vec![
                ExportCell::Integer(1),
                t("Nguyễn Thị Ánh Tuyết"),
                ExportCell::Date {
                    year: 1950,
                    month: 2,
                    day: 28,
                },
                t("0912345678"),
                t("001150000123"),
                ExportCell::Empty,
            ],
            vec![
                ExportCell::Integer(2),
                t("Đặng Văn Ửng"),
                ExportCell::Date {
                    year: 1962,
                    month: 12,
                    day: 1,
                },
                t("0087654321"),
                ExportCell::Empty,
                t("Chuyển đi, \"đã báo\""),
            ],
        ],
    }
}

#[test]
fn xlsx_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("xuat.xlsx");
    write_xlsx(&path, &table()).unwrap();

    let sheet = read_path(&path, &ReadOptions::default()).unwrap();
    assert_eq!(sheet.format, SourceFormat::Xlsx);
    assert_eq!(sheet.sheet_name.as_deref(), Some("Hội viên- Thôn 3-2025"));
    assert_eq!(sheet.header_rows, vec![3]);
    let cols: Vec<Option<Column>> = sheet.columns.iter().map(|m| m.column).collect();
    assert_eq!(
        cols,
        vec![
            Some(Column::Ordinal),
            Some(Column::FullName),
            Some(Column::BirthDate),
            Some(Column::Phone),
            Some(Column::CitizenId),
            Some(Column::Note)
        ]
    );
    assert_eq!(sheet.rows.len(), 2);
    let (a, b) = (&sheet.rows[0], &sheet.rows[1]);
    assert_eq!(a.row_number, 4);
    assert_eq!(a.get(Column::Ordinal), Some(&Cell::Number(1.0)));
    assert_eq!(
        a.get(Column::FullName),
        Some(&Cell::Text("Nguyễn Thị Ánh Tuyết".into()))
    );
    assert_eq!(
        a.get(Column::BirthDate),
        Some(&Cell::Date {
            year: 1950,
            month: 2,
            day: 28
        })
    );
    assert_eq!(a.get(Column::Phone), Some(&Cell::Text("0912345678".into())));
    assert_eq!(
        a.get(Column::CitizenId),
        Some(&Cell::Text("001150000123".into()))
    );
    assert_eq!(b.get(Column::Phone), Some(&Cell::Text("0087654321".into())));
    assert_eq!(b.get(Column::CitizenId), None);
    assert_eq!(
        b.get(Column::Note),
        Some(&Cell::Text("Chuyển đi, \"đã báo\"".into()))
    );
    assert!(sheet.skipped.is_empty());
}

#[test]
fn xlsx_without_title_and_odd_dates() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.xlsx");
    let mut t = table();
    t.title = None;
    t.sheet_name = String::new();
    t.rows[1][2] = ExportCell::Date {
        year: 1962,
        month: 2,
        day: 30,
    };
    write_xlsx(&path, &t).unwrap();
    let sheet = read_path(&path, &ReadOptions::default()).unwrap();
    assert_eq!(sheet.header_rows, vec![1]);
    assert_eq!(sheet.sheet_name.as_deref(), Some("Sheet1"));
    assert_eq!(
        sheet.rows[1].get(Column::BirthDate),
        Some(&Cell::Text("30/02/1962".into()))
    );
}

#[test]
fn csv_has_a_bom_and_reads_back() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("xuat.csv");
    write_csv(&path, &table()).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    assert!(bytes.starts_with(b"\xEF\xBB\xBFSTT,H\xE1\xBB\x8D v\xC3\xA0 t\xC3\xAAn,"));

    let sheet = read_path(&path, &ReadOptions::default()).unwrap();
    assert_eq!(sheet.header_rows, vec![1]);
    assert_eq!(
        sheet.rows[0].get(Column::BirthDate),
        Some(&Cell::Text("28/02/1950".into()))
    );
    assert_eq!(
        sheet.rows[1].get(Column::Phone),
        Some(&Cell::Text("0087654321".into()))
    );
    assert_eq!(
        sheet.rows[1].get(Column::Note),
        Some(&Cell::Text("Chuyển đi, \"đã báo\"".into()))
    );
}

#[test]
fn write_errors_name_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("khong-co-thu-muc").join("x.xlsx");
    let err = write_xlsx(&path, &table()).unwrap_err();
    assert_eq!(err.code(), "write_failed");
    assert!(err.message_vi().contains("x.xlsx"), "{}", err.message_vi());
    let err = write_csv(&path.with_extension("csv"), &table()).unwrap_err();
    assert_eq!(err.code(), "write_failed");
}
