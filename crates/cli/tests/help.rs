//! The binary answers `--help` in Vietnamese. (This integration test also makes cargo build the
//! real `khuyenhoc` binary that the end-to-end tests in `tests/` drive.)

#[test]
fn help_lists_the_commands() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_khuyenhoc"))
        .arg("--help")
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    for word in [
        "init", "units", "members", "backup", "restore", "--db", "--json",
    ] {
        assert!(text.contains(word), "missing {word} in:\n{text}");
    }
    assert!(text.contains("Khuyến học"));
}
