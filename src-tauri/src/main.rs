//! The `khuyenhoc-desktop` binary: starts the desktop shell (see the library crate).

// No console window next to the app on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    khuyenhoc_desktop::run();
}
