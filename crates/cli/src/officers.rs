//! `khuyenhoc setup` and `khuyenhoc officers …`: the first run and the officers who may use
//! the app. PINs never come from the command line (other users could read them from the
//! process list): they come from an environment variable or a prompt at the terminal.

use std::io::IsTerminal;

use khuyenhoc_domain::{OfficerInput, Role};
use khuyenhoc_store::{CommuneSetup, StoreError};

use crate::Ctx;
use crate::args::{OfficersCommand, SetupArgs};

/// A PIN from the environment variable `var`, else asked at the terminal.
pub fn read_pin(var: &str, prompt: &str) -> Result<String, StoreError> {
    if let Ok(pin) = std::env::var(var) {
        return Ok(pin);
    }
    // Ask only someone at a terminal; scripts and services get the message instead of a hang.
    let at_terminal = std::io::stdin().is_terminal();
    let answer = if at_terminal {
        rpassword::prompt_password(prompt).ok()
    } else {
        None
    };
    answer.ok_or_else(|| {
        StoreError::rule(
            "pin_required",
            format!(
                "Cần mã PIN: đặt biến môi trường {var} hoặc chạy lệnh ở cửa sổ dòng lệnh để nhập."
            ),
            format!("A PIN is needed: set {var} or run the command in a terminal."),
        )
    })
}

pub fn setup(ctx: &Ctx, a: SetupArgs) -> Result<(), StoreError> {
    let mut store = ctx.open_or_create()?;
    let pin = read_pin("KHUYENHOC_PIN", "Mã PIN của bạn (4–12 chữ số): ")?;
    let outcome = store.setup_commune(&CommuneSetup {
        province_name: a.province,
        province_code: a.province_code,
        commune_name: a.commune,
        commune_code: a.code,
        officer: OfficerInput {
            username: a.username,
            full_name: a.full_name,
            role: Role::Chairperson.code().into(),
            pin,
        },
    })?;
    let human = format!(
        "Đã thiết lập {} ({}) với cán bộ đầu tiên {} (chủ tịch). Từ nay dùng --as {} để làm việc.",
        outcome.commune.name,
        outcome.province.name,
        outcome.officer.full_name,
        outcome.officer.username
    );
    ctx.out.done(&outcome, &human)
}

pub fn run(ctx: &Ctx, command: OfficersCommand) -> Result<(), StoreError> {
    let mut store = ctx.open()?;
    match command {
        OfficersCommand::List => {
            let officers = store.officers()?;
            if ctx.out.json {
                return ctx.out.json_value(&officers);
            }
            for o in &officers {
                println!(
                    "{:<20} {:<30} {}{}",
                    o.username,
                    o.full_name,
                    o.role.name_vi(),
                    if o.active { "" } else { " (đã khóa)" }
                );
            }
            Ok(())
        }
        OfficersCommand::Add {
            username,
            full_name,
            role,
        } => {
            let pin = read_pin("KHUYENHOC_NEW_PIN", "Mã PIN của cán bộ mới: ")?;
            let officer = store.add_officer(&OfficerInput {
                username,
                full_name,
                role,
                pin,
            })?;
            let human = format!(
                "Đã thêm cán bộ {} ({}), tên đăng nhập {}.",
                officer.full_name,
                officer.role.name_vi(),
                officer.username
            );
            ctx.out.done(&officer, &human)
        }
        OfficersCommand::SetRole {
            username,
            role,
            inactive,
        } => {
            let parsed = khuyenhoc_domain::officer::parse_role(&role)
                .map_err(|e| StoreError::Invalid(khuyenhoc_domain::ValidationErrors(vec![e])))?;
            let officer = store.set_officer_role(&username, parsed, !inactive)?;
            let human = format!(
                "{}: {}{}.",
                officer.username,
                officer.role.name_vi(),
                if officer.active { "" } else { ", đã khóa" }
            );
            ctx.out.done(&officer, &human)
        }
        OfficersCommand::Pin { username } => {
            let own = store.officer().is_some_and(|o| {
                khuyenhoc_domain::officer::normalize_username(&username)
                    .ok()
                    .as_deref()
                    == Some(o.username.as_str())
            });
            let old = if own {
                Some(read_pin("KHUYENHOC_PIN", "Mã PIN hiện tại: ")?)
            } else {
                None
            };
            let new = read_pin("KHUYENHOC_NEW_PIN", "Mã PIN mới: ")?;
            store.change_pin(&username, old.as_deref(), &new)?;
            ctx.out.done(
                &serde_json::json!({ "username": username, "changed": true }),
                "Đã đổi mã PIN.",
            )
        }
    }
}
