//! The names of the app's own commands, shared by `build.rs` (which generates an
//! `allow-<command>` permission for each) and the tests (which check that the main window's
//! capability grants exactly these). Keep it in step with `tauri::generate_handler!` in `lib.rs`.

/// Every command the UI may call.
pub const COMMANDS: &[&str] = &["app_info"];
