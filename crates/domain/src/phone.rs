//! Vietnamese phone numbers: spreadsheets store them as numbers and drop the leading 0;
//! people write `+84`, spaces, dots and dashes. Normalised to a plain `0xxxxxxxxx`.

/// Normalises a phone number, or returns `None` when it is not a plausible Vietnamese number
/// (10 digits for mobiles, 10–11 for landlines with the area code).
pub fn normalize_phone(raw: &str) -> Option<String> {
    let t = raw.trim();
    let mut digits: String = t.chars().filter(|c| c.is_ascii_digit()).collect();
    if t.chars().any(|c| c.is_alphabetic()) || digits.is_empty() {
        return None;
    }
    if let Some(rest) = digits
        .strip_prefix("84")
        .filter(|_| t.starts_with('+') || digits.len() == 11)
    {
        digits = format!("0{rest}");
    }
    if !digits.starts_with('0') {
        digits.insert(0, '0');
    }
    (10..=11).contains(&digits.len()).then_some(digits)
}

/// Normalises a phone number held as a spreadsheet number (e.g. `912345678.0`).
pub fn phone_from_number(n: f64) -> Option<String> {
    if !n.is_finite() || n < 0.0 || n.fract() != 0.0 {
        return None;
    }
    normalize_phone(&format!("{}", n as u64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn restores_the_lost_leading_zero() {
        assert_eq!(normalize_phone("912345678").as_deref(), Some("0912345678"));
        assert_eq!(
            phone_from_number(912345678.0).as_deref(),
            Some("0912345678")
        );
        assert_eq!(
            normalize_phone("0912.345.678").as_deref(),
            Some("0912345678")
        );
        assert_eq!(
            normalize_phone("+84 912 345 678").as_deref(),
            Some("0912345678")
        );
        assert_eq!(
            normalize_phone("02363 812 345").as_deref(),
            Some("02363812345")
        );
    }

    #[test]
    fn refuses_what_is_not_a_phone_number() {
        assert_eq!(normalize_phone("12345"), None);
        assert_eq!(normalize_phone("không có"), None);
        assert_eq!(normalize_phone("091234567890123"), None);
        assert_eq!(phone_from_number(1.5), None);
    }
}
