//! Guessing the encoding of a body of cells.
//!
//! Every word that has a non-ASCII character is read three ways: as Unicode, decoded from
//! TCVN3 and decoded from VNI-Windows. Each reading that gives a plausible Vietnamese syllable
//! (see [`crate::syllable`]) scores a point for that encoding; a word holding a character that
//! Windows-1252 cannot produce (ă, ơ, ư, đ, ạ…) cannot be legacy text and scores for Unicode
//! only. A legacy encoding wins only when it beats Unicode outright, explains at least two
//! fifths of the scored words, and at least two different words decode to letters beyond
//! Windows-1252 (a foreign word like "où", VNI for "ó", proves nothing). Ties, plain ASCII and
//! foreign words (café, über) stay Unicode.

use std::collections::HashMap;

use crate::{Encoding, cp1252, syllable, tcvn3, vni};

/// Characters that split words. Legacy letters are all in 0xA1-0xFF, so only whitespace, ASCII
/// non-letters and the Windows-1252 punctuation of 0x80-0x9F separate.
fn is_separator(c: char) -> bool {
    c.is_whitespace()
        || (c.is_ascii() && !c.is_ascii_alphabetic())
        || matches!(
            c,
            '\u{2013}'
                | '\u{2014}'
                | '\u{2018}'
                | '\u{2019}'
                | '\u{201C}'
                | '\u{201D}'
                | '\u{2026}'
        )
}

/// Points per encoding: words that read as a Vietnamese syllable under it.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
struct Scores {
    /// Words with a non-ASCII character.
    words: usize,
    unicode: usize,
    tcvn3: Legacy,
    vni: Legacy,
}

/// Points of one legacy encoding.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
struct Legacy {
    /// Words whose decoding is a plausible syllable.
    valid: usize,
    /// The first few different decodings that are plausible and have a letter Windows-1252
    /// lacks (ễ, ư, ạ…): such a word cannot be a foreign word that merely looks Vietnamese
    /// ("où" read as VNI is "ó"). Different ones, so that one repeated name ("Loïc", VNI for
    /// "Lọc") is not enough. Kept in lowercase.
    distinctive: Vec<String>,
}

/// How one decoding of a word reads.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Reading {
    /// Not a plausible syllable.
    Invalid,
    /// A plausible syllable within Windows-1252 ("Tân", "ó").
    Valid,
    /// A plausible syllable with a letter beyond Windows-1252, in lowercase ("nguyễn").
    Distinctive(String),
}

impl Reading {
    fn of(decoded: &str) -> Reading {
        if !syllable::is_valid(decoded) {
            Reading::Invalid
        } else if decoded.chars().all(cp1252::is_representable) {
            Reading::Valid
        } else {
            Reading::Distinctive(decoded.to_lowercase())
        }
    }
}

/// The three readings of one word (computed once per different word).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Readings {
    unicode: bool,
    tcvn3: Reading,
    vni: Reading,
}

impl Readings {
    fn of(word: &str) -> Readings {
        let unicode = syllable::is_valid(word);
        if !word.chars().all(cp1252::is_representable) {
            // A character Windows-1252 cannot produce: not legacy text.
            return Readings {
                unicode,
                tcvn3: Reading::Invalid,
                vni: Reading::Invalid,
            };
        }
        Readings {
            unicode,
            tcvn3: Reading::of(&tcvn3::decode(word)),
            vni: Reading::of(&vni::decode(word)),
        }
    }
}

/// Distinctive words a legacy encoding needs at the least.
const MIN_DISTINCTIVE: usize = 2;

impl Legacy {
    fn add(&mut self, reading: &Reading) {
        match reading {
            Reading::Invalid => {}
            Reading::Valid => self.valid += 1,
            Reading::Distinctive(lower) => {
                self.valid += 1;
                if self.distinctive.len() < MIN_DISTINCTIVE && !self.distinctive.contains(lower) {
                    self.distinctive.push(lower.clone());
                }
            }
        }
    }
}

impl Scores {
    fn add(&mut self, readings: &Readings) {
        self.words += 1;
        self.unicode += usize::from(readings.unicode);
        self.tcvn3.add(&readings.tcvn3);
        self.vni.add(&readings.vni);
    }

    fn verdict(&self) -> Encoding {
        let (encoding, legacy) = match self.tcvn3.valid.cmp(&self.vni.valid) {
            std::cmp::Ordering::Greater => (Encoding::Tcvn3, &self.tcvn3),
            std::cmp::Ordering::Less => (Encoding::VniWindows, &self.vni),
            std::cmp::Ordering::Equal => return Encoding::Unicode,
        };
        let strong = legacy.valid > self.unicode
            && legacy.distinctive.len() >= MIN_DISTINCTIVE
            && legacy.valid * 5 >= self.words * 2;
        if strong { encoding } else { Encoding::Unicode }
    }
}

/// See [`crate::detect`]. Sheets repeat their words (names, "xã", "thôn"), so each different
/// word is read once.
pub(crate) fn detect<'a, I: IntoIterator<Item = &'a str>>(texts: I) -> Encoding {
    let mut scores = Scores::default();
    let mut seen: HashMap<&'a str, Readings> = HashMap::new();
    for text in texts {
        for word in text.split(is_separator) {
            if word.is_ascii() {
                continue;
            }
            let readings = seen.entry(word).or_insert_with(|| Readings::of(word));
            scores.add(readings);
        }
    }
    scores.verdict()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_words() {
        assert_eq!(detect(["NguyÔn V¨n"]), Encoding::Tcvn3);
        assert_eq!(detect(["Nguyeãn Vaên"]), Encoding::VniWindows);
        // One word is not enough evidence, nor are foreign words that decode to Latin-1.
        assert_eq!(detect(["NguyÔn"]), Encoding::Unicode);
        assert_eq!(detect(["Loïc"]), Encoding::Unicode);
        assert_eq!(detect(["Le café où je suis né"]), Encoding::Unicode);
        for w in [
            "São Paulo",
            "où",
            "Loïc",
            "Anaïs",
            "Raphaël",
            "thé",
            "tôt",
            "dû",
            "¿Qué? Sí, tú",
            "Köln",
            "schön",
            "Zürich",
            "Gödel",
            "Ørsted",
            "Dvořák",
            "Bogotá",
            "crème brûlée",
            "naïve",
        ] {
            assert_eq!(detect([w, w, w]), Encoding::Unicode, "{w}");
        }
        assert_eq!(detect(["Nguyễn"]), Encoding::Unicode);
        assert_eq!(detect(["Tân Hòa"]), Encoding::Unicode);
        assert_eq!(detect(Vec::<&str>::new()), Encoding::Unicode);
        assert_eq!(detect(["", "123", "abc"]), Encoding::Unicode);
    }
}
