//! The org-unit tree: any depth, moves and merges with history, denominators.

mod common;

use common::{count, fixture, person, unit, with_card};
use khuyenhoc_domain::org::DenominatorKind;
use khuyenhoc_store::{StoreError, UnitKind};

#[test]
fn the_tree_has_no_fixed_levels() {
    let f = fixture();
    let mut store = f.store;
    let to = unit(
        &mut store,
        Some(&f.branch_a),
        "Tổ khuyến học xóm Đông",
        "group",
        None,
    );
    store
        .add_unit_kind(&UnitKind {
            code: "cluster".into(),
            name_vi: "Cụm chi hội".into(),
            name_en: "Cluster".into(),
            is_association: false,
        })
        .unwrap();
    let cluster = unit(&mut store, Some(&to), "Cụm 1", "cluster", None);
    let tree = store.list_units().unwrap();
    let names: Vec<(i64, &str)> = tree.iter().map(|u| (u.depth, u.name.as_str())).collect();
    assert_eq!(
        names,
        [
            (0, "Hội Khuyến học xã Tân Hòa"),
            (1, "Chi hội Thôn 1"),
            (2, "Tổ khuyến học xóm Đông"),
            (3, "Cụm 1"),
            (1, "Chi hội Thôn 2")
        ]
    );
    assert_eq!(store.association_of(&cluster.id).unwrap(), f.commune.id);
    assert_eq!(
        store.find_unit("26734").unwrap().id,
        f.commune.id,
        "by org code"
    );
    assert_eq!(
        store.find_unit("chi hoi thon 2").unwrap().id,
        f.branch_b.id,
        "by name without tone marks"
    );
    assert_eq!(store.find_unit("nowhere").unwrap_err().code(), "not_found");
}

#[test]
fn moves_keep_history_and_refuse_cycles() {
    let f = fixture();
    let mut store = f.store;
    let to = unit(&mut store, Some(&f.branch_a), "Tổ 1", "group", None);
    let err = store.move_unit(&f.branch_a.id, &to.id, None).unwrap_err();
    assert_eq!(err.code(), "move_into_own_subtree");
    store
        .move_unit(&to.id, &f.branch_b.id, Some("01/07/2025"))
        .unwrap();
    assert_eq!(
        store.get_unit(&to.id).unwrap().parent_id,
        Some(f.branch_b.id)
    );
    let history = store.unit_history(&to.id).unwrap();
    let events: Vec<&str> = history.iter().map(|e| e.event.as_str()).collect();
    assert_eq!(events, ["create", "move"]);
    assert_eq!(history[1].from_parent_id, Some(f.branch_a.id));
    assert_eq!(history[1].effective_date.as_deref(), Some("2025-07-01"));
    let ops = store.pending_ops(1000).unwrap();
    let mv = ops.iter().find(|o| o.intent == "org_unit.move").unwrap();
    assert_eq!(mv.fields.keys().collect::<Vec<_>>(), ["parent_id"]);
}

#[test]
fn merging_communes_keeps_history_and_moves_everything() {
    let f = fixture();
    let mut store = f.store;
    let other = unit(
        &mut store,
        None,
        "Hội Khuyến học xã Tân Phú",
        "commune",
        Some("26737"),
    );
    let other_branch = unit(&mut store, Some(&other), "Chi hội Ấp Bắc", "branch", None);
    let direct = store
        .add_member(&other.id, &person("Phạm Văn Đồng"))
        .unwrap();
    let in_branch = store
        .add_member(&other_branch.id, &person("Võ Thị Sáu"))
        .unwrap();

    let merged = store
        .merge_units(&[other.id], &f.commune.id, Some("01/07/2025"))
        .unwrap();
    assert_eq!(merged.id, f.commune.id);
    let gone = store.get_unit(&other.id).unwrap();
    assert_eq!(gone.valid_to.as_deref(), Some("2025-07-01"));
    assert_eq!(gone.merged_into, Some(f.commune.id));
    assert_eq!(
        store.get_unit(&other_branch.id).unwrap().parent_id,
        Some(f.commune.id)
    );
    assert_eq!(store.get_member(&direct.id).unwrap().unit_id, f.commune.id);
    assert_eq!(
        store.get_member(&in_branch.id).unwrap().unit_id,
        other_branch.id
    );
    assert_eq!(store.member_counts(Some(&f.commune.id)).unwrap().total, 2);
    let events: Vec<String> = store
        .unit_history(&other.id)
        .unwrap()
        .into_iter()
        .map(|e| e.event)
        .collect();
    assert_eq!(events, ["create", "merge"]);
    assert!(
        store
            .unit_history(&f.commune.id)
            .unwrap()
            .iter()
            .any(|e| e.event == "absorb" && e.other_unit_id == Some(other.id))
    );
    // A merged unit takes no more changes, and its org code can be reused.
    assert_eq!(
        store
            .rename_unit(&other.id, "Tên mới", None)
            .unwrap_err()
            .code(),
        "unit_closed"
    );
    assert_eq!(
        store
            .add_member(&other.id, &person("Ai Đó"))
            .unwrap_err()
            .code(),
        "unit_closed"
    );
    assert_eq!(store.find_unit("26737").unwrap().id, other.id);
    assert_eq!(
        store
            .merge_units(&[f.commune.id], &f.branch_a.id, None)
            .unwrap_err()
            .code(),
        "merge_into_own_subtree"
    );
}

#[test]
fn card_numbers_are_unique_within_a_commune_only_among_live_members() {
    let f = fixture();
    let mut store = f.store;
    let a = store
        .add_member(&f.branch_a.id, &with_card("Nguyễn Văn An", "HV001"))
        .unwrap();
    let err = store
        .add_member(&f.branch_b.id, &with_card("Lê Thị Bình", "hv001"))
        .unwrap_err();
    assert_eq!(err.code(), "invalid_input");
    assert!(
        err.message(khuyenhoc_domain::Lang::Vi)
            .contains("Số thẻ hội viên \"hv001\" đã được cấp cho Nguyễn Văn An")
    );
    // Another commune may use the same number.
    let other = unit(
        &mut store,
        None,
        "Hội Khuyến học phường Hòa Khánh",
        "commune",
        None,
    );
    store
        .add_member(&other.id, &with_card("Lê Thị Bình", "HV001"))
        .unwrap();
    // A tombstoned member frees the number.
    store.delete_member(&a.id).unwrap();
    store
        .add_member(&f.branch_b.id, &with_card("Trần Văn Cường", "HV001"))
        .unwrap();
    assert_eq!(
        count(
            &store,
            "SELECT count(*) FROM members WHERE card_number = 'HV001'"
        ),
        3
    );
}

#[test]
fn denominators_are_kept_per_year_with_their_source() {
    let f = fixture();
    let mut store = f.store;
    store
        .set_denominator(
            &f.commune.id,
            2025,
            DenominatorKind::Population,
            12_450,
            Some("Niên giám thống kê 2024"),
        )
        .unwrap();
    store
        .set_denominator(
            &f.commune.id,
            2025,
            DenominatorKind::Households,
            3_120,
            None,
        )
        .unwrap();
    store
        .set_denominator(
            &f.commune.id,
            2025,
            DenominatorKind::Population,
            12_500,
            Some("Công an xã"),
        )
        .unwrap();
    let d = store.denominators(&f.commune.id, Some(2025)).unwrap();
    assert_eq!(d.len(), 2);
    let pop = d
        .iter()
        .find(|x| x.kind == DenominatorKind::Population)
        .unwrap();
    assert_eq!(
        (pop.value, pop.source.as_deref()),
        (12_500, Some("Công an xã"))
    );
    let ops: Vec<_> = store
        .pending_ops(1000)
        .unwrap()
        .into_iter()
        .filter(|o| o.entity == "unit_denominator")
        .collect();
    assert_eq!(ops.len(), 3);
    assert_eq!(
        ops[2].fields.keys().collect::<Vec<_>>(),
        ["source", "value"]
    );
    let err = store
        .set_denominator(&f.commune.id, 2025, DenominatorKind::Clans, -1, None)
        .unwrap_err();
    assert!(matches!(err, StoreError::Invalid(_)));
}

#[test]
fn org_codes_are_unique_among_open_units() {
    let f = fixture();
    let mut store = f.store;
    let err = store
        .create_unit(
            None,
            &khuyenhoc_domain::org::OrgUnitInput {
                name: "Xã khác".into(),
                kind: "commune".into(),
                org_code: Some("26734".into()),
                valid_from: None,
            },
        )
        .unwrap_err();
    assert!(
        err.message(khuyenhoc_domain::Lang::Vi)
            .contains("Mã đơn vị \"26734\" đã được dùng")
    );
    let err = store
        .create_unit(
            None,
            &khuyenhoc_domain::org::OrgUnitInput {
                name: "Xã lạ".into(),
                kind: "planet".into(),
                org_code: None,
                valid_from: None,
            },
        )
        .unwrap_err();
    assert_eq!(err.code(), "not_found");
}

#[test]
fn after_a_merge_members_sharing_a_card_number_can_still_be_edited() {
    let f = fixture();
    let mut store = f.store;
    let other = unit(
        &mut store,
        None,
        "Hội Khuyến học xã Tân Phú",
        "commune",
        Some("26737"),
    );
    let a = store
        .add_member(&f.branch_a.id, &with_card("Nguyễn Văn An", "HV01"))
        .unwrap();
    let b = store
        .add_member(&other.id, &with_card("Trần Thị Bình", "HV01"))
        .unwrap();
    store
        .merge_units(&[other.id], &f.commune.id, Some("01/07/2025"))
        .unwrap();
    let (_, mut input) = store.member_input(&a.id).unwrap();
    input.phone = Some("0912345678".into());
    store.update_member(&a.id, &input, None).unwrap();
    // Giving a third member that number is still refused, and the number is now ambiguous.
    assert!(
        store
            .add_member(&f.branch_b.id, &with_card("Lê Văn Cường", "HV01"))
            .is_err()
    );
    assert_eq!(
        store.find_member("HV01").unwrap_err().code(),
        "ambiguous_member"
    );
    let clashes = store.card_clashes(&f.branch_a.id).unwrap();
    assert_eq!(clashes.len(), 1);
    assert_eq!(clashes[0].card_number, "HV01");
    let names: Vec<&str> = clashes[0].members.iter().map(|(_, n)| n.as_str()).collect();
    assert_eq!(names, ["Nguyễn Văn An", "Trần Thị Bình"]);
    assert_eq!(
        store.find_member(&b.id.to_string()).unwrap().full_name,
        "Trần Thị Bình"
    );
}

#[test]
fn a_kind_of_unit_is_not_redefined() {
    let f = fixture();
    let mut store = f.store;
    let err = store
        .add_unit_kind(&UnitKind {
            code: "branch".into(),
            name_vi: "Hội".into(),
            name_en: "Association".into(),
            is_association: true,
        })
        .unwrap_err();
    assert_eq!(err.code(), "unit_kind_exists");
    let branch = store
        .unit_kinds()
        .unwrap()
        .into_iter()
        .find(|k| k.code == "branch")
        .unwrap();
    assert!(!branch.is_association);
}
