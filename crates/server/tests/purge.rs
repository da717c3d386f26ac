//! Tombstone purge over real HTTP, on SQLite and on PostgreSQL: the purge waits until every
//! active device has pulled past a deletion (as far as the server knows: the cursor a device
//! pulls after); a device whose cursor lies below the purge point gets `410 cursor_purged` in the
//! API's error shape; from zero it (or a new
//! device) pages through without ever seeing the purged row and ends past the purge point; a
//! late edit of the purged row is refused as `row_purged` and brings nothing back, while a
//! retry of an op applied before the purge is still answered as a duplicate.

mod common;

use common::*;
use khuyenhoc_sync_protocol::{OpOutcome, PullPage, RejectCode};
use serde_json::{Value, json};
use uuid::Uuid;

/// A device of the commune "26734".
async fn device(s: &TestServer) -> HttpDevice {
    s.commune_and_code().await;
    s.device_in("26734").await
}

/// Pulls from `cursor` to the end in pages of `limit`: the row ids seen, and the last cursor.
async fn pull_all(s: &TestServer, d: &HttpDevice, cursor: i64, limit: u32) -> (Vec<String>, i64) {
    let (changes, cursor) = s.pull_all(d, cursor, limit).await;
    (changes.into_iter().map(|c| c.row_id).collect(), cursor)
}

async fn a_cursor_below_the_purge_point_is_gone_and_the_purged_row_stays_gone(db: TestDatabase) {
    let s = start_server(db).await;
    let mut writer = device(&s).await;
    let mut lagging = device(&s).await;
    let other = device(&s).await;
    let (kept, purged) = (Uuid::now_v7().to_string(), Uuid::now_v7().to_string());
    let create_kept = writer.op(
        "member",
        &kept,
        "member.add",
        &[("full_name", json!("Nguyễn Văn An"))],
    );
    let create_purged = writer.op(
        "member",
        &purged,
        "member.add",
        &[("full_name", json!("Trần Thị Cúc"))],
    );
    s.push(&writer, vec![create_kept, create_purged]).await;
    // The lagging device pulls the first change only, then goes silent.
    let resp = s.pull(&lagging, 0, 1).await;
    assert_eq!(resp.status(), 200, "{}", resp.text().await.unwrap());
    let first: PullPage = resp.json().await.unwrap();
    assert_eq!(first.changes[0].row_id, kept);
    let delete = writer.op(
        "member",
        &purged,
        "member.delete",
        &[("deleted", json!(true))],
    );
    s.push(&writer, vec![delete.clone()]).await;
    let later = writer.op(
        "member",
        &kept,
        "member.update",
        &[("phone", json!("0912345678"))],
    );
    s.push(&writer, vec![later]).await;
    // The server learns how far a device has pulled from the cursor it pulls after: each pulls
    // everything, then asks again (as its next sync does).
    let (_, writer_cursor) = pull_all(&s, &writer, 0, 100).await;
    assert_eq!(s.pull(&writer, writer_cursor, 100).await.status(), 200);
    let report = s.admin.purge(90).await.unwrap();
    assert_eq!(
        report.rows, 0,
        "the other device, enrolled and not pulled yet, counts as cursor 0: {report:?}"
    );
    let (_, other_cursor) = pull_all(&s, &other, 0, 100).await;
    let report = s.admin.purge(90).await.unwrap();
    assert_eq!(report.rows, 0, "nor has it told where it got: {report:?}");
    assert_eq!(s.pull(&other, other_cursor, 100).await.status(), 200);
    let report = s.admin.purge(90).await.unwrap();
    assert_eq!(
        report.rows, 0,
        "the lagging device holds it back: {report:?}"
    );
    s.db.age_last_pull(lagging.id, 100).await;
    let report = s.admin.purge(90).await.unwrap();
    assert_eq!((report.rows, report.changes), (1, 2), "{report:?}");
    assert_eq!(report.active_devices, 2);
    assert!(first.cursor < report.purged_through);
    assert!(report.purged_through <= writer_cursor);
    assert_eq!(
        s.db.scalar("SELECT count(*) FROM purged_rows").await,
        1,
        "only the key is kept"
    );
    assert_eq!(
        s.db.scalar(&format!(
            "SELECT count(*) FROM changes WHERE row_id = '{purged}'"
        ))
        .await,
        0
    );

    // The lagging device comes back: its cursor is gone.
    assert_error(
        s.pull(&lagging, first.cursor, 100).await,
        410,
        "cursor_purged",
    )
    .await;
    // From zero, in pages of one, it never sees the purged row and ends past the purge point;
    // its cursor below the purge point on the way is not refused.
    let (rows, end) = pull_all(&s, &lagging, 0, 1).await;
    assert!(!rows.contains(&purged), "{rows:?}");
    assert!(rows.contains(&kept));
    assert!(end >= report.purged_through);
    // The writer, past the purge point, pulls on as before.
    assert_eq!(s.pull(&writer, writer_cursor, 100).await.status(), 200);

    // A late edit of the purged row is refused and brings nothing back.
    let late = lagging.op(
        "member",
        &purged,
        "member.update",
        &[("phone", json!("0987654321"))],
    );
    let answer = s.push(&lagging, vec![late]).await;
    match &answer.results[0].outcome {
        OpOutcome::Rejected { code, reason } => {
            assert_eq!(*code, RejectCode::RowPurged);
            assert!(!reason.is_empty());
        }
        other => panic!("{other:?}"),
    }
    assert!(answer.results[0].fields.is_empty());
    assert_eq!(
        s.db.scalar(&format!(
            "SELECT count(*) FROM sync_rows WHERE row_id = '{purged}'"
        ))
        .await,
        0
    );
    let newcomer = device(&s).await;
    let (rows, _) = pull_all(&s, &newcomer, 0, 100).await;
    assert!(!rows.contains(&purged));
    assert!(rows.contains(&kept));
    // A retry of the deletion (its first answer lost) is still a duplicate, not a refusal.
    let again = s.push(&writer, vec![delete]).await;
    assert_eq!(again.results[0].outcome, OpOutcome::Duplicate);

    // The OpenAPI document tells the new answer.
    let doc: Value = s
        .client
        .get(s.url("/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let gone = &doc["paths"]["/v1/pull"]["post"]["responses"]["410"]["description"];
    assert!(
        gone.as_str().is_some_and(|d| d.contains("cursor_purged")),
        "{gone}"
    );
}

/// A writer that added and deleted one member, then pulled past the deletion and asked again
/// (so the server knows it holds it): the only active device, the deletion may be purged.
async fn a_deleted_member_pulled_past(s: &TestServer) -> String {
    let mut writer = device(s).await;
    let row = Uuid::now_v7().to_string();
    let add = writer.op(
        "member",
        &row,
        "member.add",
        &[("full_name", json!("Lê Văn Bình"))],
    );
    let delete = writer.op("member", &row, "member.delete", &[("deleted", json!(true))]);
    s.push(&writer, vec![add, delete]).await;
    let (_, cursor) = pull_all(s, &writer, 0, 100).await;
    assert_eq!(s.pull(&writer, cursor, 100).await.status(), 200);
    row
}

const BIN: &str = env!("CARGO_BIN_EXE_khuyenhoc-server");

/// Runs `khuyenhoc-server admin --db DB purge ARGS…`: its exit status and its stdout.
fn admin_purge(db: &TestDatabase, args: &[&str]) -> (bool, String) {
    let out = std::process::Command::new(BIN)
        .args(["admin", "--db", &db.arg(), "purge"])
        .args(args)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    (out.status.success(), String::from_utf8(out.stdout).unwrap())
}

/// `khuyenhoc-server admin purge` purges and prints what it did (rows, changes, purge point,
/// low-water mark, active devices, tab-separated); a horizon of 0 days is refused unchanged.
async fn the_admin_command_purges_and_says_what_it_did(db: TestDatabase) {
    let s = start_server(db).await;
    let row = a_deleted_member_pulled_past(&s).await;
    let (ok, out) = admin_purge(&s.db, &["--horizon-days", "0"]);
    assert!(!ok, "{out}");
    assert_eq!(s.db.scalar("SELECT count(*) FROM purged_rows").await, 0);

    let (ok, out) = admin_purge(&s.db, &["--horizon-days", "30"]);
    assert!(ok);
    let fields: Vec<&str> = out.trim().split('\t').collect();
    assert_eq!(fields.len(), 5, "{out}");
    assert_eq!((fields[0], fields[1], fields[4]), ("1", "2", "1"), "{out}");
    let purged_through: i64 = fields[2].parse().unwrap();
    assert!(purged_through > 0);
    assert_eq!(
        s.db.text_rows("SELECT row_id FROM purged_rows").await,
        vec![vec![row]]
    );
    // Nothing is left to purge the second time; the purge point stays.
    let (ok, again) = admin_purge(&s.db, &["--horizon-days", "30"]);
    assert!(ok);
    let again: Vec<&str> = again.trim().split('\t').collect();
    assert_eq!((again[0], again[1]), ("0", "0"));
    assert_eq!(again[2], purged_through.to_string());
}

/// A server started with a purge schedule purges by itself.
async fn a_serving_server_purges_on_its_schedule(db: TestDatabase) {
    let s = start_server_with(db, |config| {
        config.purge = Some(khuyenhoc_server::PurgeSchedule {
            every: std::time::Duration::from_millis(20),
            horizon_days: 90,
        });
    })
    .await;
    let row = a_deleted_member_pulled_past(&s).await;
    // The schedule's purge is the only one running: wait (bounded) until it has removed the row.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while s.db.scalar("SELECT count(*) FROM purged_rows").await == 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "no purge within a minute"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(
        s.db.scalar(&format!(
            "SELECT count(*) FROM changes WHERE row_id = '{row}'"
        ))
        .await,
        0
    );
}

test_on_both_databases!(
    a_cursor_below_the_purge_point_is_gone_and_the_purged_row_stays_gone,
    the_admin_command_purges_and_says_what_it_did,
    a_serving_server_purges_on_its_schedule
);
