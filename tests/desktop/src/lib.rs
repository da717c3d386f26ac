//! Harness of the desktop end-to-end tests: runs the real app binary (`KHUYENHOC_DESKTOP_BIN`,
//! normally the one the `.deb` installed) through `tauri-driver`, which starts WebKitWebDriver,
//! which starts the app with a WebDriver session on its web view.
//!
//! Each [`Desktop`] is isolated: its own temporary home for `XDG_DATA_HOME`, `XDG_CACHE_HOME` and
//! `XDG_CONFIG_HOME`, its own D-Bus session bus (the single-instance plugin registers the app's
//! name there, so a test never meets the developer's running app, nor another test's), and free
//! ports for tauri-driver and WebKitWebDriver. It needs an X display: run the tests under
//! `xvfb-run -a -s "-screen 0 1366x768x24"`. Everything waits by polling with a deadline.

use std::ffi::OsString;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub use fantoccini::{Client, Locator};

#[cfg(target_os = "linux")]
pub mod procs;
pub mod server;
pub mod ui;
#[cfg(unix)]
pub mod x11;

/// How long the app may take to show something (software rendering on 2 cores is slow).
pub const APP_DEADLINE: Duration = Duration::from_secs(60);

/// The app binary under test. Panics when it is not given: these tests never pass by skipping.
pub fn app_binary() -> PathBuf {
    let Some(bin) = std::env::var_os("KHUYENHOC_DESKTOP_BIN") else {
        panic!(
            "KHUYENHOC_DESKTOP_BIN is not set: point it at the desktop app to test, e.g. \
             KHUYENHOC_DESKTOP_BIN=/usr/bin/khuyenhoc-desktop (installed from the .deb) or \
             $CARGO_TARGET_DIR/release/khuyenhoc-desktop (scripts/test does this)"
        )
    };
    let bin = PathBuf::from(bin);
    assert!(
        bin.is_file(),
        "KHUYENHOC_DESKTOP_BIN={} is not a file",
        bin.display()
    );
    bin
}

/// `TAURI_DRIVER`, else `tauri-driver` on the PATH, else `~/.cargo/bin/tauri-driver`.
pub fn tauri_driver() -> PathBuf {
    if let Some(p) = std::env::var_os("TAURI_DRIVER") {
        return PathBuf::from(p);
    }
    let on_path = std::env::var_os("PATH")
        .map(|paths| std::env::split_paths(&paths).collect::<Vec<_>>())
        .unwrap_or_default()
        .into_iter()
        .map(|dir| dir.join("tauri-driver"))
        .find(|p| p.is_file());
    let cargo_bin = std::env::var_os("HOME")
        .map(|home| PathBuf::from(home).join(".cargo/bin/tauri-driver"))
        .filter(|p| p.is_file());
    on_path.or(cargo_bin).unwrap_or_else(|| {
        panic!(
            "tauri-driver not found (TAURI_DRIVER, PATH, ~/.cargo/bin): \
             cargo install tauri-driver --version '^2' --locked (scripts/install-deps does this)"
        )
    })
}

fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|l| l.local_addr())
        .expect("no free local port")
        .port()
}

/// One plain HTTP/1.1 request to 127.0.0.1:`port`; `None` when nothing answers.
pub fn http(port: u16, method: &str, path: &str) -> Option<(u16, String)> {
    let mut stream = TcpStream::connect((Ipv4Addr::LOCALHOST, port)).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .ok()?;
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    let status = response.split_whitespace().nth(1)?.parse().ok()?;
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    Some((status, body))
}

/// Polls `check` until it returns `Some`, failing the test with `what` after `deadline`.
pub async fn poll<T, F, Fut>(what: &str, deadline: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let end = Instant::now() + deadline;
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(
            Instant::now() < end,
            "timed out after {deadline:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A temporary folder with a fixed name, removed on drop.
pub struct Home(PathBuf);

impl Home {
    fn new(name: &str) -> Home {
        let dir = std::env::temp_dir().join("khuyenhoc-e2e").join(name);
        if dir.exists() {
            std::fs::remove_dir_all(&dir).expect("emptying the previous run's home");
        }
        std::fs::create_dir_all(&dir).expect("temporary home");
        Home(dir)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for Home {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A private D-Bus session bus in `dir`, stopped on drop.
struct Bus {
    child: Child,
    address: String,
}

impl Bus {
    fn start(dir: &Path) -> Bus {
        let mut child = Command::new("dbus-daemon")
            .arg("--session")
            .arg("--nofork")
            .arg("--print-address=1")
            .arg(format!("--address=unix:path={}", dir.join("bus").display()))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            // It logs every service it activates for the web view (accessibility): not ours.
            .stderr(Stdio::null())
            .spawn()
            .expect("dbus-daemon could not start (Debian package dbus; scripts/install-deps)");
        // dbus-daemon prints its address once it listens: that line is the readiness signal.
        let mut address = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut address)
            .expect("reading dbus-daemon's address");
        assert!(
            address.starts_with("unix:"),
            "dbus-daemon printed no address: {address:?}"
        );
        Bus {
            child,
            address: address.trim().to_owned(),
        }
    }
}

impl Drop for Bus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The running app under WebDriver, and the isolated home it runs in.
/// (Fields drop in this order, after `Drop::drop` ended the session: the home goes last.)
pub struct Desktop {
    pub client: Client,
    /// The environment the app was started with (to start it again, e.g. a second instance).
    pub env: Vec<(String, OsString)>,
    session: String,
    port: u16,
    driver: Child,
    _bus: Bus,
    /// Temporary home of this run: `data/`, `cache/`, `config/` (the XDG folders).
    pub home: Home,
}

impl Desktop {
    /// Starts tauri-driver and opens a session on the app. `env` adds to (or overrides) the
    /// isolated environment; it gets the temporary home to put files in. `KHUYENHOC_DB` is
    /// never inherited from the caller: a test that wants it sets it.
    /// `name` names the temporary home (`<tmp>/khuyenhoc-e2e/<name>`, emptied first), so that
    /// what the app shows, and so the screenshot, is the same from run to run.
    pub async fn start(
        name: &str,
        env: impl FnOnce(&Path) -> Vec<(&'static str, OsString)>,
    ) -> Desktop {
        let app = app_binary();
        let driver_bin = tauri_driver();
        assert!(
            std::env::var_os("DISPLAY").is_some(),
            "no X display: run under xvfb-run -a -s \"-screen 0 1366x768x24\""
        );

        let home = Home::new(name);
        for sub in ["data", "cache", "config"] {
            std::fs::create_dir_all(home.path().join(sub)).expect("XDG folder");
        }
        let bus = Bus::start(home.path());
        let mut all: Vec<(String, OsString)> = vec![
            ("XDG_DATA_HOME".into(), home.path().join("data").into()),
            ("XDG_CACHE_HOME".into(), home.path().join("cache").into()),
            ("XDG_CONFIG_HOME".into(), home.path().join("config").into()),
            (
                "DBUS_SESSION_BUS_ADDRESS".into(),
                bus.address.clone().into(),
            ),
            // No accessibility bus on this private session bus: do not look for one.
            ("NO_AT_BRIDGE".into(), "1".into()),
        ];
        for (k, v) in env(home.path()) {
            all.retain(|(name, _)| name != k);
            all.push((k.to_owned(), v));
        }

        let port = free_port();
        let native_port = free_port();
        let mut cmd = Command::new(&driver_bin);
        cmd.arg("--port")
            .arg(port.to_string())
            .arg("--native-port")
            .arg(native_port.to_string())
            .env_remove("KHUYENHOC_DB")
            .stdin(Stdio::null());
        for (k, v) in &all {
            cmd.env(k, v);
        }
        let driver = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("{} could not start: {e}", driver_bin.display()));

        // tauri-driver forwards /status to WebKitWebDriver: 200 once both listen.
        poll(
            "tauri-driver's /status",
            Duration::from_secs(30),
            || async { http(port, "GET", "/status").filter(|(status, _)| *status == 200) },
        )
        .await;

        let mut caps = serde_json::Map::new();
        caps.insert("browserName".into(), "wry".into());
        caps.insert(
            "tauri:options".into(),
            serde_json::json!({ "application": app }),
        );
        let client = fantoccini::ClientBuilder::native()
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .unwrap_or_else(|e| panic!("no WebDriver session on {}: {e}", app.display()));
        let session = client
            .session_id()
            .await
            .ok()
            .flatten()
            .expect("the new session has an id");
        Desktop {
            client,
            env: all,
            session,
            port,
            driver,
            _bus: bus,
            home,
        }
    }

    /// The element `testid` (`data-testid`), once the page shows it.
    pub async fn by_testid(&self, testid: &str) -> fantoccini::elements::Element {
        let css = format!("[data-testid=\"{testid}\"]");
        self.client
            .wait()
            .at_most(APP_DEADLINE)
            .for_element(Locator::Css(&css))
            .await
            .unwrap_or_else(|e| panic!("no element [data-testid={testid}]: {e}"))
    }

    /// The text of `testid` once it is not empty.
    pub async fn text(&self, testid: &str) -> String {
        let element = self.by_testid(testid).await;
        poll(
            &format!("text in [data-testid={testid}]"),
            APP_DEADLINE,
            || async { element.text().await.ok().filter(|t| !t.trim().is_empty()) },
        )
        .await
    }

    /// The text of `testid` once it equals `want`.
    pub async fn wait_text(&self, testid: &str, want: &str) {
        let element = self.by_testid(testid).await;
        let mut last = String::new();
        let end = Instant::now() + APP_DEADLINE;
        loop {
            last = element.text().await.unwrap_or(last);
            if last == want {
                return;
            }
            assert!(
                Instant::now() < end,
                "[data-testid={testid}] shows {last:?}, want {want:?}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// A screenshot of the app's window as it is now (taken from the X server: see [`x11`]).
    /// Waits for two animation frames (one painted after the last change), then until two
    /// captures in a row are the same.
    #[cfg(target_os = "linux")]
    pub async fn screenshot(&self) -> Vec<u8> {
        let painted = self
            .client
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 requestAnimationFrame(() => requestAnimationFrame(() => done(true)));",
                vec![],
            )
            .await
            .expect("waiting for a painted frame");
        assert_eq!(painted, serde_json::Value::Bool(true));
        let pid = self.app_pid();
        let capture = || async move {
            poll("the app's window on screen", APP_DEADLINE, || async {
                x11::capture_window_of(pid)
            })
            .await
        };
        let mut last = capture().await;
        let end = Instant::now() + APP_DEADLINE;
        loop {
            tokio::time::sleep(Duration::from_millis(200)).await;
            let now = capture().await;
            if now == last {
                return now;
            }
            assert!(Instant::now() < end, "the page never stopped changing");
            last = now;
        }
    }

    /// This test's processes (the app and WebKit's), by the private session bus they share.
    #[cfg(target_os = "linux")]
    fn processes(&self) -> Vec<procs::Proc> {
        let bus = self
            .env
            .iter()
            .find(|(k, _)| k == "DBUS_SESSION_BUS_ADDRESS")
            .map(|(_, v)| v.to_string_lossy().into_owned())
            .expect("every Desktop has its own bus");
        procs::on_bus(&bus)
    }

    /// The process id of the app this session drives.
    #[cfg(target_os = "linux")]
    pub fn app_pid(&self) -> u32 {
        let binary = app_binary();
        let binary = std::fs::canonicalize(&binary).unwrap_or(binary);
        self.processes()
            .into_iter()
            .filter(|p| p.exe.as_deref() == Some(binary.as_path()))
            .map(|p| p.pid)
            .max()
            .expect("the app's process was not found")
    }

    /// Whether an element `testid` exists right now.
    pub async fn has(&self, testid: &str) -> bool {
        let css = format!("[data-testid=\"{testid}\"]");
        self.client.find(Locator::Css(&css)).await.is_ok()
    }

    /// Whether the page has the keyboard focus (`document.hasFocus()`).
    pub async fn page_has_focus(&self) -> bool {
        self.client
            .execute("return document.hasFocus()", vec![])
            .await
            .expect("document.hasFocus()")
            .as_bool()
            .expect("a boolean")
    }

    /// Moves the X keyboard focus off the app's window, as switching to another program would.
    #[cfg(unix)]
    pub fn focus_elsewhere(&self) {
        x11::focus_root();
    }

    /// The starting environment of each web process the app started: what WebKit's page
    /// rendering actually ran with.
    #[cfg(target_os = "linux")]
    pub fn web_process_environments(&self) -> Vec<Vec<(String, String)>> {
        self.processes()
            .into_iter()
            .filter(|p| p.comm == "WebKitWebProces")
            .map(|p| p.env)
            .collect()
    }

    /// Starts the app binary again, directly, in the same environment (a second launch).
    pub fn launch_again(&self) -> Child {
        let mut cmd = Command::new(app_binary());
        cmd.env_remove("KHUYENHOC_DB")
            .stdin(Stdio::null())
            .stdout(Stdio::null());
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        cmd.spawn().expect("second launch of the app")
    }
}

impl Drop for Desktop {
    /// Ends the session (WebKitWebDriver then closes the app), even when the test failed, and
    /// stops tauri-driver with SIGTERM, on which it stops WebKitWebDriver.
    fn drop(&mut self) {
        let _ = http(self.port, "DELETE", &format!("/session/{}", self.session));
        // SIGTERM, not SIGKILL: tauri-driver then stops WebKitWebDriver too.
        #[cfg(unix)]
        // SAFETY: kill(2) on the pid of our own child, which has not been waited for yet.
        unsafe {
            libc::kill(self.driver.id() as libc::pid_t, libc::SIGTERM);
        }
        #[cfg(not(unix))]
        let _ = self.driver.kill();
        let end = Instant::now() + Duration::from_secs(10);
        while Instant::now() < end {
            if let Ok(Some(_)) = self.driver.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// Waits for `child` to exit within `deadline`; `None` (after killing it) when it did not.
pub fn wait_exit(child: &mut Child, deadline: Duration) -> Option<std::process::ExitStatus> {
    let end = Instant::now() + deadline;
    while Instant::now() < end {
        if let Ok(Some(status)) = child.try_wait() {
            return Some(status);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
    None
}
