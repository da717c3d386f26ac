//! The commands the UI calls (`ui/src/lib/api.ts`). Each is one line into
//! [`khuyenhoc_app::App`]; `async` keeps the database work off the main thread.

use khuyenhoc_app::{ApiResult, AppInfo};
use tauri::State;

use crate::Shell;

/// Version, database file and schema version (the first screen).
#[tauri::command(async)]
pub fn app_info(shell: State<'_, Shell>) -> ApiResult<AppInfo> {
    shell.app()?.info()
}
