//! Given events / when set-plan, start or source-ready / then events or the
//! rejection, for every transition the plan and the start add.

use time::OffsetDateTime;
use uuid::Uuid;

use super::*;
use crate::domain::Rejection;
use crate::domain::clone_session::test_disks::{GIB, MIB, ROOT_SIZE, empty, source, spec};
use crate::domain::clone_session::{
    CloneSessionEvent as E, SessionPatch, SourceEndpoint, create, source_ready, update,
};
use crate::domain::disks::OperationSpec;
use crate::domain::disks::operation::ResizeParams;
use crate::event_store::Aggregate;

fn given(events: &[E]) -> CloneSession {
    let mut state = CloneSession::default();
    for event in events {
        state.apply(event);
    }
    state
}

fn created(mode: ResizeMode) -> Vec<E> {
    let now = OffsetDateTime::UNIX_EPOCH;
    create(&CloneSession::default(), Uuid::from_u128(9), spec(mode), None, vec![], now).expect("creates")
}

fn shrink(bytes: i64) -> ClonePlan {
    ClonePlan::new(vec![OperationSpec::Resize(ResizeParams { partition: 2, new_size_bytes: bytes })]).expect("plan")
}

/// Then a clone of the 1.5 GiB source onto 1 GiB.
fn on_one_gib(check: impl FnOnce(SessionDisks<'_>)) {
    let (source, target) = (source(), empty("/dev/sdb", GIB));
    check(SessionDisks { source: Some(&source), target: Some(&target) });
}

fn endpoint() -> SourceEndpoint {
    SourceEndpoint { ip: "10.0.0.5".into(), port: 9999, size_bytes: 1000, device: "/dev/sda".into() }
}

fn conflict(result: Result<Vec<E>, Rejection>) -> String {
    match result {
        Err(Rejection::Conflict(why)) => why,
        other => panic!("expected a conflict, got {other:?}"),
    }
}

#[test]
fn a_plan_that_fits_is_recorded_once() {
    on_one_gib(|disks| {
        let events = created(ResizeMode::ShrinkSource);
        let plan = shrink(ROOT_SIZE - 512 * MIB);
        let set = set_plan(&given(&events), plan.clone(), disks).expect("fits");
        assert_eq!(set, vec![E::PlanSet(plan.clone())]);
        let state = given(&[events, set].concat());
        assert_eq!(state.plan, plan);
        assert_eq!(set_plan(&state, plan, disks).expect("same plan"), vec![], "a repeat records nothing");
    });
}

#[test]
fn a_plan_that_breaks_a_rule_is_refused_with_the_reason() {
    on_one_gib(|disks| {
        let why = conflict(set_plan(&given(&created(ResizeMode::ShrinkSource)), shrink(ROOT_SIZE - 511 * MIB), disks));
        assert!(why.starts_with("cannot fit: 1073759232 > 1073741824 bytes"), "{why}");
    });
}

#[test]
fn start_checks_the_plan_and_records_a_requested_start() {
    on_one_gib(|disks| {
        let mut events = created(ResizeMode::ShrinkSource);
        // Without a plan the 1.5 GiB source does not fit 1 GiB.
        let why = conflict(start(&given(&events), disks));
        assert!(why.starts_with("start refused: cannot fit: 1609581568 > 1073741824 bytes"), "{why}");
        events.extend(set_plan(&given(&events), shrink(ROOT_SIZE - 512 * MIB), disks).expect("plan"));
        let started = start(&given(&events), disks).expect("starts");
        assert_eq!(
            started,
            vec![E::Started {
                source_node_id: Uuid::from_u128(1),
                target_node_id: Some(Uuid::from_u128(2)),
                requested: true
            }]
        );
        events.extend(started);
        assert_eq!(start(&given(&events), disks).expect("again"), vec![], "a repeat records nothing");
    });
}

#[test]
fn start_is_refused_when_the_scans_changed_under_the_plan() {
    let events = {
        let mut events = created(ResizeMode::ShrinkSource);
        on_one_gib(|disks| {
            events.extend(set_plan(&given(&events), shrink(ROOT_SIZE - 512 * MIB), disks).expect("plan"))
        });
        events
    };
    // The target was rescanned: now 1,000 MiB.
    let (source, smaller) = (source(), empty("/dev/sdb", 1000 * MIB));
    let why = conflict(start(&given(&events), SessionDisks { source: Some(&source), target: Some(&smaller) }));
    assert!(why.starts_with("start refused: cannot fit: 1072710656 > 1048576000 bytes"), "{why}");
}

#[test]
fn after_the_start_neither_the_plan_nor_the_settings_change() {
    on_one_gib(|disks| {
        let mut events = created(ResizeMode::ShrinkSource);
        events.extend(set_plan(&given(&events), shrink(ROOT_SIZE - 512 * MIB), disks).expect("plan"));
        events.extend(start(&given(&events), disks).expect("starts"));
        let state = given(&events);
        assert_eq!(
            conflict(set_plan(&state, shrink(ROOT_SIZE - 600 * MIB), disks)),
            "the plan can no longer change: the session was started"
        );
        let patch = SessionPatch { name: Some("x".into()), ..SessionPatch::default() };
        assert!(matches!(update(&state, patch, None), Err(Rejection::Conflict(_))));
    });
}

#[test]
fn a_shrink_source_session_serves_only_once_started_and_starts_once() {
    on_one_gib(|disks| {
        let mut events = created(ResizeMode::ShrinkSource);
        events.extend(set_plan(&given(&events), shrink(ROOT_SIZE - 512 * MIB), disks).expect("plan"));
        let why = conflict(source_ready(&given(&events), endpoint(), OffsetDateTime::UNIX_EPOCH));
        assert!(why.starts_with("source-ready refused: a shrink_source session must be started first"), "{why}");
        events.extend(start(&given(&events), disks).expect("starts"));
        let ready = source_ready(&given(&events), endpoint(), OffsetDateTime::UNIX_EPOCH).expect("ready");
        assert!(matches!(ready.as_slice(), [E::SourceReady { .. }]), "no second Started: {ready:?}");
    });
}

#[test]
fn other_sessions_start_at_source_ready_without_a_start() {
    let events = created(ResizeMode::None);
    let ready = source_ready(&given(&events), endpoint(), OffsetDateTime::UNIX_EPOCH).expect("ready");
    assert!(matches!(ready.as_slice(), [E::Started { requested: false, .. }, E::SourceReady { .. }]), "{ready:?}");
    let state = given(&[events, ready].concat());
    assert_eq!(conflict(start(&state, SessionDisks::default())), "start refused: session is already source_ready");
}

#[test]
fn a_session_may_not_write_onto_the_disk_it_reads() {
    let mut same = spec(ResizeMode::None);
    same.target_node_id = Some(same.source_node_id);
    let direct = crate::domain::clone_session::check_spec(same.clone()).expect_err("same node");
    assert_eq!(direct, Rejection::invalid("target_node_id", "source and target must be different nodes"));
    same.clone_mode = crate::domain::clone_session::CloneMode::Staged;
    same.staging_backend_id = Some(Uuid::from_u128(7));
    same.target_device = same.source_device.clone();
    let staged = crate::domain::clone_session::check_spec(same.clone()).expect_err("same disk");
    assert_eq!(
        staged,
        Rejection::invalid("target_device", "the target disk is the source disk (same node, same device)")
    );
    same.target_device = "/dev/sdb".into();
    assert!(crate::domain::clone_session::check_spec(same).is_ok(), "a staged restore onto another disk of the source");
}
