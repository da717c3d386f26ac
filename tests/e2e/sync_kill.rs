//! `kill -9` of the real `khuyenhoc sync` in the middle of a sync loses and doubles nothing.
//!
//! Two laptops of one commune sync with the real server (in-process on 127.0.0.1:0, once on a
//! SQLite file and once on a fresh PostgreSQL database) through a proxy. Before each trial both
//! change the phone of the same member offline and the other laptop sends its edit first (so
//! the interrupted sync carries a conflict), and the laptop about to push imports members:
//! several push batches, since the client's batch and page sizes are made small with
//! `KHUYENHOC_SYNC_PUSH_BATCH` / `KHUYENHOC_SYNC_PULL_PAGE`; the other laptop then pulls them
//! in several pages. Trials go A mid-push, B mid-pull, B mid-push, A mid-pull, each with four
//! kill points in turn: right after the client logs that it applied an answer (the process runs
//! on a little: the kill lands between round trips or inside the next one), right after it logs
//! that an answer arrived (the kill lands around the store's transaction), while the proxy holds
//! a request before the server sees it, and while the proxy holds the answer of a request the
//! server has applied. Each trial prints where the kill landed: the database, the point, and the
//! last line the client wrote before it died.
//!
//! After each kill: the kill is shown to have landed mid-push (ops still unsent) or mid-pull
//! (the cursor below the server's newest change), the database passes `PRAGMA
//! integrity_check`, the outbox and the pull cursor are consistent, and the next `khuyenhoc sync` completes with nothing left to send. At the
//! end both laptops hold the same register, each member once, every op received once by the
//! server, every edit in force or kept as a conflict, and every conflict on a laptop for review.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use khuyenhoc_server::test_on_both_databases;
use khuyenhoc_server::testing::TestDatabase;
use khuyenhoc_tests::Env;
use khuyenhoc_tests::proxy::{Fault, Proxy};
use khuyenhoc_tests::sync_check::{
    assert_converged, assert_integrity, assert_outbox_consistent, count, outbox, received_ops,
};
use tokio::io::{AsyncBufReadExt, BufReader};

const SEED: u64 = 0x6b69_6c6c;
const TRIALS: usize = 32;
/// Members A imports before each push trial.
const PER_IMPORT: usize = 30;
const BATCH: &str = "6";
const PAGE: &str = "6";
/// How long a step may take before the test gives up on it (a deadline, not a pause).
const DEADLINE: Duration = Duration::from_secs(60);

#[derive(Debug, Clone, Copy)]
enum Point {
    /// Killed on reading the client's line that it applied an answer.
    AfterApplied,
    /// Killed on reading the client's line that an answer arrived (before the store applies it).
    AnswerReceived,
    /// Killed while the proxy holds the request; the server never sees it.
    InFlightBeforeServer,
    /// Killed while the proxy holds the answer; the server has applied the request.
    InFlightAfterServer,
}

const POINTS: [Point; 4] = [
    Point::AfterApplied,
    Point::AnswerReceived,
    Point::InFlightBeforeServer,
    Point::InFlightAfterServer,
];

fn chair(env: &Env) -> std::process::Command {
    let mut c = env.cmd();
    c.env("KHUYENHOC_USER", "lan")
        .env("KHUYENHOC_PIN", "2580")
        .env("KHUYENHOC_SYNC_PUSH_BATCH", BATCH)
        .env("KHUYENHOC_SYNC_PULL_PAGE", PAGE);
    c
}

async fn run(mut cmd: std::process::Command) -> std::process::Output {
    tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap()
}

async fn ok(cmd: std::process::Command, what: &str) -> serde_json::Value {
    let out = run(cmd).await;
    assert!(
        out.status.success(),
        "{what} failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null)
}

/// A CSV of `n` people numbered from `start`, each with a distinct name and birth date.
fn members_csv(path: &Path, start: usize, n: usize) -> Vec<String> {
    const FAMILY: [&str; 8] = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi"];
    const MIDDLE: [&str; 6] = ["Văn", "Thị", "Đức", "Minh", "Ngọc", "Hữu"];
    const GIVEN: [&str; 12] = [
        "An", "Bình", "Cường", "Dũng", "Đạt", "Hà", "Hoa", "Lan", "Minh", "Nam", "Phúc", "Quyên",
    ];
    let mut s = String::from("STT,Họ và tên,Ngày sinh,Số điện thoại\n");
    let mut names = Vec::new();
    for i in start..start + n {
        let name = format!(
            "{} {} {}",
            FAMILY[i % 8],
            MIDDLE[(i / 8) % 6],
            GIVEN[(i / 48) % 12]
        );
        let birth = format!(
            "{:02}/{:02}/{}",
            1 + i % 28,
            1 + (i / 28) % 12,
            1940 + (i / 336) % 60
        );
        s.push_str(&format!("{},{name},{birth},09{:08}\n", i + 1, i));
        names.push(format!("{name} {birth}"));
    }
    std::fs::write(path, s).unwrap();
    names
}

/// Strips the terminal colour codes tracing may write.
fn plain(line: &str) -> String {
    let mut out = String::new();
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Runs `khuyenhoc sync` on `env` and kills it with SIGKILL at `point` of the `nth` push or
/// pull; returns a description of where the kill landed.
async fn killed_sync(
    env: &Env,
    proxy: &Proxy,
    push: bool,
    point: Point,
    nth: usize,
) -> (String, Vec<String>) {
    let path = if push { "/v1/push" } else { "/v1/pull" };
    let stage = if push { "push" } else { "pull" };
    // A hold left by an earlier trial (the request after a marker, see below) is forgotten.
    while proxy.held(Duration::ZERO).await.is_some() {}
    let (hold, marker) = match point {
        Point::AfterApplied => (
            None,
            if push {
                "push: applied the answer"
            } else {
                "pull: applied the page"
            },
        ),
        Point::AnswerReceived => (
            None,
            if push {
                "push: answer received"
            } else {
                "pull: page received"
            },
        ),
        Point::InFlightBeforeServer => (Some(Fault::HoldBeforeServer), ""),
        Point::InFlightAfterServer => (Some(Fault::HoldAfterServer), ""),
    };
    // At a line of the client's log, the client is killed once the test reads that line; the
    // round trip after it is held meanwhile, so that a client running ahead of the test (a
    // loaded machine) cannot finish the sync before the kill lands.
    let (hold, at) = match hold {
        Some(fault) => (fault, nth),
        None => (Fault::HoldBeforeServer, nth + 1),
    };
    let mut seen = 0;
    proxy.set_plan(move |r| {
        if r.path != path {
            return Fault::Pass;
        }
        seen += 1;
        if seen == at { hold } else { Fault::Pass }
    });

    let std_cmd = {
        let mut c = chair(env);
        c.env("KHUYENHOC_LOG", "khuyenhoc_sync_client=debug")
            .args(["--json", "sync"])
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        c
    };
    let mut child = tokio::process::Command::from(std_cmd)
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let mut log = Vec::new();
    let mut markers = 0;
    let deadline = tokio::time::Instant::now() + DEADLINE;
    let how = loop {
        tokio::select! {
            line = lines.next_line() => {
                let Some(line) = line.unwrap() else {
                    panic!(
                        "the sync ended before the kill point ({point:?} of {stage} #{nth}):\n{}",
                        log.join("\n")
                    );
                };
                let line = plain(&line);
                log.push(line.clone());
                if !marker.is_empty() && line.contains(marker) {
                    markers += 1;
                    if markers == nth {
                        child.start_kill().unwrap();
                        break format!("on the client's line {marker:?} #{nth}");
                    }
                }
            }
            held = proxy.held(DEADLINE), if marker.is_empty() => {
                let (request, fault) = held.expect("the proxy held nothing");
                child.start_kill().unwrap();
                break format!("while the proxy held request {request} ({fault:?})");
            }
            _ = tokio::time::sleep_until(deadline) => panic!("no kill point within {DEADLINE:?}"),
        }
    };
    let status = child.wait().await.unwrap();
    assert!(!status.success(), "the sync was not killed");
    // What the client managed to write before it died.
    while let Ok(Some(line)) = lines.next_line().await {
        log.push(plain(&line));
    }
    proxy.set_plan(|_| Fault::Pass);
    let last = log
        .iter()
        .rev()
        .find(|l| l.contains("push:") || l.contains("pull:"))
        .map(|l| {
            let at = l.find(" push:").or_else(|| l.find(" pull:")).unwrap_or(0);
            l[at..].trim().to_owned()
        })
        .unwrap_or_else(|| "(no sync line)".into());
    (format!("{how}; last client line: {last}"), log)
}

async fn a_sync_killed_at_any_point_resumes_and_loses_nothing(db: TestDatabase) {
    let started = Instant::now();
    let a = Env::new();
    a.setup_commune();
    let b = Env::new();
    let (server, admin) = khuyenhoc_tests::server_with_commune(&db).await;
    let proxy = Proxy::start(server.addr).await;
    let url = proxy.url();

    // Both laptops enroll through the proxy; B is new (no officer yet) and pulls the commune.
    let code = khuyenhoc_tests::commune_code(&admin).await;
    let mut c = chair(&a);
    c.args(["--json", "enroll", "--server", &url, "--code", &code]);
    ok(c, "enroll A").await;
    let code = khuyenhoc_tests::commune_code(&admin).await;
    let mut c = b.cmd();
    c.env_remove("KHUYENHOC_USER")
        .args(["--json", "enroll", "--server", &url, "--code", &code]);
    ok(c, "enroll B").await;

    let mut rng = fastrand::Rng::with_seed(SEED);
    let mut expected = BTreeSet::new();
    let mut imported = [0, 100_000];
    for trial in 0..TRIALS {
        // A pushes, B pulls, B pushes, A pulls; every kill point in turn for each of them.
        let push = trial % 2 == 0;
        let point = POINTS[(trial / 4) % POINTS.len()];
        let (env, who, other) = match trial % 4 {
            0 | 3 => (&a, "A", &b),
            _ => (&b, "B", &a),
        };
        // Both laptops change the phone of the same one of the first members offline, so that
        // edits cross and conflicts arise.
        let pick = rng.usize(0..4);
        for laptop in [env, other] {
            let first = khuyenhoc_tests::sync_check::rows(
                &laptop.db,
                "SELECT id FROM members ORDER BY id LIMIT 4",
            );
            if !first.is_empty() {
                let id = first[pick % first.len()]["id"].as_str().unwrap().to_owned();
                let phone = format!("09{:08}", rng.u32(0..100_000_000));
                let mut c = chair(laptop);
                c.args(["--json", "members", "update", &id, "--phone", &phone]);
                ok(c, "an edit").await;
            }
        }
        if push {
            let n = usize::from(who == "B");
            let csv = env.path(&format!("trial{trial}.csv"));
            expected.extend(members_csv(&csv, imported[n], PER_IMPORT));
            imported[n] += PER_IMPORT;
            let mut c = chair(env);
            c.args(["--json", "members", "import"])
                .arg(&csv)
                .args(["--unit", "26734", "--commit"]);
            ok(c, "import").await;
        }
        // The other laptop sends its edit first, so the one about to be killed pushes an edit
        // that crossed it (a conflict inside the interrupted push).
        let mut c = chair(other);
        c.args(["--json", "sync"]);
        ok(c, "the other laptop's sync").await;
        let pending_before = count(&env.db, "SELECT COUNT(*) FROM outbox WHERE acked = 0");
        let cursor_before = count(&env.db, "SELECT pull_cursor FROM sync_state");
        // The newest change the killed laptop has to pull (one commune: all of them are its).
        let head = db
            .scalar("SELECT coalesce(max(version), 0) FROM changes")
            .await;
        // Which round trip: the first, second or third (there are at least five).
        let nth = rng.usize(1..=3);
        let (landed, log) = killed_sync(env, &proxy, push, point, nth).await;
        let pending_after = count(&env.db, "SELECT COUNT(*) FROM outbox WHERE acked = 0");
        let cursor_after = count(&env.db, "SELECT pull_cursor FROM sync_state");
        println!(
            "trial {trial:2} on {:?} ({who}, {} #{nth}, {point:?}): killed {landed}; pending \
             {pending_before} -> {pending_after}, cursor {cursor_before} -> {cursor_after}",
            db.backend(),
            if push { "push" } else { "pull" }
        );

        // The killed database opens whole and consistent.
        assert_integrity(&env.db);
        assert_outbox_consistent(&env.db, &db).await;
        assert!(pending_after <= pending_before);
        assert!(cursor_after >= cursor_before, "the pull cursor went back");
        if push {
            assert!(
                pending_after > 0,
                "the kill landed after the whole push: {}",
                log.join("\n")
            );
        } else {
            assert!(
                cursor_after < head,
                "the kill landed after the whole pull (cursor {cursor_after}, newest change \
                 {head}): {}",
                log.join("\n")
            );
        }
        // Every op the server acknowledged... and only those, are marked acknowledged here
        // (an op marked here but unknown to the server would never be sent again).
        let received: BTreeSet<String> = received_ops(&db).await.into_iter().collect();
        for op in outbox(&env.db).iter().filter(|o| o.acked) {
            assert!(
                received.contains(&op.op_id),
                "trial {trial}: op {} is acknowledged here but the server never received it",
                op.op_id
            );
        }

        // The next sync completes and leaves nothing to send.
        let mut c = chair(env);
        c.args(["--json", "sync"]);
        ok(c, "the sync after the kill").await;
        assert_eq!(
            count(&env.db, "SELECT COUNT(*) FROM outbox WHERE acked = 0"),
            0
        );
        assert_integrity(&env.db);
    }

    // Both laptops end with everything, once: A, B, then A again for what B sent last.
    for env in [&a, &b, &a] {
        let mut c = chair(env);
        c.args(["--json", "sync"]);
        ok(c, "the final sync").await;
    }
    let done = assert_converged(&[&a.db, &b.db], &db).await;
    println!("{done:?}");
    for env in [&a, &b] {
        let have: Vec<String> = khuyenhoc_tests::sync_check::rows(
            &env.db,
            "SELECT full_name, birth FROM members WHERE deleted = 0",
        )
        .into_iter()
        .map(|r| {
            let birth = r["birth"].as_str().unwrap();
            let (y, m, d) = (&birth[0..4], &birth[5..7], &birth[8..10]);
            format!("{} {d}/{m}/{y}", r["full_name"].as_str().unwrap())
        })
        .collect();
        let set: BTreeSet<String> = have.iter().cloned().collect();
        assert_eq!(set.len(), have.len(), "a member is doubled");
        assert_eq!(set, expected, "the members are not the ones imported");
    }
    assert!(
        done.server_conflicts > 0,
        "no edits crossed: the test does not exercise conflicts"
    );
    println!("took {:?} on {:?}", started.elapsed(), db.backend());
}

test_on_both_databases!(a_sync_killed_at_any_point_resumes_and_loses_nothing);
