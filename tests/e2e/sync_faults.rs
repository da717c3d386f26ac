//! Sync over a bad network converges and loses nothing: three laptops of one commune make
//! random offline edits (new members, edits of the same members' details so that conflicts
//! happen, status changes) and sync repeatedly through a fault-injecting proxy that, chosen per
//! request from a fixed seed, drops requests, delays them, sends them twice to the server (one
//! after the other, or both at once as a retry racing the original), lets the server apply them
//! and loses the answer, cuts the request or the answer mid-body, answers 500, or fails a request
//! for the laptop but delivers it to the server after a newer one (out of order). Each laptop
//! retries a failed sync as the app does; in odd rounds the three sync at once. Every failed
//! sync must be explained by a fault that lost its exchange. After a final clean sync of
//! every laptop straight to the server: every register equals every other (units and members,
//! field by field with their versions), each member is there once, every op was received by the
//! server exactly once and applied at most once, and every edit made anywhere is either the
//! value in force or kept as a conflict's losing value (or was overwritten by an edit made with
//! it in view).
//!
//! A second test: a laptop the server tells to update (its op format no longer read) keeps
//! its work queued until it can send it.
//!
//! The real server runs in-process on 127.0.0.1:0, once on its own SQLite file and once on a
//! fresh PostgreSQL database; the laptops are real store files driven through
//! `khuyenhoc_sync_client::sync_once` over real HTTP.

use std::collections::BTreeMap;
use std::sync::{Mutex, Once};
use std::time::Instant;

use khuyenhoc_domain::org::OrgUnitInput;
use khuyenhoc_domain::{MemberInput, MemberStatus};
use khuyenhoc_server::admin::Admin;
use khuyenhoc_server::test_on_both_databases;
use khuyenhoc_server::testing::TestDatabase;
use khuyenhoc_store::{OpenOptions, Store};
use khuyenhoc_sync_client::{Connection, ServerAddress, enroll, sync_once};
use khuyenhoc_tests::proxy::{Fault, Proxy, seeded};
use khuyenhoc_tests::sync_check::assert_converged;
use uuid::Uuid;

const SEED: u64 = 0x6b68_7579_656e;
const LAPTOPS: usize = 3;
const ROUNDS: usize = 60;
const FAULT_PERCENT: u8 = 35;
/// Failed syncs in a row after which the queue counts as stuck.
const MAX_ATTEMPTS: usize = 60;

const FAMILY: [&str; 3] = ["Nguyễn", "Trần", "Lê"];
const MIDDLE: [&str; 6] = ["Văn", "Thị", "Đức", "Minh", "Ngọc", "Hữu"];
const GIVEN: [&str; 12] = [
    "An", "Bình", "Cường", "Dũng", "Đạt", "Hà", "Hoa", "Lan", "Minh", "Nam", "Phúc", "Quyên",
];

struct Laptop {
    name: String,
    db: std::path::PathBuf,
    store: Mutex<Store>,
    via_proxy: Connection,
    direct: Connection,
    added: usize,
}

fn person(name: &str) -> MemberInput {
    MemberInput {
        full_name: name.into(),
        ..Default::default()
    }
}

fn member_ids(store: &Mutex<Store>) -> Vec<Uuid> {
    let s = store.lock().unwrap();
    let mut stmt = s
        .connection()
        .prepare("SELECT id FROM members WHERE deleted = 0 ORDER BY id")
        .unwrap();
    stmt.query_map([], |r| r.get::<_, String>(0))
        .unwrap()
        .map(|id| id.unwrap().parse().unwrap())
        .collect()
}

fn branch_id(store: &Mutex<Store>) -> Uuid {
    let s = store.lock().unwrap();
    let id: String = s
        .connection()
        .query_row(
            "SELECT id FROM org_units WHERE kind = 'branch' ORDER BY id LIMIT 1",
            [],
            |r| r.get(0),
        )
        .unwrap();
    id.parse().unwrap()
}

/// One random offline edit on `laptop`; returns what it was (for the log), the name of a
/// member it added if any.
fn random_edit(rng: &mut fastrand::Rng, i: usize, laptop: &mut Laptop) -> Option<String> {
    let ids = member_ids(&laptop.store);
    let mut s = laptop.store.lock().unwrap();
    let choice = if ids.is_empty() { 0 } else { rng.u8(0..10) };
    match choice {
        // A new member, named uniquely per laptop.
        0..=2 => {
            let n = laptop.added;
            laptop.added += 1;
            let name = format!("{} {} {}", FAMILY[i], MIDDLE[n / 12 % 6], GIVEN[n % 12]);
            drop(s);
            let branch = branch_id(&laptop.store);
            let mut s = laptop.store.lock().unwrap();
            s.add_member(&branch, &person(&name)).unwrap();
            Some(name)
        }
        // A detail of one of the first few members (so laptops meet on the same ones).
        3..=7 => {
            let id = ids[rng.usize(0..ids.len().min(4))];
            let mut input = s.member_input(&id).unwrap().1;
            match rng.u8(0..3) {
                0 => input.phone = Some(format!("09{:08}", rng.u32(0..100_000_000))),
                1 => input.address = Some(format!("Thôn {}, xã Tân Hòa", rng.u8(1..9))),
                _ => input.note = Some(format!("ghi chú {} của máy {i}", rng.u16(..))),
            }
            s.update_member(&id, &input, None).unwrap();
            None
        }
        // A status change.
        _ => {
            let id = ids[rng.usize(0..ids.len().min(6))];
            let status = [
                MemberStatus::Active,
                MemberStatus::MovedAway,
                MemberStatus::Left,
            ][rng.usize(0..3)];
            let current = s.get_member(&id).unwrap().status;
            if current != status {
                s.set_member_status(&id, status, None, None).unwrap();
            }
            None
        }
    }
}

/// Syncs through the proxy until a sync succeeds, as the app's retry does; returns the failed
/// attempts' error codes.
async fn sync_until_done(laptop: &Laptop) -> Vec<String> {
    let mut failures = Vec::new();
    for _ in 0..MAX_ATTEMPTS {
        match sync_once(&laptop.store, &laptop.via_proxy).await {
            Ok(_) => return failures,
            Err(e) => {
                assert!(
                    e.is_transient(),
                    "{}: a sync failed for good through the proxy: {} ({e})",
                    laptop.name,
                    e.code()
                );
                // The proxy always takes the connection: what it loses is lost on a connection
                // made, which the app retries as server trouble, not as being offline.
                assert!(!e.is_offline(), "{}: {e:?}", laptop.name);
                failures.push(e.code().to_owned());
            }
        }
    }
    panic!(
        "{}: {MAX_ATTEMPTS} syncs in a row failed (stuck queue): {failures:?}",
        laptop.name
    );
}

/// Small batches and pages: a sync takes several round trips, so faults land between them as
/// well as on them. The first thing each variant does (`before:` below), before its database.
fn small_batches_and_pages() {
    static SET: Once = Once::new();
    SET.call_once(|| {
        // SAFETY: whichever variant of this binary's one test comes here first sets them; the
        // other is at most building its runtime (which reads the environment, if at all,
        // through `std::env` and its lock) or waits here until they are set.
        unsafe {
            std::env::set_var("KHUYENHOC_SYNC_PUSH_BATCH", "4");
            std::env::set_var("KHUYENHOC_SYNC_PULL_PAGE", "5");
        }
    });
}

/// A new laptop file in `dir`, enrolled straight with the server in Tân Hòa: its path, store
/// and token.
async fn enrolled(
    dir: &std::path::Path,
    admin: &Admin,
    server: &ServerAddress,
    name: &str,
) -> (std::path::PathBuf, Mutex<Store>, String) {
    let db = dir.join(format!("{name}.db"));
    let store = Mutex::new(
        Store::open(
            &db,
            OpenOptions {
                author: name.into(),
                ..Default::default()
            },
        )
        .unwrap(),
    );
    let code = khuyenhoc_tests::commune_code(admin).await;
    let token = enroll(&store, server.clone(), &code, name)
        .await
        .unwrap()
        .token;
    (db, store, token)
}

/// The commune, a branch and `members` in it, on one laptop.
fn set_up_commune(store: &Mutex<Store>, members: &[&str]) {
    let mut s = store.lock().unwrap();
    let unit = |s: &mut Store, parent: Option<&Uuid>, name: &str, kind: &str| {
        s.create_unit(
            parent,
            &OrgUnitInput {
                name: name.into(),
                kind: kind.into(),
                org_code: None,
                valid_from: None,
            },
        )
        .unwrap()
        .id
    };
    let commune = unit(&mut s, None, "Hội Khuyến học xã Tân Hòa", "commune");
    let branch = unit(&mut s, Some(&commune), "Chi hội Thôn 1", "branch");
    for name in members {
        s.add_member(&branch, &person(name)).unwrap();
    }
}

async fn laptops_converge_through_a_faulty_network_and_lose_nothing(db: TestDatabase) {
    let started = Instant::now();
    let dir = tempfile::tempdir().unwrap();
    let (server, admin) = khuyenhoc_tests::server_with_commune(&db).await;
    let proxy = Proxy::start(server.addr).await;
    let direct = ServerAddress::parse(&format!("http://{}", server.addr), false).unwrap();
    let proxied = ServerAddress::parse(&proxy.url(), false).unwrap();

    let mut laptops = Vec::new();
    for name in ["lan", "binh", "cuong"] {
        let (db, store, token) = enrolled(dir.path(), &admin, &direct, name).await;
        laptops.push(Laptop {
            name: name.into(),
            db,
            store,
            via_proxy: Connection::new(proxied.clone(), Some(token.clone())).unwrap(),
            direct: Connection::new(direct.clone(), Some(token)).unwrap(),
            added: 0,
        });
    }

    // The first laptop sets up the commune with a branch and three members; the others pull it.
    set_up_commune(
        &laptops[0].store,
        &["Phạm Văn Khoa", "Vũ Thị Mai", "Đặng Hữu Nghĩa"],
    );
    let mut names: Vec<String> = ["Phạm Văn Khoa", "Vũ Thị Mai", "Đặng Hữu Nghĩa"]
        .map(String::from)
        .to_vec();
    for l in &laptops {
        sync_once(&l.store, &l.direct).await.unwrap();
    }

    // Rounds of offline edits and syncs through the faulty proxy.
    proxy.set_plan(seeded(SEED, FAULT_PERCENT));
    let mut rng = fastrand::Rng::with_seed(SEED ^ 0x5eed);
    let mut failures: BTreeMap<String, usize> = BTreeMap::new();
    for round in 0..ROUNDS {
        for (i, l) in laptops.iter_mut().enumerate() {
            for _ in 0..rng.usize(1..=4) {
                names.extend(random_edit(&mut rng, i, l));
            }
        }
        // Odd rounds: the three laptops sync at once, as a commune's laptops may.
        let codes = if round % 2 == 1 {
            let (x, y, z) = tokio::join!(
                sync_until_done(&laptops[0]),
                sync_until_done(&laptops[1]),
                sync_until_done(&laptops[2])
            );
            [x, y, z].concat()
        } else {
            let mut order: Vec<usize> = (0..LAPTOPS).collect();
            rng.shuffle(&mut order);
            let mut codes = Vec::new();
            for i in order {
                codes.extend(sync_until_done(&laptops[i]).await);
            }
            codes
        };
        for code in codes {
            *failures.entry(code).or_default() += 1;
        }
    }

    // The faults really happened: every kind, on pushes and on pulls.
    let log = proxy.log();
    let mut kinds: BTreeMap<Fault, usize> = BTreeMap::new();
    for (_, f) in &log {
        *kinds.entry(f.kind()).or_default() += 1;
    }
    println!("{} requests through the proxy: {kinds:?}", log.len());
    println!("failed syncs, retried: {failures:?}");
    for kind in [
        Fault::Pass,
        Fault::Drop,
        Fault::Delay(0),
        Fault::Duplicate,
        Fault::DuplicateAtOnce,
        Fault::LoseAnswer,
        Fault::ResetRequestMidBody,
        Fault::ResetAnswerMidBody,
        Fault::Error500,
        Fault::Late,
    ] {
        for path in ["/v1/push", "/v1/pull"] {
            assert!(
                log.iter().any(|(r, f)| f.kind() == kind && r.path == path),
                "no {kind:?} on {path}: the seed does not exercise it"
            );
        }
    }

    // Every failed sync is explained by a fault that loses the exchange: a delayed or
    // duplicated request (even two at once) is answered normally, and the server itself never
    // failed.
    let losing = log
        .iter()
        .filter(|(_, f)| {
            matches!(
                f,
                Fault::Drop
                    | Fault::LoseAnswer
                    | Fault::ResetRequestMidBody
                    | Fault::ResetAnswerMidBody
                    | Fault::Error500
                    | Fault::Late
            )
        })
        .count();
    assert_eq!(failures.values().sum::<usize>(), losing, "{failures:?}");
    assert_eq!(
        failures.get("internal_server_error").copied().unwrap_or(0),
        kinds[&Fault::Error500],
        "the server answered 500 itself"
    );

    // A final clean sync of all, straight to the server: twice round, so every laptop pulls
    // what the others pushed.
    for _ in 0..2 {
        for l in &laptops {
            sync_once(&l.store, &l.direct).await.unwrap();
        }
    }
    let dbs: Vec<&std::path::Path> = laptops.iter().map(|l| l.db.as_path()).collect();
    let done = assert_converged(&dbs, &db).await;
    println!("{done:?}");

    // Each member once: every name added anywhere is on every laptop exactly once.
    for l in &laptops {
        let s = l.store.lock().unwrap();
        for name in &names {
            let n: i64 = s
                .connection()
                .query_row(
                    "SELECT COUNT(*) FROM members WHERE full_name = ?1",
                    [name],
                    |r| r.get(0),
                )
                .unwrap();
            assert_eq!(n, 1, "{name} is {n} times on {}", l.name);
        }
    }
    assert_eq!(done.members, names.len());
    assert!(
        done.edits_lost_to_a_conflict > 0 && done.server_conflicts > 0,
        "no conflict happened: the test does not exercise concurrent edits"
    );
    println!("took {:?} on {:?}", started.elapsed(), db.backend());
}

/// A server that no longer reads the laptop's op format answers `426 update_required` (the real
/// server, to the laptop's requests sent on by the proxy as an older laptop would send them):
/// the sync fails with words telling the officer to update, nothing queued is lost or parked,
/// new work keeps queueing, and once the laptop speaks a format the server reads, all of it
/// reaches the other laptop.
async fn a_laptop_told_to_update_keeps_queueing(db: TestDatabase) {
    let dir = tempfile::tempdir().unwrap();
    let (server, admin) = khuyenhoc_tests::server_with_commune(&db).await;
    let proxy = Proxy::start(server.addr).await;
    let direct = ServerAddress::parse(&format!("http://{}", server.addr), false).unwrap();
    let proxied = ServerAddress::parse(&proxy.url(), false).unwrap();
    let (_, lan, token) = enrolled(dir.path(), &admin, &direct, "lan").await;
    let (_, binh, binh_token) = enrolled(dir.path(), &admin, &direct, "binh").await;
    let via_proxy = Connection::new(proxied, Some(token)).unwrap();
    set_up_commune(&lan, &["Phạm Văn Khoa"]);
    let queued = lan.lock().unwrap().sync_status().unwrap().pending;

    proxy.set_plan(|_| Fault::AsOlderFormat);
    let err = sync_once(&lan, &via_proxy).await.unwrap_err();
    assert_eq!(err.code(), "update_required", "{err:?}");
    assert!(
        err.message_vi().contains("cập nhật"),
        "{}",
        err.message_vi()
    );
    assert!(proxy.log().iter().all(|(_, f)| *f == Fault::AsOlderFormat));
    let status = lan.lock().unwrap().sync_status().unwrap();
    assert_eq!((status.pending, status.parked), (queued, 0));
    assert!(
        status
            .last_error
            .as_deref()
            .is_some_and(|e| e.contains("cập nhật")),
        "{status:?}"
    );
    assert_eq!(db.scalar("SELECT count(*) FROM ops_received").await, 0);
    // Work goes on offline meanwhile.
    let branch = branch_id(&lan);
    lan.lock()
        .unwrap()
        .add_member(&branch, &person("Vũ Thị Mai"))
        .unwrap();
    assert!(lan.lock().unwrap().sync_status().unwrap().pending > queued);

    // Updated: the same queue goes through, whole.
    proxy.set_plan(|_| Fault::Pass);
    sync_once(&lan, &via_proxy).await.unwrap();
    let status = lan.lock().unwrap().sync_status().unwrap();
    assert_eq!(
        (status.pending, status.parked, status.last_error),
        (0, 0, None)
    );
    let binh_direct = Connection::new(direct, Some(binh_token)).unwrap();
    sync_once(&binh, &binh_direct).await.unwrap();
    let mut names = member_ids(&binh)
        .iter()
        .map(|id| binh.lock().unwrap().get_member(id).unwrap().full_name)
        .collect::<Vec<_>>();
    names.sort();
    assert_eq!(names, ["Phạm Văn Khoa", "Vũ Thị Mai"]);
}

test_on_both_databases!(
    before: small_batches_and_pages;
    laptops_converge_through_a_faulty_network_and_lose_nothing,
    a_laptop_told_to_update_keeps_queueing
);
