//! The names of the app's own commands, shared by `build.rs` (which generates an
//! `allow-<command>` permission for each) and the tests (which check that the main window's
//! capability grants exactly these). Keep it in step with `tauri::generate_handler!` in `lib.rs`.

/// Every command the UI may call.
pub const COMMANDS: &[&str] = &[
    "app_info",
    "session",
    "setup",
    "request_join",
    "login",
    "logout",
    "set_lang",
    "dashboard",
    "units",
    "unit_add",
    "unit_rename",
    "unit_move",
    "unit_merge",
    "members_page",
    "member_detail",
    "member_save",
    "member_set_status",
    "import_preview",
    "import_commit",
    "export_members",
    "backup",
    "restore",
    "officers",
    "officer_add",
    "officer_set_role",
    "change_pin",
];
