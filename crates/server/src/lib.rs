//! The khuyenhoc central sync server. Laptops enroll with a one-time code and then talk to it
//! with a bearer token; push and pull come with the shared protocol crate.
//!
//! [`start`] runs a server in the current tokio runtime and hands back its address, epoch and a
//! way to stop it, so tests run real HTTP on `127.0.0.1:0` against a temporary database.

pub mod admin;
pub mod api;
pub mod auth;
pub mod config;
pub mod error;
pub mod relay;
pub mod storage;
pub mod testing;
pub mod token_life;

use std::net::SocketAddr;
use std::sync::Arc;

use axum_server::tls_rustls::RustlsConfig;
use tokio::sync::Notify;
use tokio::task::JoinHandle;
use uuid::Uuid;

pub use config::{Database, PurgeSchedule, ServerConfig, TlsFiles};
use storage::{ServerStorage, StorageError};

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error("invalid configuration: {0}")]
    Config(String),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("cannot read the TLS certificate or key ({cert}, {key}): {source}")]
    Tls {
        cert: String,
        key: String,
        source: std::io::Error,
    },
}

/// A server running in the background.
pub struct RunningServer {
    /// The address it actually listens on (the real port when 0 was asked for).
    pub addr: SocketAddr,
    pub epoch: Uuid,
    shutdown: ShutdownHandle,
    task: JoinHandle<std::io::Result<()>>,
    /// The periodic purge, if any: stopped with the server.
    _purge: Option<AbortOnDrop>,
}

/// A background task that ends when its owner is dropped.
struct AbortOnDrop(JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Purges tombstones every `schedule.every` (the first purge one period after start), logging
/// what it did (counts only). Several servers over one PostgreSQL database may all do it: the
/// purges take turns and the later ones find nothing left to purge.
fn purge_periodically(storage: Arc<dyn ServerStorage>, schedule: PurgeSchedule) -> AbortOnDrop {
    AbortOnDrop(tokio::spawn(async move {
        // `serve` schedules in whole hours; tests use milliseconds (an interval cannot be zero).
        let every = schedule.every.max(std::time::Duration::from_millis(1));
        let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let horizon = jiff::SignedDuration::from_hours(24 * i64::from(schedule.horizon_days));
        loop {
            ticks.tick().await;
            match storage.purge(horizon, jiff::Timestamp::now()).await {
                Ok(r) => tracing::info!(
                    rows = r.rows,
                    changes = r.changes,
                    low_water = r.low_water,
                    purged_through = r.purged_through,
                    active_devices = r.active_devices,
                    "tombstones purged"
                ),
                Err(e) => tracing::warn!(error = %e, "tombstone purge failed; tried again later"),
            }
        }
    }))
}

/// Asks a running server to stop: it stops accepting and finishes the requests in flight.
#[derive(Clone, Debug, Default)]
pub struct ShutdownHandle(Arc<Notify>);

impl ShutdownHandle {
    pub fn shutdown(&self) {
        // A stored permit: works even if the server has not started waiting yet.
        self.0.notify_one();
    }
}

impl RunningServer {
    pub fn shutdown_handle(&self) -> ShutdownHandle {
        self.shutdown.clone()
    }

    /// Stops the server and waits until it has finished.
    pub async fn shutdown(self) -> std::io::Result<()> {
        self.shutdown.shutdown();
        self.wait().await
    }

    /// Waits until the server stops (after a [`ShutdownHandle::shutdown`]).
    pub async fn wait(self) -> std::io::Result<()> {
        match self.task.await {
            Ok(r) => r,
            Err(e) => Err(std::io::Error::other(e)),
        }
    }
}

/// Opens (creating or migrating it if needed) the database of `config`, SQLite or PostgreSQL,
/// and starts serving.
pub async fn start(config: ServerConfig) -> Result<RunningServer, StartError> {
    // Refused before the database is touched.
    config.check().map_err(StartError::Config)?;
    let storage = storage::open(&config.db).await?;
    start_with_storage(&config, storage).await
}

/// Starts serving over any storage.
pub async fn start_with_storage(
    config: &ServerConfig,
    storage: Arc<dyn ServerStorage>,
) -> Result<RunningServer, StartError> {
    config.check().map_err(StartError::Config)?;
    let epoch = storage.epoch();
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|source| StartError::Bind {
            addr: config.listen,
            source,
        })?;
    let addr = listener.local_addr().map_err(|source| StartError::Bind {
        addr: config.listen,
        source,
    })?;
    let purge = config
        .purge
        .map(|schedule| purge_periodically(Arc::clone(&storage), schedule));
    let token_life = token_life::TokenLife::idle_days(config.token_idle_days);
    let app = api::app(storage, config.body_limit, token_life);
    let shutdown = ShutdownHandle::default();
    let notify = Arc::clone(&shutdown.0);
    let task = match &config.tls {
        None => tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async move { notify.notified().await })
                .await
        }),
        Some(files) => {
            let tls = RustlsConfig::from_pem_file(&files.cert, &files.key)
                .await
                .map_err(|source| StartError::Tls {
                    cert: files.cert.display().to_string(),
                    key: files.key.display().to_string(),
                    source,
                })?;
            let listener = listener
                .into_std()
                .map_err(|source| StartError::Bind { addr, source })?;
            let handle = axum_server::Handle::new();
            let stopper = handle.clone();
            tokio::spawn(async move {
                notify.notified().await;
                // Requests in flight get this long to finish.
                stopper.graceful_shutdown(Some(std::time::Duration::from_secs(10)));
            });
            tokio::spawn(async move {
                axum_server::from_tcp_rustls(listener, tls)?
                    .handle(handle)
                    .serve(app.into_make_service())
                    .await
            })
        }
    };
    let scheme = if config.tls.is_some() {
        "https"
    } else {
        "http"
    };
    tracing::info!(%addr, %epoch, scheme, "server listening");
    Ok(RunningServer {
        addr,
        epoch,
        shutdown,
        task,
        _purge: purge,
    })
}
