//! Scopes follow the records, over real HTTP on SQLite and on PostgreSQL: a commune set up
//! offline binds to the server's commune by its official code; a branch lies where its commune
//! lies and a member where its branch lies, whoever wrote them (a branch added by the province
//! reaches the commune's laptops); a new row aimed at another commune is refused; a branch moved
//! to another commune takes its members, their dues and their history along — the old commune's
//! laptops are told each row left (a scope exit, no fields), the new commune's get every field —
//! and a move is authorised by the source scope: the old commune may no longer edit, the new one
//! may, and may send the member back, whole.

mod common;

use common::*;
use khuyenhoc_sync_protocol::{Change, FieldState, OpOutcome, RejectCode};
use serde_json::{Value, json};
use uuid::Uuid;

/// A province "01" with communes "26734" (Tân Hòa) and "26735" (Tân Lập), and a device in each.
async fn province(s: &TestServer) -> (HttpDevice, HttpDevice, HttpDevice) {
    s.admin.add_unit("01", "Tỉnh Thử", None).await.unwrap();
    for (code, name) in [("26734", "Xã Tân Hòa"), ("26735", "Xã Tân Lập")] {
        s.admin.add_unit(code, name, Some("01")).await.unwrap();
    }
    (
        s.device_in("01").await,
        s.device_in("26734").await,
        s.device_in("26735").await,
    )
}

fn id() -> String {
    Uuid::now_v7().to_string()
}

/// The commune row a laptop sets up offline (with the province row above it).
fn commune(
    d: &mut HttpDevice,
    code: &str,
    name: &str,
) -> (String, Vec<khuyenhoc_sync_protocol::Op>) {
    let (province, commune) = (id(), id());
    let ops = vec![
        d.op(
            "org_unit",
            &province,
            "unit.add",
            &[
                ("kind", json!("province")),
                ("name", json!("Hội Khuyến học tỉnh")),
                ("org_code", json!("01")),
            ],
        ),
        d.op(
            "org_unit",
            &commune,
            "unit.add",
            &[
                ("kind", json!("commune")),
                ("name", json!(name)),
                ("org_code", json!(code)),
                ("parent_id", json!(province)),
            ],
        ),
    ];
    (commune, ops)
}

fn branch(d: &mut HttpDevice, row: &str, parent: &str, name: &str) -> khuyenhoc_sync_protocol::Op {
    d.op(
        "org_unit",
        row,
        "unit.add",
        &[
            ("kind", json!("branch")),
            ("name", json!(name)),
            ("parent_id", json!(parent)),
        ],
    )
}

fn member(d: &mut HttpDevice, row: &str, branch: &str, name: &str) -> khuyenhoc_sync_protocol::Op {
    d.op(
        "member",
        row,
        "member.add",
        &[("unit_id", json!(branch)), ("full_name", json!(name))],
    )
}

fn applied(answer: &khuyenhoc_sync_protocol::PushResponse) {
    for r in &answer.results {
        assert!(
            matches!(r.outcome, OpOutcome::Applied),
            "{:?}",
            answer.results
        );
    }
}

fn refused_outside(answer: &khuyenhoc_sync_protocol::PushResponse) {
    match &answer.results[0].outcome {
        OpOutcome::Rejected { code, reason } => {
            assert_eq!(*code, RejectCode::OutsideScope);
            assert!(!reason.is_empty());
        }
        other => panic!("{other:?}"),
    }
}

/// The ids of the changes, and of the exits among them.
fn ids(changes: &[Change]) -> (Vec<&str>, Vec<&str>) {
    let all = changes.iter().map(|c| c.row_id.as_str()).collect();
    let exits = changes
        .iter()
        .filter(|c| c.scope_exit)
        .inspect(|c| assert!(c.fields.is_empty(), "an exit carries no fields"))
        .map(|c| c.row_id.as_str())
        .collect();
    (all, exits)
}

fn state<'a>(changes: &'a [Change], row: &str, name: &str) -> Option<&'a FieldState> {
    changes
        .iter()
        .rev()
        .filter(|c| c.row_id == row && !c.scope_exit)
        .find_map(|c| c.fields.get(name))
}

fn field<'a>(changes: &'a [Change], row: &str, name: &str) -> Option<&'a Value> {
    state(changes, row, name).map(|f| &f.value)
}

/// The version of a field as pulled (what an edit of it is based on).
fn seen(changes: &[Change], row: &str, name: &str) -> String {
    state(changes, row, name).unwrap().version.clone()
}

async fn rows_lie_where_their_fields_say(db: TestDatabase) {
    let s = start_server(db).await;
    let (mut p, mut a, mut b) = province(&s).await;
    let (tan_hoa, mut ops) = commune(&mut a, "26734", "Hội Khuyến học xã Tân Hòa");
    let (branch_a, member_a, dues) = (id(), id(), id());
    ops.push(branch(&mut a, &branch_a, &tan_hoa, "Chi hội thôn 1"));
    ops.push(member(&mut a, &member_a, &branch_a, "Nguyễn Văn An"));
    ops.push(a.op(
        "member_dues",
        &dues,
        "dues.add",
        &[
            ("member_id", json!(member_a)),
            ("year", json!(2026)),
            ("amount", json!(24000)),
        ],
    ));
    applied(&s.push(&a, ops).await);

    // The commune row is bound to the server's commune by its code; the province row, which the
    // commune may not write, stays with the commune; the rest follows it.
    let tan_hoa_unit =
        s.db.text_rows("SELECT CAST(id AS TEXT) FROM org_units WHERE org_code = '26734'")
            .await[0][0]
            .clone();
    let mut placed =
        s.db.text_rows(&format!(
            "SELECT row_id, CAST(scope_unit AS TEXT), coalesce(scope_parent, '-') FROM sync_rows
             WHERE row_id IN ('{tan_hoa}', '{branch_a}', '{member_a}', '{dues}')"
        ))
        .await;
    placed.sort();
    let mut expected = vec![
        vec![tan_hoa.clone(), tan_hoa_unit.clone(), "-".to_owned()],
        vec![branch_a.clone(), tan_hoa_unit.clone(), tan_hoa.clone()],
        vec![member_a.clone(), tan_hoa_unit.clone(), branch_a.clone()],
        vec![dues.clone(), tan_hoa_unit.clone(), member_a.clone()],
    ];
    expected.sort();
    assert_eq!(placed, expected);

    // A branch the province adds under the commune reaches the commune's laptops, not the other
    // commune's.
    let (province_branch, province_member) = (id(), id());
    let ops = vec![
        branch(&mut p, &province_branch, &tan_hoa, "Chi hội trường học"),
        member(&mut p, &province_member, &province_branch, "Trần Thị Bình"),
    ];
    applied(&s.push(&p, ops).await);
    let (seen, _) = s.pull_all(&a, 0, 100).await;
    let (seen, exits) = ids(&seen);
    assert!(seen.contains(&province_branch.as_str()) && seen.contains(&province_member.as_str()));
    assert!(exits.is_empty());
    let (seen_b, _) = s.pull_all(&b, 0, 100).await;
    assert!(seen_b.is_empty(), "{seen_b:?}");

    // Tân Lập may not add a member to a branch of Tân Hòa, nor edit one.
    let rows_before = s.db.scalar("SELECT count(*) FROM sync_rows").await;
    let intruder = id();
    let add = member(&mut b, &intruder, &branch_a, "Lê Văn Cường");
    refused_outside(&s.push(&b, vec![add]).await);
    let edit = b.edit("member", &member_a, &[("phone", json!("0912000000"))], "0");
    refused_outside(&s.push(&b, vec![edit]).await);
    assert_eq!(
        s.db.scalar("SELECT count(*) FROM sync_rows").await,
        rows_before
    );
    let (seen_b, _) = s.pull_all(&b, 0, 100).await;
    assert!(seen_b.is_empty(), "{seen_b:?}");
}

async fn a_moved_branch_takes_its_members_along(db: TestDatabase) {
    let s = start_server(db).await;
    let (p, mut a, mut b) = province(&s).await;
    let (tan_hoa, mut ops) = commune(&mut a, "26734", "Hội Khuyến học xã Tân Hòa");
    let (branch_a, staying, m1, m2, dues, event) = (id(), id(), id(), id(), id(), id());
    ops.push(branch(&mut a, &branch_a, &tan_hoa, "Chi hội thôn 3"));
    ops.push(branch(&mut a, &staying, &tan_hoa, "Chi hội thôn 1"));
    ops.push(member(&mut a, &m1, &branch_a, "Nguyễn Văn An"));
    ops.push(member(&mut a, &m2, &branch_a, "Phạm Thị Hoa"));
    ops.push(a.op(
        "member_dues",
        &dues,
        "dues.add",
        &[
            ("member_id", json!(m1)),
            ("year", json!(2026)),
            ("amount", json!(24000)),
        ],
    ));
    ops.push(a.op(
        "member_status_event",
        &event,
        "member.status",
        &[
            ("member_id", json!(m1)),
            ("status", json!("active")),
            ("effective_date", json!("2026-01-05")),
        ],
    ));
    applied(&s.push(&a, ops).await);
    let (tan_lap, ops) = commune(&mut b, "26735", "Hội Khuyến học xã Tân Lập");
    applied(&s.push(&b, ops).await);
    let (a_saw, a_cursor) = s.pull_all(&a, 0, 100).await;
    let (_, b_cursor) = s.pull_all(&b, 0, 100).await;
    let (_, p_cursor) = s.pull_all(&p, 0, 100).await;

    // Thôn 3 joins Tân Lập (the communes merged their borders): Tân Hòa sends it there.
    let base = seen(&a_saw, &branch_a, "parent_id");
    let moving = a.edit(
        "org_unit",
        &branch_a,
        &[("parent_id", json!(tan_lap))],
        &base,
    );
    applied(&s.push(&a, vec![moving]).await);

    // Tân Hòa's laptops are told each row left, in pages of two, and nothing else.
    let (left, a_cursor) = s.pull_all(&a, a_cursor, 2).await;
    let (all, exits) = ids(&left);
    assert_eq!(all, exits, "only exits: {left:?}");
    let mut exits: Vec<&str> = exits;
    exits.sort();
    let mut moved = vec![
        branch_a.as_str(),
        m1.as_str(),
        m2.as_str(),
        dues.as_str(),
        event.as_str(),
    ];
    moved.sort();
    assert_eq!(exits, moved);
    // Tân Lập's get every field of each (it never saw them before), and no exit.
    let (came, b_cursor) = s.pull_all(&b, b_cursor, 2).await;
    let (all, exits) = ids(&came);
    assert!(exits.is_empty());
    for row in &moved {
        assert!(all.contains(row), "{row} reached Tân Lập");
    }
    assert!(!all.contains(&staying.as_str()) && !all.contains(&tan_hoa.as_str()));
    assert_eq!(
        field(&came, &m1, "full_name"),
        Some(&json!("Nguyễn Văn An"))
    );
    assert_eq!(field(&came, &m1, "unit_id"), Some(&json!(branch_a)));
    assert_eq!(
        field(&came, &branch_a, "name"),
        Some(&json!("Chi hội thôn 3"))
    );
    assert_eq!(field(&came, &branch_a, "parent_id"), Some(&json!(tan_lap)));
    assert_eq!(field(&came, &dues, "amount"), Some(&json!(24000)));
    assert_eq!(field(&came, &event, "status"), Some(&json!("active")));
    // The province sees both communes: no exit, just the new state.
    let (province_saw, _) = s.pull_all(&p, p_cursor, 100).await;
    assert!(ids(&province_saw).1.is_empty());

    // Tân Hòa may no longer edit the member; Tân Lập may, and Tân Hòa hears nothing of it.
    let late = a.op(
        "member",
        &m1,
        "member.update",
        &[("phone", json!("0912000001"))],
    );
    refused_outside(&s.push(&a, vec![late]).await);
    let phone = b.op(
        "member",
        &m1,
        "member.update",
        &[("phone", json!("0988000002"))],
    );
    applied(&s.push(&b, vec![phone]).await);
    let (nothing, a_cursor) = s.pull_all(&a, a_cursor, 100).await;
    assert!(nothing.is_empty(), "{nothing:?}");

    // Tân Lập sends An back to Tân Hòa's thôn 1: Tân Hòa gets An whole, with Tân Lập's edit,
    // and the dues and history with it; Tân Lập is told they left.
    let base = seen(&came, &m1, "unit_id");
    let back = b.edit("member", &m1, &[("unit_id", json!(staying))], &base);
    applied(&s.push(&b, vec![back]).await);
    let (returned, _) = s.pull_all(&a, a_cursor, 100).await;
    let (all, exits) = ids(&returned);
    assert!(exits.is_empty(), "{returned:?}");
    let mut all: Vec<&str> = all;
    all.sort();
    let mut expected = vec![m1.as_str(), dues.as_str(), event.as_str()];
    expected.sort();
    assert_eq!(all, expected);
    assert_eq!(field(&returned, &m1, "phone"), Some(&json!("0988000002")));
    assert_eq!(
        field(&returned, &m1, "full_name"),
        Some(&json!("Nguyễn Văn An"))
    );
    assert_eq!(field(&returned, &m1, "unit_id"), Some(&json!(staying)));
    // Tân Lập pulls its own phone edit, then the three exits.
    let (gone, _) = s.pull_all(&b, b_cursor, 100).await;
    let (all, mut exits) = ids(&gone);
    assert_eq!(all.len(), 4, "{gone:?}");
    assert_eq!(field(&gone[..1], &m1, "phone"), Some(&json!("0988000002")));
    exits.sort();
    assert_eq!(exits, expected);
}

/// A new member refused (its branch moved to another commune meanwhile) and an edit of it sent
/// in the same push: both are refused, and the server holds no half record; a retry of the push
/// is answered the same.
async fn an_edit_behind_a_refused_create_in_one_push_is_refused_too(db: TestDatabase) {
    let s = start_server(db).await;
    let (mut p, mut a, mut b) = province(&s).await;
    let (tan_hoa, mut ops) = commune(&mut a, "26734", "Hội Khuyến học xã Tân Hòa");
    let thon = id();
    ops.push(branch(&mut a, &thon, &tan_hoa, "Chi hội thôn 4"));
    applied(&s.push(&a, ops).await);
    let (tan_lap, ops) = commune(&mut b, "26735", "Hội Khuyến học xã Tân Lập");
    applied(&s.push(&b, ops).await);
    let (saw, _) = s.pull_all(&p, 0, 100).await;
    let base = seen(&saw, &thon, "parent_id");
    let moving = p.edit("org_unit", &thon, &[("parent_id", json!(tan_lap))], &base);
    applied(&s.push(&p, vec![moving]).await);

    // Tân Hòa, offline, added a member to thôn 4 and then gave it a phone.
    let newcomer = id();
    let ops = vec![
        member(&mut a, &newcomer, &thon, "Đỗ Thị Mai"),
        a.op(
            "member",
            &newcomer,
            "member.update",
            &[("phone", json!("0912000009"))],
        ),
    ];
    for attempt in 0..2 {
        let answer = s.push(&a, ops.clone()).await;
        for r in &answer.results {
            match &r.outcome {
                OpOutcome::Rejected { code, .. } => assert_eq!(*code, RejectCode::OutsideScope),
                other => panic!("attempt {attempt}: {other:?}"),
            }
        }
    }
    assert_eq!(
        s.db.scalar(&format!(
            "SELECT count(*) FROM sync_rows WHERE row_id = '{newcomer}'"
        ))
        .await,
        0,
        "half a record"
    );
}

/// Two edits, in one push, of a member the province merged meanwhile into her record in another
/// commune (she moved): the first lands on that record and is refused there (outside the
/// laptop's commune), the second is refused behind it; both are told where they would have
/// landed and the member's own fields as the server holds them, so the laptop puts them back.
async fn edits_behind_a_refused_redirect_are_told_what_to_put_back(db: TestDatabase) {
    let s = start_server(db).await;
    let (mut p, mut a, mut b) = province(&s).await;
    let (mai, mai_there) = (id(), id());
    let (tan_hoa, mut ops) = commune(&mut a, "26734", "Hội Khuyến học xã Tân Hòa");
    let thon1 = id();
    ops.push(branch(&mut a, &thon1, &tan_hoa, "Chi hội thôn 1"));
    ops.push(member(&mut a, &mai, &thon1, "Đỗ Thị Mai"));
    applied(&s.push(&a, ops).await);
    let (tan_lap, mut ops) = commune(&mut b, "26735", "Hội Khuyến học xã Tân Lập");
    let thon2 = id();
    ops.push(branch(&mut b, &thon2, &tan_lap, "Chi hội thôn 2"));
    ops.push(member(&mut b, &mai_there, &thon2, "Đỗ Thị Mai"));
    applied(&s.push(&b, ops).await);
    let (saw, _) = s.pull_all(&p, 0, 100).await;
    let base = seen(&saw, &mai, "full_name");
    let merging = p.edit("member", &mai, &[("merged_into", json!(mai_there))], &base);
    applied(&s.push(&p, vec![merging]).await);

    let ops = vec![
        a.op(
            "member",
            &mai,
            "member.update",
            &[("phone", json!("0912000009"))],
        ),
        a.op(
            "member",
            &mai,
            "member.update",
            &[("full_name", json!("Đỗ Thị Mại"))],
        ),
    ];
    let answer = s.push(&a, ops).await;
    for r in &answer.results {
        assert!(
            matches!(
                r.outcome,
                OpOutcome::Rejected {
                    code: RejectCode::OutsideScope,
                    ..
                }
            ),
            "{r:?}"
        );
        let landed = r.landed.as_ref().expect("where it would have landed");
        assert_eq!(landed.row_id, mai_there);
        assert!(
            r.fields.is_empty(),
            "that record is not this laptop's to see"
        );
    }
    let own = &answer.results[1].landed.as_ref().unwrap().own_fields;
    assert_eq!(own["full_name"].value, json!("Đỗ Thị Mai"));
    assert_eq!(own["full_name"].version, base);
}

test_on_both_databases!(
    edits_behind_a_refused_redirect_are_told_what_to_put_back,
    an_edit_behind_a_refused_create_in_one_push_is_refused_too,
    rows_lie_where_their_fields_say,
    a_moved_branch_takes_its_members_along,
);
