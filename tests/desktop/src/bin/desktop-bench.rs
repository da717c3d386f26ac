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
/// submits, opens the members screen and waits for its first rows to be painted. Answers
/// `[total, login to the overview's navigation on screen]` in ms.
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

/// When the page put `screen` in the document (the app marks `screen:<name>` on the page's
/// timeline, ui/src/App.svelte), in ms since the Unix epoch.
const SCREEN_SHOWN_SCRIPT: &str = r#"
const marks = performance.getEntriesByName(`screen:${arguments[0]}`);
return marks.length ? performance.timeOrigin + marks[marks.length - 1].startTime : null;
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

/// When the newest running process of `binary` was started, in ms since the Unix epoch (from
/// `/proc`: its start in clock ticks since boot, against the uptime read now; 10 ms steps).
fn process_start_epoch_ms(binary: &Path) -> f64 {
    let uptime = std::fs::read_to_string("/proc/uptime").unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
        * 1000.0;
    let uptime_ms: f64 = uptime
        .split_whitespace()
        .next()
        .unwrap()
        .parse::<f64>()
        .unwrap()
        * 1000.0;
    // SAFETY: sysconf has no preconditions.
    let ticks_per_s = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
    let newest_start_ticks = std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter(|e| std::fs::read_link(e.path().join("exe")).ok().as_deref() == Some(binary))
        .filter_map(|e| {
            let stat = std::fs::read_to_string(e.path().join("stat")).ok()?;
            // Fields after the command name (which may hold spaces) start at field 3.
            let after_name = &stat[stat.rfind(')')? + 2..];
            after_name.split_whitespace().nth(19)?.parse::<f64>().ok()
        })
        .fold(None, |newest: Option<f64>, t| {
            Some(newest.map_or(t, |n| n.max(t)))
        })
        .expect("the app process was not found");
    now - (uptime_ms - newest_start_ticks * 1000.0 / ticks_per_s)
}

/// From the app process's start to `screen` in the page, in ms (see [`SCREEN_SHOWN_SCRIPT`]).
/// WebDriver's own start-up (tauri-driver, WebKitWebDriver, the session) is not counted: an
/// officer opening the app does not pay it.
async fn launch_to_screen(app: &Desktop, binary: &Path, screen: &str) -> f64 {
    let started = process_start_epoch_ms(binary);
    let shown = app
        .client
        .execute(SCREEN_SHOWN_SCRIPT, vec![screen.into()])
        .await
        .expect("the screen marks")
        .as_f64()
        .unwrap_or_else(|| panic!("the page never marked screen:{screen}"));
    shown - started
}

/// Start-up figures of one series of cold starts, each on a fresh copy of the register.
#[derive(Default)]
struct StartUp {
    /// Process start to the login screen in the page.
    to_login: Vec<f64>,
    /// The same seen from the test harness: tauri-driver and WebKitWebDriver starting included.
    to_login_harness: Vec<f64>,
    /// Login submitted to the first rows painted, in the page.
    login_to_members: Vec<f64>,
    /// Login submitted to the overview's navigation on screen, in the page.
    login_to_overview: Vec<f64>,
}

impl StartUp {
    /// One cold start: launch, login screen, login, members; the app is left on that screen.
    async fn measure(&mut self, binary: &Path, db: &Path, env: &[(&'static str, &str)]) -> Desktop {
        let t = Instant::now();
        let app = Desktop::start("bench", |_| {
            let mut all = vec![("KHUYENHOC_DB", OsString::from(db))];
            all.extend(env.iter().map(|(k, v)| (*k, OsString::from(v))));
            all
        })
        .await;
        app.by_testid("login").await;
        self.to_login_harness
            .push(t.elapsed().as_secs_f64() * 1000.0);
        self.to_login
            .push(launch_to_screen(&app, binary, "login").await);
        let in_page = app
            .client
            .execute_async(LOGIN_SCRIPT, vec![])
            .await
            .expect("login to the members list");
        self.login_to_members.push(in_page[0].as_f64().unwrap());
        self.login_to_overview.push(in_page[1].as_f64().unwrap());
        app
    }

    /// Cold start to members on screen, one figure per run.
    fn totals(&self) -> Vec<f64> {
        self.to_login
            .iter()
            .zip(&self.login_to_members)
            .map(|(a, b)| a + b)
            .collect()
    }
}

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
        let app = Desktop::start("bench-empty", |_| {
            vec![("KHUYENHOC_DB", OsString::from(&empty))]
        })
        .await;
        app.by_testid("first-run").await;
        empty_launch.push(launch_to_screen(&app, &binary, "first-run").await);
    }

    // The same start-up with WebKit's GPU compositing kept (KHUYENHOC_GPU=1,
    // src-tauri/src/rendering.rs): what the app's default saves on this machine.
    let mut gpu = StartUp::default();
    for run in 0..RUNS {
        let copy = fresh_copy(&db, &work_dir, 400 + run);
        gpu.measure(&binary, &copy, &[("KHUYENHOC_GPU", "1")]).await;
    }

    let mut start_up = StartUp::default();
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
        let app = start_up.measure(&binary, &copy, &[]).await;
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
        "  launch to the login screen:          {:>6.0}   floor, same app on an empty register: {:.0}",
        median(start_up.to_login.clone()),
        median(empty_launch)
    );
    println!(
        "    as the test harness sees it:       {:>6.0}   (tauri-driver and WebKitWebDriver starting included)",
        median(start_up.to_login_harness.clone())
    );
    println!(
        "  login to members on screen (page):   {:>6.0}   floor, the core alone (open, login, first page): {:.0}",
        median(start_up.login_to_members.clone()),
        median(core_start)
    );
    println!(
        "    of which login to the overview:    {:>6.0}",
        median(start_up.login_to_overview.clone())
    );
    println!(
        "  cold start to members on screen:     {:>6.0}   target <= 2000 (typing excluded)",
        median(start_up.totals())
    );
    println!("  runs: {:.0?}", start_up.totals());
    println!(
        "  with WebKit's GPU compositing (KHUYENHOC_GPU=1): launch to login {:.0}, login to members {:.0}, cold start {:.0}",
        median(gpu.to_login.clone()),
        median(gpu.login_to_members.clone()),
        median(gpu.totals())
    );
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
