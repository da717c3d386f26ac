//! `khuyenhoc members …`.

use std::io::Write;

use khuyenhoc_domain::money::{format_int_vi, parse_dong};
use khuyenhoc_domain::{FieldError, MemberInput, MemberStatus, ValidationErrors};
use khuyenhoc_store::{
    CommitOptions, ExportOptions, ImportOptions, Member, MemberPage, MemberQuery, Store, StoreError,
};

use crate::Ctx;
use crate::args::{MemberFieldArgs, MemberFilterArgs, MembersCommand};

fn parse_status(s: &str) -> Result<MemberStatus, StoreError> {
    MemberStatus::parse(s).ok_or_else(|| {
        StoreError::Invalid(ValidationErrors(vec![FieldError::new(
            "status",
            "invalid_status",
            format!("Tình trạng \"{s}\" không rõ; dùng: active (đang sinh hoạt), moved_away (chuyển đi), left (thôi), deceased (từ trần)."),
            "unknown status; use active, moved_away, left or deceased",
        )]))
    })
}

fn query(
    store: &Store,
    text: Option<String>,
    f: MemberFilterArgs,
) -> Result<MemberQuery, StoreError> {
    Ok(MemberQuery {
        text,
        unit: f
            .unit
            .map(|u| store.find_unit(&u).map(|u| u.id))
            .transpose()?,
        status: f.status.as_deref().map(parse_status).transpose()?,
        limit: f.limit,
        after: f.after,
    })
}

fn print_page(ctx: &Ctx, page: &MemberPage) -> Result<(), StoreError> {
    if ctx.out.json {
        return ctx.out.json_value(page);
    }
    for m in &page.members {
        println!(
            "{:<32} {:<6} {:<10} {:<12} {:<24} {}",
            m.full_name,
            m.gender.map(|g| g.label_vi()).unwrap_or(""),
            m.birth.map(|b| b.to_string()).unwrap_or_default(),
            m.card_number.as_deref().unwrap_or(""),
            m.unit_name,
            if m.status == MemberStatus::Active {
                ""
            } else {
                m.status.label_vi()
            }
        );
    }
    match &page.next {
        Some(next) => println!("… còn nữa: thêm --after {next}"),
        None if page.members.is_empty() => println!("Không có hội viên nào."),
        None => {}
    }
    Ok(())
}

fn apply(input: &mut MemberInput, f: MemberFieldArgs) {
    let set = |slot: &mut Option<String>, v: Option<String>| {
        if let Some(v) = v {
            *slot = Some(v).filter(|s| !s.trim().is_empty());
        }
    };
    if let Some(name) = f.name {
        input.full_name = name;
    }
    set(&mut input.gender, f.gender);
    set(&mut input.birth, f.birth);
    set(&mut input.phone, f.phone);
    set(&mut input.address, f.address);
    set(&mut input.join_date, f.joined);
    set(&mut input.card_number, f.card);
    set(&mut input.citizen_id, f.citizen_id);
    set(&mut input.note, f.note);
}

fn show(ctx: &Ctx, store: &Store, m: &Member) -> Result<(), StoreError> {
    let history = store.member_status_history(&m.id)?;
    let dues = store.member_dues(&m.id)?;
    if ctx.out.json {
        return ctx.out.json_value(
            &serde_json::json!({ "member": m, "status_history": history, "dues": dues }),
        );
    }
    let line = |label: &str, v: Option<String>| {
        if let Some(v) = v.filter(|v| !v.is_empty()) {
            println!("  {label:<18} {v}");
        }
    };
    println!("{}", m.full_name);
    line("Giới tính", m.gender.map(|g| g.label_vi().to_owned()));
    line("Ngày sinh", m.birth.map(|d| d.to_string()));
    line("Số điện thoại", m.phone.clone());
    line("Địa chỉ", m.address.clone());
    line("Chi hội", Some(m.unit_name.clone()));
    line("Ngày vào hội", m.join_date.map(|d| d.to_string()));
    line("Số thẻ hội viên", m.card_number.clone());
    line("Số CCCD", m.citizen_id_masked.clone());
    line("Tình trạng", Some(m.status.label_vi().to_owned()));
    line("Ghi chú", m.note.clone());
    line("Mã (id)", Some(m.id.to_string()));
    for e in &history {
        let date = e
            .effective_date
            .as_deref()
            .and_then(khuyenhoc_domain::PartialDate::from_storage)
            .map(|d| d.to_string())
            .unwrap_or_default();
        println!(
            "  {date:>10}  {}{}",
            e.status.label_vi(),
            e.note
                .as_deref()
                .map(|n| format!(" — {n}"))
                .unwrap_or_default()
        );
    }
    for d in &dues {
        println!("  Hội phí {}: {}", d.year, d.amount.format_vi());
    }
    Ok(())
}

pub fn run(ctx: &Ctx, c: MembersCommand) -> Result<(), StoreError> {
    let mut store = ctx.open()?;
    match c {
        MembersCommand::Add { unit, fields } => {
            let unit = store.find_unit(&unit)?;
            let mut input = MemberInput::default();
            apply(&mut input, fields);
            let m = store.add_member(&unit.id, &input)?;
            ctx.out.done(
                &m,
                &format!(
                    "Đã thêm hội viên {} vào {} (id {}).",
                    m.full_name, m.unit_name, m.id
                ),
            )
        }
        MembersCommand::List { filter } => {
            let q = query(&store, None, filter)?;
            print_page(ctx, &store.list_members(&q)?)
        }
        MembersCommand::Search {
            query: text,
            filter,
        } => {
            let q = query(&store, Some(text), filter)?;
            print_page(ctx, &store.list_members(&q)?)
        }
        MembersCommand::Show { member } => {
            let m = store.find_member(&member)?;
            show(ctx, &store, &m)
        }
        MembersCommand::Update {
            member,
            unit,
            fields,
        } => {
            let m = store.find_member(&member)?;
            let (_, mut input) = store.member_input(&m.id)?;
            apply(&mut input, fields);
            let unit = unit.map(|u| store.find_unit(&u)).transpose()?;
            let m = store.update_member(&m.id, &input, unit.as_ref().map(|u| &u.id))?;
            ctx.out.done(&m, &format!("Đã cập nhật {}.", m.full_name))
        }
        MembersCommand::Status {
            member,
            status,
            date,
            note,
        } => {
            let status = parse_status(&status)?;
            let m = store.find_member(&member)?;
            let m = store.set_member_status(&m.id, status, date.as_deref(), note.as_deref())?;
            ctx.out
                .done(&m, &format!("{}: {}.", m.full_name, m.status.label_vi()))
        }
        MembersCommand::Dues {
            member,
            year,
            amount,
            paid_on,
        } => {
            let m = store.find_member(&member)?;
            let amount = parse_dong(&amount).ok_or_else(|| {
                StoreError::Invalid(ValidationErrors(vec![FieldError::new(
                    "amount",
                    "invalid_amount",
                    format!("Số tiền \"{amount}\" không hợp lệ; ghi số đồng, ví dụ 24.000."),
                    "invalid amount",
                )]))
            })?;
            let d = store.set_dues(&m.id, year, amount, paid_on.as_deref())?;
            ctx.out.done(
                &d,
                &format!(
                    "Hội phí {year} của {}: {}.",
                    m.full_name,
                    d.amount.format_vi()
                ),
            )
        }
        MembersCommand::Delete { member } => {
            let m = store.find_member(&member)?;
            store.delete_member(&m.id)?;
            ctx.out.done(
                &serde_json::json!({ "deleted": m.id }),
                &format!("Đã xóa bản ghi {}.", m.full_name),
            )
        }
        MembersCommand::Import {
            file,
            unit,
            sheet,
            commit,
            skip_errors,
        } => {
            let unit = store.find_unit(&unit)?;
            let opts = ImportOptions {
                sheet: khuyenhoc_sheet::ReadOptions {
                    sheet,
                    ..Default::default()
                },
            };
            let preview = store.preview_import(&file, &unit.id, &opts)?;
            if !commit {
                if ctx.out.json {
                    return ctx.out.json_value(&preview);
                }
                println!(
                    "Tệp {} ({}, bảng mã {}), tiêu đề ở dòng {:?}.",
                    preview.file,
                    format!("{:?}", preview.format).to_lowercase(),
                    preview.encoding,
                    preview.header_rows
                );
                for c in &preview.columns {
                    println!(
                        "  cột {:>2} \"{}\" → {}",
                        c.index + 1,
                        c.header,
                        c.field.map(|f| f.header_vi()).unwrap_or("(bỏ qua)")
                    );
                }
                let error_rows = preview
                    .errors
                    .iter()
                    .map(|e| e.row_number)
                    .collect::<std::collections::HashSet<_>>()
                    .len();
                println!(
                    "Đọc được {} dòng: {} hội viên mới, {} đã có; {} dòng lỗi; bỏ qua {} dòng trống, dòng tổng, tiêu đề mục hoặc chân trang.",
                    format_int_vi((preview.rows.len() + error_rows) as i64),
                    format_int_vi(preview.new_members as i64),
                    format_int_vi(preview.already_present as i64),
                    format_int_vi(error_rows as i64),
                    preview.skipped.len()
                );
                for e in preview.errors.iter().take(50) {
                    println!("  {}", e.message_vi);
                }
                println!(
                    "Chưa ghi gì. Thêm --commit để nhập{}.",
                    if preview.errors.is_empty() {
                        ""
                    } else {
                        " (và --skip-errors để bỏ qua dòng lỗi)"
                    }
                );
                return Ok(());
            }
            let quiet = ctx.out.json;
            let outcome = store.commit_import(
                &preview,
                CommitOptions {
                    skip_invalid: skip_errors,
                },
                &mut |done, total| {
                    if !quiet {
                        eprintln!(
                            "Đang nhập: {}/{}",
                            format_int_vi(done as i64),
                            format_int_vi(total as i64)
                        );
                        let _ = std::io::stderr().flush();
                    }
                },
            )?;
            ctx.out.done(
                &outcome,
                &format!(
                    "Đã nhập {} hội viên mới; {} đã có sẵn; {} dòng lỗi bỏ qua.",
                    format_int_vi(outcome.added as i64),
                    format_int_vi(outcome.already_present as i64),
                    outcome.skipped_invalid
                ),
            )
        }
        MembersCommand::Export {
            file,
            unit,
            status,
            include_citizen_id,
        } => {
            let unit = unit.map(|u| store.find_unit(&u)).transpose()?;
            let opts = ExportOptions {
                unit: unit.map(|u| u.id),
                status: status.as_deref().map(parse_status).transpose()?,
                include_citizen_id,
            };
            let n = store.export_members(&file, &opts)?;
            ctx.out.done(
                &serde_json::json!({ "exported": n, "file": file }),
                &format!(
                    "Đã xuất {} hội viên ra {}.",
                    format_int_vi(n as i64),
                    file.display()
                ),
            )
        }
    }
}
