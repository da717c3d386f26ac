//! Likely duplicate members (two officers added the same person on two laptops while offline)
//! and merging them: the survivor takes the details it lacks from the other record, and the
//! other record points at it (`merged_into`), so it leaves the lists but keeps its history, and
//! an edit that still reaches it lands on the survivor (here and on the server).

use std::collections::HashMap;

use rusqlite::{OptionalExtension, params};
use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;

use khuyenhoc_domain::Permission;
use khuyenhoc_domain::text::fold;

use crate::error::{Result, StoreError};
use crate::members::{MEMBER_COLUMNS, Member, member_from_row};
use crate::open::Store;
use crate::sync_review::write_fields;
use crate::write::WriteTx;

/// Why two records look like one person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DuplicateReason {
    SameCard,
    SameNameAndBirth,
    SameNameAndPhone,
}

/// Records that look like one person, oldest first.
#[derive(Debug, Clone, Serialize)]
pub struct DuplicateGroup {
    pub reason: DuplicateReason,
    pub members: Vec<Member>,
}

/// The fields a survivor takes from the merged record when it has none of its own.
const FILLED_FROM_OTHER: &[&str] = &[
    "gender",
    "birth",
    "phone",
    "address",
    "join_date",
    "card_number",
    "citizen_id",
    "note",
];

impl Store {
    /// Active records that look like one person: the same card number, or the same name
    /// (ignoring tone marks and case) with the same date of birth or phone. At most `limit`
    /// groups.
    pub fn likely_duplicates(&self, limit: usize) -> Result<Vec<DuplicateGroup>> {
        self.require(Permission::ReadMembers)?;
        let mut stmt = self.conn.prepare(&format!(
            "SELECT {MEMBER_COLUMNS} FROM members m LEFT JOIN org_units u ON u.id = m.unit_id
             WHERE m.deleted = 0 AND m.merged_into IS NULL ORDER BY m.created_version"
        ))?;
        let members: Vec<Member> = stmt
            .query_map([], member_from_row)?
            .collect::<rusqlite::Result<_>>()?;
        let mut groups: HashMap<(DuplicateReason, String), Vec<usize>> = HashMap::new();
        for (i, m) in members.iter().enumerate() {
            let name = fold(&m.full_name);
            let mut keys = Vec::new();
            if let Some(card) = &m.card_number {
                keys.push((DuplicateReason::SameCard, card.to_uppercase()));
            }
            if let Some(birth) = &m.birth {
                let key = format!("{name}|{}", birth.to_storage());
                keys.push((DuplicateReason::SameNameAndBirth, key));
            }
            if let Some(phone) = &m.phone {
                keys.push((DuplicateReason::SameNameAndPhone, format!("{name}|{phone}")));
            }
            for key in keys {
                groups.entry(key).or_default().push(i);
            }
        }
        // One group per set of records, under its strongest reason.
        let mut found: Vec<(DuplicateReason, Vec<usize>)> = groups
            .into_iter()
            .filter(|(_, ids)| ids.len() > 1)
            .map(|((reason, _), ids)| (reason, ids))
            .collect();
        found.sort_by(|a, b| a.1.cmp(&b.1).then(a.0.cmp(&b.0)));
        found.dedup_by(|later, first| later.1 == first.1);
        Ok(found
            .into_iter()
            .take(limit)
            .map(|(reason, ids)| DuplicateGroup {
                reason,
                members: ids.into_iter().map(|i| members[i].clone()).collect(),
            })
            .collect())
    }

    /// Merges `other` into `survivor`: the survivor takes each detail it lacks from `other`,
    /// and `other` points at the survivor. Both are sent like any edit. One transaction.
    pub fn merge_members(&mut self, survivor: &Uuid, other: &Uuid) -> Result<Member> {
        if survivor == other {
            return Err(StoreError::rule(
                "merge_same_member",
                "Hãy chọn hai hội viên khác nhau để gộp.",
                "a member cannot be merged into itself",
            ));
        }
        let mut w = WriteTx::begin(self, Permission::EditMembers)?;
        let survivor_row = raw_fields(&w, survivor)?;
        let other_row = raw_fields(&w, other)?;
        let mut fill = Vec::new();
        let mut clear = Vec::new();
        for (field, (mine, theirs)) in FILLED_FROM_OTHER
            .iter()
            .zip(survivor_row.iter().zip(&other_row))
        {
            if mine.is_null() && !theirs.is_null() {
                fill.push((*field, theirs.clone()));
                if *field == "card_number" {
                    // One card, one holder.
                    clear.push((*field, Value::Null));
                }
            }
        }
        let survivor_text = survivor.to_string();
        if !fill.is_empty() {
            let other_text = other.to_string();
            if !clear.is_empty() {
                write_fields(&mut w, "member", &other_text, &clear)?;
            }
            write_fields(&mut w, "member", &survivor_text, &fill)?;
        }
        write_fields(
            &mut w,
            "member",
            &other.to_string(),
            &[("merged_into", Value::String(survivor_text))],
        )?;
        w.commit()?;
        tracing::info!("merged two member records");
        self.get_member(survivor)
    }
}

/// The mergeable fields of an active record, as JSON values (in [`FILLED_FROM_OTHER`] order).
fn raw_fields(w: &WriteTx<'_>, id: &Uuid) -> Result<Vec<Value>> {
    let columns = FILLED_FROM_OTHER.join(", ");
    w.tx.query_row(
        &format!(
            "SELECT {columns} FROM members WHERE id = ?1 AND deleted = 0 AND merged_into IS NULL"
        ),
        params![id.to_string()],
        |r| {
            (0..FILLED_FROM_OTHER.len())
                .map(|i| {
                    Ok(match r.get::<_, rusqlite::types::Value>(i)? {
                        rusqlite::types::Value::Null => Value::Null,
                        rusqlite::types::Value::Integer(n) => Value::from(n),
                        rusqlite::types::Value::Real(x) => Value::from(x),
                        rusqlite::types::Value::Text(t) => Value::String(t),
                        rusqlite::types::Value::Blob(_) => Value::Null,
                    })
                })
                .collect()
        },
    )
    .optional()?
    .ok_or_else(|| StoreError::NotFound {
        entity: "member",
        reference: id.to_string(),
    })
}
