//! Keeping sync healthy: one sync at a time, the laptop's clock against the server's, a server
//! restored from an older backup given back what it lost, old acknowledged ops purged, and the
//! hybrid clock moved on from the server's time.

mod common;

use common::answers::*;
use common::{count, fixture, person};
use khuyenhoc_domain::Hlc;
use khuyenhoc_store::{CLOCK_WARNING_MS, Store};
use khuyenhoc_sync_protocol::RejectCode;

const RESTORED: &str = "0195f0a0-0000-7000-8000-000000000002";

fn now_ms() -> u64 {
    jiff::Timestamp::now().as_millisecond() as u64
}

fn acked(store: &Store) -> i64 {
    count(store, "SELECT count(*) FROM outbox WHERE acked = 1")
}

#[test]
fn an_answer_from_a_restored_server_changes_nothing_then_acknowledged_ops_go_again() {
    let f = fixture();
    let mut store = f.store;
    let hoa = store
        .add_member(&f.branch_a.id, &person("Đỗ Thị Hoa"))
        .unwrap();
    push_all(&mut store);
    // One op refused by the server: it stays parked, not sent again.
    let mut input = store.member_input(&hoa.id).unwrap().1;
    input.full_name = "Đỗ Thị Huệ".into();
    store.update_member(&hoa.id, &input, None).unwrap();
    let refused = store.next_push(10).unwrap().remove(0);
    store
        .apply_push_response(&refusal(
            &refused,
            RejectCode::OutsideScope,
            "ngoài phạm vi",
            "Đỗ Thị Hoa",
            &refused.version,
        ))
        .unwrap();
    store
        .add_member(&f.branch_b.id, &person("Lê Văn Nam"))
        .unwrap();
    let sent_before = acked(&store);
    let pending = store.next_push(100).unwrap();
    assert!(!pending.is_empty());

    let mut from_restored = answer(pending.iter().map(applied).collect());
    from_restored.epoch = RESTORED.into();
    let err = store.apply_push_response(&from_restored).unwrap_err();
    assert_eq!(err.code(), khuyenhoc_store::SERVER_EPOCH_CHANGED);
    assert_eq!(
        acked(&store),
        sent_before,
        "the refused answer acknowledged nothing"
    );
    assert_eq!(store.next_push(100).unwrap(), pending);

    let mut restored_page = page(5, vec![]);
    restored_page.epoch = RESTORED.into();
    store.apply_pull_page(&restored_page).unwrap_err();
    let repaired = store.restart_with_restored_server(RESTORED).unwrap();
    // Every acknowledged op but the parked one goes again, under its own sequence and id.
    assert_eq!(repaired.requeued as i64, sent_before - 1);
    let status = store.sync_status().unwrap();
    assert_eq!(status.server_epoch.as_deref(), Some(RESTORED));
    assert_eq!(status.pull_cursor, 0);
    let again = store.next_push(100).unwrap();
    assert_eq!(again.len() as i64, sent_before - 1 + pending.len() as i64);
    assert!(again.windows(2).all(|w| w[0].device_seq < w[1].device_seq));
    assert!(again.iter().all(|op| op.op_id != refused.op_id));
    assert!(again.ends_with(&pending));
    // The restored server's answers are taken now.
    store
        .apply_push_response(&{
            let mut a = answer(again.iter().map(applied).collect());
            a.epoch = RESTORED.into();
            a
        })
        .unwrap();
    assert_eq!(store.sync_status().unwrap().pending, 0);
    // A refused op waiting for a person outlives the purge of acknowledged ops.
    store.set_local_setting("sync_keep_days", "0").unwrap();
    store.purge_acknowledged_ops().unwrap();
    assert_eq!(count(&store, "SELECT count(*) FROM outbox"), 1);
    assert_eq!(store.parked_rows().unwrap().len(), 1);
}

#[test]
fn a_laptop_clock_a_day_off_is_reported_and_a_right_one_is_not() {
    let f = fixture();
    let mut store = f.store;
    assert_eq!(store.sync_status().unwrap().clock_offset_ms, None);
    let two_days = 2 * CLOCK_WARNING_MS as u64;
    let mut ahead = answer(vec![]);
    ahead.server_time_ms = now_ms() + two_days;
    store.apply_push_response(&ahead).unwrap();
    let status = store.sync_status().unwrap();
    assert!(status.clock_warning);
    let offset = status.clock_offset_ms.unwrap();
    assert!(
        offset > CLOCK_WARNING_MS && offset <= two_days as i64,
        "{offset}"
    );

    let mut right = page(0, vec![]);
    right.server_time_ms = now_ms();
    store.apply_pull_page(&right).unwrap();
    let status = store.sync_status().unwrap();
    assert!(!status.clock_warning);
    assert!(status.clock_offset_ms.unwrap().abs() < CLOCK_WARNING_MS);
}

/// The wall part of the version the laptop's newest op was written at.
fn newest_op_wall_ms(store: &Store) -> u64 {
    let version: String = store
        .connection()
        .query_row(
            "SELECT version FROM outbox ORDER BY device_seq DESC LIMIT 1",
            [],
            |r| r.get(0),
        )
        .unwrap();
    Hlc::from_stamp(&version).unwrap().wall_ms
}

#[test]
fn the_clock_moves_on_from_the_servers_time_at_each_sync_and_keeps_it_after_a_restart() {
    let f = fixture();
    let mut store = f.store;
    let day = CLOCK_WARNING_MS as u64;
    // A laptop whose clock is behind: after a push answer, what it writes is ordered after
    // the server's time, not its own.
    let mut answer_ = answer(vec![]);
    answer_.server_time_ms = now_ms() + 2 * day;
    store.apply_push_response(&answer_).unwrap();
    store
        .add_member(&f.branch_a.id, &person("Đỗ Thị Hoa"))
        .unwrap();
    assert!(newest_op_wall_ms(&store) >= answer_.server_time_ms);

    // The same after a pulled page, and the clock never goes back when the server is behind.
    let mut ahead = page(0, vec![]);
    ahead.server_time_ms = now_ms() + 3 * day;
    store.apply_pull_page(&ahead).unwrap();
    let mut behind = page(0, vec![]);
    behind.server_time_ms = now_ms();
    store.apply_pull_page(&behind).unwrap();
    store
        .add_member(&f.branch_a.id, &person("Lê Văn Nam"))
        .unwrap();
    assert!(newest_op_wall_ms(&store) >= ahead.server_time_ms);

    // The clock is kept in the file: reopened, the laptop still writes after what it saw.
    drop(store);
    let mut store = Store::open(&f.path, Default::default()).unwrap();
    store
        .add_member(&f.branch_b.id, &person("Trần Thị Mai"))
        .unwrap();
    assert!(newest_op_wall_ms(&store) >= ahead.server_time_ms);
}

#[test]
fn acknowledged_ops_are_kept_for_the_set_number_of_days_then_purged() {
    let f = fixture();
    let mut store = f.store;
    store
        .add_member(&f.branch_a.id, &person("Đỗ Thị Hoa"))
        .unwrap();
    push_all(&mut store);
    store
        .add_member(&f.branch_a.id, &person("Lê Văn Nam"))
        .unwrap();
    let kept = acked(&store);
    assert!(kept > 0);
    assert_eq!(
        store.purge_acknowledged_ops().unwrap(),
        0,
        "90 days by default"
    );
    assert_eq!(acked(&store), kept);

    store.set_local_setting("sync_keep_days", "0").unwrap();
    assert_eq!(store.purge_acknowledged_ops().unwrap() as i64, kept);
    assert_eq!(acked(&store), 0);
    assert_eq!(
        store.sync_status().unwrap().pending,
        1,
        "unsent ops are never purged"
    );
}

#[test]
fn one_sync_at_a_time_per_database() {
    let f = fixture();
    let turn = f.store.sync_turn().unwrap();
    // Another process (the CLI beside the app) opens the same file and asks for the turn.
    let other = Store::open(&f.path, Default::default()).unwrap();
    assert_eq!(other.sync_turn().unwrap_err().code(), "sync_running");
    drop(turn);
    other.sync_turn().unwrap();
}

#[test]
fn a_server_ahead_of_the_counter_is_refused_and_a_new_identity_keeps_every_unsent_op() {
    let f = fixture();
    let mut store = f.store;
    store
        .add_member(&f.branch_a.id, &person("Đỗ Thị Hoa"))
        .unwrap();
    let pending = store.next_push(100).unwrap();
    let next = pending.last().unwrap().device_seq + 1;
    let mut ahead = answer(pending.iter().map(applied).collect());
    ahead.high_water = next;
    let err = store.apply_push_response(&ahead).unwrap_err();
    assert_eq!(err.code(), khuyenhoc_store::SEQUENCE_BEHIND);
    assert_eq!(acked(&store), 0, "nothing of that answer is taken");

    let old = store.device_id();
    let new = store.take_new_identity_after_reuse().unwrap();
    assert_ne!(new, old);
    assert_eq!(store.device_id(), new);
    let again = store.next_push(100).unwrap();
    assert_eq!(again.len(), pending.len());
    assert!(
        again
            .iter()
            .zip(&pending)
            .all(|(a, p)| a.op_id == p.op_id && a.device_id == new.to_string())
    );
    assert_eq!(
        again.iter().map(|o| o.device_seq).collect::<Vec<_>>(),
        (1..=pending.len() as i64).collect::<Vec<_>>()
    );
    // Reopened, the file keeps the new identity.
    drop(store);
    let store = Store::open(&f.path, Default::default()).unwrap();
    assert_eq!(store.device_id(), new);
}

#[test]
fn fields_and_records_a_newer_version_sends_are_kept_not_refused() {
    let f = fixture();
    let mut store = f.store;
    let m = store
        .add_member(&f.branch_a.id, &person("Đỗ Thị Hoa"))
        .unwrap();
    push_all(&mut store);
    let id = m.id.to_string();
    let v = stamp(9_000_000_000_000);
    let newer = stamp(9_000_000_000_001);
    let mut scholarship = member_change(8, "0195f0a0-0000-7000-8000-00000000beef", &[]);
    scholarship.entity = "scholarship".into();
    scholarship
        .fields
        .insert("amount".into(), state(serde_json::json!(2_000_000), &v));
    let report = store
        .apply_pull_page(&page(
            8,
            vec![
                member_change(
                    7,
                    &id,
                    &[
                        ("phone", serde_json::json!("0912345678"), &v),
                        ("nickname", serde_json::json!("Hoa nhỏ"), &v),
                    ],
                ),
                scholarship,
            ],
        ))
        .unwrap();
    assert_eq!(report.fields.fields_unknown, 2);
    assert_eq!(store.sync_status().unwrap().pull_cursor, 8);
    assert_eq!(
        store.get_member(&m.id).unwrap().phone.as_deref(),
        Some("0912345678"),
        "the known field of the same change is applied"
    );
    let kept = |store: &Store| -> Vec<(String, String, String)> {
        let mut stmt = store
            .connection()
            .prepare("SELECT entity, field, value FROM sync_unknown_fields ORDER BY entity")
            .unwrap();
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    assert_eq!(
        kept(&store),
        [
            ("member".into(), "nickname".into(), "\"Hoa nhỏ\"".into()),
            ("scholarship".into(), "amount".into(), "2000000".into())
        ]
    );
    // A later version of an unknown field replaces the kept one; an older one does not.
    for (version, name) in [(&newer, "Hoa"), (&v, "Hoa cũ")] {
        store
            .apply_pull_page(&page(
                9,
                vec![member_change(
                    9,
                    &id,
                    &[("nickname", serde_json::json!(name), version)],
                )],
            ))
            .unwrap();
    }
    assert_eq!(kept(&store)[0].2, "\"Hoa\"");
}
