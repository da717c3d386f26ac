//! Importing member lists from real commune files. [`Store::preview_import`] reads the file
//! (through `khuyenhoc-sheet`), validates every row and says what would happen — rows
//! understood, per-row errors with their row numbers, people already present — without
//! writing. [`Store::commit_import`] then writes it all in one transaction, with progress.
//!
//! Imported members get deterministic ids (UUIDv5 of commune + card number, else name + birth
//! + branch), so the same file imported twice, or on two laptops, yields the same people.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use rayon::prelude::*;
use serde::Serialize;
use uuid::Uuid;

use khuyenhoc_domain::Permission;

use khuyenhoc_domain::ids::imported_member_id;
use khuyenhoc_domain::member::{MemberFields, MemberInput, validate_member};
use khuyenhoc_domain::phone::phone_from_number;
use khuyenhoc_domain::text::fold;
use khuyenhoc_domain::{MemberStatus, PartialDate};
use khuyenhoc_sheet::{Cell, Column, ReadOptions, SheetRow, SkippedRow, SourceFormat};

use crate::error::{Result, StoreError};
use crate::members::{Derived, Indexing, index_members_from, insert_member};
use crate::open::Store;
use crate::org_units::{association_of, today};
use crate::write::WriteTx;

#[derive(Debug, Clone, Serialize)]
pub struct ImportColumn {
    pub index: usize,
    pub header: String,
    pub field: Option<Column>,
}

/// One row that will be (or already is) in the register.
#[derive(Debug, Clone, Serialize)]
pub struct ImportRow {
    pub row_number: usize,
    pub id: Uuid,
    pub(crate) unit_id: Uuid,
    pub full_name: String,
    pub birth: Option<String>,
    pub card_number: Option<String>,
    /// The person is in the register already; the row adds nobody.
    pub already_present: bool,
    /// What will be written; read-only (the op and derived columns were computed from it).
    #[serde(skip)]
    pub(crate) fields: MemberFields,
    #[serde(skip)]
    pub(crate) derived: Derived,
    #[serde(skip)]
    pub(crate) status: MemberStatus,
}

impl ImportRow {
    /// The unit the member goes to (fixed at preview: the op was encoded with it).
    pub fn unit_id(&self) -> Uuid {
        self.unit_id
    }
}

/// What every row is read against; the work per row does not depend on other rows, so rows
/// are parsed on all cores.
struct RowContext<'a> {
    today: jiff::civil::Date,
    target: Uuid,
    target_name: &'a str,
    commune: Uuid,
    by_name: &'a HashMap<String, Vec<Uuid>>,
}

/// A row that passed every check of its own.
struct ValidRow {
    id: Uuid,
    branch: Uuid,
    status: MemberStatus,
    fields: MemberFields,
    folded: String,
    derived: Derived,
    already_present: bool,
}

impl RowContext<'_> {
    fn parse(&self, row: &SheetRow) -> Result<ValidRow, Vec<RowError>> {
        let n = row.row_number;
        let (input, branch_text, status_text) = row_input(row);
        let mut errors = Vec::new();
        let branch = match branch_text {
            None => Some(self.target),
            Some(b) => {
                match name_keys(&b).iter().find_map(|k| self.by_name.get(k)) {
                    Some(ids) if ids.len() == 1 => Some(ids[0]),
                    Some(_) => {
                        errors.push(row_error(
                            n,
                            Some("branch"),
                            "ambiguous_branch",
                            format!("Dòng {n}: có nhiều chi hội tên \"{b}\"."),
                            "ambiguous branch",
                        ));
                        None
                    }
                    None => {
                        errors.push(row_error(
                        n,
                        Some("branch"),
                        "unknown_branch",
                        format!("Dòng {n}: chưa có chi hội \"{b}\" trong {}; hãy tạo chi hội trước.", self.target_name),
                        "unknown branch",
                    ));
                        None
                    }
                }
            }
        };
        let status = match status_text {
            None => Some(MemberStatus::Active),
            Some(s) => {
                let status = MemberStatus::parse(&s);
                if status.is_none() {
                    errors.push(row_error(
                        n,
                        Some("status"),
                        "invalid_status",
                        format!("Dòng {n}: Tình trạng \"{s}\" không rõ (đang sinh hoạt / chuyển đi / thôi / từ trần)."),
                        "unknown status",
                    ));
                }
                status
            }
        };
        let fields = match validate_member(&input, self.today) {
            Ok(f) => Some(f),
            Err(e) => {
                errors.extend(e.0.into_iter().map(|f| {
                    row_error(
                        n,
                        Some(f.field),
                        f.code,
                        format!("Dòng {n}: {}", f.message_vi),
                        &f.message_en,
                    )
                }));
                None
            }
        };
        let (Some(branch), Some(status), Some(fields)) = (branch, status, fields) else {
            return Err(errors);
        };
        let folded = fold(&fields.full_name);
        let birth = fields.birth.map(|d| d.to_storage());
        let id = imported_member_id(
            &self.commune,
            fields.card_number.as_deref(),
            &folded,
            birth.as_deref(),
            &branch,
        );
        let derived = Derived::for_create(&fields, folded.clone(), &branch, status);
        Ok(ValidRow {
            id,
            branch,
            status,
            fields,
            folded,
            derived,
            already_present: false,
        })
    }
}

/// A problem with one row, naming the row (as numbered in Excel) and the field.
#[derive(Debug, Clone, Serialize)]
pub struct RowError {
    pub row_number: usize,
    pub field: Option<String>,
    pub code: String,
    pub message_vi: String,
    pub message_en: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ImportPreview {
    pub file: String,
    pub format: SourceFormat,
    pub sheet_name: Option<String>,
    /// "Unicode", "TCVN3 (ABC)" or "VNI-Windows": what the file's text was converted from.
    pub encoding: String,
    pub header_rows: Vec<usize>,
    pub columns: Vec<ImportColumn>,
    pub target_unit: Uuid,
    pub rows: Vec<ImportRow>,
    pub errors: Vec<RowError>,
    pub skipped: Vec<SkippedRow>,
    pub new_members: usize,
    pub already_present: usize,
}

#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    pub sheet: ReadOptions,
}

#[derive(Debug, Clone, Copy, Default)]
pub struct CommitOptions {
    /// Write the valid rows even though other rows have errors.
    pub skip_invalid: bool,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct ImportOutcome {
    pub added: usize,
    pub already_present: usize,
    pub skipped_invalid: usize,
}

fn cell_text(cell: &Cell) -> Option<String> {
    match cell {
        Cell::Empty => None,
        Cell::Text(s) => Some(s.trim().to_owned()).filter(|s| !s.is_empty()),
        Cell::Number(n) if n.fract() == 0.0 => Some(format!("{}", *n as i64)),
        Cell::Number(n) => Some(n.to_string()),
        Cell::Date { year, month, day } => Some(format!("{year:04}-{month:02}-{day:02}")),
        Cell::Bool(b) => Some(b.to_string()),
    }
}

/// A date cell: a real date, a serial number or a year number, or text for the parser.
fn date_text(cell: &Cell) -> Option<String> {
    match cell {
        Cell::Number(n) => Some(
            PartialDate::from_number(*n)
                .map(|d| d.to_storage())
                .unwrap_or_else(|_| n.to_string()),
        ),
        other => cell_text(other),
    }
}

fn row_input(row: &SheetRow) -> (MemberInput, Option<String>, Option<String>) {
    let text = |c: Column| row.get(c).and_then(cell_text);
    let full_name = text(Column::FullName).unwrap_or_else(|| {
        [text(Column::FamilyAndMiddle), text(Column::GivenName)]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ")
    });
    let mut gender = text(Column::Gender);
    let mut birth = row.get(Column::BirthDate).and_then(date_text);
    for (column, label) in [
        (Column::BirthYearMale, "Nam"),
        (Column::BirthYearFemale, "Nữ"),
    ] {
        if let Some(v) = row.get(column).and_then(date_text) {
            birth.get_or_insert(v);
            gender.get_or_insert_with(|| label.to_owned());
        }
    }
    let phone = row.get(Column::Phone).and_then(|c| match c {
        Cell::Number(n) => phone_from_number(*n).or_else(|| cell_text(c)),
        other => cell_text(other),
    });
    let input = MemberInput {
        full_name,
        gender,
        birth,
        phone,
        address: text(Column::Address),
        join_date: row.get(Column::JoinDate).and_then(date_text),
        card_number: text(Column::CardNumber),
        citizen_id: text(Column::CitizenId),
        note: text(Column::Note),
    };
    (input, text(Column::Branch), text(Column::Status))
}

/// Folded names of a unit, with and without the words that name its kind.
fn name_keys(name: &str) -> Vec<String> {
    let folded = fold(name);
    let mut keys = vec![folded.clone()];
    for prefix in [
        "chi hoi khuyen hoc ",
        "chi hoi ",
        "to khuyen hoc ",
        "to ",
        "ban khuyen hoc ",
        "ban ",
    ] {
        if let Some(rest) = folded.strip_prefix(prefix) {
            keys.push(rest.to_owned());
            break;
        }
    }
    keys
}

fn row_error(row_number: usize, field: Option<&str>, code: &str, vi: String, en: &str) -> RowError {
    RowError {
        row_number,
        field: field.map(str::to_owned),
        code: code.to_owned(),
        message_vi: vi,
        message_en: en.to_owned(),
    }
}

impl Store {
    /// Reads `path` and plans the import into `target` (a branch, or a commune when the file
    /// names each row's branch). Writes nothing.
    pub fn preview_import(
        &self,
        path: &Path,
        target: &Uuid,
        opts: &ImportOptions,
    ) -> Result<ImportPreview> {
        let target_unit = self.get_unit(target)?;
        if !target_unit.is_open() {
            return Err(StoreError::rule(
                "unit_closed",
                format!("Đơn vị \"{}\" đã giải thể hoặc sáp nhập.", target_unit.name),
                "the unit is closed",
            ));
        }
        let sheet = khuyenhoc_sheet::read_path(path, &opts.sheet)?;
        let commune = association_of(&self.conn, target)?;
        let units: Vec<_> = {
            let ids = self.subtree_ids(&commune)?;
            self.list_units()?
                .into_iter()
                .filter(|u| u.is_open() && ids.contains(&u.id))
                .collect()
        };
        let mut by_name: HashMap<String, Vec<Uuid>> = HashMap::new();
        for u in &units {
            for key in name_keys(&u.name) {
                by_name.entry(key).or_default().push(u.id);
            }
        }
        // Live members of the commune: cards, and (name, birth, branch) for likely duplicates.
        let mut cards: HashMap<String, (Uuid, String, Option<String>)> = HashMap::new();
        let mut people: HashSet<(String, Option<String>, Uuid)> = HashSet::new();
        let mut existing_ids: HashSet<Uuid> = HashSet::new();
        let mut deleted_ids: HashSet<Uuid> = HashSet::new();
        {
            let unit_ids: HashSet<String> = units.iter().map(|u| u.id.to_string()).collect();
            let mut stmt = self.conn.prepare("SELECT id, unit_id, full_name, birth, card_number, deleted, merged_into FROM members")?;
            let mut rows = stmt.query([])?;
            while let Some(r) = rows.next()? {
                let id: String = r.get(0)?;
                let branch: String = r.get(1)?;
                let deleted = r.get::<_, i64>(5)? != 0;
                let live = !deleted && r.get::<_, Option<String>>(6)?.is_none();
                if live && unit_ids.contains(&branch) {
                    let name: String = r.get(2)?;
                    if let Some(card) = r.get::<_, Option<String>>(4)? {
                        cards.insert(
                            card.to_uppercase(),
                            (
                                Uuid::parse_str(&id).unwrap_or_default(),
                                name.clone(),
                                r.get(3)?,
                            ),
                        );
                    }
                    if let Ok(branch) = Uuid::parse_str(&branch) {
                        people.insert((fold(&name), r.get(3)?, branch));
                    }
                }
                if let Ok(id) = Uuid::parse_str(&id) {
                    if deleted {
                        deleted_ids.insert(id)
                    } else {
                        existing_ids.insert(id)
                    };
                }
            }
        }
        let today = today();
        // The pure work of each row (reading, validating, folding, collation keys) runs on all
        // cores; what depends on earlier rows (duplicates) follows in file order.
        let ctx = RowContext {
            today,
            target: *target,
            target_name: &target_unit.name,
            commune,
            by_name: &by_name,
        };
        let parsed: Vec<(usize, Result<ValidRow, Vec<RowError>>)> = sheet
            .rows
            .par_iter()
            .map(|row| (row.row_number, ctx.parse(row)))
            .collect();
        let mut rows = Vec::with_capacity(sheet.rows.len());
        let mut errors = Vec::new();
        let mut seen_cards: HashMap<String, usize> = HashMap::new();
        let mut seen_ids: HashMap<Uuid, usize> = HashMap::new();
        for (n, parsed) in parsed {
            let mut row = match parsed {
                Ok(row) => row,
                Err(row_errors) => {
                    errors.extend(row_errors);
                    continue;
                }
            };
            let birth = row.fields.birth.map(|d| d.to_storage());
            if let Some(card) = &row.fields.card_number {
                let key = card.to_uppercase();
                if let Some(first) = seen_cards.insert(key.clone(), n) {
                    errors.push(row_error(
                        n,
                        Some("card_number"),
                        "duplicate_card_in_file",
                        format!("Dòng {n}: số thẻ \"{card}\" trùng với dòng {first}."),
                        "card number repeated in the file",
                    ));
                    continue;
                }
                if let Some((holder_id, holder, holder_birth)) = cards.get(&key) {
                    // The card's holder is this same person (e.g. an exported list imported
                    // back): nothing to add. Anyone else holding it is an error.
                    let same_person = fold(holder) == row.folded
                        && (birth.is_none() || holder_birth.is_none() || *holder_birth == birth);
                    if !same_person {
                        errors.push(row_error(
                            n,
                            Some("card_number"),
                            "card_number_taken",
                            format!("Dòng {n}: số thẻ \"{card}\" đã được cấp cho {holder}."),
                            "card number already used in the association",
                        ));
                        continue;
                    }
                    row.id = *holder_id;
                    row.already_present = true;
                }
            } else if !people.is_empty()
                && people.contains(&(row.folded.clone(), birth, row.branch))
            {
                row.already_present = true;
            }
            if let Some(first) = seen_ids.insert(row.id, n) {
                errors.push(row_error(
                    n,
                    None,
                    "duplicate_row",
                    format!("Dòng {n} trùng với dòng {first} (cùng người)."),
                    "duplicate of an earlier row",
                ));
                continue;
            }
            if deleted_ids.contains(&row.id) {
                errors.push(row_error(
                    n,
                    None,
                    "member_deleted",
                    format!("Dòng {n}: {} đã bị xóa khỏi sổ trước đây nên không được nhập lại; nếu cần, hãy thêm lại bằng tay.", row.fields.full_name),
                    "this person's record was deleted; it is not imported again",
                ));
                continue;
            }
            row.already_present |= existing_ids.contains(&row.id);
            rows.push(ImportRow {
                row_number: n,
                id: row.id,
                unit_id: row.branch,
                full_name: row.fields.full_name.clone(),
                birth: row.fields.birth.map(|d| d.to_string()),
                card_number: row.fields.card_number.clone(),
                already_present: row.already_present,
                fields: row.fields,
                derived: row.derived,
                status: row.status,
            });
        }
        let already_present = rows.iter().filter(|r| r.already_present).count();
        Ok(ImportPreview {
            file: path
                .file_name()
                .map(|f| f.to_string_lossy().into_owned())
                .unwrap_or_default(),
            format: sheet.format,
            sheet_name: sheet.sheet_name,
            encoding: sheet.encoding.label().to_owned(),
            header_rows: sheet.header_rows,
            columns: sheet
                .columns
                .into_iter()
                .map(|c| ImportColumn {
                    index: c.index,
                    header: c.header,
                    field: c.column,
                })
                .collect(),
            target_unit: *target,
            new_members: rows.len() - already_present,
            already_present,
            rows,
            errors,
            skipped: sheet.skipped,
        })
    }

    /// Writes a previewed import in one transaction: all of it, or (on any failure, a full
    /// disk, a killed process) none of it. `progress(done, total)` is called as rows are written.
    pub fn commit_import(
        &mut self,
        preview: &ImportPreview,
        opts: CommitOptions,
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<ImportOutcome> {
        if !preview.errors.is_empty() && !opts.skip_invalid {
            let mut rows: Vec<usize> = preview.errors.iter().map(|e| e.row_number).collect();
            rows.dedup();
            let shown: Vec<String> = rows.iter().take(20).map(usize::to_string).collect();
            let more = if rows.len() > 20 { ", …" } else { "" };
            return Err(StoreError::rule(
                "import_has_errors",
                format!(
                    "Tệp còn {} dòng lỗi (dòng {}{more}); chưa nhập gì. Hãy sửa tệp, hoặc chọn bỏ qua các dòng lỗi.",
                    rows.len(),
                    shown.join(", ")
                ),
                "the file has row errors; nothing was imported",
            ));
        }
        let commune = association_of(&self.conn, &preview.target_unit)?;
        let total = preview.rows.len();
        let invalid_rows: HashSet<usize> = preview.errors.iter().map(|e| e.row_number).collect();
        let mut outcome = ImportOutcome {
            skipped_invalid: invalid_rows.len(),
            ..Default::default()
        };
        let mut w = WriteTx::begin(self, Permission::EditMembers)?;
        // Re-read what another process may have written since the preview.
        let scope_units: HashSet<String> = crate::org_units::subtree_ids(&w.tx, &commune)?
            .iter()
            .map(Uuid::to_string)
            .collect();
        let mut cards: HashSet<String> = HashSet::new();
        {
            let mut stmt = w.tx.prepare("SELECT unit_id, card_number FROM members WHERE card_number IS NOT NULL AND deleted = 0 AND merged_into IS NULL")?;
            let mut rows = stmt.query([])?;
            while let Some(r) = rows.next()? {
                if scope_units.contains(&r.get::<_, String>(0)?) {
                    cards.insert(r.get::<_, String>(1)?.to_uppercase());
                }
            }
        }
        let last_rid: i64 =
            w.tx.query_row("SELECT coalesce(max(rid), 0) FROM members", [], |r| {
                r.get(0)
            })?;
        for (i, row) in preview.rows.iter().enumerate() {
            if row.already_present {
                outcome.already_present += 1;
            } else {
                if let Some(card) = &row.fields.card_number
                    && !cards.insert(card.to_uppercase())
                    && !w
                        .tx
                        .prepare_cached("SELECT 1 FROM members WHERE id = ?1")?
                        .exists([row.id.to_string()])?
                {
                    return Err(StoreError::rule(
                        "card_number_taken",
                        format!(
                            "Dòng {}: số thẻ \"{card}\" vừa được cấp cho người khác; chưa nhập gì, hãy xem lại tệp.",
                            row.row_number
                        ),
                        "a card number was taken since the preview; nothing was imported",
                    ));
                }
                // A row another process imported since the preview is already present.
                if insert_member(
                    &mut w,
                    &row.id,
                    &row.unit_id,
                    &row.fields,
                    &row.derived,
                    row.status,
                    Indexing::Batch,
                )? {
                    outcome.added += 1;
                } else {
                    outcome.already_present += 1;
                }
            }
            if (i + 1) % 1000 == 0 || i + 1 == total {
                progress(i + 1, total);
            }
        }
        index_members_from(&w.tx, last_rid)?;
        w.commit()?;
        tracing::info!(
            added = outcome.added,
            already_present = outcome.already_present,
            "import committed"
        );
        Ok(outcome)
    }
}
