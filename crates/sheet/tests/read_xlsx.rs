//! Reading workbooks built like the lists communes really keep.

use std::path::{Path, PathBuf};

use khuyenhoc_legacy_text::{Encoding, encode};
use khuyenhoc_sheet::{Cell, Column, ReadOptions, SkipReason, SourceFormat, read_path};
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook, Worksheet, XlsxError};

fn text(s: &str) -> Cell {
    Cell::Text(s.to_owned())
}

fn save(
    dir: &Path,
    name: &str,
    build: impl FnOnce(&mut Workbook) -> Result<(), XlsxError>,
) -> PathBuf {
    let mut wb = Workbook::new();
    build(&mut wb).unwrap();
    let path = dir.join(name);
    wb.save(&path).unwrap();
    path
}

/// A list with everything: national motto and title rows, a two-row header with "Năm sinh"
/// merged over "Nam" | "Nữ", a column-number row, a branch merged down three rows, a blank
/// row, a total row and a signature footer.
fn commune_list(ws: &mut Worksheet, enc: Encoding) -> Result<(), XlsxError> {
    let e = |s: &str| encode(s, enc);
    let plain = Format::new();
    let date = Format::new().set_num_format("dd/mm/yyyy");
    ws.merge_range(0, 0, 0, 7, &e("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"), &plain)?;
    ws.merge_range(1, 0, 1, 7, &e("Độc lập - Tự do - Hạnh phúc"), &plain)?;
    ws.merge_range(3, 0, 3, 7, &e("DANH SÁCH HỘI VIÊN CHI HỘI THÔN 3"), &plain)?;
    // Header, rows 5-6.
    ws.merge_range(4, 0, 5, 0, &e("STT"), &plain)?;
    ws.merge_range(4, 1, 5, 1, &e("Họ và tên"), &plain)?;
    ws.merge_range(4, 2, 4, 3, &e("Năm sinh"), &plain)?;
    ws.write_string(5, 2, e("Nam"))?;
    ws.write_string(5, 3, e("Nữ"))?;
    ws.merge_range(4, 4, 5, 4, &e("Chi hội"), &plain)?;
    ws.merge_range(4, 5, 5, 5, &e("Số điện thoại"), &plain)?;
    ws.merge_range(4, 6, 5, 6, &e("Ngày vào hội"), &plain)?;
    ws.merge_range(4, 7, 5, 7, &e("Ghi chú"), &plain)?;
    // Column numbers, row 7.
    for c in 0..8u16 {
        ws.write_number(6, c, f64::from(c + 1))?;
    }
    // Data, rows 8-10.
    ws.write_number(7, 0, 1)?;
    ws.write_string(7, 1, e("Nguyễn Văn An"))?;
    ws.write_number(7, 2, 1950)?;
    ws.merge_range(7, 4, 9, 4, &e("Chi hội Thôn 3"), &plain)?;
    ws.write_number(7, 5, 912_345_678)?;
    ws.write_datetime_with_format(7, 6, ExcelDateTime::from_ymd(2020, 3, 15)?, &date)?;

    ws.write_number(8, 0, 2)?;
    ws.write_string(8, 1, e("Trần Thị Bình"))?;
    ws.write_number(8, 3, 1962)?;
    ws.write_string(8, 5, "0987654321")?;
    ws.write_string(8, 6, "15/03/2021")?;

    ws.write_number(9, 0, 3)?;
    ws.write_string(9, 1, format!("  {}  ", e("Lê Văn Cường")))?;
    ws.write_number(9, 2, 1948)?;
    ws.write_number(9, 6, 2019)?;
    ws.write_string(9, 7, e("Chủ tịch chi hội"))?;
    // Row 11 blank; total on row 12; footer from row 13.
    ws.merge_range(11, 0, 11, 1, &e("Tổng cộng"), &plain)?;
    ws.write_string(11, 2, e("3 hội viên"))?;
    ws.merge_range(
        12,
        4,
        12,
        7,
        &e("Tân Hòa, ngày 15 tháng 3 năm 2025"),
        &plain,
    )?;
    ws.write_string(13, 1, e("NGƯỜI LẬP BIỂU"))?;
    ws.write_string(13, 5, e("CHỦ TỊCH"))?;
    ws.write_string(15, 1, e("Nguyễn Thị Dung"))?;
    ws.write_string(15, 5, e("Phạm Văn Em"))?;
    Ok(())
}

#[test]
fn reads_a_real_looking_commune_list() {
    let dir = tempfile::tempdir().unwrap();
    let path = save(dir.path(), "thon3.xlsx", |wb| {
        let ws = wb.add_worksheet().set_name("Thôn 3")?;
        commune_list(ws, Encoding::Unicode)
    });
    let sheet = read_path(&path, &ReadOptions::default()).unwrap();

    assert_eq!(sheet.format, SourceFormat::Xlsx);
    assert_eq!(sheet.sheet_name.as_deref(), Some("Thôn 3"));
    assert_eq!(sheet.encoding, Encoding::Unicode);
    assert_eq!(sheet.header_rows, vec![5, 6]);
    let mapped: Vec<(usize, Option<Column>)> =
        sheet.columns.iter().map(|m| (m.index, m.column)).collect();
    assert_eq!(
        mapped,
        vec![
            (0, Some(Column::Ordinal)),
            (1, Some(Column::FullName)),
            (2, Some(Column::BirthYearMale)),
            (3, Some(Column::BirthYearFemale)),
            (4, Some(Column::Branch)),
            (5, Some(Column::Phone)),
            (6, Some(Column::JoinDate)),
            (7, Some(Column::Note)),
        ]
    );
    assert_eq!(sheet.columns[2].header, "Năm sinh / Nam");
    assert_eq!(sheet.columns[1].header, "Họ và tên");

    let numbers: Vec<usize> = sheet.rows.iter().map(|r| r.row_number).collect();
    assert_eq!(numbers, vec![8, 9, 10]);
    let (an, binh, cuong) = (&sheet.rows[0], &sheet.rows[1], &sheet.rows[2]);

    assert_eq!(an.get(Column::Ordinal), Some(&Cell::Number(1.0)));
    assert_eq!(an.get(Column::FullName), Some(&text("Nguyễn Văn An")));
    assert_eq!(an.get(Column::BirthYearMale), Some(&Cell::Number(1950.0)));
    assert_eq!(an.get(Column::BirthYearFemale), None);
    assert_eq!(an.get(Column::Phone), Some(&Cell::Number(912_345_678.0)));
    assert_eq!(
        an.get(Column::JoinDate),
        Some(&Cell::Date {
            year: 2020,
            month: 3,
            day: 15
        })
    );

    assert_eq!(
        binh.get(Column::BirthYearFemale),
        Some(&Cell::Number(1962.0))
    );
    assert_eq!(binh.get(Column::Phone), Some(&text("0987654321")));
    assert_eq!(binh.get(Column::JoinDate), Some(&text("15/03/2021")));

    assert_eq!(cuong.get(Column::FullName), Some(&text("Lê Văn Cường")));
    assert_eq!(cuong.get(Column::JoinDate), Some(&Cell::Number(2019.0)));
    assert_eq!(cuong.get(Column::Note), Some(&text("Chủ tịch chi hội")));
    assert_eq!(cuong.get(Column::Status), None);

    for row in &sheet.rows {
        assert_eq!(
            row.get(Column::Branch),
            Some(&text("Chi hội Thôn 3")),
            "row {}",
            row.row_number
        );
    }

    let skipped: Vec<(usize, SkipReason)> = sheet
        .skipped
        .iter()
        .map(|s| (s.row_number, s.reason))
        .collect();
    assert_eq!(
        skipped,
        vec![
            (7, SkipReason::ColumnNumbers),
            (11, SkipReason::Blank),
            (12, SkipReason::Total),
            (13, SkipReason::Footer),
            (14, SkipReason::Footer),
            (15, SkipReason::Footer),
            (16, SkipReason::Footer),
        ]
    );
}

#[test]
fn decodes_tcvn3_and_vni_workbooks() {
    for (enc, name) in [
        (Encoding::Tcvn3, "tcvn3.xlsx"),
        (Encoding::VniWindows, "vni.xlsx"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let path = save(dir.path(), name, |wb| commune_list(wb.add_worksheet(), enc));
        let sheet = read_path(&path, &ReadOptions::default()).unwrap();
        assert_eq!(sheet.encoding, enc, "{name}");
        assert_eq!(sheet.header_rows, vec![5, 6], "{name}");
        assert_eq!(sheet.columns[1].header, "Họ và tên", "{name}");
        assert_eq!(
            sheet.columns[3].column,
            Some(Column::BirthYearFemale),
            "{name}"
        );
        let names: Vec<_> = sheet
            .rows
            .iter()
            .map(|r| r.get(Column::FullName).cloned())
            .collect();
        assert_eq!(
            names,
            vec![
                Some(text("Nguyễn Văn An")),
                Some(text("Trần Thị Bình")),
                Some(text("Lê Văn Cường"))
            ],
            "{name}"
        );
        assert_eq!(
            sheet.rows[2].get(Column::Branch),
            Some(&text("Chi hội Thôn 3")),
            "{name}"
        );
        assert_eq!(sheet.skipped.len(), 7, "{name}");
    }
}

#[test]
fn finds_the_header_under_title_rows_with_other_spellings() {
    let dir = tempfile::tempdir().unwrap();
    let path = save(dir.path(), "ds.xlsx", |wb| {
        let ws = wb.add_worksheet();
        ws.write_string(0, 0, "HỘI KHUYẾN HỌC XÃ TÂN HÒA")?;
        ws.write_string(1, 0, "CHI HỘI THÔN ĐÔNG")?;
        ws.write_string(3, 0, "DANH SÁCH HỘI VIÊN NĂM 2025")?;
        let headers = [
            "TT",
            "Họ tên hội viên",
            "Giới tính",
            "Ngày, tháng, năm sinh",
            "SĐT",
            "Thôn/Xóm",
            "Số CMND/CCCD",
            "Quê quán",
            "Ngày kết nạp",
            "Mã hội viên",
            "Tình trạng",
        ];
        for (c, h) in headers.iter().enumerate() {
            ws.write_string(5, c as u16, *h)?;
        }
        for (c, n) in [
            "(1)", "(2)", "(3)", "(4)", "(5)", "(6)", "(7)", "(8)", "(9)", "(10)", "(11)",
        ]
        .iter()
        .enumerate()
        {
            ws.write_string(6, c as u16, *n)?;
        }
        ws.write_number(7, 0, 1)?;
        ws.write_string(7, 1, "Đặng Thị Hoa")?;
        ws.write_string(7, 2, "Nữ")?;
        ws.write_number(7, 3, 24_000)?;
        ws.write_number(7, 4, 987_654_321)?;
        ws.write_string(7, 5, "Đông")?;
        ws.write_string(7, 6, "001175012345")?;
        ws.write_string(7, 7, "Nam Định")?;
        ws.write_string(7, 10, "Đang sinh hoạt")?;
        ws.write_string(8, 1, "Cộng: 1 hội viên")?;
        Ok(())
    });
    let sheet = read_path(&path, &ReadOptions::default()).unwrap();
    assert_eq!(sheet.header_rows, vec![6]);
    let cols: Vec<Option<Column>> = sheet.columns.iter().map(|m| m.column).collect();
    assert_eq!(
        cols,
        vec![
            Some(Column::Ordinal),
            Some(Column::FullName),
            Some(Column::Gender),
            Some(Column::BirthDate),
            Some(Column::Phone),
            Some(Column::Address),
            Some(Column::CitizenId),
            None,
            Some(Column::JoinDate),
            Some(Column::CardNumber),
            Some(Column::Status),
        ]
    );
    assert_eq!(sheet.columns[7].header, "Quê quán");
    assert_eq!(sheet.rows.len(), 1);
    let row = &sheet.rows[0];
    assert_eq!(row.row_number, 8);
    // An Excel serial number typed into a date column stays a number.
    assert_eq!(row.get(Column::BirthDate), Some(&Cell::Number(24_000.0)));
    assert_eq!(row.get(Column::CitizenId), Some(&text("001175012345")));
    assert_eq!(row.get(Column::Gender), Some(&text("Nữ")));
    let skipped: Vec<(usize, SkipReason)> = sheet
        .skipped
        .iter()
        .map(|s| (s.row_number, s.reason))
        .collect();
    assert_eq!(
        skipped,
        vec![(7, SkipReason::ColumnNumbers), (9, SkipReason::Total)]
    );
}

#[test]
fn splits_names_under_one_merged_title() {
    let dir = tempfile::tempdir().unwrap();
    // "Họ và tên" merged over "Họ đệm" | "Tên".
    let with_sub = save(dir.path(), "sub.xlsx", |wb| {
        let ws = wb.add_worksheet();
        let f = Format::new();
        ws.merge_range(0, 0, 1, 0, "STT", &f)?;
        ws.merge_range(0, 1, 0, 2, "Họ và tên", &f)?;
        ws.write_string(1, 1, "Họ đệm")?;
        ws.write_string(1, 2, "Tên")?;
        ws.merge_range(0, 3, 1, 3, "Địa chỉ", &f)?;
        ws.write_number(2, 0, 1)?;
        ws.write_string(2, 1, "Nguyễn Văn")?;
        ws.write_string(2, 2, "An")?;
        ws.write_string(2, 3, "Xóm 1")?;
        Ok(())
    });
    // "Họ và tên" merged across two columns with no sub-titles, the name split in the data.
    let without_sub = save(dir.path(), "nosub.xlsx", |wb| {
        let ws = wb.add_worksheet();
        let f = Format::new();
        ws.write_string(0, 0, "STT")?;
        ws.merge_range(0, 1, 0, 2, "Họ và tên", &f)?;
        ws.write_string(0, 3, "Địa chỉ")?;
        ws.write_number(1, 0, 1)?;
        ws.write_string(1, 1, "Nguyễn Văn")?;
        ws.write_string(1, 2, "An")?;
        ws.write_string(1, 3, "Xóm 1")?;
        Ok(())
    });
    for (path, header_rows) in [(with_sub, vec![1, 2]), (without_sub, vec![1])] {
        let sheet = read_path(&path, &ReadOptions::default()).unwrap();
        assert_eq!(sheet.header_rows, header_rows);
        let row = &sheet.rows[0];
        assert_eq!(row.get(Column::FamilyAndMiddle), Some(&text("Nguyễn Văn")));
        assert_eq!(row.get(Column::GivenName), Some(&text("An")));
        assert_eq!(row.get(Column::FullName), None);
        assert_eq!(row.get(Column::Address), Some(&text("Xóm 1")));
    }

    // The same title merged across two columns, but the names merged across both too.
    let merged_names = save(dir.path(), "merged.xlsx", |wb| {
        let ws = wb.add_worksheet();
        let f = Format::new();
        ws.write_string(0, 0, "STT")?;
        ws.merge_range(0, 1, 0, 2, "Họ và tên", &f)?;
        ws.write_string(0, 3, "Địa chỉ")?;
        for r in 1..4u32 {
            ws.write_number(r, 0, f64::from(r))?;
            ws.merge_range(r, 1, r, 2, &format!("Hội viên số {r}"), &f)?;
        }
        Ok(())
    });
    let sheet = read_path(&merged_names, &ReadOptions::default()).unwrap();
    assert_eq!(
        sheet.rows[0].get(Column::FullName),
        Some(&text("Hội viên số 1"))
    );
    assert_eq!(sheet.rows[0].get(Column::GivenName), None);
}

#[test]
fn a_header_merged_down_two_rows_is_one_header() {
    let dir = tempfile::tempdir().unwrap();
    let path = save(dir.path(), "tall.xlsx", |wb| {
        let ws = wb.add_worksheet();
        let f = Format::new();
        for (c, h) in ["STT", "Họ và tên", "Địa chỉ"].iter().enumerate() {
            ws.merge_range(0, c as u16, 1, c as u16, h, &f)?;
        }
        ws.write_number(2, 0, 1)?;
        ws.write_string(2, 1, "Mai Văn Tư")?;
        Ok(())
    });
    let sheet = read_path(&path, &ReadOptions::default()).unwrap();
    assert_eq!(sheet.header_rows, vec![1, 2]);
    assert_eq!(sheet.rows.len(), 1);
    assert_eq!(sheet.rows[0].row_number, 3);
    assert_eq!(sheet.columns[1].header, "Họ và tên");
}

#[test]
fn row_numbers_when_the_sheet_starts_further_down() {
    let dir = tempfile::tempdir().unwrap();
    let path = save(dir.path(), "offset.xlsx", |wb| {
        let ws = wb.add_worksheet();
        ws.write_string(3, 2, "Họ và tên")?;
        ws.write_string(3, 3, "Địa chỉ")?;
        ws.write_string(5, 2, "Kiều Thị Nga")?;
        ws.write_string(5, 3, "Xóm Chùa")?;
        Ok(())
    });
    let sheet = read_path(&path, &ReadOptions::default()).unwrap();
    assert_eq!(sheet.header_rows, vec![4]);
    assert_eq!(sheet.columns[0].index, 2);
    assert_eq!(sheet.rows[0].row_number, 6);
    assert_eq!(sheet.skipped[0].row_number, 5);
}

#[test]
fn chooses_the_sheet() {
    let dir = tempfile::tempdir().unwrap();
    let path = save(dir.path(), "book.xlsx", |wb| {
        let guide = wb.add_worksheet().set_name("Hướng dẫn")?;
        guide.write_string(0, 0, "Điền danh sách ở trang sau")?;
        let list = wb.add_worksheet().set_name("Danh sách")?;
        list.write_string(0, 0, "STT")?;
        list.write_string(0, 1, "Họ và tên")?;
        list.write_string(0, 2, "Năm sinh")?;
        list.write_number(1, 0, 1)?;
        list.write_string(1, 1, "Vũ Thị Lan")?;
        list.write_number(1, 2, 1970)?;
        Ok(())
    });
    let sheet = read_path(&path, &ReadOptions::default()).unwrap();
    assert_eq!(sheet.sheet_name.as_deref(), Some("Danh sách"));

    let opts = ReadOptions {
        sheet: Some("danh sach".into()),
        ..Default::default()
    };
    assert_eq!(read_path(&path, &opts).unwrap().rows.len(), 1);

    let opts = ReadOptions {
        sheet: Some("Hướng dẫn".into()),
        ..Default::default()
    };
    let err = read_path(&path, &opts).unwrap_err();
    assert_eq!(err.code(), "no_header");
    assert!(
        err.message_vi().contains("Hướng dẫn"),
        "{}",
        err.message_vi()
    );

    let opts = ReadOptions {
        sheet: Some("Thôn 9".into()),
        ..Default::default()
    };
    let err = read_path(&path, &opts).unwrap_err();
    assert_eq!(err.code(), "sheet_not_found");
    assert!(
        err.message_vi().contains("“Danh sách”"),
        "{}",
        err.message_vi()
    );
}

#[test]
fn overrides_win() {
    let dir = tempfile::tempdir().unwrap();
    let path = save(dir.path(), "o.xlsx", |wb| {
        let ws = wb.add_worksheet();
        for (c, h) in ["STT", "Họ và tên", "Liên hệ", "Ghi chú"]
            .iter()
            .enumerate()
        {
            ws.write_string(0, c as u16, *h)?;
        }
        ws.write_number(1, 0, 1)?;
        ws.write_string(1, 1, "Hồ Văn Nam")?;
        ws.write_string(1, 2, "0912000111")?;
        ws.write_string(1, 3, "x")?;
        Ok(())
    });
    let opts = ReadOptions {
        sheet: None,
        overrides: vec![(2, Some(Column::Phone)), (3, None)],
    };
    let sheet = read_path(&path, &opts).unwrap();
    assert_eq!(sheet.columns[2].column, Some(Column::Phone));
    assert_eq!(sheet.columns[3].column, None);
    assert_eq!(sheet.rows[0].get(Column::Phone), Some(&text("0912000111")));
    assert_eq!(sheet.rows[0].get(Column::Note), None);
}

#[test]
fn no_header_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = save(dir.path(), "lung-tung.xlsx", |wb| {
        let ws = wb.add_worksheet().set_name("Sheet1")?;
        ws.write_string(0, 0, "Báo cáo tháng 3")?;
        ws.write_number(1, 0, 12)?;
        ws.write_string(1, 1, "abc")?;
        Ok(())
    });
    let err = read_path(&path, &ReadOptions::default()).unwrap_err();
    assert_eq!(err.code(), "no_header");
    let vi = err.message_vi();
    assert!(
        vi.contains("lung-tung.xlsx") && vi.contains("Sheet1") && vi.contains("Họ và tên"),
        "{vi}"
    );
    assert!(err.to_string().contains("no header row"), "{err}");
}

#[test]
fn bad_files_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let pdf = dir.path().join("danh-sach.pdf");
    std::fs::write(&pdf, b"%PDF-1.4").unwrap();
    let err = read_path(&pdf, &ReadOptions::default()).unwrap_err();
    assert_eq!(err.code(), "unsupported_format");
    assert!(err.message_vi().contains("danh-sach.pdf"));

    let broken = dir.path().join("hong.xlsx");
    std::fs::write(&broken, b"PK\x03\x04 not really a zip").unwrap();
    let err = read_path(&broken, &ReadOptions::default()).unwrap_err();
    assert_eq!(err.code(), "open_failed");
    assert!(err.message_vi().contains("hong.xlsx"));

    let missing = dir.path().join("khong-co.xlsx");
    assert_eq!(
        read_path(&missing, &ReadOptions::default())
            .unwrap_err()
            .code(),
        "io"
    );
}

#[test]
fn a_csv_named_xls_is_still_read() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("xuat-tu-web.xls");
    std::fs::write(&path, "STT\tHọ và tên\tNăm sinh\n1\tLý Thị Mai\t1980\n").unwrap();
    let sheet = read_path(&path, &ReadOptions::default()).unwrap();
    assert_eq!(sheet.format, SourceFormat::Csv);
    assert_eq!(
        sheet.rows[0].get(Column::FullName),
        Some(&text("Lý Thị Mai"))
    );
}
