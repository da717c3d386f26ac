//! Windows-1252, the code page through which Excel and Windows read legacy Vietnamese bytes:
//! bytes 0x00-0x7F and 0xA0-0xFF are the same-numbered code points; 0x80-0x9F hold the
//! typographic extras, and the five positions Windows-1252 leaves undefined (0x81, 0x8D, 0x8F,
//! 0x90, 0x9D) map to the same-numbered C1 control, as Windows itself does.

/// Code points of bytes 0x80-0x9F.
const HIGH: [char; 32] = [
    '\u{20AC}', '\u{0081}', '\u{201A}', '\u{0192}', '\u{201E}', '\u{2026}', '\u{2020}', '\u{2021}',
    '\u{02C6}', '\u{2030}', '\u{0160}', '\u{2039}', '\u{0152}', '\u{008D}', '\u{017D}', '\u{008F}',
    '\u{0090}', '\u{2018}', '\u{2019}', '\u{201C}', '\u{201D}', '\u{2022}', '\u{2013}', '\u{2014}',
    '\u{02DC}', '\u{2122}', '\u{0161}', '\u{203A}', '\u{0153}', '\u{009D}', '\u{017E}', '\u{0178}',
];

/// The character Windows-1252 gives byte `b`.
pub(crate) fn byte_to_char(b: u8) -> char {
    match b {
        0x80..=0x9F => HIGH[usize::from(b - 0x80)],
        _ => char::from(b),
    }
}

/// The Windows-1252 byte of `c`, if it has one.
pub(crate) fn char_to_byte(c: char) -> Option<u8> {
    let code = u32::from(c);
    match code {
        0x00..=0x7F | 0xA0..=0xFF => u8::try_from(code).ok(),
        _ => HIGH
            .iter()
            .position(|&h| h == c)
            .and_then(|i| u8::try_from(0x80 + i).ok()),
    }
}

/// Whether `c` is one of the 256 characters Windows-1252 can produce: legacy bytes read as
/// Windows-1252 never contain anything else.
pub(crate) fn is_representable(c: char) -> bool {
    char_to_byte(c).is_some()
}

/// Reads bytes as Windows-1252.
pub(crate) fn decode(bytes: &[u8]) -> String {
    bytes.iter().copied().map(byte_to_char).collect()
}

/// Writes characters as Windows-1252 bytes; a character the code page lacks becomes `?`.
pub(crate) fn encode(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| char_to_byte(c).unwrap_or(b'?'))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_byte_round_trips() {
        for b in 0..=u8::MAX {
            assert_eq!(char_to_byte(byte_to_char(b)), Some(b), "byte {b:#04x}");
        }
        assert_eq!(byte_to_char(0x80), '€');
        assert_eq!(byte_to_char(0x81), '\u{81}');
        assert_eq!(char_to_byte('\u{80}'), None);
        assert_eq!(encode("ă"), b"?");
    }
}
