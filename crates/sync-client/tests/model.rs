//! Random offline work on real laptops, synced through the real server (127.0.0.1:0, on SQLite
//! and again on PostgreSQL), checked against what must hold at the end. Two laptops of Tân Hòa,
//! one of Tân Lập and one of the province add members, change phones, move members between
//! branches (the province also between communes), move branches to the other commune, merge
//! likely duplicates and merge branches (the province also across communes); they push part of
//! their changes (answers sometimes lost), pull a page now and then, or sync fully, in a random
//! order (fixed seed and case count). Then everyone syncs to the end, and:
//! - nothing is pending but the ops held behind a refused op of their record; every other op
//!   reached the server exactly once;
//! - each commune's laptops show exactly the units and members the province shows under that
//!   commune, field by field (moved rows left the old commune and reached the new one whole),
//!   but for a record with an edit held behind a refused one;
//! - every member added is at the province, or was refused and is parked on the laptop that
//!   added it (it was added to a branch that had moved to the other commune meanwhile);
//! - on the server, every row lies where the row it follows lies;
//! - no member and no open unit is left in a merged unit: what was recorded there offline went
//!   to its successor.

mod common;

use std::collections::BTreeMap;
use std::sync::Mutex;

use common::{World, person, world};
use khuyenhoc_domain::org::OrgUnitInput;
use khuyenhoc_server::test_on_both_databases;
use khuyenhoc_server::testing::{Backend, TestDatabase};
use khuyenhoc_store::Store;
use khuyenhoc_sync_client::{Connection, sync_once};
use khuyenhoc_sync_protocol::{OP_FORMAT, PullRequest, PushRequest};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed, TestRunner};
use uuid::Uuid;

const CASES: u32 = 16;
/// Laptops: 0 and 1 of Tân Hòa, 2 of Tân Lập, 3 of the province.
const LAPTOPS: usize = 4;
const PROVINCE: usize = 3;

#[derive(Debug, Clone)]
enum Step {
    Add {
        laptop: usize,
        branch: usize,
    },
    Phone {
        laptop: usize,
        member: usize,
        phone: u8,
    },
    MoveMember {
        laptop: usize,
        member: usize,
        branch: usize,
    },
    MoveBranch {
        branch: usize,
        commune: usize,
    },
    Merge {
        laptop: usize,
        a: usize,
        b: usize,
    },
    MergeBranches {
        laptop: usize,
        from: usize,
        into: usize,
    },
    Push {
        laptop: usize,
        ops: usize,
        answer_lost: bool,
    },
    Pull {
        laptop: usize,
        limit: u32,
    },
    Sync {
        laptop: usize,
    },
}

fn step() -> impl Strategy<Value = Step> {
    let laptop = 0..LAPTOPS;
    prop_oneof![
        3 => (laptop.clone(), 0..8usize).prop_map(|(laptop, branch)| Step::Add { laptop, branch }),
        3 => (laptop.clone(), 0..32usize, 0u8..4).prop_map(|(laptop, member, phone)| Step::Phone { laptop, member, phone }),
        2 => (laptop.clone(), 0..32usize, 0..8usize).prop_map(|(laptop, member, branch)| Step::MoveMember { laptop, member, branch }),
        1 => (0..8usize, 0..2usize).prop_map(|(branch, commune)| Step::MoveBranch { branch, commune }),
        1 => (laptop.clone(), 0..32usize, 0..32usize).prop_map(|(laptop, a, b)| Step::Merge { laptop, a, b }),
        1 => (laptop.clone(), 0..8usize, 0..8usize).prop_map(|(laptop, from, into)| Step::MergeBranches { laptop, from, into }),
        2 => (laptop.clone(), 1..6usize, any::<bool>()).prop_map(|(laptop, ops, answer_lost)| Step::Push { laptop, ops, answer_lost }),
        2 => (laptop.clone(), 1..5u32).prop_map(|(laptop, limit)| Step::Pull { laptop, limit }),
        2 => laptop.prop_map(|laptop| Step::Sync { laptop }),
    ]
}

struct Laptop {
    store: Mutex<Store>,
    conn: Connection,
}

impl Laptop {
    fn with<T>(&self, f: impl FnOnce(&mut Store) -> T) -> T {
        f(&mut self.store.lock().unwrap())
    }

    fn ids(&self, sql: &str) -> Vec<Uuid> {
        self.with(|s| {
            let mut stmt = s.connection().prepare(sql).unwrap();
            stmt.query_map([], |r| r.get::<_, String>(0))
                .unwrap()
                .map(|id| id.unwrap().parse().unwrap())
                .collect()
        })
    }

    /// The open branches and the members it shows, in id order.
    fn branches(&self) -> Vec<Uuid> {
        self.ids(
            "SELECT id FROM org_units WHERE deleted = 0 AND kind = 'branch' AND valid_to IS NULL
             ORDER BY id",
        )
    }

    fn members(&self) -> Vec<Uuid> {
        self.ids("SELECT id FROM members WHERE deleted = 0 AND merged_into IS NULL ORDER BY id")
    }

    /// Every unit and member it shows, with the fields that sync.
    fn shown(&self) -> BTreeMap<String, Vec<Option<String>>> {
        self.with(|s| {
            let mut out = BTreeMap::new();
            for sql in [
                "SELECT id, parent_id, kind, name, org_code, merged_into FROM org_units
                 WHERE deleted = 0",
                "SELECT id, unit_id, full_name, phone, status, merged_into FROM members
                 WHERE deleted = 0",
            ] {
                let mut stmt = s.connection().prepare(sql).unwrap();
                let rows = stmt
                    .query_map([], |r| {
                        (0..6)
                            .map(|i| r.get::<_, Option<String>>(i))
                            .collect::<Result<Vec<_>, _>>()
                    })
                    .unwrap();
                for row in rows {
                    let row = row.unwrap();
                    out.insert(row[0].clone().unwrap(), row[1..].to_vec());
                }
            }
            out
        })
    }
}

fn pick<T: Copy>(items: &[T], i: usize) -> Option<T> {
    (!items.is_empty()).then(|| items[i % items.len()])
}

fn unit(s: &mut Store, parent: Option<&Uuid>, name: &str, kind: &str) -> Uuid {
    let input = OrgUnitInput {
        name: name.into(),
        kind: kind.into(),
        org_code: None,
        valid_from: None,
    };
    s.create_unit(parent, &input).unwrap().id
}

/// The laptops, each commune set up with two branches and a member, all synced once.
async fn setting_up(w: &World) -> (Vec<Laptop>, [Uuid; 2]) {
    let mut laptops = Vec::new();
    for (name, code) in [
        ("lan", "26734"),
        ("binh", "26734"),
        ("cuong", "26737"),
        ("tinh", "45"),
    ] {
        let (store, conn) = w.laptop(name, code).await;
        laptops.push(Laptop { store, conn });
    }
    let mut communes = [Uuid::nil(); 2];
    for (i, (laptop, name)) in [(0, "Tân Hòa"), (2, "Tân Lập")].into_iter().enumerate() {
        communes[i] = laptops[laptop].with(|s| {
            let commune = unit(s, None, &format!("Hội Khuyến học xã {name}"), "commune");
            for branch in ["Thôn 1", "Thôn 2"] {
                let branch = unit(
                    s,
                    Some(&commune),
                    &format!("Chi hội {branch} {name}"),
                    "branch",
                );
                s.add_member(&branch, &person(&name_of(branch.as_u128() as usize)))
                    .unwrap();
            }
            commune
        });
    }
    for laptop in [0, 2, 1, 3] {
        let l = &laptops[laptop];
        sync_once(&l.store, &l.conn).await.unwrap();
    }
    (laptops, communes)
}

/// A member's name (names hold no digits).
fn name_of(n: usize) -> String {
    const FAMILY: [&str; 4] = ["Nguyễn", "Trần", "Lê", "Phạm"];
    const GIVEN: [&str; 5] = ["An", "Bình", "Cúc", "Dũng", "Hoa"];
    format!("{} Văn {}", FAMILY[n % 4], GIVEN[n / 4 % 5])
}

/// One step; a store refusing it (a rule of the register) changes nothing and is not a failure.
async fn run(
    step: &Step,
    laptops: &[Laptop],
    communes: &[Uuid; 2],
    added: &mut Vec<(usize, Uuid)>,
) {
    match *step {
        Step::Add { laptop, branch } => {
            let l = &laptops[laptop];
            if let Some(branch) = pick(&l.branches(), branch) {
                let n = added.len();
                let member = l.with(|s| s.add_member(&branch, &person(&name_of(n))));
                added.push((laptop, member.unwrap().id));
            }
        }
        Step::Phone {
            laptop,
            member,
            phone,
        } => {
            let l = &laptops[laptop];
            if let Some(id) = pick(&l.members(), member) {
                l.with(|s| {
                    let (_, mut input) = s.member_input(&id).unwrap();
                    input.phone = Some(format!("091200000{phone}"));
                    let _ = s.update_member(&id, &input, None);
                });
            }
        }
        Step::MoveMember {
            laptop,
            member,
            branch,
        } => {
            let l = &laptops[laptop];
            if let (Some(id), Some(branch)) =
                (pick(&l.members(), member), pick(&l.branches(), branch))
            {
                l.with(|s| {
                    let (_, input) = s.member_input(&id).unwrap();
                    let _ = s.update_member(&id, &input, Some(&branch));
                });
            }
        }
        Step::MoveBranch { branch, commune } => {
            let p = &laptops[PROVINCE];
            if let Some(branch) = pick(&p.branches(), branch) {
                // The province sees both communes once it has pulled them.
                let _ = p.with(|s| s.move_unit(&branch, &communes[commune], None));
            }
        }
        Step::Merge { laptop, a, b } => {
            let l = &laptops[laptop];
            let members = l.members();
            if let (Some(a), Some(b)) = (pick(&members, a), pick(&members, b))
                && a != b
            {
                let _ = l.with(|s| s.merge_members(&a, &b));
            }
        }
        Step::MergeBranches { laptop, from, into } => {
            let l = &laptops[laptop];
            let branches = l.branches();
            if let (Some(from), Some(into)) = (pick(&branches, from), pick(&branches, into))
                && from != into
            {
                let _ = l.with(|s| s.merge_units(&[from], &into, None));
            }
        }
        Step::Push {
            laptop,
            ops,
            answer_lost,
        } => {
            let l = &laptops[laptop];
            let ops = l.with(|s| s.next_push(ops).unwrap());
            if ops.is_empty() {
                return;
            }
            let request = PushRequest {
                op_format: OP_FORMAT,
                device_id: ops[0].device_id.clone(),
                ops,
            };
            let answer = l.conn.push(&request).await.unwrap();
            if !answer_lost {
                l.with(|s| s.apply_push_response(&answer).unwrap());
            }
        }
        Step::Pull { laptop, limit } => {
            let l = &laptops[laptop];
            let cursor = l.with(|s| s.sync_status().unwrap().pull_cursor);
            let page = l
                .conn
                .pull(&PullRequest {
                    op_format: OP_FORMAT,
                    cursor,
                    limit,
                })
                .await
                .unwrap();
            l.with(|s| s.apply_pull_page(&page).unwrap());
        }
        Step::Sync { laptop } => {
            let l = &laptops[laptop];
            sync_once(&l.store, &l.conn).await.unwrap();
        }
    }
}

/// The commune each shown row lies under, by the province's tree (`None`: above the communes).
fn commune_of(
    shown: &BTreeMap<String, Vec<Option<String>>>,
    id: &str,
    communes: &[Uuid; 2],
) -> Option<Uuid> {
    let mut at = id.to_owned();
    for _ in 0..16 {
        if let Some(c) = communes.iter().find(|c| c.to_string() == at) {
            return Some(*c);
        }
        at = shown.get(&at)?.first()?.clone()?;
    }
    None
}

async fn one_case(backend: Backend, steps: Vec<Step>) {
    let Some(db) = TestDatabase::new(backend).await else {
        return;
    };
    let w = world(db).await;
    let (laptops, communes) = setting_up(&w).await;
    let mut added = Vec::new();
    for step in &steps {
        run(step, &laptops, &communes, &mut added).await;
    }
    // Everyone syncs to the end: twice round, so the last pushes reach the first laptops.
    for round in 0..2 {
        for (i, l) in laptops.iter().enumerate() {
            if let Err(e) = sync_once(&l.store, &l.conn).await {
                panic!("laptop {i}, round {round}: {e}");
            }
        }
    }

    let mut sent = 0;
    for l in &laptops {
        let status = l.with(|s| s.sync_status().unwrap());
        // Only ops held behind a refused op of their record wait (for a person).
        let parked: Vec<_> = l.with(|s| s.parked_ops().unwrap());
        let held = l.with(|s| s.pending_ops(1000).unwrap());
        assert_eq!(status.pending as usize, held.len());
        for op in &held {
            assert!(
                parked
                    .iter()
                    .any(|p| p.entity == op.entity && p.row_id == op.row_id),
                "op {} is pending: {steps:?}",
                op.op_id
            );
        }
        sent += l.with(|s| {
            s.connection()
                .query_row("SELECT count(*) FROM outbox WHERE acked = 1", [], |r| {
                    r.get::<_, i64>(0)
                })
                .unwrap()
        });
    }
    assert_eq!(
        w.db.scalar("SELECT count(*) FROM ops_received").await,
        sent,
        "every op reached the server once: {steps:?}"
    );

    let province = laptops[PROVINCE].shown();
    for (laptops_of, commune) in [(&[0, 1][..], communes[0]), (&[2][..], communes[1])] {
        let expected: BTreeMap<_, _> = province
            .iter()
            .filter(|(id, _)| commune_of(&province, id, &communes) == Some(commune))
            .map(|(id, row)| (id.clone(), row.clone()))
            .collect();
        for &laptop in laptops_of {
            let shown = laptops[laptop].shown();
            // A record with an edit held behind a refused one shows that edit until a person
            // looks at it.
            let held: Vec<String> = laptops[laptop]
                .with(|s| s.pending_ops(1000).unwrap())
                .into_iter()
                .map(|op| op.row_id)
                .collect();
            let differ: Vec<_> = shown
                .keys()
                .chain(expected.keys())
                .filter(|id| !held.contains(id) && shown.get(*id) != expected.get(*id))
                .map(|id| (id, shown.get(id), expected.get(id)))
                .collect();
            assert!(
                differ.is_empty(),
                "laptop {laptop} (shown, at the province): {differ:#?}\n{steps:?}"
            );
        }
    }
    for (laptop, member) in &added {
        let parked = laptops[*laptop].with(|s| s.parked_rows().unwrap());
        assert!(
            province.contains_key(&member.to_string())
                || parked.keys().any(|k| k.row_id == member.to_string()),
            "member {member} added on laptop {laptop} is lost: {steps:?}"
        );
    }
    assert_eq!(
        w.db.scalar(
            "SELECT count(*) FROM sync_rows f JOIN sync_rows l ON l.row_id = f.scope_parent
             WHERE f.scope_unit <> l.scope_unit"
        )
        .await,
        0,
        "a row lies elsewhere than the row it follows: {steps:?}"
    );
    let merged: Vec<&String> = province
        .iter()
        .filter(|(_, row)| row[4].is_some())
        .map(|(id, _)| id)
        .collect();
    let left_behind: Vec<_> = province
        .iter()
        .filter(|(_, row)| row[4].is_none() && row[0].as_ref().is_some_and(|p| merged.contains(&p)))
        .collect();
    assert!(
        left_behind.is_empty(),
        "left in a merged unit: {left_behind:#?}\n{steps:?}"
    );
}

async fn random_offline_work_with_moves_and_merges_converges(db: TestDatabase) {
    let backend = db.backend();
    drop(db);
    let handle = tokio::runtime::Handle::current();
    let config = Config {
        cases: CASES,
        rng_seed: RngSeed::Fixed(2026),
        failure_persistence: None,
        max_shrink_iters: 16,
        ..Config::default()
    };
    TestRunner::new(config)
        .run(&proptest::collection::vec(step(), 10..40), |steps| {
            tokio::task::block_in_place(|| handle.block_on(one_case(backend, steps)));
            Ok(())
        })
        .unwrap();
}

test_on_both_databases!(random_offline_work_with_moves_and_merges_converges);
