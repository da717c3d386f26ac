//! Org units: create, rename, move, merge and close units of a tree with no fixed levels, keep
//! every change as history, and hold yearly denominators with their source.

use jiff::civil::Date;
use rusqlite::{Connection, OptionalExtension, Row, params};
use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;

use khuyenhoc_domain::Permission;

use khuyenhoc_domain::ids::{keyed_id, new_id};
use khuyenhoc_domain::org::{
    DenominatorKind, OrgUnitInput, parse_effective_date, validate_org_unit, validate_unit_name,
};
use khuyenhoc_domain::{FieldError, ValidationErrors, text::fold};

use crate::error::{Result, StoreError};
use crate::open::Store;
use crate::write::{FieldChange, WriteTx, diff_fields, opt, parse_versions, upsert_keyed_row};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OrgUnit {
    pub id: Uuid,
    pub parent_id: Option<Uuid>,
    pub kind: String,
    pub kind_name_vi: String,
    pub name: String,
    pub org_code: Option<String>,
    pub valid_from: Option<String>,
    pub valid_to: Option<String>,
    pub merged_into: Option<Uuid>,
    /// Depth in the tree (0 for a root), filled by [`Store::list_units`].
    pub depth: i64,
}

impl OrgUnit {
    pub fn is_open(&self) -> bool {
        self.valid_to.is_none()
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct UnitKind {
    pub code: String,
    pub name_vi: String,
    pub name_en: String,
    pub is_association: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct UnitEvent {
    pub event: String,
    pub effective_date: Option<String>,
    pub from_parent_id: Option<Uuid>,
    pub to_parent_id: Option<Uuid>,
    pub other_unit_id: Option<Uuid>,
    pub old_name: Option<String>,
    pub new_name: Option<String>,
    pub version: String,
    pub author: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Denominator {
    pub unit_id: Uuid,
    pub year: i32,
    pub kind: DenominatorKind,
    pub value: i64,
    pub source: Option<String>,
}

pub(crate) fn today() -> Date {
    jiff::Zoned::now().date()
}

fn uuid_col(r: &Row<'_>, i: usize) -> rusqlite::Result<Option<Uuid>> {
    let s: Option<String> = r.get(i)?;
    Ok(s.and_then(|s| Uuid::parse_str(&s).ok()))
}

const UNIT_COLUMNS: &str = "u.id, u.parent_id, u.kind, coalesce(k.name_vi, u.kind), u.name, u.org_code, u.valid_from, u.valid_to, u.merged_into";

fn unit_from_row(r: &Row<'_>) -> rusqlite::Result<OrgUnit> {
    Ok(OrgUnit {
        id: uuid_col(r, 0)?.unwrap_or_default(),
        parent_id: uuid_col(r, 1)?,
        kind: r.get(2)?,
        kind_name_vi: r.get(3)?,
        name: r.get(4)?,
        org_code: r.get(5)?,
        valid_from: r.get(6)?,
        valid_to: r.get(7)?,
        merged_into: uuid_col(r, 8)?,
        depth: 0,
    })
}

fn event(
    w: &mut WriteTx<'_>,
    unit: &Uuid,
    kind: &str,
    date: Option<Date>,
    parents: (Option<Uuid>, Option<Uuid>),
    other: Option<Uuid>,
    names: (Option<&str>, Option<&str>),
) -> Result<()> {
    let id = new_id().to_string();
    let stamp = w.stamp();
    let date = date.map(|d| d.to_string());
    let author = w.author().to_owned();
    w.tx.prepare_cached(
        "INSERT INTO org_unit_events (id, unit_id, event, effective_date, from_parent_id, to_parent_id, other_unit_id, old_name, new_name, version, author)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    )?
    .execute(params![
        id,
        unit.to_string(),
        kind,
        date,
        parents.0.map(|p| p.to_string()),
        parents.1.map(|p| p.to_string()),
        other.map(|o| o.to_string()),
        names.0,
        names.1,
        stamp,
        author
    ])?;
    let changes = [
        FieldChange::new("unit_id", unit.to_string(), None),
        FieldChange::new("event", kind, None),
        FieldChange::new("effective_date", opt(date), None),
        FieldChange::new(
            "from_parent_id",
            opt(parents.0.map(|p| p.to_string())),
            None,
        ),
        FieldChange::new("to_parent_id", opt(parents.1.map(|p| p.to_string())), None),
        FieldChange::new("other_unit_id", opt(other.map(|o| o.to_string())), None),
        FieldChange::new("old_name", opt(names.0), None),
        FieldChange::new("new_name", opt(names.1), None),
    ];
    let changes: Vec<_> = changes.into_iter().filter(|c| !c.value.is_null()).collect();
    w.record(
        "org_unit_event",
        &id,
        "org_unit_event.create",
        &changes,
        &stamp,
    )
}

/// A row's synced fields (as JSON values), its versions map and its creation version.
type RowState = (
    Vec<(&'static str, Value)>,
    serde_json::Map<String, Value>,
    String,
);

/// Reads the mutable fields of a unit with its versions, for a diffing update.
fn unit_state(w: &WriteTx<'_>, id: &Uuid) -> Result<RowState> {
    let row = w
        .tx
        .query_row(
            "SELECT parent_id, name, org_code, valid_to, merged_into, versions, created_version FROM org_units WHERE id = ?1 AND deleted = 0",
            [id.to_string()],
            |r| {
                Ok((
                    vec![
                        ("parent_id", opt(r.get::<_, Option<String>>(0)?)),
                        ("name", Value::String(r.get(1)?)),
                        ("org_code", opt(r.get::<_, Option<String>>(2)?)),
                        ("valid_to", opt(r.get::<_, Option<String>>(3)?)),
                        ("merged_into", opt(r.get::<_, Option<String>>(4)?)),
                    ],
                    r.get::<_, String>(5)?,
                    r.get::<_, String>(6)?,
                ))
            },
        )
        .optional()?
        .ok_or_else(|| StoreError::NotFound { entity: "org_unit", reference: id.to_string() })?;
    Ok((row.0, parse_versions(&row.1), row.2))
}

/// Writes changed fields of a unit and records one op with `intent`.
fn update_unit(
    w: &mut WriteTx<'_>,
    id: &Uuid,
    intent: &str,
    set: &[(&'static str, Value)],
) -> Result<()> {
    let (old, versions, created) = unit_state(w, id)?;
    let mut new = old.clone();
    for (field, value) in set {
        if let Some(slot) = new.iter_mut().find(|(f, _)| f == field) {
            slot.1 = value.clone();
        }
    }
    let stamp = w.stamp();
    let (changes, versions) = diff_fields(&old, &new, &versions, &created, &stamp);
    if changes.is_empty() {
        return Ok(());
    }
    let get = |f: &str| {
        new.iter()
            .find(|(n, _)| *n == f)
            .map(|(_, v)| v.as_str().map(str::to_owned))
            .unwrap_or(None)
    };
    w.tx.execute(
        "UPDATE org_units SET parent_id = ?2, name = ?3, org_code = ?4, valid_to = ?5, merged_into = ?6, versions = ?7 WHERE id = ?1",
        params![id.to_string(), get("parent_id"), get("name"), get("org_code"), get("valid_to"), get("merged_into"), Value::Object(versions).to_string()],
    )?;
    w.record("org_unit", &id.to_string(), intent, &changes, &stamp)
}

fn rule_closed(unit: &OrgUnit) -> StoreError {
    StoreError::rule(
        "unit_closed",
        format!(
            "Đơn vị \"{}\" đã giải thể hoặc sáp nhập từ {}; không thể thay đổi.",
            unit.name,
            unit.valid_to.as_deref().unwrap_or("?")
        ),
        "the unit is closed or merged",
    )
}

fn effective(date: Option<&str>) -> Result<Date> {
    match date.filter(|d| !d.trim().is_empty()) {
        Some(d) => parse_effective_date("effective_date", d, today())
            .map_err(|e| StoreError::Invalid(ValidationErrors(vec![e]))),
        None => Ok(today()),
    }
}

impl Store {
    pub fn unit_kinds(&self) -> Result<Vec<UnitKind>> {
        let mut stmt = self.conn.prepare("SELECT code, name_vi, name_en, is_association FROM org_unit_kinds ORDER BY is_association DESC, code")?;
        let kinds = stmt
            .query_map([], |r| {
                Ok(UnitKind {
                    code: r.get(0)?,
                    name_vi: r.get(1)?,
                    name_en: r.get(2)?,
                    is_association: r.get(3)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(kinds)
    }

    /// Adds a kind of unit (the tree's levels are data).
    pub fn add_unit_kind(&mut self, kind: &UnitKind) -> Result<()> {
        self.require(khuyenhoc_domain::Permission::EditUnits)?;
        let code = kind.code.trim();
        if code.is_empty() || !code.chars().all(|c| c.is_ascii_lowercase() || c == '_') {
            return Err(StoreError::Invalid(ValidationErrors(vec![
                FieldError::new(
                    "code",
                    "invalid_kind_code",
                    "Mã loại đơn vị chỉ gồm chữ thường không dấu và dấu gạch dưới.",
                    "A kind code holds only lowercase ASCII letters and underscores.",
                ),
            ])));
        }
        // A kind, once defined, is not redefined: whether it is an association decides where
        // card numbers must be unique. (Kinds are local settings; syncing them is for the sync issue.)
        let added = self.conn.execute(
            "INSERT OR IGNORE INTO org_unit_kinds (code, name_vi, name_en, is_association) VALUES (?1, ?2, ?3, ?4)",
            params![code, kind.name_vi, kind.name_en, kind.is_association],
        )?;
        if added == 0 {
            return Err(StoreError::rule(
                "unit_kind_exists",
                format!("Loại đơn vị \"{code}\" đã có."),
                "that unit kind exists already",
            ));
        }
        Ok(())
    }

    pub fn get_unit(&self, id: &Uuid) -> Result<OrgUnit> {
        load_unit(&self.conn, id)
    }

    /// Finds a unit by id, org code, or (folded) name when the name is unique.
    pub fn find_unit(&self, reference: &str) -> Result<OrgUnit> {
        let reference = reference.trim();
        if let Ok(id) = Uuid::parse_str(reference) {
            return self.get_unit(&id);
        }
        let by_code: Vec<OrgUnit> = {
            let mut stmt = self.conn.prepare(&format!(
                "SELECT {UNIT_COLUMNS} FROM org_units u LEFT JOIN org_unit_kinds k ON k.code = u.kind
                 WHERE u.org_code = ?1 AND u.deleted = 0 ORDER BY u.valid_to IS NOT NULL"
            ))?;
            stmt.query_map([reference], unit_from_row)?
                .collect::<rusqlite::Result<_>>()?
        };
        if let Some(u) = by_code.into_iter().next() {
            return Ok(u);
        }
        let wanted = fold(reference);
        let matches: Vec<OrgUnit> = self
            .list_units()?
            .into_iter()
            .filter(|u| u.is_open() && fold(&u.name) == wanted)
            .collect();
        match matches.len() {
            1 => Ok(matches.into_iter().next().expect("one")),
            0 => Err(StoreError::NotFound {
                entity: "org_unit",
                reference: reference.to_owned(),
            }),
            n => Err(StoreError::rule(
                "ambiguous_unit",
                format!(
                    "Có {n} đơn vị tên \"{reference}\"; hãy dùng mã đơn vị hoặc mã định danh (id)."
                ),
                "several units have that name; use the org code or id",
            )),
        }
    }

    /// All units in tree order (parents before children, siblings by Vietnamese collation).
    pub fn list_units(&self) -> Result<Vec<OrgUnit>> {
        let mut stmt = self.conn.prepare(&format!(
            "SELECT {UNIT_COLUMNS} FROM org_units u LEFT JOIN org_unit_kinds k ON k.code = u.kind WHERE u.deleted = 0"
        ))?;
        let all: Vec<OrgUnit> = stmt
            .query_map([], unit_from_row)?
            .collect::<rusqlite::Result<_>>()?;
        let ids: std::collections::HashSet<Uuid> = all.iter().map(|u| u.id).collect();
        let mut out = Vec::with_capacity(all.len());
        fn visit(
            parent: Option<Uuid>,
            depth: i64,
            all: &[OrgUnit],
            ids: &std::collections::HashSet<Uuid>,
            out: &mut Vec<OrgUnit>,
        ) {
            let mut children: Vec<&OrgUnit> = all
                .iter()
                .filter(|u| match parent {
                    None => u.parent_id.is_none_or(|p| !ids.contains(&p)),
                    Some(p) => u.parent_id == Some(p),
                })
                .collect();
            children.sort_by(|a, b| {
                (!a.is_open())
                    .cmp(&!b.is_open())
                    .then_with(|| khuyenhoc_domain::text::collate(&a.name, &b.name))
            });
            for c in children {
                out.push(OrgUnit { depth, ..c.clone() });
                visit(Some(c.id), depth + 1, all, ids, out);
            }
        }
        visit(None, 0, &all, &ids, &mut out);
        Ok(out)
    }

    /// The unit and all units below it.
    pub fn subtree_ids(&self, root: &Uuid) -> Result<Vec<Uuid>> {
        subtree_ids(&self.conn, root)
    }

    /// The nearest association (Hội) at or above `unit`: the scope of card numbers.
    pub fn association_of(&self, unit: &Uuid) -> Result<Uuid> {
        association_of(&self.conn, unit)
    }

    pub fn create_unit(&mut self, parent: Option<&Uuid>, input: &OrgUnitInput) -> Result<OrgUnit> {
        let mut w = WriteTx::begin(self, Permission::EditUnits)?;
        let id = create_unit_in(&mut w, parent, input)?;
        w.commit()?;
        self.get_unit(&id)
    }

    pub fn rename_unit(&mut self, id: &Uuid, name: &str, date: Option<&str>) -> Result<OrgUnit> {
        let mut w = WriteTx::begin(self, Permission::EditUnits)?;
        let unit = load_unit(&w.tx, id)?;
        if !unit.is_open() {
            return Err(rule_closed(&unit));
        }
        let name = validate_unit_name(name).map_err(|e| ValidationErrors(vec![e]))?;
        let date = effective(date)?;
        if name == unit.name {
            return Ok(unit);
        }
        update_unit(
            &mut w,
            id,
            "org_unit.rename",
            &[("name", Value::String(name.clone()))],
        )?;
        event(
            &mut w,
            id,
            "rename",
            Some(date),
            (None, None),
            None,
            (Some(&unit.name), Some(&name)),
        )?;
        w.commit()?;
        self.get_unit(id)
    }

    /// Sets or clears a unit's org code.
    pub fn set_org_code(&mut self, id: &Uuid, code: Option<&str>) -> Result<OrgUnit> {
        let mut w = WriteTx::begin(self, Permission::EditUnits)?;
        let unit = load_unit(&w.tx, id)?;
        let probe = OrgUnitInput {
            name: unit.name.clone(),
            kind: unit.kind.clone(),
            org_code: code.map(str::to_owned),
            valid_from: None,
        };
        let fields = validate_org_unit(&probe, today())?;
        check_org_code(&w.tx, fields.org_code.as_deref(), Some(id))?;
        update_unit(
            &mut w,
            id,
            "org_unit.update",
            &[("org_code", opt(fields.org_code))],
        )?;
        w.commit()?;
        self.get_unit(id)
    }

    /// Moves a unit (with everything below it) under another parent.
    pub fn move_unit(
        &mut self,
        id: &Uuid,
        new_parent: &Uuid,
        date: Option<&str>,
    ) -> Result<OrgUnit> {
        let mut w = WriteTx::begin(self, Permission::EditUnits)?;
        let unit = load_unit(&w.tx, id)?;
        let parent = load_unit(&w.tx, new_parent)?;
        if !unit.is_open() {
            return Err(rule_closed(&unit));
        }
        if !parent.is_open() {
            return Err(rule_closed(&parent));
        }
        if subtree_ids(&w.tx, id)?.contains(new_parent) {
            return Err(StoreError::rule(
                "move_into_own_subtree",
                format!(
                    "Không thể chuyển \"{}\" vào \"{}\" vì đó là đơn vị trực thuộc của chính nó.",
                    unit.name, parent.name
                ),
                "cannot move a unit under itself or one of its own sub-units",
            ));
        }
        let date = effective(date)?;
        if unit.parent_id == Some(*new_parent) {
            return Ok(unit);
        }
        update_unit(
            &mut w,
            id,
            "org_unit.move",
            &[("parent_id", Value::String(new_parent.to_string()))],
        )?;
        event(
            &mut w,
            id,
            "move",
            Some(date),
            (unit.parent_id, Some(*new_parent)),
            None,
            (None, None),
        )?;
        w.commit()?;
        self.get_unit(id)
    }

    /// Merges `sources` into `target` (e.g. communes merged by the 2025 reform): each source is
    /// closed on `date` and points at its successor, its sub-units move under the target, and
    /// members attached directly to it move to the target. History keeps all of it.
    pub fn merge_units(
        &mut self,
        sources: &[Uuid],
        target: &Uuid,
        date: Option<&str>,
    ) -> Result<OrgUnit> {
        let mut w = WriteTx::begin(self, Permission::EditUnits)?;
        let target_unit = load_unit(&w.tx, target)?;
        if !target_unit.is_open() {
            return Err(rule_closed(&target_unit));
        }
        let date = effective(date)?;
        let mut source_units = Vec::new();
        for s in sources {
            let unit = load_unit(&w.tx, s)?;
            if !unit.is_open() {
                return Err(rule_closed(&unit));
            }
            if s == target || subtree_ids(&w.tx, s)?.contains(target) {
                return Err(StoreError::rule(
                    "merge_into_own_subtree",
                    format!(
                        "Không thể sáp nhập \"{}\" vào chính nó hoặc vào đơn vị trực thuộc của nó.",
                        unit.name
                    ),
                    "cannot merge a unit into itself or its own sub-unit",
                ));
            }
            source_units.push(unit);
        }
        let children: Vec<Vec<Uuid>> = sources
            .iter()
            .map(|s| -> Result<Vec<Uuid>> {
                let mut stmt = w.tx.prepare("SELECT id FROM org_units WHERE parent_id = ?1 AND deleted = 0 AND valid_to IS NULL")?;
                let ids: Vec<String> = stmt.query_map([s.to_string()], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?;
                Ok(ids.iter().filter_map(|i| Uuid::parse_str(i).ok()).collect())
            })
            .collect::<Result<_>>()?;
        let day = date.to_string();
        for (unit, kids) in source_units.iter().zip(&children) {
            for child in kids {
                update_unit(
                    &mut w,
                    child,
                    "org_unit.move",
                    &[("parent_id", Value::String(target.to_string()))],
                )?;
                event(
                    &mut w,
                    child,
                    "move",
                    Some(date),
                    (Some(unit.id), Some(*target)),
                    None,
                    (None, None),
                )?;
            }
            crate::members::move_direct_members(&mut w, &unit.id, target)?;
            update_unit(
                &mut w,
                &unit.id,
                "org_unit.merge",
                &[
                    ("valid_to", Value::String(day.clone())),
                    ("merged_into", Value::String(target.to_string())),
                ],
            )?;
            event(
                &mut w,
                &unit.id,
                "merge",
                Some(date),
                (None, None),
                Some(*target),
                (None, None),
            )?;
            event(
                &mut w,
                target,
                "absorb",
                Some(date),
                (None, None),
                Some(unit.id),
                (None, None),
            )?;
        }
        w.commit()?;
        self.get_unit(target)
    }

    /// Closes (dissolves) a unit that has no open sub-units and no active members left.
    pub fn close_unit(&mut self, id: &Uuid, date: Option<&str>) -> Result<OrgUnit> {
        let mut w = WriteTx::begin(self, Permission::EditUnits)?;
        let unit = load_unit(&w.tx, id)?;
        if !unit.is_open() {
            return Err(rule_closed(&unit));
        }
        let (kids, members): (i64, i64) = w.tx.query_row(
            "SELECT (SELECT count(*) FROM org_units WHERE parent_id = ?1 AND deleted = 0 AND valid_to IS NULL),
                    (SELECT count(*) FROM members WHERE unit_id = ?1 AND deleted = 0 AND merged_into IS NULL AND status = 'active')",
            [id.to_string()],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        if kids > 0 || members > 0 {
            return Err(StoreError::rule(
                "unit_not_empty",
                format!(
                    "Đơn vị \"{}\" còn {kids} đơn vị trực thuộc và {members} hội viên đang sinh hoạt; hãy chuyển hoặc sáp nhập trước khi giải thể.",
                    unit.name
                ),
                "the unit still has open sub-units or active members",
            ));
        }
        let date = effective(date)?;
        update_unit(
            &mut w,
            id,
            "org_unit.close",
            &[("valid_to", Value::String(date.to_string()))],
        )?;
        event(
            &mut w,
            id,
            "close",
            Some(date),
            (None, None),
            None,
            (None, None),
        )?;
        w.commit()?;
        self.get_unit(id)
    }

    pub fn unit_history(&self, id: &Uuid) -> Result<Vec<UnitEvent>> {
        let mut stmt = self.conn.prepare(
            "SELECT event, effective_date, from_parent_id, to_parent_id, other_unit_id, old_name, new_name, version, author
             FROM org_unit_events WHERE unit_id = ?1 ORDER BY version",
        )?;
        let events = stmt
            .query_map([id.to_string()], |r| {
                Ok(UnitEvent {
                    event: r.get(0)?,
                    effective_date: r.get(1)?,
                    from_parent_id: uuid_col(r, 2)?,
                    to_parent_id: uuid_col(r, 3)?,
                    other_unit_id: uuid_col(r, 4)?,
                    old_name: r.get(5)?,
                    new_name: r.get(6)?,
                    version: r.get(7)?,
                    author: r.get(8)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(events)
    }

    /// Sets a unit's denominator for a year (replacing an earlier figure, which stays in the op log).
    pub fn set_denominator(
        &mut self,
        unit: &Uuid,
        year: i32,
        kind: DenominatorKind,
        value: i64,
        source: Option<&str>,
    ) -> Result<Denominator> {
        Ok(self
            .set_denominators(unit, year, &[(kind, value)], source)?
            .remove(0))
    }

    /// Sets several of a unit's denominators for a year, all in one transaction.
    pub fn set_denominators(
        &mut self,
        unit: &Uuid,
        year: i32,
        values: &[(DenominatorKind, i64)],
        source: Option<&str>,
    ) -> Result<Vec<Denominator>> {
        let mut w = WriteTx::begin(self, Permission::EditUnits)?;
        load_unit(&w.tx, unit)?;
        let set = values
            .iter()
            .map(|(kind, value)| write_denominator(&mut w, unit, year, *kind, *value, source))
            .collect::<Result<Vec<_>>>()?;
        w.commit()?;
        Ok(set)
    }
}

/// Writes one yearly figure inside `w`, recording an op only when something changed.
fn write_denominator(
    w: &mut WriteTx<'_>,
    unit: &Uuid,
    year: i32,
    kind: DenominatorKind,
    value: i64,
    source: Option<&str>,
) -> Result<Denominator> {
    let mut errors = Vec::new();
    if let Err(e) = khuyenhoc_domain::date::check_record_year(year) {
        errors.push(e);
    }
    if value < 0 {
        errors.push(FieldError::new(
            "value",
            "negative",
            format!("{} không thể là số âm.", kind.label_vi()),
            "value is negative",
        ));
    }
    if !errors.is_empty() {
        return Err(StoreError::Invalid(ValidationErrors(errors)));
    }
    let source = source
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned);
    let id = keyed_id(&[
        "denominator",
        &unit.to_string(),
        &year.to_string(),
        kind.code(),
    ]);
    upsert_keyed_row(
        w,
        "unit_denominators",
        "unit_denominator",
        "unit_denominator.set",
        &id.to_string(),
        &[
            ("unit_id", Value::String(unit.to_string())),
            ("year", Value::from(year)),
            ("kind", Value::from(kind.code())),
        ],
        &[
            ("value", Value::from(value)),
            ("source", opt(source.clone())),
        ],
    )?;
    Ok(Denominator {
        unit_id: *unit,
        year,
        kind,
        value,
        source,
    })
}

impl Store {
    pub fn denominators(&self, unit: &Uuid, year: Option<i32>) -> Result<Vec<Denominator>> {
        let mut stmt = self.conn.prepare(
            "SELECT year, kind, value, source FROM unit_denominators WHERE unit_id = ?1 AND deleted = 0 AND (?2 IS NULL OR year = ?2) ORDER BY year, kind",
        )?;
        let rows = stmt
            .query_map(params![unit.to_string(), year], |r| {
                let kind: String = r.get(1)?;
                Ok((
                    r.get::<_, i32>(0)?,
                    kind,
                    r.get::<_, i64>(2)?,
                    r.get::<_, Option<String>>(3)?,
                ))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows
            .into_iter()
            .filter_map(|(year, kind, value, source)| {
                DenominatorKind::from_code(&kind).map(|kind| Denominator {
                    unit_id: *unit,
                    year,
                    kind,
                    value,
                    source,
                })
            })
            .collect())
    }
}

/// Refuses an org code another open unit already has.
fn check_org_code(conn: &Connection, code: Option<&str>, except: Option<&Uuid>) -> Result<()> {
    let Some(code) = code else { return Ok(()) };
    let taken: Option<String> = conn
        .query_row(
            "SELECT name FROM org_units WHERE org_code = ?1 AND deleted = 0 AND valid_to IS NULL AND id IS NOT ?2",
            params![code, except.map(|e| e.to_string())],
            |r| r.get(0),
        )
        .optional()?;
    match taken {
        Some(name) => Err(StoreError::Invalid(ValidationErrors(vec![
            FieldError::new(
                "org_code",
                "org_code_taken",
                format!("Mã đơn vị \"{code}\" đã được dùng cho \"{name}\"."),
                "That org code is already used by another open unit.",
            ),
        ]))),
        None => Ok(()),
    }
}

/// A unit by id (open or closed), on any connection or transaction.
pub(crate) fn load_unit(conn: &Connection, id: &Uuid) -> Result<OrgUnit> {
    conn.query_row(
        &format!("SELECT {UNIT_COLUMNS} FROM org_units u LEFT JOIN org_unit_kinds k ON k.code = u.kind WHERE u.id = ?1 AND u.deleted = 0"),
        [id.to_string()],
        unit_from_row,
    )
    .optional()?
    .ok_or_else(|| StoreError::NotFound { entity: "org_unit", reference: id.to_string() })
}

pub(crate) fn subtree_ids(conn: &rusqlite::Connection, root: &Uuid) -> Result<Vec<Uuid>> {
    let mut stmt = conn.prepare_cached(
        "WITH RECURSIVE down(id) AS (SELECT ?1 UNION SELECT o.id FROM org_units o JOIN down ON o.parent_id = down.id WHERE o.deleted = 0)
         SELECT id FROM down",
    )?;
    let ids: Vec<String> = stmt
        .query_map([root.to_string()], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(ids.iter().filter_map(|i| Uuid::parse_str(i).ok()).collect())
}

pub(crate) fn association_of(conn: &rusqlite::Connection, unit: &Uuid) -> Result<Uuid> {
    let mut stmt = conn.prepare_cached(
        "WITH RECURSIVE up(id, parent_id, kind, depth) AS (
             SELECT id, parent_id, kind, 0 FROM org_units WHERE id = ?1
             UNION ALL
             SELECT o.id, o.parent_id, o.kind, up.depth + 1 FROM org_units o JOIN up ON o.id = up.parent_id WHERE up.depth < 64)
         SELECT up.id, coalesce(k.is_association, 0) FROM up LEFT JOIN org_unit_kinds k ON k.code = up.kind ORDER BY up.depth",
    )?;
    let chain: Vec<(String, bool)> = stmt
        .query_map([unit.to_string()], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    let pick = chain.iter().find(|(_, assoc)| *assoc).or(chain.last());
    pick.and_then(|(id, _)| Uuid::parse_str(id).ok())
        .ok_or_else(|| StoreError::NotFound {
            entity: "org_unit",
            reference: unit.to_string(),
        })
}

/// Creates a unit inside a write transaction (also used by the first-run setup).
pub(crate) fn create_unit_in(
    w: &mut WriteTx<'_>,
    parent: Option<&Uuid>,
    input: &OrgUnitInput,
) -> Result<Uuid> {
    let fields = validate_org_unit(input, today())?;
    if let Some(p) = parent {
        let parent_unit = load_unit(&w.tx, p)?;
        if !parent_unit.is_open() {
            return Err(rule_closed(&parent_unit));
        }
    }
    check_org_code(&w.tx, fields.org_code.as_deref(), None)?;
    let known: bool = w.tx.query_row(
        "SELECT count(*) FROM org_unit_kinds WHERE code = ?1",
        [&fields.kind],
        |r| r.get::<_, i64>(0),
    )? > 0;
    if !known {
        return Err(StoreError::NotFound {
            entity: "unit_kind",
            reference: fields.kind,
        });
    }
    let id = new_id();
    let stamp = w.stamp();
    let valid_from = fields.valid_from.map(|d| d.to_string());
    w.tx.execute(
        "INSERT INTO org_units (id, parent_id, kind, name, org_code, valid_from, created_version) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![id.to_string(), parent.map(|p| p.to_string()), fields.kind, fields.name, fields.org_code, valid_from, stamp],
    )?;
    let changes: Vec<FieldChange> = [
        FieldChange::new("parent_id", opt(parent.map(|p| p.to_string())), None),
        FieldChange::new("kind", fields.kind.clone(), None),
        FieldChange::new("name", fields.name.clone(), None),
        FieldChange::new("org_code", opt(fields.org_code.clone()), None),
        FieldChange::new("valid_from", opt(valid_from.clone()), None),
    ]
    .into_iter()
    .filter(|c| !c.value.is_null())
    .collect();
    w.record(
        "org_unit",
        &id.to_string(),
        "org_unit.create",
        &changes,
        &stamp,
    )?;
    event(
        w,
        &id,
        "create",
        fields.valid_from,
        (None, parent.copied()),
        None,
        (None, Some(&fields.name)),
    )?;
    Ok(id)
}
