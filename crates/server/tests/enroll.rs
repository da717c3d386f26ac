//! Enrollment and bearer authentication over real HTTP.

mod common;

use common::*;
use jiff::SignedDuration;
use serde_json::Value;
use uuid::Uuid;

async fn enroll_then_whoami(db: TestDatabase) {
    let s = start_server(db).await;
    let code = s.commune_and_code().await;
    let device = Uuid::now_v7();
    // Typed loosely: lower case, no dashes.
    let typed = code.replace('-', "").to_lowercase();
    let resp = s.enroll(&enroll_body(&typed, device)).await;
    assert_eq!(resp.status(), 200);
    let epoch_header = resp.headers()["x-khuyenhoc-epoch"]
        .to_str()
        .unwrap()
        .to_owned();
    let body: Value = resp.json().await.unwrap();
    let epoch = s.admin.epoch().to_string();
    assert_eq!(body["epoch"], epoch);
    assert_eq!(epoch_header, epoch);
    assert_eq!(body["device_id"], device.to_string());
    assert_eq!(body["unit"]["org_code"], "26734");
    assert_eq!(body["unit"]["name"], "Xã Tân Hòa");
    let token = body["token"].as_str().unwrap();
    assert_eq!(s.counts().await, (1, 1));

    let resp = s.whoami(token).await;
    assert_eq!(resp.status(), 200);
    let me: Value = resp.json().await.unwrap();
    assert_eq!(me["device_id"], device.to_string());
    assert_eq!(me["device_name"], "Laptop xã Tân Hòa");
    assert_eq!(me["unit"]["org_code"], "26734");
    assert_eq!(me["unit"]["id"], body["unit"]["id"]);
    assert_eq!(me["epoch"], epoch);

    // Neither the token nor the code is stored in clear (nor as bytes, shown in hex by
    // PostgreSQL's dump).
    let dump = s.db.dump().await;
    assert!(dump.len() > 100, "the dump holds the database");
    for secret in [token, code.as_str(), &code.replace('-', "")] {
        let hex: String = secret.bytes().map(|b| format!("{b:02x}")).collect();
        for needle in [secret.as_bytes(), hex.as_bytes()] {
            assert!(!dump.windows(needle.len()).any(|w| w == needle));
        }
    }
}

async fn a_used_code_is_refused(db: TestDatabase) {
    let s = start_server(db).await;
    let code = s.commune_and_code().await;
    let first = s.enroll(&enroll_body(&code, Uuid::now_v7())).await;
    assert_eq!(first.status(), 200);
    let before = s.counts().await;
    let again = s.enroll(&enroll_body(&code, Uuid::now_v7())).await;
    assert_error(again, 403, "enrollment_code_used").await;
    assert_eq!(s.counts().await, before);
}

async fn an_expired_code_is_refused(db: TestDatabase) {
    let s = start_server(db).await;
    s.commune_and_code().await;
    let expired = s.code(SignedDuration::from_secs(-60)).await;
    let resp = s.enroll(&enroll_body(&expired, Uuid::now_v7())).await;
    assert_error(resp, 403, "enrollment_code_expired").await;
    assert_eq!(s.counts().await, (0, 0));
}

async fn an_unknown_code_is_refused(db: TestDatabase) {
    let s = start_server(db).await;
    let code = s.commune_and_code().await;
    // One symbol changed.
    let last = code.chars().last().unwrap();
    let wrong = format!(
        "{}{}",
        &code[..code.len() - 1],
        if last == '2' { '3' } else { '2' }
    );
    let resp = s.enroll(&enroll_body(&wrong, Uuid::now_v7())).await;
    assert_error(resp, 403, "enrollment_code_invalid").await;
    assert_eq!(s.counts().await, (0, 0));
    // The real code still works afterwards.
    assert_eq!(
        s.enroll(&enroll_body(&code, Uuid::now_v7())).await.status(),
        200
    );
}

async fn a_device_enrolled_twice_is_refused_and_keeps_the_code_unused(db: TestDatabase) {
    let s = start_server(db).await;
    let code1 = s.commune_and_code().await;
    let code2 = s.code(SignedDuration::from_hours(1)).await;
    let device = Uuid::now_v7();
    let first = s.enroll(&enroll_body(&code1, device)).await;
    assert_eq!(first.status(), 200);
    let first: Value = first.json().await.unwrap();
    let resp = s.enroll(&enroll_body(&code2, device)).await;
    assert_error(resp, 409, "device_exists").await;
    assert_eq!(s.counts().await, (1, 1), "the second code is not consumed");
    // The first token is untouched and the second code is still good for another laptop.
    assert_eq!(
        s.whoami(first["token"].as_str().unwrap()).await.status(),
        200
    );
    assert_eq!(
        s.enroll(&enroll_body(&code2, Uuid::now_v7()))
            .await
            .status(),
        200
    );
}

async fn a_revoked_device_gets_401(db: TestDatabase) {
    let s = start_server(db).await;
    let code = s.commune_and_code().await;
    let device = Uuid::now_v7();
    let body: Value = s
        .enroll(&enroll_body(&code, device))
        .await
        .json()
        .await
        .unwrap();
    let token = body["token"].as_str().unwrap();
    assert_eq!(s.whoami(token).await.status(), 200);
    s.admin.revoke_device(device).await.unwrap();
    assert_error(s.whoami(token).await, 401, "unauthorized").await;
    let devices = s.admin.list_devices().await.unwrap();
    assert!(devices[0].revoked_at.is_some());
}

async fn unknown_or_missing_tokens_get_401(db: TestDatabase) {
    let s = start_server(db).await;
    let code = s.commune_and_code().await;
    let body: Value = s
        .enroll(&enroll_body(&code, Uuid::now_v7()))
        .await
        .json()
        .await
        .unwrap();
    let token = body["token"].as_str().unwrap();
    let forged = format!("{}A", &token[..token.len() - 1]);
    let forged = if forged == token {
        format!("{}B", &token[..token.len() - 1])
    } else {
        forged
    };
    assert_error(s.whoami(&forged).await, 401, "unauthorized").await;
    let none = s.client.get(s.url("/v1/whoami")).send().await.unwrap();
    assert_error(none, 401, "unauthorized").await;
    let basic = s
        .client
        .get(s.url("/v1/whoami"))
        .header("authorization", format!("Basic {token}"))
        .send()
        .await
        .unwrap();
    assert_error(basic, 401, "unauthorized").await;
    // The real one works, so the refusals above are about the token.
    assert_eq!(s.whoami(token).await.status(), 200);
}

async fn bad_public_keys_and_names_are_400_and_change_nothing(db: TestDatabase) {
    let s = start_server(db).await;
    let code = s.commune_and_code().await;
    let cases = [
        (
            "public_key",
            Value::from("not base64 at all!"),
            "invalid_public_key",
        ),
        ("public_key", Value::from("AAAA"), "invalid_public_key"),
        ("device_name", Value::from("   "), "invalid_field"),
    ];
    for (field, value, expected) in cases {
        let mut body = enroll_body(&code, Uuid::now_v7());
        body[field] = value;
        assert_error(s.enroll(&body).await, 400, expected).await;
        assert_eq!(s.counts().await, (0, 0));
    }
    // The code was not spent by the refusals.
    assert_eq!(
        s.enroll(&enroll_body(&code, Uuid::now_v7())).await.status(),
        200
    );
}

async fn one_code_raced_by_many_laptops_enrolls_exactly_one(db: TestDatabase) {
    let s = start_server(db).await;
    let code = s.commune_and_code().await;
    let tasks: Vec<_> = (0..12)
        .map(|_| {
            let client = s.client.clone();
            let url = s.url("/v1/enroll");
            let body = enroll_body(&code, Uuid::now_v7());
            tokio::spawn(async move {
                let resp = client.post(url).json(&body).send().await.unwrap();
                let status = resp.status().as_u16();
                let body: Value = resp.json().await.unwrap();
                (status, body["code"].as_str().map(str::to_owned))
            })
        })
        .collect();
    let mut won = 0;
    for t in tasks {
        match t.await.unwrap() {
            (200, _) => won += 1,
            (403, Some(c)) => assert_eq!(c, "enrollment_code_used"),
            other => panic!("unexpected answer {other:?}"),
        }
    }
    assert_eq!(won, 1);
    assert_eq!(s.counts().await, (1, 1));
}

test_on_both_databases!(
    enroll_then_whoami,
    a_used_code_is_refused,
    an_expired_code_is_refused,
    an_unknown_code_is_refused,
    a_device_enrolled_twice_is_refused_and_keeps_the_code_unused,
    a_revoked_device_gets_401,
    unknown_or_missing_tokens_get_401,
    bad_public_keys_and_names_are_400_and_change_nothing,
    one_code_raced_by_many_laptops_enrolls_exactly_one,
);
