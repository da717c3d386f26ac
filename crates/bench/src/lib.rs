//! What the benchmarks share: generated Vietnamese members (names in their national shares,
//! birth dates, phones, ten branches) written as a member list, and the commune they go into.

pub mod names;

use std::path::Path;

use anyhow::Result;
use khuyenhoc_domain::org::OrgUnitInput;
use khuyenhoc_store::Store;

pub fn create_commune(store: &mut Store) -> Result<uuid::Uuid> {
    let commune = store.create_unit(
        None,
        &OrgUnitInput {
            name: "Hội Khuyến học xã Tân Hòa".into(),
            kind: "commune".into(),
            org_code: Some("26734".into()),
            valid_from: None,
        },
    )?;
    create_branches(store, &commune.id)?;
    Ok(commune.id)
}

/// The ten generated branches under `commune`.
pub fn create_branches(store: &mut Store, commune: &uuid::Uuid) -> Result<()> {
    for b in names::BRANCHES {
        store.create_unit(
            Some(commune),
            &OrgUnitInput {
                name: format!("Chi hội {b}"),
                kind: "branch".into(),
                org_code: None,
                valid_from: None,
            },
        )?;
    }
    Ok(())
}

pub fn write_csv(path: &Path, n: usize) -> Result<()> {
    let mut rng = fastrand::Rng::with_seed(20261122);
    let mut w = csv::Writer::from_path(path)?;
    w.write_record([
        "STT",
        "Họ và tên",
        "Giới tính",
        "Ngày sinh",
        "Số điện thoại",
        "Chi hội",
    ])?;
    for i in 0..n {
        let p = names::person(&mut rng, i);
        w.write_record([
            (i + 1).to_string().as_str(),
            p.name.as_str(),
            if p.female { "Nữ" } else { "Nam" },
            p.birth.as_str(),
            p.phone.as_str(),
            p.branch,
        ])?;
    }
    w.flush()?;
    Ok(())
}
