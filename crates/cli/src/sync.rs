//! The laptop's sync with the central server. `khuyenhoc enroll` joins the commune on the
//! server with a one-time code; `khuyenhoc sync` sends this laptop's changes and receives the
//! commune's; `sync status` says what waits (changes to send, changes the
//! server refused, conflicts to review) and when the last sync succeeded.

use std::sync::Mutex;

use clap::{Args, Subcommand};
use khuyenhoc_domain::money::format_int_vi as n;
use khuyenhoc_store::StoreError;

use crate::Ctx;

#[derive(Subcommand)]
pub enum SyncCommand {
    /// Send this laptop's changes and receive the commune's (the default).
    Now,
    /// What waits to be synced, and the last sync (no personal data).
    Status,
    /// Write this laptop's unsent changes to a signed file, for a USB stick when there is no
    /// connection at all (they stay unsent here until this laptop syncs).
    Export {
        /// The file to write, e.g. /media/usb/thay-doi-xa-tan-hoa.khbatch
        file: std::path::PathBuf,
    },
    /// Take another laptop's signed file and hand it to the server at this laptop's next sync.
    Import { file: std::path::PathBuf },
    /// How many days changes already sent are kept, to give back to a server restored from
    /// an older backup (90 by default); with DAYS, set it (7 to 3650; the chairperson).
    KeepDays { days: Option<i64> },
}

#[derive(Args)]
pub struct EnrollArgs {
    /// The server, e.g. https://khuyenhoc.quangtri.vn (http:// only for this machine).
    #[arg(long)]
    pub server: String,
    /// The one-time code from the province, e.g. K7QM-2XHD-9PRT.
    #[arg(long)]
    pub code: String,
    /// A name for this laptop, shown to the province's administrator.
    #[arg(long, default_value = "Máy tính xã")]
    pub name: String,
    /// Allow http:// to another machine (the token then crosses the network in clear).
    #[arg(long)]
    pub allow_insecure_http: bool,
}

fn sync_error(e: khuyenhoc_sync_client::SyncError) -> StoreError {
    match e {
        khuyenhoc_sync_client::SyncError::Store(e) => e,
        other => {
            tracing::info!(code = other.code(), error = %other, "sync failed");
            let code: &'static str = match other.code() {
                "bad_address" => "bad_address",
                "insecure_address" => "insecure_address",
                "unreachable" => "server_unreachable",
                _ => "server_refused",
            };
            StoreError::rule(code, other.message_vi(), other.to_string())
        }
    }
}

/// Joins the commune on the server: needs the chairperson once the commune is set up. On a
/// new laptop it creates the database (the commune then arrives with the first sync).
pub fn enroll(ctx: &Ctx, args: EnrollArgs) -> Result<(), StoreError> {
    let store = ctx.open_or_create()?;
    store.require(khuyenhoc_domain::Permission::ManageOfficers)?;
    let address =
        khuyenhoc_sync_client::ServerAddress::parse(&args.server, args.allow_insecure_http)
            .map_err(sync_error)?;
    let store = Mutex::new(store);
    let answer = runtime()?
        .block_on(khuyenhoc_sync_client::enroll(
            &store, address, &args.code, &args.name,
        ))
        .map_err(sync_error)?;
    #[derive(serde::Serialize)]
    struct Enrolled<'a> {
        device_id: &'a str,
        unit: &'a str,
        epoch: &'a str,
    }
    ctx.out.done(
        &Enrolled {
            device_id: &answer.device_id,
            unit: &answer.unit.name,
            epoch: &answer.epoch,
        },
        &format!(
            "Đã đăng ký máy này với máy chủ, thuộc {}.",
            answer.unit.name
        ),
    )
}

pub fn run(ctx: &Ctx, command: Option<SyncCommand>) -> Result<(), StoreError> {
    match command.unwrap_or(SyncCommand::Now) {
        SyncCommand::Now => sync_now(ctx),
        SyncCommand::Status => status(ctx),
        SyncCommand::Export { file } => export(ctx, &file),
        SyncCommand::Import { file } => import(ctx, &file),
        SyncCommand::KeepDays { days } => keep_days(ctx, days),
    }
}

fn runtime() -> Result<tokio::runtime::Runtime, StoreError> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| {
            StoreError::rule(
                "runtime",
                "Không khởi động được kết nối mạng.",
                e.to_string(),
            )
        })
}

/// One sync: push, then pull. Any logged-in officer may start it.
fn sync_now(ctx: &Ctx) -> Result<(), StoreError> {
    let store = ctx.open()?;
    store.require(khuyenhoc_domain::Permission::ReadMembers)?;
    let Some(enrollment) = store.enrollment()? else {
        return Err(StoreError::rule(
            "not_enrolled",
            "Máy này chưa đăng ký với máy chủ: chạy “khuyenhoc enroll --server … --code …” trước.",
            "this laptop is not enrolled with a server",
        ));
    };
    // The address was checked when enrolling (and http:// allowed then, if it was).
    let address = khuyenhoc_sync_client::ServerAddress::parse(&enrollment.server_url, true)
        .map_err(sync_error)?;
    let connection = khuyenhoc_sync_client::Connection::new(address, Some(enrollment.token))
        .map_err(sync_error)?;
    let store = Mutex::new(store);
    let summary = runtime()?
        .block_on(khuyenhoc_sync_client::sync_once(&store, &connection))
        .map_err(sync_error)?;
    ctx.out.done(
        &summary,
        &khuyenhoc_sync_client::words::summary_vi(&summary),
    )
}

fn export(ctx: &Ctx, file: &std::path::Path) -> Result<(), StoreError> {
    let store = ctx.open()?;
    store.require(khuyenhoc_domain::Permission::ReadMembers)?;
    let store = Mutex::new(store);
    let written = khuyenhoc_sync_client::batch::export_batch(&store, file).map_err(sync_error)?;
    ctx.out.done(
        &written,
        &format!(
            "Đã ghi {} thay đổi chưa gửi vào {} (có chữ ký của máy này). Mang tệp đến máy có mạng \
             và chạy “khuyenhoc sync import”, hoặc đưa cho quản trị máy chủ.",
            n(written.ops as i64),
            file.display()
        ),
    )
}

fn import(ctx: &Ctx, file: &std::path::Path) -> Result<(), StoreError> {
    let store = ctx.open()?;
    store.require(khuyenhoc_domain::Permission::ReadMembers)?;
    let store = Mutex::new(store);
    let read = khuyenhoc_sync_client::batch::import_for_relay(&store, file).map_err(sync_error)?;
    let human = if read.new {
        format!(
            "Đã nhận {} thay đổi của một máy khác; chúng sẽ được gửi lên máy chủ ở lần đồng bộ tới.",
            n(read.ops as i64)
        )
    } else {
        "Tệp này đã được nhận trước đó; không có gì mới.".to_owned()
    };
    ctx.out.done(&read, &human)
}

/// `dd/mm/yyyy HH:MM` in the laptop's time zone.
fn local_time(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .map(|t| {
            t.to_zoned(jiff::tz::TimeZone::system())
                .strftime("%d/%m/%Y %H:%M")
                .to_string()
        })
        .unwrap_or_else(|_| ms.to_string())
}

fn keep_days(ctx: &Ctx, days: Option<i64>) -> Result<(), StoreError> {
    let mut store = ctx.open()?;
    if let Some(days) = days {
        store.require(khuyenhoc_domain::Permission::ManageOfficers)?;
        store.set_sync_keep_days(days)?;
    }
    let days = store.sync_keep_days()?;
    ctx.out.done(
        &serde_json::json!({ "keep_days": days }),
        &format!("Các thay đổi đã gửi được giữ {days} ngày trên máy này."),
    )
}

fn status(ctx: &Ctx) -> Result<(), StoreError> {
    let s = ctx.open()?.sync_status()?;
    if ctx.out.json {
        return ctx.out.json_value(&s);
    }
    println!("Thay đổi chờ gửi lên máy chủ: {}", n(s.pending));
    println!("Thay đổi máy chủ từ chối (cần xem lại): {}", n(s.parked));
    println!("Xung đột cần xem lại: {}", n(s.conflicts));
    match s.last_success_ms {
        Some(ms) => println!("Đồng bộ thành công lần cuối: {}", local_time(ms)),
        None => println!("Chưa đồng bộ lần nào."),
    }
    if let Some(e) = &s.last_error {
        println!("Lỗi lần đồng bộ gần nhất: {e}");
    }
    if let Some(warning) = khuyenhoc_sync_client::words::clock_warning_vi(&s) {
        println!("{warning}");
    }
    Ok(())
}
