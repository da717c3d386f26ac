//! `kill -9` in the middle of a large import, with a real process: afterwards the database
//! holds either all of the import or none of it, and the outbox matches the members exactly.

use std::io::{BufRead, BufReader};
use std::process::Stdio;

use khuyenhoc_tests::{Env, member_csv};

const ROWS: usize = 30_000;

fn import_and_kill_after(env: &Env, file: &str, progress_lines: usize) {
    let mut child = env
        .cmd()
        .args(["members", "import", file, "--unit", "26734", "--commit"])
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let mut seen = 0;
    for line in BufReader::new(stderr).lines() {
        let line = line.unwrap();
        if line.starts_with("Đang nhập") {
            seen += 1;
            if seen == progress_lines {
                break;
            }
        }
    }
    assert_eq!(
        seen, progress_lines,
        "the import reported progress before it was killed"
    );
    child.kill().unwrap(); // SIGKILL on Unix
    let status = child.wait().unwrap();
    assert!(
        !status.success(),
        "the import was killed mid-way, not finished"
    );
}

#[test]
fn a_killed_import_leaves_all_or_nothing_and_a_consistent_outbox() {
    let env = Env::new();
    env.commune();
    let file = env.path("lon.csv");
    member_csv(&file, ROWS, None);
    let file = file.to_str().unwrap();
    let ops_before = env.count("SELECT count(*) FROM outbox");
    let seq_before = env.count("SELECT next_seq FROM local_state");

    // Kill early, in the middle and later in the write transaction. Each kill point leaves at
    // least 10,000 rows (and the index and the commit) still to do, so the kill lands inside the
    // transaction even on a slow, busy machine.
    for progress_lines in [1, 10, 20] {
        import_and_kill_after(&env, file, progress_lines);
        assert_eq!(
            env.count("SELECT count(*) FROM members"),
            0,
            "killed after {progress_lines} progress lines: nothing committed"
        );
        assert_eq!(env.count("SELECT count(*) FROM outbox"), ops_before);
        assert_eq!(env.count("SELECT next_seq FROM local_state"), seq_before);
        let check: String = khuyenhoc_store::Store::open(&env.db, Default::default())
            .unwrap()
            .connection()
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .unwrap();
        assert_eq!(check, "ok");
    }

    // Run to the end: all of it, one op per member, sequences dense.
    let done = env.json(&["members", "import", file, "--unit", "26734", "--commit"]);
    assert_eq!(done["added"], ROWS);
    assert_eq!(env.count("SELECT count(*) FROM members"), ROWS as i64);
    assert_eq!(
        env.count("SELECT count(*) FROM outbox"),
        ops_before + ROWS as i64
    );
    assert_eq!(
        env.count("SELECT next_seq FROM local_state"),
        seq_before + ROWS as i64
    );
    assert_eq!(
        env.count("SELECT max(device_seq) - min(device_seq) + 1 - count(*) FROM outbox"),
        0,
        "no gaps, no reuse"
    );
}
