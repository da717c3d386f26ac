//! Importing member lists as communes really keep them: title rows, merged cells, two-row
//! headers, dates in every form, per-row errors, re-imports, deterministic ids on two laptops,
//! all-or-nothing commits, legacy encodings, export round trips and progress.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use common::{count, fixture, person, with_card};
use khuyenhoc_domain::{Gender, Lang, MemberInput};
use khuyenhoc_legacy_text::{Encoding, encode, encode_bytes};
use khuyenhoc_sheet::{Cell, Column, ReadOptions, SkipReason};
use khuyenhoc_store::{
    CommitOptions, ExportOptions, ImportOutcome, ImportPreview, MemberQuery, Op, OpenOptions,
    OutboxStats, Store, StoreError,
};
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook, Worksheet, XlsxError};
use serde_json::json;
use uuid::Uuid;

// ---------------------------------------------------------------------------------------------
// Fixture files
// ---------------------------------------------------------------------------------------------

/// Saves a workbook with one worksheet built by `build`.
fn save_xlsx(
    dir: &Path,
    name: &str,
    build: impl FnOnce(&mut Worksheet) -> Result<(), XlsxError>,
) -> PathBuf {
    let mut wb = Workbook::new();
    build(wb.add_worksheet()).unwrap();
    let path = dir.join(name);
    wb.save(&path).unwrap();
    path
}

/// The commune's list as an officer keeps it (rows as numbered in Excel):
///
/// 1–3 national motto and title (merged), 4–5 header with "Năm sinh" merged over "Nam" | "Nữ"
/// and the other titles merged down, 6 column numbers, 7–11 five members (branch names merged
/// down; birth as a real date, as dd/mm/yyyy text, as a year number, as a serial number; phones
/// stored as numbers), 12 blank, 13 total, 14–17 the signature footer.
fn commune_list(ws: &mut Worksheet) -> Result<(), XlsxError> {
    let plain = Format::new();
    let date = Format::new().set_num_format("dd/mm/yyyy");
    ws.merge_range(0, 0, 0, 7, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", &plain)?;
    ws.merge_range(1, 0, 1, 7, "Độc lập - Tự do - Hạnh phúc", &plain)?;
    ws.merge_range(2, 0, 2, 7, "DANH SÁCH HỘI VIÊN", &plain)?;
    // Header, Excel rows 4-5.
    ws.merge_range(3, 0, 4, 0, "STT", &plain)?;
    ws.merge_range(3, 1, 4, 1, "Họ và tên", &plain)?;
    ws.merge_range(3, 2, 3, 3, "Năm sinh", &plain)?;
    ws.write_string(4, 2, "Nam")?;
    ws.write_string(4, 3, "Nữ")?;
    ws.merge_range(3, 4, 4, 4, "SĐT", &plain)?;
    ws.merge_range(3, 5, 4, 5, "Địa chỉ", &plain)?;
    ws.merge_range(3, 6, 4, 6, "Chi hội", &plain)?;
    ws.merge_range(3, 7, 4, 7, "Số thẻ HV", &plain)?;
    // Column numbers, Excel row 6.
    for c in 0..8u16 {
        ws.write_number(5, c, f64::from(c + 1))?;
    }
    // Members, Excel rows 7-11.
    ws.merge_range(6, 6, 8, 6, "Chi hội Thôn 1", &plain)?;
    ws.merge_range(9, 6, 10, 6, "Thôn 2", &plain)?;

    ws.write_number(6, 0, 1)?;
    ws.write_string(6, 1, "Nguyễn Văn An")?;
    ws.write_datetime_with_format(6, 2, ExcelDateTime::from_ymd(1955, 3, 15)?, &date)?;
    ws.write_number(6, 4, 912_345_678)?;
    ws.write_string(6, 5, "Xóm Đông")?;
    ws.write_string(6, 7, "HV-001")?;

    ws.write_number(7, 0, 2)?;
    ws.write_string(7, 1, "Trần Thị Bình")?;
    ws.write_string(7, 3, "20/11/1962")?;
    ws.write_string(7, 4, "0987 654 321")?;
    ws.write_string(7, 5, "Xóm Tây")?;
    ws.write_string(7, 7, "HV-002")?;

    ws.write_number(8, 0, 3)?;
    ws.write_string(8, 1, "Lê Văn Cường")?;
    ws.write_number(8, 2, 1948)?;

    ws.write_number(9, 0, 4)?;
    ws.write_string(9, 1, "Phạm Thị Dung")?;
    ws.write_number(9, 3, 25_569)?; // Excel serial number of 01/01/1970, no date format.
    ws.write_number(9, 4, 356_789_012)?;
    ws.write_string(9, 7, "HV-004")?;

    ws.write_number(10, 0, 5)?;
    ws.write_string(10, 1, "Đỗ Văn Em")?;
    ws.write_string(10, 2, "1972")?;
    // Excel row 12 blank; 13 total; footer from 14.
    ws.merge_range(12, 0, 12, 1, "Tổng cộng", &plain)?;
    ws.write_string(12, 2, "5 hội viên")?;
    ws.merge_range(13, 4, 13, 7, "Tân Hòa, ngày 15 tháng 3 năm 2025", &plain)?;
    ws.write_string(14, 1, "NGƯỜI LẬP BIỂU")?;
    ws.write_string(14, 5, "CHỦ TỊCH")?;
    ws.write_string(16, 1, "Nguyễn Thị Ký")?;
    ws.write_string(16, 5, "Hoàng Văn Hội")?;
    Ok(())
}

fn commune_file(dir: &Path) -> PathBuf {
    save_xlsx(dir, "danh-sach-hoi-vien.xlsx", commune_list)
}

/// A plain list in encoding `enc`: a title on row 1, the header on row 2, then one row of text
/// cells per member (empty strings stay empty cells).
fn plain_list(
    dir: &Path,
    name: &str,
    enc: Encoding,
    headers: &[&str],
    rows: &[&[&str]],
) -> PathBuf {
    save_xlsx(dir, name, |ws| {
        let e = |s: &str| encode(s, enc);
        ws.merge_range(
            0,
            0,
            0,
            headers.len() as u16 - 1,
            &e("DANH SÁCH HỘI VIÊN"),
            &Format::new(),
        )?;
        for (c, h) in headers.iter().enumerate() {
            ws.write_string(1, c as u16, e(h))?;
        }
        for (r, row) in rows.iter().enumerate() {
            for (c, v) in row.iter().enumerate().filter(|(_, v)| !v.is_empty()) {
                ws.write_string(r as u32 + 2, c as u16, e(v))?;
            }
        }
        Ok(())
    })
}

/// A UTF-8 CSV of `n` distinct people (name and birth date), for the big imports.
fn many_people_csv(dir: &Path, name: &str, n: usize) -> PathBuf {
    let family = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng"];
    let middle = ["Văn", "Thị", "Minh"];
    let given = [
        "An", "Bình", "Cúc", "Dung", "Hoa", "Lan", "Minh", "Nam", "Phúc", "Quyên",
    ];
    let mut csv = String::from("Họ và tên,Ngày sinh\n");
    for i in 0..n {
        csv.push_str(&format!(
            "{} {} {},{:02}/{:02}/{}\n",
            family[i % 7],
            middle[i % 3],
            given[i % 10],
            1 + i % 28,
            1 + (i / 28) % 12,
            1940 + i / 336
        ));
    }
    let path = dir.join(name);
    std::fs::write(&path, csv).unwrap();
    path
}

// ---------------------------------------------------------------------------------------------
// Store helpers
// ---------------------------------------------------------------------------------------------

fn preview(store: &Store, path: &Path, target: &Uuid) -> ImportPreview {
    store
        .preview_import(path, target, &Default::default())
        .unwrap()
}

fn commit(
    store: &mut Store,
    p: &ImportPreview,
    skip_invalid: bool,
) -> Result<ImportOutcome, StoreError> {
    store.commit_import(p, CommitOptions { skip_invalid }, &mut |_, _| {})
}

/// Previews and commits a file that must have no errors.
fn import(store: &mut Store, path: &Path, target: &Uuid) -> (ImportPreview, ImportOutcome) {
    let p = preview(store, path, target);
    assert!(p.errors.is_empty(), "{:?}", p.errors);
    let outcome = commit(store, &p, false).unwrap();
    (p, outcome)
}

/// Everything an import may change: the register and the outbox.
#[derive(Debug, PartialEq)]
struct Snapshot {
    members: i64,
    member_ids: BTreeSet<String>,
    stats: OutboxStats,
    ops: Vec<Op>,
    next_seq: i64,
}

fn snapshot(store: &Store) -> Snapshot {
    let mut stmt = store
        .connection()
        .prepare("SELECT id FROM members")
        .unwrap();
    let member_ids = stmt
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    Snapshot {
        members: count(store, "SELECT count(*) FROM members"),
        member_ids,
        stats: store.outbox_stats().unwrap(),
        ops: store.pending_ops(100_000).unwrap(),
        next_seq: count(store, "SELECT next_seq FROM local_state WHERE id = 1"),
    }
}

fn names(store: &Store, q: MemberQuery) -> Vec<String> {
    store
        .list_members(&MemberQuery { limit: 1000, ..q })
        .unwrap()
        .members
        .into_iter()
        .map(|m| m.full_name)
        .collect()
}

fn search(store: &Store, text: &str) -> Vec<String> {
    names(
        store,
        MemberQuery {
            text: Some(text.into()),
            ..Default::default()
        },
    )
}

fn member_ids(store: &Store) -> BTreeSet<String> {
    snapshot(store).member_ids
}

// ---------------------------------------------------------------------------------------------
// 1. A real commune workbook
// ---------------------------------------------------------------------------------------------

#[test]
fn a_real_commune_workbook_becomes_the_right_members() {
    let f = fixture();
    let mut store = f.store;
    let path = commune_file(f.dir.path());
    let p = preview(&store, &path, &f.commune.id);

    assert!(p.errors.is_empty(), "{:?}", p.errors);
    assert_eq!(p.encoding, "Unicode");
    assert_eq!(p.header_rows, [4, 5]);
    let columns: Vec<(usize, Option<Column>)> =
        p.columns.iter().map(|c| (c.index, c.field)).collect();
    assert_eq!(
        columns,
        [
            (0, Some(Column::Ordinal)),
            (1, Some(Column::FullName)),
            (2, Some(Column::BirthYearMale)),
            (3, Some(Column::BirthYearFemale)),
            (4, Some(Column::Phone)),
            (5, Some(Column::Address)),
            (6, Some(Column::Branch)),
            (7, Some(Column::CardNumber)),
        ]
    );
    let (a, b) = (f.branch_a.id, f.branch_b.id);
    let rows: Vec<(usize, &str, Uuid, Option<&str>)> = p
        .rows
        .iter()
        .map(|r| {
            (
                r.row_number,
                r.full_name.as_str(),
                r.unit_id(),
                r.birth.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            (7, "Nguyễn Văn An", a, Some("15/03/1955")),
            (8, "Trần Thị Bình", a, Some("20/11/1962")),
            (9, "Lê Văn Cường", a, Some("1948")),
            (10, "Phạm Thị Dung", b, Some("01/01/1970")),
            (11, "Đỗ Văn Em", b, Some("1972")),
        ],
        "row numbers as in Excel; branch merged down three rows; every kind of birth cell"
    );
    let skipped: Vec<(usize, SkipReason)> =
        p.skipped.iter().map(|s| (s.row_number, s.reason)).collect();
    assert_eq!(
        skipped,
        [
            (6, SkipReason::ColumnNumbers),
            (12, SkipReason::Blank),
            (13, SkipReason::Total),
            (14, SkipReason::Footer),
            (15, SkipReason::Footer),
            (16, SkipReason::Footer),
            (17, SkipReason::Footer),
        ]
    );
    assert_eq!((p.new_members, p.already_present), (5, 0));

    let outcome = commit(&mut store, &p, false).unwrap();
    assert_eq!(
        (
            outcome.added,
            outcome.already_present,
            outcome.skipped_invalid
        ),
        (5, 0, 0)
    );

    let got: Vec<_> = p
        .rows
        .iter()
        .map(|r| {
            let m = store.get_member(&r.id).unwrap();
            (
                m.full_name,
                m.unit_id,
                m.gender,
                m.birth.map(|d| d.to_storage()),
                m.phone,
                m.address,
                m.card_number,
            )
        })
        .collect();
    let s = |v: &str| Some(v.to_owned());
    assert_eq!(
        got,
        [
            (
                "Nguyễn Văn An".into(),
                a,
                Some(Gender::Male),
                s("1955-03-15"),
                s("0912345678"),
                s("Xóm Đông"),
                s("HV-001")
            ),
            (
                "Trần Thị Bình".into(),
                a,
                Some(Gender::Female),
                s("1962-11-20"),
                s("0987654321"),
                s("Xóm Tây"),
                s("HV-002")
            ),
            (
                "Lê Văn Cường".into(),
                a,
                Some(Gender::Male),
                s("1948"),
                None,
                None,
                None
            ),
            (
                "Phạm Thị Dung".into(),
                b,
                Some(Gender::Female),
                s("1970-01-01"),
                s("0356789012"),
                None,
                s("HV-004")
            ),
            (
                "Đỗ Văn Em".into(),
                b,
                Some(Gender::Male),
                s("1972"),
                None,
                None,
                None
            ),
        ]
    );
    // The phone number lost its leading 0 in Excel and got it back; it is searchable.
    assert_eq!(
        store.find_member("HV-001").unwrap().phone.as_deref(),
        Some("0912345678")
    );
    assert_eq!(search(&store, "0912345678"), ["Nguyễn Văn An"]);
    assert_eq!(
        names(
            &store,
            MemberQuery {
                unit: Some(b),
                ..Default::default()
            }
        ),
        ["Phạm Thị Dung", "Đỗ Văn Em"]
    );
    // Titles, totals and the people who signed the list are nobody's membership.
    assert_eq!(names(&store, MemberQuery::default()).len(), 5);
    assert!(search(&store, "ky").is_empty() && search(&store, "hoi hoang").is_empty());
}

// ---------------------------------------------------------------------------------------------
// 2. Per-row errors; refusing or skipping them
// ---------------------------------------------------------------------------------------------

const HEADERS: [&str; 6] = [
    "STT",
    "Họ và tên",
    "Ngày sinh",
    "Số điện thoại",
    "Chi hội",
    "Số thẻ hội viên",
];

/// Data from Excel row 3: valid rows 3, 7 and 10; errors on rows 4, 5, 6, 8 and 9.
fn list_with_errors(dir: &Path) -> PathBuf {
    plain_list(
        dir,
        "loi.xlsx",
        Encoding::Unicode,
        &HEADERS,
        &[
            &[
                "1",
                "Nguyễn Văn An",
                "15/03/1985",
                "0912345678",
                "Thôn 1",
                "A01",
            ],
            &["2", "Trần Thị Bình", "31/02/1990", "", "Thôn 1", ""],
            &["3", "Lê Văn Cường", "1970", "12345", "Thôn 2", ""],
            &["4", "Phạm Văn Dũng", "1960", "", "Thôn 9", ""],
            &["5", "Hoàng Thị Em", "", "", "Thôn 2", "A07"],
            &["6", "Vũ Văn Giang", "", "", "Thôn 2", "A07"],
            &["7", "Đặng Văn Hải", "", "", "Thôn 1", "CU-1"],
            &["8", "Ngô Thị Lan", "1990", "", "Chi hội Thôn 2", ""],
        ],
    )
}

#[test]
fn row_errors_name_the_row_and_field_and_block_the_commit_unless_skipped() {
    let f = fixture();
    let mut store = f.store;
    store
        .add_member(&f.branch_b.id, &with_card("Bùi Văn Cũ", "CU-1"))
        .unwrap();
    let path = list_with_errors(f.dir.path());
    let p = preview(&store, &path, &f.commune.id);

    let rows: Vec<usize> = p.errors.iter().map(|e| e.row_number).collect();
    assert_eq!(rows, [4, 5, 6, 8, 9], "{:#?}", p.errors);
    let known: Vec<(usize, Option<&str>, &str)> = p
        .errors
        .iter()
        .filter(|e| e.row_number != 8)
        .map(|e| (e.row_number, e.field.as_deref(), e.code.as_str()))
        .collect();
    assert_eq!(
        known,
        [
            (4, Some("birth"), "date_out_of_range"),
            (5, Some("phone"), "invalid_phone"),
            (6, Some("branch"), "unknown_branch"),
            (9, Some("card_number"), "card_number_taken"),
        ]
    );
    for e in &p.errors {
        assert!(
            e.message_vi.starts_with(&format!("Dòng {}", e.row_number)),
            "{e:?}"
        );
        assert!(!e.message_en.is_empty());
    }
    let vi = |row: usize| {
        p.errors
            .iter()
            .find(|e| e.row_number == row)
            .unwrap()
            .message_vi
            .clone()
    };
    assert!(
        vi(4).contains("Ngày sinh") && vi(4).contains("31/02/1990"),
        "{}",
        vi(4)
    );
    assert!(
        vi(5).contains("Số điện thoại") && vi(5).contains("12345"),
        "{}",
        vi(5)
    );
    assert!(
        vi(6).contains("chi hội") && vi(6).contains("Thôn 9"),
        "{}",
        vi(6)
    );
    assert!(
        vi(9).contains("số thẻ") && vi(9).contains("CU-1") && vi(9).contains("Bùi Văn Cũ"),
        "{}",
        vi(9)
    );
    let valid: Vec<(usize, &str)> = p
        .rows
        .iter()
        .map(|r| (r.row_number, r.full_name.as_str()))
        .collect();
    assert_eq!(
        valid,
        [
            (3, "Nguyễn Văn An"),
            (7, "Hoàng Thị Em"),
            (10, "Ngô Thị Lan")
        ]
    );

    // Without skip_invalid: refused, and nothing at all changes.
    let before = snapshot(&store);
    let err = commit(&mut store, &p, false).unwrap_err();
    assert_eq!(err.code(), "import_has_errors", "{err:?}");
    let msg = err.message(Lang::Vi);
    assert!(
        msg.contains("chưa nhập gì") && msg.contains("4, 5, 6, 8, 9"),
        "{msg}"
    );
    assert_eq!(snapshot(&store), before);

    // With skip_invalid: the valid rows go in, the invalid ones do not.
    let outcome = commit(&mut store, &p, true).unwrap();
    assert_eq!(
        (
            outcome.added,
            outcome.already_present,
            outcome.skipped_invalid
        ),
        (3, 0, 5)
    );
    let mut all = names(&store, MemberQuery::default());
    all.sort();
    let mut expected = vec!["Bùi Văn Cũ", "Hoàng Thị Em", "Nguyễn Văn An", "Ngô Thị Lan"];
    expected.sort();
    assert_eq!(all, expected);
    assert_eq!(
        store.find_member("CU-1").unwrap().full_name,
        "Bùi Văn Cũ",
        "the card stays with its holder"
    );
    assert_eq!(
        store.find_member("A07").unwrap().full_name,
        "Hoàng Thị Em",
        "the first row with a card wins"
    );
    assert_eq!(snapshot(&store).stats.total - before.stats.total, 3);
}

#[test]
fn a_card_repeated_in_the_file_is_reported_on_the_card_field() {
    let f = fixture();
    let store = f.store;
    let path = list_with_errors(f.dir.path());
    let p = preview(&store, &path, &f.commune.id);
    let e = p
        .errors
        .iter()
        .find(|e| e.row_number == 8)
        .expect("row 8 repeats card A07 of row 7");
    assert_eq!(
        (e.field.as_deref(), e.code.as_str()),
        (Some("card_number"), "duplicate_card_in_file"),
        "{e:?}"
    );
    assert!(
        e.message_vi.contains("A07") && e.message_vi.contains("dòng 7"),
        "{}",
        e.message_vi
    );
}

#[test]
fn a_row_with_two_errors_is_one_skipped_row() {
    let f = fixture();
    let mut store = f.store;
    let path = plain_list(
        f.dir.path(),
        "hai-loi.xlsx",
        Encoding::Unicode,
        &HEADERS,
        &[
            &["1", "Nguyễn Văn An", "1985", "", "Thôn 1", ""],
            &["2", "Trần Thị Bình", "31/02/1990", "12345", "Thôn 1", ""],
        ],
    );
    let p = preview(&store, &path, &f.commune.id);
    let errors: Vec<(usize, Option<&str>)> = p
        .errors
        .iter()
        .map(|e| (e.row_number, e.field.as_deref()))
        .collect();
    assert_eq!(errors, [(4, Some("birth")), (4, Some("phone"))]);
    let outcome = commit(&mut store, &p, true).unwrap();
    assert_eq!(outcome.added, 1);
    assert_eq!(outcome.skipped_invalid, 1, "one row was skipped");
}

// ---------------------------------------------------------------------------------------------
// 3. Importing the same file twice
// ---------------------------------------------------------------------------------------------

#[test]
fn the_same_file_imported_twice_adds_nobody() {
    let f = fixture();
    let mut store = f.store;
    let path = commune_file(f.dir.path());
    let (first, outcome) = import(&mut store, &path, &f.commune.id);
    assert_eq!(outcome.added, 5);
    let before = snapshot(&store);

    let again = preview(&store, &path, &f.commune.id);
    assert!(again.errors.is_empty(), "{:?}", again.errors);
    assert_eq!((again.new_members, again.already_present), (0, 5));
    assert!(again.rows.iter().all(|r| r.already_present));
    let ids = |p: &ImportPreview| p.rows.iter().map(|r| r.id).collect::<Vec<_>>();
    assert_eq!(ids(&again), ids(&first), "the same people get the same ids");
    let outcome = commit(&mut store, &again, false).unwrap();
    assert_eq!(
        (
            outcome.added,
            outcome.already_present,
            outcome.skipped_invalid
        ),
        (0, 5, 0)
    );
    assert_eq!(snapshot(&store), before, "no member and no op added");
}

// ---------------------------------------------------------------------------------------------
// 4. Two laptops, one file
// ---------------------------------------------------------------------------------------------

#[test]
fn the_same_file_on_two_laptops_gives_the_same_member_ids() {
    let f = fixture();
    let mut laptop_a = f.store;
    // Laptop B: its own new database, given the commune's units as synced ops from laptop A.
    let path_b = f.dir.path().join("may-b").join("khuyenhoc.db");
    let mut laptop_b = Store::open(
        &path_b,
        OpenOptions {
            author: "may-b".into(),
            ..Default::default()
        },
    )
    .unwrap();
    laptop_b
        .apply_remote_ops(&laptop_a.pending_ops(1000).unwrap())
        .unwrap();
    // Laptop C: a copy of laptop A's database taken before the import.
    let path_c = f.dir.path().join("ban-sao.db");
    laptop_a.backup(&path_c).unwrap();
    let mut laptop_c = Store::open(
        &path_c,
        OpenOptions {
            author: "may-c".into(),
            ..Default::default()
        },
    )
    .unwrap();

    let file = commune_file(f.dir.path());
    for store in [&mut laptop_a, &mut laptop_b, &mut laptop_c] {
        let (_, outcome) = import(store, &file, &f.commune.id);
        assert_eq!(outcome.added, 5);
    }
    let ids = member_ids(&laptop_a);
    assert_eq!(ids.len(), 5);
    assert_eq!(member_ids(&laptop_b), ids);
    assert_eq!(member_ids(&laptop_c), ids);
    let a = laptop_a.find_member("HV-004").unwrap();
    assert_eq!(
        laptop_b.get_member(&a.id).unwrap(),
        a,
        "the same person, field for field"
    );

    assert_ne!(laptop_b.device_id(), laptop_a.device_id());
    let b_ops: Vec<Op> = laptop_b.pending_ops(1000).unwrap();
    assert_eq!(b_ops.len(), 5, "laptop B sends only its own changes");
    assert!(
        b_ops
            .iter()
            .all(|o| o.device_id == laptop_b.device_id().to_string())
    );
}

#[test]
fn a_copied_database_gets_its_own_device_id() {
    let f = fixture();
    let laptop_a = f.store;
    let copy = f.dir.path().join("ban-sao.db");
    laptop_a.backup(&copy).unwrap();
    let laptop_b = Store::open(
        &copy,
        OpenOptions {
            author: "may-b".into(),
            ..Default::default()
        },
    )
    .unwrap();
    assert_ne!(laptop_b.device_id(), laptop_a.device_id());
}

// ---------------------------------------------------------------------------------------------
// 5. The outbox, and a commit that fails
// ---------------------------------------------------------------------------------------------

#[test]
fn an_import_records_one_create_op_per_new_member() {
    let f = fixture();
    let mut store = f.store;
    let before = snapshot(&store);
    let (p, outcome) = import(&mut store, &commune_file(f.dir.path()), &f.commune.id);
    assert_eq!(outcome.added, 5);

    let after = snapshot(&store);
    assert_eq!(after.stats.total - before.stats.total, 5);
    assert_eq!(after.stats.pending - before.stats.pending, 5);
    assert_eq!(after.next_seq - before.next_seq, 5);
    let new_ops = &after.ops[before.ops.len()..];
    assert!(
        new_ops
            .iter()
            .all(|o| o.entity == "member" && o.intent == "member.create"),
        "{new_ops:#?}"
    );
    let op_rows: BTreeSet<String> = new_ops.iter().map(|o| o.row_id.clone()).collect();
    let imported: BTreeSet<String> = p.rows.iter().map(|r| r.id.to_string()).collect();
    assert_eq!(op_rows, imported, "exactly one op per member");
    let seqs: Vec<i64> = new_ops.iter().map(|o| o.device_seq).collect();
    assert_eq!(
        seqs,
        (before.next_seq..before.next_seq + 5).collect::<Vec<_>>()
    );

    let an = new_ops
        .iter()
        .find(|o| o.row_id == p.rows[0].id.to_string())
        .unwrap();
    let value = |k: &str| an.fields.get(k).map(|f| f.value.clone());
    assert_eq!(value("full_name"), Some(json!("Nguyễn Văn An")));
    assert_eq!(value("unit_id"), Some(json!(f.branch_a.id.to_string())));
    assert_eq!(value("phone"), Some(json!("0912345678")));
    assert_eq!(value("birth"), Some(json!("1955-03-15")));
    assert_eq!(value("gender"), Some(json!("male")));
    assert_eq!(value("card_number"), Some(json!("HV-001")));
    assert!(
        an.fields.values().all(|f| f.base.is_none()),
        "a create has no bases"
    );
}

#[test]
fn a_full_disk_during_an_import_changes_nothing() {
    let f = fixture();
    let mut store = f.store;
    store
        .add_member(&f.branch_a.id, &person("Trần Thị Mai"))
        .unwrap();
    let pages = count(&store, "PRAGMA page_count");
    drop(store);
    let limited = OpenOptions {
        max_page_count: Some(pages as u32 + 5),
        ..Default::default()
    };
    let mut store = Store::open(&f.path, limited).unwrap();
    let file = many_people_csv(f.dir.path(), "3000.csv", 3000);
    let p = preview(&store, &file, &f.branch_b.id);
    assert!(
        p.errors.is_empty(),
        "{:?}",
        &p.errors[..p.errors.len().min(3)]
    );
    assert_eq!(p.rows.len(), 3000);

    let before = snapshot(&store);
    let err = commit(&mut store, &p, false).unwrap_err();
    assert_eq!(err.code(), "disk_full", "{err:?}");
    assert!(err.message(Lang::Vi).contains("Ổ đĩa đã đầy"));
    assert_eq!(
        snapshot(&store),
        before,
        "members, outbox and next_seq exactly as before"
    );
    drop(store);

    // With room again, the same import goes through and no sequence number was used up.
    let mut store = Store::open(&f.path, OpenOptions::default()).unwrap();
    assert_eq!(snapshot(&store), before);
    let outcome = commit(&mut store, &p, false).unwrap();
    assert_eq!(outcome.added, 3000);
    let after = snapshot(&store);
    assert_eq!(after.members - before.members, 3000);
    assert_eq!(after.stats.total - before.stats.total, 3000);
    assert_eq!(after.next_seq - before.next_seq, 3000);
}

// ---------------------------------------------------------------------------------------------
// 6. Legacy encodings
// ---------------------------------------------------------------------------------------------

const LEGACY_HEADERS: [&str; 4] = ["STT", "Họ và tên", "Ngày sinh", "Chi hội"];
const LEGACY_ROWS: [[&str; 4]; 5] = [
    ["1", "Nguyễn Văn Đức", "15/03/1985", "Chi hội Thôn 1"],
    ["2", "Trần Thị Hồng Nhung", "02/09/1990", "Chi hội Thôn 1"],
    ["3", "Lê Minh Tuấn", "1975", "Chi hội Thôn 2"],
    ["4", "Phạm Thị Thu Hương", "20/10/1968", "Chi hội Thôn 2"],
    ["5", "Đặng Quốc Việt", "1981", "Chi hội Thôn 2"],
];

fn legacy_csv(dir: &Path, enc: Encoding) -> PathBuf {
    let mut text = LEGACY_HEADERS.join(",");
    for row in LEGACY_ROWS {
        text.push('\n');
        text.push_str(&row.join(","));
    }
    text.push('\n');
    let path = dir.join("tcvn3.csv");
    std::fs::write(&path, encode_bytes(&text, enc)).unwrap();
    path
}

/// Writes a legacy-encoded fixture into a folder and returns its path.
type MakeFixture = fn(&Path) -> PathBuf;

#[test]
fn legacy_encoded_files_arrive_as_unicode_and_are_searchable() {
    let cases: [(&str, Encoding, MakeFixture); 3] = [
        ("TCVN3 .xlsx", Encoding::Tcvn3, |dir| {
            let rows: Vec<&[&str]> = LEGACY_ROWS.iter().map(|r| &r[..]).collect();
            plain_list(dir, "tcvn3.xlsx", Encoding::Tcvn3, &LEGACY_HEADERS, &rows)
        }),
        ("VNI .xlsx", Encoding::VniWindows, |dir| {
            let rows: Vec<&[&str]> = LEGACY_ROWS.iter().map(|r| &r[..]).collect();
            plain_list(
                dir,
                "vni.xlsx",
                Encoding::VniWindows,
                &LEGACY_HEADERS,
                &rows,
            )
        }),
        ("TCVN3 bytes .csv", Encoding::Tcvn3, |dir| {
            legacy_csv(dir, Encoding::Tcvn3)
        }),
    ];
    for (what, enc, make) in cases {
        let f = fixture();
        let mut store = f.store;
        let path = make(f.dir.path());
        let (p, outcome) = import(&mut store, &path, &f.commune.id);
        assert_eq!(p.encoding, enc.label(), "{what}");
        assert_eq!(
            p.encoding,
            if enc == Encoding::Tcvn3 {
                "TCVN3 (ABC)"
            } else {
                "VNI-Windows"
            }
        );
        assert_eq!(outcome.added, 5, "{what}");
        let got: Vec<(&str, Uuid)> = p
            .rows
            .iter()
            .map(|r| (r.full_name.as_str(), r.unit_id()))
            .collect();
        let (a, b) = (f.branch_a.id, f.branch_b.id);
        assert_eq!(
            got,
            [
                ("Nguyễn Văn Đức", a),
                ("Trần Thị Hồng Nhung", a),
                ("Lê Minh Tuấn", b),
                ("Phạm Thị Thu Hương", b),
                ("Đặng Quốc Việt", b)
            ],
            "{what}"
        );
        assert_eq!(search(&store, "nguyen duc"), ["Nguyễn Văn Đức"], "{what}");
        assert_eq!(
            search(&store, "huong pham"),
            ["Phạm Thị Thu Hương"],
            "{what}"
        );
        assert_eq!(search(&store, "dang viet"), ["Đặng Quốc Việt"], "{what}");
    }
}

// ---------------------------------------------------------------------------------------------
// 7. Export and import back
// ---------------------------------------------------------------------------------------------

const EXPORT_HEADERS: [&str; 11] = [
    "STT",
    "Họ và tên",
    "Giới tính",
    "Ngày sinh",
    "Số điện thoại",
    "Địa chỉ",
    "Chi hội",
    "Ngày vào hội",
    "Số thẻ hội viên",
    "Tình trạng",
    "Ghi chú",
];

#[test]
fn an_export_reads_back_and_imports_as_nobody_new() {
    let f = fixture();
    let mut store = f.store;
    import(&mut store, &commune_file(f.dir.path()), &f.commune.id);
    let hoa = MemberInput {
        birth: Some("1980".into()),
        citizen_id: Some("001085012345".into()),
        ..person("Vương Thị Hoa")
    };
    store.add_member(&f.branch_b.id, &hoa).unwrap();

    let out = f.dir.path().join("xuat.xlsx");
    assert_eq!(
        store
            .export_members(&out, &ExportOptions::default())
            .unwrap(),
        6
    );
    let sheet = khuyenhoc_sheet::read_path(&out, &ReadOptions::default()).unwrap();
    assert_eq!(
        sheet.header_rows,
        [3],
        "a title row, a blank row, then the header"
    );
    let headers: Vec<&str> = sheet.columns.iter().map(|c| c.header.as_str()).collect();
    assert_eq!(headers, EXPORT_HEADERS);
    assert!(
        sheet.columns.iter().all(|c| c.column.is_some()),
        "every exported column is understood: {:?}",
        sheet.columns
    );
    assert_eq!(sheet.index_of(Column::CitizenId), None);
    let name_of = |r: &khuyenhoc_sheet::SheetRow| {
        r.get(Column::FullName)
            .and_then(Cell::as_text)
            .unwrap()
            .to_owned()
    };
    let exported: Vec<String> = sheet.rows.iter().map(name_of).collect();
    assert_eq!(
        exported,
        [
            "Nguyễn Văn An",
            "Trần Thị Bình",
            "Lê Văn Cường",
            "Phạm Thị Dung",
            "Đỗ Văn Em",
            "Vương Thị Hoa"
        ],
        "in given-name order"
    );
    let an = &sheet.rows[0];
    assert_eq!(
        an.get(Column::Phone),
        Some(&Cell::Text("0912345678".into())),
        "the phone keeps its leading 0"
    );
    assert_eq!(
        an.get(Column::BirthDate),
        Some(&Cell::Date {
            year: 1955,
            month: 3,
            day: 15
        })
    );
    assert_eq!(an.get(Column::Gender), Some(&Cell::Text("Nam".into())));
    assert_eq!(
        an.get(Column::Branch),
        Some(&Cell::Text("Chi hội Thôn 1".into()))
    );
    assert!(
        !std::fs::read(&out)
            .unwrap()
            .windows(12)
            .any(|w| w == b"001085012345"),
        "no citizen ID in the file"
    );

    // With the citizen ID asked for.
    let with_id = f.dir.path().join("xuat-cccd.xlsx");
    store
        .export_members(
            &with_id,
            &ExportOptions {
                include_citizen_id: true,
                ..Default::default()
            },
        )
        .unwrap();
    let sheet_id = khuyenhoc_sheet::read_path(&with_id, &ReadOptions::default()).unwrap();
    let id_col = sheet_id
        .index_of(Column::CitizenId)
        .expect("a citizen ID column");
    assert_eq!(
        sheet_id
            .columns
            .iter()
            .find(|c| c.index == id_col)
            .unwrap()
            .header,
        "Số CCCD"
    );
    let hoa_row = sheet_id
        .rows
        .iter()
        .find(|r| name_of(r) == "Vương Thị Hoa")
        .unwrap();
    assert_eq!(
        hoa_row.get(Column::CitizenId),
        Some(&Cell::Text("001085012345".into()))
    );

    // Importing the export back adds nobody.
    let before = snapshot(&store);
    let p = preview(&store, &out, &f.commune.id);
    assert!(p.errors.is_empty(), "{:?}", p.errors);
    assert_eq!((p.new_members, p.already_present), (0, 6));
    let outcome = commit(&mut store, &p, false).unwrap();
    assert_eq!((outcome.added, outcome.already_present), (0, 6));
    assert_eq!(snapshot(&store), before);
}

#[test]
fn a_hand_entered_member_with_a_card_is_recognised_in_an_export() {
    let f = fixture();
    let mut store = f.store;
    store
        .add_member(
            &f.branch_a.id,
            &MemberInput {
                birth: Some("1980".into()),
                ..with_card("Vương Thị Hoa", "HV-900")
            },
        )
        .unwrap();
    let out = f.dir.path().join("xuat.xlsx");
    store
        .export_members(&out, &ExportOptions::default())
        .unwrap();
    let before = snapshot(&store);
    let p = preview(&store, &out, &f.commune.id);
    assert!(p.errors.is_empty(), "{:?}", p.errors);
    assert_eq!((p.new_members, p.already_present), (0, 1));
    commit(&mut store, &p, false).unwrap();
    assert_eq!(snapshot(&store), before);
}

// ---------------------------------------------------------------------------------------------
// 8. Progress
// ---------------------------------------------------------------------------------------------

fn progress_calls(rows: usize) -> Vec<(usize, usize)> {
    let f = fixture();
    let mut store = f.store;
    let p = preview(
        &store,
        &many_people_csv(f.dir.path(), "many.csv", rows),
        &f.branch_a.id,
    );
    assert!(
        p.errors.is_empty(),
        "{:?}",
        &p.errors[..p.errors.len().min(3)]
    );
    let mut calls = Vec::new();
    let outcome = store
        .commit_import(&p, CommitOptions::default(), &mut |done, total| {
            calls.push((done, total))
        })
        .unwrap();
    assert_eq!(outcome.added, rows);
    calls
}

#[test]
fn progress_rises_to_the_total() {
    let calls = progress_calls(2500);
    assert!(
        calls.len() >= 2,
        "progress along the way, not only at the end: {calls:?}"
    );
    assert!(calls.iter().all(|&(_, total)| total == 2500), "{calls:?}");
    assert!(
        calls.windows(2).all(|w| w[0].0 < w[1].0),
        "increasing: {calls:?}"
    );
    assert_eq!(calls.last(), Some(&(2500, 2500)));
}

#[test]
fn progress_never_repeats_itself() {
    let calls = progress_calls(2000);
    assert!(
        calls.windows(2).all(|w| w[0].0 < w[1].0),
        "increasing: {calls:?}"
    );
    assert_eq!(calls.last(), Some(&(2000, 2000)));
}

#[test]
fn people_whose_records_were_deleted_are_not_silently_skipped() {
    let f = fixture();
    let mut store = f.store;
    let path = plain_list(
        f.dir.path(),
        "the.xlsx",
        Encoding::Unicode,
        &["Họ và tên", "Số thẻ"],
        &[&["Nguyễn Văn An", "T01"], &["Lê Thị Bình", "T02"]],
    );
    let (p, _) = import(&mut store, &path, &f.branch_a.id);
    store.delete_member(&p.rows[0].id).unwrap();
    let again = preview(&store, &path, &f.branch_a.id);
    assert_eq!(again.errors.len(), 1);
    assert_eq!(again.errors[0].code, "member_deleted");
    assert_eq!(again.errors[0].row_number, 3);
    assert!(again.errors[0].message_vi.contains("đã bị xóa"));
    assert!(
        again.rows.iter().all(|r| r.already_present),
        "the other person is there already"
    );
}
