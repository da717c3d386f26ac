//! `khuyenhoc init` and `khuyenhoc units …`.

use khuyenhoc_domain::money::format_int_vi;
use khuyenhoc_domain::org::{DenominatorKind, OrgUnitInput};
use khuyenhoc_store::{OrgUnit, StoreError, UnitKind};
use serde::Serialize;

use crate::Ctx;
use crate::args::{DenominatorsCommand, InitArgs, UnitsCommand};

#[derive(Serialize)]
struct InitResult {
    database: std::path::PathBuf,
    province: Option<OrgUnit>,
    commune: Option<OrgUnit>,
}

pub fn init(ctx: &Ctx, a: InitArgs) -> Result<(), StoreError> {
    let mut store = ctx.open_or_create()?;
    let mut result = InitResult {
        database: ctx.db.clone(),
        province: None,
        commune: None,
    };
    if let Some(name) = &a.province {
        let existing = a
            .province_code
            .as_deref()
            .and_then(|c| store.find_unit(c).ok());
        result.province = Some(match existing {
            Some(u) => u,
            None => store.create_unit(
                None,
                &OrgUnitInput {
                    name: name.clone(),
                    kind: "province".into(),
                    org_code: a.province_code.clone(),
                    valid_from: None,
                },
            )?,
        });
    }
    if let Some(name) = &a.commune {
        let existing = a.code.as_deref().and_then(|c| store.find_unit(c).ok());
        result.commune = Some(match existing {
            Some(u) => u,
            None => store.create_unit(
                result.province.as_ref().map(|p| &p.id),
                &OrgUnitInput {
                    name: name.clone(),
                    kind: "commune".into(),
                    org_code: a.code.clone(),
                    valid_from: None,
                },
            )?,
        });
    }
    let human = match &result.commune {
        Some(c) => format!(
            "Đã sẵn sàng: {} ({}), dữ liệu tại {}.",
            c.name,
            c.org_code.as_deref().unwrap_or("chưa có mã"),
            ctx.db.display()
        ),
        None => format!("Đã tạo cơ sở dữ liệu tại {}.", ctx.db.display()),
    };
    ctx.out.done(&result, &human)
}

fn unit_line(u: &OrgUnit) -> String {
    let closed = match (&u.valid_to, &u.merged_into) {
        (Some(d), Some(_)) => format!("  [đã sáp nhập {d}]"),
        (Some(d), None) => format!("  [giải thể {d}]"),
        _ => String::new(),
    };
    let code = u
        .org_code
        .as_deref()
        .map(|c| format!(" ({c})"))
        .unwrap_or_default();
    format!(
        "{}{}{code} — {}{closed}   id {}",
        "  ".repeat(u.depth as usize),
        u.name,
        u.kind_name_vi,
        u.id
    )
}

pub fn run(ctx: &Ctx, c: UnitsCommand) -> Result<(), StoreError> {
    let mut store = ctx.open()?;
    match c {
        UnitsCommand::List { all } => {
            let units: Vec<OrgUnit> = store
                .list_units()?
                .into_iter()
                .filter(|u| all || u.is_open())
                .collect();
            if ctx.out.json {
                return ctx.out.json_value(&units);
            }
            for u in &units {
                println!("{}", unit_line(u));
            }
            if units.is_empty() {
                println!(
                    "Chưa có đơn vị nào. Thêm: khuyenhoc units add \"Chi hội Thôn 1\" --kind branch --parent MÃ_XÃ"
                );
            }
            Ok(())
        }
        UnitsCommand::Add {
            name,
            kind,
            parent,
            code,
            from,
        } => {
            let parent = parent.map(|p| store.find_unit(&p)).transpose()?;
            let unit = store.create_unit(
                parent.as_ref().map(|p| &p.id),
                &OrgUnitInput {
                    name,
                    kind,
                    org_code: code,
                    valid_from: from,
                },
            )?;
            ctx.out
                .done(&unit, &format!("Đã thêm {} (id {}).", unit.name, unit.id))
        }
        UnitsCommand::Show { unit } => {
            let u = store.find_unit(&unit)?;
            let counts = store.member_counts(Some(&u.id))?;
            if ctx.out.json {
                return ctx.out.json_value(&serde_json::json!({ "unit": u, "members": counts, "denominators": store.denominators(&u.id, None)? }));
            }
            println!("{}", unit_line(&u));
            println!(
                "Hội viên đang sinh hoạt: {} (tổng {})",
                format_int_vi(counts.active),
                format_int_vi(counts.total)
            );
            Ok(())
        }
        UnitsCommand::Rename { unit, name, date } => {
            let u = store.find_unit(&unit)?;
            let u = store.rename_unit(&u.id, &name, date.as_deref())?;
            ctx.out.done(&u, &format!("Đã đổi tên thành {}.", u.name))
        }
        UnitsCommand::SetCode { unit, code } => {
            let u = store.find_unit(&unit)?;
            let code = Some(code).filter(|c| !c.trim().is_empty());
            let u = store.set_org_code(&u.id, code.as_deref())?;
            ctx.out.done(
                &u,
                &format!(
                    "Mã đơn vị của {}: {}.",
                    u.name,
                    u.org_code.as_deref().unwrap_or("(không có)")
                ),
            )
        }
        UnitsCommand::Move { unit, to, date } => {
            let u = store.find_unit(&unit)?;
            let p = store.find_unit(&to)?;
            let u = store.move_unit(&u.id, &p.id, date.as_deref())?;
            ctx.out
                .done(&u, &format!("Đã chuyển {} về {}.", u.name, p.name))
        }
        UnitsCommand::Merge { units, into, date } => {
            let target = store.find_unit(&into)?;
            let sources: Vec<_> = units
                .iter()
                .map(|s| store.find_unit(s).map(|u| u.id))
                .collect::<Result<_, _>>()?;
            let t = store.merge_units(&sources, &target.id, date.as_deref())?;
            // Communes that merge often numbered their cards the same way: say which numbers
            // are now held twice, so they can be renumbered.
            let clashes = store.card_clashes(&t.id)?;
            if ctx.out.json {
                return ctx
                    .out
                    .json_value(&serde_json::json!({ "unit": t, "card_clashes": clashes }));
            }
            println!("Đã sáp nhập {} đơn vị vào {}.", sources.len(), t.name);
            if !clashes.is_empty() {
                println!(
                    "Lưu ý: {} số thẻ hội viên nay trùng nhau trong hội; hãy cấp lại số thẻ:",
                    clashes.len()
                );
                for c in &clashes {
                    let names: Vec<&str> = c.members.iter().map(|(_, n)| n.as_str()).collect();
                    println!("  {}: {}", c.card_number, names.join(", "));
                }
            }
            Ok(())
        }
        UnitsCommand::Close { unit, date } => {
            let u = store.find_unit(&unit)?;
            let u = store.close_unit(&u.id, date.as_deref())?;
            ctx.out.done(&u, &format!("Đã giải thể {}.", u.name))
        }
        UnitsCommand::History { unit } => {
            let u = store.find_unit(&unit)?;
            let events = store.unit_history(&u.id)?;
            if ctx.out.json {
                return ctx.out.json_value(&events);
            }
            for e in &events {
                let what = match e.event.as_str() {
                    "create" => "thành lập".to_owned(),
                    "rename" => format!(
                        "đổi tên {} → {}",
                        e.old_name.as_deref().unwrap_or(""),
                        e.new_name.as_deref().unwrap_or("")
                    ),
                    "move" => "chuyển đơn vị cấp trên".to_owned(),
                    "merge" => "sáp nhập vào đơn vị khác".to_owned(),
                    "absorb" => "nhận sáp nhập một đơn vị".to_owned(),
                    "close" => "giải thể".to_owned(),
                    other => other.to_owned(),
                };
                let date = e
                    .effective_date
                    .as_deref()
                    .and_then(khuyenhoc_domain::PartialDate::from_storage)
                    .map(|d| d.to_string())
                    .unwrap_or_default();
                println!("{date:>10}  {what}  ({})", e.author);
            }
            Ok(())
        }
        UnitsCommand::Kinds => {
            let kinds = store.unit_kinds()?;
            if ctx.out.json {
                return ctx.out.json_value(&kinds);
            }
            for k in &kinds {
                println!(
                    "{:<10} {}{}",
                    k.code,
                    k.name_vi,
                    if k.is_association { "  (hội)" } else { "" }
                );
            }
            Ok(())
        }
        UnitsCommand::AddKind {
            code,
            vi,
            en,
            association,
        } => {
            let kind = UnitKind {
                code,
                name_vi: vi,
                name_en: en,
                is_association: association,
            };
            store.add_unit_kind(&kind)?;
            ctx.out
                .done(&kind, &format!("Đã thêm loại đơn vị {}.", kind.name_vi))
        }
        UnitsCommand::Denominators(DenominatorsCommand::Set {
            unit,
            year,
            population,
            households,
            clans,
            communities,
            units,
            source,
        }) => {
            let u = store.find_unit(&unit)?;
            let values: Vec<(DenominatorKind, i64)> = [
                (DenominatorKind::Population, population),
                (DenominatorKind::Households, households),
                (DenominatorKind::Clans, clans),
                (DenominatorKind::Communities, communities),
                (DenominatorKind::Units, units),
            ]
            .into_iter()
            .filter_map(|(kind, value)| value.map(|v| (kind, v)))
            .collect();
            // All the figures in one transaction: all written, or none.
            let set = store.set_denominators(&u.id, year, &values, source.as_deref())?;
            ctx.out.done(
                &set,
                &format!("Đã ghi {} số liệu năm {year} cho {}.", set.len(), u.name),
            )
        }
        UnitsCommand::Denominators(DenominatorsCommand::List { unit, year }) => {
            let u = store.find_unit(&unit)?;
            let list = store.denominators(&u.id, year)?;
            if ctx.out.json {
                return ctx.out.json_value(&list);
            }
            for d in &list {
                println!(
                    "{}  {:<22} {:>10}  {}",
                    d.year,
                    d.kind.label_vi(),
                    format_int_vi(d.value),
                    d.source.as_deref().unwrap_or("")
                );
            }
            Ok(())
        }
    }
}
