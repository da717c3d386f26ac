//! Records that follow a merged unit to its successor, on real laptops and the real server
//! (SQLite and PostgreSQL). Two laptops of one commune; one merges Thôn 2 into Thôn 1 while
//! the other, offline, adds a member and a group to Thôn 2. Whichever reaches the server first,
//! the member and the group end in Thôn 1 on both laptops, with nothing parked and no conflict,
//! and later edits of them sync as usual. Two laptops that merge two branches into each other
//! offline: the first merge to reach the server stands, the second is refused and undone, also
//! when the answer refusing it was lost and the push is answered again.

mod common;

use std::sync::Mutex;

use common::{add, world};
use khuyenhoc_server::test_on_both_databases;
use khuyenhoc_server::testing::TestDatabase;
use khuyenhoc_store::Store;
use khuyenhoc_sync_client::{Connection, sync_once};
use khuyenhoc_sync_protocol::{OP_FORMAT, OpOutcome, PushRequest};
use uuid::Uuid;

/// The commune with two branches on laptop `lan`, pulled by a second laptop `minh`.
struct Commune {
    lan: (Mutex<Store>, Connection),
    minh: (Mutex<Store>, Connection),
    thon1: Uuid,
    thon2: Uuid,
}

async fn commune(w: &common::World) -> Commune {
    let lan = w.laptop("lan", "26734").await;
    let tan_hoa = common::unit(
        &lan.0,
        None,
        "Hội Khuyến học xã Tân Hòa",
        "commune",
        Some("26734"),
    );
    let thon1 = common::unit(&lan.0, Some(&tan_hoa), "Chi hội Thôn 1", "branch", None);
    let thon2 = common::unit(&lan.0, Some(&tan_hoa), "Chi hội Thôn 2", "branch", None);
    add(&lan.0, &thon2, "Trần Thị Bình");
    sync_once(&lan.0, &lan.1).await.unwrap();
    let minh = w.laptop("minh", "26734").await;
    sync_once(&minh.0, &minh.1).await.unwrap();
    Commune {
        lan,
        minh,
        thon1,
        thon2,
    }
}

async fn sync(laptop: &(Mutex<Store>, Connection)) {
    sync_once(&laptop.0, &laptop.1).await.unwrap();
}

fn merge(laptop: &(Mutex<Store>, Connection), from: &Uuid, into: &Uuid) {
    laptop
        .0
        .lock()
        .unwrap()
        .merge_units(&[*from], into, None)
        .unwrap();
}

/// Where a member and a unit lie on `laptop`, and that it has nothing waiting or to review.
fn assert_in(laptop: &(Mutex<Store>, Connection), (member, group): (&Uuid, &Uuid), unit: &Uuid) {
    let s = laptop.0.lock().unwrap();
    assert_eq!(s.get_member(member).unwrap().unit_id, *unit);
    assert_eq!(s.get_unit(group).unwrap().parent_id, Some(*unit));
    let status = s.sync_status().unwrap();
    assert_eq!((status.pending, status.parked, status.conflicts), (0, 0, 0));
}

/// An edit of the member on `from` reaches `to`, its unit unchanged.
async fn edit_reaches(
    from: &(Mutex<Store>, Connection),
    to: &(Mutex<Store>, Connection),
    member: &Uuid,
    unit: &Uuid,
) {
    {
        let mut s = from.0.lock().unwrap();
        let mut input = s.member_input(member).unwrap().1;
        input.phone = Some("0912345678".into());
        s.update_member(member, &input, None).unwrap();
    }
    sync(from).await;
    sync(to).await;
    let got = to.0.lock().unwrap().get_member(member).unwrap();
    assert_eq!(
        (got.phone.as_deref(), got.unit_id),
        (Some("0912345678"), *unit)
    );
    assert_eq!(to.0.lock().unwrap().sync_status().unwrap().conflicts, 0);
}

async fn what_is_recorded_in_a_unit_merged_meanwhile_goes_to_its_successor(db: TestDatabase) {
    let w = world(db).await;
    let c = commune(&w).await;
    // Offline on minh: a member and a group in Thôn 2.
    let em = add(&c.minh.0, &c.thon2, "Đỗ Văn Em");
    let to3 = common::unit(&c.minh.0, Some(&c.thon2), "Tổ 3", "group", None);
    // Meanwhile lan merges Thôn 2 into Thôn 1 and syncs first.
    merge(&c.lan, &c.thon2, &c.thon1);
    sync(&c.lan).await;
    sync(&c.minh).await;
    assert_in(&c.minh, (&em, &to3), &c.thon1);
    sync(&c.lan).await;
    assert_in(&c.lan, (&em, &to3), &c.thon1);
    edit_reaches(&c.minh, &c.lan, &em, &c.thon1).await;
}

async fn a_merge_takes_along_what_it_did_not_know_of(db: TestDatabase) {
    let w = world(db).await;
    let c = commune(&w).await;
    // minh adds to Thôn 2 and syncs; lan, not having pulled it, merges Thôn 2 away.
    let em = add(&c.minh.0, &c.thon2, "Đỗ Văn Em");
    let to3 = common::unit(&c.minh.0, Some(&c.thon2), "Tổ 3", "group", None);
    sync(&c.minh).await;
    merge(&c.lan, &c.thon2, &c.thon1);
    sync(&c.lan).await;
    assert_in(&c.lan, (&em, &to3), &c.thon1);
    sync(&c.minh).await;
    assert_in(&c.minh, (&em, &to3), &c.thon1);
    edit_reaches(&c.lan, &c.minh, &em, &c.thon1).await;
}

async fn two_branches_merged_into_each_other_keep_the_first_merge(db: TestDatabase) {
    let w = world(db).await;
    let c = commune(&w).await;
    let an = add(&c.lan.0, &c.thon1, "Nguyễn Văn An");
    sync(&c.lan).await;
    sync(&c.minh).await;
    merge(&c.lan, &c.thon2, &c.thon1);
    merge(&c.minh, &c.thon1, &c.thon2);
    sync(&c.lan).await;
    sync(&c.minh).await;
    sync(&c.lan).await;
    for laptop in [&c.lan, &c.minh] {
        let s = laptop.0.lock().unwrap();
        let (thon1, thon2) = (s.get_unit(&c.thon1).unwrap(), s.get_unit(&c.thon2).unwrap());
        assert!(thon1.is_open(), "{thon1:?}");
        assert_eq!(thon2.merged_into, Some(c.thon1));
        assert_eq!(s.get_member(&an).unwrap().unit_id, c.thon1);
        let elsewhere: i64 = s
            .connection()
            .query_row(
                "SELECT count(*) FROM members WHERE deleted = 0 AND unit_id <> ?1",
                [c.thon1.to_string()],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(elsewhere, 0, "Trần Thị Bình went with Thôn 2");
    }
    let parked = c.minh.0.lock().unwrap().parked_ops().unwrap();
    assert_eq!(parked.len(), 1, "{parked:?}");
    assert_eq!(parked[0].row_id, c.thon1.to_string());
    assert!(
        parked[0].reason.contains("sáp nhập"),
        "{}",
        parked[0].reason
    );
}

/// The same, the answer refusing the second merge lost: the push sent again is answered with the
/// refusal again, and that answer must undo the merge too (its `merged_into` and `valid_to`,
/// which the server never held for that branch, put back empty).
async fn a_refused_merge_is_undone_when_its_lost_answer_is_told_again(db: TestDatabase) {
    let w = world(db).await;
    let c = commune(&w).await;
    merge(&c.lan, &c.thon2, &c.thon1);
    merge(&c.minh, &c.thon1, &c.thon2);
    sync(&c.lan).await;
    let ops = c.minh.0.lock().unwrap().next_push(100).unwrap();
    let request = PushRequest {
        op_format: OP_FORMAT,
        device_id: ops[0].device_id.clone(),
        ops,
    };
    let lost = c.minh.1.push(&request).await.unwrap();
    assert!(
        lost.results
            .iter()
            .any(|r| matches!(r.outcome, OpOutcome::Rejected { .. })),
        "{lost:?}"
    );
    sync(&c.minh).await;
    let s = c.minh.0.lock().unwrap();
    let thon1 = s.get_unit(&c.thon1).unwrap();
    assert!(thon1.is_open(), "{thon1:?}");
    assert_eq!(s.get_unit(&c.thon2).unwrap().merged_into, Some(c.thon1));
    let parked = s.parked_ops().unwrap();
    assert_eq!(parked.len(), 1, "{parked:?}");
    assert_eq!(parked[0].row_id, c.thon1.to_string());
}

test_on_both_databases!(what_is_recorded_in_a_unit_merged_meanwhile_goes_to_its_successor);
test_on_both_databases!(a_merge_takes_along_what_it_did_not_know_of);
test_on_both_databases!(two_branches_merged_into_each_other_keep_the_first_merge);
test_on_both_databases!(a_refused_merge_is_undone_when_its_lost_answer_is_told_again);
