//! `khuyenhoc-server`: run the central sync server, or administer its database.

use std::net::SocketAddr;

use anyhow::Context;
use clap::{Parser, Subcommand};
use jiff::SignedDuration;
use uuid::Uuid;

use khuyenhoc_server::admin::Admin;
use khuyenhoc_server::config::{DEFAULT_BODY_LIMIT, DEFAULT_DB};
use khuyenhoc_server::storage::DEFAULT_HORIZON_DAYS;
use khuyenhoc_server::token_life::{DEFAULT_TOKEN_IDLE_DAYS, check_against_horizon};
use khuyenhoc_server::{Database, PurgeSchedule, ServerConfig, start};

#[derive(Parser)]
#[command(
    name = "khuyenhoc-server",
    version,
    about = "Máy chủ đồng bộ khuyenhoc (central sync server)"
)]
struct Cli {
    /// Logs as plain lines (`text`), or one JSON object per line (`json`) for a log collector.
    #[arg(
        long,
        global = true,
        value_enum,
        default_value_t = LogFormat::Text,
        env = "KHUYENHOC_SERVER_LOG_FORMAT"
    )]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server (creates the database on first start).
    Serve {
        /// Address and port to listen on.
        #[arg(
            long,
            default_value = "127.0.0.1:8080",
            env = "KHUYENHOC_SERVER_LISTEN"
        )]
        listen: SocketAddr,
        /// The database: a SQLite file (by default `khuyenhoc-server.db` in the current
        /// directory), or a PostgreSQL URL `postgres://user:password@host:5432/dbname`.
        #[arg(long, default_value = DEFAULT_DB, env = "KHUYENHOC_SERVER_DB")]
        db: String,
        /// Largest request body in bytes, after decompression.
        #[arg(long, default_value_t = DEFAULT_BODY_LIMIT)]
        body_limit: usize,
        /// Serve HTTPS with this certificate chain (PEM); needs --tls-key. Laptops refuse
        /// plain http:// to anything but their own machine.
        #[arg(long, requires = "tls_key", env = "KHUYENHOC_SERVER_TLS_CERT")]
        tls_cert: Option<std::path::PathBuf>,
        /// The certificate's private key (PEM).
        #[arg(long, requires = "tls_cert", env = "KHUYENHOC_SERVER_TLS_KEY")]
        tls_key: Option<std::path::PathBuf>,
        /// Purge tombstones every this many hours (as `admin purge`); 0: never by itself.
        #[arg(long, default_value_t = 24)]
        purge_every_hours: u32,
        /// Laptops silent for longer than this many days do not hold the purge back.
        #[arg(long, default_value_t = DEFAULT_HORIZON_DAYS, value_parser = clap::value_parser!(u32).range(1..))]
        purge_horizon_days: u32,
        /// A laptop's token is refused (`token_expired`) once unused for this many days; each
        /// sync keeps it alive. Must be longer than --purge-horizon-days, so that a laptop
        /// silent past the horizon can still come back; past it, the laptop enrolls again with
        /// a new code (keeping its pending changes).
        #[arg(long, default_value_t = DEFAULT_TOKEN_IDLE_DAYS, value_parser = clap::value_parser!(u32).range(1..))]
        token_idle_days: u32,
    },
    /// Administer the database: org units, enrollment codes, devices, tombstone purge.
    Admin {
        /// The database: a SQLite file (by default `khuyenhoc-server.db` in the current
        /// directory), or a PostgreSQL URL `postgres://user:password@host:5432/dbname`.
        #[arg(long, default_value = DEFAULT_DB, env = "KHUYENHOC_SERVER_DB")]
        db: String,
        #[command(subcommand)]
        command: AdminCommand,
    },
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Org units (province, commune, branch…).
    Unit {
        #[command(subcommand)]
        command: UnitCommand,
    },
    /// One-time enrollment codes.
    Code {
        #[command(subcommand)]
        command: CodeCommand,
    },
    /// Enrolled devices.
    Device {
        #[command(subcommand)]
        command: DeviceCommand,
    },
    /// After restoring the database from a backup, before starting the servers: give it a new
    /// epoch, so every laptop pulls again from zero and pushes again what the backup lacked.
    Restored,
    /// Purge tombstones (deleted records) every active laptop has pulled: their history goes
    /// from the server for good. A laptop revoked, or silent for longer than the horizon, does
    /// not hold the purge back; when it comes back it sends what it has pending, then pulls
    /// everything again (an edit it made offline to a purged record is refused and kept on it).
    Purge {
        /// Laptops silent for longer than this many days do not hold the purge back. Keep it
        /// below the servers' --token-idle-days, so that such a laptop can still come back.
        #[arg(long, default_value_t = DEFAULT_HORIZON_DAYS, value_parser = clap::value_parser!(u32).range(1..))]
        horizon_days: u32,
    },
    /// Apply a laptop's signed file of changes (`khuyenhoc sync export`), brought on a USB
    /// stick: checked against the key the laptop enrolled with, then applied like its push.
    ImportBatch {
        /// The `.khbatch` file.
        file: std::path::PathBuf,
    },
}

#[derive(Subcommand)]
enum UnitCommand {
    /// Add an org unit.
    Add {
        /// Its official code (unique), e.g. the commune code 26734.
        #[arg(long)]
        code: String,
        #[arg(long)]
        name: String,
        /// The code of the unit it belongs to.
        #[arg(long)]
        parent_code: Option<String>,
    },
    /// List org units: code, name, parent code (tab-separated).
    List,
}

#[derive(Subcommand)]
enum CodeCommand {
    /// Make a one-time enrollment code for a unit; the code is printed once, on stdout.
    Create {
        #[arg(long)]
        unit_code: String,
        /// Hours the code stays valid (1 to 720).
        #[arg(long, default_value_t = 72, value_parser = clap::value_parser!(u32).range(1..=720))]
        valid_hours: u32,
    },
}

#[derive(Subcommand)]
enum DeviceCommand {
    /// List devices: id, name, unit code, enrolled at, state, last seen (to the hour), the
    /// version pulled through (tab-separated, `-` for none).
    List {
        /// Print a JSON array of the devices instead, for scripts.
        #[arg(long)]
        json: bool,
    },
    /// Revoke a device: its token stops working at once.
    Revoke { device_id: Uuid },
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    // The server logs its requests; admin commands only print warnings.
    let default_filter = match cli.command {
        Command::Serve { .. } => "info",
        Command::Admin { .. } => "warn",
    };
    let logs = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| default_filter.into()),
        )
        .with_writer(std::io::stderr);
    match cli.log_format {
        LogFormat::Text => logs.init(),
        LogFormat::Json => logs.json().init(),
    }
    match run(cli) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            // The chain of causes on one line, without a backtrace.
            eprintln!("Lỗi (error): {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        match cli.command {
            Command::Serve {
                listen,
                db,
                body_limit,
                tls_cert,
                tls_key,
                purge_every_hours,
                purge_horizon_days,
                token_idle_days,
            } => {
                // Checked against the horizon even when the server does not purge by itself:
                // `admin purge` takes the same default.
                check_against_horizon(token_idle_days, purge_horizon_days)
                    .map_err(|reason| anyhow::anyhow!("--token-idle-days: {reason}"))?;
                let tls = tls_cert
                    .zip(tls_key)
                    .map(|(cert, key)| khuyenhoc_server::TlsFiles { cert, key });
                let purge = (purge_every_hours > 0).then(|| PurgeSchedule {
                    every: std::time::Duration::from_secs(u64::from(purge_every_hours) * 3600),
                    horizon_days: purge_horizon_days,
                });
                serve(listen, db, body_limit, token_idle_days, tls, purge).await
            }
            Command::Admin { db, command } => admin(db, command).await,
        }
    })
}

async fn serve(
    listen: SocketAddr,
    db: String,
    body_limit: usize,
    token_idle_days: u32,
    tls: Option<khuyenhoc_server::TlsFiles>,
    purge: Option<PurgeSchedule>,
) -> anyhow::Result<()> {
    let db = Database::parse(&db);
    let mut config = ServerConfig::new(listen, db.clone());
    config.body_limit = body_limit;
    config.token_idle_days = token_idle_days;
    config.purge = purge;
    let scheme = if tls.is_some() { "https" } else { "http" };
    config.tls = tls;
    let server = start(config)
        .await
        .with_context(|| format!("starting the server on {db}"))?;
    eprintln!(
        "khuyenhoc-server listening on {scheme}://{} (epoch {}, database {db})",
        server.addr, server.epoch
    );
    let handle = server.shutdown_handle();
    tokio::spawn(async move {
        shutdown_signal().await;
        tracing::info!("shutting down: finishing requests in flight");
        handle.shutdown();
    });
    server.wait().await?;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}

async fn admin(db: String, command: AdminCommand) -> anyhow::Result<()> {
    let db = Database::parse(&db);
    let admin = Admin::open_database(&db)
        .await
        .with_context(|| format!("opening {db}"))?;
    match command {
        AdminCommand::Unit { command } => match command {
            UnitCommand::Add {
                code,
                name,
                parent_code,
            } => {
                let unit = admin.add_unit(&code, &name, parent_code.as_deref()).await?;
                println!("{}\t{}\t{}", unit.org_code, unit.name, unit.id);
            }
            UnitCommand::List => {
                let units = admin.list_units().await?;
                for u in &units {
                    let parent = u
                        .parent_id
                        .and_then(|p| units.iter().find(|x| x.id == p))
                        .map(|p| p.org_code.as_str())
                        .unwrap_or("-");
                    println!("{}\t{}\t{}", u.org_code, u.name, parent);
                }
            }
        },
        AdminCommand::Code {
            command:
                CodeCommand::Create {
                    unit_code,
                    valid_hours,
                },
        } => {
            let issued = admin
                .create_code(
                    &unit_code,
                    SignedDuration::from_hours(i64::from(valid_hours)),
                )
                .await?;
            println!("{}", issued.code);
            eprintln!(
                "Mã đăng ký cho {} ({}), hết hạn {}. Mã chỉ hiện một lần. \
                 (Enrollment code, shown once.)",
                issued.unit.name, issued.unit.org_code, issued.expires_at
            );
        }
        AdminCommand::Device { command } => match command {
            DeviceCommand::List { json } => {
                let devices = admin.list_devices().await?;
                if json {
                    println!("{}", serde_json::to_string_pretty(&devices)?);
                } else {
                    for d in &devices {
                        let state = match d.revoked_at {
                            Some(t) => format!("revoked {t}"),
                            None => "active".into(),
                        };
                        let pulled = d
                            .pulled_through
                            .map_or_else(|| "-".to_owned(), |v| v.to_string());
                        println!(
                            "{}\t{}\t{}\t{}\t{}\t{}\t{}",
                            d.id, d.name, d.unit_code, d.enrolled_at, state, d.last_seen_at, pulled
                        );
                    }
                }
            }
            DeviceCommand::Revoke { device_id } => {
                admin.revoke_device(device_id).await?;
                println!("revoked {device_id}");
            }
        },
        AdminCommand::Restored => {
            let epoch = admin.renew_epoch().await?;
            println!("{epoch}");
            eprintln!(
                "Cơ sở dữ liệu có kỷ nguyên mới; khởi động lại máy chủ. Các máy xã sẽ tự đồng bộ \
                 lại từ đầu. (New epoch: restart the servers; laptops resync.)"
            );
        }
        AdminCommand::Purge { horizon_days } => {
            let r = admin.purge(horizon_days).await?;
            println!(
                "{}\t{}\t{}\t{}\t{}",
                r.rows, r.changes, r.purged_through, r.low_water, r.active_devices
            );
            eprintln!(
                "Đã dọn {} bản ghi đã xóa ({} thay đổi), đến phiên bản {}; mốc thấp nhất {} của {} \
                 máy đang hoạt động. (Purged rows, changes, through version, low-water mark, \
                 active devices.)",
                r.rows, r.changes, r.purged_through, r.low_water, r.active_devices
            );
        }
        AdminCommand::ImportBatch { file } => {
            let text =
                std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
            let batch: khuyenhoc_sync_protocol::SignedBatch = serde_json::from_slice(&text)
                .with_context(|| format!("{} is not a khuyenhoc batch file", file.display()))?;
            let applied = admin.import_batch(&batch).await?;
            println!("{applied}");
            eprintln!(
                "Đã nhận {applied} thay đổi mới của máy {}. ({applied} new ops applied.)",
                batch.device_id
            );
        }
    }
    Ok(())
}
