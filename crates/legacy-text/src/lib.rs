//! Legacy Vietnamese encodings: detecting and converting TCVN3 (ABC) and VNI-Windows text to
//! Unicode, and back (for test fixtures).
//!
//! Commune-office spreadsheets were often typed in the legacy fonts .VnTime (TCVN3) or
//! VNI-Times. Excel keeps such text as the Windows-1252 reading of the legacy bytes, so a cell
//! holds "NguyÔn V¨n An" (TCVN3) or "Nguyeãn Vaên An" (VNI) for "Nguyễn Văn An"; CSV files carry
//! the raw bytes. [`detect`] guesses the encoding of a whole sheet, [`decode`] and
//! [`decode_bytes`] convert to Unicode NFC, [`encode`] and [`encode_bytes`] go the other way.

mod cp1252;
mod detect;
mod letters;
mod syllable;
mod tcvn3;
mod vni;

#[cfg(test)]
mod tests;

/// A text encoding a sheet can be in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Encoding {
    /// Ordinary Unicode text: nothing to convert.
    Unicode,
    /// TCVN3 / ABC (TCVN 5712:1993 VN3; fonts .VnTime, .VnTimeH).
    Tcvn3,
    /// VNI-Windows (fonts VNI-Times and friends).
    VniWindows,
}

impl Encoding {
    /// A short human-readable name: "Unicode", "TCVN3 (ABC)" or "VNI-Windows".
    pub fn label(self) -> &'static str {
        match self {
            Encoding::Unicode => "Unicode",
            Encoding::Tcvn3 => "TCVN3 (ABC)",
            Encoding::VniWindows => "VNI-Windows",
        }
    }
}

/// Guesses the encoding of a body of text cells (all cells of a sheet).
///
/// Returns [`Encoding::Unicode`] unless the evidence for a legacy encoding is strong: over all
/// texts, more words must read as Vietnamese syllables when decoded from that encoding than
/// when read as Unicode, and those words must be a good share of the words with non-ASCII
/// letters. Genuine Unicode Vietnamese, plain ASCII and English or French text stay Unicode.
pub fn detect<'a, I: IntoIterator<Item = &'a str>>(texts: I) -> Encoding {
    detect::detect(texts)
}

/// Converts a string whose characters are the Windows-1252 reading of legacy bytes to Unicode
/// (NFC).
///
/// [`Encoding::Unicode`] input is returned unchanged. Characters outside the legacy table pass
/// through. TCVN3 has no bytes for capitals with a tone, so those decode in lowercase unless
/// the word is otherwise all capitals ("NGUYÔN" → "NGUYỄN") or begins a word between
/// capitalised words ("NguyÔn ThÞ ¸nh TuyÕt" → "Nguyễn Thị Ánh Tuyết").
pub fn decode(text: &str, from: Encoding) -> String {
    match from {
        Encoding::Unicode => text.to_owned(),
        Encoding::Tcvn3 => tcvn3::decode(text),
        Encoding::VniWindows => vni::decode(text),
    }
}

/// Converts raw legacy bytes (e.g. a CSV file) to Unicode NFC.
///
/// The bytes are read as Windows-1252 first (the five bytes it leaves undefined map to the
/// same-numbered code point), then [`decode`]d. With [`Encoding::Unicode`] the bytes are read
/// as UTF-8 (invalid sequences become U+FFFD) and returned as they are.
pub fn decode_bytes(bytes: &[u8], from: Encoding) -> String {
    match from {
        Encoding::Unicode => String::from_utf8_lossy(bytes).into_owned(),
        legacy => decode(&cp1252::decode(bytes), legacy),
    }
}

/// Converts Unicode to a legacy encoding, as the Windows-1252 characters Excel would show.
///
/// Used to make test fixtures. Characters the legacy set cannot represent pass through
/// unchanged; TCVN3 capitals with a tone become the lowercase byte, as an "H" font stores
/// them. [`Encoding::Unicode`] returns the text unchanged.
pub fn encode(text: &str, to: Encoding) -> String {
    match to {
        Encoding::Unicode => text.to_owned(),
        Encoding::Tcvn3 => tcvn3::encode(text),
        Encoding::VniWindows => vni::encode(text),
    }
}

/// Converts Unicode to raw legacy bytes: the Windows-1252 bytes of [`encode`], for CSV
/// fixtures. A character Windows-1252 lacks (one the legacy set could not represent) is
/// written as `?`. With [`Encoding::Unicode`] the result is UTF-8.
pub fn encode_bytes(text: &str, to: Encoding) -> Vec<u8> {
    match to {
        Encoding::Unicode => text.as_bytes().to_vec(),
        legacy => cp1252::encode(&encode(text, legacy)),
    }
}
