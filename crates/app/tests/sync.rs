//! Sync as the desktop window uses it, against the real server in-process on 127.0.0.1:0 (on
//! SQLite, and again on PostgreSQL): the
//! chairperson enrolls the first laptop, a second laptop joins the commune from the first-run
//! screen and logs in with the chairperson's PIN, the background task syncs again by itself
//! once the server is back, a conflict is reviewed and settled with the value that lost, and a
//! laptop whose token expired is asked to enroll again and keeps its work, and a sync that
//! changed records here tells the screens to reload.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use jiff::SignedDuration;
use khuyenhoc_app::*;
use khuyenhoc_server::admin::Admin;
use khuyenhoc_server::test_on_both_databases;
use khuyenhoc_server::testing::TestDatabase;
use khuyenhoc_server::{RunningServer, ServerConfig, start};

struct World {
    db: TestDatabase,
    server: Option<RunningServer>,
    addr: SocketAddr,
    admin: Admin,
}

async fn world(db: TestDatabase) -> World {
    let server = start(ServerConfig::new(
        "127.0.0.1:0".parse().unwrap(),
        db.db().clone(),
    ))
    .await
    .unwrap();
    let admin = Admin::open_database(db.db()).await.unwrap();
    admin.add_unit("44", "Tỉnh Quảng Trị", None).await.unwrap();
    admin
        .add_unit("26734", "Xã Tân Hòa", Some("44"))
        .await
        .unwrap();
    World {
        addr: server.addr,
        db,
        server: Some(server),
        admin,
    }
}

impl World {
    async fn code(&self) -> String {
        self.admin
            .create_code("26734", SignedDuration::from_hours(1))
            .await
            .unwrap()
            .code
    }

    async fn form(&self, device: &str) -> EnrollForm {
        EnrollForm {
            server_url: format!("http://{}", self.addr),
            code: self.code().await,
            device_name: device.into(),
        }
    }

    fn app(&self, name: &str) -> Arc<App> {
        Arc::new(App::open(self.db.dir().join(format!("{name}.db"))).unwrap())
    }

    /// The first laptop: the commune set up by its chairperson, enrolled, one member synced.
    async fn first_laptop(&self) -> (Arc<App>, MemberRow) {
        let app = self.app("a");
        let commune = app.setup(setup_form()).unwrap().commune.unwrap();
        let view = app.enroll(self.form("Máy chủ tịch").await).await.unwrap();
        assert!(view.enrolled);
        assert_eq!(view.unit_name.as_deref(), Some("Xã Tân Hòa"));
        assert_eq!(view.server_url, Some(format!("http://{}", self.addr)));
        let row = app
            .member_save(MemberForm {
                unit_id: commune.id,
                full_name: "Lê Đức Anh".into(),
                phone: Some("0912 345 678".into()),
                ..Default::default()
            })
            .unwrap();
        let view = app.sync_now().await.unwrap();
        assert_eq!(view.pending, 0, "{view:?}");
        assert!(view.last_error.is_none());
        assert!(view.last_result.unwrap().starts_with("Đã gửi"));
        (app, row)
    }

    /// The secretary's laptop: joined the commune from the first-run screen, logged in with
    /// the chairperson's PIN.
    async fn second_laptop(&self) -> Arc<App> {
        let b = self.app("b");
        b.join_commune(self.form("Máy thư ký").await).await.unwrap();
        b.login("lan".into(), "2580".into()).unwrap();
        b
    }

    async fn stop_server(&mut self) {
        self.server.take().unwrap().shutdown().await.unwrap();
    }

    async fn restart_server(&mut self) {
        let server = start(ServerConfig::new(self.addr, self.db.db().clone()))
            .await
            .unwrap();
        self.server = Some(server);
    }
}

/// Changes the phone of the first laptop's member (Lê Đức Anh) on `app`.
fn set_phone(app: &App, row: &MemberRow, phone: &str) {
    app.member_save(MemberForm {
        id: Some(row.id.clone()),
        unit_id: row.unit_id.clone(),
        full_name: "Lê Đức Anh".into(),
        phone: Some(phone.into()),
        ..Default::default()
    })
    .unwrap();
}

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

fn now_ms() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis()
}

/// Returns once the wall clock reads a later millisecond than `ms`: every stamp taken before
/// the call is then older than the next local edit's, whatever the counters say.
fn wall_clock_moves_past(ms: u128) {
    while now_ms() <= ms {
        std::thread::yield_now();
    }
}

/// Polls `check` until it holds (the background task works on its own time), failing after
/// 20 seconds with the last state seen.
async fn until(app: &App, what: &str, check: impl Fn(&SyncView) -> bool) -> SyncView {
    let start = Instant::now();
    loop {
        let view = app.sync_view().unwrap();
        if check(&view) {
            return view;
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "{what}: still {view:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn a_second_laptop_joins_the_commune_and_logs_in_with_the_chairpersons_pin(db: TestDatabase) {
    let w = world(db).await;
    let (a, row) = w.first_laptop().await;

    let b = w.app("b");
    let mut wrong = w.form("Máy thư ký").await;
    wrong.code = "SAI-MA-THAM-GIA".into();
    let err = b.join_commune(wrong).await.unwrap_err();
    assert_eq!(err.code, "enrollment_code_invalid");
    assert_eq!(err.fields[0].field, "code");
    assert!(err.message.contains("Mã tham gia không đúng"), "{err:?}");
    assert!(!b.sync_view().unwrap().enrolled);

    let session = b.join_commune(w.form("Máy thư ký").await).await.unwrap();
    assert!(
        session.set_up,
        "the commune's officers arrived: {session:?}"
    );
    assert_eq!(session.joined, None);
    let session = b.login("lan".into(), "2580".into()).unwrap();
    assert_eq!(session.officer.unwrap().full_name, "Trần Thị Lan");
    // A status change made on the first laptop arrives with its author.
    a.member_set_status(StatusForm {
        member_id: row.id.clone(),
        status: "moved_away".into(),
        date: Some("01/11/2026".into()),
        note: None,
    })
    .unwrap();
    a.sync_now().await.unwrap();
    b.sync_now().await.unwrap();
    let history = b.member_detail(row.id.clone()).unwrap().history;
    assert_eq!(history.len(), 1, "{history:?}");
    assert_eq!(history[0].author, "lan", "the officer who made the change");
    let rows = b.members_page(MemberQueryForm::default()).unwrap().rows;
    assert_eq!(rows.len(), 1);
    assert_eq!(
        (rows[0].id.as_str(), rows[0].full_name.as_str()),
        (row.id.as_str(), "Lê Đức Anh")
    );
    assert_eq!(
        b.units().unwrap(),
        a.units().unwrap(),
        "no second commune: the same tree"
    );
}

async fn only_the_chairperson_enrolls_a_laptop_that_is_set_up(db: TestDatabase) {
    let w = world(db).await;
    let app = w.app("a");
    app.setup(setup_form()).unwrap();
    app.officer_add(OfficerForm {
        username: "xem".into(),
        full_name: "Phan Văn Xem".into(),
        role: "viewer".into(),
        pin: "1357".into(),
    })
    .unwrap();
    app.logout().unwrap();
    app.login("xem".into(), "1357".into()).unwrap();
    let err = app.enroll(w.form("Máy xem").await).await.unwrap_err();
    assert_eq!(err.code, "forbidden");
    assert!(!app.sync_view().unwrap().enrolled);
    let err = app.sync_now().await.unwrap_err();
    assert_eq!(err.code, "not_enrolled");
}

/// A commune set up offline binds to the server's commune of its code: a code made for another
/// commune is refused on the code field, in Vietnamese, and stays good for that commune.
async fn a_code_for_another_commune_is_refused_and_stays_unused(db: TestDatabase) {
    let w = world(db).await;
    w.admin
        .add_unit("26737", "Xã Tân Lập", Some("44"))
        .await
        .unwrap();
    let code = w
        .admin
        .create_code("26737", SignedDuration::from_hours(1))
        .await
        .unwrap()
        .code;
    let form = EnrollForm {
        server_url: format!("http://{}", w.addr),
        code,
        device_name: "Máy chủ tịch".into(),
    };
    let tan_hoa = w.app("a");
    tan_hoa.setup(setup_form()).unwrap();
    let err = tan_hoa.enroll(form.clone()).await.unwrap_err();
    assert_eq!(err.code, "unit_code_mismatch");
    assert_eq!(err.fields[0].field, "code");
    let message = &err.fields[0].message;
    assert!(
        message.contains("Xã Tân Lập") && message.contains("26734"),
        "{message}"
    );
    assert!(!tan_hoa.sync_view().unwrap().enrolled);

    let tan_lap = w.app("c");
    tan_lap
        .setup(SetupForm {
            commune_name: "Hội Khuyến học xã Tân Lập".into(),
            commune_code: Some("26737".into()),
            ..setup_form()
        })
        .unwrap();
    let view = tan_lap.enroll(form).await.unwrap();
    assert_eq!(view.unit_name.as_deref(), Some("Xã Tân Lập"));
}

/// The server is down: no connection can be made, so the background task tries again soon
/// (an error answer would make it wait an hour here) and syncs once the server is back.
async fn the_background_task_syncs_by_itself_once_the_server_is_back(db: TestDatabase) {
    let mut w = world(db).await;
    let (a, row) = w.first_laptop().await;
    w.stop_server().await;
    set_phone(&a, &row, "0977 000 111");
    let worker = {
        let a = a.clone();
        tokio::spawn(async move {
            a.run_sync_worker(SyncTimings {
                first: Duration::from_millis(10),
                every: Duration::from_secs(3600),
                retry_min: Duration::from_secs(3600),
                retry_max: Duration::from_secs(3600),
                offline_retry_min: Duration::from_millis(50),
                offline_retry_max: Duration::from_millis(300),
            })
            .await
        })
    };
    let failed = until(&a, "the sync fails while the server is down", |v| {
        v.last_error.is_some()
    })
    .await;
    assert_eq!(failed.pending, 1);
    assert!(
        failed
            .last_error
            .unwrap()
            .contains("Không kết nối được máy chủ"),
        "plain words"
    );
    w.restart_server().await;
    // No click: the retry finds the server back.
    let synced = until(&a, "the retry after the server is back", |v| {
        v.pending == 0 && v.last_error.is_none()
    })
    .await;
    assert!(synced.enrolled);
    worker.abort();
}

async fn a_conflict_is_reviewed_and_settled_with_the_value_that_lost(db: TestDatabase) {
    let w = world(db).await;
    let (a, row) = w.first_laptop().await;
    let b = w.second_laptop().await;

    let edit = |app: &App, phone: &str| set_phone(app, &row, phone);
    // Both laptops change the phone offline, B first: the later edit (A's) wins everywhere,
    // whichever arrives first, and B's becomes the value that lost. "Later" is by the hybrid
    // clock, whose unit is the millisecond: within one millisecond the counters and device ids
    // decide, so A edits once the wall clock has moved past B's edit.
    edit(&b, "0988 222 333");
    wall_clock_moves_past(now_ms());
    edit(&a, "0977 000 111");
    a.sync_now().await.unwrap();
    let view = b.sync_now().await.unwrap();
    assert_eq!(view.conflicts, 1);
    assert!(view.last_result.unwrap().contains("1 xung đột"));

    let conflicts = b.conflicts().unwrap();
    assert_eq!(conflicts.len(), 1);
    let c = &conflicts[0];
    assert_eq!(
        (c.entity.as_str(), c.record.as_str(), c.field.as_str()),
        ("member", "Lê Đức Anh", "phone")
    );
    assert_eq!(
        (c.kept.as_str(), c.lost.as_str()),
        ("0977000111", "0988222333")
    );
    assert_eq!(
        b.member_detail(row.id.clone())
            .unwrap()
            .row
            .phone
            .as_deref(),
        Some("0977000111")
    );

    let view = b.resolve_conflict(c.id, true).unwrap();
    assert_eq!((view.conflicts, view.pending), (0, 1));
    b.sync_now().await.unwrap();
    a.sync_now().await.unwrap();
    let phone = |app: &App| app.member_detail(row.id.clone()).unwrap().row.phone;
    assert_eq!(
        phone(&a).as_deref(),
        Some("0988222333"),
        "the chosen value reached A"
    );
    assert_eq!(phone(&b), phone(&a));
    assert_eq!(
        a.sync_view().unwrap().conflicts,
        0,
        "a choice is a sequential edit"
    );
}

async fn the_same_person_added_on_two_laptops_is_shown_as_a_likely_duplicate_and_merged(
    db: TestDatabase,
) {
    let w = world(db).await;
    let (a, row) = w.first_laptop().await;
    let b = w.second_laptop().await;
    let add = |app: &App, name: &str, phone: Option<&str>| {
        app.member_save(MemberForm {
            unit_id: row.unit_id.clone(),
            full_name: name.into(),
            birth: Some("15/03/1985".into()),
            phone: phone.map(Into::into),
            ..Default::default()
        })
        .unwrap()
    };
    // Offline, both officers add Mr An; the secretary types no tone marks but knows his phone.
    let on_a = add(&a, "Nguyễn Văn An", None);
    let on_b = add(&b, "Nguyen Van An", Some("0912 345 678"));
    a.sync_now().await.unwrap();
    b.sync_now().await.unwrap();
    a.sync_now().await.unwrap();

    let groups = a.duplicates().unwrap();
    assert_eq!(groups.len(), 1, "{groups:?}");
    assert_eq!(groups[0].reason_text, "Cùng họ tên và ngày sinh");
    let ids: Vec<&str> = groups[0].members.iter().map(|m| m.id.as_str()).collect();
    assert_eq!(ids, [on_a.id.as_str(), on_b.id.as_str()]);

    let kept = a.merge_members(on_a.id.clone(), on_b.id.clone()).unwrap();
    assert_eq!(kept.phone.as_deref(), Some("0912345678"));
    a.sync_now().await.unwrap();
    // Before hearing of the merge, the secretary adds Mr An's address to her record.
    b.member_save(MemberForm {
        id: Some(on_b.id.clone()),
        unit_id: row.unit_id.clone(),
        full_name: "Nguyen Van An".into(),
        birth: Some("15/03/1985".into()),
        phone: Some("0912 345 678".into()),
        address: Some("Thôn 3".into()),
        ..Default::default()
    })
    .unwrap();
    b.sync_now().await.unwrap();
    a.sync_now().await.unwrap();
    // The edit landed on the record both keep.
    for app in [&a, &b] {
        let detail = app.member_detail(on_a.id.clone()).unwrap();
        assert_eq!(detail.form.address.as_deref(), Some("Thôn 3"));
        assert_eq!(detail.row.full_name, "Nguyễn Văn An");
    }
    for app in [&a, &b] {
        let names: Vec<String> = app
            .members_page(MemberQueryForm::default())
            .unwrap()
            .rows
            .into_iter()
            .map(|r| r.full_name)
            .collect();
        assert_eq!(
            names,
            ["Nguyễn Văn An", "Lê Đức Anh"],
            "one An, in given-name order"
        );
        assert!(app.duplicates().unwrap().is_empty());
    }
}

/// Two officers give the same member card number to two people offline: both records reach
/// every laptop (a card number held twice is not refused, here or on the server), nothing is
/// parked, and every laptop shows the pair as a likely duplicate to look at.
async fn a_card_number_given_twice_offline_arrives_as_a_likely_duplicate_not_a_refusal(
    db: TestDatabase,
) {
    let w = world(db).await;
    let (a, row) = w.first_laptop().await;
    let b = w.second_laptop().await;
    let add = |app: &App, name: &str, card: &str| {
        app.member_save(MemberForm {
            unit_id: row.unit_id.clone(),
            full_name: name.into(),
            card_number: Some(card.into()),
            ..Default::default()
        })
        .unwrap()
    };
    let on_a = add(&a, "Trần Thị Bình", "KH-0042");
    let on_b = add(&b, "Phạm Văn Cường", "kh-0042");
    a.sync_now().await.unwrap();
    b.sync_now().await.unwrap();
    a.sync_now().await.unwrap();
    for app in [&a, &b] {
        let view = app.sync_view().unwrap();
        assert_eq!((view.pending, view.parked), (0, 0), "{view:?}");
        assert!(app.parked().unwrap().is_empty());
        let groups = app.duplicates().unwrap();
        assert_eq!(groups.len(), 1, "{groups:?}");
        assert_eq!(groups[0].reason, "same_card");
        let mut ids: Vec<&str> = groups[0].members.iter().map(|m| m.id.as_str()).collect();
        ids.sort();
        let mut want = [on_a.id.as_str(), on_b.id.as_str()];
        want.sort();
        assert_eq!(ids, want);
    }
    assert_eq!(
        w.db.scalar("SELECT count(*) FROM ops_received WHERE outcome = 'rejected'")
            .await,
        0,
        "the server refused nothing"
    );
}

/// A laptop left unused past the server's token life is told to enroll again; the
/// chairperson does it from the sync screen with a new code, and what waited goes up.
async fn a_laptop_whose_token_expired_is_asked_to_enroll_again_and_keeps_its_work(
    db: TestDatabase,
) {
    let w = world(db).await;
    let (app, _) = w.first_laptop().await;
    let view = app.sync_view().unwrap();
    assert!(!view.reenroll);
    let device = w.db.text_rows("SELECT CAST(id AS TEXT) FROM devices").await;
    let device: uuid::Uuid = device[0][0].parse().unwrap();
    w.db.age_token_use(device, 400).await;
    let commune = app.units().unwrap()[0].clone();
    app.member_save(MemberForm {
        unit_id: commune.id.clone(),
        full_name: "Đỗ Thị Hoa".into(),
        ..Default::default()
    })
    .unwrap();

    let err = app.sync_now().await.unwrap_err();
    assert_eq!(err.code, "token_expired", "{err:?}");
    let view = app.sync_view().unwrap();
    assert!(view.reenroll, "{view:?}");
    assert!(view.enrolled);
    assert_eq!(view.pending, 1, "the new member still waits");

    let view = app.enroll(w.form("Máy chủ tịch").await).await.unwrap();
    assert!(!view.reenroll, "{view:?}");
    let view = app.sync_now().await.unwrap();
    assert_eq!(view.pending, 0, "{view:?}");
    assert!(!view.reenroll);
    assert_eq!(
        w.db.scalar("SELECT count(*) FROM devices").await,
        1,
        "enrolled again under the same device, not as a second one"
    );
}

async fn a_sync_that_changed_records_here_tells_the_screens_to_reload(db: TestDatabase) {
    let w = world(db).await;
    let (a, row) = w.first_laptop().await;
    let b = w.second_laptop().await;
    let generation = |app: &App| app.sync_view().unwrap().data_generation;
    let joined = generation(&b);

    // Nothing new, then only B's own member going up: the records here are as they were.
    b.sync_now().await.unwrap();
    assert_eq!(generation(&b), joined, "a sync that brought nothing");
    b.member_save(MemberForm {
        unit_id: row.unit_id.clone(),
        full_name: "Đỗ Thị Hoa".into(),
        ..Default::default()
    })
    .unwrap();
    assert_eq!(b.sync_now().await.unwrap().pending, 0);
    assert_eq!(generation(&b), joined, "a sync that only sent");

    // The chairperson's edit arrives: the screens showing members must reload.
    set_phone(&a, &row, "0977 000 111");
    a.sync_now().await.unwrap();
    let view = b.sync_now().await.unwrap();
    assert_eq!(view.data_generation, joined + 1, "{view:?}");
    assert_eq!(generation(&b), joined + 1);
}

test_on_both_databases!(
    a_code_for_another_commune_is_refused_and_stays_unused,
    a_second_laptop_joins_the_commune_and_logs_in_with_the_chairpersons_pin,
    only_the_chairperson_enrolls_a_laptop_that_is_set_up,
    the_background_task_syncs_by_itself_once_the_server_is_back,
    a_conflict_is_reviewed_and_settled_with_the_value_that_lost,
    the_same_person_added_on_two_laptops_is_shown_as_a_likely_duplicate_and_merged,
    a_laptop_whose_token_expired_is_asked_to_enroll_again_and_keeps_its_work,
    a_card_number_given_twice_offline_arrives_as_a_likely_duplicate_not_a_refusal,
    a_sync_that_changed_records_here_tells_the_screens_to_reload,
);
