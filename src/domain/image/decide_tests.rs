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
    let refused = start_cleanup(&state, &[CAPTURE], t0());
    assert!(matches!(refused, Err(Rejection::Conflict(m)) if m.contains(&RESTORE.to_string()) && m.contains("golden")));
    // The capture session counts too until it is over.
    let refused = start_cleanup(&state, &[RESTORE], t0());
    assert!(matches!(refused, Err(Rejection::Conflict(m)) if m.contains(&CAPTURE.to_string())));
    assert!(start_cleanup(&state, &[CAPTURE, RESTORE], t0()).is_ok());
}

#[test]
fn a_restore_created_after_the_users_were_read_counts_as_in_use() {
    // Given: the deletion read the users (capture over) while a restore of
    // the image was being created; the restore committed first, so the
    // deletion lost its race and is decided again on the image's new state.
    let ready = record_ready(&Image::default(), ID, details(), t0()).expect("recorded");
    let restored = add_restore(&given(&ready), ID, RESTORE, t0()).expect("restore");
    let refused = start_cleanup(&given(&[ready, restored].concat()), &[CAPTURE], t0());
    assert!(matches!(refused, Err(Rejection::Conflict(m)) if m.contains(&RESTORE.to_string())));
}

/// Given a ready image, its cleanup started (no session in use).
fn in_cleanup() -> Vec<ImageEvent> {
    let ready = record_ready(&Image::default(), ID, details(), t0()).expect("recorded");
    let started = start_cleanup(&given(&ready), &[CAPTURE], t0()).expect("cleanup");
    assert_eq!(started, vec![ImageEvent::CleanupStarted { at: t0() }]);
    [ready, started].concat()
}

#[test]
fn an_image_in_cleanup_cannot_be_restored_keeps_its_name_and_a_second_delete_adds_nothing() {
    let state = given(&in_cleanup());
    let refused = add_restore(&state, ID, RESTORE, t0());
    assert!(matches!(refused, Err(Rejection::Conflict(m)) if m.contains("golden") && m.contains("being deleted")));
    assert!(matches!(usable(&state), Err(Rejection::NotFound(_))));
    assert_eq!(start_cleanup(&state, &[], t0()), Ok(vec![]));
    // A replayed source-complete of its capture is still acknowledged.
    assert_eq!(record_ready(&state, ID, details(), t0()), Ok(vec![]));
}

#[test]
fn a_failed_sweep_is_recorded_once_per_reason_and_the_image_stays_in_cleanup() {
    let state = given(&in_cleanup());
    let failed = record_cleanup_failure(&state, ID, "not mounted", t0()).expect("recorded");
    assert_eq!(failed, vec![ImageEvent::CleanupFailed { reason: "not mounted".into(), at: t0() }]);
    let state = given(&[in_cleanup(), failed].concat());
    assert_eq!(state.cleanup.as_ref().and_then(|c| c.failure.as_deref()), Some("not mounted"));
    assert_eq!(record_cleanup_failure(&state, ID, "not mounted", t0()), Ok(vec![]));
    assert_eq!(record_cleanup_failure(&state, ID, "I/O error", t0()).map(|e| e.len()), Ok(1));
    assert!(!state.deleted);
    // Not in cleanup: nothing to fail.
    let ready = given(&record_ready(&Image::default(), ID, details(), t0()).expect("recorded"));
    assert!(matches!(record_cleanup_failure(&ready, ID, "x", t0()), Err(Rejection::Conflict(_))));
}

#[test]
fn a_finished_sweep_deletes_the_image_and_releases_its_name_once() {
    let ready = given(&record_ready(&Image::default(), ID, details(), t0()).expect("recorded"));
    assert!(matches!(finish_cleanup(&ready, ID, t0()), Err(Rejection::Conflict(_))), "not in cleanup");
    let (events, claims) = finish_cleanup(&given(&in_cleanup()), ID, t0()).expect("deleted");
    assert_eq!(events, vec![ImageEvent::Deleted { at: t0() }]);
    assert_eq!(claims, vec![super::super::name_claim(Uuid::from_u128(3), "golden", ID, ClaimAction::Release)]);
    let gone = given(&[in_cleanup(), events].concat());
    assert_eq!(finish_cleanup(&gone, ID, t0()), Ok((vec![], vec![])));
    assert!(matches!(usable(&gone), Err(Rejection::NotFound(_))));
    assert!(matches!(start_cleanup(&gone, &[], t0()), Err(Rejection::NotFound(_))));
    assert!(matches!(record_ready(&gone, ID, details(), t0()), Err(Rejection::Conflict(_))));
    let refused = add_restore(&gone, ID, RESTORE, t0());
    assert!(matches!(refused, Err(Rejection::Conflict(m)) if m.contains("was deleted")));
}

#[test]
fn an_image_deleted_at_once_by_an_older_controller_folds_as_deleted() {
    let ready = record_ready(&Image::default(), ID, details(), t0()).expect("recorded");
    let gone = given(&[ready, vec![ImageEvent::Deleted { at: t0() }]].concat());
    assert!(gone.deleted && gone.cleanup.is_none());
    assert!(matches!(add_restore(&Image::default(), ID, RESTORE, t0()), Err(Rejection::NotFound(_))));
}

#[test]
fn a_replayed_restore_adds_nothing() {
    let ready = record_ready(&Image::default(), ID, details(), t0()).expect("recorded");
    let restored = add_restore(&given(&ready), ID, RESTORE, t0()).expect("restore");
    assert_eq!(add_restore(&given(&[ready, restored].concat()), ID, RESTORE, t0()), Ok(vec![]));
}

#[test]
fn image_names_cannot_leave_their_directory() {
    assert!(super::super::check_name("ubuntu-24.04_golden").is_ok());
    for bad in ["", "..", ".hidden", "a/b", "a b", &"x".repeat(101)] {
        assert!(super::super::check_name(bad).is_err(), "{bad:?}");
    }
}
