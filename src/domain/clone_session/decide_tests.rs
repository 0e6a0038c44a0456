//! Given events / when command / then events or rejection.

use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use super::*;
use crate::domain::clone_session::fixtures::direct_spec;
use crate::domain::clone_session::{CloneSessionEvent as E, *};
use crate::event_store::Aggregate;

fn t0() -> OffsetDateTime {
    OffsetDateTime::UNIX_EPOCH + Duration::days(20_000)
}

fn endpoint() -> SourceEndpoint {
    SourceEndpoint { ip: "10.0.0.5".into(), port: 9999, size_bytes: 1000, device: "/dev/sda".into() }
}

fn given(events: &[E]) -> CloneSession {
    let mut state = CloneSession::default();
    for event in events {
        state.apply(event);
    }
    state
}

fn created() -> Vec<E> {
    create(&CloneSession::default(), Uuid::from_u128(9), direct_spec(), None, vec![], t0()).expect("creates")
}

fn ready() -> Vec<E> {
    let mut events = created();
    events.extend(source_ready(&given(&events), endpoint(), t0()).expect("ready"));
    events
}

fn cloning(bytes: i64) -> Vec<E> {
    let mut events = ready();
    events.extend(progress(&given(&events), report(bytes)).expect("progress"));
    events
}

fn report(bytes: i64) -> ProgressReport {
    ProgressReport {
        role: Role::Target,
        bytes_transferred: bytes,
        transfer_rate_bps: Some(10),
        status: None,
        bytes_on_wire: None,
    }
}

fn is_conflict<T: std::fmt::Debug>(result: Result<T, Rejection>) -> bool {
    matches!(result, Err(Rejection::Conflict(_)))
}

#[test]
fn staged_needs_a_backend_and_direct_needs_a_target() {
    let mut staged = direct_spec();
    staged.clone_mode = CloneMode::Staged;
    let err = create(&CloneSession::default(), Uuid::nil(), staged, None, vec![], t0()).expect_err("refused");
    assert_eq!(err, Rejection::invalid("staging_backend_id", "staging_backend_id required for staged mode"));

    let mut direct = direct_spec();
    direct.target_node_id = None;
    let err = create(&CloneSession::default(), Uuid::nil(), direct, None, vec![], t0()).expect_err("refused");
    assert_eq!(err, Rejection::invalid("target_node_id", "target_node_id required for direct mode"));
}

#[test]
fn names_longer_than_255_characters_are_refused() {
    let mut spec = direct_spec();
    spec.name = Some("x".repeat(256));
    let err = create(&CloneSession::default(), Uuid::nil(), spec, None, vec![], t0()).expect_err("refused");
    assert!(matches!(err, Rejection::Invalid { field, .. } if field == "name"));
}

#[test]
fn source_ready_on_pending_starts_the_session() {
    let events = source_ready(&given(&created()), endpoint(), t0()).expect("ready");
    assert!(matches!(events[0], E::Started { .. }));
    assert!(matches!(events[1], E::SourceReady { .. }));
}

#[test]
fn a_repeated_source_ready_is_a_no_op_and_a_different_one_conflicts() {
    let state = given(&cloning(10));
    assert_eq!(source_ready(&state, endpoint(), t0()), Ok(vec![]));
    let mut moved = endpoint();
    moved.port = 1;
    assert!(is_conflict(source_ready(&state, moved, t0())));
}

#[test]
fn first_progress_moves_source_ready_to_cloning() {
    let state = given(&cloning(100));
    assert_eq!(state.status, CloneStatus::Cloning);
    assert_eq!(state.bytes_transferred, 100);
}

#[test]
fn late_progress_is_recorded_but_never_moves_backwards() {
    let events = progress(&given(&cloning(500)), report(200)).expect("accepted");
    let E::ProgressReported(p) = &events[0] else { panic!("expected progress") };
    assert_eq!((p.reported_bytes, p.bytes_transferred), (200, 500));
}

#[test]
fn progress_beyond_the_disk_is_invalid() {
    let err = progress(&given(&cloning(10)), report(1001)).expect_err("refused");
    assert!(matches!(err, Rejection::Invalid { field, .. } if field == "bytes_transferred"));
}

#[test]
fn progress_on_pending_or_terminal_sessions_conflicts() {
    assert!(is_conflict(progress(&given(&created()), report(1))));
    let mut done = cloning(10);
    done.extend(complete(&given(&done), None, t0()).expect("completes"));
    assert!(is_conflict(progress(&given(&done), report(20))));
}

#[test]
fn complete_reports_duration_and_full_bytes_and_repeats_are_no_ops() {
    let state = given(&cloning(10));
    let events = complete(&state, None, t0() + Duration::seconds(90)).expect("completes");
    assert_eq!(
        events,
        vec![E::Completed {
            duration_seconds: 90,
            bytes_transferred: 1000,
            digest: None,
            at: t0() + Duration::seconds(90)
        }]
    );
    let mut all = cloning(10);
    all.extend(events);
    assert_eq!(complete(&given(&all), None, t0()), Ok(vec![]));
}

#[test]
fn complete_on_pending_conflicts() {
    assert!(is_conflict(complete(&given(&created()), None, t0())));
}

#[test]
fn failing_twice_with_the_same_error_is_a_no_op_but_a_new_error_conflicts() {
    let mut events = cloning(10);
    events.extend(fail(&given(&events), "disk read error".into(), t0()).expect("fails"));
    let state = given(&events);
    assert_eq!(fail(&state, "disk read error".into(), t0()), Ok(vec![]));
    assert!(is_conflict(fail(&state, "other".into(), t0())));
    assert!(is_conflict(complete(&state, None, t0())));
}

#[test]
fn delete_cancels_a_cloning_session_and_removes_others() {
    assert!(matches!(delete(&given(&cloning(1)), t0()).expect("ok")[..], [E::Cancelled { .. }]));
    assert!(matches!(delete(&given(&created()), t0()).expect("ok")[..], [E::Deleted { .. }]));
}

#[test]
fn a_deleted_session_is_not_found() {
    let mut events = created();
    events.extend(delete(&given(&events), t0()).expect("deletes"));
    let state = given(&events);
    assert!(matches!(complete(&state, None, t0()), Err(Rejection::NotFound(_))));
    assert!(matches!(delete(&state, t0()), Err(Rejection::NotFound(_))));
}

#[test]
fn updates_only_while_pending_and_only_what_changed() {
    let state = given(&created());
    let patch =
        SessionPatch { name: Some("lab".into()), resize_mode: Some(ResizeMode::GrowTarget), ..Default::default() };
    let events = update(&state, patch.clone(), None).expect("updates");
    assert_eq!(
        events,
        vec![E::Updated(SessionUpdated { resize_mode: Some(ResizeMode::GrowTarget), ..Default::default() })]
    );
    let err = update(&given(&ready()), patch, None).expect_err("refused");
    assert_eq!(err, Rejection::NotAllowed("Cannot update session in source_ready status".into()));
}

#[test]
fn progress_percent_rounds_to_one_decimal() {
    assert_eq!(progress_percent(1, Some(3)), 33.3);
    assert_eq!(progress_percent(2, Some(3)), 66.7);
    assert_eq!(progress_percent(5, None), 0.0);
}

fn certificate(role: Role, serial: &str) -> CertificateIssued {
    CertificateIssued {
        role,
        serial: serial.into(),
        fingerprint_sha256: "00".into(),
        subject: "CN=x".into(),
        not_before: t0(),
        not_after: t0() + Duration::hours(24),
    }
}

#[test]
fn each_role_is_issued_a_bounded_number_of_certificates() {
    let mut events = created();
    for n in 0..MAX_CERTIFICATES_PER_ROLE {
        events.extend(reissue(&given(&events), certificate(Role::Target, &n.to_string())).expect("within the bound"));
    }
    let state = given(&events);
    assert!(is_conflict(reissue(&state, certificate(Role::Target, "x"))), "one more is refused");
    assert!(is_conflict(may_reissue(&state, Role::Target)), "and refused before signing");
    assert!(reissue(&state, certificate(Role::Source, "s")).is_ok(), "the other role has its own count");
}

#[test]
fn complete_records_a_well_formed_digest_and_refuses_others() {
    let state = given(&cloning(10));
    let digest = "AB".repeat(32);
    let events = complete(&state, Some(digest), t0()).expect("completes");
    assert!(matches!(&events[0], E::Completed { digest: Some(d), .. } if *d == "ab".repeat(32)));
    for bad in ["abc".to_owned(), "zz".repeat(32)] {
        assert!(matches!(complete(&state, Some(bad), t0()), Err(Rejection::Invalid { .. })));
    }
}

#[test]
fn a_new_target_gets_a_new_certificate_and_its_own_allowance() {
    let mut events = created();
    events.extend(reissue(&given(&events), certificate(Role::Target, "old")).expect("signed"));
    let state = given(&events);
    let same = SessionPatch { target_node_id: Some(Uuid::from_u128(2)), ..Default::default() };
    assert_eq!(
        update(&state, same, Some(certificate(Role::Target, "unused"))),
        Ok(vec![]),
        "no change, no certificate"
    );

    let other = SessionPatch { target_node_id: Some(Uuid::from_u128(3)), ..Default::default() };
    let retargeted = update(&state, other, Some(certificate(Role::Target, "new"))).expect("retargets");
    assert!(matches!(&retargeted[..], [E::Updated(_), E::CertificateIssued(c)] if c.serial == "new"));
    events.extend(retargeted);
    let state = given(&events);
    assert_eq!(state.certificates.iter().find(|c| c.role == Role::Target).map(|c| c.serial.as_str()), Some("new"));
    assert_eq!(state.issued[Role::Target.index()], 1, "the new node's first certificate");
}
