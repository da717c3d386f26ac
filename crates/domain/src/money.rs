//! Money as integer đồng (no floating point anywhere near a balance) and Vietnamese number
//! formatting: `1.646`, `522,6 triệu đồng`, `22,9 tỷ đồng`.

use serde::{Deserialize, Serialize};

/// An amount in đồng.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Dong(pub i64);

impl Dong {
    /// `1.500.000 đồng`.
    pub fn format_vi(self) -> String {
        format!("{} đồng", format_int_vi(self.0))
    }

    /// Rounded to the unit a report uses: `522,6 triệu đồng`, `22,9 tỷ đồng`.
    pub fn format_compact_vi(self) -> String {
        let v = self.0;
        let (unit, div) = if v.abs() >= 1_000_000_000 {
            ("tỷ", 1_000_000_000)
        } else if v.abs() >= 1_000_000 {
            ("triệu", 1_000_000)
        } else {
            return self.format_vi();
        };
        // One decimal, rounded half away from zero, in integers.
        let tenths = (v * 10 + v.signum() * div / 2) / div;
        let (whole, frac) = (tenths / 10, (tenths % 10).abs());
        if frac == 0 {
            format!("{} {unit} đồng", format_int_vi(whole))
        } else {
            format!("{},{frac} {unit} đồng", format_int_vi(whole))
        }
    }
}

/// Parses an amount typed by a person: `1.500.000`, `1500000`, `1 500 000`, `1.500.000 đ`.
pub fn parse_dong(text: &str) -> Option<Dong> {
    let t = text
        .trim()
        .trim_end_matches(['đ', 'Đ'])
        .trim_end_matches("đồng")
        .trim();
    let negative = t.starts_with('-');
    let digits: String = t
        .chars()
        .filter(|c| !matches!(c, '.' | ' ' | '\u{a0}' | '-'))
        .collect();
    if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let v: i64 = digits.parse().ok()?;
    Some(Dong(if negative { -v } else { v }))
}

/// An integer with `.` between thousands: `1.646`.
pub fn format_int_vi(v: i64) -> String {
    let digits = v.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if v < 0 {
        out.push('-');
    }
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('.');
        }
        out.push(c);
    }
    out
}

/// A percentage with a comma and one decimal: `33,5%`.
pub fn format_percent_vi(numerator: i64, denominator: i64) -> Option<String> {
    if denominator <= 0 {
        return None;
    }
    let tenths = (numerator * 1000 + denominator / 2) / denominator;
    Some(format!("{},{}%", tenths / 10, tenths % 10))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_like_the_reports() {
        assert_eq!(format_int_vi(1646), "1.646");
        assert_eq!(format_int_vi(467032), "467.032");
        assert_eq!(format_int_vi(-1000), "-1.000");
        assert_eq!(format_int_vi(999), "999");
        assert_eq!(Dong(522_600_000).format_compact_vi(), "522,6 triệu đồng");
        assert_eq!(Dong(22_940_000_000).format_compact_vi(), "22,9 tỷ đồng");
        assert_eq!(Dong(3_000_000).format_compact_vi(), "3 triệu đồng");
        assert_eq!(Dong(38_000).format_vi(), "38.000 đồng");
        assert_eq!(format_percent_vi(467032, 1394125).as_deref(), Some("33,5%"));
        assert_eq!(format_percent_vi(1, 0), None);
    }

    #[test]
    fn parses_amounts() {
        assert_eq!(parse_dong("1.500.000"), Some(Dong(1_500_000)));
        assert_eq!(parse_dong("1 500 000 đ"), Some(Dong(1_500_000)));
        assert_eq!(parse_dong("200000đồng"), Some(Dong(200_000)));
        assert_eq!(parse_dong("1,5"), None);
        assert_eq!(parse_dong("abc"), None);
    }
}
