//! Dates as commune files write them: `dd/mm/yyyy`, a year alone, or an Excel serial number.
//! A [`PartialDate`] is a full date or a year only (many registers know only the birth year).

use std::fmt;

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

/// A full date or only a year. Stored as `yyyy-mm-dd` or `yyyy`, which sort correctly as text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PartialDate {
    Year(i16),
    Date(Date),
}

/// Why a date could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateError {
    Unreadable,
    OutOfRange,
}

pub const MIN_YEAR: i16 = 1900;
pub const MAX_YEAR: i16 = 2100;

impl PartialDate {
    pub fn year(&self) -> i16 {
        match self {
            PartialDate::Year(y) => *y,
            PartialDate::Date(d) => d.year(),
        }
    }

    /// The storage form: `yyyy-mm-dd` or `yyyy`.
    pub fn to_storage(&self) -> String {
        match self {
            PartialDate::Year(y) => format!("{y:04}"),
            PartialDate::Date(d) => format!("{:04}-{:02}-{:02}", d.year(), d.month(), d.day()),
        }
    }

    /// Reads the storage form back.
    pub fn from_storage(s: &str) -> Option<PartialDate> {
        if s.len() == 4 {
            s.parse().ok().map(PartialDate::Year)
        } else {
            s.parse::<Date>().ok().map(PartialDate::Date)
        }
    }

    /// Reads what an officer types or a file holds: `15/03/1985`, `15-3-1985`, `15.03.85`
    /// (two-digit years are refused: ambiguous), `1985`, or ISO `1985-03-15`.
    pub fn parse(text: &str) -> Result<PartialDate, DateError> {
        let t = text.trim();
        if t.is_empty() {
            return Err(DateError::Unreadable);
        }
        if t.chars().all(|c| c.is_ascii_digit()) && t.len() == 4 {
            let y: i16 = t.parse().map_err(|_| DateError::Unreadable)?;
            return check_year(y).map(PartialDate::Year);
        }
        if let Ok(d) = t.parse::<Date>() {
            return check_year(d.year()).map(|_| PartialDate::Date(d));
        }
        let parts: Vec<&str> = t
            .split(['/', '-', '.', ' '])
            .filter(|p| !p.is_empty())
            .collect();
        match parts.as_slice() {
            [d, m, y] => {
                let (d, m, y) = (num(d)?, num(m)?, num(y)?);
                if y < 1000 {
                    return Err(DateError::Unreadable);
                }
                let y = i16::try_from(y).map_err(|_| DateError::OutOfRange)?;
                check_year(y)?;
                let d = Date::new(
                    y,
                    i8::try_from(m).map_err(|_| DateError::Unreadable)?,
                    i8::try_from(d).map_err(|_| DateError::Unreadable)?,
                )
                .map_err(|_| DateError::OutOfRange)?;
                Ok(PartialDate::Date(d))
            }
            [m, y] => {
                // "03/1985": keep the year only; a month alone is no date.
                let (_, y) = (num(m)?, num(y)?);
                let y = i16::try_from(y).map_err(|_| DateError::OutOfRange)?;
                check_year(y).map(PartialDate::Year)
            }
            _ => Err(DateError::Unreadable),
        }
    }

    /// Reads a number from a spreadsheet cell: a year (1900–2100) or an Excel serial date
    /// (days since 1899-12-30, the 1900 date system).
    pub fn from_number(n: f64) -> Result<PartialDate, DateError> {
        if !n.is_finite() || n < 1.0 {
            return Err(DateError::Unreadable);
        }
        let whole = n.trunc() as i64;
        if (i64::from(MIN_YEAR)..=i64::from(MAX_YEAR)).contains(&whole) {
            return Ok(PartialDate::Year(whole as i16));
        }
        let epoch = Date::new(1899, 12, 30).expect("valid date");
        let d = epoch
            .checked_add(jiff::Span::new().days(whole))
            .map_err(|_| DateError::OutOfRange)?;
        check_year(d.year()).map(|_| PartialDate::Date(d))
    }

    pub fn from_ymd(year: i32, month: u8, day: u8) -> Result<PartialDate, DateError> {
        let y = i16::try_from(year).map_err(|_| DateError::OutOfRange)?;
        check_year(y)?;
        Date::new(y, month as i8, day as i8)
            .map(PartialDate::Date)
            .map_err(|_| DateError::OutOfRange)
    }

    /// True when this date is after `today` (a year is after when the year is).
    pub fn is_after(&self, today: Date) -> bool {
        match self {
            PartialDate::Year(y) => *y > today.year(),
            PartialDate::Date(d) => *d > today,
        }
    }
}

/// Checks the year of a yearly record (dues, a report's denominators): 1900–2100.
pub fn check_record_year(year: i32) -> Result<i32, crate::error::FieldError> {
    if (i32::from(MIN_YEAR)..=i32::from(MAX_YEAR)).contains(&year) {
        Ok(year)
    } else {
        Err(crate::error::FieldError::new(
            "year",
            "invalid_year",
            format!("Năm {year} không hợp lệ (cần từ {MIN_YEAR} đến {MAX_YEAR})."),
            "the year is outside 1900-2100",
        ))
    }
}

fn num(s: &str) -> Result<u32, DateError> {
    s.parse().map_err(|_| DateError::Unreadable)
}

fn check_year(y: i16) -> Result<i16, DateError> {
    if (MIN_YEAR..=MAX_YEAR).contains(&y) {
        Ok(y)
    } else {
        Err(DateError::OutOfRange)
    }
}

/// Vietnamese display: `15/03/1985`, or the year alone.
impl fmt::Display for PartialDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PartialDate::Year(y) => write!(f, "{y}"),
            PartialDate::Date(d) => write!(f, "{:02}/{:02}/{:04}", d.day(), d.month(), d.year()),
        }
    }
}

/// Formats a full date as `dd/mm/yyyy`.
pub fn format_date_vi(d: Date) -> String {
    d.strftime("%d/%m/%Y").to_string()
}

impl Serialize for PartialDate {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_storage())
    }
}

impl<'de> Deserialize<'de> for PartialDate {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        PartialDate::from_storage(&s)
            .ok_or_else(|| serde::de::Error::custom(format!("bad partial date {s:?}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i16, m: i8, d: i8) -> PartialDate {
        PartialDate::Date(Date::new(y, m, d).unwrap())
    }

    #[test]
    fn parses_the_forms_commune_files_use() {
        assert_eq!(PartialDate::parse("15/03/1985"), Ok(date(1985, 3, 15)));
        assert_eq!(PartialDate::parse("5-3-1985"), Ok(date(1985, 3, 5)));
        assert_eq!(PartialDate::parse(" 1985 "), Ok(PartialDate::Year(1985)));
        assert_eq!(PartialDate::parse("1985-03-15"), Ok(date(1985, 3, 15)));
        assert_eq!(PartialDate::parse("03/1985"), Ok(PartialDate::Year(1985)));
        assert_eq!(PartialDate::parse("31/02/1985"), Err(DateError::OutOfRange));
        assert_eq!(PartialDate::parse("15/03/85"), Err(DateError::Unreadable));
        assert_eq!(PartialDate::parse("1850"), Err(DateError::OutOfRange));
        assert_eq!(PartialDate::parse("abc"), Err(DateError::Unreadable));
    }

    #[test]
    fn excel_serials_and_years() {
        // 31048 is 1985-01-01 in Excel's 1900 date system.
        assert_eq!(PartialDate::from_number(31048.0), Ok(date(1985, 1, 1)));
        assert_eq!(
            PartialDate::from_number(1985.0),
            Ok(PartialDate::Year(1985))
        );
        assert_eq!(PartialDate::from_number(-3.0), Err(DateError::Unreadable));
    }

    #[test]
    fn storage_and_display_round_trip() {
        for d in [date(1985, 3, 15), PartialDate::Year(1960)] {
            assert_eq!(PartialDate::from_storage(&d.to_storage()), Some(d));
        }
        assert_eq!(date(1985, 3, 5).to_string(), "05/03/1985");
        assert_eq!(PartialDate::Year(1960).to_string(), "1960");
    }
}
