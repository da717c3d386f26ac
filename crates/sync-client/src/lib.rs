//! The laptop's sync client. It reaches the central server (`khuyenhoc-server`) over HTTP(S),
//! pushes the outbox and pulls the changes of its commune, and hands every answer to the store
//! (`khuyenhoc_store`), which applies it in one SQLite transaction. It never merges by itself:
//! the server decides (`khuyenhoc_sync_protocol::merge`).
//!
//! - [`address`]: which server addresses are acceptable (a token never crosses a network in
//!   clear);
//! - [`http`]: the HTTP calls, with compressed bodies and the server's error shape;
//! - [`enroll`]: joining the commune on the server with a one-time code;
//! - [`engine`]: one sync: push until nothing is left to send, then pull until the last page;
//! - [`batch`]: signed files of changes for laptops with no connection at all;
//! - [`words`]: what a sync did and what is wrong, in the officer's words.

pub mod address;
pub mod batch;
pub mod engine;
pub mod enroll;
pub mod error;
pub mod http;
pub mod words;

pub use address::ServerAddress;
pub use engine::{SyncSummary, sync_once};
pub use enroll::enroll;
pub use error::SyncError;
pub use http::Connection;
