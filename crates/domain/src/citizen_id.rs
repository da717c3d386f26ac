//! Citizen ID numbers (CCCD, 12 digits; the old CMND had 9). Optional, never required, and
//! masked whenever shown: only the last 4 digits are displayed.

/// Checks a citizen ID: 12 digits (CCCD) or 9 (CMND), spaces ignored.
pub fn normalize_citizen_id(raw: &str) -> Option<String> {
    let digits: String = raw.chars().filter(|c| !c.is_whitespace()).collect();
    (digits.chars().all(|c| c.is_ascii_digit()) && (digits.len() == 12 || digits.len() == 9))
        .then_some(digits)
}

/// The masked form for display: `********1234`.
pub fn mask_citizen_id(id: &str) -> String {
    let n = id.chars().count();
    let keep = n.min(4);
    let tail: String = id.chars().skip(n - keep).collect();
    format!("{}{}", "*".repeat(n - keep), tail)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validates_and_masks() {
        assert_eq!(
            normalize_citizen_id("001 085 012 345").as_deref(),
            Some("001085012345")
        );
        assert_eq!(
            normalize_citizen_id("123456789").as_deref(),
            Some("123456789")
        );
        assert_eq!(normalize_citizen_id("12345"), None);
        assert_eq!(normalize_citizen_id("00108501234A"), None);
        assert_eq!(mask_citizen_id("001085012345"), "********2345");
        assert!(!mask_citizen_id("001085012345").contains("0010850"));
    }
}
