//! Bodies the sync routes cannot read — malformed JSON, the wrong shape, cut off mid-way, over
//! the size limit, or announced as compressed when they are not — sent to `/v1/push`,
//! `/v1/pull` and `/v1/batch` with a valid token, over real HTTP on SQLite and on PostgreSQL:
//! each is answered 4xx and changes nothing the server holds (ops received, rows, changes,
//! conflicts, pull progress; `TestDatabase::footprint`). Each test ends by sending the good
//! bodies whole, which are accepted: the refusals were about the bodies.

mod common;

use std::io::Write;

use common::*;
use flate2::Compression;
use flate2::write::GzEncoder;
use khuyenhoc_server::testing::SyncFootprint;
use khuyenhoc_sync_protocol::{OP_FORMAT, PullRequest, PushRequest};

/// The limit of the servers here: the good bodies fit, the big ones do not.
const BODY_LIMIT: usize = 4096;

/// A commune's device that has pushed the commune's row and pulled once, and a good body for
/// each route (its batch carried by a second device of the commune).
struct Setup {
    s: TestServer,
    device: HttpDevice,
    commune: String,
    /// (route, the token it is sent with, a body it accepts)
    routes: Vec<(&'static str, String, Vec<u8>)>,
}

async fn setup(db: TestDatabase) -> Setup {
    let s = start_server_with(db, |c| c.body_limit = BODY_LIMIT).await;
    s.commune_and_code().await;
    let mut device = s.device_in("26734").await;
    let carrier = s.device_in("26734").await;
    let commune_op = device.commune("26734");
    let commune = commune_op.row_id.clone();
    assert_eq!(s.push(&device, vec![commune_op]).await.results.len(), 1);
    s.pull_all(&device, 0, 100).await;
    let push = PushRequest {
        op_format: OP_FORMAT,
        device_id: device.id.to_string(),
        ops: vec![device.branch(&commune)],
    };
    let pull = PullRequest {
        op_format: OP_FORMAT,
        cursor: 0,
        limit: 100,
    };
    let carried = device.branch(&commune);
    let batch = device.batch(vec![carried]);
    let routes = vec![
        ("/v1/push", device.token.clone(), json(&push)),
        ("/v1/pull", device.token.clone(), json(&pull)),
        ("/v1/batch", carrier.token.clone(), json(&batch)),
    ];
    for (route, _, body) in &routes {
        assert!(body.len() < BODY_LIMIT, "{route}: {}", body.len());
    }
    Setup {
        s,
        device,
        commune,
        routes,
    }
}

fn json(body: &impl serde::Serialize) -> Vec<u8> {
    serde_json::to_vec(body).unwrap()
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = GzEncoder::new(Vec::new(), Compression::default());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

impl Setup {
    /// Sends `body` to `route` with the route's token; the answer must be `status` `code`.
    async fn refused(
        &self,
        route: &str,
        body: Vec<u8>,
        encoding: Option<&str>,
        status: u16,
        code: &str,
    ) {
        let token = &self.routes.iter().find(|r| r.0 == route).unwrap().1;
        let resp = self.s.post_bytes(route, Some(token), body, encoding).await;
        assert_eq!(resp.status().as_u16(), status, "{route}");
        assert_error(resp, status, code).await;
    }

    /// Ends a test: nothing changed since `before`, and the good bodies, sent whole, are
    /// accepted (and then do change what the server holds).
    async fn nothing_changed_since(&self, before: &SyncFootprint) {
        assert_eq!(&self.s.db.footprint().await, before);
        for (route, token, body) in &self.routes {
            let resp = self
                .s
                .post_bytes(route, Some(token), body.clone(), None)
                .await;
            assert_eq!(
                resp.status(),
                200,
                "{route}: {}",
                resp.text().await.unwrap()
            );
        }
        let after = self.s.db.footprint().await;
        assert_eq!(after.ops_received, before.ops_received + 2);
        assert_eq!(after.changes, before.changes + 2);
    }
}

async fn malformed_json_is_400_and_changes_nothing(db: TestDatabase) {
    let t = setup(db).await;
    let before = t.s.db.footprint().await;
    for (route, _, good) in &t.routes {
        for bad in [
            b"{not json".to_vec(),
            b"".to_vec(),
            // Cut short, but announced with its real length.
            good[..good.len() / 2].to_vec(),
            // Valid JSON with something after it.
            [good.as_slice(), b"}"].concat(),
        ] {
            t.refused(route, bad, None, 400, "malformed_json").await;
        }
    }
    t.nothing_changed_since(&before).await;
}

async fn a_wrong_shape_is_422_and_changes_nothing(db: TestDatabase) {
    let t = setup(db).await;
    let before = t.s.db.footprint().await;
    let shapes = [
        ("/v1/push", serde_json::json!([1, 2])),
        (
            "/v1/push",
            serde_json::json!({"op_format": OP_FORMAT, "device_id": t.device.id, "ops": "none"}),
        ),
        (
            "/v1/push",
            serde_json::json!({"op_format": OP_FORMAT, "device_id": t.device.id, "ops": [{"op_id": 5}]}),
        ),
        (
            "/v1/pull",
            serde_json::json!({"op_format": OP_FORMAT, "cursor": "zero", "limit": 10}),
        ),
        (
            "/v1/pull",
            serde_json::json!({"op_format": OP_FORMAT, "cursor": 0, "limit": -1}),
        ),
        (
            "/v1/batch",
            serde_json::json!({"format": 1, "device_id": t.device.id}),
        ),
        ("/v1/batch", serde_json::json!("a batch")),
    ];
    for (route, body) in shapes {
        t.refused(route, json(&body), None, 422, "invalid_body")
            .await;
    }
    // Each route's body sent to the others: a well-formed body of another shape.
    for (route, _, _) in &t.routes {
        for (other, _, body) in t.routes.iter().filter(|r| r.0 != *route) {
            assert_ne!(route, other);
            t.refused(route, body.clone(), None, 422, "invalid_body")
                .await;
        }
    }
    // The right shape with a value out of range.
    let negative = PullRequest {
        op_format: OP_FORMAT,
        cursor: -5,
        limit: 10,
    };
    t.refused("/v1/pull", json(&negative), None, 400, "invalid_field")
        .await;
    t.nothing_changed_since(&before).await;
}

async fn a_body_cut_off_mid_way_changes_nothing(db: TestDatabase) {
    let t = setup(db).await;
    let before = t.s.db.footprint().await;
    let addr = t.s.server.as_ref().unwrap().addr;
    for (route, token, good) in &t.routes {
        let answer = send_cut_off(addr, route, Some(token), good).await;
        // Either a 400 or a closed connection; never a success.
        assert!(
            answer.is_empty() || answer.starts_with("HTTP/1.1 400"),
            "{route}: {answer}"
        );
        assert_eq!(t.s.db.footprint().await, before, "{route}");
    }
    t.nothing_changed_since(&before).await;
}

async fn a_body_over_the_limit_is_413_and_changes_nothing(db: TestDatabase) {
    let mut t = setup(db).await;
    let before = t.s.db.footprint().await;
    let commune = t.commune.clone();
    let many: Vec<_> = (0..20).map(|_| t.device.branch(&commune)).collect();
    let push = json(&PushRequest {
        op_format: OP_FORMAT,
        device_id: t.device.id.to_string(),
        ops: many.clone(),
    });
    // A pull request padded with spaces: valid JSON, only too long.
    let mut pull = json(&PullRequest {
        op_format: OP_FORMAT,
        cursor: 0,
        limit: 10,
    });
    pull.extend(std::iter::repeat_n(b' ', 2 * BODY_LIMIT));
    let batch = json(&t.device.batch(many));
    for (route, big) in [("/v1/push", push), ("/v1/pull", pull), ("/v1/batch", batch)] {
        assert!(big.len() > BODY_LIMIT, "{route}");
        t.refused(route, big.clone(), None, 413, "payload_too_large")
            .await;
        // Compressed it is small, but the limit counts what it inflates to.
        let packed = gzip(&big);
        assert!(packed.len() < BODY_LIMIT, "{route}: {}", packed.len());
        t.refused(route, packed, Some("gzip"), 413, "payload_too_large")
            .await;
    }
    t.nothing_changed_since(&before).await;
}

async fn bad_compression_is_400_and_changes_nothing(db: TestDatabase) {
    let t = setup(db).await;
    let before = t.s.db.footprint().await;
    for (route, _, good) in &t.routes {
        let packed = gzip(good);
        let zstd = zstd::encode_all(&good[..], 3).unwrap();
        for (bad, encoding) in [
            (good.clone(), "gzip"),
            (b"not gzip at all".to_vec(), "gzip"),
            // A gzip stream cut short.
            (packed[..packed.len() / 2].to_vec(), "gzip"),
            (good.clone(), "zstd"),
            (zstd[..zstd.len() / 2].to_vec(), "zstd"),
        ] {
            t.refused(route, bad, Some(encoding), 400, "malformed_json")
                .await;
        }
    }
    t.nothing_changed_since(&before).await;
}

test_on_both_databases!(
    malformed_json_is_400_and_changes_nothing,
    a_wrong_shape_is_422_and_changes_nothing,
    a_body_cut_off_mid_way_changes_nothing,
    a_body_over_the_limit_is_413_and_changes_nothing,
    bad_compression_is_400_and_changes_nothing,
);
