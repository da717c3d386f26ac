//! Exporting the member register to `.xlsx` (or `.csv`) with Vietnamese headers, in name
//! order. Citizen ID numbers are left out unless asked for.

use std::path::Path;

use rusqlite::params_from_iter;
use uuid::Uuid;

use khuyenhoc_domain::{Gender, MemberStatus, PartialDate};
use khuyenhoc_sheet::{ExportCell, ExportTable};

use crate::error::Result;
use crate::open::Store;
use crate::org_units::subtree_ids;

#[derive(Debug, Clone, Default)]
pub struct ExportOptions {
    pub unit: Option<Uuid>,
    pub status: Option<MemberStatus>,
    pub include_citizen_id: bool,
}

fn date_cell(v: Option<String>) -> ExportCell {
    match v.as_deref().and_then(PartialDate::from_storage) {
        Some(PartialDate::Date(d)) => ExportCell::Date {
            year: d.year() as i32,
            month: d.month() as u8,
            day: d.day() as u8,
        },
        Some(PartialDate::Year(y)) => ExportCell::Integer(i64::from(y)),
        None => ExportCell::Empty,
    }
}

fn text_cell(v: Option<String>) -> ExportCell {
    v.map_or(ExportCell::Empty, ExportCell::Text)
}

impl Store {
    /// Writes the members selected by `opts` to `path`; returns how many.
    pub fn export_members(&self, path: &Path, opts: &ExportOptions) -> Result<usize> {
        self.require(khuyenhoc_domain::Permission::ReadMembers)?;
        let mut sql = String::from(
            "SELECT m.full_name, m.gender, m.birth, m.phone, m.address, coalesce(u.name, ''), m.join_date, m.card_number, m.status, m.note, m.citizen_id
             FROM members m LEFT JOIN org_units u ON u.id = m.unit_id WHERE m.deleted = 0 AND m.merged_into IS NULL",
        );
        let mut args: Vec<String> = Vec::new();
        if let Some(unit) = &opts.unit {
            let ids = subtree_ids(&self.conn, unit)?;
            sql.push_str(&format!(
                " AND m.unit_id IN ({})",
                vec!["?"; ids.len()].join(",")
            ));
            args.extend(ids.iter().map(Uuid::to_string));
        }
        if let Some(status) = opts.status {
            sql.push_str(" AND m.status = ?");
            args.push(status.code().to_owned());
        }
        sql.push_str(" ORDER BY m.sort_key, m.rid");
        let mut headers: Vec<String> = [
            "STT",
            "Họ và tên",
            "Giới tính",
            "Ngày sinh",
            "Số điện thoại",
            "Địa chỉ",
            "Chi hội",
            "Ngày vào hội",
            "Số thẻ hội viên",
            "Tình trạng",
            "Ghi chú",
        ]
        .map(str::to_owned)
        .to_vec();
        if opts.include_citizen_id {
            headers.push("Số CCCD".to_owned());
        }
        let mut stmt = self.conn.prepare(&sql)?;
        let mut rows = Vec::new();
        let mut it = stmt.query(params_from_iter(args.iter()))?;
        while let Some(r) = it.next()? {
            let gender: Option<String> = r.get(1)?;
            let status: String = r.get(8)?;
            let mut row = vec![
                ExportCell::Integer(rows.len() as i64 + 1),
                ExportCell::Text(r.get(0)?),
                text_cell(
                    gender
                        .as_deref()
                        .and_then(Gender::from_code)
                        .map(|g| g.label_vi().to_owned()),
                ),
                date_cell(r.get(2)?),
                text_cell(r.get(3)?),
                text_cell(r.get(4)?),
                ExportCell::Text(r.get(5)?),
                date_cell(r.get(6)?),
                text_cell(r.get(7)?),
                ExportCell::Text(
                    MemberStatus::from_code(&status)
                        .map_or(status.clone(), |s| s.label_vi().to_owned()),
                ),
                text_cell(r.get(9)?),
            ];
            if opts.include_citizen_id {
                row.push(text_cell(r.get(10)?));
            }
            rows.push(row);
        }
        let title = match &opts.unit {
            Some(u) => format!(
                "DANH SÁCH HỘI VIÊN — {}",
                self.get_unit(u)?.name.to_uppercase()
            ),
            None => "DANH SÁCH HỘI VIÊN".to_owned(),
        };
        let count = rows.len();
        let table = ExportTable {
            title: Some(title),
            sheet_name: "Hội viên".to_owned(),
            headers,
            rows,
        };
        let is_csv = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("csv"));
        if is_csv {
            khuyenhoc_sheet::write_csv(path, &table)?;
        } else {
            khuyenhoc_sheet::write_xlsx(path, &table)?;
        }
        Ok(count)
    }
}
