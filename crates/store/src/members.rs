//! The member register: add, update, change status (kept as history), yearly dues, tombstone
//! deletes. Card numbers are unique among the live members of one association (commune), with
//! tombstoned and merged-away records left out. Citizen IDs leave the store only masked.

use rusqlite::{Connection, OptionalExtension, Row, params};
use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;

use khuyenhoc_domain::Permission;

use khuyenhoc_domain::citizen_id::mask_citizen_id;
use khuyenhoc_domain::ids::{keyed_id, new_id};
use khuyenhoc_domain::member::{MemberFields, MemberInput, parse_date_field, validate_member};
use khuyenhoc_domain::text::{fold, name_sort_key};
use khuyenhoc_domain::{Dong, FieldError, Gender, MemberStatus, PartialDate, ValidationErrors};

use crate::error::{Result, StoreError};
use crate::open::Store;
use crate::org_units::{association_of, load_unit, subtree_ids, today};
use crate::write::{
    FieldChange, WriteTx, diff_fields, encode_changes, opt, parse_versions, upsert_keyed_row,
};

/// A member as shown to officers. The citizen ID is masked.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Member {
    pub id: Uuid,
    pub unit_id: Uuid,
    pub unit_name: String,
    pub full_name: String,
    pub gender: Option<Gender>,
    pub birth: Option<PartialDate>,
    pub phone: Option<String>,
    pub address: Option<String>,
    pub join_date: Option<PartialDate>,
    pub card_number: Option<String>,
    pub citizen_id_masked: Option<String>,
    pub note: Option<String>,
    pub status: MemberStatus,
    pub status_date: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct StatusEvent {
    pub status: MemberStatus,
    pub effective_date: Option<String>,
    pub note: Option<String>,
    pub version: String,
    pub author: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Dues {
    pub year: i32,
    pub amount: Dong,
    pub paid_on: Option<String>,
}

pub(crate) const MEMBER_COLUMNS: &str = "m.id, m.unit_id, coalesce(u.name, ''), m.full_name, m.gender, m.birth, m.phone, m.address, m.join_date, m.card_number, m.citizen_id, m.note, m.status, m.status_date";

pub(crate) fn member_from_row(r: &Row<'_>) -> rusqlite::Result<Member> {
    let id: String = r.get(0)?;
    let branch: String = r.get(1)?;
    let gender: Option<String> = r.get(4)?;
    let birth: Option<String> = r.get(5)?;
    let join: Option<String> = r.get(8)?;
    let citizen: Option<String> = r.get(10)?;
    let status: String = r.get(12)?;
    Ok(Member {
        id: Uuid::parse_str(&id).unwrap_or_default(),
        unit_id: Uuid::parse_str(&branch).unwrap_or_default(),
        unit_name: r.get(2)?,
        full_name: r.get(3)?,
        gender: gender.as_deref().and_then(Gender::from_code),
        birth: birth.as_deref().and_then(PartialDate::from_storage),
        phone: r.get(6)?,
        address: r.get(7)?,
        join_date: join.as_deref().and_then(PartialDate::from_storage),
        card_number: r.get(9)?,
        citizen_id_masked: citizen.as_deref().map(mask_citizen_id),
        note: r.get(11)?,
        status: MemberStatus::from_code(&status).unwrap_or(MemberStatus::Active),
        status_date: r.get(13)?,
    })
}

/// The synced fields of a member, in a fixed order, as JSON values.
pub(crate) fn member_values(branch: &Uuid, f: &MemberFields) -> Vec<(&'static str, Value)> {
    vec![
        ("unit_id", Value::String(branch.to_string())),
        ("full_name", Value::String(f.full_name.clone())),
        ("gender", opt(f.gender.map(Gender::code))),
        ("birth", opt(f.birth.map(|d| d.to_storage()))),
        ("phone", opt(f.phone.clone())),
        ("address", opt(f.address.clone())),
        ("join_date", opt(f.join_date.map(|d| d.to_storage()))),
        ("card_number", opt(f.card_number.clone())),
        ("citizen_id", opt(f.citizen_id.clone())),
        ("note", opt(f.note.clone())),
    ]
}

/// The derived search text: folded name, card number and phone.
pub(crate) fn search_text(full_name: &str, card: Option<&str>, phone: Option<&str>) -> String {
    search_text_from(fold(full_name), card, phone)
}

fn search_text_from(folded_name: String, card: Option<&str>, phone: Option<&str>) -> String {
    let mut s = folded_name;
    for extra in [card.map(fold), phone.map(str::to_owned)]
        .into_iter()
        .flatten()
    {
        s.push(' ');
        s.push_str(&extra);
    }
    s
}

/// What is derived from a new member's fields: search text, name-order key and (for bulk
/// imports, computed in parallel beforehand) the encoded fields of its `member.create` op.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Derived {
    pub search_text: String,
    pub sort_key: Vec<u8>,
    pub create_fields: Option<String>,
}

impl Derived {
    pub fn of(f: &MemberFields) -> Derived {
        let folded = fold(&f.full_name);
        Derived {
            search_text: search_text_from(folded, f.card_number.as_deref(), f.phone.as_deref()),
            sort_key: name_sort_key(&f.full_name),
            create_fields: None,
        }
    }

    /// Everything a bulk import needs ready before its write transaction.
    pub fn for_create(
        f: &MemberFields,
        folded_name: String,
        branch: &Uuid,
        status: MemberStatus,
    ) -> Derived {
        Derived {
            search_text: search_text_from(
                folded_name,
                f.card_number.as_deref(),
                f.phone.as_deref(),
            ),
            sort_key: name_sort_key(&f.full_name),
            create_fields: Some(encode_changes(&create_changes(branch, f, status)).0),
        }
    }
}

/// The fields of a `member.create` op: every present field, no bases.
fn create_changes(branch: &Uuid, f: &MemberFields, status: MemberStatus) -> Vec<FieldChange> {
    let mut changes: Vec<FieldChange> = member_values(branch, f)
        .into_iter()
        .filter(|(_, v)| !v.is_null())
        .map(|(k, v)| FieldChange::new(k, v, None))
        .collect();
    if status != MemberStatus::Active {
        changes.push(FieldChange::new("status", status.code(), None));
    }
    changes
}

/// How a new member row reaches the search index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Indexing {
    /// Index the row now.
    Now,
    /// The caller indexes a batch of rows at once with [`index_members_from`].
    Batch,
}

/// Adds the members with `rid > after` to the search index in one statement.
pub(crate) fn index_members_from(conn: &Connection, after: i64) -> Result<()> {
    conn.execute("INSERT INTO member_search (rowid, search_text) SELECT rid, search_text FROM members WHERE rid > ?1", [after])?;
    Ok(())
}

/// Inserts a member row and records its `member.create` op (all present fields, no bases).
/// Returns false, writing nothing, when a member with this id exists already.
pub(crate) fn insert_member(
    w: &mut WriteTx<'_>,
    id: &Uuid,
    branch: &Uuid,
    f: &MemberFields,
    derived: &Derived,
    status: MemberStatus,
    indexing: Indexing,
) -> Result<bool> {
    let stamp = w.stamp();
    let inserted = w
        .tx
        .prepare_cached(
            "INSERT INTO members (id, unit_id, full_name, gender, birth, phone, address, join_date, card_number, citizen_id, note, status, search_text, sort_key, created_version)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15) ON CONFLICT (id) DO NOTHING",
        )?
        .execute(params![
        id.to_string(),
        branch.to_string(),
        f.full_name,
        f.gender.map(Gender::code),
        f.birth.map(|d| d.to_storage()),
        f.phone,
        f.address,
        f.join_date.map(|d| d.to_storage()),
        f.card_number,
        f.citizen_id,
        f.note,
        status.code(),
        derived.search_text,
        derived.sort_key,
        stamp,
    ])?;
    if inserted == 0 {
        return Ok(false);
    }
    if indexing == Indexing::Now {
        w.tx.prepare_cached(
            "INSERT INTO member_search (rowid, search_text) VALUES (last_insert_rowid(), ?1)",
        )?
        .execute([&derived.search_text])?;
    }
    let row_id = id.to_string();
    match &derived.create_fields {
        Some(fields) => {
            w.record_encoded("member", &row_id, "member.create", fields, None, &stamp)?
        }
        None => w.record(
            "member",
            &row_id,
            "member.create",
            &create_changes(branch, f, status),
            &stamp,
        )?,
    }
    Ok(true)
}

/// A member row's field versions and creation version, read inside the write transaction.
fn member_versions(w: &WriteTx<'_>, id: &Uuid) -> Result<(serde_json::Map<String, Value>, String)> {
    let (versions, created): (String, String) = w.tx.query_row(
        "SELECT versions, created_version FROM members WHERE id = ?1",
        [id.to_string()],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    Ok((parse_versions(&versions), created))
}

/// A card number held by more than one live member of an association (after a merge).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CardClash {
    pub card_number: String,
    pub members: Vec<(Uuid, String)>,
}

/// Who holds `card` among the live members of the association `scope` (other than `except`).
pub(crate) fn card_holder(
    conn: &Connection,
    scope: &Uuid,
    card: &str,
    except: Option<&Uuid>,
) -> Result<Option<(Uuid, String)>> {
    let units = subtree_ids(conn, scope)?;
    let mut stmt = conn.prepare_cached(
        "SELECT id, full_name, unit_id FROM members
         WHERE card_number = ?1 COLLATE NOCASE AND deleted = 0 AND merged_into IS NULL AND id IS NOT ?2",
    )?;
    let rows: Vec<(String, String, String)> = stmt
        .query_map(params![card, except.map(|e| e.to_string())], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(rows
        .into_iter()
        .find(|(_, _, branch)| Uuid::parse_str(branch).is_ok_and(|b| units.contains(&b)))
        .map(|(id, name, _)| (Uuid::parse_str(&id).unwrap_or_default(), name)))
}

pub(crate) fn card_taken_error(card: &str, holder: &str) -> StoreError {
    StoreError::Invalid(ValidationErrors(vec![FieldError::new(
        "card_number",
        "card_number_taken",
        format!("Số thẻ hội viên \"{card}\" đã được cấp cho {holder} trong cùng hội."),
        "That card number is already used by a live member of the same association.",
    )]))
}

/// Moves the members attached directly to `from` to `to` (used by unit merges).
pub(crate) fn move_direct_members(w: &mut WriteTx<'_>, from: &Uuid, to: &Uuid) -> Result<()> {
    let ids: Vec<(String, String, String)> = {
        let mut stmt = w.tx.prepare(
            "SELECT id, versions, created_version FROM members WHERE unit_id = ?1 AND deleted = 0",
        )?;
        stmt.query_map([from.to_string()], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })?
        .collect::<rusqlite::Result<_>>()?
    };
    for (id, versions, created) in ids {
        let stamp = w.stamp();
        let old = [("unit_id", Value::String(from.to_string()))];
        let new = [("unit_id", Value::String(to.to_string()))];
        let (changes, versions) =
            diff_fields(&old, &new, &parse_versions(&versions), &created, &stamp);
        w.tx.execute(
            "UPDATE members SET unit_id = ?2, versions = ?3 WHERE id = ?1",
            params![id, to.to_string(), Value::Object(versions).to_string()],
        )?;
        w.record("member", &id, "member.move", &changes, &stamp)?;
    }
    Ok(())
}

fn check_branch(conn: &Connection, branch: &Uuid) -> Result<()> {
    let unit = load_unit(conn, branch)?;
    if !unit.is_open() {
        return Err(StoreError::rule(
            "unit_closed",
            format!(
                "Đơn vị \"{}\" đã giải thể hoặc sáp nhập; hãy chọn đơn vị đang hoạt động.",
                unit.name
            ),
            "the branch is closed or merged",
        ));
    }
    Ok(())
}

impl Store {
    pub fn add_member(&mut self, branch: &Uuid, input: &MemberInput) -> Result<Member> {
        let fields = validate_member(input, today())?;
        let id = new_id();
        let mut w = WriteTx::begin(self, Permission::EditMembers)?;
        check_branch(&w.tx, branch)?;
        if let Some(card) = &fields.card_number {
            let scope = association_of(&w.tx, branch)?;
            if let Some((_, holder)) = card_holder(&w.tx, &scope, card, None)? {
                return Err(card_taken_error(card, &holder));
            }
        }
        insert_member(
            &mut w,
            &id,
            branch,
            &fields,
            &Derived::of(&fields),
            MemberStatus::Active,
            Indexing::Now,
        )?;
        w.commit()?;
        self.get_member(&id)
    }

    pub fn get_member(&self, id: &Uuid) -> Result<Member> {
        self.require(khuyenhoc_domain::Permission::ReadMembers)?;
        self.conn
            .query_row(
                &format!("SELECT {MEMBER_COLUMNS} FROM members m LEFT JOIN org_units u ON u.id = m.unit_id WHERE m.id = ?1 AND m.deleted = 0"),
                [id.to_string()],
                member_from_row,
            )
            .optional()?
            .ok_or_else(|| StoreError::NotFound { entity: "member", reference: id.to_string() })
    }

    /// Card numbers held by more than one live member of the association at or above `unit`
    /// (two communes merged with overlapping numbering): the list officers renumber from.
    pub fn card_clashes(&self, unit: &Uuid) -> Result<Vec<CardClash>> {
        self.require(khuyenhoc_domain::Permission::ReadMembers)?;
        let scope = association_of(&self.conn, unit)?;
        let units: std::collections::HashSet<String> = subtree_ids(&self.conn, &scope)?
            .iter()
            .map(Uuid::to_string)
            .collect();
        let mut stmt = self.conn.prepare(
            "SELECT upper(card_number), id, full_name, unit_id FROM members
             WHERE card_number IS NOT NULL AND deleted = 0 AND merged_into IS NULL ORDER BY upper(card_number), sort_key",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
            ))
        })?;
        let mut clashes: Vec<CardClash> = Vec::new();
        for row in rows {
            let (card, id, name, branch) = row?;
            if !units.contains(&branch) {
                continue;
            }
            let id = Uuid::parse_str(&id).unwrap_or_default();
            match clashes.last_mut() {
                Some(c) if c.card_number == card => c.members.push((id, name)),
                _ => clashes.push(CardClash {
                    card_number: card,
                    members: vec![(id, name)],
                }),
            }
        }
        clashes.retain(|c| c.members.len() > 1);
        Ok(clashes)
    }

    /// Finds a member by id or by card number. A card number held in several associations
    /// is ambiguous: the id must be used then.
    pub fn find_member(&self, reference: &str) -> Result<Member> {
        self.require(khuyenhoc_domain::Permission::ReadMembers)?;
        let reference = reference.trim();
        if let Ok(id) = Uuid::parse_str(reference) {
            return self.get_member(&id);
        }
        let ids: Vec<String> = {
            let mut stmt = self.conn.prepare(
                "SELECT id FROM members WHERE card_number = ?1 COLLATE NOCASE AND deleted = 0 AND merged_into IS NULL LIMIT 2",
            )?;
            stmt.query_map([reference], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?
        };
        match ids.as_slice() {
            [id] => self.get_member(&Uuid::parse_str(id).unwrap_or_default()),
            [] => Err(StoreError::NotFound {
                entity: "member",
                reference: reference.to_owned(),
            }),
            _ => Err(StoreError::rule(
                "ambiguous_member",
                format!(
                    "Có nhiều hội viên mang số thẻ \"{reference}\" (ở các hội khác nhau); hãy dùng mã định danh (id) của hội viên."
                ),
                "several members hold that card number; use the member id",
            )),
        }
    }

    /// The member's editable fields as a form would show them (citizen ID included, for the
    /// owner of the record to edit; never printed by listings).
    pub fn member_input(&self, id: &Uuid) -> Result<(Uuid, MemberInput)> {
        self.require(khuyenhoc_domain::Permission::ReadMembers)?;
        self.conn
            .query_row(
                "SELECT unit_id, full_name, gender, birth, phone, address, join_date, card_number, citizen_id, note FROM members WHERE id = ?1 AND deleted = 0",
                [id.to_string()],
                |r| {
                    let branch: String = r.get(0)?;
                    let date = |v: Option<String>| v.and_then(|s| PartialDate::from_storage(&s)).map(|d| d.to_string());
                    Ok((
                        Uuid::parse_str(&branch).unwrap_or_default(),
                        MemberInput {
                            full_name: r.get(1)?,
                            gender: r.get::<_, Option<String>>(2)?.as_deref().and_then(Gender::from_code).map(|g| g.label_vi().to_owned()),
                            birth: date(r.get(3)?),
                            phone: r.get(4)?,
                            address: r.get(5)?,
                            join_date: date(r.get(6)?),
                            card_number: r.get(7)?,
                            citizen_id: r.get(8)?,
                            note: r.get(9)?,
                        },
                    ))
                },
            )
            .optional()?
            .ok_or_else(|| StoreError::NotFound { entity: "member", reference: id.to_string() })
    }

    /// Replaces a member's fields with `input` (and moves it to `branch` when given). Only the
    /// fields that really changed are written and sent.
    pub fn update_member(
        &mut self,
        id: &Uuid,
        input: &MemberInput,
        branch: Option<&Uuid>,
    ) -> Result<Member> {
        let fields = validate_member(input, today())?;
        let (current_branch, current) = self.member_input(id)?;
        let current = validate_member(&current, today()).map_err(StoreError::Invalid)?;
        let branch = *branch.unwrap_or(&current_branch);
        let mut w = WriteTx::begin(self, Permission::EditMembers)?;
        if branch != current_branch {
            check_branch(&w.tx, &branch)?;
        }
        // The card is checked when it, or the association it must be unique in, changes: a
        // merge of two communes may leave two members with one number, and that must not stop
        // either of them from being edited.
        if let Some(card) = &fields.card_number {
            let scope = association_of(&w.tx, &branch)?;
            let card_changed =
                current.card_number.as_deref().map(str::to_uppercase) != Some(card.to_uppercase());
            if (card_changed || scope != association_of(&w.tx, &current_branch)?)
                && let Some((_, holder)) = card_holder(&w.tx, &scope, card, Some(id))?
            {
                return Err(card_taken_error(card, &holder));
            }
        }
        let (versions, created) = member_versions(&w, id)?;
        let stamp = w.stamp();
        let (changes, versions) = diff_fields(
            &member_values(&current_branch, &current),
            &member_values(&branch, &fields),
            &versions,
            &created,
            &stamp,
        );
        if !changes.is_empty() {
            w.tx.execute(
                "UPDATE members SET unit_id = ?2, full_name = ?3, gender = ?4, birth = ?5, phone = ?6, address = ?7, join_date = ?8,
                        card_number = ?9, citizen_id = ?10, note = ?11, search_text = ?12, sort_key = ?13, versions = ?14 WHERE id = ?1",
                params![
                    id.to_string(),
                    branch.to_string(),
                    fields.full_name,
                    fields.gender.map(Gender::code),
                    fields.birth.map(|d| d.to_storage()),
                    fields.phone,
                    fields.address,
                    fields.join_date.map(|d| d.to_storage()),
                    fields.card_number,
                    fields.citizen_id,
                    fields.note,
                    search_text(&fields.full_name, fields.card_number.as_deref(), fields.phone.as_deref()),
                    name_sort_key(&fields.full_name),
                    Value::Object(versions).to_string(),
                ],
            )?;
            w.record("member", &id.to_string(), "member.update", &changes, &stamp)?;
        }
        w.commit()?;
        self.get_member(id)
    }

    /// Records a status change (moved away, left, died, or back to active) with its date.
    pub fn set_member_status(
        &mut self,
        id: &Uuid,
        status: MemberStatus,
        date: Option<&str>,
        note: Option<&str>,
    ) -> Result<Member> {
        let member = self.get_member(id)?;
        let date = match date.filter(|d| !d.trim().is_empty()) {
            Some(d) => Some(
                parse_date_field("status_date", d, today())
                    .map_err(|e| ValidationErrors(vec![e]))?,
            ),
            None => None,
        };
        let date = date.map(|d| d.to_storage());
        if member.status == status && member.status_date == date {
            return Ok(member);
        }
        let note = note.map(str::trim).filter(|n| !n.is_empty());
        let mut w = WriteTx::begin(self, Permission::EditMembers)?;
        let (versions, created) = member_versions(&w, id)?;
        let stamp = w.stamp();
        let old = [
            ("status", Value::from(member.status.code())),
            ("status_date", opt(member.status_date.clone())),
        ];
        let new = [
            ("status", Value::from(status.code())),
            ("status_date", opt(date.clone())),
        ];
        let (changes, versions) = diff_fields(&old, &new, &versions, &created, &stamp);
        w.tx.execute(
            "UPDATE members SET status = ?2, status_date = ?3, versions = ?4 WHERE id = ?1",
            params![
                id.to_string(),
                status.code(),
                date,
                Value::Object(versions).to_string()
            ],
        )?;
        w.record(
            "member",
            &id.to_string(),
            "member.set_status",
            &changes,
            &stamp,
        )?;
        let event_id = new_id().to_string();
        let event_stamp = w.stamp();
        let author = w.author().to_owned();
        w.tx.execute(
            "INSERT INTO member_status_events (id, member_id, status, effective_date, note, version, author) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![event_id, id.to_string(), status.code(), date, note, event_stamp, author],
        )?;
        let event_changes: Vec<FieldChange> = [
            FieldChange::new("member_id", id.to_string(), None),
            FieldChange::new("status", status.code(), None),
            FieldChange::new("effective_date", opt(date), None),
            FieldChange::new("note", opt(note), None),
        ]
        .into_iter()
        .filter(|c| !c.value.is_null())
        .collect();
        w.record(
            "member_status_event",
            &event_id,
            "member_status_event.create",
            &event_changes,
            &event_stamp,
        )?;
        w.commit()?;
        self.get_member(id)
    }

    pub fn member_status_history(&self, id: &Uuid) -> Result<Vec<StatusEvent>> {
        self.require(khuyenhoc_domain::Permission::ReadMembers)?;
        let mut stmt = self.conn.prepare(
            "SELECT status, effective_date, note, version, author FROM member_status_events WHERE member_id = ?1 ORDER BY version",
        )?;
        let events = stmt
            .query_map([id.to_string()], |r| {
                let status: String = r.get(0)?;
                Ok(StatusEvent {
                    status: MemberStatus::from_code(&status).unwrap_or(MemberStatus::Active),
                    effective_date: r.get(1)?,
                    note: r.get(2)?,
                    version: r.get(3)?,
                    author: r.get(4)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(events)
    }

    /// Records the dues (hội phí) a member paid for a year.
    pub fn set_dues(
        &mut self,
        id: &Uuid,
        year: i32,
        amount: Dong,
        paid_on: Option<&str>,
    ) -> Result<Dues> {
        self.get_member(id)?;
        let mut errors = Vec::new();
        if let Err(e) = khuyenhoc_domain::date::check_record_year(year) {
            errors.push(e);
        }
        if amount.0 < 0 {
            errors.push(FieldError::new(
                "amount",
                "negative_amount",
                "Số tiền hội phí không thể âm.",
                "The amount cannot be negative.",
            ));
        }
        let paid_on = match paid_on.filter(|p| !p.trim().is_empty()) {
            Some(p) => match parse_date_field("paid_on", p, today()) {
                Ok(d) => Some(d.to_storage()),
                Err(e) => {
                    errors.push(e);
                    None
                }
            },
            None => None,
        };
        if !errors.is_empty() {
            return Err(StoreError::Invalid(ValidationErrors(errors)));
        }
        let dues_id = keyed_id(&["dues", &id.to_string(), &year.to_string()]).to_string();
        let mut w = WriteTx::begin(self, Permission::EditMembers)?;
        upsert_keyed_row(
            &mut w,
            "member_dues",
            "member_dues",
            "member_dues.set",
            &dues_id,
            &[
                ("member_id", Value::String(id.to_string())),
                ("year", Value::from(year)),
            ],
            &[
                ("amount", Value::from(amount.0)),
                ("paid_on", opt(paid_on.clone())),
            ],
        )?;
        w.commit()?;
        Ok(Dues {
            year,
            amount,
            paid_on,
        })
    }

    pub fn member_dues(&self, id: &Uuid) -> Result<Vec<Dues>> {
        self.require(khuyenhoc_domain::Permission::ReadMembers)?;
        let mut stmt = self.conn.prepare("SELECT year, amount, paid_on FROM member_dues WHERE member_id = ?1 AND deleted = 0 ORDER BY year")?;
        let dues = stmt
            .query_map([id.to_string()], |r| {
                Ok(Dues {
                    year: r.get(0)?,
                    amount: Dong(r.get(1)?),
                    paid_on: r.get(2)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(dues)
    }

    /// Deletes a member record entered by mistake: a tombstone, synced like any change.
    /// (A member who leaves is a status change, not a delete.)
    pub fn delete_member(&mut self, id: &Uuid) -> Result<()> {
        self.get_member(id)?;
        let mut w = WriteTx::begin(self, Permission::EditMembers)?;
        let (versions, created) = member_versions(&w, id)?;
        let stamp = w.stamp();
        let (changes, versions) = diff_fields(
            &[("deleted", Value::Bool(false))],
            &[("deleted", Value::Bool(true))],
            &versions,
            &created,
            &stamp,
        );
        w.tx.execute(
            "UPDATE members SET deleted = 1, versions = ?2 WHERE id = ?1",
            params![id.to_string(), Value::Object(versions).to_string()],
        )?;
        w.record("member", &id.to_string(), "member.delete", &changes, &stamp)?;
        w.commit()
    }
}
