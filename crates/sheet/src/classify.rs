//! Sorting the rows below the header: data, or blank / total / column-number / footer rows.
//!
//! Rows that hold data are kept even when they look wrong; judging them is the domain's job.

use khuyenhoc_domain::text::fold;

use crate::model::{Cell, SkipReason};

/// Where the name and the ordinal are, to tell a data row from a total or footer line that
/// happens to share some words with it.
#[derive(Debug, Default)]
pub(crate) struct RowContext {
    pub name_columns: Vec<usize>,
    pub ordinal_column: Option<usize>,
}

/// Classifies the rows below the header, in order. `None` = a data row.
pub(crate) fn classify_rows(rows: &[&[Cell]], ctx: &RowContext) -> Vec<Option<SkipReason>> {
    let mut in_footer = false;
    rows.iter()
        .map(|row| {
            if in_footer {
                return Some(SkipReason::Footer);
            }
            if is_blank(row) {
                return Some(SkipReason::Blank);
            }
            if is_column_numbers(row) {
                return Some(SkipReason::ColumnNumbers);
            }
            let has_ordinal = ctx
                .ordinal_column
                .and_then(|i| row.get(i))
                .and_then(Cell::as_number)
                .is_some_and(|n| n >= 1.0 && n.fract() == 0.0);
            if !has_ordinal
                && !has_name(row, ctx, is_footer_marker)
                && row_has(row, is_footer_marker)
            {
                in_footer = true;
                return Some(SkipReason::Footer);
            }
            if !has_name(row, ctx, is_total_marker) && row_has(row, is_total_marker) {
                return Some(SkipReason::Total);
            }
            if is_section(row, ctx) {
                return Some(SkipReason::Section);
            }
            None
        })
        .collect()
}

/// A heading inside the list rather than a member: its STT is a Roman numeral or a single
/// letter ("I", "II.", "A"), or it holds nothing but the name of a unit ("Chi hội Thôn 1",
/// "Thôn 3", "Tổ dân phố 5") with no STT.
fn is_section(row: &[Cell], ctx: &RowContext) -> bool {
    let ordinal = ctx.ordinal_column.and_then(|i| row.get(i));
    if let Some(Cell::Text(t)) = ordinal {
        let t = t.trim().trim_end_matches('.');
        let roman = !t.is_empty() && t.chars().all(|c| matches!(c, 'I' | 'V' | 'X' | 'L' | 'C'));
        let letter = t.chars().count() == 1 && t.chars().all(|c| c.is_ascii_uppercase());
        if roman || letter {
            return true;
        }
    }
    if ordinal.is_some_and(|c| !c.is_empty()) {
        return false;
    }
    let filled: Vec<usize> = row
        .iter()
        .enumerate()
        .filter(|(_, c)| !c.is_empty())
        .map(|(i, _)| i)
        .collect();
    let only_names = !filled.is_empty() && filled.iter().all(|i| ctx.name_columns.contains(i));
    only_names
        && ctx
            .name_columns
            .iter()
            .filter_map(|&i| row.get(i))
            .filter_map(Cell::as_text)
            .any(|t| {
                let f = fold(t);
                [
                    "chi hoi ",
                    "to khuyen hoc",
                    "ban khuyen hoc",
                    "thon ",
                    "xom ",
                    "ap ",
                    "khu pho ",
                    "to dan pho ",
                    "khoi ",
                ]
                .iter()
                .any(|unit| f.starts_with(unit))
            })
}

pub(crate) fn is_blank(row: &[Cell]) -> bool {
    row.iter().all(Cell::is_empty)
}

/// True when a name column holds text that is not itself a marker line (a footer or total
/// line merged across the whole width also lands in the name column).
fn has_name(row: &[Cell], ctx: &RowContext, marker: fn(&str) -> bool) -> bool {
    ctx.name_columns.iter().any(|&i| match row.get(i) {
        Some(Cell::Text(t)) => !marker(&fold(t)) && t.chars().any(char::is_alphabetic),
        _ => false,
    })
}

fn row_has(row: &[Cell], marker: fn(&str) -> bool) -> bool {
    row.iter()
        .any(|c| c.as_text().is_some_and(|t| marker(&fold(t))))
}

/// "1 2 3 …", "(1) (2) (3) …", "A B 1 2 3 …": at least three cells, all small numbers (after an
/// optional run of single capital letters), strictly increasing.
pub(crate) fn is_column_numbers(row: &[Cell]) -> bool {
    let mut count = 0usize;
    let mut numbers = 0usize;
    let mut last: Option<f64> = None;
    for cell in row.iter().filter(|c| !c.is_empty()) {
        count += 1;
        let n = match cell {
            Cell::Number(n) => Some(*n),
            Cell::Text(t) => {
                let inner = t
                    .trim()
                    .trim_start_matches('(')
                    .trim_end_matches(')')
                    .trim();
                if !inner.is_empty()
                    && inner.len() <= 3
                    && inner.chars().all(|c| c.is_ascii_digit())
                {
                    inner.parse::<f64>().ok()
                } else if numbers == 0
                    && inner.len() == 1
                    && inner.chars().all(|c| c.is_ascii_uppercase())
                {
                    continue;
                } else {
                    return false;
                }
            }
            _ => return false,
        };
        let Some(n) = n else { return false };
        if n.fract() != 0.0 || !(0.0..=200.0).contains(&n) || last.is_some_and(|l| n <= l) {
            return false;
        }
        last = Some(n);
        numbers += 1;
    }
    count >= 3 && numbers >= 2
}

/// Words of `folded` contain the words of `phrase` in a row.
fn has_phrase(folded: &str, phrase: &str) -> bool {
    let padded = format!(" {folded} ");
    padded.contains(&format!(" {phrase} "))
}

/// The place-and-date line, titles of signers and the like.
pub(crate) fn is_footer_marker(folded: &str) -> bool {
    const PHRASES: &[&str] = &[
        "nguoi lap",
        "chu tich",
        "thu ky",
        "xac nhan",
        "ky ten",
        "ky ghi ro ho ten",
        "truong ban",
        "ban chap hanh",
        "thu quy",
        "ke toan",
        "noi nhan",
    ];
    // "T/M BAN …", "TM. …", "K/T CHỦ TỊCH" start a signature block.
    const STARTS: &[&str] = &["tm ", "t m ", "kt ", "k t "];
    PHRASES.iter().any(|p| has_phrase(folded, p))
        || STARTS.iter().any(|p| folded.starts_with(p))
        || is_place_date_line(folded)
}

/// "…, ngày 15 tháng 3 năm 2025" / "ngày … tháng … năm …".
fn is_place_date_line(folded: &str) -> bool {
    let words: Vec<&str> = folded.split(' ').collect();
    let Some(ngay) = words.iter().position(|w| *w == "ngay") else {
        return false;
    };
    let Some(thang) = words[ngay + 1..]
        .iter()
        .position(|w| *w == "thang")
        .map(|p| p + ngay + 1)
    else {
        return false;
    };
    let gap_ok = thang - ngay <= 2;
    gap_ok && words[thang + 1..].iter().take(3).any(|w| *w == "nam")
}

/// "Tổng cộng", "Tổng số: 125", "Cộng: 125 hội viên", "Cộng chi hội".
pub(crate) fn is_total_marker(folded: &str) -> bool {
    let mut words = folded.split(' ');
    let first = words.next();
    let next = words.next();
    let next_is_number = next.is_some_and(|w| w.chars().all(|c| c.is_ascii_digit()));
    match first {
        Some("tong") => next_is_number || matches!(next, None | Some("cong" | "so")),
        Some("cong") => {
            next_is_number
                || matches!(
                    next,
                    None | Some("so" | "hoi" | "tong" | "chi" | "toan" | "ca" | "cong")
                )
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Cell {
        Cell::text(s)
    }

    #[test]
    fn column_numbers() {
        assert!(is_column_numbers(&[
            Cell::Number(1.0),
            Cell::Number(2.0),
            Cell::Number(3.0)
        ]));
        assert!(is_column_numbers(&[
            t("(1)"),
            t("(2)"),
            Cell::Empty,
            t("(3)"),
            t("(4)")
        ]));
        assert!(is_column_numbers(&[t("A"), t("B"), t("1"), t("2")]));
        assert!(!is_column_numbers(&[
            Cell::Number(1.0),
            t("Nguyễn Văn An"),
            Cell::Number(1950.0)
        ]));
        assert!(!is_column_numbers(&[
            Cell::Number(1.0),
            Cell::Number(3.0),
            Cell::Number(2.0)
        ]));
        assert!(!is_column_numbers(&[Cell::Number(1.0), Cell::Number(2.0)]));
    }

    #[test]
    fn markers() {
        assert!(is_footer_marker(&fold("Tân Hòa, ngày 15 tháng 3 năm 2025")));
        assert!(is_footer_marker(&fold("Tân Hòa, ngày … tháng … năm 20…")));
        assert!(is_footer_marker(&fold("NGƯỜI LẬP BIỂU")));
        assert!(is_footer_marker(&fold("T/M BAN CHẤP HÀNH")));
        assert!(is_footer_marker(&fold("CHỦ TỊCH")));
        assert!(is_footer_marker(&fold("(Ký, ghi rõ họ tên)")));
        assert!(!is_footer_marker(&fold("Nguyễn Văn Tâm")));
        assert!(!is_footer_marker(&fold("Thôn 3")));
        assert!(is_total_marker(&fold("Tổng cộng")));
        assert!(is_total_marker(&fold("Cộng: 125 hội viên")));
        assert!(is_total_marker(&fold("TỔNG SỐ")));
        assert!(!is_total_marker(&fold("Tống Văn Cường")));
        assert!(!is_total_marker(&fold("Công an viên")));
    }

    #[test]
    fn footer_runs_to_the_end() {
        let ctx = RowContext {
            name_columns: vec![1],
            ordinal_column: Some(0),
        };
        let rows: Vec<Vec<Cell>> = vec![
            vec![Cell::Number(1.0), t("Nguyễn Văn An")],
            vec![Cell::Empty, Cell::Empty],
            vec![t("Tổng cộng"), t("Tổng cộng")],
            vec![Cell::Empty, t("Tân Hòa, ngày 15 tháng 3 năm 2025")],
            vec![Cell::Empty, t("Trần Thị Bình")],
        ];
        let refs: Vec<&[Cell]> = rows.iter().map(Vec::as_slice).collect();
        assert_eq!(
            classify_rows(&refs, &ctx),
            vec![
                None,
                Some(SkipReason::Blank),
                Some(SkipReason::Total),
                Some(SkipReason::Footer),
                Some(SkipReason::Footer)
            ]
        );
    }
}
