//! The member register (hội viên): what a person types, what validation makes of it, and the
//! status a member can have. Only the fields the association needs; no ethnicity, no religion.

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::citizen_id::normalize_citizen_id;
use crate::date::{DateError, PartialDate};
use crate::error::{Collector, FieldError, ValidationErrors};
use crate::phone::normalize_phone;
use crate::text::normalize_name;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Gender {
    Male,
    Female,
    Other,
}

impl Gender {
    /// Reads "Nam", "Nữ", "nu", "male", "F", "khác"…
    pub fn parse(text: &str) -> Option<Gender> {
        match crate::text::fold(text).as_str() {
            "nam" | "m" | "male" | "trai" => Some(Gender::Male),
            "nu" | "f" | "female" | "gai" => Some(Gender::Female),
            "khac" | "other" => Some(Gender::Other),
            _ => None,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Gender::Male => "male",
            Gender::Female => "female",
            Gender::Other => "other",
        }
    }

    pub fn from_code(code: &str) -> Option<Gender> {
        [Gender::Male, Gender::Female, Gender::Other]
            .into_iter()
            .find(|g| g.code() == code)
    }

    pub fn label_vi(self) -> &'static str {
        match self {
            Gender::Male => "Nam",
            Gender::Female => "Nữ",
            Gender::Other => "Khác",
        }
    }
}

/// A member's standing, kept with its date as history.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MemberStatus {
    /// đang sinh hoạt
    Active,
    /// chuyển đi
    MovedAway,
    /// thôi (left the association)
    Left,
    /// từ trần
    Deceased,
}

impl MemberStatus {
    pub const ALL: [MemberStatus; 4] = [
        MemberStatus::Active,
        MemberStatus::MovedAway,
        MemberStatus::Left,
        MemberStatus::Deceased,
    ];

    pub fn code(self) -> &'static str {
        match self {
            MemberStatus::Active => "active",
            MemberStatus::MovedAway => "moved_away",
            MemberStatus::Left => "left",
            MemberStatus::Deceased => "deceased",
        }
    }

    pub fn from_code(code: &str) -> Option<MemberStatus> {
        MemberStatus::ALL.into_iter().find(|s| s.code() == code)
    }

    /// Reads a code or the Vietnamese words officers use.
    pub fn parse(text: &str) -> Option<MemberStatus> {
        let f = crate::text::fold(text).replace(' ', "_");
        if let Some(s) = MemberStatus::from_code(&f) {
            return Some(s);
        }
        match f.as_str() {
            "dang_sinh_hoat" | "sinh_hoat" | "con_sinh_hoat" => Some(MemberStatus::Active),
            "chuyen_di" | "chuyen" | "moved" => Some(MemberStatus::MovedAway),
            "thoi" | "thoi_sinh_hoat" | "ra_hoi" => Some(MemberStatus::Left),
            "tu_tran" | "da_mat" | "mat" | "died" => Some(MemberStatus::Deceased),
            _ => None,
        }
    }

    pub fn label_vi(self) -> &'static str {
        match self {
            MemberStatus::Active => "Đang sinh hoạt",
            MemberStatus::MovedAway => "Chuyển đi",
            MemberStatus::Left => "Thôi sinh hoạt",
            MemberStatus::Deceased => "Từ trần",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            MemberStatus::Active => "Active",
            MemberStatus::MovedAway => "Moved away",
            MemberStatus::Left => "Left",
            MemberStatus::Deceased => "Deceased",
        }
    }
}

/// A member as typed in a form, given on the command line or read from a file row.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MemberInput {
    pub full_name: String,
    pub gender: Option<String>,
    pub birth: Option<String>,
    pub phone: Option<String>,
    pub address: Option<String>,
    pub join_date: Option<String>,
    pub card_number: Option<String>,
    pub citizen_id: Option<String>,
    pub note: Option<String>,
}

/// A member's validated fields.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MemberFields {
    pub full_name: String,
    pub gender: Option<Gender>,
    pub birth: Option<PartialDate>,
    pub phone: Option<String>,
    pub address: Option<String>,
    pub join_date: Option<PartialDate>,
    pub card_number: Option<String>,
    pub citizen_id: Option<String>,
    pub note: Option<String>,
}

/// Vietnamese and English labels of member fields, for messages and export headers.
pub fn field_label(field: &str) -> (&'static str, &'static str) {
    match field {
        "full_name" => ("Họ và tên", "Full name"),
        "gender" => ("Giới tính", "Gender"),
        "birth" => ("Ngày sinh", "Date of birth"),
        "phone" => ("Số điện thoại", "Phone"),
        "address" => ("Địa chỉ", "Address"),
        "join_date" => ("Ngày vào hội", "Joined"),
        "card_number" => ("Số thẻ hội viên", "Card number"),
        "citizen_id" => ("Số CCCD", "Citizen ID"),
        "note" => ("Ghi chú", "Note"),
        "branch" => ("Chi hội", "Branch"),
        "status" => ("Tình trạng", "Status"),
        "status_date" => ("Ngày thay đổi tình trạng", "Status date"),
        "year" => ("Năm", "Year"),
        "amount" => ("Số tiền", "Amount"),
        _ => ("Trường", "Field"),
    }
}

fn optional(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

fn too_long(field: &'static str, max: usize) -> FieldError {
    let (vi, en) = field_label(field);
    FieldError::new(
        field,
        "too_long",
        format!("{vi} dài quá {max} ký tự."),
        format!("{en} is longer than {max} characters."),
    )
}

/// Reads a date field, checking it is not in the future.
pub fn parse_date_field(
    field: &'static str,
    text: &str,
    today: Date,
) -> Result<PartialDate, FieldError> {
    let (vi, en) = field_label(field);
    let d = PartialDate::parse(text).map_err(|e| match e {
        DateError::Unreadable => FieldError::new(
            field,
            "invalid_date",
            format!("{vi} \"{text}\" không đọc được; hãy ghi theo dạng ngày/tháng/năm (ví dụ 15/03/1985) hoặc chỉ năm (1985)."),
            format!("{en} is not a date; use dd/mm/yyyy or a year."),
        ),
        DateError::OutOfRange => FieldError::new(
            field,
            "date_out_of_range",
            format!("{vi} \"{text}\" không có thật hoặc ngoài khoảng 1900–2100."),
            format!("{en} does not exist or is outside 1900-2100."),
        ),
    })?;
    if d.is_after(today) {
        return Err(FieldError::new(
            field,
            "date_in_future",
            format!("{vi} {d} nằm trong tương lai."),
            format!("{en} is in the future."),
        ));
    }
    Ok(d)
}

/// Validates a member. Every problem is reported at once, each naming its field.
pub fn validate_member(input: &MemberInput, today: Date) -> Result<MemberFields, ValidationErrors> {
    let mut errs = Collector::default();
    let full_name = normalize_name(&input.full_name);
    if full_name.is_empty() {
        errs.push(FieldError::new(
            "full_name",
            "required",
            "Chưa nhập Họ và tên.",
            "Full name is required.",
        ));
    } else if full_name.chars().count() > 100 {
        errs.push(too_long("full_name", 100));
    } else if full_name
        .chars()
        .any(|c| !(c.is_alphabetic() || c == ' ' || c == '-' || c == '\'' || c == '.'))
    {
        errs.push(FieldError::new(
            "full_name",
            "invalid_name",
            format!("Họ và tên \"{full_name}\" chứa chữ số hoặc ký tự không hợp lệ."),
            "Full name contains digits or symbols.",
        ));
    }
    let gender = optional(&input.gender).and_then(|g| {
        errs.take(Gender::parse(g).ok_or_else(|| {
            FieldError::new(
                "gender",
                "invalid_gender",
                format!("Giới tính \"{g}\" không hợp lệ; hãy ghi Nam hoặc Nữ."),
                "Gender is not Male/Female.",
            )
        }))
    });
    let birth = optional(&input.birth).and_then(|b| errs.take(parse_date_field("birth", b, today)));
    let phone = optional(&input.phone).and_then(|p| {
        errs.take(normalize_phone(p).ok_or_else(|| {
            FieldError::new(
                "phone",
                "invalid_phone",
                format!("Số điện thoại \"{p}\" không hợp lệ (cần 10 hoặc 11 chữ số)."),
                "Phone is not a Vietnamese phone number.",
            )
        }))
    });
    let address = optional(&input.address).map(normalize_name);
    if address.as_ref().is_some_and(|a| a.chars().count() > 200) {
        errs.push(too_long("address", 200));
    }
    let join_date =
        optional(&input.join_date).and_then(|j| errs.take(parse_date_field("join_date", j, today)));
    if let (Some(b), Some(j)) = (birth, join_date)
        && j.year() < b.year()
    {
        errs.push(FieldError::new(
            "join_date",
            "join_before_birth",
            format!("Ngày vào hội {j} trước ngày sinh {b}."),
            "Join date is before the date of birth.",
        ));
    }
    let card_number =
        optional(&input.card_number).map(|c| c.split_whitespace().collect::<Vec<_>>().join(""));
    if let Some(c) = &card_number {
        if c.chars().count() > 20 {
            errs.push(too_long("card_number", 20));
        } else if !c
            .chars()
            .all(|ch| ch.is_alphanumeric() || matches!(ch, '-' | '/' | '.' | '_'))
        {
            errs.push(FieldError::new(
                "card_number",
                "invalid_card_number",
                format!("Số thẻ hội viên \"{c}\" chỉ được gồm chữ, số và - / . _"),
                "Card number may hold only letters, digits and - / . _",
            ));
        }
    }
    let citizen_id = optional(&input.citizen_id).and_then(|id| {
        errs.take(normalize_citizen_id(id).ok_or_else(|| {
            FieldError::new(
                "citizen_id",
                "invalid_citizen_id",
                "Số CCCD phải gồm 12 chữ số (hoặc 9 chữ số với CMND cũ).",
                "Citizen ID must be 12 digits (or 9 for an old ID card).",
            )
        }))
    });
    let note = optional(&input.note).map(str::to_owned);
    if note.as_ref().is_some_and(|n| n.chars().count() > 500) {
        errs.push(too_long("note", 500));
    }
    errs.finish(|| MemberFields {
        full_name,
        gender,
        birth,
        phone,
        address,
        join_date,
        card_number,
        citizen_id,
        note,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> Date {
        Date::new(2026, 11, 22).unwrap()
    }

    #[test]
    fn a_good_member_is_normalised() {
        let m = validate_member(
            &MemberInput {
                full_name: "  nguyễn   Văn An ".into(),
                gender: Some("Nam".into()),
                birth: Some("15/03/1985".into()),
                phone: Some("912345678".into()),
                card_number: Some(" HV 001 ".into()),
                citizen_id: Some("001085012345".into()),
                ..Default::default()
            },
            today(),
        )
        .unwrap();
        assert_eq!(m.full_name, "nguyễn Văn An");
        assert_eq!(m.gender, Some(Gender::Male));
        assert_eq!(m.birth.unwrap().to_string(), "15/03/1985");
        assert_eq!(m.phone.as_deref(), Some("0912345678"));
        assert_eq!(m.card_number.as_deref(), Some("HV001"));
    }

    #[test]
    fn every_bad_field_is_named_in_vietnamese() {
        let e = validate_member(
            &MemberInput {
                full_name: "".into(),
                gender: Some("x".into()),
                birth: Some("32/13/1985".into()),
                phone: Some("123".into()),
                citizen_id: Some("12".into()),
                join_date: Some("2030".into()),
                ..Default::default()
            },
            today(),
        )
        .unwrap_err();
        let fields: Vec<_> = e.0.iter().map(|f| f.field).collect();
        assert_eq!(
            fields,
            [
                "full_name",
                "gender",
                "birth",
                "phone",
                "join_date",
                "citizen_id"
            ]
        );
        assert!(e.0[0].message_vi.contains("Họ và tên"));
        assert!(e.0[4].message_vi.contains("tương lai"));
    }

    #[test]
    fn statuses_read_vietnamese_words() {
        assert_eq!(MemberStatus::parse("Từ trần"), Some(MemberStatus::Deceased));
        assert_eq!(
            MemberStatus::parse("chuyển đi"),
            Some(MemberStatus::MovedAway)
        );
        assert_eq!(MemberStatus::parse("left"), Some(MemberStatus::Left));
        assert_eq!(Gender::parse("Nữ"), Some(Gender::Female));
    }
}
