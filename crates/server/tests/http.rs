//! The HTTP surface: health, OpenAPI, malformed bodies, limits, compression, epoch.

mod common;

use std::io::{Read, Write};

use common::*;
use flate2::Compression;
use flate2::write::GzEncoder;
use serde_json::Value;
use uuid::Uuid;

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = GzEncoder::new(Vec::new(), Compression::default());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

async fn health_answers_with_epoch_and_version(db: TestDatabase) {
    let s = start_server(db).await;
    let resp = s.client.get(s.url("/health")).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    let header = resp.headers()["x-khuyenhoc-epoch"]
        .to_str()
        .unwrap()
        .to_owned();
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["status"], "ok");
    assert_eq!(body["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(body["epoch"], s.admin.epoch().to_string());
    assert_eq!(header, s.admin.epoch().to_string());
}

async fn the_openapi_document_lists_every_route(db: TestDatabase) {
    let s = start_server(db).await;
    let resp = s.client.get(s.url("/openapi.json")).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    let doc: Value = resp.json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let paths = doc["paths"].as_object().unwrap();
    for p in [
        "/v1/enroll",
        "/v1/whoami",
        "/v1/push",
        "/v1/pull",
        "/health",
        "/openapi.json",
    ] {
        assert!(paths.contains_key(p), "{p} missing from {:?}", paths.keys());
    }
    assert!(paths["/v1/enroll"]["post"].is_object());
    assert!(paths["/v1/whoami"]["get"]["security"].is_array());
    assert!(paths["/v1/push"]["post"]["security"].is_array());
    assert!(paths["/v1/pull"]["post"]["security"].is_array());
    assert!(doc["components"]["schemas"]["EnrollRequest"].is_object());
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
    // The sync bodies are described field by field, from the protocol crate's own types.
    let schemas = &doc["components"]["schemas"];
    for name in [
        "PushRequest",
        "PushResponse",
        "OpResult",
        "Op",
        "PullRequest",
        "PullPage",
        "Change",
        "SignedBatch",
    ] {
        assert!(schemas[name].is_object(), "{name} missing");
    }
    for field in [
        "op_id",
        "device_id",
        "device_seq",
        "op_format",
        "entity",
        "row_id",
        "fields",
        "version",
    ] {
        assert!(schemas["Op"]["properties"][field].is_object(), "Op.{field}");
    }
    for (path, body) in [
        ("/v1/push", "PushRequest"),
        ("/v1/pull", "PullRequest"),
        ("/v1/batch", "SignedBatch"),
    ] {
        assert_eq!(
            paths[path]["post"]["requestBody"]["content"]["application/json"]["schema"]["$ref"],
            format!("#/components/schemas/{body}"),
            "{path}"
        );
    }
}

async fn unknown_routes_answer_json_404_with_the_epoch(db: TestDatabase) {
    let s = start_server(db).await;
    let resp = s.client.get(s.url("/v1/nope")).send().await.unwrap();
    assert!(resp.headers().contains_key("x-khuyenhoc-epoch"));
    assert_error(resp, 404, "not_found").await;
}

async fn post_raw(s: &TestServer, body: Vec<u8>, gz: bool) -> reqwest::Response {
    s.post_bytes("/v1/enroll", None, body, gz.then_some("gzip"))
        .await
}

async fn malformed_truncated_and_wrong_shaped_bodies_change_nothing(db: TestDatabase) {
    let s = start_server(db).await;
    let code = s.commune_and_code().await;
    let good = serde_json::to_vec(&enroll_body(&code, Uuid::now_v7())).unwrap();

    assert_error(
        post_raw(&s, b"{not json".to_vec(), false).await,
        400,
        "malformed_json",
    )
    .await;
    let truncated = good[..good.len() / 2].to_vec();
    assert_error(post_raw(&s, truncated, false).await, 400, "malformed_json").await;
    let missing = br#"{"code": "K7QM-2XHD-9PRT", "device_name": "x"}"#.to_vec();
    assert_error(post_raw(&s, missing, false).await, 422, "invalid_body").await;
    let mut bad_id = enroll_body(&code, Uuid::now_v7());
    bad_id["device_id"] = "not-a-uuid".into();
    let bad_id = serde_json::to_vec(&bad_id).unwrap();
    assert_error(post_raw(&s, bad_id, false).await, 422, "invalid_body").await;
    let text = s
        .client
        .post(s.url("/v1/enroll"))
        .header("content-type", "text/plain")
        .body(good.clone())
        .send()
        .await
        .unwrap();
    assert_error(text, 415, "unsupported_media_type").await;
    assert_eq!(s.counts().await, (0, 0));

    // The same code still enrolls: none of the above spent it.
    assert_eq!(post_raw(&s, good, false).await.status(), 200);
    assert_eq!(s.counts().await, (1, 1));
}

async fn a_body_cut_off_mid_way_changes_nothing(db: TestDatabase) {
    let s = start_server(db).await;
    let code = s.commune_and_code().await;
    let good = serde_json::to_vec(&enroll_body(&code, Uuid::now_v7())).unwrap();
    let addr = s.server.as_ref().unwrap().addr;
    let answer = send_cut_off(addr, "/v1/enroll", None, &good).await;
    // Either a 400 or a closed connection; never a success.
    assert!(
        answer.is_empty() || answer.starts_with("HTTP/1.1 400"),
        "{answer}"
    );
    assert_eq!(s.counts().await, (0, 0));
    assert_eq!(post_raw(&s, good, false).await.status(), 200);
}

async fn a_body_over_the_limit_is_413(db: TestDatabase) {
    let s = start_server_with(db, |c| c.body_limit = 4096).await;
    let code = s.commune_and_code().await;
    let mut body = enroll_body(&code, Uuid::now_v7());
    body["device_name"] = "x".repeat(8192).into();
    let bytes = serde_json::to_vec(&body).unwrap();
    assert_error(
        post_raw(&s, bytes.clone(), false).await,
        413,
        "payload_too_large",
    )
    .await;
    // Compressed it is small, but the limit counts what it inflates to.
    let packed = gzip(&bytes);
    assert!(packed.len() < 4096);
    assert_error(post_raw(&s, packed, true).await, 413, "payload_too_large").await;
    assert_eq!(s.counts().await, (0, 0));
    // Under the limit is fine.
    let ok = serde_json::to_vec(&enroll_body(&code, Uuid::now_v7())).unwrap();
    assert_eq!(post_raw(&s, ok, false).await.status(), 200);
}

async fn gzip_request_bodies_are_accepted_and_answers_compressed(db: TestDatabase) {
    let s = start_server(db).await;
    let code = s.commune_and_code().await;
    let device = Uuid::now_v7();
    let bytes = serde_json::to_vec(&enroll_body(&code, device)).unwrap();
    let resp = post_raw(&s, gzip(&bytes), true).await;
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["device_id"], device.to_string());
    assert_eq!(s.counts().await, (1, 1));

    // Garbage announced as gzip is refused.
    let resp = post_raw(&s, b"not gzip at all".to_vec(), true).await;
    assert!(resp.status().is_client_error(), "{}", resp.status());

    // Answers are compressed for clients that ask (this client does not decode them, so the
    // raw bytes are gzip; other crates of the workspace turn reqwest's decoder on).
    let raw_client = reqwest::Client::builder().no_gzip().build().unwrap();
    let resp = raw_client
        .get(s.url("/openapi.json"))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.headers()["content-encoding"], "gzip");
    let raw = resp.bytes().await.unwrap();
    let mut text = String::new();
    flate2::read::GzDecoder::new(&raw[..])
        .read_to_string(&mut text)
        .unwrap();
    assert!(text.contains("/v1/enroll"));
}

async fn the_epoch_survives_a_restart_and_differs_on_a_new_database(db: TestDatabase) {
    let mut s = start_server(db).await;
    let code = s.commune_and_code().await;
    let body: Value = s
        .enroll(&enroll_body(&code, Uuid::now_v7()))
        .await
        .json()
        .await
        .unwrap();
    let token = body["token"].as_str().unwrap().to_owned();
    let first = s.server.as_ref().unwrap().epoch;
    s.stop().await;

    let again = khuyenhoc_server::start(khuyenhoc_server::ServerConfig::new(
        "127.0.0.1:0".parse().unwrap(),
        s.db.db().clone(),
    ))
    .await
    .unwrap();
    assert_eq!(again.epoch, first);
    let resp = s
        .client
        .get(format!("http://{}/v1/whoami", again.addr))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200, "the token survives the restart");
    assert_eq!(resp.headers()["x-khuyenhoc-epoch"], first.to_string());
    again.shutdown().await.unwrap();

    let other = start_server(TestDatabase::new(s.db.backend()).await.unwrap()).await;
    let other_epoch = other.server.as_ref().unwrap().epoch;
    assert_ne!(other_epoch, first);
    let health: Value = other
        .client
        .get(other.url("/health"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(health["epoch"], other_epoch.to_string());
}

async fn zstd_request_bodies_are_accepted(db: TestDatabase) {
    let s = start_server(db).await;
    let code = s.commune_and_code().await;
    let bytes = serde_json::to_vec(&enroll_body(&code, Uuid::now_v7())).unwrap();
    let resp = s
        .client
        .post(s.url("/v1/enroll"))
        .header("content-type", "application/json")
        .header("content-encoding", "zstd")
        .body(zstd::encode_all(&bytes[..], 3).unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(s.counts().await, (1, 1));
}

test_on_both_databases!(
    health_answers_with_epoch_and_version,
    the_openapi_document_lists_every_route,
    unknown_routes_answer_json_404_with_the_epoch,
    malformed_truncated_and_wrong_shaped_bodies_change_nothing,
    a_body_cut_off_mid_way_changes_nothing,
    a_body_over_the_limit_is_413,
    gzip_request_bodies_are_accepted_and_answers_compressed,
    the_epoch_survives_a_restart_and_differs_on_a_new_database,
    zstd_request_bodies_are_accepted,
);
