//! `khuyenhoc-sync-bench`: sync through the real server and the real client over loopback HTTP,
//! with the bytes on the wire counted by a TCP proxy in between. Not part of the test suite.
//!
//! - push MEMBERS member changes from one laptop, then pull them onto a fresh laptop
//!   (changes/s each way, bytes per change), through the real apply path on both sides; on
//!   PostgreSQL beside the floor: `COPY` of the same rows into a table of the same shape;
//! - a sync when nothing changed (time and bytes, median of 20);
//! - DEVICES laptops syncing at once against one server (throughput, p50/p99 of one sync, and
//!   a check that nothing was lost).
//!
//! The server runs on SQLite, then on PostgreSQL when `KHUYENHOC_BENCH_POSTGRES` holds an admin
//! URL (`scripts/bench-sync` starts a throwaway cluster for it); each run gets a fresh database.
//!
//! Usage: `scripts/bench-sync [MEMBERS] [DEVICES]` (defaults 100,000 and 500).

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::net::SocketAddr;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use jiff::SignedDuration;
use khuyenhoc_bench::{create_commune, names, write_csv};
use khuyenhoc_domain::MemberInput;
use khuyenhoc_server::admin::Admin;
use khuyenhoc_server::config::Database;
use khuyenhoc_server::{ServerConfig, start};
use khuyenhoc_store::{OpenOptions, Store};
use khuyenhoc_sync_client::{Connection, ServerAddress, enroll, sync_once};
use tokio::net::{TcpListener, TcpStream};

/// Bytes that crossed the proxy, each way.
#[derive(Default)]
struct Wire {
    up: AtomicU64,
    down: AtomicU64,
}

impl Wire {
    fn take(&self) -> (u64, u64) {
        (
            self.up.swap(0, Ordering::SeqCst),
            self.down.swap(0, Ordering::SeqCst),
        )
    }
}

/// A TCP proxy to `server` that counts bytes; returns its address.
async fn counting_proxy(server: SocketAddr, wire: Arc<Wire>) -> Result<SocketAddr> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let wire = wire.clone();
            tokio::spawn(async move {
                let Ok(upstream) = TcpStream::connect(server).await else {
                    return;
                };
                let _ = client.set_nodelay(true);
                let _ = upstream.set_nodelay(true);
                let (client_read, client_write) = client.into_split();
                let (server_read, server_write) = upstream.into_split();
                let up = tokio::spawn(pipe(client_read, server_write, wire.clone(), true));
                pipe(server_read, client_write, wire, false).await;
                let _ = up.await;
            });
        }
    });
    Ok(addr)
}

/// Copies one direction of a connection, counting bytes as they pass (connections are kept
/// alive between syncs, so counting at the end would miss them).
async fn pipe(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    wire: Arc<Wire>,
    up: bool,
) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match from.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        let counter = if up { &wire.up } else { &wire.down };
        counter.fetch_add(n as u64, Ordering::SeqCst);
        if to.write_all(&buf[..n]).await.is_err() {
            break;
        }
    }
    let _ = to.shutdown().await;
}

struct World {
    admin: Admin,
    address: ServerAddress,
    wire: Arc<Wire>,
    /// The run's PostgreSQL database, when the server runs on PostgreSQL.
    postgres: Option<String>,
}

impl World {
    async fn laptop(&self, path: &Path, name: &str) -> Result<(Mutex<Store>, Connection)> {
        let store = Mutex::new(Store::open(path, OpenOptions::default())?);
        let code = self
            .admin
            .create_code("26734", SignedDuration::from_hours(1))
            .await?
            .code;
        let answer = enroll(&store, self.address.clone(), &code, name).await?;
        let conn = Connection::new(self.address.clone(), Some(answer.token))?;
        Ok((store, conn))
    }
}

fn per_second(n: usize, d: Duration) -> String {
    format!("{:.0}", n as f64 / d.as_secs_f64())
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

fn percentile(mut v: Vec<Duration>, p: f64) -> Duration {
    v.sort();
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

/// Pushes every pending op of `store` the way a sync does (batches in sequence order, the next
/// one sent while the laptop applies the previous answer), without the pull that follows.
async fn push_all(store: &Mutex<Store>, conn: &Connection) -> Result<usize> {
    Ok(khuyenhoc_sync_client::engine::push_pending(store, conn)
        .await?
        .pushed)
}

/// The floor on PostgreSQL: the pushed rows' server state (each member's fields with their
/// versions, as the server keeps them), written with `COPY … FROM STDIN (FORMAT binary)` into
/// a table of the same shape as the server's rows, in one transaction.
async fn copy_floor(url: &str, store: &Mutex<Store>) -> Result<(usize, Duration)> {
    let rows: Vec<(String, serde_json::Value)> = {
        let s = store.lock().unwrap();
        let mut stmt = s.connection().prepare(
            "SELECT row_id, fields, version FROM outbox WHERE entity = 'member' ORDER BY seq",
        )?;
        stmt.query_map([], |r| {
            let fields: String = r.get(1)?;
            let version: String = r.get(2)?;
            Ok((r.get::<_, String>(0)?, fields, version))
        })?
        .map(|row| {
            let (id, fields, version) = row?;
            let fields: serde_json::Map<String, serde_json::Value> =
                serde_json::from_str(&fields).unwrap_or_default();
            let state: serde_json::Map<String, serde_json::Value> = fields
                .into_iter()
                .map(|(k, v)| (k, serde_json::json!({"value": v, "version": version})))
                .collect();
            Ok((id, serde_json::Value::Object(state)))
        })
        .collect::<Result<_, rusqlite::Error>>()?
    };
    let (mut client, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls).await?;
    let task = tokio::spawn(conn);
    client
        .batch_execute(
            "CREATE TABLE floor_rows (entity text NOT NULL, row_id text NOT NULL,
                 scope_unit uuid NOT NULL, state jsonb NOT NULL, PRIMARY KEY (entity, row_id))",
        )
        .await?;
    let scope = uuid::Uuid::now_v7();
    let t = Instant::now();
    let tx = client.transaction().await?;
    let sink = tx
        .copy_in("COPY floor_rows (entity, row_id, scope_unit, state) FROM STDIN (FORMAT binary)")
        .await?;
    let writer = tokio_postgres::binary_copy::BinaryCopyInWriter::new(
        sink,
        &[
            tokio_postgres::types::Type::TEXT,
            tokio_postgres::types::Type::TEXT,
            tokio_postgres::types::Type::UUID,
            tokio_postgres::types::Type::JSONB,
        ],
    );
    let mut writer = std::pin::pin!(writer);
    for (id, state) in &rows {
        writer
            .as_mut()
            .write(&[&"member", id, &scope, state])
            .await?;
    }
    writer.finish().await?;
    tx.commit().await?;
    let elapsed = t.elapsed();
    drop(client);
    let _ = task.await;
    Ok((rows.len(), elapsed))
}

async fn push_and_pull(world: &World, dir: &Path, n: usize) -> Result<()> {
    let csv = dir.join("hoi-vien.csv");
    write_csv(&csv, n)?;
    let (a, a_conn) = world.laptop(&dir.join("a.db"), "Máy A").await?;
    {
        let mut s = a.lock().unwrap();
        let commune = create_commune(&mut s)?;
        let preview = s.preview_import(&csv, &commune, &Default::default())?;
        s.commit_import(&preview, Default::default(), &mut |_, _| {})?;
    }
    world.wire.take();
    let t = Instant::now();
    let pushed = push_all(&a, &a_conn).await?;
    let push_time = t.elapsed();
    let (up, down) = world.wire.take();
    println!(
        "push: {pushed} changes in {:.2} s = {} changes/s; {:.0} B up and {:.0} B down per change",
        push_time.as_secs_f64(),
        per_second(pushed, push_time),
        up as f64 / pushed as f64,
        down as f64 / pushed as f64,
    );
    if let Some(url) = &world.postgres {
        let (rows, copy_time) = copy_floor(url, &a).await?;
        println!(
            "  floor, PostgreSQL COPY of the same {rows} member rows: {:.2} s = {} rows/s; push is {:.2} of it",
            copy_time.as_secs_f64(),
            per_second(rows, copy_time),
            (pushed as f64 / push_time.as_secs_f64()) / (rows as f64 / copy_time.as_secs_f64())
        );
    }

    let (b, b_conn) = world.laptop(&dir.join("b.db"), "Máy B").await?;
    world.wire.take();
    let t = Instant::now();
    let summary = sync_once(&b, &b_conn).await?;
    let pull_time = t.elapsed();
    let (up, down) = world.wire.take();
    let members: i64 =
        b.lock()
            .unwrap()
            .connection()
            .query_row("SELECT count(*) FROM members", [], |r| r.get(0))?;
    anyhow::ensure!(
        members as usize == n,
        "the fresh laptop has {members} of {n} members"
    );
    println!(
        "pull onto a fresh laptop: {} changes in {:.2} s = {} changes/s; {:.0} B down and {:.0} B up per change",
        summary.pulled,
        pull_time.as_secs_f64(),
        per_second(summary.pulled, pull_time),
        down as f64 / summary.pulled as f64,
        up as f64 / summary.pulled as f64,
    );

    let mut times = Vec::new();
    let mut bytes = Vec::new();
    for _ in 0..20 {
        world.wire.take();
        let t = Instant::now();
        let s = sync_once(&b, &b_conn).await?;
        times.push(t.elapsed());
        anyhow::ensure!(s.pushed == 0 && s.pulled == 0, "nothing changed: {s:?}");
        let (up, down) = world.wire.take();
        bytes.push(up + down);
    }
    bytes.sort();
    println!(
        "sync with nothing changed: p50 {} (p95 {}), {} B on the wire",
        ms(percentile(times.clone(), 0.5)),
        ms(percentile(times, 0.95)),
        bytes[bytes.len() / 2]
    );
    Ok(())
}

/// `devices` laptops, each with `edits` new members, all syncing at once.
async fn many_devices(world: Arc<World>, dir: &Path, devices: usize, edits: usize) -> Result<()> {
    let mut laptops = Vec::new();
    for i in 0..devices {
        let (store, conn) = world
            .laptop(&dir.join(format!("d{i}.db")), &format!("Máy {i}"))
            .await
            .with_context(|| format!("enrolling laptop {i}"))?;
        {
            let mut s = store.lock().unwrap();
            let unit = s.create_unit(
                None,
                &khuyenhoc_domain::org::OrgUnitInput {
                    name: format!("Chi hội {i}"),
                    kind: "branch".into(),
                    org_code: None,
                    valid_from: None,
                },
            )?;
            let mut rng = fastrand::Rng::with_seed(i as u64);
            for k in 0..edits {
                s.add_member(
                    &unit.id,
                    &MemberInput {
                        full_name: names::person(&mut rng, k).name,
                        note: Some("many-devices".into()),
                        ..Default::default()
                    },
                )?;
            }
        }
        laptops.push(Arc::new((store, conn)));
    }
    let t = Instant::now();
    let tasks: Vec<_> = laptops
        .iter()
        .cloned()
        .map(|laptop| {
            tokio::spawn(async move {
                let (store, conn) = &*laptop;
                let t = Instant::now();
                let pushed = push_all(store, conn).await?;
                anyhow::Ok((t.elapsed(), pushed))
            })
        })
        .collect();
    let mut latencies = Vec::new();
    let mut pushed = 0;
    for task in tasks {
        let (latency, n) = task.await??;
        latencies.push(latency);
        pushed += n;
    }
    let wall = t.elapsed();
    // Nothing lost: a fresh laptop of the commune receives every member of every laptop.
    let (check, check_conn) = world.laptop(&dir.join("check.db"), "Máy kiểm tra").await?;
    sync_once(&check, &check_conn).await?;
    let members: i64 = check.lock().unwrap().connection().query_row(
        "SELECT count(*) FROM members WHERE note = 'many-devices'",
        [],
        |r| r.get(0),
    )?;
    anyhow::ensure!(
        members as usize == devices * edits,
        "{members} of {} members reached the server",
        devices * edits
    );
    println!(
        "{devices} laptops pushing {edits} new members each at once: {pushed} ops in {:.2} s = {} ops/s; one laptop's push p50 {} p99 {}; all {} members reached the server",
        wall.as_secs_f64(),
        per_second(pushed, wall),
        ms(percentile(latencies.clone(), 0.5)),
        ms(percentile(latencies, 0.99)),
        members
    );
    Ok(())
}

/// One run of every figure against a server on `db`.
async fn run(db: Database, dir: &Path, n: usize, devices: usize) -> Result<()> {
    let postgres = match &db {
        Database::Postgres(url) => Some(url.clone()),
        Database::Sqlite(_) => None,
    };
    let server = start(ServerConfig::new("127.0.0.1:0".parse()?, db.clone())).await?;
    let admin = Admin::open_database(&db).await?;
    admin.add_unit("44", "Tỉnh Quảng Trị", None).await?;
    admin.add_unit("26734", "Xã Tân Hòa", Some("44")).await?;
    let wire = Arc::new(Wire::default());
    let proxy = counting_proxy(server.addr, wire.clone()).await?;
    let world = Arc::new(World {
        admin,
        address: ServerAddress::parse(&format!("http://{proxy}"), false)?,
        wire,
        postgres,
    });
    println!(
        "— server on {}, {n} members, {devices} laptops, {} cores",
        if world.postgres.is_some() {
            "PostgreSQL"
        } else {
            "SQLite"
        },
        std::thread::available_parallelism().map_or(1, |p| p.get())
    );
    push_and_pull(&world, dir, n).await?;
    many_devices(world, dir, devices, 20).await?;
    server.shutdown().await?;
    Ok(())
}

#[tokio::main]
async fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let parse = |a: Option<String>, default: usize| -> Result<usize> {
        Ok(a.map(|a| a.replace(['.', ','], "").parse())
            .transpose()?
            .unwrap_or(default))
    };
    let n = parse(args.next(), 100_000)?;
    let devices = parse(args.next(), 500)?;
    println!("khuyenhoc-sync-bench");
    // `KHUYENHOC_BENCH_ONLY=sqlite` or `=postgres` runs one database only: scripts/bench-sync
    // runs each in its own process, so that neither inherits the other's heap or the disk
    // writes it left behind.
    let only = std::env::var("KHUYENHOC_BENCH_ONLY").ok();
    if only.as_deref() != Some("postgres") {
        let dir = tempfile::tempdir()?;
        let db = Database::Sqlite(dir.path().join("server.db"));
        run(db, dir.path(), n, devices).await?;
    }
    if only.as_deref() == Some("sqlite") {
        return Ok(());
    }
    if let Ok(admin_url) = std::env::var("KHUYENHOC_BENCH_POSTGRES") {
        let dir = tempfile::tempdir()?;
        let name = format!("bench_{}", uuid::Uuid::now_v7().simple());
        let (client, conn) = tokio_postgres::connect(&admin_url, tokio_postgres::NoTls).await?;
        let task = tokio::spawn(conn);
        client
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .await?;
        drop(client);
        let _ = task.await;
        let url = khuyenhoc_server::testing::with_database_name(&admin_url, &name);
        run(Database::Postgres(url), dir.path(), n, devices).await?;
    } else {
        println!(
            "(KHUYENHOC_BENCH_POSTGRES is not set: no PostgreSQL run; scripts/bench-sync sets it)"
        );
    }
    Ok(())
}
