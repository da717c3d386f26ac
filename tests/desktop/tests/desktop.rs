//! The desktop app end to end: the real binary, its real web view, the real IPC into the core,
//! a real SQLite file. Run by scripts/test against the binary installed from the `.deb`.

use std::ffi::OsString;
use std::path::Path;
use std::time::Duration;

use khuyenhoc_desktop_e2e::{Desktop, poll, wait_exit};

/// The version every crate of the workspace has, the app's included.
const VERSION: &str = env!("CARGO_PKG_VERSION");

/// WebKitGTK's switch for GPU compositing, which the app turns off (src-tauri/src/rendering.rs).
const WEBKIT_COMPOSITING_ENV: &str = "WEBKIT_DISABLE_COMPOSITING_MODE";

fn screenshot_path() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/screenshots/start.png")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_screen_shows_version_and_the_database_it_opened() {
    let db = std::cell::OnceCell::new();
    let app = Desktop::start("start", |home| {
        let path = home.join("xa-tan-hoa.db");
        db.set(path.clone()).unwrap();
        vec![("KHUYENHOC_DB", OsString::from(path))]
    })
    .await;
    let db = db.get().unwrap();

    // What the core answered through IPC (app_info), shown by the Svelte page.
    assert_eq!(app.text("app-version").await, VERSION);
    assert_eq!(app.text("db-path").await, db.display().to_string());
    // A new register starts with the first-run screen.
    app.by_testid("first-run").await;
    assert!(db.is_file(), "the app did not create {}", db.display());
    assert!(
        !app.home
            .path()
            .join("data/vn.khuyenhoc.desktop/khuyenhoc.db")
            .exists(),
        "KHUYENHOC_DB was set, yet the default database was created"
    );

    // Vietnamese first, in the page and the document title.
    assert_eq!(app.text("app-title").await, "Khuyến học");
    assert_eq!(app.client.title().await.unwrap(), "Khuyến học");
    app.wait_text("app-subtitle", "Sổ Hội Khuyến học xã, phường")
        .await;

    // The window as an officer sees it: docs/screenshots/start.png, overwritten each run (taken
    // before anything is clicked, so no hover or focus ring makes it differ from run to run).
    let png = app.screenshot().await;
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
    assert!(png.len() > 2_000, "screenshot of {} bytes", png.len());
    let shot = screenshot_path();
    std::fs::create_dir_all(shot.parent().unwrap()).unwrap();
    std::fs::write(&shot, &png).unwrap();

    // The language switch re-renders every text, and back.
    app.by_testid("lang-switch").await.click().await.unwrap();
    app.wait_text(
        "app-subtitle",
        "Register of the commune Study Promotion Association",
    )
    .await;
    app.by_testid("lang-switch").await.click().await.unwrap();
    app.wait_text("app-subtitle", "Sổ Hội Khuyến học xã, phường")
        .await;

    // Pages are drawn without GPU compositing (src-tauri/src/rendering.rs): the web processes
    // run with WebKit's switch, which nothing in the test's environment sets.
    assert!(
        !app.env.iter().any(|(k, _)| k == WEBKIT_COMPOSITING_ENV),
        "the test itself set WebKit's compositing switch"
    );
    let web = app.web_process_environments();
    assert!(!web.is_empty(), "no web process of this app was found");
    for vars in &web {
        assert!(
            vars.iter()
                .any(|(k, v)| k == WEBKIT_COMPOSITING_ENV && v == "1"),
            "a web process runs with GPU compositing"
        );
    }

    // The officer switches to another program: the page loses the keyboard focus.
    app.focus_elsewhere();
    poll(
        "the page to lose the focus",
        Duration::from_secs(10),
        || async { (!app.page_has_focus().await).then_some(()) },
    )
    .await;
    // A second launch hands over to the running app (single-instance) and exits at once…
    let mut second = app.launch_again();
    let status = wait_exit(&mut second, Duration::from_secs(30))
        .expect("a second launch kept running: the single-instance plugin did not stop it");
    assert!(status.success(), "the second launch exited with {status}");
    // …and the running window comes to the front with the focus.
    poll(
        "the window to take the focus",
        Duration::from_secs(10),
        || async { app.page_has_focus().await.then_some(()) },
    )
    .await;
    // …and the first one goes on answering.
    assert_eq!(app.text("app-version").await, VERSION);
    let again = app
        .client
        .execute("return document.title", vec![])
        .await
        .unwrap();
    assert_eq!(again, "Khuyến học");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_khuyenhoc_db_the_database_is_in_the_users_data_folder() {
    let app = Desktop::start("default-db", |_| Vec::new()).await;
    let want = app
        .home
        .path()
        .join("data/vn.khuyenhoc.desktop/khuyenhoc.db");
    assert_eq!(app.text("db-path").await, want.display().to_string());
    assert!(want.is_file(), "no database at {}", want.display());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_that_is_not_a_database_is_reported_on_screen() {
    let app = Desktop::start("not-a-db", |home| {
        let path = home.join("not-a-database.db");
        std::fs::write(&path, "Danh sách hội viên\n".repeat(500)).unwrap();
        vec![("KHUYENHOC_DB", OsString::from(path))]
    })
    .await;
    // The core's ApiError crosses IPC as {code, message, fields} and the page shows it.
    let error = app.text("app-error").await;
    assert!(error.contains("Không mở được cơ sở dữ liệu"), "{error}");
    let code = app.text("app-error-code").await;
    assert_ne!(code, "ipc", "the error did not come from the core: {error}");
    assert!(!app.has("app-version").await, "a version was shown");
}
