//! Build script of the desktop shell: checks that the UI was built, then lets `tauri-build`
//! read `tauri.conf.json`, the capabilities and the icons (embedded by `generate_context!`).
//!
//! The app's own commands are listed in `src/command_names.rs`: each gets an `allow-<command>`
//! permission, and the web view may call only those that `capabilities/default.json` grants. A
//! command registered in `lib.rs` but missing from both lists is refused at run time.

use std::path::Path;

#[path = "src/command_names.rs"]
mod command_names;

fn main() {
    // frontendDist in tauri.conf.json: `generate_context!` embeds it and fails with a cryptic
    // message when it is missing, so say what to do first.
    let dist = Path::new(env!("CARGO_MANIFEST_DIR")).join("../ui/dist");
    println!(
        "cargo:rerun-if-changed={}",
        dist.join("index.html").display()
    );
    println!("cargo:rerun-if-changed=src/command_names.rs");
    if !dist.join("index.html").is_file() {
        panic!(
            "\n\nui/dist/index.html is missing: the desktop shell embeds the built UI.\n\
             Build it first:  (cd ui && npm ci && npm run build)\n\
             (scripts/app, scripts/test and scripts/package do this for you)\n"
        );
    }
    let manifest = tauri_build::AppManifest::new().commands(command_names::COMMANDS);
    tauri_build::try_build(tauri_build::Attributes::new().app_manifest(manifest))
        .expect("tauri-build failed (tauri.conf.json, capabilities/ or icons/)");
}
