//! What moves with others in a PostgreSQL push ([`super`]): the rows that follow a row the
//! batch created or moved, the members and open sub-units of a unit it merged away (its heirs),
//! and the successor rules (`storage::successors`) read from what the batch knows.

use std::collections::{BTreeMap, HashMap};
use std::convert::Infallible;

use khuyenhoc_sync_protocol::{MergeOutcome, Op};

use super::{Known, Writes, load_rows, query, to_json, to_rows};
use crate::storage::StorageResult;
use crate::storage::postgres_sync::Tx;
use crate::storage::sync_rules as rules;
use crate::storage::{scopes, successors};

/// The unit the org unit `id` was merged into, as the batch knows it.
pub(super) fn unit_merged_into(known: &Known, id: &str) -> Option<String> {
    known
        .rows
        .get(&("org_unit".to_owned(), id.to_owned()))
        .and_then(|r| successors::merged_into(&r.state))
}

/// Whether the op merges its unit into one merged into it meanwhile
/// ([`successors::closes_a_loop`]; the units the batch merges into were read with it).
pub(super) fn closes_a_loop(known: &Known, op: &Op, merged: &MergeOutcome) -> bool {
    let Some(survivor) = successors::merged_away(op, merged) else {
        return false;
    };
    let Ok(closes) = successors::closes_a_loop::<Infallible>(&op.row_id, &survivor, |id| {
        Ok(unit_merged_into(known, id))
    });
    closes
}

/// The op's row goes to the successor of the unit it was put in, when that unit was merged away
/// ([`successors::follow_successor`]; the units and their successors were read with the batch).
pub(super) fn follow_successor(known: &Known, op: &Op, merged: &mut MergeOutcome) {
    let Some(unit) = successors::linked_unit(op, merged).map(str::to_owned) else {
        return;
    };
    let Ok(to) = successors::successor::<Infallible>(&unit, |id| Ok(unit_merged_into(known, id)));
    if let Some(to) = to {
        successors::follow_successor(op, merged, &to);
    }
}

/// Reads the stored rows that follow any of `leaders` (by id) into what the batch knows; what
/// the batch decided stands over what was stored.
async fn read_followers(tx: &Tx<'_>, known: &mut Known, leaders: &[&str]) -> StorageResult<()> {
    let stored = query(
        tx,
        "SELECT entity, row_id, state, scope_unit, scope_parent FROM sync_rows
         WHERE scope_parent = ANY($1)",
        &[&leaders],
    )
    .await?;
    for (key, row) in to_rows(stored)? {
        known.rows.entry(key).or_insert(row);
    }
    Ok(())
}

/// Moves the rows that follow the batch's created or moved rows (and those that follow them)
/// to where their leaders lie at the end of the batch (a branch moved twice in one push takes
/// its members to where it ended), each logged as a move; after the batch is decided, reading
/// the followers the batch did not touch.
pub(super) async fn take_followers(
    tx: &Tx<'_>,
    known: &mut Known,
    writes: &mut Writes,
) -> StorageResult<()> {
    let mut leaders = std::mem::take(&mut writes.leaders);
    while !leaders.is_empty() {
        // One turn per leader, by the last op that moved it.
        let mut by_key: HashMap<(String, String), (String, String)> = HashMap::new();
        for (key, op_id, author) in leaders {
            by_key.insert(key, (op_id, author));
        }
        let ids: Vec<&str> = by_key.keys().map(|k| k.1.as_str()).collect();
        read_followers(tx, known, &ids).await?;
        let mut followers: HashMap<&str, Vec<(String, String)>> = HashMap::new();
        for (key, row) in &known.rows {
            if let Some(parent) = &row.parent {
                followers
                    .entry(parent.as_str())
                    .or_default()
                    .push(key.clone());
            }
        }
        let mut moves = Vec::new();
        for (leader, (op_id, author)) in &by_key {
            let scope = known.rows[leader].scope;
            for key in followers.get(leader.1.as_str()).into_iter().flatten() {
                moves.push((key.clone(), scope, op_id.clone(), author.clone()));
            }
        }
        leaders = Vec::new();
        for (key, scope, op_id, author) in moves {
            let row = known.rows.get_mut(&key).expect("a follower read above");
            if row.scope == scope {
                continue;
            }
            let from = std::mem::replace(&mut row.scope, scope);
            row.dirty = true;
            writes.moved(
                (&key.0, &key.1),
                (from, scope),
                &row.state,
                (&op_id, &author),
            );
            if scopes::may_lead(&key.0) {
                leaders.push((key, op_id, author));
            }
        }
    }
    Ok(())
}

/// The members and open sub-units still in the units the batch merged away go to the survivors
/// ([`successors::heir`]), each logged as a change of its link, or as a move (its own followers
/// then taken by [`take_followers`]) when the survivor lies in another scope.
pub(super) async fn take_heirs(
    tx: &Tx<'_>,
    known: &mut Known,
    writes: &mut Writes,
) -> StorageResult<()> {
    let heirs = std::mem::take(&mut writes.heirs);
    let units: Vec<&str> = heirs.iter().map(|h| h.unit.as_str()).collect();
    read_followers(tx, known, &units).await?;
    // The survivors, and the units they were merged into meanwhile, a few merges deep.
    let mut wanted: Vec<String> = heirs.iter().map(|h| h.survivor.clone()).collect();
    for _ in 0..=rules::MAX_REDIRECTS {
        let keys: Vec<(String, String)> = wanted
            .iter()
            .map(|id| ("org_unit".to_owned(), id.clone()))
            .filter(|key| !known.rows.contains_key(key))
            .collect();
        for (key, row) in to_rows(load_rows(tx, &keys).await?)? {
            known.rows.entry(key).or_insert(row);
        }
        wanted = wanted
            .iter()
            .filter_map(|id| unit_merged_into(known, id))
            .filter(|id| !wanted.contains(id))
            .collect();
        if wanted.is_empty() {
            break;
        }
    }
    for mut heirs in heirs {
        let Ok(further) = successors::successor::<Infallible>(&heirs.survivor, |id| {
            Ok(unit_merged_into(known, id))
        });
        if let Some(further) = further {
            heirs.survivor = further;
        }
        let to = known
            .rows
            .get(&("org_unit".to_owned(), heirs.survivor.clone()))
            .map(|r| r.scope);
        let keys: Vec<(String, String)> = known
            .rows
            .iter()
            .filter(|(_, row)| row.parent.as_deref() == Some(heirs.unit.as_str()))
            .map(|(key, _)| key.clone())
            .collect();
        for key in keys {
            let row = known.rows.get_mut(&key).expect("listed above");
            let link = successors::heir(
                (&key.0, &key.1),
                &row.state,
                (&heirs.unit, &heirs.survivor),
                &heirs.version,
            );
            let Some((field, link)) = link else {
                continue;
            };
            row.state.fields.insert(field.to_owned(), link.clone());
            row.parent = Some(heirs.survivor.clone());
            row.dirty = true;
            let from = row.scope;
            row.scope = to.unwrap_or(from);
            let (to, state) = (row.scope, row.state.clone());
            let by = (heirs.op_id.as_str(), heirs.author.as_str());
            if from == to {
                writes.changes.push((
                    key.0.clone(),
                    key.1.clone(),
                    to,
                    to_json(&BTreeMap::from([(field, link)])),
                    heirs.op_id.clone(),
                    heirs.author.clone(),
                    None,
                ));
            } else {
                writes.moved((&key.0, &key.1), (from, to), &state, by);
                if scopes::may_lead(&key.0) {
                    writes
                        .leaders
                        .push((key, heirs.op_id.clone(), heirs.author.clone()));
                }
            }
        }
    }
    Ok(())
}
