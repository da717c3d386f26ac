//! The Tauri 2 desktop shell of khuyenhoc, kept thin: it opens [`khuyenhoc_app::App`] on the
//! per-user database, keeps it in Tauri's managed state and exposes commands that are one-line
//! calls into it. Every command returns `Result<T, ApiError>`, which reaches the UI as a rejected
//! promise carrying `{code, message, fields}` (`ui/src/lib/api.ts`). Commands run on the async
//! runtime's threads (`#[tauri::command(async)]`), never on the main (UI) thread.
//!
//! A second launch does not open a second window on the same database: the single-instance
//! plugin hands it to the running app, which brings its window to the front. Once the
//! database is open, the app syncs in the background ([`App::run_sync_worker`]).

mod command_names;
mod commands;
mod rendering;

use khuyenhoc_app::{ApiError, ApiResult, App, SyncTimings};
use std::sync::OnceLock;

use tauri::Manager;

pub use command_names::COMMANDS;
pub use khuyenhoc_app::{DB_ENV, database_path, default_database_path};
pub use rendering::{GPU_ENV, WEBKIT_COMPOSITING_ENV, choose_compositing};

/// The label of the one window (tauri.conf.json, capabilities/default.json).
pub const MAIN_WINDOW: &str = "main";

/// What the commands reach through `State`: the open app, or why the database could not be
/// opened (a newer schema, a damaged file, a disk error) so the window can say so.
///
/// The database is opened on its own thread while the window starts (the integrity check of a
/// large register on an old disk takes a while); a command that comes first waits for it.
pub struct Shell(OnceLock<Result<App, ApiError>>);

impl Shell {
    /// A shell whose database is still being opened ([`Shell::finish_open`]).
    pub fn opening() -> Shell {
        Shell(OnceLock::new())
    }

    /// Opens the database at once (tests).
    pub fn open(path: &std::path::Path) -> Shell {
        let shell = Shell::opening();
        shell.finish_open(path);
        shell
    }

    /// Opens the database; commands waiting in [`Shell::app`] go on.
    pub fn finish_open(&self, path: &std::path::Path) {
        let opened = App::open(path);
        if let Err(e) = &opened {
            tracing::error!(code = %e.code, "the database could not be opened");
        }
        let _ = self.0.set(opened);
    }

    /// The open app (waiting for the open to finish), or why it could not be opened.
    pub fn app(&self) -> ApiResult<&App> {
        self.0.wait().as_ref().map_err(Clone::clone)
    }
}

/// Starts the desktop app; returns when its window is closed.
pub fn run() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();

    tauri::Builder::default()
        // First, so that a second instance exits before it opens the database.
        .plugin(tauri_plugin_single_instance::init(|app, _args, _cwd| {
            focus_main_window(app)
        }))
        // Open and save dialogs for the import, export, backup and restore screens.
        .plugin(tauri_plugin_dialog::init())
        .setup(|app| {
            app.manage(Shell::opening());
            let handle = app.handle().clone();
            std::thread::spawn(move || {
                handle.state::<Shell>().finish_open(&database_path());
                // Sync in the background for as long as the app runs.
                tauri::async_runtime::spawn(async move {
                    if let Ok(app) = handle.state::<Shell>().app() {
                        app.run_sync_worker(SyncTimings::default()).await;
                    }
                });
            });
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::app_info,
            commands::session,
            commands::setup,
            commands::join_commune,
            commands::login,
            commands::logout,
            commands::set_lang,
            commands::dashboard,
            commands::units,
            commands::unit_add,
            commands::unit_rename,
            commands::unit_move,
            commands::unit_merge,
            commands::members_page,
            commands::member_detail,
            commands::member_save,
            commands::member_set_status,
            commands::import_preview,
            commands::import_commit,
            commands::export_members,
            commands::backup,
            commands::restore,
            commands::officers,
            commands::officer_add,
            commands::officer_set_role,
            commands::change_pin,
            commands::sync_view,
            commands::enroll,
            commands::sync_now,
            commands::conflicts,
            commands::resolve_conflict,
            commands::parked,
            commands::dismiss_parked,
            commands::duplicates,
            commands::merge_members,
            commands::export_batch,
            commands::import_batch,
        ])
        .run(tauri::generate_context!())
        .expect("the desktop app could not start");
}

/// Brings the running window to the front (a second launch ends up here).
fn focus_main_window(app: &tauri::AppHandle) {
    if let Some(window) = app.get_webview_window(MAIN_WINDOW) {
        let _ = window.unminimize();
        let _ = window.show();
        let _ = window.set_focus();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fresh folder under the system's temporary folder, removed at the end of the test.
    struct TempDir(std::path::PathBuf);

    impl TempDir {
        fn new(name: &str) -> TempDir {
            let dir = std::env::temp_dir()
                .join(format!("khuyenhoc-desktop-{name}-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).unwrap();
            TempDir(dir)
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    #[test]
    fn the_shell_opens_the_database_and_answers_app_info() {
        let dir = TempDir::new("open");
        let db = dir.0.join("sub").join("k.db");
        let shell = Shell::open(&db);
        let info = shell.app().expect("opened").info().expect("info");
        assert_eq!(info.database, db.display().to_string());
        assert_eq!(info.version, env!("CARGO_PKG_VERSION"));
        assert!(info.schema >= 1);
        assert!(db.is_file());
    }

    #[test]
    fn a_command_that_comes_before_the_database_is_open_waits_for_it() {
        let dir = TempDir::new("wait");
        let db = dir.0.join("k.db");
        let shell = std::sync::Arc::new(Shell::opening());
        let waiting = {
            let shell = shell.clone();
            std::thread::spawn(move || shell.app().map(|a| a.info().unwrap().database))
        };
        assert!(
            shell.0.get().is_none(),
            "nothing is open before finish_open"
        );
        shell.finish_open(&db);
        assert_eq!(waiting.join().unwrap().unwrap(), db.display().to_string());
    }

    #[test]
    fn a_database_that_cannot_be_opened_is_an_error_for_every_command() {
        let dir = TempDir::new("bad");
        let db = dir.0.join("k.db");
        std::fs::write(&db, "not a database ".repeat(400)).unwrap();
        let shell = Shell::open(&db);
        let first = shell.app().err().expect("an error");
        assert!(!first.code.is_empty());
        assert!(!first.message.is_empty());
        assert_eq!(shell.app().err(), Some(first));
    }

    fn json(path: &str) -> serde_json::Value {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    }

    #[test]
    fn the_main_window_may_call_only_core_defaults_and_the_apps_commands() {
        let cap = json("capabilities/default.json");
        assert_eq!(cap["windows"], serde_json::json!([MAIN_WINDOW]));
        let mut want = vec![
            "core:default".to_owned(),
            "dialog:allow-open".to_owned(),
            "dialog:allow-save".to_owned(),
        ];
        want.extend(
            COMMANDS
                .iter()
                .map(|c| format!("allow-{}", c.replace('_', "-"))),
        );
        let have: Vec<String> = cap["permissions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p.as_str().unwrap().to_owned())
            .collect();
        assert_eq!(have, want);
    }

    #[test]
    fn the_database_folder_is_named_after_the_apps_identifier() {
        let conf = json("tauri.conf.json");
        assert_eq!(conf["identifier"], "vn.khuyenhoc.desktop");
        let folder = default_database_path().parent().unwrap().to_path_buf();
        assert_eq!(folder.file_name().unwrap(), "vn.khuyenhoc.desktop");
        assert_eq!(conf["app"]["windows"][0]["label"], MAIN_WINDOW);
    }
}
