//! The processes of one test's app, found in `/proc` by the private session bus they were
//! started with (each [`crate::Desktop`] has its own): the app itself and its WebKit processes.

use std::path::{Path, PathBuf};

/// A running process and the environment it was started with.
pub struct Proc {
    pub pid: u32,
    /// The executable, when it can be read (not for processes that have exited).
    pub exe: Option<PathBuf>,
    /// The kernel's short name (`comm`, at most 15 bytes), e.g. `WebKitWebProces`.
    pub comm: String,
    pub env: Vec<(String, String)>,
}

impl Proc {
    fn read(dir: &Path) -> Option<Proc> {
        let pid = dir.file_name()?.to_str()?.parse().ok()?;
        let environ = std::fs::read(dir.join("environ")).ok()?;
        let env = environ
            .split(|b| *b == 0)
            .filter_map(|kv| {
                let kv = String::from_utf8_lossy(kv);
                kv.split_once('=')
                    .map(|(k, v)| (k.to_owned(), v.to_owned()))
            })
            .collect();
        Some(Proc {
            pid,
            exe: std::fs::read_link(dir.join("exe")).ok(),
            comm: std::fs::read_to_string(dir.join("comm"))
                .unwrap_or_default()
                .trim()
                .to_owned(),
            env,
        })
    }

    /// The value of `key` in the process's starting environment.
    pub fn var(&self, key: &str) -> Option<&str> {
        self.env
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// Every process started with `DBUS_SESSION_BUS_ADDRESS=bus`.
pub fn on_bus(bus: &str) -> Vec<Proc> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.flatten()
        .filter_map(|e| Proc::read(&e.path()))
        .filter(|p| p.var("DBUS_SESSION_BUS_ADDRESS") == Some(bus))
        .collect()
}
