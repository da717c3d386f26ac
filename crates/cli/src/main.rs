//! `khuyenhoc`: the headless command line over the khuyenhoc core, for district IT staff,
//! scripts and tests. Every command takes `--db PATH` and `--json`.

/// mimalloc: reading and validating a member list makes many small allocations; it cuts the
/// import's time noticeably (docs/BENCHMARKS.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod args;
mod members;
mod officers;
mod output;
mod sync;
mod units;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use khuyenhoc_domain::Lang;
use khuyenhoc_store::{ConnectOptions, OpenOptions, Store, StoreError};

use args::{Cli, Command};
use output::Out;

pub struct Ctx {
    pub db: PathBuf,
    pub create_on_status: bool,
    /// `--as`: the officer's login name.
    pub user: Option<String>,
    pub out: Out,
}

impl Ctx {
    pub fn open(&self) -> Result<Store, StoreError> {
        self.open_with(false)
    }

    pub fn open_or_create(&self) -> Result<Store, StoreError> {
        self.open_with(true)
    }

    /// Opens the store and, on a set-up database, logs in the `--as` officer.
    fn open_with(&self, create: bool) -> Result<Store, StoreError> {
        let mut store = Store::open(
            &self.db,
            OpenOptions {
                create,
                author: self.user.clone().unwrap_or_else(|| "cli".into()),
                ..Default::default()
            },
        )?;
        if let Some(user) = &self.user
            && store.is_set_up()?
        {
            let pin = officers::read_pin("KHUYENHOC_PIN", "Mã PIN: ")?;
            store.login(user, &pin)?;
        }
        Ok(store)
    }
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return args::usage_error(e),
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("KHUYENHOC_LOG")
                .unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let lang = Lang::parse(&cli.lang);
    let ctx = Ctx {
        // Only the default database is created by just looking at it; a --db path that does
        // not exist is more likely a typo than a wish for a new empty register.
        create_on_status: cli.db.is_none(),
        db: cli
            .db
            .clone()
            .unwrap_or_else(khuyenhoc_store::default_database_path),
        user: cli.user.clone(),
        out: Out {
            json: cli.json,
            lang,
        },
    };
    let result = run(&ctx, cli.command.unwrap_or(Command::Status));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::info!(code = e.code(), error = %e, "command failed");
            ctx.out.error(&e);
            ExitCode::FAILURE
        }
    }
}

fn run(ctx: &Ctx, command: Command) -> Result<(), StoreError> {
    match command {
        Command::Init(a) => units::init(ctx, a),
        Command::Status => status(ctx),
        Command::Setup(a) => officers::setup(ctx, a),
        Command::Officers(c) => officers::run(ctx, c),
        Command::Units(c) => units::run(ctx, c),
        Command::Members(c) => members::run(ctx, c),
        Command::Enroll(a) => sync::enroll(ctx, a),
        Command::Sync { command } => sync::run(ctx, command),
        Command::Backup { file } => {
            let store = ctx.open()?;
            let info = store.backup(&file)?;
            ctx.out.done(
                &info,
                &format!(
                    "Đã sao lưu {} hội viên, {} đơn vị vào {}.",
                    info.members,
                    info.org_units,
                    file.display()
                ),
            )
        }
        Command::Restore { file } => {
            // Replacing a set-up register is the chairperson's decision.
            if ctx.db.exists() {
                ctx.open()?.require(khuyenhoc_domain::Permission::Restore)?;
            }
            let report = Store::restore(&ctx.db, &file, &ConnectOptions::default())?;
            let copy = report
                .previous_copy
                .as_ref()
                .map(|p| format!(" Bản cũ được giữ tại {}.", p.display()))
                .unwrap_or_default();
            ctx.out.done(
                &report,
                &format!(
                    "Đã khôi phục từ {}: {} hội viên, {} đơn vị.{copy}",
                    file.display(),
                    report.restored.members,
                    report.restored.org_units
                ),
            )
        }
        Command::Outbox { limit } => {
            let store = ctx.open()?;
            store.require(khuyenhoc_domain::Permission::ReadMembers)?;
            let mut ops = store.pending_ops(limit)?;
            // Citizen IDs leave the store only masked, here too; PIN hashes not at all.
            for op in &mut ops {
                if let Some(f) = op.fields.get_mut("pin_hash") {
                    f.value = serde_json::Value::String("***".into());
                }
                if let Some(f) = op.fields.get_mut("citizen_id")
                    && let Some(id) = f.value.as_str()
                {
                    f.value = serde_json::Value::String(
                        khuyenhoc_domain::citizen_id::mask_citizen_id(id),
                    );
                }
            }
            let pending = store.outbox_stats()?.pending;
            if ctx.out.json {
                return ctx
                    .out
                    .json_value(&serde_json::json!({ "pending": pending, "ops": ops }));
            }
            for op in &ops {
                println!(
                    "{:>6}  {:<28} {:<10} {}",
                    op.device_seq,
                    op.intent,
                    op.row_id.chars().take(8).collect::<String>(),
                    op.fields.keys().cloned().collect::<Vec<_>>().join(",")
                );
            }
            println!(
                "{} thay đổi chờ đồng bộ (hiện {}).",
                khuyenhoc_domain::money::format_int_vi(pending),
                ops.len()
            );
            Ok(())
        }
    }
}

#[derive(serde::Serialize)]
struct Status {
    database: PathBuf,
    schema_version: i64,
    device_id: String,
    units: usize,
    members: khuyenhoc_store::MemberCounts,
    pending_changes: i64,
}

fn status(ctx: &Ctx) -> Result<(), StoreError> {
    let store = if ctx.create_on_status {
        ctx.open_or_create()?
    } else {
        ctx.open()?
    };
    let s = Status {
        database: ctx.db.clone(),
        schema_version: store.schema_version()?,
        device_id: store.device_id().to_string(),
        units: store.list_units()?.len(),
        members: store.member_counts(None)?,
        pending_changes: store.outbox_stats()?.pending,
    };
    if ctx.out.json {
        return ctx.out.json_value(&s);
    }
    use khuyenhoc_domain::money::format_int_vi as n;
    println!("Khuyến học — cơ sở dữ liệu: {}", s.database.display());
    println!(
        "  Đơn vị: {}   Hội viên đang sinh hoạt: {} (tổng {})",
        n(s.units as i64),
        n(s.members.active),
        n(s.members.total)
    );
    println!("  Thay đổi chờ đồng bộ: {}", n(s.pending_changes));
    if s.units == 0 {
        println!("\nBắt đầu: khuyenhoc init --commune \"Hội Khuyến học xã …\" --code MÃ_XÃ");
    }
    println!("Xem các lệnh: khuyenhoc --help");
    Ok(())
}
