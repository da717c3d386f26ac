//! The member register: validation messages, status history, dues, masking, search and order.

mod common;

use common::{fixture, person};
use khuyenhoc_domain::{Dong, Lang, MemberInput, MemberStatus};
use khuyenhoc_store::MemberQuery;

#[test]
fn bad_fields_get_vietnamese_messages_and_change_nothing() {
    let f = fixture();
    let mut store = f.store;
    let stats = store.outbox_stats().unwrap();
    let err = store
        .add_member(
            &f.branch_a.id,
            &MemberInput {
                birth: Some("31/02/1990".into()),
                phone: Some("12".into()),
                ..person("Nguyễn Văn 3")
            },
        )
        .unwrap_err();
    let msg = err.message(Lang::Vi);
    assert!(
        msg.contains("Họ và tên") && msg.contains("Ngày sinh") && msg.contains("Số điện thoại"),
        "{msg}"
    );
    assert!(
        !err.to_string().contains("Nguyễn"),
        "logs carry no personal data: {err}"
    );
    assert_eq!(store.outbox_stats().unwrap(), stats);
}

#[test]
fn status_changes_are_kept_as_history() {
    let f = fixture();
    let mut store = f.store;
    let m = store
        .add_member(&f.branch_a.id, &person("Nguyễn Văn An"))
        .unwrap();
    store
        .set_member_status(
            &m.id,
            MemberStatus::MovedAway,
            Some("15/03/2025"),
            Some("Chuyển vào Bình Dương"),
        )
        .unwrap();
    store
        .set_member_status(&m.id, MemberStatus::Active, Some("01/09/2025"), None)
        .unwrap();
    let got = store
        .set_member_status(&m.id, MemberStatus::Deceased, Some("20/10/2026"), None)
        .unwrap();
    assert_eq!(got.status, MemberStatus::Deceased);
    assert_eq!(got.status_date.as_deref(), Some("2026-10-20"));
    let history: Vec<_> = store
        .member_status_history(&m.id)
        .unwrap()
        .into_iter()
        .map(|e| (e.status, e.effective_date.unwrap()))
        .collect();
    assert_eq!(
        history,
        [
            (MemberStatus::MovedAway, "2025-03-15".to_owned()),
            (MemberStatus::Active, "2025-09-01".to_owned()),
            (MemberStatus::Deceased, "2026-10-20".to_owned())
        ]
    );
    assert_eq!(store.member_counts(None).unwrap().deceased, 1);
    assert!(
        store
            .set_member_status(&m.id, MemberStatus::Left, Some("2099"), None)
            .is_err()
    );
}

#[test]
fn dues_are_kept_per_year_in_dong() {
    let f = fixture();
    let mut store = f.store;
    let m = store
        .add_member(&f.branch_a.id, &person("Nguyễn Văn An"))
        .unwrap();
    store
        .set_dues(&m.id, 2025, Dong(24_000), Some("10/01/2025"))
        .unwrap();
    store.set_dues(&m.id, 2026, Dong(24_000), None).unwrap();
    store.set_dues(&m.id, 2026, Dong(30_000), None).unwrap();
    let dues: Vec<(i32, i64)> = store
        .member_dues(&m.id)
        .unwrap()
        .into_iter()
        .map(|d| (d.year, d.amount.0))
        .collect();
    assert_eq!(dues, [(2025, 24_000), (2026, 30_000)]);
    assert!(store.set_dues(&m.id, 2026, Dong(-5), None).is_err());
}

#[test]
fn citizen_ids_are_masked_when_shown() {
    let f = fixture();
    let mut store = f.store;
    let m = store
        .add_member(
            &f.branch_a.id,
            &MemberInput {
                citizen_id: Some("001085012345".into()),
                ..person("Nguyễn Văn An")
            },
        )
        .unwrap();
    assert_eq!(m.citizen_id_masked.as_deref(), Some("********2345"));
    let listed =
        serde_json::to_string(&store.list_members(&MemberQuery::default()).unwrap()).unwrap();
    assert!(!listed.contains("001085012345"));
}

fn names(store: &khuyenhoc_store::Store, q: MemberQuery) -> Vec<String> {
    store
        .list_members(&q)
        .unwrap()
        .members
        .into_iter()
        .map(|m| m.full_name)
        .collect()
}

#[test]
fn search_ignores_tone_marks_and_matches_prefixes_in_any_order() {
    let f = fixture();
    let mut store = f.store;
    for n in [
        "Nguyễn Văn An",
        "Nguyễn Thị Ánh",
        "Lê Minh Đức",
        "Trần Đức Anh",
        "Đặng Thu Thảo",
        "Phạm Văn Đồng",
    ] {
        store.add_member(&f.branch_a.id, &person(n)).unwrap();
    }
    let q = |t: &str| MemberQuery {
        text: Some(t.into()),
        ..Default::default()
    };
    assert_eq!(
        names(&store, q("nguyen an")),
        ["Nguyễn Văn An", "Nguyễn Thị Ánh"]
    );
    assert_eq!(
        names(&store, q("an nguy")),
        ["Nguyễn Văn An", "Nguyễn Thị Ánh"]
    );
    assert_eq!(names(&store, q("duc")), ["Trần Đức Anh", "Lê Minh Đức"]);
    assert_eq!(names(&store, q("ĐẶNG")), ["Đặng Thu Thảo"]);
    assert_eq!(names(&store, q("dong pham")), ["Phạm Văn Đồng"]);
    assert!(names(&store, q("xyz")).is_empty());
}

#[test]
fn lists_sort_by_given_name_and_page_without_gaps() {
    let f = fixture();
    let mut store = f.store;
    let family = ["Nguyễn", "Trần", "Lê", "Phạm", "Đỗ"];
    let middle = ["Văn", "Thị", "Đức"];
    let given = [
        "An", "Ân", "Bình", "Đạt", "Dũng", "Ánh", "Ơn", "Ôn", "Uyên", "Ưng",
    ];
    let mut all = Vec::new();
    for (i, g) in given.iter().enumerate() {
        for (j, fam) in family.iter().enumerate() {
            let name = format!("{fam} {} {g}", middle[(i + j) % 3]);
            store
                .add_member(
                    if j % 2 == 0 {
                        &f.branch_a.id
                    } else {
                        &f.branch_b.id
                    },
                    &person(&name),
                )
                .unwrap();
            all.push(name);
        }
    }
    all.sort_by_key(|n| khuyenhoc_domain::text::name_sort_key(n));
    let mut seen = Vec::new();
    let mut after = None;
    loop {
        let page = store
            .list_members(&MemberQuery {
                limit: 7,
                after: after.clone(),
                ..Default::default()
            })
            .unwrap();
        seen.extend(page.members.into_iter().map(|m| m.full_name));
        match page.next {
            Some(n) => after = Some(n),
            None => break,
        }
    }
    assert_eq!(seen, all, "every member once, in Vietnamese name order");
    let first: Vec<&str> = seen
        .iter()
        .take(6)
        .map(|s| s.rsplit(' ').next().unwrap())
        .collect();
    // â is a letter of its own after a: "Ánh" (a + tone) comes before "Ân".
    assert_eq!(first, ["An", "An", "An", "An", "An", "Ánh"]);
    let in_b = names(
        &store,
        MemberQuery {
            unit: Some(f.branch_b.id),
            limit: 1000,
            ..Default::default()
        },
    );
    assert_eq!(in_b.len(), 20);
    assert!(
        in_b.iter()
            .all(|n| n.starts_with("Trần") || n.starts_with("Phạm"))
    );
}

#[test]
fn a_common_search_walks_the_sort_order_and_finds_the_same_people() {
    let f = fixture();
    let mut store = f.store;
    let given = [
        "An", "Bình", "Cúc", "Dung", "Hoa", "Lan", "Minh", "Nam", "Phúc", "Quyên",
    ];
    // 2,600 Nguyễn (more than the FTS candidate limit) and a few Trần.
    let mut members = Vec::new();
    for i in 0..2600 {
        members.push(format!(
            "Nguyễn {} {}",
            ["Văn", "Thị"][i % 2],
            given[i % 10]
        ));
    }
    for g in given {
        members.push(format!("Trần Văn {g}"));
    }
    let path = f.dir.path().join("many.csv");
    let mut csv = String::from("Họ và tên,Ngày sinh\n");
    for (i, m) in members.iter().enumerate() {
        csv.push_str(&format!(
            "{m},{:02}/{:02}/{}\n",
            1 + i % 28,
            1 + (i / 28) % 12,
            1940 + i / 336
        ));
    }
    std::fs::write(&path, csv).unwrap();
    let preview = store
        .preview_import(&path, &f.branch_a.id, &Default::default())
        .unwrap();
    assert!(
        preview.errors.is_empty(),
        "{:?}",
        &preview.errors[..preview.errors.len().min(3)]
    );
    store
        .commit_import(&preview, Default::default(), &mut |_, _| {})
        .unwrap();

    let common = store
        .list_members(&MemberQuery {
            text: Some("nguyen thi lan".into()),
            limit: 50,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(common.members.len(), 50);
    assert!(
        common
            .members
            .iter()
            .all(|m| m.full_name.starts_with("Nguyễn Thị") && m.full_name.ends_with("Lan"))
    );
    // Page through the common query: all 260 "Nguyễn ... Lan" once each.
    let mut total = common.members.len();
    let mut after = common.next;
    while let Some(a) = after {
        let page = store
            .list_members(&MemberQuery {
                text: Some("nguyen lan".into()),
                limit: 50,
                after: Some(a),
                ..Default::default()
            })
            .unwrap();
        total += page.members.len();
        after = page.next;
    }
    assert_eq!(total, 260);
    let rare = names(
        &store,
        MemberQuery {
            text: Some("tran phuc".into()),
            ..Default::default()
        },
    );
    assert_eq!(rare, ["Trần Văn Phúc"]);
}

#[test]
fn a_mangled_page_cursor_is_an_error_not_page_one() {
    let f = fixture();
    let err = f
        .store
        .list_members(&MemberQuery {
            after: Some("not-a-cursor".into()),
            ..Default::default()
        })
        .unwrap_err();
    assert_eq!(err.code(), "invalid_input");
}

#[test]
fn dues_deleted_elsewhere_come_back_when_recorded_again() {
    let f = fixture();
    let mut store = f.store;
    let m = store
        .add_member(&f.branch_a.id, &person("Nguyễn Văn An"))
        .unwrap();
    store.set_dues(&m.id, 2026, Dong(24_000), None).unwrap();
    let mut delete = store.pending_ops(1000).unwrap().pop().unwrap();
    delete.version = "999999999999999-0000000000-0197a000-0000-7000-8000-000000000001".into();
    delete.fields = [(
        "deleted".to_owned(),
        khuyenhoc_store::OpField {
            value: serde_json::json!(true),
            base: None,
        },
    )]
    .into();
    store.apply_remote_ops(&[delete]).unwrap();
    assert!(store.member_dues(&m.id).unwrap().is_empty());
    store.set_dues(&m.id, 2026, Dong(24_000), None).unwrap();
    assert_eq!(
        store.member_dues(&m.id).unwrap().len(),
        1,
        "recorded again, visible again"
    );
    let op = store.pending_ops(1000).unwrap().pop().unwrap();
    assert_eq!(
        op.fields["deleted"].value,
        serde_json::json!(false),
        "the op brings it back elsewhere too"
    );
}
