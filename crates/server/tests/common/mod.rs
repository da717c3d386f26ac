//! A real server on 127.0.0.1:0 over a fresh database of either kind (see
//! `khuyenhoc_server::testing`).
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::SocketAddr;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ed25519_dalek::SigningKey;
use jiff::{SignedDuration, Timestamp};
use khuyenhoc_server::admin::Admin;
#[allow(unused_imports)]
pub use khuyenhoc_server::test_on_both_databases;
#[allow(unused_imports)]
pub use khuyenhoc_server::testing::{Backend, TestDatabase};
use khuyenhoc_server::{RunningServer, ServerConfig, start};
use khuyenhoc_sync_protocol::{
    BatchBody, Change, OP_FORMAT, Op, OpField, PullPage, PullRequest, PushRequest, PushResponse,
    SignedBatch,
};
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

    /// Posts raw `body` bytes as JSON to `path`, with a bearer token and a content encoding
    /// (`gzip`, `zstd`) if given: what a broken or hostile client may send.
    pub async fn post_bytes(
        &self,
        path: &str,
        token: Option<&str>,
        body: Vec<u8>,
        encoding: Option<&str>,
    ) -> reqwest::Response {
        let mut req = self
            .client
            .post(self.url(path))
            .header("content-type", "application/json");
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        if let Some(encoding) = encoding {
            req = req.header("content-encoding", encoding);
        }
        req.body(body).send().await.unwrap()
    }

    /// Posts `body` as JSON to `path` with `token`, whatever the answer.
    pub async fn post_as(
        &self,
        path: &str,
        token: &str,
        body: &impl serde::Serialize,
    ) -> reqwest::Response {
        let bytes = serde_json::to_vec(body).unwrap();
        self.post_bytes(path, Some(token), bytes, None).await
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

    /// Starts a stopped server again over the same database (its migrations run again), on a
    /// new port.
    pub async fn restart(&mut self) {
        let config = ServerConfig::new("127.0.0.1:0".parse().unwrap(), self.db.db().clone());
        let server = start(config).await.unwrap();
        self.base = format!("http://{}", server.addr);
        self.server = Some(server);
    }
}

pub fn signing_key() -> SigningKey {
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).unwrap();
    SigningKey::from_bytes(&seed)
}

pub fn public_key() -> String {
    public_key_of(&signing_key())
}

pub fn public_key_of(key: &SigningKey) -> String {
    STANDARD.encode(key.verifying_key().as_bytes())
}

/// Sends `path` a request announcing all of `body` (content-length) but carrying only its
/// first half, then closes the sending side, as a laptop whose connection dies mid-upload; the
/// raw answer, empty when the server just closed the connection.
pub async fn send_cut_off(
    addr: SocketAddr,
    path: &str,
    token: Option<&str>,
    body: &[u8],
) -> String {
    let auth = token.map_or(String::new(), |t| format!("authorization: Bearer {t}\r\n"));
    let head = format!(
        "POST {path} HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n{auth}\
         content-length: {}\r\n\r\n",
        body.len()
    );
    let half = body[..body.len() / 2].to_vec();
    tokio::task::spawn_blocking(move || {
        let mut tcp = std::net::TcpStream::connect(addr).unwrap();
        tcp.write_all(head.as_bytes()).unwrap();
        tcp.write_all(&half).unwrap();
        tcp.shutdown(std::net::Shutdown::Write).unwrap();
        let mut out = String::new();
        let _ = tcp.read_to_string(&mut out);
        out
    })
    .await
    .unwrap()
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

/// A device enrolled over HTTP, writing ops the way a laptop does (its own sequence, a fresh
/// version stamp per op).
pub struct HttpDevice {
    pub id: Uuid,
    pub token: String,
    pub next_seq: i64,
    /// The op format its requests and ops carry (a laptop not yet updated sends the previous).
    pub format: i64,
    /// The key it enrolled with (it signs its batches).
    pub key: SigningKey,
}

impl TestServer {
    /// Enrolls a new device in the unit `unit_code` (which must exist).
    pub async fn device_in(&self, unit_code: &str) -> HttpDevice {
        let code = self
            .admin
            .create_code(unit_code, SignedDuration::from_hours(1))
            .await
            .unwrap()
            .code;
        let id = Uuid::now_v7();
        let key = signing_key();
        let mut body = enroll_body(&code, id);
        body["public_key"] = public_key_of(&key).into();
        let resp = self.enroll(&body).await;
        assert_eq!(resp.status(), 200);
        let body: Value = resp.json().await.unwrap();
        HttpDevice {
            id,
            token: body["token"].as_str().unwrap().to_owned(),
            next_seq: 1,
            format: OP_FORMAT,
            key,
        }
    }

    /// Pushes `ops` as `d`, whatever the answer.
    pub async fn push_raw(&self, d: &HttpDevice, ops: Vec<Op>) -> reqwest::Response {
        let request = PushRequest {
            op_format: d.format,
            device_id: d.id.to_string(),
            ops,
        };
        self.post_as("/v1/push", &d.token, &request).await
    }

    /// Pushes `ops` as `d`; the answer must be 200.
    pub async fn push(&self, d: &HttpDevice, ops: Vec<Op>) -> PushResponse {
        let resp = self
            .client
            .post(self.url("/v1/push"))
            .bearer_auth(&d.token)
            .json(&PushRequest {
                op_format: d.format,
                device_id: d.id.to_string(),
                ops,
            })
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
        resp.json().await.unwrap()
    }

    /// One pull of at most `limit` changes after `cursor`, as `d`.
    pub async fn pull(&self, d: &HttpDevice, cursor: i64, limit: u32) -> reqwest::Response {
        self.client
            .post(self.url("/v1/pull"))
            .bearer_auth(&d.token)
            .json(&PullRequest {
                op_format: d.format,
                cursor,
                limit,
            })
            .send()
            .await
            .unwrap()
    }

    /// Pulls from `cursor` to the end in pages of `limit`: every change, and the last cursor.
    pub async fn pull_all(
        &self,
        d: &HttpDevice,
        mut cursor: i64,
        limit: u32,
    ) -> (Vec<Change>, i64) {
        let mut changes = Vec::new();
        loop {
            let resp = self.pull(d, cursor, limit).await;
            assert_eq!(resp.status(), 200, "pull after {cursor}");
            let page: PullPage = resp.json().await.unwrap();
            changes.extend(page.changes);
            cursor = page.cursor;
            if !page.more {
                return (changes, cursor);
            }
        }
    }
}

impl HttpDevice {
    /// An edit made after seeing each of its fields at `seen` (the field's version pulled).
    pub fn edit(&mut self, entity: &str, row: &str, fields: &[(&str, Value)], seen: &str) -> Op {
        let mut op = self.op(entity, row, &format!("{entity}.update"), fields);
        for field in op.fields.values_mut() {
            field.base = Some(seen.to_owned());
        }
        op
    }

    /// A new commune row bound to the server's unit `code` (applied when `code` is a unit the
    /// device may write in).
    pub fn commune(&mut self, code: &str) -> Op {
        self.op(
            "org_unit",
            &Uuid::now_v7().to_string(),
            "unit.add",
            &[
                ("kind", json!("commune")),
                ("name", json!(format!("Hội Khuyến học {code}"))),
                ("org_code", json!(code)),
            ],
        )
    }

    /// A new branch row under the unit row `parent`.
    pub fn branch(&mut self, parent: &str) -> Op {
        self.op(
            "org_unit",
            &Uuid::now_v7().to_string(),
            "unit.add",
            &[
                ("kind", json!("branch")),
                ("name", json!("Chi hội Thôn 1")),
                ("parent_id", json!(parent)),
            ],
        )
    }

    /// `ops` in a batch file signed with this device's key.
    pub fn batch(&self, ops: Vec<Op>) -> SignedBatch {
        let body = BatchBody {
            device_id: self.id.to_string(),
            created_ms: 0,
            op_format: self.format,
            ops,
        };
        SignedBatch::sign(&body, &self.key)
    }

    /// An op of this device on the `entity` row `row` (its next sequence, a fresh version).
    pub fn op(&mut self, entity: &str, row: &str, intent: &str, fields: &[(&str, Value)]) -> Op {
        let seq = self.next_seq;
        self.next_seq += 1;
        Op {
            op_id: Uuid::now_v7().to_string(),
            device_id: self.id.to_string(),
            device_seq: seq,
            op_format: self.format,
            entity: entity.into(),
            row_id: row.into(),
            intent: intent.into(),
            fields: fields
                .iter()
                .map(|(k, v)| {
                    (
                        (*k).to_owned(),
                        OpField {
                            value: v.clone(),
                            base: None,
                        },
                    )
                })
                .collect(),
            author: "lan".into(),
            version: format!(
                "{:015}-{seq:010}-{}",
                Timestamp::now().as_millisecond(),
                self.id
            ),
        }
    }
}
