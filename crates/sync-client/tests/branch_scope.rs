//! A scope below the commune, on real laptops and the real server (SQLite and PostgreSQL): a
//! branch with its own official code on the server (a village branch whose laptop keeps only
//! its own register) gets the branch and its members, none of the commune's other branches,
//! with its branch shown as the top of its tree; what it adds reaches the commune; what the
//! commune changes in the branch reaches it, and a member moved to another branch leaves it.

mod common;

use common::{add, names, unit, world};
use khuyenhoc_server::test_on_both_databases;
use khuyenhoc_server::testing::TestDatabase;
use khuyenhoc_sync_client::sync_once;
use uuid::Uuid;

async fn a_branch_laptop_keeps_only_its_branch(db: TestDatabase) {
    let w = world(db).await;
    w.admin
        .add_unit("26734-01", "Chi hội Thôn 1", Some("26734"))
        .await
        .unwrap();
    let (commune, conn_c) = w.laptop("lan", "26734").await;
    let tan_hoa = unit(
        &commune,
        None,
        "Hội Khuyến học xã Tân Hòa",
        "commune",
        Some("26734"),
    );
    let thon1 = unit(
        &commune,
        Some(&tan_hoa),
        "Chi hội Thôn 1",
        "branch",
        Some("26734-01"),
    );
    let thon2 = unit(&commune, Some(&tan_hoa), "Chi hội Thôn 2", "branch", None);
    let an = add(&commune, &thon1, "Nguyễn Văn An");
    add(&commune, &thon2, "Trần Thị Bình");
    sync_once(&commune, &conn_c).await.unwrap();

    let (branch, conn_b) = w.laptop("thon1", "26734-01").await;
    sync_once(&branch, &conn_b).await.unwrap();
    assert_eq!(names(&branch), ["Nguyễn Văn An"]);
    let units: Vec<Uuid> = branch
        .lock()
        .unwrap()
        .list_units()
        .unwrap()
        .iter()
        .map(|u| u.id)
        .collect();
    assert_eq!(units, [thon1]);
    let top = branch.lock().unwrap().get_unit(&thon1).unwrap();
    assert_eq!(
        (top.depth, top.parent_id),
        (0, Some(tan_hoa)),
        "the link is kept"
    );
    assert!(!units.contains(&thon2));

    // What the branch adds reaches the commune.
    add(&branch, &thon1, "Lê Thị Cúc");
    sync_once(&branch, &conn_b).await.unwrap();
    sync_once(&commune, &conn_c).await.unwrap();
    assert_eq!(
        names(&commune),
        ["Lê Thị Cúc", "Nguyễn Văn An", "Trần Thị Bình"]
    );
    let status = branch.lock().unwrap().sync_status().unwrap();
    assert_eq!((status.pending, status.parked), (0, 0));

    // The commune renames the branch and moves a member to another branch.
    {
        let mut c = commune.lock().unwrap();
        c.rename_unit(&thon1, "Chi hội Thôn Một", None).unwrap();
        let input = c.member_input(&an).unwrap().1;
        c.update_member(&an, &input, Some(&thon2)).unwrap();
    }
    sync_once(&commune, &conn_c).await.unwrap();
    sync_once(&branch, &conn_b).await.unwrap();
    assert_eq!(names(&branch), ["Lê Thị Cúc"]);
    let top = branch.lock().unwrap().get_unit(&thon1).unwrap();
    assert_eq!(
        (top.name.as_str(), top.parent_id),
        ("Chi hội Thôn Một", Some(tan_hoa))
    );
    let status = branch.lock().unwrap().sync_status().unwrap();
    assert_eq!((status.pending, status.parked, status.conflicts), (0, 0, 0));
}

test_on_both_databases!(a_branch_laptop_keeps_only_its_branch);
