//! Org units: a tree of any depth (province, commune, chi hội, tổ, ban… are data, not code),
//! and the yearly denominators reports divide by.

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::error::{Collector, FieldError, ValidationErrors};
use crate::member::parse_date_field;
use crate::text::normalize_name;

/// What a person supplies to create an org unit.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct OrgUnitInput {
    pub name: String,
    /// A kind code from the kinds table, e.g. `commune`, `branch`.
    pub kind: String,
    pub org_code: Option<String>,
    pub valid_from: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrgUnitFields {
    pub name: String,
    pub kind: String,
    pub org_code: Option<String>,
    pub valid_from: Option<Date>,
}

pub fn validate_unit_name(name: &str) -> Result<String, FieldError> {
    let name = normalize_name(name);
    if name.is_empty() {
        return Err(FieldError::new(
            "name",
            "required",
            "Chưa nhập tên đơn vị.",
            "Unit name is required.",
        ));
    }
    if name.chars().count() > 150 {
        return Err(FieldError::new(
            "name",
            "too_long",
            "Tên đơn vị dài quá 150 ký tự.",
            "Unit name is too long.",
        ));
    }
    Ok(name)
}

/// Reads a full effective date (`dd/mm/yyyy`); a year alone is not enough for a decision date.
pub fn parse_effective_date(
    field: &'static str,
    text: &str,
    today: Date,
) -> Result<Date, FieldError> {
    match parse_date_field(field, text, today)? {
        crate::date::PartialDate::Date(d) => Ok(d),
        crate::date::PartialDate::Year(_) => Err(FieldError::new(
            field,
            "full_date_required",
            "Ngày hiệu lực cần đủ ngày/tháng/năm.",
            "The effective date needs day, month and year.",
        )),
    }
}

pub fn validate_org_unit(
    input: &OrgUnitInput,
    today: Date,
) -> Result<OrgUnitFields, ValidationErrors> {
    let mut errs = Collector::default();
    let name = errs.take(validate_unit_name(&input.name));
    let kind = input.kind.trim().to_owned();
    if kind.is_empty() {
        errs.push(FieldError::new(
            "kind",
            "required",
            "Chưa chọn loại đơn vị.",
            "Unit kind is required.",
        ));
    }
    let org_code = input
        .org_code
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(str::to_owned);
    if let Some(c) = &org_code
        && (c.len() > 20
            || !c
                .chars()
                .all(|ch| ch.is_ascii_alphanumeric() || ch == '-' || ch == '.'))
    {
        errs.push(FieldError::new(
            "org_code",
            "invalid_org_code",
            format!("Mã đơn vị \"{c}\" chỉ được gồm chữ số, chữ cái không dấu, - và . (tối đa 20 ký tự)."),
            "Org code may hold only ASCII letters, digits, - and . (20 at most).",
        ));
    }
    let valid_from = input
        .valid_from
        .as_deref()
        .filter(|v| !v.trim().is_empty())
        .and_then(|v| errs.take(parse_effective_date("valid_from", v, today)));
    errs.finish(|| OrgUnitFields {
        name: name.unwrap_or_default(),
        kind,
        org_code,
        valid_from,
    })
}

/// What a yearly denominator counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DenominatorKind {
    /// dân số
    Population,
    /// số hộ
    Households,
    /// dòng họ
    Clans,
    /// thôn/ấp/khu phố
    Communities,
    /// cơ quan, trường học, doanh nghiệp
    Units,
}

impl DenominatorKind {
    pub const ALL: [DenominatorKind; 5] = [
        DenominatorKind::Population,
        DenominatorKind::Households,
        DenominatorKind::Clans,
        DenominatorKind::Communities,
        DenominatorKind::Units,
    ];

    pub fn code(self) -> &'static str {
        match self {
            DenominatorKind::Population => "population",
            DenominatorKind::Households => "households",
            DenominatorKind::Clans => "clans",
            DenominatorKind::Communities => "communities",
            DenominatorKind::Units => "units",
        }
    }

    pub fn from_code(code: &str) -> Option<DenominatorKind> {
        DenominatorKind::ALL.into_iter().find(|k| k.code() == code)
    }

    pub fn label_vi(self) -> &'static str {
        match self {
            DenominatorKind::Population => "Dân số",
            DenominatorKind::Households => "Số hộ gia đình",
            DenominatorKind::Clans => "Số dòng họ",
            DenominatorKind::Communities => "Số thôn/tổ dân phố",
            DenominatorKind::Units => "Số cơ quan, đơn vị",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validates_units() {
        let today = Date::new(2026, 11, 22).unwrap();
        let ok = validate_org_unit(
            &OrgUnitInput {
                name: " Hội Khuyến học  xã Tân Hòa".into(),
                kind: "commune".into(),
                org_code: Some("26734".into()),
                valid_from: Some("01/07/2025".into()),
            },
            today,
        )
        .unwrap();
        assert_eq!(ok.name, "Hội Khuyến học xã Tân Hòa");
        let bad = validate_org_unit(
            &OrgUnitInput {
                name: "".into(),
                kind: "".into(),
                org_code: Some("mã xã".into()),
                valid_from: Some("2025".into()),
            },
            today,
        )
        .unwrap_err();
        let fields: Vec<_> = bad.0.iter().map(|f| f.field).collect();
        assert_eq!(fields, ["name", "kind", "org_code", "valid_from"]);
    }
}
