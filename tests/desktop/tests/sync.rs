//! Sync through the real window, against the real server binary on 127.0.0.1: a second laptop
//! joins the commune from the first-run screen (a wrong code gets its message under the field),
//! receives the officers and members the chairperson's laptop sent, logs in with the
//! chairperson's PIN, and its own new member reaches the first laptop after "Đồng bộ ngay"; the
//! status line tells what waits and when the last sync was, and the sync screen names the server;
//! then both laptops change one phone offline, and the losing value is reviewed on the sync
//! screen and chosen after all; and the same person added on both with one card number is
//! shown there as a likely duplicate and merged; branches the chairperson adds appear on the
//! open unit tree after a sync; and a merge of two branches into each other on both laptops
//! leaves this one's refused, shown with its reason, undone and dismissed. Also: a laptop whose
//! clock is days behind (libfaketime) is asked on the status line to set it right.
//! Once with the server on a SQLite file, once on a fresh PostgreSQL database
//! (`KHUYENHOC_TEST_POSTGRES`, which scripts/test sets).

use std::ffi::OsString;
use std::path::Path;

use khuyenhoc_server::test_on_both_databases;
use khuyenhoc_server::testing::{Backend, TestDatabase};

use fantoccini::Locator;
use khuyenhoc_app::{App, EnrollForm, MemberForm, MemberQueryForm, SetupForm, UnitForm, UnitView};
use khuyenhoc_desktop_e2e::server::SyncServer;
use khuyenhoc_desktop_e2e::ui::{
    click, click_unit, screenshot, select_label, type_into, wait_rows,
};
use khuyenhoc_desktop_e2e::{APP_DEADLINE, Desktop, poll};

/// The status line once its text contains `want`.
async fn wait_sync_line(app: &Desktop, want: &str) -> String {
    poll(
        &format!("the sync line to say {want:?}"),
        APP_DEADLINE,
        || async {
            let text = app.text("sync-line").await;
            text.contains(want).then_some(text)
        },
    )
    .await
}

/// The chairperson's laptop (the app's core, no window): set up, enrolled, one member sent.
async fn chairpersons_laptop(work: &Path, server: &SyncServer) -> (App, UnitView) {
    let first = App::open(work.join("a.db")).unwrap();
    let commune = first
        .setup(SetupForm {
            province_name: "Hội Khuyến học tỉnh Quảng Trị".into(),
            province_code: Some("44".into()),
            commune_name: "Hội Khuyến học xã Tân Hòa".into(),
            commune_code: Some("26734".into()),
            username: "lan".into(),
            full_name: "Trần Thị Lan".into(),
            pin: "2580".into(),
        })
        .unwrap()
        .commune
        .unwrap();
    first
        .enroll(EnrollForm {
            server_url: server.url.clone(),
            code: server.code(),
            device_name: "Máy chủ tịch".into(),
        })
        .await
        .unwrap();
    first
        .member_save(MemberForm {
            unit_id: commune.id.clone(),
            full_name: "Lê Đức Anh".into(),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(first.sync_now().await.unwrap().pending, 0);
    (first, commune)
}

/// On the first-run screen's "join" form: joins the commune with a fresh code, then logs in
/// with the chairperson's PIN, which arrived with the commune's officers.
async fn join_and_log_in(app: &Desktop, server: &SyncServer) {
    click(app, "mode-join").await;
    type_into(app, "field-server_url", &server.url).await;
    type_into(app, "field-code", &server.code()).await;
    type_into(app, "field-device_name", "Máy thư ký").await;
    click(app, "join-submit").await;
    app.by_testid("login").await;
    type_into(app, "field-login-username", "lan").await;
    type_into(app, "field-login-pin", "2580").await;
    click(app, "login-submit").await;
    app.wait_text("officer-name", "Trần Thị Lan").await;
}

test_on_both_databases!(a_second_laptop_joins_through_the_window_and_its_work_reaches_the_first);

async fn a_second_laptop_joins_through_the_window_and_its_work_reaches_the_first(db: TestDatabase) {
    let work = db.dir();
    let server = SyncServer::start(db.arg());
    // The screenshots of the documentation come from one of the two runs.
    let shoot = db.backend() == Backend::Sqlite;
    let name = if shoot {
        "sync-join"
    } else {
        "sync-join-postgres"
    };

    let (first, commune) = chairpersons_laptop(&work, &server).await;

    // The secretary's laptop, through its window.
    let db = work.join("b.db");
    let app = Desktop::start(name, |_: &Path| vec![("KHUYENHOC_DB", OsString::from(&db))]).await;
    app.by_testid("first-run").await;
    click(&app, "mode-join").await;
    type_into(&app, "field-server_url", &server.url).await;
    type_into(&app, "field-code", "SAI-MA-THAM-GIA").await;
    click(&app, "join-submit").await;
    let message = app.text("error-code").await;
    assert!(message.contains("Mã tham gia không đúng"), "{message}");
    join_and_log_in(&app, &server).await;
    wait_sync_line(&app, "đồng bộ lần cuối").await;
    click(&app, "nav-members").await;
    wait_rows(&app, &["Lê Đức Anh"]).await;

    // A member added here waits on the status line until "Đồng bộ ngay".
    click(&app, "member-add").await;
    type_into(&app, "field-full_name", "Đỗ Thị Hoa").await;
    select_label(&app, "field-unit_id", "Hội Khuyến học xã Tân Hòa").await;
    click(&app, "member-save").await;
    // Sorted by given name: Anh, Hoa.
    wait_rows(&app, &["Lê Đức Anh", "Đỗ Thị Hoa"]).await;
    wait_sync_line(&app, "thay đổi chờ gửi").await;
    if shoot {
        screenshot(&app, "sync-pending").await;
    }
    click(&app, "sync-now").await;
    poll("the status line to turn green", APP_DEADLINE, || async {
        let bar = app.by_testid("sync-bar").await;
        let tone = bar.attr("data-tone").await.ok().flatten();
        (tone.as_deref() == Some("ok")).then_some(())
    })
    .await;
    let line = app.text("sync-line").await;
    assert!(!line.contains("chờ gửi"), "{line}");

    // The sync screen names the server and the commune this laptop belongs to.
    click(&app, "nav-sync").await;
    app.wait_text("sync-server", &server.url).await;
    app.wait_text("sync-unit", "Xã Tân Hòa").await;
    if shoot {
        screenshot(&app, "sync").await;
    }

    // The first laptop receives the secretary's member.
    first.sync_now().await.unwrap();
    let names: Vec<String> = first
        .members_page(MemberQueryForm::default())
        .unwrap()
        .rows
        .into_iter()
        .map(|r| r.full_name)
        .collect();
    assert_eq!(names, ["Lê Đức Anh", "Đỗ Thị Hoa"]);

    // Both laptops change Lê Đức Anh's phone offline, this one first: the chairperson's later
    // edit wins everywhere, and this laptop's value is kept as a conflict, reviewed on its sync
    // screen, where the officer chooses it after all.
    click(&app, "nav-members").await;
    click(&app, "member-row").await; // Anh: first by given name
    type_into(&app, "field-phone", "0988 222 333").await;
    click(&app, "member-save").await;
    wait_sync_line(&app, "1 thay đổi chờ gửi").await;
    let anh = first
        .members_page(MemberQueryForm::default())
        .unwrap()
        .rows
        .into_iter()
        .find(|r| r.full_name == "Lê Đức Anh")
        .unwrap();
    let phone_at_first = |first: &App| {
        first
            .member_detail(anh.id.clone())
            .unwrap()
            .row
            .phone
            .unwrap_or_default()
    };
    first
        .member_save(MemberForm {
            id: Some(anh.id.clone()),
            unit_id: anh.unit_id.clone(),
            full_name: anh.full_name.clone(),
            phone: Some("0977 000 111".into()),
            ..Default::default()
        })
        .unwrap();
    first.sync_now().await.unwrap();
    click(&app, "sync-now").await;
    wait_sync_line(&app, "1 xung đột cần xem").await;
    click(&app, "nav-sync").await;
    app.wait_text("conflict-kept", "0977000111").await;
    app.wait_text("conflict-lost", "0988222333").await;
    if shoot {
        screenshot(&app, "sync-conflict").await;
    }
    click(&app, "conflict-use-lost").await;
    wait_sync_line(&app, "1 thay đổi chờ gửi").await;
    let line = app.text("sync-line").await;
    assert!(!line.contains("xung đột"), "{line}");
    click(&app, "sync-now").await;
    poll(
        "the chosen value to reach the first laptop",
        APP_DEADLINE,
        || async {
            first.sync_now().await.unwrap();
            (phone_at_first(&first) == "0988222333").then_some(())
        },
    )
    .await;
    assert_eq!(
        first.sync_view().unwrap().conflicts,
        0,
        "a choice is a sequential edit, not a new conflict"
    );

    // The same person added on both laptops offline, with one card number: after the sync the
    // sync screen shows them as a likely duplicate, and keeping one merges the other into it
    // on every laptop.
    click(&app, "nav-members").await;
    click(&app, "member-add").await;
    type_into(&app, "field-full_name", "Trần Bình").await;
    select_label(&app, "field-unit_id", "Hội Khuyến học xã Tân Hòa").await;
    type_into(&app, "field-card_number", "kh-0042").await;
    click(&app, "member-save").await;
    wait_sync_line(&app, "1 thay đổi chờ gửi").await;
    first
        .member_save(MemberForm {
            unit_id: commune.id.clone(),
            full_name: "Trần Thị Bình".into(),
            card_number: Some("KH-0042".into()),
            ..Default::default()
        })
        .unwrap();
    first.sync_now().await.unwrap();
    click(&app, "sync-now").await;
    poll("the new members to be sent", APP_DEADLINE, || async {
        let line = app.text("sync-line").await;
        (!line.contains("chờ gửi") && line.contains("đồng bộ lần cuối")).then_some(())
    })
    .await;
    click(&app, "nav-sync").await;
    let group = app.text("duplicate").await;
    assert!(
        group.contains("Trần Bình") && group.contains("Trần Thị Bình"),
        "{group}"
    );
    if shoot {
        app.client
            .execute(
                "document.querySelector('[data-testid=duplicates]').scrollIntoView({block: 'center'})",
                vec![],
            )
            .await
            .unwrap();
        screenshot(&app, "sync-duplicate").await;
    }
    click(&app, "duplicate-keep").await;
    poll("the pair to be merged", APP_DEADLINE, || async {
        let text = app.text("duplicates").await;
        (!text.contains("Trần Thị Bình")).then_some(())
    })
    .await;
    click(&app, "sync-now").await;
    let binh = |first: &App| -> Vec<String> {
        first
            .members_page(MemberQueryForm::default())
            .unwrap()
            .rows
            .into_iter()
            .map(|r| r.full_name)
            .filter(|name| name.ends_with("Bình"))
            .collect()
    };
    poll(
        "the merge to reach the first laptop",
        APP_DEADLINE,
        || async {
            first.sync_now().await.unwrap();
            (binh(&first).len() == 1).then_some(())
        },
    )
    .await;
    assert!(first.duplicates().unwrap().is_empty());

    // The unit tree is open here when the chairperson adds two branches: a sync brings them
    // onto it without the officer leaving the screen.
    click(&app, "nav-units").await;
    click_unit(&app, "Hội Khuyến học xã Tân Hòa").await;
    let branch = |name: &str| {
        first
            .unit_add(UnitForm {
                parent_id: Some(commune.id.clone()),
                name: name.into(),
                kind: "branch".into(),
                ..Default::default()
            })
            .unwrap()
    };
    let (thon_1, thon_2) = (branch("Chi hội Thôn 1"), branch("Chi hội Thôn 2"));
    first.sync_now().await.unwrap();
    click(&app, "sync-now").await;
    click_unit(&app, "Chi hội Thôn 1").await;

    // Both laptops merge the two branches into each other offline. The chairperson's merge
    // reaches the server first and stands; this laptop's closes a loop and is refused: the sync
    // screen shows it with its reason, the merge is undone here, and the officer dismisses it.
    click_unit(&app, "Chi hội Thôn 2").await;
    click(&app, "unit-merge").await;
    select_label(&app, "field-target", "Chi hội Thôn 1").await;
    click(&app, "unit-submit").await;
    app.wait_text("unit-message", "Đã sáp nhập vào Chi hội Thôn 1.")
        .await;
    first
        .unit_merge(vec![thon_1.id.clone()], thon_2.id.clone())
        .unwrap();
    first.sync_now().await.unwrap();
    click(&app, "sync-now").await;
    wait_sync_line(&app, "bị từ chối").await;
    click(&app, "nav-sync").await;
    let refused = app.text("parked-op").await;
    assert!(refused.contains("Chi hội Thôn 2"), "{refused}");
    if shoot {
        screenshot(&app, "sync-refused").await;
    }
    // (The button by its place: the same test also drives builds from before its test id.)
    app.by_testid("parked-op")
        .await
        .find(Locator::Css("button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    poll("the refusal to be dismissed", APP_DEADLINE, || async {
        let text = app.text("parked").await;
        text.contains("Không có thay đổi nào bị từ chối")
            .then_some(())
    })
    .await;
    // Undone here: Thôn 2 stays open (Thôn 1 went into it), as on the first laptop.
    click(&app, "nav-units").await;
    poll(
        "Thôn 1 to leave the tree, Thôn 2 to stay",
        APP_DEADLINE,
        || async {
            let script = "return !document.querySelector('[data-unit-name=\"Chi hội Thôn 1\"]') \
                      && !!document.querySelector('[data-unit-name=\"Chi hội Thôn 2\"]')";
            let drawn = app.client.execute(script, vec![]).await.unwrap();
            drawn.as_bool().unwrap().then_some(())
        },
    )
    .await;
}

/// libfaketime, which sets a program's clock (Debian's `libfaketime`; scripts/install-deps).
const FAKETIME: &str = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1";

/// A laptop whose clock is three days behind joins: the first sync tells it the server's time,
/// and the status line asks the officer to set the clock right (dates of receipts and reports
/// come from it). The window's process and its children run with the clock set back; the
/// server and the test keep the real one. The server's database plays no part: SQLite only.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_laptop_whose_clock_is_days_behind_is_asked_to_set_it() {
    assert!(
        Path::new(FAKETIME).exists(),
        "{FAKETIME} is missing: apt-get install libfaketime (scripts/install-deps does)"
    );
    let db = TestDatabase::new(Backend::Sqlite).await.unwrap();
    let work = db.dir();
    let server = SyncServer::start(db.arg());
    chairpersons_laptop(&work, &server).await;

    let file = work.join("b.db");
    let app = Desktop::start("sync-clock", |_: &Path| {
        vec![
            ("KHUYENHOC_DB", OsString::from(&file)),
            ("LD_PRELOAD", OsString::from(FAKETIME)),
            ("FAKETIME", OsString::from("-3d")),
            // Timeouts and waits keep running on the real clock.
            ("FAKETIME_DONT_FAKE_MONOTONIC", OsString::from("1")),
        ]
    })
    .await;
    app.by_testid("first-run").await;
    join_and_log_in(&app, &server).await;
    let warning = app.text("clock-warning").await;
    assert!(warning.contains("chậm khoảng 3 ngày"), "{warning}");
    // The laptop still syncs: the hybrid clock moved on from the server's time.
    wait_sync_line(&app, "đồng bộ lần cuối").await;
}
