//! Bearer tokens that no longer open anything, over real HTTP on SQLite and on PostgreSQL: a
//! token unused past the server's idle limit is refused as `401 token_expired` on every route
//! and changes nothing (nor is it revived by trying), while a token in use lives on past that
//! limit (its life slides); the limit is the server's setting and must outlive the purge
//! horizon; a device enrolled before tokens expired counts as having used its token at the
//! upgrade; a laptop whose token expired enrolls again under its own id and goes on where it
//! stopped; a revoked token can neither push, pull nor hand over a batch. The last use is what
//! `admin device list` shows as when a laptop was last seen.
//!
//! Time is moved by ageing the stored last use (`TestDatabase::age_token_use`), never by
//! sleeping.

mod common;

use common::*;
use jiff::{SignedDuration, Timestamp};
use khuyenhoc_server::storage::Device;
use khuyenhoc_server::{PurgeSchedule, ServerConfig, StartError};
use khuyenhoc_sync_protocol::{OpOutcome, PushResponse};
use serde_json::Value;

/// A server with the commune 26734 and a device in it that has pushed the commune's row and
/// pulled once; the row's id.
async fn commune_device(s: &TestServer) -> (HttpDevice, String) {
    s.commune_and_code().await;
    let mut d = s.device_in("26734").await;
    let commune = d.commune("26734");
    let row = commune.row_id.clone();
    applied(&s.push(&d, vec![commune]).await);
    s.pull_all(&d, 0, 100).await;
    (d, row)
}

fn applied(answer: &PushResponse) {
    assert!(
        answer
            .results
            .iter()
            .all(|r| matches!(r.outcome, OpOutcome::Applied)),
        "{:?}",
        answer.results
    );
}

/// Every route a token opens, as `d` with ops that would otherwise be applied: whoami, a push,
/// a pull from zero and a batch `d` signed; each must be refused as `401 code`.
async fn refused_everywhere(s: &TestServer, d: &mut HttpDevice, parent: &str, code: &str) {
    assert_error(s.whoami(&d.token).await, 401, code).await;
    let op = d.branch(parent);
    assert_error(s.push_raw(d, vec![op]).await, 401, code).await;
    assert_error(s.pull(d, 0, 100).await, 401, code).await;
    let carried = d.branch(parent);
    let batch = d.batch(vec![carried]);
    assert_error(s.post_as("/v1/batch", &d.token, &batch).await, 401, code).await;
}

/// When the server last wrote down a use of `d`'s token, as text.
async fn token_used_at(s: &TestServer, d: &HttpDevice) -> String {
    s.db.text_rows(&format!(
        "SELECT CAST(token_used_at AS TEXT) FROM devices WHERE id = '{}'",
        d.id
    ))
    .await
    .remove(0)
    .remove(0)
}

async fn an_idle_token_is_refused_everywhere_and_changes_nothing(db: TestDatabase) {
    let s = start_server(db).await;
    let (mut d, commune) = commune_device(&s).await;
    let other = s.device_in("26734").await;
    // The default limit is 365 days.
    s.db.age_token_use(d.id, 366).await;
    let before = s.db.footprint().await;
    // Trying again does not revive it: the refusal wrote nothing down.
    for _ in 0..2 {
        refused_everywhere(&s, &mut d, &commune, "token_expired").await;
    }
    assert_eq!(s.db.footprint().await, before);
    // Another device's token is untouched.
    assert_eq!(s.whoami(&other.token).await.status(), 200);
}

async fn a_token_in_use_lives_on_past_the_idle_limit(db: TestDatabase) {
    let s = start_server(db).await;
    let (mut d, commune) = commune_device(&s).await;
    s.db.age_token_use(d.id, 300).await;
    let aged = token_used_at(&s, &d).await;
    assert_eq!(s.whoami(&d.token).await.status(), 200);
    let refreshed = token_used_at(&s, &d).await;
    assert_ne!(refreshed, aged, "the use was written down");
    // Within the hour another use is not written again.
    assert_eq!(s.pull(&d, 0, 100).await.status(), 200);
    assert_eq!(token_used_at(&s, &d).await, refreshed);
    // 300 more days: 600 days since it enrolled, 300 since it was last used.
    s.db.age_token_use(d.id, 300).await;
    let op = d.branch(&commune);
    applied(&s.push(&d, vec![op]).await);
    let (changes, _) = s.pull_all(&d, 0, 100).await;
    assert_eq!(changes.len(), 2);
}

async fn the_idle_limit_is_the_servers_setting_and_outlives_the_purge_horizon(db: TestDatabase) {
    let backend = db.backend();
    let s = start_server_with(db, |c| c.token_idle_days = 120).await;
    let (d, _) = commune_device(&s).await;
    s.db.age_token_use(d.id, 119).await;
    assert_eq!(s.whoami(&d.token).await.status(), 200);
    s.db.age_token_use(d.id, 121).await;
    assert_error(s.whoami(&d.token).await, 401, "token_expired").await;

    // A token that would not outlive the purge horizon is refused before the server starts.
    let other = TestDatabase::new(backend).await.unwrap();
    let mut config = ServerConfig::new("127.0.0.1:0".parse().unwrap(), other.db().clone());
    config.purge = Some(PurgeSchedule {
        every: std::time::Duration::from_secs(3600),
        horizon_days: 90,
    });
    config.token_idle_days = 90;
    match khuyenhoc_server::start(config.clone()).await {
        Err(StartError::Config(reason)) => assert!(reason.contains("horizon"), "{reason}"),
        Err(e) => panic!("{e}"),
        Ok(_) => panic!("a token life equal to the purge horizon was accepted"),
    }
    config.token_idle_days = 91;
    khuyenhoc_server::start(config)
        .await
        .unwrap()
        .shutdown()
        .await
        .unwrap();
}

/// Enrolls `d` again with a fresh code of `unit_code` under its own id and a new key.
async fn enroll_again(s: &TestServer, d: &HttpDevice, unit_code: &str) -> reqwest::Response {
    let code = s
        .admin
        .create_code(unit_code, SignedDuration::from_hours(1))
        .await
        .unwrap()
        .code;
    let mut body = enroll_body(&code, d.id);
    body["public_key"] = public_key_of(&signing_key()).into();
    s.enroll(&body).await
}

async fn a_laptop_whose_token_expired_enrolls_again_under_its_id(db: TestDatabase) {
    let s = start_server(db).await;
    let (mut d, commune) = commune_device(&s).await;
    s.admin
        .add_unit("26735", "Xã Tân Lập", Some("01"))
        .await
        .unwrap();
    s.db.age_token_use(d.id, 400).await;
    // Made offline while the token expired.
    let queued = d.branch(&commune);
    assert_error(
        s.push_raw(&d, vec![queued.clone()]).await,
        401,
        "token_expired",
    )
    .await;

    // A code of another unit does not take the device over, and stays unused.
    assert_error(enroll_again(&s, &d, "26735").await, 409, "device_exists").await;
    let used = "SELECT count(*) FROM enrollment_codes WHERE used_at IS NOT NULL";
    let used_before = s.db.scalar(used).await;

    // A new code of its own unit: the same device, a new token.
    let resp = enroll_again(&s, &d, "26734").await;
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["device_id"], d.id.to_string());
    assert_eq!(s.db.scalar(used).await, used_before + 1);
    let old = std::mem::replace(&mut d.token, body["token"].as_str().unwrap().to_owned());
    assert_error(s.whoami(&old).await, 401, "unauthorized").await;
    assert_eq!(s.db.scalar("SELECT count(*) FROM devices").await, 1);

    // What it queued goes up under its own sequence; pulling goes on from where it was.
    let answer = s.push(&d, vec![queued.clone()]).await;
    applied(&answer);
    assert_eq!(answer.high_water, queued.device_seq);
    let (changes, _) = s.pull_all(&d, 0, 100).await;
    assert_eq!(changes.len(), 2);

    // Its token is alive again: enrolling once more is refused, and the code stays unused.
    assert_error(enroll_again(&s, &d, "26734").await, 409, "device_exists").await;
    assert_eq!(s.db.scalar(used).await, used_before + 1);
}

async fn a_revoked_laptop_cannot_enroll_again_even_once_its_token_expired(db: TestDatabase) {
    let s = start_server(db).await;
    let (d, _) = commune_device(&s).await;
    s.admin.revoke_device(d.id).await.unwrap();
    s.db.age_token_use(d.id, 400).await;
    let before = s.db.footprint().await;
    assert_error(enroll_again(&s, &d, "26734").await, 409, "device_exists").await;
    assert_eq!(s.db.footprint().await, before);
    assert_error(s.whoami(&d.token).await, 401, "unauthorized").await;
}

async fn a_revoked_token_can_neither_push_pull_nor_hand_over_a_batch(db: TestDatabase) {
    let s = start_server(db).await;
    let (mut d, commune) = commune_device(&s).await;
    s.admin.revoke_device(d.id).await.unwrap();
    let before = s.db.footprint().await;
    refused_everywhere(&s, &mut d, &commune, "unauthorized").await;
    assert_eq!(s.db.footprint().await, before);
    // Another device of the commune still works (the refusal is about the token).
    let other = s.device_in("26734").await;
    assert_eq!(s.pull(&other, 0, 100).await.status(), 200);
}

async fn a_device_enrolled_before_schema_7_counts_as_used_at_the_upgrade(db: TestDatabase) {
    let mut s = start_server(db).await;
    let (d, _) = commune_device(&s).await;
    s.stop().await;
    // The database as schema 6 held it, with the device enrolled more than a year ago.
    let back_to_schema_6 = match s.db.backend() {
        Backend::Sqlite => {
            "ALTER TABLE devices DROP COLUMN token_used_at;
             UPDATE devices SET enrolled_at = enrolled_at - 400 * 86400000;
             PRAGMA user_version = 6;"
        }
        Backend::Postgres => {
            "ALTER TABLE devices DROP COLUMN token_used_at;
             UPDATE devices SET enrolled_at = enrolled_at - interval '400 days';
             DELETE FROM khuyenhoc_schema WHERE version = 7;"
        }
    };
    s.db.execute(back_to_schema_6).await;
    s.restart().await;
    assert_eq!(s.whoami(&d.token).await.status(), 200);
    assert_eq!(s.pull(&d, 0, 100).await.status(), 200);
}

/// `d` as the admin lists it.
async fn listed(s: &TestServer, d: &HttpDevice) -> Device {
    s.admin
        .list_devices()
        .await
        .unwrap()
        .into_iter()
        .find(|listed| listed.id == d.id)
        .expect("the device is listed")
}

async fn the_device_list_shows_when_each_laptop_was_last_seen_and_pulled(db: TestDatabase) {
    let s = start_server(db).await;
    s.commune_and_code().await;
    // Enrolled and never synced since: seen when it enrolled, never pulled.
    let quiet = s.device_in("26734").await;
    let q = listed(&s, &quiet).await;
    assert_eq!(q.last_seen_at, q.enrolled_at);
    assert_eq!(q.pulled_through, None);
    // A use within the hour of the last one written is not written again: to the hour.
    assert_eq!(s.whoami(&quiet.token).await.status(), 200);
    assert_eq!(listed(&s, &quiet).await, q);

    // A laptop that syncs: it has pulled through the cursor it last sent.
    let (d, _) = commune_device(&s).await;
    let (_, cursor) = s.pull_all(&d, 0, 100).await;
    assert!(cursor > 0);
    assert_eq!(s.pull(&d, cursor, 100).await.status(), 200);
    let synced = listed(&s, &d).await;
    assert_eq!(synced.pulled_through, Some(cursor));
    assert!(synced.last_seen_at >= synced.enrolled_at);

    // Silent for 40 days: the list says so, and nothing else about it moves.
    s.db.age_token_use(d.id, 40).await;
    let silent = listed(&s, &d).await;
    assert_eq!(
        silent.last_seen_at,
        synced.last_seen_at - SignedDuration::from_hours(40 * 24)
    );
    assert_eq!(
        silent,
        Device {
            last_seen_at: silent.last_seen_at,
            ..synced.clone()
        }
    );
    // It comes back: seen now again.
    let back = Timestamp::now() - SignedDuration::from_secs(1);
    assert_eq!(s.whoami(&d.token).await.status(), 200);
    assert!(listed(&s, &d).await.last_seen_at >= back);

    // A revoked laptop keeps the last time it was seen; its refused requests do not count.
    s.db.age_token_use(quiet.id, 10).await;
    s.admin.revoke_device(quiet.id).await.unwrap();
    let revoked = listed(&s, &quiet).await;
    assert!(revoked.revoked_at.is_some());
    assert_eq!(
        revoked.last_seen_at,
        q.last_seen_at - SignedDuration::from_hours(10 * 24)
    );
    assert_error(s.whoami(&quiet.token).await, 401, "unauthorized").await;
    assert_eq!(listed(&s, &quiet).await, revoked);
}

test_on_both_databases!(
    the_device_list_shows_when_each_laptop_was_last_seen_and_pulled,
    a_device_enrolled_before_schema_7_counts_as_used_at_the_upgrade,
    an_idle_token_is_refused_everywhere_and_changes_nothing,
    a_token_in_use_lives_on_past_the_idle_limit,
    the_idle_limit_is_the_servers_setting_and_outlives_the_purge_horizon,
    a_laptop_whose_token_expired_enrolls_again_under_its_id,
    a_revoked_laptop_cannot_enroll_again_even_once_its_token_expired,
    a_revoked_token_can_neither_push_pull_nor_hand_over_a_batch,
);
