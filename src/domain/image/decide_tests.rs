//! Given events / when command / then events or rejection.

use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use super::*;
use crate::domain::image::StoredImage;
use crate::domain::storage_backend::BackendType;
use crate::event_store::Aggregate;

fn t0() -> OffsetDateTime {
    OffsetDateTime::UNIX_EPOCH + Duration::days(20_000)
}

fn details() -> ImageDetails {
    ImageDetails {
        name: "golden".into(),
        source_node_id: Uuid::from_u128(1),
        source_device: "/dev/sda".into(),
        capture_session_id: Uuid::from_u128(2),
        backend_id: Uuid::from_u128(3),
        backend_type: BackendType::Nfs,
        path: "images/golden/manifest.json".into(),
        stored: StoredImage {
            size_bytes: 8 << 20,
            chunk_size_bytes: 4 << 20,
            chunks: 2,
            digest: "a".repeat(64),
            manifest_digest: "b".repeat(64),
        },
        layout: None,
        captured_from: t0(),
    }
}

fn given(events: &[ImageEvent]) -> Image {
    let mut state = Image::default();
    for event in events {
        state.apply(event);
    }
    state
}

const ID: Uuid = Uuid::from_u128(7);

#[test]
fn a_capture_records_the_image_once_and_a_replay_records_nothing() {
    let events = record_ready(&Image::default(), ID, details(), t0()).expect("recorded");
    assert_eq!(events, vec![ImageEvent::Ready { id: ID, details: Box::new(details()), at: t0() }]);
    assert_eq!(record_ready(&given(&events), ID, details(), t0()), Ok(vec![]));
}

#[test]
fn a_different_capture_of_a_recorded_image_is_refused() {
    let state = given(&record_ready(&Image::default(), ID, details(), t0()).expect("recorded"));
    let other = ImageDetails { stored: StoredImage { digest: "c".repeat(64), ..details().stored }, ..details() };
    assert!(matches!(record_ready(&state, ID, other, t0()), Err(Rejection::Conflict(m)) if m.contains("aaaa")));
}

const CAPTURE: Uuid = Uuid::from_u128(2);
const RESTORE: Uuid = Uuid::from_u128(42);

#[test]
fn an_image_in_use_by_a_session_that_is_not_over_cannot_be_deleted() {
    let ready = record_ready(&Image::default(), ID, details(), t0()).expect("recorded");
    let restored = add_restore(&given(&ready), ID, RESTORE, t0()).expect("restore");
    assert_eq!(restored, vec![ImageEvent::RestoreCreated { session_id: RESTORE, at: t0() }]);
    let state = given(&[ready, restored].concat());
    let refused = delete(&state, ID, &[CAPTURE], t0());
    assert!(matches!(refused, Err(Rejection::Conflict(m)) if m.contains(&RESTORE.to_string()) && m.contains("golden")));
    // The capture session counts too until it is over.
    let refused = delete(&state, ID, &[RESTORE], t0());
    assert!(matches!(refused, Err(Rejection::Conflict(m)) if m.contains(&CAPTURE.to_string())));
    assert!(delete(&state, ID, &[CAPTURE, RESTORE], t0()).is_ok());
}

#[test]
fn a_restore_created_after_the_users_were_read_counts_as_in_use() {
    // Given: the deletion read the users (capture over) while a restore of
    // the image was being created; the restore committed first, so the
    // deletion lost its race and is decided again on the image's new state.
    let ready = record_ready(&Image::default(), ID, details(), t0()).expect("recorded");
    let restored = add_restore(&given(&ready), ID, RESTORE, t0()).expect("restore");
    let refused = delete(&given(&[ready, restored].concat()), ID, &[CAPTURE], t0());
    assert!(matches!(refused, Err(Rejection::Conflict(m)) if m.contains(&RESTORE.to_string())));
}

#[test]
fn a_deleted_image_cannot_be_restored_and_a_replayed_restore_adds_nothing() {
    let ready = record_ready(&Image::default(), ID, details(), t0()).expect("recorded");
    let (deleted, _) = delete(&given(&ready), ID, &[CAPTURE], t0()).expect("deleted");
    let refused = add_restore(&given(&[ready.clone(), deleted].concat()), ID, RESTORE, t0());
    assert!(matches!(refused, Err(Rejection::Conflict(m)) if m.contains("golden") && m.contains("was deleted")));
    assert!(matches!(add_restore(&Image::default(), ID, RESTORE, t0()), Err(Rejection::NotFound(_))));
    let restored = add_restore(&given(&ready), ID, RESTORE, t0()).expect("restore");
    assert_eq!(add_restore(&given(&[ready, restored].concat()), ID, RESTORE, t0()), Ok(vec![]));
}

#[test]
fn deleting_an_unused_image_releases_its_name_and_it_is_gone_after() {
    let state = given(&record_ready(&Image::default(), ID, details(), t0()).expect("recorded"));
    let (events, claims) = delete(&state, ID, &[CAPTURE], t0()).expect("deleted");
    assert_eq!(events, vec![ImageEvent::Deleted { at: t0() }]);
    assert_eq!(claims, vec![super::super::name_claim(Uuid::from_u128(3), "golden", ID, ClaimAction::Release)]);
    let gone = given(&[record_ready(&Image::default(), ID, details(), t0()).expect("r"), events].concat());
    assert!(matches!(usable(&gone), Err(Rejection::NotFound(_))));
    assert!(matches!(delete(&gone, ID, &[], t0()), Err(Rejection::NotFound(_))));
    assert!(matches!(record_ready(&gone, ID, details(), t0()), Err(Rejection::Conflict(_))));
}

#[test]
fn image_names_cannot_leave_their_directory() {
    assert!(super::super::check_name("ubuntu-24.04_golden").is_ok());
    for bad in ["", "..", ".hidden", "a/b", "a b", &"x".repeat(101)] {
        assert!(super::super::check_name(bad).is_err(), "{bad:?}");
    }
}
