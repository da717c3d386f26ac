//! Shared fixtures for the store's tests: a real SQLite file in a temporary folder with a
//! commune and two branches.
#![allow(dead_code)]

pub mod answers;

use std::path::PathBuf;

use khuyenhoc_domain::MemberInput;
use khuyenhoc_domain::org::OrgUnitInput;
use khuyenhoc_store::{OpenOptions, OrgUnit, Store};
use tempfile::TempDir;

pub struct Fixture {
    pub dir: TempDir,
    pub path: PathBuf,
    pub store: Store,
    pub commune: OrgUnit,
    pub branch_a: OrgUnit,
    pub branch_b: OrgUnit,
}

pub fn unit(
    store: &mut Store,
    parent: Option<&OrgUnit>,
    name: &str,
    kind: &str,
    code: Option<&str>,
) -> OrgUnit {
    store
        .create_unit(
            parent.map(|p| &p.id),
            &OrgUnitInput {
                name: name.into(),
                kind: kind.into(),
                org_code: code.map(str::to_owned),
                valid_from: None,
            },
        )
        .unwrap()
}

pub fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("khuyenhoc.db");
    let mut store = Store::open(
        &path,
        OpenOptions {
            author: "thu-ky".into(),
            ..Default::default()
        },
    )
    .unwrap();
    let commune = unit(
        &mut store,
        None,
        "Hội Khuyến học xã Tân Hòa",
        "commune",
        Some("26734"),
    );
    let branch_a = unit(&mut store, Some(&commune), "Chi hội Thôn 1", "branch", None);
    let branch_b = unit(&mut store, Some(&commune), "Chi hội Thôn 2", "branch", None);
    Fixture {
        dir,
        path,
        store,
        commune,
        branch_a,
        branch_b,
    }
}

pub fn person(name: &str) -> MemberInput {
    MemberInput {
        full_name: name.into(),
        ..Default::default()
    }
}

pub fn with_card(name: &str, card: &str) -> MemberInput {
    MemberInput {
        full_name: name.into(),
        card_number: Some(card.into()),
        ..Default::default()
    }
}

pub fn count(store: &Store, sql: &str) -> i64 {
    store.connection().query_row(sql, [], |r| r.get(0)).unwrap()
}

/// Runs FTS5's own integrity check of the search index against the members table.
pub fn assert_search_index_intact(store: &Store) {
    store
        .connection()
        .execute(
            "INSERT INTO member_search (member_search, rank) VALUES ('integrity-check', 1)",
            [],
        )
        .expect("the search index matches the members table");
}
