//! Listing and searching members. Lists are ordered by Vietnamese name order (tên, tên đệm,
//! họ) and paged by keyset (the sort key and row number of the last row), so page 2,000 is as
//! quick as page 1. Search ignores tone marks, treats đ as d and matches word prefixes in any
//! order. A rare query is answered from the FTS5 index and sorted; a very common one (e.g.
//! "nguyen", 40 % of names) walks the sort index and stops after one page of matches.

use rusqlite::types::Value as SqlValue;
use rusqlite::{Connection, params_from_iter};
use serde::Serialize;
use uuid::Uuid;

use khuyenhoc_domain::text::{matches_tokens, search_tokens};
use khuyenhoc_domain::{FieldError, MemberStatus, ValidationErrors};

use crate::error::{Result, StoreError};
use crate::members::{MEMBER_COLUMNS, Member, member_from_row};
use crate::open::Store;
use crate::org_units::subtree_ids;

/// Above this many FTS matches a query counts as common and walks the sort index instead.
const FTS_CANDIDATE_LIMIT: i64 = 2000;

/// A typed prefix that stands for at most this many indexed words is searched as those words
/// (FTS5 then reads their lists lazily and stops at the LIMIT); a shorter, vaguer prefix is
/// searched as a prefix, which FTS5 answers from its prefix index or by merging lists.
const MAX_EXPANDED_TERMS: usize = 16;

/// Builds the FTS5 query for the folded tokens: every token must match a word prefix.
/// Returns `None` when some token matches no word at all.
fn fts_query(conn: &Connection, tokens: &[String]) -> Result<Option<String>> {
    conn.execute_batch("CREATE VIRTUAL TABLE IF NOT EXISTS temp.member_search_terms USING fts5vocab(main, member_search, 'row')")?;
    let mut stmt = conn.prepare_cached(
        "SELECT term FROM temp.member_search_terms WHERE term >= ?1 AND term <= ?2 LIMIT ?3",
    )?;
    let mut groups = Vec::with_capacity(tokens.len());
    for t in tokens {
        let upper = format!("{t}\u{10ffff}");
        let terms: Vec<String> = stmt
            .query_map(
                rusqlite::params![t, upper, MAX_EXPANDED_TERMS as i64 + 1],
                |r| r.get(0),
            )?
            .collect::<rusqlite::Result<_>>()?;
        if terms.is_empty() {
            return Ok(None);
        }
        if terms.len() > MAX_EXPANDED_TERMS {
            groups.push(format!("\"{t}\"*"));
        } else {
            groups.push(format!(
                "({})",
                terms
                    .iter()
                    .map(|w| format!("\"{w}\""))
                    .collect::<Vec<_>>()
                    .join(" OR ")
            ));
        }
    }
    Ok(Some(groups.join(" AND ")))
}

/// What to list.
#[derive(Debug, Clone, Default)]
pub struct MemberQuery {
    /// Search text; empty lists everyone.
    pub text: Option<String>,
    /// Only members of this unit and the units below it.
    pub unit: Option<Uuid>,
    pub status: Option<MemberStatus>,
    pub limit: usize,
    /// The `next` cursor of the previous page.
    pub after: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct MemberPage {
    pub members: Vec<Member>,
    /// Pass as `after` to get the next page; `None` on the last page.
    pub next: Option<String>,
}

/// Counts for a unit's subtree: the dashboard's headline figures.
#[derive(Debug, Clone, Default, Serialize)]
pub struct MemberCounts {
    pub active: i64,
    pub moved_away: i64,
    pub left: i64,
    pub deceased: i64,
    pub total: i64,
}

struct Cursor {
    key: Vec<u8>,
    rid: i64,
}

fn encode_cursor(key: &[u8], rid: i64) -> String {
    let hex: String = key.iter().map(|b| format!("{b:02x}")).collect();
    format!("{hex}.{rid}")
}

fn decode_cursor(s: &str) -> Option<Cursor> {
    let (hex, rid) = s.split_once('.')?;
    if hex.len() % 2 != 0 {
        return None;
    }
    let key = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).ok())
        .collect::<Option<Vec<u8>>>()?;
    Some(Cursor {
        key,
        rid: rid.parse().ok()?,
    })
}

/// The WHERE clause shared by every listing: live rows, unit subtree, status, keyset position.
fn filters(
    conn: &Connection,
    q: &MemberQuery,
    cursor: Option<&Cursor>,
) -> Result<(String, Vec<SqlValue>)> {
    let mut sql = String::from("m.deleted = 0 AND m.merged_into IS NULL");
    let mut args: Vec<SqlValue> = Vec::new();
    if let Some(unit) = &q.unit {
        let ids = subtree_ids(conn, unit)?;
        sql.push_str(" AND m.unit_id IN (");
        sql.push_str(&vec!["?"; ids.len()].join(","));
        sql.push(')');
        args.extend(ids.iter().map(|i| SqlValue::Text(i.to_string())));
    }
    if let Some(status) = q.status {
        sql.push_str(" AND m.status = ?");
        args.push(SqlValue::Text(status.code().into()));
    }
    if let Some(c) = cursor {
        sql.push_str(" AND (m.sort_key, m.rid) > (?, ?)");
        args.push(SqlValue::Blob(c.key.clone()));
        args.push(SqlValue::Integer(c.rid));
    }
    Ok((sql, args))
}

impl Store {
    /// One page of members matching `q`, in name order.
    pub fn list_members(&self, q: &MemberQuery) -> Result<MemberPage> {
        self.require(khuyenhoc_domain::Permission::ReadMembers)?;
        let limit = if q.limit == 0 { 50 } else { q.limit.min(1000) };
        let cursor = match q.after.as_deref() {
            None => None,
            Some(text) => Some(decode_cursor(text).ok_or_else(|| {
                StoreError::Invalid(ValidationErrors(vec![FieldError::new(
                    "after",
                    "invalid_cursor",
                    "Vị trí trang tiếp theo không hợp lệ; hãy lấy lại danh sách từ đầu.",
                    "invalid page cursor",
                )]))
            })?),
        };
        let tokens = q.text.as_deref().map(search_tokens).unwrap_or_default();
        let (mut where_sql, mut args) = filters(&self.conn, q, cursor.as_ref())?;
        let mut scan_and_match = false;
        if !tokens.is_empty() {
            let Some(fts_query) = fts_query(&self.conn, &tokens)? else {
                return Ok(MemberPage {
                    members: Vec::new(),
                    next: None,
                });
            };
            let candidates: i64 = self.conn.query_row(
                "SELECT count(*) FROM (SELECT rowid FROM member_search WHERE member_search MATCH ?1 LIMIT ?2)",
                rusqlite::params![fts_query, FTS_CANDIDATE_LIMIT + 1],
                |r| r.get(0),
            )?;
            if candidates == 0 {
                return Ok(MemberPage {
                    members: Vec::new(),
                    next: None,
                });
            }
            if candidates <= FTS_CANDIDATE_LIMIT {
                where_sql.push_str(
                    " AND m.rid IN (SELECT rowid FROM member_search WHERE member_search MATCH ?)",
                );
                args.push(SqlValue::Text(fts_query));
            } else {
                scan_and_match = true;
            }
        }
        let mut rows: Vec<(Member, Vec<u8>, i64)> = Vec::with_capacity(limit + 1);
        if scan_and_match {
            // Walk the sort index; check each row's search text until a page is full.
            let sql = format!(
                "SELECT m.rid, m.search_text FROM members m WHERE {where_sql} ORDER BY m.sort_key, m.rid"
            );
            let mut stmt = self.conn.prepare_cached(&sql)?;
            let mut it = stmt.query(params_from_iter(args.iter()))?;
            let mut hits = Vec::with_capacity(limit + 1);
            while let Some(r) = it.next()? {
                let text: String = r.get(1)?;
                if matches_tokens(&text, &tokens) {
                    hits.push(r.get::<_, i64>(0)?);
                    if hits.len() > limit {
                        break;
                    }
                }
            }
            let mut detail = self.conn.prepare_cached(&format!(
                "SELECT {MEMBER_COLUMNS}, m.sort_key, m.rid FROM members m LEFT JOIN org_units u ON u.id = m.unit_id WHERE m.rid = ?1"
            ))?;
            for rid in hits {
                rows.push(
                    detail
                        .query_row([rid], |r| Ok((member_from_row(r)?, r.get(14)?, r.get(15)?)))?,
                );
            }
        } else {
            let sql = format!(
                "SELECT {MEMBER_COLUMNS}, m.sort_key, m.rid FROM members m LEFT JOIN org_units u ON u.id = m.unit_id
                 WHERE {where_sql} ORDER BY m.sort_key, m.rid LIMIT {}",
                limit + 1
            );
            let mut stmt = self.conn.prepare_cached(&sql)?;
            let found = stmt.query_map(params_from_iter(args.iter()), |r| {
                Ok((member_from_row(r)?, r.get(14)?, r.get(15)?))
            })?;
            for row in found {
                rows.push(row?);
            }
        }
        let next = if rows.len() > limit {
            rows.truncate(limit);
            rows.last().map(|(_, key, rid)| encode_cursor(key, *rid))
        } else {
            None
        };
        Ok(MemberPage {
            members: rows.into_iter().map(|(m, _, _)| m).collect(),
            next,
        })
    }

    /// Member counts by status in a unit's subtree (or everywhere).
    pub fn member_counts(&self, unit: Option<&Uuid>) -> Result<MemberCounts> {
        let q = MemberQuery {
            unit: unit.copied(),
            ..Default::default()
        };
        let (where_sql, args) = filters(&self.conn, &q, None)?;
        let mut stmt = self.conn.prepare(&format!(
            "SELECT m.status, count(*) FROM members m WHERE {where_sql} GROUP BY m.status"
        ))?;
        let mut counts = MemberCounts::default();
        let rows = stmt.query_map(params_from_iter(args.iter()), |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
        })?;
        for row in rows {
            let (status, n) = row?;
            match MemberStatus::from_code(&status) {
                Some(MemberStatus::Active) => counts.active += n,
                Some(MemberStatus::MovedAway) => counts.moved_away += n,
                Some(MemberStatus::Left) => counts.left += n,
                Some(MemberStatus::Deceased) => counts.deceased += n,
                None => {}
            }
            counts.total += n;
        }
        Ok(counts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip() {
        let c = decode_cursor(&encode_cursor(&[0, 1, 255, 16], 42)).unwrap();
        assert_eq!((c.key, c.rid), (vec![0, 1, 255, 16], 42));
        assert!(decode_cursor("zz.1").is_none());
    }
}
