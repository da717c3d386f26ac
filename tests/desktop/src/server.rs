//! The real sync server for the desktop tests: the `khuyenhoc-server` binary
//! (`KHUYENHOC_SERVER_BIN`; scripts/test points it at the one `cargo test` built), on a fresh
//! database (a SQLite file or a PostgreSQL database, as `--db` takes them), set up through its
//! own admin commands, serving on 127.0.0.1:0.

use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

/// The server binary under test. Panics when it is not given: these tests never pass by skipping.
pub fn server_binary() -> PathBuf {
    let Some(bin) = std::env::var_os("KHUYENHOC_SERVER_BIN") else {
        panic!(
            "KHUYENHOC_SERVER_BIN is not set: point it at khuyenhoc-server, e.g. \
             KHUYENHOC_SERVER_BIN=target/debug/khuyenhoc-server (scripts/test does this)"
        )
    };
    let bin = PathBuf::from(bin);
    assert!(
        bin.is_file(),
        "KHUYENHOC_SERVER_BIN={} is not a file",
        bin.display()
    );
    bin
}

/// A running server; stopped when dropped.
pub struct SyncServer {
    child: Child,
    bin: PathBuf,
    db: String,
    /// `http://127.0.0.1:PORT`
    pub url: String,
}

impl SyncServer {
    /// Sets up the empty database `db` (`--db`: a file path or a PostgreSQL URL) with a
    /// province `44` and its commune `26734`, then serves.
    pub fn start(db: String) -> SyncServer {
        let bin = server_binary();
        admin(
            &bin,
            &db,
            &["unit", "add", "--code", "44", "--name", "Tỉnh Quảng Trị"],
        );
        admin(
            &bin,
            &db,
            &[
                "unit",
                "add",
                "--code",
                "26734",
                "--name",
                "Xã Tân Hòa",
                "--parent-code",
                "44",
            ],
        );
        let mut child = Command::new(&bin)
            .args(["serve", "--listen", "127.0.0.1:0", "--db"])
            .arg(&db)
            .env("RUST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("khuyenhoc-server starts");
        let mut stderr = BufReader::new(child.stderr.take().expect("piped"));
        let mut logs = String::new();
        let url = loop {
            let mut line = String::new();
            let read = stderr.read_line(&mut line).expect("server log");
            assert!(read > 0, "khuyenhoc-server exited: {logs}");
            logs.push_str(&line);
            if let Some(rest) = line.split("listening on ").nth(1) {
                break rest
                    .split_whitespace()
                    .next()
                    .expect("an address")
                    .to_owned();
            }
        };
        // Keep reading its log so the server never blocks on a full pipe.
        std::thread::spawn(move || {
            let mut sink = Vec::new();
            let _ = stderr.read_to_end(&mut sink);
        });
        SyncServer {
            child,
            bin,
            db,
            url,
        }
    }

    /// A fresh one-time enrollment code for the commune.
    pub fn code(&self) -> String {
        admin(
            &self.bin,
            &self.db,
            &["code", "create", "--unit-code", "26734"],
        )
        .trim()
        .to_owned()
    }
}

impl Drop for SyncServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs `khuyenhoc-server admin --db DB ARGS…` and returns its stdout.
fn admin(bin: &std::path::Path, db: &str, args: &[&str]) -> String {
    let out = Command::new(bin)
        .arg("admin")
        .arg("--db")
        .arg(db)
        .args(args)
        .output()
        .expect("khuyenhoc-server admin runs");
    assert!(
        out.status.success(),
        "khuyenhoc-server admin {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8")
}
