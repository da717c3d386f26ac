//! `khuyenhoc sync …`: the laptop's sync with the central server. `sync status` says what waits
//! (changes to send, changes the server refused, conflicts to review) and when the last sync
//! succeeded. Enrolling and syncing come with the sync client.

use clap::Subcommand;
use khuyenhoc_domain::money::format_int_vi as n;
use khuyenhoc_store::StoreError;

use crate::Ctx;

#[derive(Subcommand)]
pub enum SyncCommand {
    /// What waits to be synced, and the last sync (no personal data).
    Status,
}

pub fn run(ctx: &Ctx, command: SyncCommand) -> Result<(), StoreError> {
    match command {
        SyncCommand::Status => status(ctx),
    }
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
    if let Some(e) = s.last_error {
        println!("Lỗi lần đồng bộ gần nhất: {e}");
    }
    Ok(())
}
