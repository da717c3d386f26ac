//! The application layer on a real SQLite file, as the desktop window uses it: first run,
//! login, units, members with field-level messages, search without tone marks, the import
//! wizard with progress, export, backup and restore, language — no webview needed.

use khuyenhoc_app::*;

fn setup_form() -> SetupForm {
    SetupForm {
        province_name: "Hội Khuyến học tỉnh Quảng Trị".into(),
        province_code: Some("44".into()),
        commune_name: "Hội Khuyến học xã Tân Hòa".into(),
        commune_code: Some("26734".into()),
        username: "lan".into(),
        full_name: "Trần Thị Lan".into(),
        pin: "2580".into(),
    }
}

fn member(unit: &str, name: &str) -> MemberForm {
    MemberForm {
        unit_id: unit.into(),
        full_name: name.into(),
        ..Default::default()
    }
}

fn search(app: &App, text: &str) -> Vec<String> {
    app.members_page(MemberQueryForm {
        text: Some(text.into()),
        ..Default::default()
    })
    .unwrap()
    .rows
    .into_iter()
    .map(|r| r.full_name)
    .collect()
}

fn branch(app: &App, commune: &str, name: &str) -> UnitView {
    app.unit_add(UnitForm {
        parent_id: Some(commune.into()),
        name: name.into(),
        kind: "branch".into(),
        ..Default::default()
    })
    .unwrap()
}

fn write_xlsx(path: &std::path::Path, rows: &[[&str; 3]]) {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet.write(0, 0, "DANH SÁCH HỘI VIÊN").unwrap();
    for (c, h) in ["STT", "Họ và tên", "Ngày sinh", "Số điện thoại"]
        .iter()
        .enumerate()
    {
        sheet.write(2, c as u16, *h).unwrap();
    }
    for (i, r) in rows.iter().enumerate() {
        let row = 3 + i as u32;
        sheet.write(row, 0, (i + 1) as f64).unwrap();
        for (c, v) in r.iter().enumerate() {
            sheet.write(row, 1 + c as u16, *v).unwrap();
        }
    }
    book.save(path).unwrap();
}

#[test]
fn first_run_then_a_day_of_work() {
    let dir = tempfile::tempdir().unwrap();
    let app = App::open(dir.path().join("khuyenhoc.db")).unwrap();
    let s = app.session().unwrap();
    assert!(!s.set_up);
    assert!(s.officer.is_none());
    assert!(s.backup_due, "never backed up");

    // A wrong setup form names each field, in Vietnamese.
    let err = app
        .setup(SetupForm {
            commune_name: "".into(),
            pin: "12".into(),
            ..setup_form()
        })
        .unwrap_err();
    assert_eq!(err.code, "invalid_input");
    let fields: Vec<_> = err.fields.iter().map(|f| f.field.as_str()).collect();
    assert_eq!(fields, ["commune_name", "pin"]);
    assert!(err.fields[1].message.contains("chữ số"), "{err:?}");

    let s = app.setup(setup_form()).unwrap();
    assert!(s.set_up);
    let officer = s.officer.unwrap();
    assert_eq!(officer.role, "chairperson");
    assert!(officer.can_manage_officers && officer.can_restore);
    let commune = s.commune.unwrap();
    assert_eq!(commune.name, "Hội Khuyến học xã Tân Hòa");

    let thon1 = branch(&app, &commune.id, "Chi hội Thôn 1");
    let thon2 = branch(&app, &commune.id, "Chi hội Thôn 2");
    let tree = app.units().unwrap();
    assert_eq!(tree.len(), 4, "province, commune, two branches");
    assert_eq!(tree.iter().find(|u| u.id == thon1.id).unwrap().depth, 2);

    // A wrong field gets its message and nothing is added.
    let err = app
        .member_save(MemberForm {
            birth: Some("31/02/1985".into()),
            phone: Some("12345".into()),
            ..member(&thon1.id, "Nguyễn Văn An")
        })
        .unwrap_err();
    let fields: Vec<_> = err.fields.iter().map(|f| f.field.as_str()).collect();
    assert_eq!(fields, ["birth", "phone"]);
    assert!(search(&app, "").is_empty());

    for name in ["Nguyễn Văn An", "Trần Thị Bình", "Lê Đức Anh"] {
        app.member_save(member(&thon1.id, name)).unwrap();
    }
    let an = app
        .member_save(MemberForm {
            birth: Some("15/03/1985".into()),
            citizen_id: Some("044185000123".into()),
            ..member(&thon2.id, "Phạm Văn Đức")
        })
        .unwrap();
    // Search ignores tone marks and treats đ as d; lists sort by given name.
    assert_eq!(search(&app, "duc"), ["Lê Đức Anh", "Phạm Văn Đức"]);
    assert_eq!(search(&app, "nguyen an"), ["Nguyễn Văn An"]);
    assert_eq!(
        search(&app, ""),
        [
            "Nguyễn Văn An",
            "Lê Đức Anh",
            "Trần Thị Bình",
            "Phạm Văn Đức"
        ]
    );
    let only_thon2 = app
        .members_page(MemberQueryForm {
            unit_id: Some(thon2.id.clone()),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(only_thon2.rows.len(), 1);
    assert_eq!(only_thon2.total, Some(1));
    let first_page = app
        .members_page(MemberQueryForm {
            limit: Some(2),
            ..Default::default()
        })
        .unwrap();
    assert_eq!((first_page.rows.len(), first_page.total), (2, Some(4)));
    let second_page = app
        .members_page(MemberQueryForm {
            limit: Some(2),
            after: first_page.next.clone(),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(second_page.rows[0].full_name, "Trần Thị Bình");
    assert_eq!((second_page.next, second_page.total), (None, None));
    assert_eq!(only_thon2.rows[0].birth.as_deref(), Some("15/03/1985"));

    // The citizen ID is shown masked and kept when the form leaves it empty.
    let detail = app.member_detail(an.id.clone()).unwrap();
    let masked = detail.citizen_id_masked.clone().unwrap();
    assert!(!masked.contains("185000"), "{masked}");
    let mut form = detail.form.clone();
    assert_eq!(form.citizen_id, None);
    form.phone = Some("0912345678".into());
    app.member_save(form).unwrap();
    assert_eq!(
        app.member_detail(an.id.clone()).unwrap().citizen_id_masked,
        Some(masked)
    );

    // Status changes are kept as history with their author.
    let detail = app
        .member_set_status(StatusForm {
            member_id: an.id.clone(),
            status: "moved_away".into(),
            date: Some("01/06/2026".into()),
            note: Some("Chuyển vào Huế".into()),
        })
        .unwrap();
    assert_eq!(detail.row.status, "moved_away");
    let last = detail.history.last().unwrap();
    assert_eq!(
        (last.date.as_deref(), last.author.as_str()),
        (Some("01/06/2026"), "lan")
    );

    let d = app.dashboard().unwrap();
    assert_eq!((d.members_active, d.members_total, d.branches), (3, 4, 2));
    assert!(d.pending_changes > 0);

    // Logged out, the register is closed; logged in again, it is all there.
    app.logout().unwrap();
    assert_eq!(
        app.members_page(MemberQueryForm::default())
            .unwrap_err()
            .code,
        "login_required"
    );
    assert_eq!(
        app.login("lan".into(), "0000".into()).unwrap_err().code,
        "wrong_pin"
    );
    app.login("lan".into(), "2580".into()).unwrap();
    assert_eq!(search(&app, "").len(), 4);
}

#[test]
fn the_import_wizard_previews_then_commits_with_progress() {
    let dir = tempfile::tempdir().unwrap();
    let app = App::open(dir.path().join("khuyenhoc.db")).unwrap();
    let commune = app.setup(setup_form()).unwrap().commune.unwrap();
    let thon1 = branch(&app, &commune.id, "Chi hội Thôn 1");
    let file = dir.path().join("danh-sach.xlsx");
    write_xlsx(
        &file,
        &[
            ["Nguyễn Văn An", "15/03/1985", "0912345678"],
            ["Trần Thị Bình", "32/13/1990", ""],
            ["Lê Văn Cường", "1972", "912345679"],
        ],
    );
    assert_eq!(
        app.import_commit(false, &mut |_| {}).unwrap_err().code,
        "no_preview"
    );
    let preview = app
        .import_preview(file.display().to_string(), thon1.id.clone())
        .unwrap();
    assert_eq!(preview.row_count, 2);
    assert_eq!(preview.error_count, 1);
    assert_eq!(preview.errors[0].row_number, 5);
    assert_eq!(preview.errors[0].field.as_deref(), Some("birth"));
    let mapped: Vec<_> = preview
        .columns
        .iter()
        .filter_map(|c| c.field.clone())
        .collect();
    assert!(mapped.contains(&"full_name".to_owned()), "{mapped:?}");
    assert!(search(&app, "").is_empty(), "a preview writes nothing");

    // With errors the commit is refused unless the officer skips the wrong rows.
    assert_eq!(
        app.import_commit(false, &mut |_| {}).unwrap_err().code,
        "import_has_errors"
    );
    let mut seen = Vec::new();
    let result = app.import_commit(true, &mut |p| seen.push(p)).unwrap();
    assert_eq!((result.added, result.skipped_invalid), (2, 1));
    let last = seen.last().expect("progress was reported");
    assert_eq!(last.done, last.total);
    assert_eq!(search(&app, "cuong"), ["Lê Văn Cường"]);

    // Export, then backup and restore by the chairperson.
    let export = dir.path().join("xuat.xlsx");
    let exported = app
        .export_members(ExportForm {
            path: export.display().to_string(),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(exported.members, 2);
    assert!(export.exists());

    let backup = dir.path().join("sao-luu.db");
    let b = app.backup(backup.display().to_string()).unwrap();
    assert_eq!(b.members, 2);
    let s = app.session().unwrap();
    assert_eq!(s.days_since_backup, Some(0));
    assert!(!s.backup_due);

    app.member_save(member(&thon1.id, "Người Thêm Sau"))
        .unwrap();
    assert_eq!(search(&app, "").len(), 3);
    let restored = app.restore(backup.display().to_string()).unwrap();
    assert_eq!(restored.members, 2);
    // After a restore everyone logs in again, and the register is the backup's.
    assert!(app.session().unwrap().officer.is_none());
    app.login("lan".into(), "2580".into()).unwrap();
    assert_eq!(search(&app, "").len(), 2);
}

#[test]
fn messages_follow_the_chosen_language() {
    let dir = tempfile::tempdir().unwrap();
    let app = App::open(dir.path().join("khuyenhoc.db")).unwrap();
    app.setup(setup_form()).unwrap();
    let vi = app.unit_rename("not-an-id".into(), "X".into()).unwrap_err();
    assert!(vi.message.contains("không hợp lệ"), "{vi:?}");
    assert_eq!(app.set_lang("en".into()).unwrap().lang, "en");
    let en = app
        .member_save(member(&uuid::Uuid::nil().to_string(), ""))
        .unwrap_err();
    assert!(
        en.fields
            .iter()
            .any(|f| f.field == "full_name" && f.message.contains("required")),
        "{en:?}"
    );
    assert_eq!(app.session().unwrap().lang, "en", "kept on this laptop");
}

#[tokio::test]
async fn joining_needs_a_code_and_a_laptop_not_set_up_and_creates_no_commune() {
    let dir = tempfile::tempdir().unwrap();
    let app = App::open(dir.path().join("khuyenhoc.db")).unwrap();
    let form = |code: &str| EnrollForm {
        server_url: "https://khuyenhoc.quangtri.gov.vn".into(),
        code: code.into(),
        device_name: String::new(),
    };
    let err = app.join_commune(form("123")).await.unwrap_err();
    let fields: Vec<_> = err.fields.iter().map(|f| f.field.as_str()).collect();
    assert_eq!(fields, ["code"]);
    let s = app.session().unwrap();
    assert!(
        !s.set_up && s.joined.is_none(),
        "no second commune is created"
    );
    assert!(!app.sync_view().unwrap().enrolled);

    let err = app
        .join_commune(EnrollForm {
            server_url: "ftp://khuyenhoc".into(),
            ..form("K7QM-2XHD-9PRT")
        })
        .await
        .unwrap_err();
    assert_eq!(err.fields[0].field, "server_url");

    app.setup(setup_form()).unwrap();
    let err = app.join_commune(form("K7QM-2XHD-9PRT")).await.unwrap_err();
    assert_eq!(err.code, "already_set_up");
}

#[test]
fn the_chairperson_adds_officers_whose_roles_the_core_enforces() {
    let dir = tempfile::tempdir().unwrap();
    let app = App::open(dir.path().join("khuyenhoc.db")).unwrap();
    let commune = app.setup(setup_form()).unwrap().commune.unwrap();
    let quy = app
        .officer_add(OfficerForm {
            username: "quy".into(),
            full_name: "Lê Văn Quý".into(),
            role: "treasurer".into(),
            pin: "3691".into(),
        })
        .unwrap();
    assert_eq!(
        (quy.role_name.as_str(), quy.can_edit_members),
        ("Thủ quỹ", false)
    );
    let err = app
        .officer_add(OfficerForm {
            username: "quy".into(),
            full_name: "Người Khác".into(),
            role: "viewer".into(),
            pin: "3691".into(),
        })
        .unwrap_err();
    assert_eq!(err.fields[0].field, "username");
    assert_eq!(app.officers().unwrap().len(), 2);

    app.logout().unwrap();
    let s = app.login("quy".into(), "3691".into()).unwrap();
    assert_eq!(s.officer.unwrap().role, "treasurer");
    // The UI would hide the button; the core refuses anyway.
    let err = app
        .member_save(member(&commune.id, "Nguyễn Văn An"))
        .unwrap_err();
    assert_eq!(err.code, "forbidden");
    assert!(err.message.contains("Thủ quỹ"), "{err:?}");
    assert_eq!(
        app.officer_set_role("quy".into(), "chairperson".into(), true)
            .unwrap_err()
            .code,
        "forbidden"
    );
    app.change_pin("quy".into(), Some("3691".into()), "7531".into())
        .unwrap();
    app.logout().unwrap();
    app.login("quy".into(), "7531".into()).unwrap();
}
