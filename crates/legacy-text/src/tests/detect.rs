//! Detection over whole bodies of cells: genuine Unicode, ASCII, both legacy encodings, mixed
//! sheets and foreign words.

use super::SENTENCES;
use crate::{Encoding, detect, encode};

/// Cells as they appear in a real member list.
const CELLS: [&str; 14] = [
    "Nguyễn Văn Ánh, xã Tân Hòa",
    "Hội Khuyến học xã Tân Hòa",
    "Nguyễn Thị Ánh Tuyết",
    "Đặng Văn Được",
    "Trường Tiểu học Lê Lợi",
    "Ngày 15 tháng 3 năm 2025",
    "Trần Thị Hà",
    "thôn Phú Mỹ",
    "Chi hội khuyến học",
    "Hộ nghèo",
    "Học sinh giỏi cấp huyện",
    "0912 345 678",
    "Nam",
    "Nữ",
];

fn encoded(e: Encoding) -> Vec<String> {
    CELLS.iter().map(|c| encode(c, e)).collect()
}

#[test]
fn genuine_unicode_stays_unicode() {
    assert_eq!(detect(CELLS), Encoding::Unicode);
    assert_eq!(detect(SENTENCES), Encoding::Unicode);
    assert_eq!(detect(["Nguyễn Văn Ánh, xã Tân Hòa"]), Encoding::Unicode);
    // Only Windows-1252-representable Vietnamese: ties go to Unicode.
    assert_eq!(detect(["Tân Hòa", "Hà", "Lê Tâm"]), Encoding::Unicode);
    let upper: Vec<String> = CELLS.iter().map(|c| c.to_uppercase()).collect();
    assert_eq!(detect(upper.iter().map(String::as_str)), Encoding::Unicode);
}

#[test]
fn ascii_stays_unicode() {
    assert_eq!(
        detect(["Nguyen Van An", "Ho ten", "12/03/2025", "", "NAM"]),
        Encoding::Unicode
    );
    assert_eq!(detect(Vec::<&str>::new()), Encoding::Unicode);
}

#[test]
fn english_with_french_and_german_words_stays_unicode() {
    assert_eq!(
        detect([
            "The café served a résumé of naïve art",
            "Zoë and Renée",
            "Über Müller"
        ]),
        Encoding::Unicode
    );
    assert_eq!(detect(["café résumé naïve"]), Encoding::Unicode);
    let mut mixed: Vec<&str> = CELLS.to_vec();
    mixed.extend([
        "café",
        "résumé",
        "naïve",
        "Straße",
        "über",
        "Fräulein",
        "crème brûlée",
    ]);
    assert_eq!(detect(mixed), Encoding::Unicode);
}

#[test]
fn tcvn3_is_detected() {
    let cells = encoded(Encoding::Tcvn3);
    assert_eq!(detect(cells.iter().map(String::as_str)), Encoding::Tcvn3);
    let upper: Vec<String> = CELLS
        .iter()
        .map(|c| encode(&c.to_uppercase(), Encoding::Tcvn3))
        .collect();
    assert_eq!(detect(upper.iter().map(String::as_str)), Encoding::Tcvn3);
    assert_eq!(detect(["NguyÔn V¨n An"]), Encoding::Tcvn3);
}

#[test]
fn vni_is_detected() {
    let cells = encoded(Encoding::VniWindows);
    assert_eq!(
        detect(cells.iter().map(String::as_str)),
        Encoding::VniWindows
    );
    let upper: Vec<String> = CELLS
        .iter()
        .map(|c| encode(&c.to_uppercase(), Encoding::VniWindows))
        .collect();
    assert_eq!(
        detect(upper.iter().map(String::as_str)),
        Encoding::VniWindows
    );
    assert_eq!(detect(["Nguyeãn Vaên An"]), Encoding::VniWindows);
    assert_eq!(detect(["NGUYEÃN VAÊN AN"]), Encoding::VniWindows);
}

#[test]
fn mixed_sheets_follow_the_majority() {
    for e in [Encoding::Tcvn3, Encoding::VniWindows] {
        let legacy = encoded(e);
        // Ten legacy cells and four Unicode ones.
        let mut cells: Vec<&str> = legacy.iter().take(10).map(String::as_str).collect();
        cells.extend(&CELLS[10..]);
        cells.extend(&CELLS[..3]);
        assert_eq!(detect(cells.iter().copied()), e, "{e:?}");
        // The other way round stays Unicode.
        let mut cells: Vec<&str> = CELLS.to_vec();
        cells.extend(legacy.iter().take(3).map(String::as_str));
        assert_eq!(detect(cells), Encoding::Unicode, "{e:?}");
    }
}

#[test]
fn labels() {
    assert_eq!(Encoding::Unicode.label(), "Unicode");
    assert_eq!(Encoding::Tcvn3.label(), "TCVN3 (ABC)");
    assert_eq!(Encoding::VniWindows.label(), "VNI-Windows");
}

/// A small CSV member list with a capitalised title row and a signature line.
const CSV: &str = "DANH SÁCH HỘI VIÊN CHI HỘI THÔN 3\n\
STT,Họ và tên,Năm sinh,Giới tính,Số ĐT,Địa chỉ\n\
1,Nguyễn Văn An,1950,Nam,0912345678,\"Thôn 3, xã Tân Hòa\"\n\
2,Trần Thị Bình,12/05/1962,Nữ,,Thôn 3\n\
3,Nguyễn Thị Ánh Tuyết,1970,Nữ,,Xóm Ấp Bắc\n\
Tổng cộng,,,,,\n\
\"Tân Hòa, ngày 15 tháng 3 năm 2025\",,,,,\n";

#[test]
fn a_csv_list_is_detected_per_cell_and_decoded_whole() {
    for e in [Encoding::Unicode, Encoding::Tcvn3, Encoding::VniWindows] {
        let bytes = crate::encode_bytes(CSV, e);
        // What a CSV reader sees before it knows the encoding: Windows-1252 cells.
        let western: String = bytes
            .iter()
            .map(|&b| crate::cp1252::byte_to_char(b))
            .collect();
        let cells: Vec<&str> = western.split([',', '\n']).collect();
        let found = detect(if e == Encoding::Unicode {
            CSV.split([',', '\n']).collect::<Vec<_>>()
        } else {
            cells
        });
        assert_eq!(found, e);
        assert_eq!(crate::decode_bytes(&bytes, e), CSV, "{e:?}");
    }
}
