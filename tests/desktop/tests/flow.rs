//! An officer's first day through the real app: first run, a wrong field and its message,
//! branches, members, search without tone marks, an `.xlsx` import with a wrong row, a group
//! moved and two branches merged, a restart with everything still there, and a role that may not
//! edit. Saves screenshots of the main screens into docs/screenshots/.

use std::ffi::OsString;
use std::path::Path;
use std::time::Duration;

use khuyenhoc_desktop_e2e::ui::{
    click, click_unit, screenshot, select_label, type_into, wait_rows,
};
use khuyenhoc_desktop_e2e::{Desktop, poll};

/// Waits until the unit tree draws `name` right under `parent`.
async fn wait_parent_in_tree(app: &Desktop, name: &str, parent: &str) {
    let script = "const u = document.querySelector(`[data-unit-name=\"${arguments[0]}\"]`); \
                  const li = u && u.parentElement.parentElement.closest('li'); \
                  return li ? li.querySelector(':scope > button').dataset.unitName : null;";
    let end = std::time::Instant::now() + Duration::from_secs(20);
    let mut drawn = serde_json::Value::Null;
    while std::time::Instant::now() < end {
        drawn = app.client.execute(script, vec![name.into()]).await.unwrap();
        if drawn.as_str() == Some(parent) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    screenshot(app, "failed").await;
    panic!("{name} is drawn under {drawn}, want {parent} (docs/screenshots/failed.png)");
}

/// The unit column of the one row in the member list.
async fn row_unit(app: &Desktop) -> String {
    let script = "const r = document.querySelectorAll('[data-testid=member-row]'); \
                  return r.length === 1 ? r[0].children[1].textContent : `${r.length} rows`;";
    app.client
        .execute(script, vec![])
        .await
        .unwrap()
        .as_str()
        .unwrap()
        .to_owned()
}

fn write_member_list(path: &Path) {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet
        .write(0, 0, "DANH SÁCH HỘI VIÊN CHI HỘI THÔN 2")
        .unwrap();
    for (c, h) in ["STT", "Họ và tên", "Năm sinh", "Số điện thoại"]
        .iter()
        .enumerate()
    {
        sheet.write(2, c as u16, *h).unwrap();
    }
    let rows = [
        ["1", "Phạm Văn Cường", "1972", "0912345679"],
        ["2", "Hoàng Thị Dung", "1968", ""],
        ["3", "Võ Văn Em", "2099", ""],
    ];
    for (i, r) in rows.iter().enumerate() {
        for (c, v) in r.iter().enumerate() {
            sheet.write(3 + i as u32, c as u16, *v).unwrap();
        }
    }
    book.save(path).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_officers_first_day_survives_a_restart() {
    // A fixed folder (emptied first), so the paths on screen and in the screenshots are stable.
    let work = std::env::temp_dir()
        .join("khuyenhoc-e2e")
        .join("flow-files");
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work).unwrap();
    let db = work.join("xa-tan-hoa.db");
    let list = work.join("danh-sach-thon-2.xlsx");
    write_member_list(&list);
    let env = |db: &Path| {
        let db = db.to_path_buf();
        move |_: &Path| vec![("KHUYENHOC_DB", OsString::from(db))]
    };

    {
        let app = Desktop::start("flow-first-day", env(&db)).await;
        app.by_testid("first-run").await;
        screenshot(&app, "first-run").await;

        // First run: the commune and its chairperson; a weak PIN gets its message first.
        type_into(&app, "field-province_name", "Hội Khuyến học tỉnh Quảng Trị").await;
        type_into(&app, "field-commune_name", "Hội Khuyến học xã Tân Hòa").await;
        type_into(&app, "field-commune_code", "26734").await;
        type_into(&app, "field-full_name", "Trần Thị Lan").await;
        type_into(&app, "field-username", "lan").await;
        type_into(&app, "field-pin", "1234").await;
        type_into(&app, "field-pin2", "1234").await;
        click(&app, "setup-submit").await;
        let message = app.text("error-pin").await;
        assert!(message.contains("dễ đoán"), "{message}");
        type_into(&app, "field-pin", "2580").await;
        type_into(&app, "field-pin2", "2580").await;
        click(&app, "setup-submit").await;
        app.wait_text("officer-name", "Trần Thị Lan").await;
        app.by_testid("dashboard").await;

        // Three branches under the commune.
        click(&app, "nav-units").await;
        for name in ["Chi hội Thôn 1", "Chi hội Thôn 2", "Chi hội Thôn 3"] {
            click_unit(&app, "Hội Khuyến học xã Tân Hòa").await;
            click(&app, "unit-add").await;
            type_into(&app, "field-name", name).await;
            click(&app, "unit-submit").await;
            app.wait_text("unit-message", &format!("Đã thêm {name}."))
                .await;
        }
        screenshot(&app, "units").await;

        // A member with a wrong date of birth gets the message under that field; fixed, saved.
        click(&app, "nav-members").await;
        click(&app, "member-add").await;
        type_into(&app, "field-full_name", "Nguyễn Văn An").await;
        select_label(&app, "field-unit_id", "Chi hội Thôn 1").await;
        type_into(&app, "field-birth", "31/02/1985").await;
        click(&app, "member-save").await;
        let message = app.text("error-birth").await;
        assert!(message.to_lowercase().contains("ngày sinh"), "{message}");
        type_into(&app, "field-birth", "15/03/1985").await;
        click(&app, "member-save").await;
        let added = "Đã thêm Nguyễn Văn An. Nhập người tiếp theo, hoặc đóng (Esc).";
        app.wait_text("member-added", added).await;
        wait_rows(&app, &["Nguyễn Văn An"]).await;
        // The form is empty again for the next person of the list.
        for name in ["Lê Đức Anh", "Trần Thị Bình"] {
            type_into(&app, "field-full_name", name).await;
            click(&app, "member-save").await;
            let added = format!("Đã thêm {name}. Nhập người tiếp theo, hoặc đóng (Esc).");
            app.wait_text("member-added", &added).await;
        }
        // Sorted by given name: An, Anh, Bình.
        wait_rows(&app, &["Nguyễn Văn An", "Lê Đức Anh", "Trần Thị Bình"]).await;

        // Search without tone marks; đ is d.
        type_into(&app, "member-search", "duc").await;
        wait_rows(&app, &["Lê Đức Anh"]).await;
        type_into(&app, "member-search", "nguyen an").await;
        wait_rows(&app, &["Nguyễn Văn An"]).await;
        type_into(&app, "member-search", "").await;
        wait_rows(&app, &["Nguyễn Văn An", "Lê Đức Anh", "Trần Thị Bình"]).await;
        app.wait_text("member-count", "3 hội viên").await;
        screenshot(&app, "members").await;

        // Import an .xlsx into Thôn 2: preview with the wrong row named, then commit the rest.
        click(&app, "nav-import").await;
        type_into(&app, "import-path", &list.display().to_string()).await;
        select_label(&app, "import-unit", "Chi hội Thôn 2").await;
        click(&app, "import-preview").await;
        let summary = app.text("import-summary").await;
        assert!(summary.contains("2 người mới"), "{summary}");
        let errors = app.text("import-errors").await;
        assert!(errors.contains("Dòng 6"), "{errors}");
        screenshot(&app, "import").await;
        click(&app, "import-skip").await;
        click(&app, "import-commit").await;
        let result = app.text("import-result").await;
        assert!(result.starts_with("Đã nhập 2 hội viên"), "{result}");

        click(&app, "nav-dashboard").await;
        app.wait_text("members-active", "5").await;
        screenshot(&app, "dashboard").await;

        // A group of Thôn 1 moves to Thôn 3.
        click(&app, "nav-units").await;
        click_unit(&app, "Chi hội Thôn 1").await;
        click(&app, "unit-add").await;
        type_into(&app, "field-name", "Tổ Xóm Đông").await;
        select_label(&app, "field-kind", "Tổ khuyến học").await;
        click(&app, "unit-submit").await;
        app.wait_text("unit-message", "Đã thêm Tổ Xóm Đông.").await;
        wait_parent_in_tree(&app, "Tổ Xóm Đông", "Chi hội Thôn 1").await;
        click(&app, "unit-move").await;
        select_label(&app, "field-target", "Chi hội Thôn 3").await;
        click(&app, "unit-submit").await;
        app.wait_text("unit-message", "Đã chuyển đơn vị.").await;
        wait_parent_in_tree(&app, "Tổ Xóm Đông", "Chi hội Thôn 3").await;

        // The villages Thôn 1 and Thôn 2 merged: Thôn 2's branch goes into Thôn 1's, its
        // members with it, and leaves the tree of open units.
        click_unit(&app, "Chi hội Thôn 2").await;
        click(&app, "unit-merge").await;
        select_label(&app, "field-target", "Chi hội Thôn 1").await;
        click(&app, "unit-submit").await;
        app.wait_text("unit-message", "Đã sáp nhập vào Chi hội Thôn 1.")
            .await;
        poll(
            "the merged branch to leave the tree of open units",
            Duration::from_secs(20),
            || async {
                let script =
                    "return !document.querySelector('[data-unit-name=\"Chi hội Thôn 2\"]')";
                let gone = app.client.execute(script, vec![]).await.unwrap();
                gone.as_bool().unwrap().then_some(())
            },
        )
        .await;
        click(&app, "nav-members").await;
        type_into(&app, "member-search", "dung").await;
        wait_rows(&app, &["Hoàng Thị Dung"]).await;
        assert_eq!(row_unit(&app).await, "Chi hội Thôn 1");
    }

    // Restarted: the login screen, then everything is still there.
    let app = Desktop::start("flow-restart", env(&db)).await;
    app.by_testid("login").await;
    type_into(&app, "field-login-username", "lan").await;
    type_into(&app, "field-login-pin", "0000").await;
    click(&app, "login-submit").await;
    assert!(app.text("login-error").await.contains("không đúng"));
    type_into(&app, "field-login-pin", "2580").await;
    click(&app, "login-submit").await;
    click(&app, "nav-members").await;
    app.wait_text("member-count", "5 hội viên").await;
    type_into(&app, "member-search", "cuong").await;
    wait_rows(&app, &["Phạm Văn Cường"]).await;
    assert_eq!(row_unit(&app).await, "Chi hội Thôn 1");
    click(&app, "nav-units").await;
    wait_parent_in_tree(&app, "Tổ Xóm Đông", "Chi hội Thôn 3").await;
    let _ = std::fs::remove_dir_all(&work);
}
