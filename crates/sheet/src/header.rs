//! Recognising header titles: the many ways communes spell "Họ và tên", "Năm sinh", "SĐT"…
//!
//! Titles are compared folded ([`khuyenhoc_domain::text::fold`]: no tones, đ→d, lower case,
//! punctuation runs collapsed), with remarks in brackets ("(nếu có)", "(1)") and a trailing
//! column number dropped. An exact synonym wins; otherwise the longest synonym the title starts
//! with (only synonyms of two words or more, or of four letters or more, so that "tên" does not
//! swallow "tên chi hội", and not the few that are too vague).

use khuyenhoc_domain::text::fold;

use crate::model::Column;

/// Folded synonyms. `None` marks common titles that must stay unmapped even though they start
/// like a mapped one ("đơn vị công tác" is a workplace, not a branch).
const SYNONYMS: &[(&str, Option<Column>)] = &[
    // Ordinal
    ("stt", Some(Column::Ordinal)),
    ("tt", Some(Column::Ordinal)),
    ("s tt", Some(Column::Ordinal)),
    ("so tt", Some(Column::Ordinal)),
    ("so thu tu", Some(Column::Ordinal)),
    ("thu tu", Some(Column::Ordinal)),
    ("no", Some(Column::Ordinal)),
    // Full name
    ("ho va ten", Some(Column::FullName)),
    ("ho ten", Some(Column::FullName)),
    ("ho va ten hoi vien", Some(Column::FullName)),
    ("ho ten hoi vien", Some(Column::FullName)),
    ("ho va ten hv", Some(Column::FullName)),
    ("ho ten hv", Some(Column::FullName)),
    ("ten hoi vien", Some(Column::FullName)),
    ("hoi vien", Some(Column::FullName)),
    ("ho va ten khai sinh", Some(Column::FullName)),
    ("ho ten khai sinh", Some(Column::FullName)),
    ("ho chu dem va ten", Some(Column::FullName)),
    ("ho ten day du", Some(Column::FullName)),
    ("ho va ten day du", Some(Column::FullName)),
    ("full name", Some(Column::FullName)),
    ("fullname", Some(Column::FullName)),
    ("name", Some(Column::FullName)),
    // Family and middle name
    ("ho va ten dem", Some(Column::FamilyAndMiddle)),
    ("ho ten dem", Some(Column::FamilyAndMiddle)),
    ("ho dem", Some(Column::FamilyAndMiddle)),
    ("ho va dem", Some(Column::FamilyAndMiddle)),
    ("ho va chu dem", Some(Column::FamilyAndMiddle)),
    ("ho chu dem", Some(Column::FamilyAndMiddle)),
    ("ho lot", Some(Column::FamilyAndMiddle)),
    ("ho va ten lot", Some(Column::FamilyAndMiddle)),
    ("ho ten lot", Some(Column::FamilyAndMiddle)),
    // Given name
    ("ten", Some(Column::GivenName)),
    ("ten goi", Some(Column::GivenName)),
    ("given name", Some(Column::GivenName)),
    ("first name", Some(Column::GivenName)),
    // Gender
    ("gioi tinh", Some(Column::Gender)),
    ("gioi", Some(Column::Gender)),
    ("nam nu", Some(Column::Gender)),
    ("nu nam", Some(Column::Gender)),
    ("gioi tinh nam nu", Some(Column::Gender)),
    ("phai", Some(Column::Gender)),
    ("gender", Some(Column::Gender)),
    ("sex", Some(Column::Gender)),
    // Birth
    ("ngay sinh", Some(Column::BirthDate)),
    ("ngay thang nam sinh", Some(Column::BirthDate)),
    ("ngay thang sinh", Some(Column::BirthDate)),
    ("nam sinh", Some(Column::BirthDate)),
    ("sinh ngay", Some(Column::BirthDate)),
    ("sinh nam", Some(Column::BirthDate)),
    ("ngay sinh nam sinh", Some(Column::BirthDate)),
    ("nam sinh ngay sinh", Some(Column::BirthDate)),
    ("ns", Some(Column::BirthDate)),
    ("date of birth", Some(Column::BirthDate)),
    ("birth date", Some(Column::BirthDate)),
    ("dob", Some(Column::BirthDate)),
    ("nam sinh nam", Some(Column::BirthYearMale)),
    ("nam sinh cua nam", Some(Column::BirthYearMale)),
    ("nam sinh nu", Some(Column::BirthYearFemale)),
    ("nam sinh cua nu", Some(Column::BirthYearFemale)),
    // Phone
    ("so dien thoai", Some(Column::Phone)),
    ("dien thoai", Some(Column::Phone)),
    ("sdt", Some(Column::Phone)),
    ("dt", Some(Column::Phone)),
    ("so dt", Some(Column::Phone)),
    ("dtdd", Some(Column::Phone)),
    ("dt dd", Some(Column::Phone)),
    ("dt di dong", Some(Column::Phone)),
    ("di dong", Some(Column::Phone)),
    ("so di dong", Some(Column::Phone)),
    ("dien thoai di dong", Some(Column::Phone)),
    ("dien thoai lien he", Some(Column::Phone)),
    ("so dien thoai lien he", Some(Column::Phone)),
    ("sdt lien he", Some(Column::Phone)),
    ("so dt lien he", Some(Column::Phone)),
    ("phone", Some(Column::Phone)),
    ("mobile", Some(Column::Phone)),
    // Address
    ("dia chi", Some(Column::Address)),
    ("thon", Some(Column::Address)),
    ("thon xom", Some(Column::Address)),
    ("xom", Some(Column::Address)),
    ("thon ap", Some(Column::Address)),
    ("thon ban", Some(Column::Address)),
    ("thon buon", Some(Column::Address)),
    ("thon to", Some(Column::Address)),
    ("ap", Some(Column::Address)),
    ("khom", Some(Column::Address)),
    ("khom ap", Some(Column::Address)),
    ("buon", Some(Column::Address)),
    ("khu pho", Some(Column::Address)),
    ("to dan pho", Some(Column::Address)),
    ("tdp", Some(Column::Address)),
    ("noi o", Some(Column::Address)),
    ("noi o hien nay", Some(Column::Address)),
    ("cho o", Some(Column::Address)),
    ("cho o hien nay", Some(Column::Address)),
    ("dia chi noi o", Some(Column::Address)),
    ("dia chi thuong tru", Some(Column::Address)),
    ("noi thuong tru", Some(Column::Address)),
    ("thuong tru", Some(Column::Address)),
    ("hktt", Some(Column::Address)),
    ("ho khau thuong tru", Some(Column::Address)),
    ("dia chi cu tru", Some(Column::Address)),
    ("noi cu tru", Some(Column::Address)),
    ("dia chi lien he", Some(Column::Address)),
    ("address", Some(Column::Address)),
    // Branch
    ("chi hoi", Some(Column::Branch)),
    ("thuoc chi hoi", Some(Column::Branch)),
    ("ten chi hoi", Some(Column::Branch)),
    ("chi hoi khuyen hoc", Some(Column::Branch)),
    ("don vi", Some(Column::Branch)),
    ("don vi chi hoi", Some(Column::Branch)),
    ("don vi sinh hoat", Some(Column::Branch)),
    ("sinh hoat tai", Some(Column::Branch)),
    ("sinh hoat tai chi hoi", Some(Column::Branch)),
    ("noi sinh hoat", Some(Column::Branch)),
    ("to khuyen hoc", Some(Column::Branch)),
    ("ban khuyen hoc", Some(Column::Branch)),
    ("chi hoi to hoi", Some(Column::Branch)),
    ("to hoi", Some(Column::Branch)),
    ("branch", Some(Column::Branch)),
    // Join date
    ("ngay vao hoi", Some(Column::JoinDate)),
    ("nam vao hoi", Some(Column::JoinDate)),
    ("ngay thang nam vao hoi", Some(Column::JoinDate)),
    ("thoi gian vao hoi", Some(Column::JoinDate)),
    ("vao hoi", Some(Column::JoinDate)),
    ("ngay vao", Some(Column::JoinDate)),
    ("ngay ket nap", Some(Column::JoinDate)),
    ("nam ket nap", Some(Column::JoinDate)),
    ("ngay ket nap hoi vien", Some(Column::JoinDate)),
    ("ngay ket nap vao hoi", Some(Column::JoinDate)),
    ("ngay gia nhap", Some(Column::JoinDate)),
    ("ngay gia nhap hoi", Some(Column::JoinDate)),
    ("nam gia nhap", Some(Column::JoinDate)),
    ("ngay tham gia", Some(Column::JoinDate)),
    ("nam tham gia", Some(Column::JoinDate)),
    ("ngay tham gia hoi", Some(Column::JoinDate)),
    ("join date", Some(Column::JoinDate)),
    // Card number
    ("so the", Some(Column::CardNumber)),
    ("so the hoi vien", Some(Column::CardNumber)),
    ("so the hv", Some(Column::CardNumber)),
    ("the hoi vien", Some(Column::CardNumber)),
    ("ma hoi vien", Some(Column::CardNumber)),
    ("ma hv", Some(Column::CardNumber)),
    ("ma so hoi vien", Some(Column::CardNumber)),
    ("ma so hv", Some(Column::CardNumber)),
    ("ma so", Some(Column::CardNumber)),
    ("ma the", Some(Column::CardNumber)),
    ("so hieu the", Some(Column::CardNumber)),
    ("card number", Some(Column::CardNumber)),
    // Citizen id
    ("cccd", Some(Column::CitizenId)),
    ("so cccd", Some(Column::CitizenId)),
    ("can cuoc", Some(Column::CitizenId)),
    ("so can cuoc", Some(Column::CitizenId)),
    ("can cuoc cong dan", Some(Column::CitizenId)),
    ("so can cuoc cong dan", Some(Column::CitizenId)),
    ("cmnd", Some(Column::CitizenId)),
    ("so cmnd", Some(Column::CitizenId)),
    ("cmt", Some(Column::CitizenId)),
    ("so cmt", Some(Column::CitizenId)),
    ("cmnd cccd", Some(Column::CitizenId)),
    ("cccd cmnd", Some(Column::CitizenId)),
    ("so cmnd cccd", Some(Column::CitizenId)),
    ("so cccd cmnd", Some(Column::CitizenId)),
    ("chung minh nhan dan", Some(Column::CitizenId)),
    ("so chung minh nhan dan", Some(Column::CitizenId)),
    ("so dinh danh", Some(Column::CitizenId)),
    ("so dinh danh ca nhan", Some(Column::CitizenId)),
    ("ma dinh danh", Some(Column::CitizenId)),
    ("dinh danh", Some(Column::CitizenId)),
    ("citizen id", Some(Column::CitizenId)),
    // Status
    ("tinh trang", Some(Column::Status)),
    ("trang thai", Some(Column::Status)),
    ("tinh trang hoi vien", Some(Column::Status)),
    ("trang thai hoi vien", Some(Column::Status)),
    ("status", Some(Column::Status)),
    // Note
    ("ghi chu", Some(Column::Note)),
    ("ghi chu khac", Some(Column::Note)),
    ("note", Some(Column::Note)),
    ("notes", Some(Column::Note)),
    // Deliberately unmapped look-alikes.
    ("don vi cong tac", None),
    ("noi cong tac", None),
    ("co quan cong tac", None),
    ("que quan", None),
    ("nguyen quan", None),
    ("noi sinh", None),
    ("ho ten cha", None),
    ("ho ten me", None),
    ("ho va ten cha", None),
    ("ho va ten me", None),
    ("ho ten chu ho", None),
    ("ho va ten chu ho", None),
    ("ten chu ho", None),
    ("nghe nghiep", None),
    ("chuc vu", None),
    ("dan toc", None),
    ("ton giao", None),
    ("trinh do", None),
    ("ky nhan", None),
    ("ky ten", None),
    ("hoi phi", None),
    ("ngay cap", None),
    ("noi cap", None),
    ("ngay cap cccd", None),
    ("noi cap cccd", None),
];

/// Synonyms too vague to match as the start of a longer title ("Hội viên danh dự" is not a
/// name column).
const EXACT_ONLY: &[&str] = &[
    "hoi vien",
    "vao hoi",
    "ngay vao",
    "ma so",
    "don vi",
    "thuong tru",
    "dinh danh",
];

/// Folds a header title for matching: bracketed remarks and a trailing column number dropped.
pub(crate) fn normalize(raw: &str) -> String {
    let without_brackets = strip_brackets(raw);
    let mut folded = fold(&without_brackets);
    if folded.is_empty() {
        folded = fold(raw);
    }
    let mut words: Vec<&str> = folded.split(' ').filter(|w| !w.is_empty()).collect();
    while words.len() > 1
        && words
            .last()
            .is_some_and(|w| w.chars().all(|c| c.is_ascii_digit()))
    {
        words.pop();
    }
    words.join(" ")
}

/// Removes "(…)" and "[…]" groups.
fn strip_brackets(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut depth = 0usize;
    for c in raw.chars() {
        match c {
            '(' | '[' => depth += 1,
            ')' | ']' => depth = depth.saturating_sub(1),
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

/// The column a header title means, if any.
pub(crate) fn match_header(raw: &str) -> Option<Column> {
    let norm = normalize(raw);
    if norm.is_empty() {
        return None;
    }
    if let Some((_, col)) = SYNONYMS.iter().find(|(s, _)| *s == norm) {
        return *col;
    }
    SYNONYMS
        .iter()
        .filter(|(s, _)| {
            (s.contains(' ') || s.len() >= 4)
                && !EXACT_ONLY.contains(s)
                && starts_with_words(&norm, s)
        })
        .max_by_key(|(s, _)| s.len())
        .and_then(|(_, col)| *col)
}

/// True when `text` starts with all the words of `prefix`.
fn starts_with_words(text: &str, prefix: &str) -> bool {
    text.strip_prefix(prefix)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with(' '))
}

/// The column a sub-header means under a parent header (row above), for the refinements that
/// only make sense there: "Nam"/"Nữ" under "Năm sinh", "Họ đệm"/"Tên" under "Họ và tên".
pub(crate) fn match_sub_header(parent: Option<Column>, raw: &str) -> Option<Column> {
    let norm = normalize(raw);
    match parent {
        Some(Column::BirthDate | Column::BirthYearMale | Column::BirthYearFemale) => {
            match norm.as_str() {
                "nam" | "male" => Some(Column::BirthYearMale),
                "nu" | "female" => Some(Column::BirthYearFemale),
                _ => match_header(raw),
            }
        }
        Some(Column::FullName | Column::FamilyAndMiddle | Column::GivenName) => {
            match norm.as_str() {
                "ho" => Some(Column::FamilyAndMiddle),
                "ten" => Some(Column::GivenName),
                _ => match match_header(raw) {
                    Some(Column::FamilyAndMiddle) => Some(Column::FamilyAndMiddle),
                    Some(Column::GivenName) => Some(Column::GivenName),
                    Some(Column::FullName) => Some(Column::FullName),
                    _ => None,
                },
            }
        }
        _ => match_header(raw),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings() {
        assert_eq!(match_header("Họ và tên (1)"), Some(Column::FullName));
        assert_eq!(match_header("HỌ VÀ TÊN"), Some(Column::FullName));
        assert_eq!(match_header("Họ tên hội viên"), Some(Column::FullName));
        assert_eq!(match_header("Tên"), Some(Column::GivenName));
        assert_eq!(
            match_header("Ngày, tháng,\nnăm sinh"),
            Some(Column::BirthDate)
        );
        assert_eq!(match_header("SĐT"), Some(Column::Phone));
        assert_eq!(match_header("Số ĐT"), Some(Column::Phone));
        assert_eq!(match_header("Số điện thoại (nếu có)"), Some(Column::Phone));
        assert_eq!(match_header("Số CMND/CCCD"), Some(Column::CitizenId));
        assert_eq!(match_header("Nam/Nữ"), Some(Column::Gender));
        assert_eq!(match_header("Thôn/Xóm"), Some(Column::Address));
        assert_eq!(match_header("S.TT"), Some(Column::Ordinal));
        assert_eq!(match_header("Quê quán"), None);
        assert_eq!(match_header("Đơn vị công tác"), None);
        assert_eq!(match_header("Tên chi hội"), Some(Column::Branch));
        assert_eq!(match_header("Ngày vào Hội"), Some(Column::JoinDate));
        assert_eq!(match_header("Mã hội viên"), Some(Column::CardNumber));
        assert_eq!(match_header("Nam"), None);
        assert_eq!(match_header("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"), None);
        assert_eq!(match_header("DANH SÁCH HỘI VIÊN CHI HỘI THÔN 3"), None);
    }

    #[test]
    fn sub_headers() {
        assert_eq!(
            match_sub_header(Some(Column::BirthDate), "Nam"),
            Some(Column::BirthYearMale)
        );
        assert_eq!(
            match_sub_header(Some(Column::BirthDate), "Nữ"),
            Some(Column::BirthYearFemale)
        );
        assert_eq!(
            match_sub_header(Some(Column::FullName), "Họ đệm"),
            Some(Column::FamilyAndMiddle)
        );
        assert_eq!(
            match_sub_header(Some(Column::FullName), "Tên"),
            Some(Column::GivenName)
        );
        assert_eq!(match_sub_header(None, "Nam"), None);
    }
}
