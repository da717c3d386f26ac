//! Push and pull under load, on SQLite and on PostgreSQL: versions become visible in order
//! while many devices push at once (a continuous puller never skips one and ends with every
//! change exactly once), and two servers over one database act as one (push to one, pull from
//! the other).

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use common::*;
use jiff::{SignedDuration, Timestamp};
use khuyenhoc_server::storage::{
    self, AuthenticatedDevice, Enrollment, NewEnrollmentCode, ServerStorage,
};
use khuyenhoc_server::{ServerConfig, start};
use khuyenhoc_sync_protocol::{
    OP_FORMAT, Op, OpField, OpOutcome, PullPage, PullRequest, PushRequest, PushResponse,
};
use uuid::Uuid;

/// A new member row created by `device` under sequence `seq`.
fn new_member(device: Uuid, seq: i64) -> Op {
    let op_id = Uuid::now_v7();
    Op {
        op_id: op_id.to_string(),
        device_id: device.to_string(),
        device_seq: seq,
        op_format: OP_FORMAT,
        entity: "member".into(),
        row_id: Uuid::now_v7().to_string(),
        intent: "member.add".into(),
        fields: BTreeMap::from([(
            "full_name".to_owned(),
            OpField {
                value: format!("Hội viên {seq}").into(),
                base: None,
            },
        )]),
        author: "lan".into(),
        version: format!("{:020}-{device}", Timestamp::now().as_nanosecond()),
    }
}

/// Enrolls a device in the unit `unit_code` straight through the storage.
async fn device_in(s: &Arc<dyn ServerStorage>, unit_code: &str) -> AuthenticatedDevice {
    let unit = s.unit_by_code(unit_code).await.unwrap().unwrap();
    let code_hash: [u8; 32] = *Uuid::now_v7().as_bytes().repeat(2).first_chunk().unwrap();
    let now = Timestamp::now();
    s.create_enrollment_code(NewEnrollmentCode {
        code_hash,
        unit_id: unit.id,
        created_at: now,
        expires_at: now + SignedDuration::from_hours(1),
    })
    .await
    .unwrap();
    let device_id = Uuid::now_v7();
    let unit = s
        .enroll(Enrollment {
            code_hash,
            device_id,
            device_name: format!("Laptop {device_id}"),
            public_key: [7; 32],
            token_hash: *Uuid::now_v7().as_bytes().repeat(2).first_chunk().unwrap(),
            now,
            org_code: None,
            token_expired_before: None,
        })
        .await
        .unwrap();
    AuthenticatedDevice {
        device_id,
        device_name: format!("Laptop {device_id}"),
        unit,
    }
}

const PUSHERS: usize = 4;
const PUSHES_EACH: i64 = 40;

async fn versions_are_seen_in_order_while_many_devices_push(db: TestDatabase) {
    let s = storage::open(db.db()).await.unwrap();
    s.add_unit(storage::NewOrgUnit {
        org_code: "45".into(),
        name: "Tỉnh Quảng Trị".into(),
        parent_code: None,
    })
    .await
    .unwrap();
    s.add_unit(storage::NewOrgUnit {
        org_code: "26734".into(),
        name: "Xã Tân Hòa".into(),
        parent_code: Some("45".into()),
    })
    .await
    .unwrap();
    let reader = device_in(&s, "45").await;

    // Several devices, many small pushes each (1 to 3 ops), all at once.
    let mut pushers = Vec::new();
    for _ in 0..PUSHERS {
        let device = device_in(&s, "26734").await;
        let s = Arc::clone(&s);
        pushers.push(tokio::spawn(async move {
            let mut rows = Vec::new();
            let mut seq = 0;
            for push in 0..PUSHES_EACH {
                let ops: Vec<Op> = (0..=push % 3)
                    .map(|_| {
                        seq += 1;
                        new_member(device.device_id, seq)
                    })
                    .collect();
                rows.extend(ops.iter().map(|op| op.row_id.clone()));
                let answer = s.push(device.clone(), ops, Timestamp::now()).await.unwrap();
                assert!(
                    answer
                        .results
                        .iter()
                        .all(|r| r.outcome == OpOutcome::Applied)
                );
                assert_eq!(answer.high_water, seq);
            }
            rows
        }));
    }

    // A puller reading small pages the whole time, as a laptop of the province would.
    let done = Arc::new(AtomicBool::new(false));
    let puller = {
        let s = Arc::clone(&s);
        let done = Arc::clone(&done);
        tokio::spawn(async move {
            let mut cursor = 0;
            let mut seen = Vec::new();
            let mut pulls = 0;
            loop {
                // Read before the pull: once every push has ended, the next pull sees them all.
                let finished = done.load(Ordering::SeqCst);
                let page = s
                    .pull(reader.clone(), cursor, 7, Timestamp::now())
                    .await
                    .unwrap();
                pulls += 1;
                let mut last = cursor;
                for change in &page.changes {
                    assert!(
                        change.version > last,
                        "versions out of order: {} after {last}",
                        change.version
                    );
                    last = change.version;
                    seen.push(change.row_id.clone());
                }
                assert!(page.cursor >= cursor, "the cursor went back");
                cursor = page.cursor;
                if finished && !page.more {
                    break (seen, pulls);
                }
                tokio::task::yield_now().await;
            }
        })
    };

    let mut pushed = Vec::new();
    for p in pushers {
        pushed.extend(p.await.unwrap());
    }
    done.store(true, Ordering::SeqCst);
    let (seen, pulls) = puller.await.unwrap();

    let expected = PUSHERS * (PUSHES_EACH as usize / 3 * 6 + [0, 1, 3][PUSHES_EACH as usize % 3]);
    assert_eq!(pushed.len(), expected);
    assert!(pulls > 1, "the puller ran alongside the pushes");
    assert_eq!(
        seen.len(),
        pushed.len(),
        "a change was skipped or seen twice"
    );
    let seen_set: BTreeSet<_> = seen.iter().collect();
    assert_eq!(seen_set.len(), seen.len(), "a change was seen twice");
    assert_eq!(
        seen_set,
        pushed.iter().collect(),
        "the puller missed changes"
    );
}

/// POSTs `body` as the device with `token` to the server at `base`; the answer must be 200.
async fn post<T: serde::de::DeserializeOwned>(
    s: &TestServer,
    base: &str,
    path: &str,
    token: &str,
    body: &impl serde::Serialize,
) -> T {
    let resp = s
        .client
        .post(format!("{base}{path}"))
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200, "{path}");
    resp.json().await.unwrap()
}

async fn two_servers_over_one_database_act_as_one(db: TestDatabase) {
    let a = start_server(db).await;
    let b = start(ServerConfig::new(
        "127.0.0.1:0".parse().unwrap(),
        a.db.db().clone(),
    ))
    .await
    .unwrap();
    assert_eq!(
        b.epoch,
        a.server.as_ref().unwrap().epoch,
        "one database, one epoch"
    );
    let b_url = format!("http://{}", b.addr);

    // Enrolled through A, known to B.
    let code = a.commune_and_code().await;
    let device = Uuid::now_v7();
    let enrolled: serde_json::Value = a
        .enroll(&enroll_body(&code, device))
        .await
        .json()
        .await
        .unwrap();
    let token = enrolled["token"].as_str().unwrap().to_owned();
    let me = a
        .client
        .get(format!("{b_url}/v1/whoami"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 200);

    // Pushed to A, pulled from B.
    let ops: Vec<Op> = (1..=3).map(|seq| new_member(device, seq)).collect();
    let push = PushRequest {
        op_format: OP_FORMAT,
        device_id: device.to_string(),
        ops: ops.clone(),
    };
    let pushed: PushResponse = post(&a, &a.base, "/v1/push", &token, &push).await;
    assert_eq!(pushed.high_water, 3);
    let pull = PullRequest {
        op_format: OP_FORMAT,
        cursor: 0,
        limit: 100,
    };
    let page: PullPage = post(&a, &b_url, "/v1/pull", &token, &pull).await;
    let rows: Vec<_> = page.changes.iter().map(|c| c.row_id.clone()).collect();
    assert_eq!(
        rows,
        ops.iter().map(|o| o.row_id.clone()).collect::<Vec<_>>()
    );
    assert_eq!(page.epoch, pushed.epoch);

    // The same push retried through B is a duplicate, not a second copy.
    let again: PushResponse = post(&a, &b_url, "/v1/push", &token, &push).await;
    assert!(
        again
            .results
            .iter()
            .all(|r| r.outcome == OpOutcome::Duplicate)
    );
    assert_eq!(a.db.scalar("SELECT count(*) FROM changes").await, 3);
    b.shutdown().await.unwrap();
}

/// One push holding a new row and an edit of it, the same op again under a new sequence (a
/// renumbered copy) and an op of an unknown kind: each answered as if sent alone, in order; the
/// whole push retried is acknowledged again, the refusal included, and applies nothing twice.
async fn one_push_is_decided_op_by_op(db: TestDatabase) {
    let s = storage::open(db.db()).await.unwrap();
    s.add_unit(storage::NewOrgUnit {
        org_code: "26734".into(),
        name: "Xã Tân Hòa".into(),
        parent_code: None,
    })
    .await
    .unwrap();
    let device = device_in(&s, "26734").await;
    let created = new_member(device.device_id, 1);
    let mut edited = new_member(device.device_id, 2);
    edited.row_id = created.row_id.clone();
    edited.intent = "member.update".into();
    edited.fields = BTreeMap::from([(
        "full_name".to_owned(),
        OpField {
            value: "Nguyễn Văn Anh".into(),
            base: Some(created.version.clone()),
        },
    )]);
    let mut renumbered = created.clone();
    renumbered.device_seq = 3;
    let mut unknown = new_member(device.device_id, 4);
    unknown.entity = "fund_entry_v9".into();
    let ops = vec![created.clone(), edited.clone(), renumbered, unknown];

    for attempt in 0..2 {
        let answer = s
            .push(device.clone(), ops.clone(), Timestamp::now())
            .await
            .unwrap();
        let outcomes: Vec<_> = answer.results.iter().map(|r| &r.outcome).collect();
        if attempt == 0 {
            assert_eq!(outcomes[0], &OpOutcome::Applied);
            assert_eq!(outcomes[1], &OpOutcome::Applied);
        } else {
            assert_eq!(outcomes[0], &OpOutcome::Duplicate);
            assert_eq!(outcomes[1], &OpOutcome::Duplicate);
        }
        assert_eq!(outcomes[2], &OpOutcome::Duplicate, "attempt {attempt}");
        assert!(
            matches!(outcomes[3], OpOutcome::Rejected { code, .. } if *code == khuyenhoc_sync_protocol::RejectCode::UnknownEntity),
            "attempt {attempt}: {:?}",
            outcomes[3]
        );
        // The duplicate answers with the row as it now stands: the edit of the same push.
        assert_eq!(
            answer.results[2].fields["full_name"].value, "Nguyễn Văn Anh",
            "attempt {attempt}"
        );
        assert_eq!(answer.high_water, 4);
    }
    let page = s
        .pull(device.clone(), 0, 100, Timestamp::now())
        .await
        .unwrap();
    let seen: Vec<_> = page
        .changes
        .iter()
        .map(|c| (c.row_id.clone(), c.fields["full_name"].value.clone()))
        .collect();
    assert_eq!(
        seen,
        [
            (created.row_id.clone(), "Hội viên 1".into()),
            (created.row_id.clone(), "Nguyễn Văn Anh".into()),
        ]
    );
    assert!(page.changes[0].version < page.changes[1].version);
    // The renumbered copy is answered, not kept under its second sequence (as on SQLite).
    assert_eq!(db.scalar("SELECT count(*) FROM ops_received").await, 3);
    assert_eq!(db.scalar("SELECT count(*) FROM sync_rows").await, 1);
}

test_on_both_databases!(
    one_push_is_decided_op_by_op,
    versions_are_seen_in_order_while_many_devices_push,
    two_servers_over_one_database_act_as_one,
);
