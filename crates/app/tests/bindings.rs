//! The UI's TypeScript types must match the Rust types: regenerate them and compare with the
//! checked-in files. `UPDATE_BINDINGS=1` rewrites the checked-in files instead.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn checked_in() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../ui/src/lib/bindings")
}

fn read_dir(dir: &Path) -> BTreeMap<String, String> {
    let mut files = BTreeMap::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.ends_with(".ts") {
            files.insert(name, std::fs::read_to_string(entry.path()).unwrap());
        }
    }
    files
}

#[test]
fn typescript_bindings_are_up_to_date() {
    if std::env::var_os("UPDATE_BINDINGS").is_some() {
        let dir = checked_in();
        for old in read_dir(&dir).keys() {
            std::fs::remove_file(dir.join(old)).unwrap();
        }
        khuyenhoc_app::bindings::export_all(&dir).unwrap();
        return;
    }
    let fresh = tempfile::tempdir().unwrap();
    khuyenhoc_app::bindings::export_all(fresh.path()).unwrap();
    let want = read_dir(fresh.path());
    let have = read_dir(&checked_in());
    assert!(!want.is_empty());
    for (name, text) in &want {
        assert_eq!(
            have.get(name),
            Some(text),
            "ui/src/lib/bindings/{name} is missing or out of date: run UPDATE_BINDINGS=1 cargo test -p khuyenhoc-app --test bindings"
        );
    }
    let stale: Vec<_> = have.keys().filter(|k| !want.contains_key(*k)).collect();
    assert!(stale.is_empty(), "stale bindings: {stale:?}");
}
