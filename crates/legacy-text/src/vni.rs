//! VNI-Windows (VNI-Times fonts): a two-byte scheme. A vowel is its ASCII letter followed by one
//! mark byte carrying the tone, the circumflex or breve, or both at once ("aá" = ấ, "aê" = ă,
//! "eà" = ề); ơ/ư are the single bytes ô/ö (optionally followed by a tone mark), đ is ñ, and
//! the i letters and ỵ are single bytes (í ì æ ó ò, î = ỵ). Capitals use the uppercase bytes
//! ("AÙ" = Á, "Ñ" = Đ, "ÔØ" = Ờ).
//!
//! Table checked against the xvnkb `vni.h` table and the VBKey `mdlCodeTable.bas`
//! VNI-Windows table (both agree: ị is ò and ỵ is î). When decoding, a mark in the other case
//! than its base letter ("Aù") is accepted and the base letter decides the case.

use std::collections::HashMap;
use std::sync::LazyLock;

use unicode_normalization::UnicodeNormalization;

use crate::letters::{self, Modifier, Tone};

/// Mark bytes: lowercase form, uppercase form, and what they add to the base letter.
const MARKS: [(char, char, Modifier, Tone); 17] = [
    ('ø', 'Ø', Modifier::None, Tone::Grave),
    ('ù', 'Ù', Modifier::None, Tone::Acute),
    ('û', 'Û', Modifier::None, Tone::Hook),
    ('õ', 'Õ', Modifier::None, Tone::Tilde),
    ('ï', 'Ï', Modifier::None, Tone::Dot),
    ('â', 'Â', Modifier::Circumflex, Tone::Level),
    ('à', 'À', Modifier::Circumflex, Tone::Grave),
    ('á', 'Á', Modifier::Circumflex, Tone::Acute),
    ('å', 'Å', Modifier::Circumflex, Tone::Hook),
    ('ã', 'Ã', Modifier::Circumflex, Tone::Tilde),
    ('ä', 'Ä', Modifier::Circumflex, Tone::Dot),
    ('ê', 'Ê', Modifier::Breve, Tone::Level),
    ('è', 'È', Modifier::Breve, Tone::Grave),
    ('é', 'É', Modifier::Breve, Tone::Acute),
    ('ú', 'Ú', Modifier::Breve, Tone::Hook),
    ('ü', 'Ü', Modifier::Breve, Tone::Tilde),
    ('ë', 'Ë', Modifier::Breve, Tone::Dot),
];

/// Single bytes that are whole letters: (lowercase byte, uppercase byte, lowercase letter).
const SINGLES: [(char, char, char); 9] = [
    ('ô', 'Ô', 'ơ'),
    ('ö', 'Ö', 'ư'),
    ('ñ', 'Ñ', 'đ'),
    ('ì', 'Ì', 'ì'),
    ('í', 'Í', 'í'),
    ('æ', 'Æ', 'ỉ'),
    ('ó', 'Ó', 'ĩ'),
    ('ò', 'Ò', 'ị'),
    ('î', 'Î', 'ỵ'),
];

static MARK_OF: LazyLock<HashMap<char, (Modifier, Tone)>> = LazyLock::new(|| {
    let mut map = HashMap::new();
    for (lower, upper, modifier, tone) in MARKS {
        map.insert(lower, (modifier, tone));
        map.insert(upper, (modifier, tone));
    }
    map
});

static SINGLE_OF: LazyLock<HashMap<char, char>> = LazyLock::new(|| {
    let mut map = HashMap::new();
    for (lower, upper, letter) in SINGLES {
        map.insert(lower, letter);
        map.insert(upper, letters::to_upper(letter));
    }
    map
});

/// The base a character can be in front of a mark byte: (ASCII letter, modifier, uppercase).
fn base_of(c: char) -> Option<(char, Modifier, bool)> {
    match c {
        'a' | 'e' | 'i' | 'o' | 'u' | 'y' => Some((c, Modifier::None, false)),
        'A' | 'E' | 'I' | 'O' | 'U' | 'Y' => Some((c.to_ascii_lowercase(), Modifier::None, true)),
        'ô' => Some(('o', Modifier::Horn, false)),
        'Ô' => Some(('o', Modifier::Horn, true)),
        'ö' => Some(('u', Modifier::Horn, false)),
        'Ö' => Some(('u', Modifier::Horn, true)),
        _ => None,
    }
}

/// The letter `base` + `mark` spell, if they spell one.
fn combine(base: char, mark: char) -> Option<char> {
    let (ascii, modifier, upper) = base_of(base)?;
    let &(mark_modifier, tone) = MARK_OF.get(&mark)?;
    let modifier = match (modifier, mark_modifier) {
        (m, Modifier::None) => m,
        (Modifier::None, m) => m,
        _ => return None,
    };
    let toneless = letters::join_base(ascii, modifier)?;
    letters::compose(toneless, tone, upper)
}

/// Decodes VNI-Windows text (bytes read as Windows-1252) to Unicode NFC.
pub(crate) fn decode(text: &str) -> String {
    if text.is_ascii() {
        return text.to_owned();
    }
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if let Some(letter) = chars.get(i + 1).and_then(|&m| combine(c, m)) {
            out.push(letter);
            i += 2;
            continue;
        }
        out.push(SINGLE_OF.get(&c).copied().unwrap_or(c));
        i += 1;
    }
    letters::into_nfc(out)
}

fn push_letter(out: &mut String, lower: char, upper: char, is_upper: bool) {
    out.push(if is_upper { upper } else { lower });
}

/// Encodes Unicode to VNI-Windows (as Windows-1252 characters); non-Vietnamese characters pass
/// through.
pub(crate) fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 2);
    for c in text.nfc() {
        let Some(l) = letters::letter(c).filter(|_| !c.is_ascii()) else {
            out.push(c);
            continue;
        };
        // Letters that are one byte.
        if let Some(&(lower, upper, _)) = SINGLES
            .iter()
            .find(|&&(_, _, letter)| letter == letters::to_lower(c))
        {
            push_letter(&mut out, lower, upper, l.upper);
            continue;
        }
        let (ascii, modifier) = letters::split_base(l.base);
        let (modifier, tone) = if modifier == Modifier::Horn {
            let (lower, upper, _) = SINGLES
                .iter()
                .copied()
                .find(|&(_, _, letter)| letter == l.base)
                .expect("ơ and ư are single bytes");
            push_letter(&mut out, lower, upper, l.upper);
            (Modifier::None, l.tone)
        } else {
            out.push(if l.upper {
                ascii.to_ascii_uppercase()
            } else {
                ascii
            });
            (modifier, l.tone)
        };
        if modifier == Modifier::None && tone == Tone::Level {
            continue;
        }
        let &(lower, upper, _, _) = MARKS
            .iter()
            .find(|&&(_, _, m, t)| m == modifier && t == tone)
            .expect("every modifier/tone pair has a mark byte");
        push_letter(&mut out, lower, upper, l.upper);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_strings() {
        assert_eq!(decode("Nguyeãn Vaên An"), "Nguyễn Văn An");
        assert_eq!(decode("NGUYEÃN VAÊN AN"), "NGUYỄN VĂN AN");
        assert_eq!(decode("Nguyeãn Thò Aùnh Tuyeát"), "Nguyễn Thị Ánh Tuyết");
        assert_eq!(decode("Ñaëng Vaên Ñöôïc"), "Đặng Văn Được");
        assert_eq!(decode("ÑÖÔØNG"), "ĐƯỜNG");
        assert_eq!(decode("AÙnh"), "Ánh");
        assert_eq!(decode("kyû"), "kỷ");
        assert_eq!(decode("Mî"), "Mỵ");
        assert_eq!(encode("Nguyễn Thị Ánh Tuyết"), "Nguyeãn Thò AÙnh Tuyeát");
        assert_eq!(encode("ĐƯỜNG"), "ÑÖÔØNG");
    }

    #[test]
    fn marks_and_singles_are_disjoint() {
        for (lower, upper, _) in SINGLES {
            assert!(!MARK_OF.contains_key(&lower) && !MARK_OF.contains_key(&upper));
        }
    }
}
