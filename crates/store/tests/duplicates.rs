//! Two officers added the same person on two laptops while offline: the register shows the
//! likely duplicates (same card, or same name ignoring tone marks with the same birth or phone)
//! and merges them — the survivor takes the details it lacked, the other record points at it
//! and leaves the lists, and both changes are queued for sync.

mod common;

use common::answers::*;
use common::{count, fixture, person};
use khuyenhoc_domain::MemberInput;
use khuyenhoc_store::{DuplicateReason, MemberQuery, Store};
use serde_json::json;

fn names(store: &Store) -> Vec<String> {
    store
        .list_members(&MemberQuery {
            limit: 100,
            ..Default::default()
        })
        .unwrap()
        .members
        .into_iter()
        .map(|m| m.full_name)
        .collect()
}

#[test]
fn likely_duplicates_are_found_and_merged_into_one_record() {
    let f = fixture();
    let mut store = f.store;
    let an = store
        .add_member(
            &f.branch_a.id,
            &MemberInput {
                full_name: "Nguyễn Văn An".into(),
                birth: Some("15/03/1985".into()),
                ..Default::default()
            },
        )
        .unwrap();
    // The same man typed on the other laptop without tone marks, with his phone.
    let an2 = store
        .add_member(
            &f.branch_b.id,
            &MemberInput {
                full_name: "Nguyen Van An".into(),
                birth: Some("15/03/1985".into()),
                phone: Some("0912345678".into()),
                ..Default::default()
            },
        )
        .unwrap();
    // A namesake born another year is someone else.
    store
        .add_member(
            &f.branch_a.id,
            &MemberInput {
                full_name: "Nguyễn Văn An".into(),
                birth: Some("1990".into()),
                ..Default::default()
            },
        )
        .unwrap();
    let binh = store
        .add_member(&f.branch_a.id, &common::with_card("Trần Thị Bình", "K-01"))
        .unwrap();
    // A card number held twice arrives by sync (the server keeps both, as a conflict would).
    let binh2 = "0195f0a0-0000-7000-8000-00000000b1b2";
    store
        .apply_pull_page(&page(
            3,
            vec![member_change(
                3,
                binh2,
                &[
                    (
                        "unit_id",
                        json!(f.branch_b.id.to_string()),
                        &stamp(9_000_000_000_000),
                    ),
                    ("full_name", json!("Trần Bình"), &stamp(9_000_000_000_000)),
                    ("card_number", json!("k-01"), &stamp(9_000_000_000_000)),
                    ("status", json!("active"), &stamp(9_000_000_000_000)),
                ],
            )],
        ))
        .unwrap();
    store
        .add_member(&f.branch_a.id, &person("Lê Văn Tám"))
        .unwrap();

    let groups = store.likely_duplicates(10).unwrap();
    let seen: Vec<(DuplicateReason, Vec<String>)> = groups
        .iter()
        .map(|g| {
            (
                g.reason,
                g.members.iter().map(|m| m.id.to_string()).collect(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            (
                DuplicateReason::SameNameAndBirth,
                vec![an.id.to_string(), an2.id.to_string()]
            ),
            (
                DuplicateReason::SameCard,
                vec![binh.id.to_string(), binh2.to_string()]
            ),
        ]
    );

    let ops_before = count(&store, "SELECT count(*) FROM outbox");
    let survivor = store.merge_members(&an.id, &an2.id).unwrap();
    assert_eq!(
        survivor.phone.as_deref(),
        Some("0912345678"),
        "the missing detail is taken"
    );
    assert_eq!(survivor.full_name, "Nguyễn Văn An", "its own details stay");
    assert_eq!(
        count(
            &store,
            &format!(
                "SELECT count(*) FROM members WHERE id = '{}' AND merged_into = '{}'",
                an2.id, an.id
            )
        ),
        1
    );
    assert_eq!(count(&store, "SELECT count(*) FROM outbox") - ops_before, 2);
    let ops = store.next_push(100).unwrap();
    let merged = ops
        .iter()
        .rev()
        .find(|o| o.row_id == an2.id.to_string())
        .unwrap();
    assert_eq!(merged.fields["merged_into"].value, json!(an.id.to_string()));
    assert!(!names(&store).contains(&"Nguyen Van An".to_owned()));
    assert_eq!(names(&store).len(), 5, "the merged record left the list");
    assert_eq!(store.likely_duplicates(10).unwrap().len(), 1);

    // The card moves to the survivor when it had none; one card, one holder.
    let binh2 = uuid::Uuid::parse_str(binh2).unwrap();
    let survivor = store.merge_members(&binh2, &binh.id).unwrap();
    assert_eq!(survivor.card_number.as_deref(), Some("k-01"));
    assert!(store.likely_duplicates(10).unwrap().is_empty());
    assert_eq!(
        store.merge_members(&an.id, &an2.id).unwrap_err().code(),
        "not_found",
        "a merged record is not merged twice"
    );
    assert_eq!(
        store.merge_members(&an.id, &an.id).unwrap_err().code(),
        "merge_same_member"
    );
}
