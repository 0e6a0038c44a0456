//! Given events / when a staging command / then events or rejection.

use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use super::*;
use crate::domain::clone_session::{CloneSessionEvent as E, *};
use crate::event_store::Aggregate;

fn t(seconds: i64) -> OffsetDateTime {
    OffsetDateTime::UNIX_EPOCH + Duration::days(20_000) + Duration::seconds(seconds)
}

const ID: Uuid = Uuid::from_u128(9);
const IMAGE: Uuid = Uuid::from_u128(5);
const BACKEND: Uuid = Uuid::from_u128(3);
const SIZE: i64 = 8 << 20;

fn spec(target: Option<Uuid>) -> SessionSpec {
    SessionSpec {
        name: None,
        clone_mode: CloneMode::Staged,
        source_node_id: Uuid::from_u128(1),
        target_node_id: target,
        source_device: "/dev/sda".into(),
        target_device: "/dev/sda".into(),
        staging_backend_id: Some(BACKEND),
        resize_mode: ResizeMode::None,
    }
}

fn capture() -> StagedImage {
    StagedImage::Capture { image_id: IMAGE, image_name: "golden".into() }
}

fn restore() -> StagedImage {
    StagedImage::Restore { image_id: IMAGE, image_name: "golden".into(), size_bytes: SIZE, digest: "a".repeat(64) }
}

fn given(events: &[E]) -> CloneSession {
    let mut state = CloneSession::default();
    for event in events {
        state.apply(event);
    }
    state
}

/// Runs `command` on the state `events` leave and appends what it decided.
fn then(mut events: Vec<E>, command: impl FnOnce(&CloneSession) -> Result<Vec<E>, Rejection>) -> Vec<E> {
    let decided = command(&given(&events)).expect("accepted");
    events.extend(decided);
    events
}

fn report(role: Role, status: StagingStatus) -> StagingReport {
    StagingReport { role, status, size_bytes: Some(SIZE) }
}

fn completion() -> SourceCompletion {
    SourceCompletion {
        size_bytes: SIZE,
        chunk_size_bytes: 4 << 20,
        chunks: 2,
        digest: "A".repeat(64),
        manifest_digest: "b".repeat(64),
        bytes_uploaded: Some(1234),
    }
}

fn created(target: Option<Uuid>, staged: StagedImage) -> Vec<E> {
    create_staged(&CloneSession::default(), ID, spec(target), staged, None, t(0)).expect("created")
}

fn uploading(target: Option<Uuid>) -> Vec<E> {
    let events =
        then(created(target, capture()), |s| report_staging(s, report(Role::Source, StagingStatus::Provisioned), t(1)));
    then(events, |s| report_staging(s, report(Role::Source, StagingStatus::Uploading), t(2)))
}

#[test]
fn a_capture_goes_pending_provisioned_uploading_ready_and_completes_without_a_target() {
    let events = created(None, capture());
    assert_eq!(given(&events).staging_status, Some(StagingStatus::Pending));
    let events = uploading(None);
    let state = given(&events);
    assert_eq!((state.status, state.staging_status), (CloneStatus::Cloning, Some(StagingStatus::Uploading)));
    assert_eq!(state.bytes_total(), Some(SIZE));
    assert!(events.iter().any(|e| matches!(e, E::Started { .. })), "clone.started when the upload starts");
    let done = source_complete(&state, completion(), t(12)).expect("complete");
    assert!(matches!(&done[0], E::SourceCompleted(c) if c.stored.digest == "a".repeat(64) && c.image_id == IMAGE));
    assert!(matches!(&done[1], E::Completed { duration_seconds: 10, digest: Some(d), .. } if *d == "a".repeat(64)));
    let state = given(&[events, done].concat());
    assert_eq!((state.status, state.staging_status), (CloneStatus::Completed, Some(StagingStatus::Ready)));
}

#[test]
fn replayed_and_late_staging_reports_record_nothing() {
    let events = uploading(None);
    let state = given(&events);
    assert_eq!(report_staging(&state, report(Role::Source, StagingStatus::Provisioned), t(3)), Ok(vec![]));
    assert_eq!(report_staging(&state, report(Role::Source, StagingStatus::Uploading), t(3)), Ok(vec![]));
    let events = then(events, |s| source_complete(s, completion(), t(4)));
    assert_eq!(source_complete(&given(&events), completion(), t(5)), Ok(vec![]));
    let other = SourceCompletion { digest: "c".repeat(64), ..completion() };
    assert!(matches!(source_complete(&given(&events), other, t(5)), Err(Rejection::Conflict(_))));
}

#[test]
fn source_complete_is_refused_before_the_upload_starts_and_with_bad_figures() {
    let state = given(&created(None, capture()));
    assert!(
        matches!(source_complete(&state, completion(), t(1)), Err(Rejection::Conflict(m)) if m.contains("pending"))
    );
    let state = given(&uploading(None));
    let bad = SourceCompletion { chunks: 3, ..completion() };
    assert!(matches!(source_complete(&state, bad, t(1)), Err(Rejection::Invalid { field, .. }) if field == "chunks"));
    let bad = SourceCompletion { manifest_digest: "xyz".into(), ..completion() };
    assert!(
        matches!(source_complete(&state, bad, t(1)), Err(Rejection::Invalid { field, .. }) if field == "manifest_digest")
    );
    let bad = SourceCompletion { size_bytes: SIZE * 2, chunks: 4, ..completion() };
    assert!(
        matches!(source_complete(&state, bad, t(1)), Err(Rejection::Invalid { field, .. }) if field == "size_bytes")
    );
}

#[test]
fn uploading_needs_the_disk_size_and_only_the_source_uploads() {
    let state = given(&created(None, capture()));
    let sizeless = StagingReport { size_bytes: None, ..report(Role::Source, StagingStatus::Uploading) };
    assert!(
        matches!(report_staging(&state, sizeless, t(1)), Err(Rejection::Invalid { field, .. }) if field == "size_bytes")
    );
    let wrong = report(Role::Target, StagingStatus::Uploading);
    assert!(matches!(report_staging(&state, wrong, t(1)), Err(Rejection::Invalid { field, .. }) if field == "status"));
    let ready = report(Role::Source, StagingStatus::Ready);
    assert!(matches!(report_staging(&state, ready, t(1)), Err(Rejection::Invalid { .. })));
}

#[test]
fn a_capture_with_a_target_waits_for_the_image_then_the_target_restores_and_completes() {
    let target = Some(Uuid::from_u128(2));
    let events = uploading(target);
    let early = report_staging(&given(&events), report(Role::Target, StagingStatus::Downloading), t(3));
    assert!(matches!(early, Err(Rejection::Conflict(m)) if m.contains("not ready yet (staging is uploading)")));
    let events = then(events, |s| source_complete(s, completion(), t(4)));
    assert_eq!(given(&events).status, CloneStatus::Cloning, "the target has yet to restore");
    assert!(matches!(complete(&given(&events), None, t(5)), Err(Rejection::Conflict(_))));
    let events = then(events, |s| report_staging(s, report(Role::Target, StagingStatus::Downloading), t(5)));
    let done = complete(&given(&events), Some("a".repeat(64)), t(9)).expect("completes");
    assert!(matches!(&done[0], E::Completed { .. }));
}

#[test]
fn a_restore_starts_ready_and_completes_only_with_the_images_digest() {
    let events = created(Some(Uuid::from_u128(2)), restore());
    let state = given(&events);
    assert_eq!((state.staging_status, state.bytes_total()), (Some(StagingStatus::Ready), Some(SIZE)));
    let upload = report_staging(&state, report(Role::Source, StagingStatus::Uploading), t(1));
    assert!(matches!(upload, Err(Rejection::Conflict(_))));
    let events = then(events, |s| report_staging(s, report(Role::Target, StagingStatus::Downloading), t(1)));
    let state = given(&events);
    assert_eq!(state.status, CloneStatus::Cloning);
    let wrong = complete(&state, Some("c".repeat(64)), t(2));
    assert!(matches!(wrong, Err(Rejection::Conflict(m)) if m.contains("does not hold the image")));
    assert!(complete(&state, Some("A".repeat(64)), t(2)).is_ok());
}

#[test]
fn a_restore_needs_a_target_and_a_valid_image_name() {
    let refused = create_staged(&CloneSession::default(), ID, spec(None), restore(), None, t(0));
    assert!(matches!(refused, Err(Rejection::Invalid { field, .. }) if field == "target_node_id"));
    let bad = StagedImage::Capture { image_id: IMAGE, image_name: "../x".into() };
    let refused = create_staged(&CloneSession::default(), ID, spec(None), bad, None, t(0));
    assert!(matches!(refused, Err(Rejection::Invalid { field, .. }) if field == "image_name"));
}

#[test]
fn direct_sessions_have_no_staging() {
    let direct = SessionSpec { clone_mode: CloneMode::Direct, target_node_id: Some(Uuid::from_u128(2)), ..spec(None) };
    let events = create(&CloneSession::default(), ID, direct, None, vec![], t(0)).expect("created");
    let refused = report_staging(&given(&events), report(Role::Source, StagingStatus::Provisioned), t(1));
    assert!(matches!(refused, Err(Rejection::NotAllowed(_))));
}

#[test]
fn a_failed_staging_session_refuses_further_reports() {
    let events = then(uploading(None), |s| fail(s, "disk gone".into(), t(3)));
    let refused = report_staging(&given(&events), report(Role::Source, StagingStatus::Uploading), t(4));
    assert!(matches!(refused, Err(Rejection::Conflict(m)) if m.contains("already failed")));
}

#[test]
fn a_capture_claims_its_image_name_and_releases_it_only_if_it_ends_unfinished() {
    let events = created(None, capture());
    let claim = crate::domain::image::name_claim(BACKEND, "golden", IMAGE, ClaimAction::Claim);
    assert_eq!(image_claims(&CloneSession::default(), &events), vec![claim]);
    let failed = fail(&given(&events), "x".into(), t(1)).expect("fails");
    let release = crate::domain::image::name_claim(BACKEND, "golden", IMAGE, ClaimAction::Release);
    assert_eq!(image_claims(&given(&events), &failed), vec![release]);
    let finished = then(uploading(None), |s| source_complete(s, completion(), t(4)));
    let deleted = delete(&given(&finished), t(5)).expect("deleted");
    assert_eq!(image_claims(&given(&finished), &deleted), vec![], "the image keeps its name");
    assert_eq!(image_claims(&CloneSession::default(), &created(Some(Uuid::from_u128(2)), restore())), vec![]);
}
