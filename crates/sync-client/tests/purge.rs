//! Tombstone purge through the real server (on SQLite and on PostgreSQL) and real laptops: the
//! purge waits for every active laptop to pull a deletion, but not for a revoked laptop nor one
//! silent past the horizon; a laptop enrolled after the purge never receives the purged member;
//! the silent laptop, back with offline edits, is told its cursor was purged, sends what it has
//! (its edit of the purged member is refused and parked, its other edit applied), pulls from
//! zero and ends equal to the server; and a pull from zero cut after its first page goes on
//! after a restart and ends the same.

use std::path::PathBuf;
use std::sync::Mutex;

use jiff::SignedDuration;
use khuyenhoc_domain::MemberInput;
use khuyenhoc_domain::org::OrgUnitInput;
use khuyenhoc_server::admin::Admin;
use khuyenhoc_server::test_on_both_databases;
use khuyenhoc_server::testing::TestDatabase;
use khuyenhoc_server::{RunningServer, ServerConfig, start};
use khuyenhoc_store::{OpenOptions, Store};
use khuyenhoc_sync_client::{Connection, ServerAddress, SyncError, enroll, sync_once};
use khuyenhoc_sync_protocol::{CURSOR_PURGED, OP_FORMAT, PullRequest};
use uuid::Uuid;

struct World {
    db: TestDatabase,
    _server: RunningServer,
    admin: Admin,
    addr: std::net::SocketAddr,
}

/// A laptop: its database (behind the lock the app and the CLI share), its file, its connection.
struct Laptop {
    store: Mutex<Store>,
    path: PathBuf,
    conn: Connection,
}

impl Laptop {
    fn id(&self) -> Uuid {
        self.store.lock().unwrap().device_id()
    }

    async fn sync(&self) -> khuyenhoc_sync_client::SyncSummary {
        sync_once(&self.store, &self.conn).await.unwrap()
    }

    fn add(&self, unit: &Uuid, name: &str) -> Uuid {
        let input = MemberInput {
            full_name: name.into(),
            ..Default::default()
        };
        self.store
            .lock()
            .unwrap()
            .add_member(unit, &input)
            .unwrap()
            .id
    }

    fn delete(&self, member: &Uuid) {
        self.store.lock().unwrap().delete_member(member).unwrap();
    }

    fn set_phone(&self, member: &Uuid, phone: &str) {
        let mut s = self.store.lock().unwrap();
        let mut input = s.member_input(member).unwrap().1;
        input.phone = Some(phone.into());
        s.update_member(member, &input, None).unwrap();
    }

    /// The members it lists (not deleted, not merged away): name and phone, sorted.
    fn register(&self) -> Vec<(String, Option<String>)> {
        let s = self.store.lock().unwrap();
        let mut stmt = s
            .connection()
            .prepare(
                "SELECT full_name, phone FROM members WHERE deleted = 0 AND merged_into IS NULL
                 ORDER BY full_name",
            )
            .unwrap();
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    }

    /// Whether it holds the member's row at all (listed or hidden).
    fn holds(&self, member: &Uuid) -> bool {
        self.store
            .lock()
            .unwrap()
            .connection()
            .query_row(
                "SELECT count(*) FROM members WHERE id = ?1",
                [member.to_string()],
                |r| r.get::<_, i64>(0),
            )
            .unwrap()
            > 0
    }

    /// Whether it lists the member (held and not deleted).
    fn lists(&self, member: &Uuid) -> bool {
        self.store
            .lock()
            .unwrap()
            .connection()
            .query_row(
                "SELECT count(*) FROM members WHERE id = ?1 AND deleted = 0",
                [member.to_string()],
                |r| r.get::<_, i64>(0),
            )
            .unwrap()
            > 0
    }

    fn cursor(&self) -> i64 {
        self.store
            .lock()
            .unwrap()
            .sync_status()
            .unwrap()
            .pull_cursor
    }
}

impl World {
    async fn new(db: TestDatabase) -> World {
        let server = start(ServerConfig::new(
            "127.0.0.1:0".parse().unwrap(),
            db.db().clone(),
        ))
        .await
        .unwrap();
        let admin = Admin::open_database(db.db()).await.unwrap();
        admin.add_unit("44", "Tỉnh Quảng Trị", None).await.unwrap();
        admin
            .add_unit("26734", "Xã Tân Hòa", Some("44"))
            .await
            .unwrap();
        World {
            addr: server.addr,
            _server: server,
            admin,
            db,
        }
    }

    fn address(&self) -> ServerAddress {
        ServerAddress::parse(&format!("http://{}", self.addr), false).unwrap()
    }

    /// A laptop enrolled in the commune.
    async fn laptop(&self, name: &str) -> Laptop {
        let path = self.db.dir().join(format!("{name}.db"));
        let store = Mutex::new(Store::open(&path, OpenOptions::default()).unwrap());
        let code = self
            .admin
            .create_code("26734", SignedDuration::from_hours(1))
            .await
            .unwrap()
            .code;
        let answer = enroll(&store, self.address(), &code, name).await.unwrap();
        Laptop {
            store,
            path,
            conn: Connection::new(self.address(), Some(answer.token)).unwrap(),
        }
    }

    async fn purge(&self) -> khuyenhoc_server::storage::PurgeReport {
        self.admin.purge(90).await.unwrap()
    }

    /// The server's rows and change-log entries of `row`, read straight from its database.
    async fn server_holds(&self, row: &Uuid) -> (i64, i64) {
        (
            self.db
                .scalar(&format!(
                    "SELECT count(*) FROM sync_rows WHERE row_id = '{row}'"
                ))
                .await,
            self.db
                .scalar(&format!(
                    "SELECT count(*) FROM changes WHERE row_id = '{row}'"
                ))
                .await,
        )
    }
}

fn commune(laptop: &Laptop) -> Uuid {
    laptop
        .store
        .lock()
        .unwrap()
        .create_unit(
            None,
            &OrgUnitInput {
                name: "Hội Khuyến học xã Tân Hòa".into(),
                kind: "commune".into(),
                org_code: Some("26734".into()),
                valid_from: None,
            },
        )
        .unwrap()
        .id
}

/// Pulls by hand, `limit` changes a page, until the last page, each applied as the sync does.
async fn pull_in_small_pages(laptop: &Laptop, limit: u32) -> usize {
    let mut pages = 0;
    loop {
        let page = laptop
            .conn
            .pull(&PullRequest {
                op_format: OP_FORMAT,
                cursor: laptop.cursor(),
                limit,
            })
            .await
            .unwrap();
        laptop.store.lock().unwrap().apply_pull_page(&page).unwrap();
        pages += 1;
        if !page.more {
            return pages;
        }
    }
}

async fn the_purge_waits_for_active_laptops_not_for_revoked_or_silent_ones(db: TestDatabase) {
    let w = World::new(db).await;
    let a = w.laptop("a").await;
    let b = w.laptop("b").await;
    let revoked = w.laptop("revoked").await;
    let silent = w.laptop("silent").await;
    let unit = commune(&a);
    let cuc = a.add(&unit, "Trần Thị Cúc");
    let an = a.add(&unit, "Nguyễn Văn An");
    a.sync().await;
    for laptop in [&b, &revoked, &silent] {
        laptop.sync().await;
    }

    a.delete(&cuc);
    a.sync().await;
    // The server knows how far a laptop has pulled from the cursor it pulls after: A's next
    // sync tells it that A holds the deletion.
    a.sync().await;
    let report = w.purge().await;
    assert_eq!(
        (report.rows, report.active_devices),
        (0, 4),
        "three laptops have not pulled the deletion: {report:?}"
    );
    b.sync().await;
    b.sync().await;
    assert_eq!(
        w.purge().await.rows,
        0,
        "two laptops have still not pulled it"
    );

    w.admin.revoke_device(revoked.id()).await.unwrap();
    let report = w.purge().await;
    assert_eq!(
        (report.rows, report.active_devices),
        (0, 3),
        "the revoked laptop no longer counts, the silent one still does: {report:?}"
    );

    // The silent laptop's last pull was more than the 90 days of the horizon ago.
    w.db.age_last_pull(silent.id(), 100).await;
    let report = w.purge().await;
    assert_eq!(
        (report.rows, report.active_devices),
        (1, 2),
        "only the deleted member goes: {report:?}"
    );
    assert!(report.changes >= 2, "its creation and deletion: {report:?}");
    assert_eq!(w.server_holds(&cuc).await, (0, 0));
    assert_ne!(w.server_holds(&an).await, (0, 0));
    assert_eq!(w.purge().await.rows, 0, "purging again finds nothing");

    // A later deletion waits for B, the other active laptop, and goes once B has pulled it.
    a.delete(&an);
    a.sync().await;
    a.sync().await;
    assert_eq!(w.purge().await.rows, 0);
    assert_ne!(w.server_holds(&an).await, (0, 0));
    b.sync().await;
    assert_eq!(
        w.purge().await.rows,
        0,
        "B holds the deletion now, but the server learns it from B's next pull"
    );
    b.sync().await;
    assert_eq!(w.purge().await.rows, 1);
    assert_eq!(w.server_holds(&an).await, (0, 0));
    // Both laptops still sync (their cursors are past every purged change) and agree.
    assert_eq!(a.sync().await.rebootstrapped, None);
    assert_eq!(b.sync().await.rebootstrapped, None);
    assert!(a.register().is_empty());
    assert!(b.register().is_empty());
}

async fn a_laptop_enrolled_after_the_purge_never_receives_the_purged_member(db: TestDatabase) {
    let w = World::new(db).await;
    let a = w.laptop("a").await;
    let unit = commune(&a);
    let cuc = a.add(&unit, "Trần Thị Cúc");
    for name in ["Nguyễn Văn An", "Lê Thị Bình", "Phạm Văn Dũng"] {
        a.add(&unit, name);
    }
    a.sync().await;
    a.delete(&cuc);
    a.sync().await;
    a.sync().await;
    let report = w.purge().await;
    assert_eq!(report.rows, 1, "{report:?}");
    assert_eq!(w.server_holds(&cuc).await, (0, 0));

    // Small pages: the new laptop's cursor crosses the purge point page by page, and is never
    // taken for a silent laptop's.
    let fresh = w.laptop("fresh").await;
    let pages = pull_in_small_pages(&fresh, 1).await;
    assert!(pages > 3, "one change a page: {pages}");
    assert!(
        fresh.cursor() >= report.purged_through,
        "the last page ends past the purge point"
    );
    assert!(
        !fresh.holds(&cuc),
        "not even hidden: the laptop never saw it"
    );
    assert_eq!(fresh.register(), a.register());
    assert_eq!(fresh.register().len(), 3);
    let summary = fresh.sync().await;
    assert_eq!(summary.rebootstrapped, None);
    assert_eq!(fresh.register(), a.register());
}

async fn a_silent_laptop_sends_its_edits_then_pulls_from_zero_and_equals_the_server(
    db: TestDatabase,
) {
    let w = World::new(db).await;
    let a = w.laptop("a").await;
    let silent = w.laptop("silent").await;
    let unit = commune(&a);
    let an = a.add(&unit, "Nguyễn Văn An");
    let binh = a.add(&unit, "Lê Thị Bình");
    let cuc = a.add(&unit, "Trần Thị Cúc");
    let dung = a.add(&unit, "Phạm Văn Dũng");
    a.sync().await;
    silent.sync().await;
    assert_eq!(silent.register().len(), 4);

    // The silent laptop goes months without a connection; its officer edits An and Cúc.
    silent.set_phone(&an, "0912345678");
    silent.set_phone(&cuc, "0987654321");
    // Meanwhile Cúc and Dũng are deleted, Bình edited, and the server purges the deletions.
    a.delete(&cuc);
    a.delete(&dung);
    a.set_phone(&binh, "0900000001");
    a.sync().await;
    a.sync().await;
    w.db.age_last_pull(silent.id(), 120).await;
    let report = w.purge().await;
    assert_eq!(report.rows, 2, "{report:?}");
    assert!(silent.cursor() < report.purged_through);

    let summary = silent.sync().await;
    assert_eq!(summary.pushed, 2, "both edits sent first: {summary:?}");
    assert_eq!(summary.rejected, 1, "{summary:?}");
    assert_eq!(
        summary.rebootstrapped,
        Some(1),
        "Dũng, whose deletion it never pulled, dropped at the end (Cúc went with its refusal): \
         {summary:?}"
    );

    // The edit of the purged member is parked with its reason, and Cúc is no longer listed.
    let parked = silent.store.lock().unwrap().parked_ops().unwrap();
    assert_eq!(parked.len(), 1, "{parked:?}");
    assert_eq!(parked[0].code, "row_purged");
    assert_eq!(parked[0].row_id, cuc.to_string());
    assert!(!parked[0].reason.is_empty());
    assert!(!silent.lists(&cuc));
    assert!(!silent.lists(&dung));
    let status = silent.store.lock().unwrap().sync_status().unwrap();
    assert_eq!((status.pending, status.parked), (0, 1));
    assert!(!silent.store.lock().unwrap().rebootstrapping().unwrap());
    assert_eq!(
        w.server_holds(&cuc).await,
        (0, 0),
        "the refused edit brought nothing back"
    );

    // Everything else is kept, the other edits included; all equal the server.
    a.sync().await;
    let want = vec![
        ("Lê Thị Bình".to_owned(), Some("0900000001".to_owned())),
        ("Nguyễn Văn An".to_owned(), Some("0912345678".to_owned())),
    ];
    assert_eq!(silent.register(), want);
    assert_eq!(a.register(), want);
    let fresh = w.laptop("fresh").await;
    fresh.sync().await;
    assert_eq!(fresh.register(), want);
    // The next sync is an ordinary one.
    let summary = silent.sync().await;
    assert_eq!((summary.pulled, summary.rebootstrapped), (0, None));
}

async fn a_pull_from_zero_cut_after_its_first_page_goes_on_after_a_restart(db: TestDatabase) {
    let w = World::new(db).await;
    let a = w.laptop("a").await;
    let silent = w.laptop("silent").await;
    let unit = commune(&a);
    let cuc = a.add(&unit, "Trần Thị Cúc");
    let mut kept = Vec::new();
    for name in [
        "Nguyễn Văn An",
        "Lê Thị Bình",
        "Phạm Văn Dũng",
        "Đỗ Thị Hoa",
    ] {
        kept.push(a.add(&unit, name));
    }
    a.sync().await;
    silent.sync().await;
    a.delete(&cuc);
    a.sync().await;
    a.sync().await;
    w.db.age_last_pull(silent.id(), 120).await;
    assert_eq!(w.purge().await.rows, 1);

    // The laptop is told its cursor was purged, starts pulling from zero, applies one small
    // page, and is killed.
    let refused = silent
        .conn
        .pull(&PullRequest {
            op_format: OP_FORMAT,
            cursor: silent.cursor(),
            limit: 2,
        })
        .await;
    assert!(
        matches!(&refused, Err(SyncError::Server { status: 410, code, .. }) if code == CURSOR_PURGED),
        "{refused:?}"
    );
    silent.store.lock().unwrap().start_rebootstrap().unwrap();
    let first = silent
        .conn
        .pull(&PullRequest {
            op_format: OP_FORMAT,
            cursor: 0,
            limit: 2,
        })
        .await
        .unwrap();
    assert!(first.more);
    silent
        .store
        .lock()
        .unwrap()
        .apply_pull_page(&first)
        .unwrap();
    let Laptop { store, path, conn } = silent;
    drop(store);

    // Restarted, it goes on from its cursor (the server knows it pulled from zero since the
    // purge) and ends the pull from zero: Cúc dropped, everything else kept.
    let silent = Laptop {
        store: Mutex::new(Store::open(&path, OpenOptions::default()).unwrap()),
        path,
        conn,
    };
    assert!(silent.store.lock().unwrap().rebootstrapping().unwrap());
    assert_eq!(silent.cursor(), first.cursor);
    assert!(silent.lists(&cuc), "not dropped before the last page");
    let summary = silent.sync().await;
    assert_eq!(summary.rebootstrapped, Some(1), "{summary:?}");
    let everything = w.laptop("fresh").await.sync().await.pulled;
    assert_eq!(
        summary.pulled + first.changes.len(),
        everything,
        "went on from its cursor, not from zero again: {summary:?}"
    );
    assert!(!silent.lists(&cuc));
    assert!(kept.iter().all(|m| silent.lists(m)));
    assert_eq!(silent.register(), a.register());
    assert!(!silent.store.lock().unwrap().rebootstrapping().unwrap());
}

test_on_both_databases!(
    the_purge_waits_for_active_laptops_not_for_revoked_or_silent_ones,
    a_laptop_enrolled_after_the_purge_never_receives_the_purged_member,
    a_silent_laptop_sends_its_edits_then_pulls_from_zero_and_equals_the_server,
    a_pull_from_zero_cut_after_its_first_page_goes_on_after_a_restart,
);
