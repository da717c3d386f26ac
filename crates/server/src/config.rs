//! How a server is started: where it listens, which database, how large a request may be.

use std::net::SocketAddr;
use std::path::PathBuf;

/// Default largest request body, after decompression: 16 MiB.
pub const DEFAULT_BODY_LIMIT: usize = 16 * 1024 * 1024;

/// Default database file, relative to the current directory.
pub const DEFAULT_DB: &str = "khuyenhoc-server.db";

#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Address to listen on; port 0 picks a free port (tests).
    pub listen: SocketAddr,
    /// The SQLite database file, created on first start.
    pub db_path: PathBuf,
    /// Largest request body in bytes, counted after decompression (so a small gzip bomb is
    /// refused too).
    pub body_limit: usize,
}

impl ServerConfig {
    pub fn new(listen: SocketAddr, db_path: impl Into<PathBuf>) -> Self {
        Self {
            listen,
            db_path: db_path.into(),
            body_limit: DEFAULT_BODY_LIMIT,
        }
    }
}
