//! A real server on 127.0.0.1:0 over a fresh database of either kind (see
//! `khuyenhoc_server::testing`).
#![allow(dead_code)]

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use jiff::SignedDuration;
use khuyenhoc_server::admin::Admin;
#[allow(unused_imports)]
pub use khuyenhoc_server::test_on_both_databases;
#[allow(unused_imports)]
pub use khuyenhoc_server::testing::{Backend, TestDatabase};
use khuyenhoc_server::{RunningServer, ServerConfig, start};
use serde_json::{Value, json};
use uuid::Uuid;

pub struct TestServer {
    pub server: Option<RunningServer>,
    pub admin: Admin,
    pub base: String,
    pub client: reqwest::Client,
    pub db: TestDatabase,
}

pub async fn start_server(db: TestDatabase) -> TestServer {
    start_server_with(db, |_| {}).await
}

pub async fn start_server_with(
    db: TestDatabase,
    tweak: impl FnOnce(&mut ServerConfig),
) -> TestServer {
    let mut config = ServerConfig::new("127.0.0.1:0".parse().unwrap(), db.db().clone());
    tweak(&mut config);
    let server = start(config).await.unwrap();
    let admin = Admin::open_database(db.db()).await.unwrap();
    TestServer {
        base: format!("http://{}", server.addr),
        server: Some(server),
        admin,
        client: reqwest::Client::new(),
        db,
    }
}

impl TestServer {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A commune "26734" under a province "01", and a fresh code for the commune.
    pub async fn commune_and_code(&self) -> String {
        if self.admin.list_units().await.unwrap().is_empty() {
            self.admin.add_unit("01", "Tỉnh Thử", None).await.unwrap();
            self.admin
                .add_unit("26734", "Xã Tân Hòa", Some("01"))
                .await
                .unwrap();
        }
        self.code(SignedDuration::from_hours(72)).await
    }

    pub async fn code(&self, valid_for: SignedDuration) -> String {
        self.admin
            .create_code("26734", valid_for)
            .await
            .unwrap()
            .code
    }

    pub async fn enroll(&self, body: &Value) -> reqwest::Response {
        self.client
            .post(self.url("/v1/enroll"))
            .json(body)
            .send()
            .await
            .unwrap()
    }

    pub async fn whoami(&self, token: &str) -> reqwest::Response {
        self.client
            .get(self.url("/v1/whoami"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
    }

    /// (devices, used codes) read straight from the database.
    pub async fn counts(&self) -> (i64, i64) {
        (
            self.db.scalar("SELECT count(*) FROM devices").await,
            self.db
                .scalar("SELECT count(*) FROM enrollment_codes WHERE used_at IS NOT NULL")
                .await,
        )
    }

    pub async fn stop(&mut self) {
        self.server.take().unwrap().shutdown().await.unwrap();
    }
}

pub fn public_key() -> String {
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).unwrap();
    let key = ed25519_dalek::SigningKey::from_bytes(&seed).verifying_key();
    STANDARD.encode(key.as_bytes())
}

pub fn enroll_body(code: &str, device_id: Uuid) -> Value {
    json!({
        "code": code,
        "device_id": device_id,
        "public_key": public_key(),
        "device_name": "Laptop xã Tân Hòa",
    })
}

/// Asserts an error answer: status, JSON `{code, message}` with a non-empty message.
pub async fn assert_error(resp: reqwest::Response, status: u16, code: &str) {
    assert_eq!(resp.status().as_u16(), status, "status for {code}");
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["code"], code, "{body}");
    assert!(
        body["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{body}"
    );
}
