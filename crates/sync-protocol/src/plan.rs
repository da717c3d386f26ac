//! Which pending ops go in the next push. Pure, so it is tested without a network.
//!
//! Ops go in device-sequence order. A row with a parked op (one the server rejected, waiting
//! for a person) holds every later op of that row back: applying them on top of a change the
//! server refused would not mean what the officer meant. Earlier ops of the row (sent again to
//! a server restored from a backup) and other rows carry on, so one stuck record never blocks
//! the queue. "Later" is by the op's version: a device's versions only grow, and unlike
//! sequences they survive the renumbering of a new device identity.

use std::collections::BTreeMap;

use crate::op::{Op, RowKey};

/// Indices into the pending ops: those to send now and those held behind a parked op.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PushPlan {
    pub send: Vec<usize>,
    pub held: Vec<usize>,
}

/// Plans one push of at most `max_ops` ops from `pending` (in device-sequence order).
/// `parked` maps each row with a parked op to the version of its earliest parked op.
pub fn plan_push(pending: &[Op], parked: &BTreeMap<RowKey, String>, max_ops: usize) -> PushPlan {
    let mut plan = PushPlan::default();
    for (i, op) in pending.iter().enumerate() {
        if parked
            .get(&op.row())
            .is_some_and(|first| op.version > *first)
        {
            plan.held.push(i);
        } else if plan.send.len() < max_ops {
            plan.send.push(i);
        }
    }
    plan
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op(seq: i64, row: &str) -> Op {
        Op {
            op_id: format!("op{seq}"),
            device_id: "d".into(),
            device_seq: seq,
            op_format: crate::OP_FORMAT,
            entity: "member".into(),
            row_id: row.into(),
            intent: "member.update".into(),
            fields: BTreeMap::new(),
            author: "lan".into(),
            version: format!("{seq:03}-d"),
        }
    }

    #[test]
    fn a_parked_row_holds_its_later_ops_and_no_others() {
        let pending = [op(1, "a"), op(2, "b"), op(3, "a"), op(4, "c"), op(6, "a")];
        let parked = BTreeMap::from([(
            RowKey {
                entity: "member".into(),
                row_id: "a".into(),
            },
            op(2, "a").version,
        )]);
        let plan = plan_push(&pending, &parked, 10);
        assert_eq!(
            plan.send,
            [0, 1, 3],
            "the row's op before the parked one goes"
        );
        assert_eq!(plan.held, [2, 4]);
    }

    #[test]
    fn a_push_takes_at_most_max_ops_in_sequence_order() {
        let pending: Vec<Op> = (1..=5).map(|s| op(s, "a")).collect();
        let plan = plan_push(&pending, &BTreeMap::new(), 2);
        assert_eq!(plan.send, [0, 1]);
        assert!(plan.held.is_empty());
    }
}
