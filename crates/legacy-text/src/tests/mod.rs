//! Crate-level tests: letter tables, sentence and byte round trips, detection, and property
//! tests. The fixtures here are written out by hand, independently of the tables in the
//! encoding modules.

mod detect;
mod props;
mod roundtrip;

/// The 67 lowercase non-ASCII Vietnamese letters, written out: per vowel the acute, grave, hook,
/// tilde and dot-below forms, with the toneless ă â ê ô ơ ư first in their groups; then đ.
pub(crate) const LOWER: &str =
    "áàảãạăắằẳẵặâấầẩẫậđéèẻẽẹêếềểễệíìỉĩịóòỏõọôốồổỗộơớờởỡợúùủũụưứừửữựýỳỷỹỵ";

/// The 67 uppercase counterparts of [`LOWER`], in the same order.
pub(crate) const UPPER: &str =
    "ÁÀẢÃẠĂẮẰẲẴẶÂẤẦẨẪẬĐÉÈẺẼẸÊẾỀỂỄỆÍÌỈĨỊÓÒỎÕỌÔỐỒỔỖỘƠỚỜỞỠỢÚÙỦŨỤƯỨỪỬỮỰÝỲỶỸỴ";

/// The plain uppercase letters TCVN3 has bytes for.
pub(crate) const TCVN3_UPPER: &str = "ĂÂĐÊÔƠƯ";

/// All 134 letters.
pub(crate) fn all_letters() -> Vec<char> {
    LOWER.chars().chain(UPPER.chars()).collect()
}

/// Sentences that must survive both encodings.
pub(crate) const SENTENCES: [&str; 5] = [
    "Hội Khuyến học xã Tân Hòa",
    "Nguyễn Thị Ánh Tuyết",
    "Đặng Văn Được",
    "Trường Tiểu học Lê Lợi",
    "Ngày 15 tháng 3 năm 2025",
];

#[test]
fn the_letter_list_has_134_distinct_letters_matching_the_model() {
    let all = all_letters();
    assert_eq!(all.len(), 134);
    let mut sorted = all.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(sorted.len(), 134);
    for (l, u) in LOWER.chars().zip(UPPER.chars()) {
        assert_eq!(crate::letters::to_upper(l), u);
    }
    let mut model: Vec<char> = crate::letters::lowercase_non_ascii().collect();
    model.sort_unstable();
    let mut lower: Vec<char> = LOWER.chars().collect();
    lower.sort_unstable();
    assert_eq!(model, lower);
}
