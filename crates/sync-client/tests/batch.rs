//! Signed files of changes for laptops with no connection at all: an export carries every
//! unsent op signed by the device's key (and leaves them unsent), another laptop keeps the file
//! once for its next sync, and what is not a batch, or is this laptop's own, is refused.

use std::sync::Mutex;

use ed25519_dalek::SigningKey;
use khuyenhoc_domain::MemberInput;
use khuyenhoc_domain::org::OrgUnitInput;
use khuyenhoc_store::{Enrollment, OpenOptions, Store};
use khuyenhoc_sync_client::batch::{export_batch, import_for_relay};
use khuyenhoc_sync_protocol::SignedBatch;

fn laptop(dir: &std::path::Path, name: &str, key: Option<[u8; 32]>) -> Mutex<Store> {
    let mut store = Store::open(dir.join(format!("{name}.db")), OpenOptions::default()).unwrap();
    if let Some(key) = key {
        store
            .save_enrollment(
                &Enrollment {
                    server_url: "https://khuyenhoc.quangtri.gov.vn".into(),
                    token: "token".into(),
                    signing_key: key.to_vec(),
                    unit_id: "u".into(),
                    unit_name: "Xã Tân Hòa".into(),
                },
                "0195f0a0-0000-7000-8000-000000000001",
            )
            .unwrap();
    }
    Mutex::new(store)
}

#[test]
fn an_export_is_signed_by_the_device_and_a_relay_keeps_it_once() {
    let dir = tempfile::tempdir().unwrap();
    let secret = [42u8; 32];
    let a = laptop(dir.path(), "a", Some(secret));
    {
        let mut s = a.lock().unwrap();
        let unit = s
            .create_unit(
                None,
                &OrgUnitInput {
                    name: "Hội Khuyến học xã Tân Hòa".into(),
                    kind: "commune".into(),
                    org_code: Some("26734".into()),
                    valid_from: None,
                },
            )
            .unwrap();
        s.add_member(
            &unit.id,
            &MemberInput {
                full_name: "Đỗ Thị Hoa".into(),
                ..Default::default()
            },
        )
        .unwrap();
    }
    let pending = a.lock().unwrap().pending_ops(100).unwrap();
    let file = dir.path().join("thay-doi.khbatch");
    let written = export_batch(&a, &file).unwrap();
    assert_eq!(written.ops, pending.len());
    assert!(!dir.path().join("thay-doi.partial").exists());

    let batch: SignedBatch = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    let body = batch
        .open(&SigningKey::from_bytes(&secret).verifying_key())
        .unwrap();
    assert_eq!(body.ops, pending, "every unsent op, as the outbox holds it");
    assert!(
        batch
            .open(&SigningKey::from_bytes(&[7u8; 32]).verifying_key())
            .is_err()
    );
    assert_eq!(
        a.lock().unwrap().sync_status().unwrap().pending,
        pending.len() as i64,
        "still unsent here: acknowledged when this laptop syncs"
    );

    let b = laptop(dir.path(), "b", None);
    let read = import_for_relay(&b, &file).unwrap();
    assert!(read.new);
    assert_eq!(read.ops, pending.len());
    assert!(!import_for_relay(&b, &file).unwrap().new, "kept once");
    let waiting = b.lock().unwrap().relay_batches_waiting().unwrap();
    assert_eq!(waiting.len(), 1);
    assert_eq!(waiting[0].batch, batch);

    assert_eq!(import_for_relay(&a, &file).unwrap_err().code(), "own_batch");
    let junk = dir.path().join("junk.khbatch");
    std::fs::write(&junk, b"{\"hello\": 1}").unwrap();
    assert_eq!(
        import_for_relay(&b, &junk).unwrap_err().code(),
        "not_a_batch"
    );
}

#[test]
fn a_laptop_not_enrolled_has_no_key_to_sign_with() {
    let dir = tempfile::tempdir().unwrap();
    let a = laptop(dir.path(), "a", None);
    let err = export_batch(&a, &dir.path().join("x.khbatch")).unwrap_err();
    assert_eq!(err.code(), "not_enrolled");
}
