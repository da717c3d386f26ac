//! The `khuyenhoc-desktop` binary: starts the desktop shell (see the library crate).

// No console window next to the app on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    // SAFETY: first thing in main, before any other thread is started.
    unsafe { khuyenhoc_desktop::choose_compositing() };
    khuyenhoc_desktop::run();
}
