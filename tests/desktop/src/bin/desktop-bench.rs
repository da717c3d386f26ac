//! `desktop-bench`: the desktop app's figures under Xvfb, each beside a floor measured in the
//! same run (docs/BENCHMARKS.md). Not part of the test suite; `scripts/bench-desktop` runs it.
//!
//! - cold start to an interactive members screen (launch → login screen → logged in → first
//!   rows on screen), beside the core doing the same work in-process (open, login, first page);
//! - search: keystroke to results on screen, timed inside the page, beside the core's own
//!   search call for the same query;
//! - resident memory at idle (the app and its WebKit processes) on the 100,000-member register,
//!   beside the same app idle on an empty register;
//! - the `.deb` size beside the binary inside it.
//!
//! Usage: desktop-bench DB_WITH_MEMBERS [DEB]   (DB made by `khuyenhoc-bench make-db`; officer
//! `bench`, PIN 2580). The app binary comes from KHUYENHOC_DESKTOP_BIN as for the tests.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use khuyenhoc_desktop_e2e::{Desktop, poll};

const RUNS: usize = 5;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn percentile(mut v: Vec<f64>, p: f64) -> f64 {
    v.sort_by(f64::total_cmp);
    let i = ((v.len() as f64 - 1.0) * p).round() as usize;
    v[i]
}

/// Copies the register so each run starts from the same file (and a cold page cache is not
/// what we measure: the file was just written).
fn fresh_copy(db: &Path, dir: &Path, run: usize) -> PathBuf {
    let copy = dir.join(format!("run-{run}.db"));
    std::fs::copy(db, &copy).expect("copy of the register");
    copy
}

/// Login to the members list, timed inside the page: fills the login form as typing would,
/// submits, opens the members screen and waits for its first rows to be painted.
const LOGIN_SCRIPT: &str = r#"
const done = arguments[arguments.length - 1];
const t0 = performance.now();
const set = (id, v) => {
  const e = document.querySelector(`[data-testid=${id}]`);
  e.value = v;
  e.dispatchEvent(new Event('input', { bubbles: true }));
};
set('field-login-username', 'bench');
set('field-login-pin', '2580');
document.querySelector('[data-testid=login-submit]').click();
const wait = (sel, then) => {
  const e = document.querySelector(sel);
  if (e) then(e); else requestAnimationFrame(() => wait(sel, then));
};
wait('[data-testid=nav-members]', (nav) => {
  const tNav = performance.now() - t0;
  nav.click();
  wait('[data-testid=member-row]', () => requestAnimationFrame(() => done([performance.now() - t0, tNav])));
});
"#;

/// Where login-to-members time goes: each command the screens call, timed from the page
/// (IPC both ways included), on a freshly started app that is not logged in.
const BREAKDOWN_SCRIPT: &str = r#"
const done = arguments[arguments.length - 1];
const invoke = window.__TAURI_INTERNALS__.invoke;
const steps = [
  ['login', { username: 'bench', pin: '2580' }],
  ['session', {}],
  ['dashboard', {}],
  ['units', {}],
  ['members_page', { query: { text: null, unit_id: null, status: null, limit: 200, after: null } }],
];
(async () => {
  const out = [];
  for (const [cmd, args] of steps) {
    const t0 = performance.now();
    await invoke(cmd, args);
    out.push([cmd, performance.now() - t0]);
  }
  done(out);
})().catch((e) => done(String(e)));
"#;

/// Keystroke to results on screen, measured in the page: sets the search box, fires `input`,
/// and waits (one animation frame at a time) until the list shows different rows.
const SEARCH_SCRIPT: &str = r#"
const [query, done] = arguments;
const input = document.querySelector('[data-testid=member-search]');
const list = document.querySelector('[data-testid=member-list]');
const before = list.innerText;
const t0 = performance.now();
input.value = query;
input.dispatchEvent(new Event('input', { bubbles: true }));
const check = () => {
  if (list.innerText !== before && list.querySelector('[data-testid=member-row]')) {
    done(performance.now() - t0);
  } else {
    requestAnimationFrame(check);
  }
};
requestAnimationFrame(check);
"#;

/// Resident memory (KiB) of the app process and every process below it (WebKit's).
fn tree_rss_kib(binary: &Path) -> u64 {
    let mut procs = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let status = std::fs::read_to_string(entry.path().join("status")).unwrap_or_default();
        let field = |name: &str| {
            status
                .lines()
                .find(|l| l.starts_with(name))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse::<u64>().ok())
        };
        let exe = std::fs::read_link(entry.path().join("exe")).ok();
        procs.push((
            pid,
            field("PPid:").unwrap_or(0) as u32,
            field("VmRSS:").unwrap_or(0),
            exe,
        ));
    }
    let roots: Vec<u32> = procs
        .iter()
        .filter(|(_, _, _, exe)| exe.as_deref() == Some(binary))
        .map(|(pid, ..)| *pid)
        .collect();
    assert!(!roots.is_empty(), "the app process was not found");
    let mut tree = roots.clone();
    let mut grew = true;
    while grew {
        grew = false;
        for (pid, ppid, ..) in &procs {
            if tree.contains(ppid) && !tree.contains(pid) {
                tree.push(*pid);
                grew = true;
            }
        }
    }
    procs
        .iter()
        .filter(|(pid, ..)| tree.contains(pid))
        .map(|(_, _, rss, _)| rss)
        .sum()
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let db = PathBuf::from(args.get(1).expect("usage: desktop-bench DB [DEB]"));
    let deb = args.get(2).map(PathBuf::from);
    let binary = khuyenhoc_desktop_e2e::app_binary();
    let binary = std::fs::canonicalize(&binary).unwrap_or(binary);
    let work_dir = std::env::temp_dir()
        .join("khuyenhoc-e2e")
        .join("bench-files");
    let _ = std::fs::remove_dir_all(&work_dir);
    std::fs::create_dir_all(&work_dir).unwrap();
    println!("desktop-bench: {} ({})", db.display(), binary.display());

    // Floor for start-up: the core alone opens the register, logs in, reads the first page.
    let mut core_start = Vec::new();
    for run in 0..RUNS {
        let copy = fresh_copy(&db, &work_dir, 100 + run);
        let t = Instant::now();
        let app = khuyenhoc_app::App::open(&copy).unwrap();
        app.login("bench".into(), "2580".into()).unwrap();
        let page = app.members_page(Default::default()).unwrap();
        assert!(!page.rows.is_empty());
        core_start.push(t.elapsed().as_secs_f64() * 1000.0);
    }

    // Floor for the launch: the same app on an empty register, to its first screen.
    let mut empty_launch = Vec::new();
    for run in 0..RUNS {
        let empty = work_dir.join(format!("empty-{run}.db"));
        let t = Instant::now();
        let app = Desktop::start("bench-empty", |_| {
            vec![("KHUYENHOC_DB", OsString::from(&empty))]
        })
        .await;
        app.by_testid("first-run").await;
        empty_launch.push(t.elapsed().as_secs_f64() * 1000.0);
    }

    let mut to_login = Vec::new();
    let mut login_to_members = Vec::new();
    let mut to_members = Vec::new();
    let mut search_ui = Vec::new();
    let mut rss_full = 0;
    let queries = [
        "nguyen",
        "tran thi",
        "le van hung",
        "pham",
        "hoa",
        "duc",
        "lan",
        "minh",
        "vo",
        "ngoc anh",
    ];
    for run in 0..RUNS {
        let copy = fresh_copy(&db, &work_dir, run);
        let t = Instant::now();
        let app = Desktop::start("bench", |_| vec![("KHUYENHOC_DB", OsString::from(&copy))]).await;
        app.by_testid("login").await;
        to_login.push(t.elapsed().as_secs_f64() * 1000.0);
        let in_page = app
            .client
            .execute_async(LOGIN_SCRIPT, vec![])
            .await
            .expect("login to the members list");
        let in_page = in_page[0].as_f64().unwrap();
        login_to_members.push(in_page);
        to_members.push(to_login[run] + in_page);
        if run == 0 {
            // Searches on a warm app: each query differs from the one before.
            for round in 0..3 {
                for q in queries {
                    let ms = app
                        .client
                        .execute_async(SEARCH_SCRIPT, vec![q.into()])
                        .await
                        .unwrap_or_else(|e| panic!("search {q:?} (round {round}): {e}"));
                    search_ui.push(ms.as_f64().unwrap());
                }
            }
            // Idle: the list on screen, nothing happening, for a few seconds.
            tokio::time::sleep(Duration::from_secs(3)).await;
            rss_full = tree_rss_kib(&binary);
        }
    }

    // The commands behind login-to-members, one by one.
    let breakdown = {
        let copy = fresh_copy(&db, &work_dir, 300);
        let app = Desktop::start("bench", |_| vec![("KHUYENHOC_DB", OsString::from(&copy))]).await;
        app.by_testid("login").await;
        app.client
            .execute_async(BREAKDOWN_SCRIPT, vec![])
            .await
            .expect("the breakdown script")
    };

    // Floor for search: the core's own call for the same queries.
    let core = khuyenhoc_app::App::open(fresh_copy(&db, &work_dir, 200)).unwrap();
    core.login("bench".into(), "2580".into()).unwrap();
    let mut search_core = Vec::new();
    for _ in 0..3 {
        for q in queries {
            let t = Instant::now();
            core.members_page(khuyenhoc_app::MemberQueryForm {
                text: Some(q.into()),
                limit: Some(200),
                ..Default::default()
            })
            .unwrap();
            search_core.push(t.elapsed().as_secs_f64() * 1000.0);
        }
    }

    // Floor for memory: the same app, idle, on an empty register (first-run screen).
    let empty = &work_dir.join("empty.db");
    let rss_empty = {
        let app = Desktop::start("bench-empty", |_| {
            vec![("KHUYENHOC_DB", OsString::from(&empty))]
        })
        .await;
        app.by_testid("first-run").await;
        tokio::time::sleep(Duration::from_secs(3)).await;
        poll("the app's memory", Duration::from_secs(5), || async {
            Some(tree_rss_kib(&binary))
        })
        .await
    };

    println!("\n== start-up, median of {RUNS} (ms) ==");
    println!(
        "  launch to the login screen:         {:>6.0}   floor, same app on an empty register: {:.0}",
        median(to_login.clone()),
        median(empty_launch)
    );
    println!(
        "  login to members on screen (page):  {:>6.0}   floor, the core alone (open, login, first page): {:.0}",
        median(login_to_members),
        median(core_start)
    );
    println!(
        "  cold start to members on screen:    {:>6.0}   target <= 2000 (typing excluded)",
        median(to_members.clone())
    );
    println!("  runs: {to_members:.0?}");
    println!("  commands behind it, timed from the page (ms): {breakdown}");
    println!("\n== search with {} queries x 3 (ms) ==", queries.len());
    println!(
        "  keystroke to results on screen: p50 {:.1}  p95 {:.1}   target <= 100",
        percentile(search_ui.clone(), 0.5),
        percentile(search_ui, 0.95)
    );
    println!(
        "  floor, the core's search call:  p50 {:.1}  p95 {:.1}",
        percentile(search_core.clone(), 0.5),
        percentile(search_core, 0.95)
    );
    println!("\n== resident memory at idle (app + WebKit processes) ==");
    println!(
        "  members screen, this register: {:>7.1} MiB",
        rss_full as f64 / 1024.0
    );
    println!(
        "  floor, same app on an empty register: {:.1} MiB",
        rss_empty as f64 / 1024.0
    );
    if let Some(deb) = deb {
        let size = std::fs::metadata(&deb).map(|m| m.len()).unwrap_or(0);
        let bin = std::fs::metadata(&binary).map(|m| m.len()).unwrap_or(0);
        println!("\n== package ==");
        println!(
            "  .deb: {:.1} MiB ({})",
            size as f64 / 1048576.0,
            deb.display()
        );
        println!(
            "  floor, the binary inside it (uncompressed): {:.1} MiB",
            bin as f64 / 1048576.0
        );
    }
}
