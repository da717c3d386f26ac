//! The Vietnamese letter model shared by both legacy tables: every vowel letter is a toneless
//! base (a ă â e ê i o ô ơ u ư y) plus one of six tones, in lower or upper case; đ/Đ is the one
//! non-ASCII consonant. Lookups go through a table built once from the rows below.

use std::collections::HashMap;
use std::sync::LazyLock;

use unicode_normalization::{IsNormalized, UnicodeNormalization, is_nfc_quick};

/// The six Vietnamese tones, in the order the rows of [`VOWEL_ROWS`] list them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Tone {
    /// Thanh ngang (no mark).
    Level,
    /// Huyền (grave).
    Grave,
    /// Hỏi (hook above).
    Hook,
    /// Ngã (tilde).
    Tilde,
    /// Sắc (acute).
    Acute,
    /// Nặng (dot below).
    Dot,
}

impl Tone {
    /// All tones, in row order.
    pub(crate) const ALL: [Tone; 6] = [
        Tone::Level,
        Tone::Grave,
        Tone::Hook,
        Tone::Tilde,
        Tone::Acute,
        Tone::Dot,
    ];

    fn index(self) -> usize {
        match self {
            Tone::Level => 0,
            Tone::Grave => 1,
            Tone::Hook => 2,
            Tone::Tilde => 3,
            Tone::Acute => 4,
            Tone::Dot => 5,
        }
    }
}

/// One row per toneless vowel, lowercase: the toneless letter, then grave, hook, tilde, acute,
/// dot below.
pub(crate) const VOWEL_ROWS: [&str; 12] = [
    "aàảãáạ",
    "ăằẳẵắặ",
    "âầẩẫấậ",
    "eèẻẽéẹ",
    "êềểễếệ",
    "iìỉĩíị",
    "oòỏõóọ",
    "ôồổỗốộ",
    "ơờởỡớợ",
    "uùủũúụ",
    "ưừửữứự",
    "yỳỷỹýỵ",
];

/// What a character is, seen as a Vietnamese letter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Letter {
    /// The lowercase toneless letter: `'ấ'` and `'Ấ'` both give `'â'`; consonants give
    /// themselves in lowercase (`'Đ'` gives `'đ'`).
    pub base: char,
    /// The tone (always [`Tone::Level`] for consonants).
    pub tone: Tone,
    /// Whether the character was uppercase.
    pub upper: bool,
}

static LETTERS: LazyLock<HashMap<char, Letter>> = LazyLock::new(|| {
    let mut map = HashMap::new();
    for row in VOWEL_ROWS {
        let base = row.chars().next().expect("rows are not empty");
        for (ch, tone) in row.chars().zip(Tone::ALL) {
            map.insert(
                ch,
                Letter {
                    base,
                    tone,
                    upper: false,
                },
            );
            map.insert(
                to_upper(ch),
                Letter {
                    base,
                    tone,
                    upper: true,
                },
            );
        }
    }
    for lower in ('a'..='z').chain(['đ']) {
        map.entry(lower).or_insert(Letter {
            base: lower,
            tone: Tone::Level,
            upper: false,
        });
        map.entry(to_upper(lower)).or_insert(Letter {
            base: lower,
            tone: Tone::Level,
            upper: true,
        });
    }
    map
});

/// `text` in NFC, without copying when it already is (the usual case).
pub(crate) fn into_nfc(text: String) -> String {
    if is_nfc_quick(text.chars()) == IsNormalized::Yes {
        text
    } else {
        text.nfc().collect()
    }
}

/// The single-character uppercase of a Vietnamese letter (all of them have one).
pub(crate) fn to_upper(c: char) -> char {
    let mut it = c.to_uppercase();
    match (it.next(), it.next()) {
        (Some(u), None) => u,
        _ => c,
    }
}

/// The single-character lowercase of a Vietnamese letter.
pub(crate) fn to_lower(c: char) -> char {
    let mut it = c.to_lowercase();
    match (it.next(), it.next()) {
        (Some(l), None) => l,
        _ => c,
    }
}

/// Looks `c` up as a Vietnamese letter (ASCII letters included; other scripts are `None`).
pub(crate) fn letter(c: char) -> Option<Letter> {
    LETTERS.get(&c).copied()
}

/// Builds the precomposed character for a toneless lowercase `base`, a tone and a case.
/// `None` when `base` is not one of the twelve vowel bases (or a consonant with a tone).
pub(crate) fn compose(base: char, tone: Tone, upper: bool) -> Option<char> {
    let ch = if let Some(row) = VOWEL_ROWS.iter().find(|r| r.starts_with(base)) {
        row.chars().nth(tone.index())?
    } else if tone == Tone::Level && letter(base).is_some_and(|l| l.base == base) {
        base
    } else {
        return None;
    };
    Some(if upper { to_upper(ch) } else { ch })
}

/// The modifier a base vowel carries on top of its ASCII letter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Modifier {
    /// Plain letter.
    None,
    /// â ê ô.
    Circumflex,
    /// ă.
    Breve,
    /// ơ ư.
    Horn,
}

/// Splits a toneless lowercase base into its ASCII letter and modifier (`'ơ'` → `('o', Horn)`).
pub(crate) fn split_base(base: char) -> (char, Modifier) {
    match base {
        'ă' => ('a', Modifier::Breve),
        'â' => ('a', Modifier::Circumflex),
        'ê' => ('e', Modifier::Circumflex),
        'ô' => ('o', Modifier::Circumflex),
        'ơ' => ('o', Modifier::Horn),
        'ư' => ('u', Modifier::Horn),
        other => (other, Modifier::None),
    }
}

/// The reverse of [`split_base`]; `None` for combinations Vietnamese does not have.
pub(crate) fn join_base(ascii: char, modifier: Modifier) -> Option<char> {
    Some(match (ascii, modifier) {
        (c, Modifier::None) if "aeiouy".contains(c) => c,
        ('a', Modifier::Breve) => 'ă',
        ('a', Modifier::Circumflex) => 'â',
        ('e', Modifier::Circumflex) => 'ê',
        ('o', Modifier::Circumflex) => 'ô',
        ('o', Modifier::Horn) => 'ơ',
        ('u', Modifier::Horn) => 'ư',
        _ => return None,
    })
}

/// The 67 lowercase non-ASCII Vietnamese letters (66 toned or modified vowels, and đ).
#[cfg(test)]
pub(crate) fn lowercase_non_ascii() -> impl Iterator<Item = char> {
    VOWEL_ROWS
        .iter()
        .flat_map(|row| row.chars())
        .filter(|c| !c.is_ascii())
        .chain(['đ'])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_has_67_lowercase_letters_with_single_char_uppercase() {
        let all: Vec<char> = lowercase_non_ascii().collect();
        assert_eq!(all.len(), 67);
        for c in all {
            let up = to_upper(c);
            assert_ne!(up, c, "{c} has an uppercase");
            assert_eq!(to_lower(up), c);
            assert!(letter(c).is_some() && letter(up).is_some_and(|l| l.upper));
        }
    }

    #[test]
    fn compose_inverts_letter() {
        for row in VOWEL_ROWS {
            for c in row.chars() {
                for ch in [c, to_upper(c)] {
                    let l = letter(ch).unwrap();
                    assert_eq!(compose(l.base, l.tone, l.upper), Some(ch));
                    let (ascii, m) = split_base(l.base);
                    assert_eq!(join_base(ascii, m), Some(l.base));
                }
            }
        }
        assert_eq!(compose('đ', Tone::Level, true), Some('Đ'));
        assert_eq!(compose('b', Tone::Acute, false), None);
    }
}
