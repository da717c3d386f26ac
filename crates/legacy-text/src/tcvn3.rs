//! TCVN3 (ABC; TCVN 5712:1993 "VN3", fonts .VnTime / .VnTimeH): one byte per letter.
//!
//! The byte set has every lowercase Vietnamese letter, the seven plain uppercase letters
//! Ă Â Ê Ô Ơ Ư Đ (bytes 0xA1-0xA7), and five combining tone marks (0xB0-0xB4); uppercase
//! letters with a tone are missing, so text typed in an "H" font (.VnTimeH, which draws every
//! byte as a capital) stores the lowercase byte. Decoding therefore yields lowercase for those
//! letters, with two exceptions: inside an all-capitals word ("NGUYÔN" → "NGUYỄN") they are
//! upper-cased, and a word starting with one ("¸nh") between capitalised words (a name:
//! "NguyÔn ThÞ ¸nh TuyÕt") gets a capital first letter ("Ánh"). Both rules look only at the
//! words of the same field: the text between line breaks and the CSV delimiters `,;|` and tab.
//! A word starting with a toned capital at the start of a sentence ("ñy ban" = "Ủy ban") cannot
//! be told from a lowercase one and stays lowercase.
//!
//! Table checked against XFree86 `lcUniConv/tcvn.h` (TCVN-5712, positions 0xA0-0xFF), the
//! xvnkb `tcvn.h` table and the VBKey `mdlCodeTable.bas` TCVN3 table; the uppercase-with-tone
//! positions of the full VN1 set (0xC0-0xC5, 0xDA…) are not part of VN3 and are not decoded.

use std::collections::HashMap;
use std::sync::LazyLock;

use unicode_normalization::UnicodeNormalization;

use crate::letters;

/// Byte → Unicode letter, for the 74 letters VN3 has.
const LETTERS: [(u8, char); 74] = [
    // Plain uppercase letters.
    (0xA1, 'Ă'),
    (0xA2, 'Â'),
    (0xA3, 'Ê'),
    (0xA4, 'Ô'),
    (0xA5, 'Ơ'),
    (0xA6, 'Ư'),
    (0xA7, 'Đ'),
    // Plain lowercase letters.
    (0xA8, 'ă'),
    (0xA9, 'â'),
    (0xAA, 'ê'),
    (0xAB, 'ô'),
    (0xAC, 'ơ'),
    (0xAD, 'ư'),
    (0xAE, 'đ'),
    // a
    (0xB5, 'à'),
    (0xB6, 'ả'),
    (0xB7, 'ã'),
    (0xB8, 'á'),
    (0xB9, 'ạ'),
    // ă
    (0xBB, 'ằ'),
    (0xBC, 'ẳ'),
    (0xBD, 'ẵ'),
    (0xBE, 'ắ'),
    (0xC6, 'ặ'),
    // â
    (0xC7, 'ầ'),
    (0xC8, 'ẩ'),
    (0xC9, 'ẫ'),
    (0xCA, 'ấ'),
    (0xCB, 'ậ'),
    // e
    (0xCC, 'è'),
    (0xCE, 'ẻ'),
    (0xCF, 'ẽ'),
    (0xD0, 'é'),
    (0xD1, 'ẹ'),
    // ê
    (0xD2, 'ề'),
    (0xD3, 'ể'),
    (0xD4, 'ễ'),
    (0xD5, 'ế'),
    (0xD6, 'ệ'),
    // i
    (0xD7, 'ì'),
    (0xD8, 'ỉ'),
    (0xDC, 'ĩ'),
    (0xDD, 'í'),
    (0xDE, 'ị'),
    // o
    (0xDF, 'ò'),
    (0xE1, 'ỏ'),
    (0xE2, 'õ'),
    (0xE3, 'ó'),
    (0xE4, 'ọ'),
    // ô
    (0xE5, 'ồ'),
    (0xE6, 'ổ'),
    (0xE7, 'ỗ'),
    (0xE8, 'ố'),
    (0xE9, 'ộ'),
    // ơ
    (0xEA, 'ờ'),
    (0xEB, 'ở'),
    (0xEC, 'ỡ'),
    (0xED, 'ớ'),
    (0xEE, 'ợ'),
    // u
    (0xEF, 'ù'),
    (0xF1, 'ủ'),
    (0xF2, 'ũ'),
    (0xF3, 'ú'),
    (0xF4, 'ụ'),
    // ư
    (0xF5, 'ừ'),
    (0xF6, 'ử'),
    (0xF7, 'ữ'),
    (0xF8, 'ứ'),
    (0xF9, 'ự'),
    // y
    (0xFA, 'ỳ'),
    (0xFB, 'ỷ'),
    (0xFC, 'ỹ'),
    (0xFD, 'ý'),
    (0xFE, 'ỵ'),
];

/// Byte → combining tone mark (grave, hook above, tilde, acute, dot below).
const MARKS: [(u8, char); 5] = [
    (0xB0, '\u{0300}'),
    (0xB1, '\u{0309}'),
    (0xB2, '\u{0303}'),
    (0xB3, '\u{0301}'),
    (0xB4, '\u{0323}'),
];

/// What a legacy character (already read as Windows-1252) means in TCVN3.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    /// A lowercase letter byte: could be a capital typed in an "H" font.
    Lower(char),
    /// One of the seven uppercase letter bytes.
    Upper(char),
    /// A combining tone mark.
    Mark(char),
}

static DECODE: LazyLock<HashMap<char, Class>> = LazyLock::new(|| {
    let mut map = HashMap::new();
    for (byte, uni) in LETTERS {
        let class = if letters::letter(uni).is_some_and(|l| l.upper) {
            Class::Upper(uni)
        } else {
            Class::Lower(uni)
        };
        map.insert(char::from(byte), class);
    }
    for (byte, mark) in MARKS {
        map.insert(char::from(byte), Class::Mark(mark));
    }
    map
});

static ENCODE: LazyLock<HashMap<char, char>> = LazyLock::new(|| {
    LETTERS
        .iter()
        .map(|&(byte, uni)| (uni, char::from(byte)))
        .collect()
});

fn class(c: char) -> Option<Class> {
    DECODE.get(&c).copied()
}

/// Case evidence of one word.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum WordCase {
    /// Has a lowercase letter that is not a legacy byte: decode in lowercase.
    Lower,
    /// No such letter and at least two capitals: an all-capitals word.
    Upper,
    /// Too little to tell (e.g. "Tõ" = "Từ" or "TỪ"): follow the nearest neighbour that
    /// tells, a lowercase word or an all-capitals word with a toned letter ("HéI"); plain
    /// capitals such as "UBND" or "§T" (ĐT) say nothing about the font.
    Unsure,
}

/// One word of a field and what its letters say about case.
#[derive(Debug, Clone, Copy)]
struct Word {
    start: usize,
    end: usize,
    case: WordCase,
    /// Has at least one letter (not only digits).
    has_letters: bool,
    /// Has a lowercase legacy letter: in an all-capitals word, the mark of an "H" font.
    has_legacy_lower: bool,
    /// Capitalised: one capital, in first position ("Nguyễn", "Tõ", "¤ng").
    title: bool,
    /// Starts with a toned lowercase legacy letter and has no capital ("¸nh"): between
    /// capitalised words this is a capital with a tone ("Ánh"), which TCVN3 cannot store. (A
    /// word starting with ® ¨ ©… is really lowercase: Đ Ă Â… have bytes of their own.)
    legacy_initial: bool,
}

/// Whether `c` is the byte of a lowercase letter whose capital has no byte (á, ấ, ợ…).
fn is_toned_lower(c: char) -> bool {
    matches!(class(c), Some(Class::Lower(u)) if !ENCODE.contains_key(&letters::to_upper(u)))
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || class(c).is_some()
}

fn analyse(chars: &[char], start: usize, end: usize) -> Word {
    let word = &chars[start..end];
    let (mut lower, mut upper, mut has_letters, mut has_legacy_lower) = (0, 0, false, false);
    for &c in word {
        match class(c) {
            Some(Class::Upper(_)) => upper += 1,
            Some(Class::Lower(_)) => has_legacy_lower = true,
            Some(Class::Mark(_)) => {}
            None if c.is_lowercase() => lower += 1,
            None if c.is_uppercase() => upper += 1,
            None => {}
        }
        has_letters |= c.is_alphabetic() || class(c).is_some();
    }
    let first = word[0];
    let first_upper = matches!(class(first), Some(Class::Upper(_)))
        || (class(first).is_none() && first.is_uppercase());
    let case = if lower > 0 {
        WordCase::Lower
    } else if upper >= 2 {
        WordCase::Upper
    } else {
        WordCase::Unsure
    };
    Word {
        start,
        end,
        case,
        has_letters,
        has_legacy_lower,
        title: first_upper && upper == 1,
        legacy_initial: upper == 0 && is_toned_lower(first),
    }
}

/// Decodes TCVN3 text (bytes read as Windows-1252) to Unicode NFC.
pub(crate) fn decode(text: &str) -> String {
    if text.is_ascii() {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len() + text.len() / 2);
    for field in text.split_inclusive(is_field_end) {
        decode_field(field, &mut out);
    }
    letters::into_nfc(out)
}

/// Whether `c` ends a field, the span within which case evidence is shared.
fn is_field_end(c: char) -> bool {
    matches!(c, '\n' | '\r' | ',' | ';' | '\t' | '|')
}

/// Which characters of a field to upper-case: all legacy letters of all-capitals words, and the
/// first letter of [`Word::legacy_initial`] words whose nearest other words on both sides
/// (where there are any) are capitalised or all capitals, with at least one capitalised (a
/// name such as "NguyÔn ThÞ ¸nh TuyÕt").
fn capitals(chars: &[char]) -> Vec<bool> {
    let mut words: Vec<Word> = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if is_word_char(chars[i]) {
            let start = i;
            while i < chars.len() && is_word_char(chars[i]) {
                i += 1;
            }
            words.push(analyse(chars, start, i));
        } else {
            i += 1;
        }
    }
    let mut upper = vec![false; chars.len()];
    for (idx, word) in words.iter().enumerate() {
        let all_caps = match word.case {
            WordCase::Upper => true,
            WordCase::Lower => false,
            WordCase::Unsure => {
                let decided = |w: &&Word| match w.case {
                    WordCase::Lower => true,
                    WordCase::Upper => w.has_legacy_lower,
                    WordCase::Unsure => false,
                };
                let left = words[..idx].iter().rev().find(decided).map(|w| w.case);
                let right = words[idx + 1..].iter().find(decided).map(|w| w.case);
                left != Some(WordCase::Lower)
                    && right != Some(WordCase::Lower)
                    && (left == Some(WordCase::Upper) || right == Some(WordCase::Upper))
            }
        };
        if all_caps {
            upper[word.start..word.end].fill(true);
        } else if word.legacy_initial {
            let other = |w: &&Word| w.has_letters && !w.legacy_initial;
            let left = words[..idx].iter().rev().find(other);
            let right = words[idx + 1..].iter().find(other);
            // Capitalised neighbours, or an acronym next to one ("THCS Êp B¾c" = "THCS Ấp Bắc").
            let capital = |w: &Word| w.title || w.case == WordCase::Upper;
            if (left.is_some_and(|w| w.title) || right.is_some_and(|w| w.title))
                && left.is_none_or(capital)
                && right.is_none_or(capital)
            {
                upper[word.start] = true;
            }
        }
    }
    upper
}

fn decode_field(field: &str, out: &mut String) {
    let chars: Vec<char> = field.chars().collect();
    let upper = capitals(&chars);
    for (c, up) in chars.into_iter().zip(upper) {
        match class(c) {
            Some(Class::Lower(u)) if up => out.push(letters::to_upper(u)),
            Some(Class::Lower(u) | Class::Upper(u) | Class::Mark(u)) => out.push(u),
            None => out.push(c),
        }
    }
}

/// Encodes Unicode to TCVN3 (as Windows-1252 characters). Uppercase letters with a tone become
/// the lowercase byte (what an "H" font stores); anything else outside the set passes through.
pub(crate) fn encode(text: &str) -> String {
    text.nfc()
        .map(|c| {
            if let Some(&b) = ENCODE.get(&c) {
                b
            } else if !c.is_ascii() && letters::letter(c).is_some_and(|l| l.upper) {
                ENCODE.get(&letters::to_lower(c)).copied().unwrap_or(c)
            } else {
                c
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_covers_every_lowercase_letter_once() {
        let mut seen: Vec<char> = LETTERS
            .iter()
            .map(|&(_, u)| u)
            .filter(|&u| !letters::letter(u).unwrap().upper)
            .collect();
        seen.sort_unstable();
        let mut expected: Vec<char> = letters::lowercase_non_ascii().collect();
        expected.sort_unstable();
        assert_eq!(seen, expected);
        let mut bytes: Vec<u8> = LETTERS.iter().map(|&(b, _)| b).collect();
        bytes.extend(MARKS.iter().map(|&(b, _)| b));
        bytes.sort_unstable();
        bytes.dedup();
        assert_eq!(bytes.len(), 79, "no byte used twice");
    }

    #[test]
    fn known_strings() {
        assert_eq!(decode("NguyÔn V¨n An"), "Nguyễn Văn An");
        assert_eq!(decode("NGUYÔN V¡N AN"), "NGUYỄN VĂN AN");
        assert_eq!(decode("Hµ NéI"), "HÀ NỘI");
        assert_eq!(decode("Tõ S¬n"), "Từ Sơn");
        assert_eq!(decode("Tõ"), "Từ");
        assert_eq!(decode("§Æng V¨n §\u{ad}îc"), "Đặng Văn Được");
        assert_eq!(
            decode("Tr\u{ad}êng TiÓu häc Lª Lîi"),
            "Trường Tiểu học Lê Lợi"
        );
        assert_eq!(decode("A³nh"), "Ánh");
        assert_eq!(decode("TR¦êNG\nx·"), "TRƯỜNG\nxã");
        assert_eq!(decode("NguyÔn ThÞ ¸nh TuyÕt"), "Nguyễn Thị Ánh Tuyết");
        assert_eq!(
            decode("NguyÔn V¨n ¸nh, x· T©n Hßa"),
            "Nguyễn Văn Ánh, xã Tân Hòa"
        );
        assert_eq!(decode("x· ¸nh"), "xã ánh");
        assert_eq!(decode("Hµ Néi ®Ñp"), "Hà Nội đẹp");
        assert_eq!(decode("ChÞ ¸nh"), "Chị Ánh");
        assert_eq!(decode("¤ng Ých Khiªm"), "Ông Ích Khiêm");
        assert_eq!(decode("5,Hå,NAM"), "5,Hồ,NAM");
        assert_eq!(decode("Sè §T"), "Số ĐT");
        assert_eq!(decode("Tõ UBND"), "Từ UBND");
        assert_eq!(decode("X· T¢N HßA"), "XÃ TÂN HÒA");
        assert_eq!(decode("Hµ NAM"), "Hà NAM");
        assert_eq!(decode("Hä,vµ\tTªn"), "Họ,và\tTên");
        assert_eq!(decode("¸nh"), "ánh");
    }
}
