//! Support for the end-to-end tests: the real `khuyenhoc` binary on a real database file in a
//! temporary folder, with helpers to run commands and read their `--json` output.

pub mod proxy;
pub mod sync_check;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;
use tempfile::TempDir;

/// The `khuyenhoc-server` binary beside the `khuyenhoc` one (built by `cargo test
/// --workspace`, or `cargo build -p khuyenhoc-server`), or `KHUYENHOC_SERVER_BIN`.
pub fn server_bin() -> PathBuf {
    if let Some(p) = std::env::var_os("KHUYENHOC_SERVER_BIN") {
        return PathBuf::from(p);
    }
    let bin =
        khuyenhoc_bin().with_file_name(format!("khuyenhoc-server{}", std::env::consts::EXE_SUFFIX));
    assert!(
        bin.exists(),
        "{} is missing: run `cargo build -p khuyenhoc-server` or set KHUYENHOC_SERVER_BIN",
        bin.display()
    );
    bin
}

/// The `khuyenhoc` binary cargo built beside this test (or `KHUYENHOC_BIN`).
pub fn khuyenhoc_bin() -> PathBuf {
    if let Some(p) = std::env::var_os("KHUYENHOC_BIN") {
        return PathBuf::from(p);
    }
    let exe = std::env::current_exe().expect("test executable path");
    let dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("target/<profile>");
    let bin = dir.join(format!("khuyenhoc{}", std::env::consts::EXE_SUFFIX));
    assert!(
        bin.exists(),
        "{} is missing: run `cargo test --workspace` (it builds the CLI) or set KHUYENHOC_BIN",
        bin.display()
    );
    bin
}

pub struct Env {
    pub dir: TempDir,
    pub db: PathBuf,
}

impl Default for Env {
    fn default() -> Self {
        Self::new()
    }
}

impl Env {
    pub fn new() -> Env {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("khuyenhoc.db");
        Env { dir, db }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// A `khuyenhoc --db <this db>` command with a fixed user and language.
    pub fn cmd(&self) -> Command {
        let mut c = Command::new(khuyenhoc_bin());
        c.arg("--db")
            .arg(&self.db)
            .env("KHUYENHOC_USER", "thu-ky")
            .env("KHUYENHOC_LANG", "vi")
            .env_remove("KHUYENHOC_DB");
        c
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.cmd().args(args).output().unwrap()
    }

    /// Runs with `--json`, asserts success, returns the parsed output.
    pub fn json(&self, args: &[&str]) -> Value {
        let out = self.cmd().arg("--json").args(args).output().unwrap();
        assert!(
            out.status.success(),
            "khuyenhoc {args:?} failed: {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&out.stdout)))
    }

    /// Runs with `--json`, asserts failure, returns the `error` object.
    pub fn json_error(&self, args: &[&str]) -> Value {
        let out = self.cmd().arg("--json").args(args).output().unwrap();
        assert!(
            !out.status.success(),
            "khuyenhoc {args:?} should fail: {}",
            String::from_utf8_lossy(&out.stdout)
        );
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        v["error"].clone()
    }

    /// A commune with two branches; returns the commune's org code.
    pub fn commune(&self) -> &'static str {
        self.json(&[
            "init",
            "--commune",
            "Hội Khuyến học xã Tân Hòa",
            "--code",
            "26734",
        ]);
        self.json(&[
            "units",
            "add",
            "Chi hội Thôn 1",
            "--kind",
            "branch",
            "--parent",
            "26734",
        ]);
        self.json(&[
            "units",
            "add",
            "Chi hội Thôn 2",
            "--kind",
            "branch",
            "--parent",
            "26734",
        ]);
        "26734"
    }

    /// A new laptop joins the commune at `url` with `code` (`khuyenhoc enroll`, nobody logged
    /// in: no officer exists here yet), on a blocking thread so a server on the caller's runtime
    /// keeps answering.
    pub async fn join_commune(&self, url: &str, code: &str) {
        let mut cmd = self.cmd();
        cmd.env_remove("KHUYENHOC_USER")
            .args(["--json", "enroll", "--server", url, "--code", code]);
        let out = tokio::task::spawn_blocking(move || cmd.output().unwrap())
            .await
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stdout)
        );
    }

    /// First run through `setup`: the province, the commune "26734" and its chairperson `lan`
    /// (Trần Thị Lan, PIN 2580).
    pub fn setup_commune(&self) {
        let out = self
            .cmd()
            .env("KHUYENHOC_PIN", "2580")
            .args([
                "--json",
                "setup",
                "--province",
                "Hội Khuyến học tỉnh Quảng Trị",
                "--province-code",
                "44",
                "--commune",
                "Hội Khuyến học xã Tân Hòa",
                "--code",
                "26734",
                "--username",
                "lan",
                "--full-name",
                "Trần Thị Lan",
            ])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stdout)
        );
    }

    /// Reads one integer with SQL from the database file (after the processes are done).
    pub fn count(&self, sql: &str) -> i64 {
        let store = khuyenhoc_store::Store::open(
            &self.db,
            khuyenhoc_store::OpenOptions {
                create: false,
                ..Default::default()
            },
        )
        .unwrap();
        store.connection().query_row(sql, [], |r| r.get(0)).unwrap()
    }
}

/// A CSV member list of `n` people with distinct names and birth dates.
pub fn member_csv(path: &Path, n: usize, branch: Option<&str>) {
    const FAMILY: [&str; 8] = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi"];
    const MIDDLE: [&str; 6] = ["Văn", "Thị", "Đức", "Minh", "Ngọc", "Hữu"];
    const GIVEN: [&str; 12] = [
        "An", "Bình", "Cường", "Dũng", "Đạt", "Hà", "Hoa", "Lan", "Minh", "Nam", "Phúc", "Quyên",
    ];
    let mut s = String::from("DANH SÁCH HỘI VIÊN\nSTT,Họ và tên,Ngày sinh,Giới tính,Số điện thoại");
    s.push_str(if branch.is_some() {
        ",Chi hội\n"
    } else {
        "\n"
    });
    for i in 0..n {
        let name = format!(
            "{} {} {}",
            FAMILY[i % 8],
            MIDDLE[(i / 8) % 6],
            GIVEN[(i / 48) % 12]
        );
        let birth = format!(
            "{:02}/{:02}/{}",
            1 + i % 28,
            1 + (i / 28) % 12,
            1930 + (i / 336) % 80
        );
        s.push_str(&format!(
            "{},{name},{birth},{},9{:08}",
            i + 1,
            if i % 2 == 0 { "Nam" } else { "Nữ" },
            i
        ));
        if let Some(b) = branch {
            s.push_str(&format!(",{b}"));
        }
        s.push('\n');
    }
    std::fs::write(path, s).unwrap();
}

/// The real server in-process on 127.0.0.1:0 over `db`, with the province `45` and the commune
/// `26734` (Tân Hòa) that the end-to-end laptops set up.
pub async fn server_with_commune(
    db: &khuyenhoc_server::testing::TestDatabase,
) -> (
    khuyenhoc_server::RunningServer,
    khuyenhoc_server::admin::Admin,
) {
    let server = khuyenhoc_server::start(khuyenhoc_server::ServerConfig::new(
        "127.0.0.1:0".parse().unwrap(),
        db.db().clone(),
    ))
    .await
    .unwrap();
    let admin = khuyenhoc_server::admin::Admin::open_database(db.db())
        .await
        .unwrap();
    admin.add_unit("45", "Tỉnh Quảng Trị", None).await.unwrap();
    admin
        .add_unit("26734", "Hội Khuyến học xã Tân Hòa", Some("45"))
        .await
        .unwrap();
    (server, admin)
}

/// A one-time enrollment code for the commune `26734`, valid for an hour.
pub async fn commune_code(admin: &khuyenhoc_server::admin::Admin) -> String {
    admin
        .create_code("26734", jiff::SignedDuration::from_hours(1))
        .await
        .unwrap()
        .code
}
