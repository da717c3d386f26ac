//! `khuyenhoc-bench`: the foundation's figures, each printed beside a floor measured in the
//! same run on the same machine. Not part of the test suite.
//!
//! Usage: `cargo run --release -p khuyenhoc-bench -- [MEMBERS]` (default 100,000).

/// mimalloc: reading and validating a member list makes many small allocations; it cuts the
/// import's time noticeably (docs/BENCHMARKS.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::Result;
use khuyenhoc_bench::{create_branches, create_commune, names, write_csv};
use khuyenhoc_domain::text::{fold, name_sort_key};
use khuyenhoc_store::{MemberQuery, OpenOptions, Store};

fn percentile(mut v: Vec<Duration>, p: f64) -> Duration {
    v.sort();
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

fn ms(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1000.0)
}

fn file_size(path: &Path) -> u64 {
    ["", "-wal"]
        .iter()
        .map(|s| {
            std::fs::metadata(format!("{}{s}", path.display()))
                .map(|m| m.len())
                .unwrap_or(0)
        })
        .sum()
}

/// The floor: the same rows, prepared INSERT into the same tables and the search index (in
/// bulk, as the import does), one transaction, values computed beforehand, no validation and
/// no outbox.
fn bare_insert(dir: &Path, n: usize) -> Result<(f64, u64)> {
    let path = dir.join("floor.db");
    for suffix in ["", "-wal", "-shm", ".lock"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    let mut store = Store::open(&path, OpenOptions::default())?;
    let commune = create_commune(&mut store)?;
    drop(store);
    let mut rng = fastrand::Rng::with_seed(20261122);
    let rows: Vec<_> = (0..n)
        .map(|i| {
            let p = names::person(&mut rng, i);
            (
                uuid::Uuid::now_v7().to_string(),
                fold(&p.name),
                name_sort_key(&p.name),
                p,
            )
        })
        .collect();
    let mut conn = rusqlite::Connection::open(&path)?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "cache_size", -32_768)?;
    let version = "000000000000000-000000-floor";
    let start = Instant::now();
    let tx = conn.transaction()?;
    {
        let mut stmt = tx.prepare(
            "INSERT INTO members (id, unit_id, full_name, gender, birth, phone, status, search_text, sort_key, created_version)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'active', ?7, ?8, ?9)",
        )?;
        let branch = commune.to_string();
        for (id, folded, key, p) in &rows {
            stmt.execute(rusqlite::params![
                id,
                branch,
                p.name,
                if p.female { "female" } else { "male" },
                p.birth,
                p.phone,
                folded,
                key,
                version
            ])?;
        }
    }
    tx.execute(
        "INSERT INTO member_search (rowid, search_text) SELECT rid, search_text FROM members",
        [],
    )?;
    tx.commit()?;
    let rate = n as f64 / start.elapsed().as_secs_f64();
    conn.pragma_update(None, "wal_checkpoint", "TRUNCATE")?;
    Ok((rate, file_size(&path)))
}

/// One import of the generated file into a fresh database: (read, preview, commit) times.
fn import_once(
    dir: &Path,
    csv: &Path,
    n: usize,
    run: usize,
) -> Result<(Duration, Duration, Duration, Store)> {
    let t = Instant::now();
    let sheet = khuyenhoc_sheet::read_path(csv, &Default::default())?;
    let t_read = t.elapsed();
    assert_eq!(sheet.rows.len(), n);
    let db = dir.join(format!("khuyenhoc-{run}.db"));
    let mut store = Store::open(&db, OpenOptions::default())?;
    let commune = create_commune(&mut store)?;
    let t0 = Instant::now();
    let preview = store.preview_import(csv, &commune, &Default::default())?;
    let t_preview = t0.elapsed();
    assert!(
        preview.errors.is_empty(),
        "generated rows are valid: {:?}",
        preview.errors.first()
    );
    let t1 = Instant::now();
    let outcome = store.commit_import(&preview, Default::default(), &mut |_, _| {})?;
    let t_commit = t1.elapsed();
    assert_eq!(outcome.added, n);
    assert_eq!(
        store.outbox_stats()?.pending as usize,
        n + 1 + 2 * names::BRANCHES.len() + 1,
        "one op per member (plus the units' ops)"
    );
    Ok((t_read, t_preview, t_commit, store))
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// `khuyenhoc-bench make-db PATH [MEMBERS]`: a set-up register for the desktop benchmark — a
/// commune with ten branches, the chairperson `bench` (PIN 2580) and MEMBERS generated members.
fn make_db(path: &Path, n: usize) -> Result<()> {
    let dir = tempfile::tempdir()?;
    let csv = dir.path().join("hoi-vien.csv");
    write_csv(&csv, n)?;
    let mut store = Store::open(path, OpenOptions::default())?;
    let setup = store.setup_commune(&khuyenhoc_store::CommuneSetup {
        province_name: "Hội Khuyến học tỉnh Quảng Trị".into(),
        province_code: Some("44".into()),
        commune_name: "Hội Khuyến học xã Tân Hòa".into(),
        commune_code: Some("26734".into()),
        officer: khuyenhoc_domain::OfficerInput {
            username: "bench".into(),
            full_name: "Cán bộ Đo Đạc".into(),
            role: "chairperson".into(),
            pin: "2580".into(),
        },
    })?;
    create_branches(&mut store, &setup.commune.id)?;
    let preview = store.preview_import(&csv, &setup.commune.id, &Default::default())?;
    let outcome = store.commit_import(&preview, Default::default(), &mut |_, _| {})?;
    println!(
        "{}: {} members, officer bench / PIN 2580",
        path.display(),
        outcome.added
    );
    Ok(())
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("make-db") {
        let path = args
            .get(2)
            .ok_or_else(|| anyhow::anyhow!("usage: make-db PATH [MEMBERS]"))?;
        let n = args
            .get(3)
            .map(|a| a.replace(['.', ','], "").parse())
            .transpose()?
            .unwrap_or(100_000);
        return make_db(Path::new(path), n);
    }
    let n: usize = std::env::args()
        .nth(1)
        .map(|a| a.replace(['.', ','], "").parse())
        .transpose()?
        .unwrap_or(100_000);
    const RUNS: usize = 5;
    let dir = tempfile::tempdir()?;
    println!(
        "khuyenhoc-bench: {n} generated members, {} cores, median of {RUNS} runs",
        std::thread::available_parallelism()
            .map(|p| p.get())
            .unwrap_or(1)
    );

    let csv = dir.path().join("hoi-vien.csv");
    write_csv(&csv, n)?;
    let (mut reads, mut previews, mut commits, mut wholes, mut floors) =
        (vec![], vec![], vec![], vec![], vec![]);
    let mut kept = None;
    let mut floor_size = 0;
    for run in 0..RUNS {
        let (r, p, c, store) = import_once(dir.path(), &csv, n, run)?;
        reads.push(n as f64 / r.as_secs_f64());
        previews.push(n as f64 / p.as_secs_f64());
        commits.push(n as f64 / c.as_secs_f64());
        wholes.push(n as f64 / (p + c).as_secs_f64());
        kept = Some(store);
        let (rate, size) = bare_insert(dir.path(), n)?;
        println!(
            "  run {}: preview {:.0} ms, commit {:.0} ms, whole {:.0} rows/s; floor {rate:.0} rows/s",
            run + 1,
            p.as_secs_f64() * 1000.0,
            c.as_secs_f64() * 1000.0,
            n as f64 / (p + c).as_secs_f64()
        );
        floors.push(rate);
        floor_size = size;
    }
    let store = kept.expect("at least one run");
    let db = store.path().to_path_buf();
    let (import_rate, floor_rate, commit_rate) = (median(wholes), median(floors), median(commits));
    println!("\n== import (real path: read, validate, outbox, search index) ==");
    println!("  read the file alone:       {:>8.0} rows/s", median(reads));
    println!(
        "  preview (read + validate): {:>8.0} rows/s",
        median(previews)
    );
    println!("  commit (one transaction):  {:>8.0} rows/s", commit_rate);
    println!(
        "  whole import:              {:>8.0} rows/s   target >= 50000",
        import_rate
    );
    println!(
        "  floor: bare prepared INSERT into the same tables + search index, no outbox: {floor_rate:.0} rows/s"
    );
    println!(
        "  ratio whole import / floor: {:.2}   commit / floor: {:.2}",
        import_rate / floor_rate,
        commit_rate / floor_rate
    );

    // Search: the first 50 results, a mix of very common and rare queries.
    let queries = [
        "nguyen",
        "nguyen van",
        "nguyen thi lan",
        "tran",
        "le van hung",
        "pham ngoc",
        "duc",
        "hoa",
        "minh",
        "anh",
        "thi",
        "hoang",
        "ly",
        "duong kim",
        "do dinh",
        "uyen",
        "bui quoc viet",
        "ngo",
        "ho xuan",
        "an nguyen",
        "09",
        "huynh thu thao",
        "vo",
        "dang",
    ];
    let mut times = Vec::new();
    for round in 0..20 {
        for q in queries {
            let t = Instant::now();
            let page = store.list_members(&MemberQuery {
                text: Some(q.into()),
                limit: 50,
                ..Default::default()
            })?;
            times.push(t.elapsed());
            if round == 0 {
                assert!(
                    !page.members.is_empty() || q == "uyen",
                    "query {q} found nobody"
                );
            }
        }
    }
    let (s50, s95) = (percentile(times.clone(), 0.5), percentile(times, 0.95));
    // Floor: the FTS5 index alone, LIMIT 50, no ordering.
    let conn = store.connection();
    let mut floor_times = Vec::new();
    for _ in 0..20 {
        for q in queries {
            let fts: String = q
                .split(' ')
                .map(|t| format!("\"{t}\"*"))
                .collect::<Vec<_>>()
                .join(" ");
            let t = Instant::now();
            let mut stmt = conn.prepare_cached(
                "SELECT rowid FROM member_search WHERE member_search MATCH ?1 LIMIT 50",
            )?;
            let n = stmt.query_map([fts], |r| r.get::<_, i64>(0))?.count();
            floor_times.push(t.elapsed());
            std::hint::black_box(n);
        }
    }
    println!(
        "\n== search, first 50 results in name order ({} queries) ==",
        queries.len() * 20
    );
    println!("  p50 {}  p95 {}   target p95 <= 10 ms", ms(s50), ms(s95));
    println!(
        "  floor: FTS5 match alone, LIMIT 50, unordered: p50 {}  p95 {}",
        ms(percentile(floor_times.clone(), 0.5)),
        ms(percentile(floor_times, 0.95))
    );

    // Sorted pages of 50: walk the whole register by keyset, and a branch's pages.
    let mut page_times = Vec::new();
    let mut after = None;
    loop {
        let t = Instant::now();
        let page = store.list_members(&MemberQuery {
            limit: 50,
            after: after.clone(),
            ..Default::default()
        })?;
        page_times.push(t.elapsed());
        match page.next {
            Some(next) if page_times.len() < 400 => after = Some(next),
            _ => break,
        }
    }
    let branch = store.find_unit("Chi hội Thôn Đông")?.id;
    let mut after = None;
    for _ in 0..100 {
        let t = Instant::now();
        let page = store.list_members(&MemberQuery {
            limit: 50,
            unit: Some(branch),
            after: after.clone(),
            ..Default::default()
        })?;
        page_times.push(t.elapsed());
        after = page.next;
        if after.is_none() {
            break;
        }
    }
    let mut floor_pages = Vec::new();
    let mut key: Vec<u8> = Vec::new();
    for _ in 0..400 {
        let t = Instant::now();
        let mut stmt = conn.prepare_cached("SELECT sort_key, full_name FROM members WHERE sort_key > ?1 ORDER BY sort_key LIMIT 50")?;
        let rows: Vec<Vec<u8>> = stmt
            .query_map([&key], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        floor_pages.push(t.elapsed());
        key = rows.last().cloned().unwrap_or_default();
    }
    println!(
        "\n== a sorted page of 50 members ({} pages: whole register and one branch) ==",
        page_times.len()
    );
    println!(
        "  p50 {}  p95 {}   target <= 5 ms",
        ms(percentile(page_times.clone(), 0.5)),
        ms(percentile(page_times, 0.95))
    );
    println!(
        "  floor: bare keyset SELECT on the sort index: p50 {}  p95 {}",
        ms(percentile(floor_pages.clone(), 0.5)),
        ms(percentile(floor_pages, 0.95))
    );

    store
        .connection()
        .pragma_update(None, "wal_checkpoint", "TRUNCATE")?;
    let size = file_size(&db);
    println!("\n== database size ==");
    println!(
        "  {:.0} B/member ({:.1} MB for {n}, outbox included)",
        size as f64 / n as f64,
        size as f64 / 1e6
    );
    println!(
        "  floor: the bare rows without outbox: {:.0} B/member",
        floor_size as f64 / n as f64
    );
    Ok(())
}
