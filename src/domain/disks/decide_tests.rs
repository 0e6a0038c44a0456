//! Given events / when command / then events or rejection.

use serde_json::json;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use super::*;
use crate::domain::disks::DiskEvent as E;
use crate::domain::disks::fixtures::{self, GIB, MIB};
use crate::domain::disks::operation::OperationKind as K;
use crate::event_store::Aggregate;

fn t0() -> OffsetDateTime {
    OffsetDateTime::UNIX_EPOCH + Duration::days(20_000)
}

fn sda() -> Device {
    Device::parse("sda").expect("device")
}

fn disk(device: &str) -> DiskScan {
    fixtures::disk(device, vec![fixtures::part(1, MIB, 10 * GIB, "ext4", GIB)])
}

fn given(events: &[E]) -> NodeDisks {
    let mut state = NodeDisks::default();
    for event in events {
        state.apply(event);
    }
    state
}

/// Decides `command` on the state `events` fold to and appends what it wrote.
fn when(events: &mut Vec<E>, command: impl FnOnce(&NodeDisks) -> Result<Vec<E>, Rejection>) {
    let new = command(&given(events)).expect("accepted");
    events.extend(new);
}

fn scanned(devices: &[&str]) -> Vec<E> {
    let disks = devices.iter().map(|d| disk(d)).collect();
    report(&NodeDisks::default(), disks, t0(), Uuid::new_v4).expect("valid report")
}

fn grow(size_gib: i64) -> OperationSpec {
    OperationSpec::parse(K::Resize, &json!({"partition": 1, "new_size_bytes": size_gib * GIB})).expect("params")
}

fn delete_1() -> OperationSpec {
    OperationSpec::parse(K::Delete, &json!({"partition": 1})).expect("params")
}

/// sda scanned, then `specs` queued (ids 1, 2, 3…) and, if `applied`, applied.
fn queued(specs: &[OperationSpec], applied: bool) -> Vec<E> {
    let mut events = scanned(&["/dev/sda"]);
    for (n, spec) in specs.iter().enumerate() {
        let id = Uuid::from_u128(n as u128 + 1);
        when(&mut events, |s| queue(s, &sda(), spec.clone(), id, t0()));
    }
    if applied {
        when(&mut events, |s| apply(s, &sda(), t0()));
    }
    events
}

fn id(n: u128) -> Uuid {
    Uuid::from_u128(n)
}

fn status(events: &[E], n: u128, reported: ReportedStatus) -> Result<Vec<E>, Rejection> {
    report_status(&given(events), id(n), reported, None, t0())
}

fn conflict_message<T: std::fmt::Debug>(result: Result<T, Rejection>) -> String {
    match result {
        Err(Rejection::Conflict(message)) => message,
        other => panic!("expected a conflict, got {other:?}"),
    }
}

#[test]
fn a_report_keeps_disk_ids_and_drops_devices_it_no_longer_lists() {
    let first = scanned(&["/dev/sda", "/dev/sdb"]);
    let state = given(&first);
    let sda_id = state.disks["/dev/sda"].id;
    let events = report(&state, vec![disk("sda")], t0(), Uuid::new_v4).expect("valid");
    assert!(matches!(&events[0], E::DiskScanned { disk_id, .. } if *disk_id == sda_id));
    assert!(matches!(&events[1], E::ScanCompleted { removed, .. } if removed == &["/dev/sdb"]));
    let mut all = first;
    all.extend(events);
    assert_eq!(given(&all).disks.keys().collect::<Vec<_>>(), ["/dev/sda"]);
}

#[test]
fn scan_requests_are_pending_until_a_report_arrives() {
    assert_eq!(NodeDisks::default().scan_status(), ScanStatus::None);
    let mut events = request_scan(&NodeDisks::default(), t0()).expect("requested");
    assert_eq!(given(&events).scan_status(), ScanStatus::Pending);
    assert_eq!(request_scan(&given(&events), t0()), Ok(vec![]), "asking again changes nothing");
    let later = t0() + Duration::seconds(5);
    events.extend(report(&given(&events), vec![disk("sda")], later, Uuid::new_v4).expect("valid"));
    assert_eq!(given(&events).scan_status(), ScanStatus::Done);
}

#[test]
fn a_request_is_pending_and_a_report_done_whatever_the_clocks_say() {
    let scanned_at = t0() + Duration::seconds(5);
    let events = report(&NodeDisks::default(), vec![disk("sda")], scanned_at, Uuid::new_v4).expect("valid");
    for read in [scanned_at, t0()] {
        let mut after = events.clone();
        after.extend(request_scan(&given(&events), read).expect("requested"));
        assert_eq!(given(&after).scan_status(), ScanStatus::Pending, "requested with the clock at {read}");
        let earlier = read - Duration::seconds(60);
        after.extend(report(&given(&after), vec![disk("sda")], earlier, Uuid::new_v4).expect("valid"));
        assert_eq!(given(&after).scan_status(), ScanStatus::Done, "reported with the clock at {earlier}");
    }
}

#[test]
fn sequences_count_per_device_and_are_never_reused() {
    let mut events = queued(&[grow(20), grow(30)], false);
    when(&mut events, |s| remove(s, &sda(), id(2), t0()));
    when(&mut events, |s| queue(s, &sda(), grow(40), id(3), t0()));
    let state = given(&events);
    assert_eq!(state.queue("/dev/sda").map(|o| o.sequence).collect::<Vec<_>>(), [1, 3]);
}

#[test]
fn an_operation_on_an_unscanned_device_is_not_found() {
    let events = scanned(&["/dev/sda"]);
    let sdb = Device::parse("sdb").expect("device");
    assert!(matches!(queue(&given(&events), &sdb, grow(20), id(1), t0()), Err(Rejection::NotFound(_))));
}

#[test]
fn the_plan_includes_earlier_queued_operations() {
    let events = queued(&[delete_1()], false);
    let message = conflict_message(queue(&given(&events), &sda(), grow(20), id(9), t0()));
    assert!(message.contains("operation #2") && message.contains("deleted by queued operation #1"), "{message}");
}

#[test]
fn removing_an_operation_a_later_one_relies_on_is_refused() {
    let create = OperationSpec::parse(K::Create, &json!({"start_bytes": 2 * GIB, "size_bytes": GIB, "type": "linux"}))
        .expect("params");
    let events = queued(&[delete_1(), create], false);
    let message = conflict_message(remove(&given(&events), &sda(), id(1), t0()));
    assert!(message.contains("would break") && message.contains("overlap partition 1"), "{message}");
}

#[test]
fn only_queued_operations_can_be_removed() {
    let events = queued(&[grow(20)], true);
    let message = conflict_message(remove(&given(&events), &sda(), id(1), t0()));
    assert!(message.contains("applied"), "{message}");
}

#[test]
fn apply_hands_out_queued_operations_in_order_and_refuses_an_empty_queue() {
    let events = queued(&[grow(20), grow(30)], false);
    let applied = apply(&given(&events), &sda(), t0()).expect("applied");
    assert!(matches!(&applied[0], E::OperationsApplied { ids, .. } if ids == &[id(1), id(2)]));
    let events = queued(&[grow(20)], true);
    assert!(conflict_message(apply(&given(&events), &sda(), t0())).contains("no queued operations"));
}

#[test]
fn a_node_cannot_act_on_an_operation_before_it_is_applied() {
    let events = queued(&[grow(20)], false);
    assert!(conflict_message(status(&events, 1, ReportedStatus::Running)).contains("has not been applied"));
}

#[test]
fn operations_run_in_sequence_order() {
    let mut events = queued(&[grow(20), grow(30)], true);
    let message = conflict_message(status(&events, 2, ReportedStatus::Running));
    assert!(message.contains("must wait: operation #1"), "{message}");
    when(&mut events, |s| report_status(s, id(1), ReportedStatus::Running, None, t0()));
    when(&mut events, |s| report_status(s, id(1), ReportedStatus::Completed, None, t0()));
    when(&mut events, |s| report_status(s, id(2), ReportedStatus::Running, None, t0()));
}

#[test]
fn repeats_are_no_ops_and_going_backwards_conflicts() {
    let mut events = queued(&[grow(20)], true);
    when(&mut events, |s| report_status(s, id(1), ReportedStatus::Running, None, t0()));
    assert_eq!(status(&events, 1, ReportedStatus::Running), Ok(vec![]));
    when(&mut events, |s| report_status(s, id(1), ReportedStatus::Completed, None, t0()));
    assert_eq!(status(&events, 1, ReportedStatus::Completed), Ok(vec![]));
    assert!(conflict_message(status(&events, 1, ReportedStatus::Running)).contains("already completed"));
    assert!(conflict_message(status(&events, 1, ReportedStatus::Failed)).contains("already completed"));
}

#[test]
fn a_failure_takes_back_the_operations_after_it() {
    let mut events = queued(&[grow(20), grow(30), grow(40)], true);
    when(&mut events, |s| report_status(s, id(1), ReportedStatus::Running, None, t0()));
    let failed = report_status(&given(&events), id(1), ReportedStatus::Failed, Some("resize2fs: bad".into()), t0())
        .expect("recorded");
    assert!(matches!(&failed[0], E::OperationFailed { withdrawn, .. } if withdrawn == &[id(2), id(3)]));
    events.extend(failed);
    let state = given(&events);
    assert!(state.queue("/dev/sda").skip(1).all(|o| !o.handed_out && o.status == OperationStatus::Pending));
    assert!(conflict_message(status(&events, 2, ReportedStatus::Running)).contains("has not been applied"));
    assert_eq!(
        report_status(&state, id(1), ReportedStatus::Failed, Some("resize2fs: bad".into()), t0()),
        Ok(vec![]),
        "the same failure again is a repeat"
    );
    assert!(matches!(
        report_status(&state, id(1), ReportedStatus::Failed, Some("other".into()), t0()),
        Err(Rejection::Conflict(_))
    ));
    // The operator removes what is left, or applies it again.
    when(&mut events, |s| remove(s, &sda(), id(3), t0()));
    when(&mut events, |s| apply(s, &sda(), t0()));
    when(&mut events, |s| report_status(s, id(2), ReportedStatus::Running, None, t0()));
}

#[test]
fn an_error_message_belongs_to_failures_only() {
    let events = queued(&[grow(20)], true);
    let result = report_status(&given(&events), id(1), ReportedStatus::Running, Some("x".into()), t0());
    assert!(matches!(result, Err(Rejection::Invalid { field, .. }) if field == "error_message"));
}

#[test]
fn completed_operations_are_settled_by_the_next_scan() {
    let mut events = queued(&[grow(20)], true);
    when(&mut events, |s| report_status(s, id(1), ReportedStatus::Completed, None, t0()));
    // Without a rescan the plan still counts the grow: 20 GiB from 1 MiB on.
    let overlapping =
        OperationSpec::parse(K::Create, &json!({"start_bytes": 15 * GIB, "size_bytes": GIB, "type": "linux"}))
            .expect("params");
    assert!(matches!(queue(&given(&events), &sda(), overlapping.clone(), id(7), t0()), Err(Rejection::Conflict(_))));
    // The rescan shows the old 10 GiB partition (the grow did not take), so it fits.
    events.extend(report(&given(&events), vec![disk("sda")], t0(), Uuid::new_v4).expect("valid"));
    when(&mut events, |s| queue(s, &sda(), overlapping, id(7), t0()));
}
