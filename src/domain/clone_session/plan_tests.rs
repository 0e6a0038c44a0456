//! Given a session, its plan and the scans / when checked / then the reason
//! it does not fit, if any. One refusal per rule.

use super::*;
use crate::domain::clone_session::test_disks::{GIB, MIB, ROOT_SIZE, empty, source, spec};
use crate::domain::disks::operation::ResizeParams;

fn shrink_root_to(bytes: i64) -> ClonePlan {
    ClonePlan::new(vec![OperationSpec::Resize(ResizeParams { partition: 2, new_size_bytes: bytes })]).expect("plan")
}

fn check_on(plan: &ClonePlan, target_size: i64) -> Result<(), String> {
    let (source, target) = (source(), empty("/dev/sdb", target_size));
    check(&spec(ResizeMode::ShrinkSource), plan, SessionDisks { source: Some(&source), target: Some(&target) })
}

#[test]
fn the_suggested_shrink_fits_1_gib() {
    assert_eq!(check_on(&shrink_root_to(ROOT_SIZE - 512 * MIB), GIB), Ok(()));
}

#[test]
fn one_mib_less_of_shrink_does_not_fit_and_gives_both_numbers() {
    let why = check_on(&shrink_root_to(ROOT_SIZE - 511 * MIB), GIB).expect_err("too big");
    // Partition 2 then ends in sector 2,097,151: 2,097,152 + 34 sectors.
    assert!(why.starts_with("cannot fit: 1073759232 > 1073741824 bytes"), "{why}");
}

#[test]
fn a_shrink_below_the_floor_breaks_the_simulators_rule() {
    let why = check_on(&shrink_root_to(200 * MIB), GIB).expect_err("below the floor");
    assert_eq!(
        why,
        "the plan breaks a rule: operation #1 (resize partition 2 to 0.2 GB) does not fit: partition 2 cannot be \
         shrunk below its minimum size of 262356992 bytes (0.2 GB: used space plus a safety margin)"
    );
}

#[test]
fn an_empty_plan_copies_the_whole_source_unless_it_shrinks() {
    let (source, target) = (source(), empty("/dev/sdb", GIB));
    let disks = SessionDisks { source: Some(&source), target: Some(&target) };
    let why = check(&spec(ResizeMode::None), &ClonePlan::default(), disks).expect_err("too small");
    assert!(why.starts_with("cannot fit: 1610612736 > 1073741824 bytes (the whole source disk"), "{why}");
}

#[test]
fn source_operations_need_shrink_source() {
    let (source, target) = (source(), empty("/dev/sdb", GIB));
    let disks = SessionDisks { source: Some(&source), target: Some(&target) };
    let why = check(&spec(ResizeMode::GrowTarget), &shrink_root_to(ROOT_SIZE - 512 * MIB), disks).expect_err("mode");
    assert_eq!(
        why,
        "the plan's source operations run only with resize_mode shrink_source (the session's is grow_target)"
    );
}

#[test]
fn a_plan_needs_the_sources_scan_but_unknown_targets_pass() {
    let plan = shrink_root_to(ROOT_SIZE - 512 * MIB);
    let why = check(&spec(ResizeMode::ShrinkSource), &plan, SessionDisks::default()).expect_err("no scan");
    assert!(why.starts_with("node 00000000-0000-0000-0000-000000000001 has not reported /dev/sda"), "{why}");
    let source = source();
    assert_eq!(
        check(&spec(ResizeMode::ShrinkSource), &plan, SessionDisks { source: Some(&source), target: None }),
        Ok(())
    );
}

#[test]
fn only_resize_and_move_may_be_planned() {
    let delete = OperationSpec::Delete(crate::domain::disks::operation::DeleteParams { partition: 2 });
    let rejection = ClonePlan::new(vec![delete]).expect_err("delete refused");
    assert!(format!("{rejection:?}").contains("source_operations[0].operation"), "{rejection:?}");
}
