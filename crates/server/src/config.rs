//! How a server is started: where it listens, which database, how large a request may be,
//! whether it purges tombstones by itself, and how long an unused token lives.

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use crate::token_life::DEFAULT_TOKEN_IDLE_DAYS;

/// Default largest request body, after decompression: 16 MiB.
pub const DEFAULT_BODY_LIMIT: usize = 16 * 1024 * 1024;

/// Default database file, relative to the current directory.
pub const DEFAULT_DB: &str = "khuyenhoc-server.db";

/// Where the server keeps its data: a SQLite file, or a PostgreSQL database named by a
/// `postgres://` (or `postgresql://`) URL. What `--db` takes: a URL selects PostgreSQL, anything
/// else is a file path.
#[derive(Clone, PartialEq, Eq)]
pub enum Database {
    Sqlite(PathBuf),
    Postgres(String),
}

impl Database {
    /// Reads `--db`: a `postgres://` or `postgresql://` URL, or a SQLite file path.
    pub fn parse(db: &str) -> Self {
        let lower = db.trim_start().to_ascii_lowercase();
        if lower.starts_with("postgres://") || lower.starts_with("postgresql://") {
            Self::Postgres(db.trim().to_owned())
        } else {
            Self::Sqlite(PathBuf::from(db))
        }
    }
}

/// The file path, or the URL without its password (safe for logs and messages).
impl fmt::Display for Database {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Sqlite(path) => write!(f, "{}", path.display()),
            Self::Postgres(url) => f.write_str(&redact_url(url)),
        }
    }
}

/// Like Display: never shows a password.
impl fmt::Debug for Database {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Sqlite(path) => f.debug_tuple("Sqlite").field(path).finish(),
            Self::Postgres(url) => f.debug_tuple("Postgres").field(&redact_url(url)).finish(),
        }
    }
}

/// `postgres://user:secret@host/db` → `postgres://user:***@host/db`; a password given as a
/// `password=` parameter is hidden too.
pub fn redact_url(url: &str) -> String {
    let mut out = url.to_owned();
    if let Some(scheme_end) = out.find("://") {
        let rest = scheme_end + 3;
        let authority_end = out[rest..].find(['/', '?']).map_or(out.len(), |i| rest + i);
        if let Some(at) = out[rest..authority_end].rfind('@') {
            let userinfo = &out[rest..rest + at];
            if let Some(colon) = userinfo.find(':') {
                out.replace_range(rest + colon + 1..rest + at, "***");
            }
        }
    }
    if let Some(p) = out.find("password=") {
        let start = p + "password=".len();
        let end = out[start..].find('&').map_or(out.len(), |i| start + i);
        out.replace_range(start..end, "***");
    }
    out
}

impl From<&str> for Database {
    fn from(db: &str) -> Self {
        Self::parse(db)
    }
}

impl From<String> for Database {
    fn from(db: String) -> Self {
        Self::parse(&db)
    }
}

impl From<PathBuf> for Database {
    fn from(path: PathBuf) -> Self {
        Self::Sqlite(path)
    }
}

impl From<&PathBuf> for Database {
    fn from(path: &PathBuf) -> Self {
        Self::Sqlite(path.clone())
    }
}

impl From<&Path> for Database {
    fn from(path: &Path) -> Self {
        Self::Sqlite(path.to_path_buf())
    }
}

#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Address to listen on; port 0 picks a free port (tests).
    pub listen: SocketAddr,
    /// The database: a SQLite file (created on first start) or a PostgreSQL database (migrated
    /// on first start).
    pub db: Database,
    /// Largest request body in bytes, counted after decompression (so a small gzip bomb is
    /// refused too).
    pub body_limit: usize,
    /// Serve HTTPS with this certificate chain and key (PEM files); plain HTTP without.
    pub tls: Option<TlsFiles>,
    /// Purge tombstones by itself, on this schedule (`None`: only `admin purge` does).
    pub purge: Option<PurgeSchedule>,
    /// Days a bearer token may go unused before it is refused as `token_expired`; longer than
    /// the purge horizon (see [`crate::token_life`]).
    pub token_idle_days: u32,
}

/// How often a running server purges tombstones (`serve --purge-every-hours`), and the horizon
/// past which a silent device no longer holds the purge back (`--purge-horizon-days`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PurgeSchedule {
    pub every: std::time::Duration,
    pub horizon_days: u32,
}

/// The server's certificate chain and private key, PEM files (`--tls-cert`, `--tls-key`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
}

impl ServerConfig {
    pub fn new(listen: SocketAddr, db: impl Into<Database>) -> Self {
        Self {
            listen,
            db: db.into(),
            body_limit: DEFAULT_BODY_LIMIT,
            tls: None,
            purge: None,
            token_idle_days: DEFAULT_TOKEN_IDLE_DAYS,
        }
    }

    /// The reason (English) this configuration cannot run, if any: a token that would not
    /// outlive the purge horizon.
    pub fn check(&self) -> Result<(), String> {
        if self.token_idle_days == 0 {
            return Err("the token idle limit must be at least one day".into());
        }
        match self.purge {
            Some(p) => {
                crate::token_life::check_against_horizon(self.token_idle_days, p.horizon_days)
            }
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_url_selects_postgres_and_a_path_sqlite() {
        assert_eq!(
            Database::parse("postgres://u@localhost/k"),
            Database::Postgres("postgres://u@localhost/k".into())
        );
        assert!(matches!(
            Database::parse("postgresql://localhost/k"),
            Database::Postgres(_)
        ));
        assert_eq!(
            Database::parse("khuyenhoc-server.db"),
            Database::Sqlite("khuyenhoc-server.db".into())
        );
        assert_eq!(
            Database::parse("./postgres/x.db"),
            Database::Sqlite("./postgres/x.db".into())
        );
    }

    #[test]
    fn passwords_never_show() {
        let db = Database::parse("postgres://khuyenhoc:s3cret@db.example:5432/k?sslmode=disable");
        assert_eq!(
            db.to_string(),
            "postgres://khuyenhoc:***@db.example:5432/k?sslmode=disable"
        );
        assert!(!format!("{db:?}").contains("s3cret"));
        assert_eq!(
            redact_url("postgres:///k?host=/tmp&password=pw&user=u"),
            "postgres:///k?host=/tmp&password=***&user=u"
        );
        assert_eq!(redact_url("postgres://u@h/k"), "postgres://u@h/k");
    }
}
