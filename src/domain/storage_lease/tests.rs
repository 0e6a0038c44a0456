//! Given events / when command / then events or rejection.

use time::{Duration, OffsetDateTime};

use super::*;

fn t0() -> OffsetDateTime {
    OffsetDateTime::UNIX_EPOCH + Duration::days(20_000)
}

fn given(events: &[StorageLeaseEvent]) -> StorageLease {
    let mut state = StorageLease::default();
    events.iter().for_each(|e| state.apply(e));
    state
}

const BACKEND: Uuid = Uuid::from_u128(3);
const SESSION: Uuid = Uuid::from_u128(10);
const IMAGE: Uuid = Uuid::from_u128(20);

#[test]
fn an_upload_is_recorded_once_and_ends_once() {
    let started = start_upload(&StorageLease::default(), BACKEND, SESSION, t0()).expect("upload");
    assert_eq!(started, vec![StorageLeaseEvent::UploadStarted { session_id: SESSION, at: t0() }]);
    assert_eq!(start_upload(&given(&started), BACKEND, SESSION, t0()), Ok(vec![]));
    let ended = end_upload(&given(&started), SESSION, t0());
    assert_eq!(ended, vec![StorageLeaseEvent::UploadEnded { session_id: SESSION, at: t0() }]);
    assert_eq!(end_upload(&given(&[started, ended].concat()), SESSION, t0()), vec![]);
}

#[test]
fn a_sweep_is_refused_while_an_upload_is_recorded_and_starts_once_it_ended() {
    let started = start_upload(&StorageLease::default(), BACKEND, SESSION, t0()).expect("upload");
    let refused = start_sweep(&given(&started), BACKEND, IMAGE, t0());
    assert!(matches!(refused, Err(Rejection::Conflict(m)) if m.contains(&SESSION.to_string())));
    let ended = end_upload(&given(&started), SESSION, t0());
    let sweep = start_sweep(&given(&[started, ended].concat()), BACKEND, IMAGE, t0()).expect("sweep");
    assert_eq!(sweep, vec![StorageLeaseEvent::SweepStarted { image_id: IMAGE, at: t0() }]);
}

#[test]
fn an_upload_is_refused_while_a_sweep_runs_and_accepted_after_it_ended() {
    let sweep = start_sweep(&StorageLease::default(), BACKEND, IMAGE, t0()).expect("sweep");
    let refused = start_upload(&given(&sweep), BACKEND, SESSION, t0());
    assert!(matches!(refused, Err(Rejection::Conflict(m)) if m.contains(&IMAGE.to_string())));
    let ended = end_sweep(&given(&sweep), IMAGE, t0());
    assert_eq!(ended, vec![StorageLeaseEvent::SweepEnded { image_id: IMAGE, at: t0() }]);
    assert!(start_upload(&given(&[sweep, ended].concat()), BACKEND, SESSION, t0()).is_ok());
}

#[test]
fn a_cut_short_sweep_resumes_and_another_images_sweep_waits() {
    let sweep = start_sweep(&StorageLease::default(), BACKEND, IMAGE, t0()).expect("sweep");
    assert_eq!(start_sweep(&given(&sweep), BACKEND, IMAGE, t0()), Ok(vec![]));
    let other = Uuid::from_u128(21);
    assert!(matches!(start_sweep(&given(&sweep), BACKEND, other, t0()), Err(Rejection::Conflict(_))));
    assert_eq!(end_sweep(&given(&sweep), other, t0()), vec![]);
}
