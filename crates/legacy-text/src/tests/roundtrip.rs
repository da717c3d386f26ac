//! Round trips of single letters, sentences and raw bytes through both legacy encodings, and
//! the exact legacy spellings of a few well-known strings.

use super::{LOWER, SENTENCES, TCVN3_UPPER, UPPER, all_letters};
use crate::{Encoding, decode, decode_bytes, encode, encode_bytes};

const LEGACY: [Encoding; 2] = [Encoding::Tcvn3, Encoding::VniWindows];

#[test]
fn every_letter_round_trips_through_vni() {
    for l in all_letters() {
        let s = l.to_string();
        let enc = encode(&s, Encoding::VniWindows);
        assert!(enc != s || "ìíÌÍ".contains(l), "{l} must change");
        assert!(enc.chars().all(|c| u32::from(c) <= 0xFF), "{l} → {enc}");
        assert_eq!(decode(&enc, Encoding::VniWindows), s, "{l} via {enc}");
        // Also inside words, next to letters that could be bases.
        for w in [format!("a{l}o"), format!("{l}{l}"), format!("Ng{l}n")] {
            let enc = encode(&w, Encoding::VniWindows);
            assert_eq!(decode(&enc, Encoding::VniWindows), w, "{w} via {enc}");
        }
    }
}

#[test]
fn every_lowercase_letter_and_plain_capital_round_trips_through_tcvn3() {
    for l in LOWER.chars().chain(TCVN3_UPPER.chars()) {
        let s = l.to_string();
        let enc = encode(&s, Encoding::Tcvn3);
        let mut chars = enc.chars();
        let byte = chars.next().map(u32::from).unwrap();
        assert!(
            chars.next().is_none() && (0xA1..=0xFE).contains(&byte),
            "{l} → {enc}"
        );
        assert_eq!(decode(&enc, Encoding::Tcvn3), s, "{l} via {enc}");
        for w in [format!("ng{l}n"), format!("{l}{l}")] {
            let enc = encode(&w, Encoding::Tcvn3);
            assert_eq!(decode(&enc, Encoding::Tcvn3), w, "{w} via {enc}");
        }
    }
}

#[test]
fn tcvn3_capitals_with_tones_use_the_lowercase_byte_and_return_in_capital_words() {
    for (l, u) in LOWER.chars().zip(UPPER.chars()) {
        if TCVN3_UPPER.contains(u) {
            continue;
        }
        assert_eq!(
            encode(&u.to_string(), Encoding::Tcvn3),
            encode(&l.to_string(), Encoding::Tcvn3)
        );
        let word = format!("TH{u}N");
        assert_eq!(
            decode(&encode(&word, Encoding::Tcvn3), Encoding::Tcvn3),
            word
        );
        // Alone, the letter comes back in lowercase.
        assert_eq!(
            decode(&encode(&u.to_string(), Encoding::Tcvn3), Encoding::Tcvn3),
            l.to_string()
        );
    }
}

#[test]
fn sentences_round_trip() {
    for s in SENTENCES {
        for e in LEGACY {
            let enc = encode(s, e);
            assert_ne!(enc, s);
            assert_eq!(decode(&enc, e), s, "{e:?}: {enc}");
            let upper = s.to_uppercase();
            assert_eq!(decode(&encode(&upper, e), e), upper, "{e:?}");
        }
        assert_eq!(encode(s, Encoding::Unicode), s);
        assert_eq!(decode(s, Encoding::Unicode), s);
    }
}

#[test]
fn titles_headers_and_fields_round_trip() {
    for s in [
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "DANH SÁCH HỘI VIÊN CHI HỘI THÔN 3",
        "STT;Họ và tên;Năm sinh;Số ĐT;Địa chỉ;Ghi chú",
        "Ủy Ban Nhân Dân xã Ân Hảo",
        "Trường THCS Ấp Bắc, Từ UBND",
        "Nguyễn Văn Ánh, xã Tân Hòa",
        "HÀ NỘI; Xóm Ấp Bắc; Ông Ích Khiêm",
    ] {
        for e in LEGACY {
            assert_eq!(decode(&encode(s, e), e), s, "{e:?}");
        }
    }
}

#[test]
fn tcvn3_cannot_keep_a_toned_capital_starting_a_sentence() {
    // TCVN3 stores "Ủ" as "ủ"; outside all-capitals or all-capitalised fields it stays lowercase.
    let s = "Ủy ban nhân dân";
    assert_eq!(encode(s, Encoding::Tcvn3), "ñy ban nh©n d©n");
    assert_eq!(
        decode(&encode(s, Encoding::Tcvn3), Encoding::Tcvn3),
        "ủy ban nhân dân"
    );
}

#[test]
fn known_legacy_spellings() {
    let tcvn3 = [
        ("Nguyễn Văn An", "NguyÔn V¨n An"),
        ("NGUYỄN VĂN AN", "NGUYÔN V¡N AN"),
        ("Hội Khuyến học xã Tân Hòa", "Héi KhuyÕn häc x· T©n Hßa"),
        ("Nguyễn Thị Ánh Tuyết", "NguyÔn ThÞ ¸nh TuyÕt"),
        ("Đặng Văn Được", "§Æng V¨n §\u{ad}îc"),
    ];
    for (uni, legacy) in tcvn3 {
        assert_eq!(encode(uni, Encoding::Tcvn3), legacy);
        assert_eq!(decode(legacy, Encoding::Tcvn3), uni);
    }
    let vni = [
        ("Nguyễn Văn An", "Nguyeãn Vaên An"),
        ("NGUYỄN VĂN AN", "NGUYEÃN VAÊN AN"),
        (
            "Hội Khuyến học xã Tân Hòa",
            "Hoäi Khuyeán hoïc xaõ Taân Hoøa",
        ),
        ("Đặng Văn Được", "Ñaëng Vaên Ñöôïc"),
        ("Trường Tiểu học Lê Lợi", "Tröôøng Tieåu hoïc Leâ Lôïi"),
    ];
    for (uni, legacy) in vni {
        assert_eq!(encode(uni, Encoding::VniWindows), legacy);
        assert_eq!(decode(legacy, Encoding::VniWindows), uni);
    }
}

#[test]
fn foreign_characters_pass_through() {
    for e in LEGACY {
        assert_eq!(encode("Zhōng 中文 €5", e), "Zhōng 中文 €5");
        assert_eq!(decode("中文 ½ «x»", Encoding::Unicode), "中文 ½ «x»");
    }
    assert_eq!(decode("a\u{0301}", Encoding::Unicode), "a\u{0301}");
    // Legacy decoding normalises to NFC, composing TCVN3's separate tone bytes too.
    assert_eq!(decode("a\u{0301}", Encoding::VniWindows), "á");
    assert_eq!(decode("A\u{b3}nh", Encoding::Tcvn3), "Ánh");
    assert_eq!(encode("A\u{0301}nh", Encoding::VniWindows), "AÙnh");
}

#[test]
fn bytes_round_trip() {
    let mut texts: Vec<String> = SENTENCES.iter().map(|s| s.to_string()).collect();
    texts.push("Dòng 1;\"Ông Đỗ\"\r\nDòng 2, 100% – xong…".to_owned());
    // TCVN3 has no capitals with tones, so the all-letter line differs per encoding.
    // (A lone word of legacy lowercase letters next to a capital word would be read as
    // capitals too, so the two kinds go on separate lines.)
    let tcvn3_letters = format!("{LOWER}\n{TCVN3_UPPER}");
    let all: String = all_letters().into_iter().collect();
    for (e, letters) in [
        (Encoding::Unicode, &all),
        (Encoding::Tcvn3, &tcvn3_letters),
        (Encoding::VniWindows, &all),
    ] {
        for t in texts.iter().chain([letters]) {
            let bytes = encode_bytes(t, e);
            assert_eq!(decode_bytes(&bytes, e), *t, "{e:?}");
        }
    }
    assert_eq!(encode_bytes("Nguyễn", Encoding::Tcvn3), b"Nguy\xD4n");
    assert_eq!(encode_bytes("Nguyễn", Encoding::VniWindows), b"Nguye\xE3n");
    assert_eq!(encode_bytes("中", Encoding::Tcvn3), b"?");
    // Bytes 0x80-0x9F: defined ones are Windows-1252, undefined ones keep their number.
    assert_eq!(
        decode_bytes(b"\x80\x81\x93x\x94", Encoding::Tcvn3),
        "€\u{81}“x”"
    );
    assert_eq!(decode_bytes(b"\xD4", Encoding::Tcvn3), "ễ");
}
