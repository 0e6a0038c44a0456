//! Given the two scans / when analysed / then the verdict, with exact numbers.

use super::*;
use crate::domain::clone_session::test_disks::{GIB, MIB, ROOT_SIZE, ROOT_START, empty, source, spec};
use crate::domain::disks::operation::{MoveParams, ResizeParams};

fn analyse(target_size: i64) -> Analysis {
    let (source, target) = (source(), empty("/dev/sdb", target_size));
    analyze(&spec(ResizeMode::None), None, SessionDisks { source: Some(&source), target: Some(&target) })
}

#[test]
fn same_size_needs_no_resize() {
    let analysis = analyse(1536 * MIB);
    assert_eq!(analysis.fit, Fit::SameSize);
    assert_eq!(analysis.suggested_resize_mode, Some(ResizeMode::None));
    assert_eq!(analysis.needed_bytes, Some(1536 * MIB));
}

#[test]
fn a_larger_target_grows_the_last_partition_to_the_gpt_backup() {
    let analysis = analyse(2 * GIB);
    assert_eq!(analysis.fit, Fit::TargetLarger);
    assert_eq!(analysis.suggested_resize_mode, Some(ResizeMode::GrowTarget));
    // The last usable byte of 2 GiB: 4,194,304 sectors less the 33 of the backup GPT.
    let to = (4_194_304 - 33) * 512 - ROOT_START;
    assert_eq!(to, 2_112_863_744);
    assert_eq!(
        analysis.grow,
        Some(PartitionResize { partition: 2, from_bytes: ROOT_SIZE, to_bytes: to, min_bytes: None })
    );
    assert_eq!(
        analysis.message,
        format!("the target is {} bytes larger: grow_target grows partition 2 from {ROOT_SIZE} to {to} bytes", GIB / 2)
    );
}

#[test]
fn a_smaller_target_shrinks_the_last_partition_by_whole_mib() {
    // The source needs 1,609,581,568 bytes (partition 2 ends in sector 3,143,679,
    // then one free sector and the 33 of the backup GPT); 1 GiB is 535,839,744
    // short, so partition 2 loses 512 MiB.
    let analysis = analyse(GIB);
    assert_eq!(analysis.fit, Fit::TargetSmaller, "{}", analysis.message);
    assert_eq!(analysis.suggested_resize_mode, Some(ResizeMode::ShrinkSource));
    let to = ROOT_SIZE - 512 * MIB;
    assert_eq!(to, 1_038_090_240);
    // The floor: 100 MiB used + 10 % of the 1.5 GiB partition, in whole 4096 bytes.
    assert_eq!(
        analysis.shrink,
        vec![PartitionResize { partition: 2, from_bytes: ROOT_SIZE, to_bytes: to, min_bytes: Some(262_356_992) }]
    );
    let resize = OperationSpec::Resize(ResizeParams { partition: 2, new_size_bytes: to });
    assert_eq!(analysis.suggested_plan, Some(ClonePlan { source_operations: vec![resize] }));
    assert_eq!(analysis.needed_bytes, Some(1_072_710_656));
}

#[test]
fn when_the_last_partition_is_not_enough_an_earlier_one_shrinks_and_the_rest_moves_left() {
    // 280 MiB: partition 2 gives all it can (1251 MiB), partition 1 the last 5 MiB.
    let analysis = analyse(280 * MIB);
    assert_eq!(analysis.fit, Fit::TargetSmaller, "{}", analysis.message);
    let plan = analysis.suggested_plan.expect("a plan").source_operations;
    assert_eq!(
        plan,
        vec![
            OperationSpec::Resize(ResizeParams { partition: 1, new_size_bytes: 27 * MIB }),
            OperationSpec::Resize(ResizeParams { partition: 2, new_size_bytes: ROOT_SIZE - 1251 * MIB }),
            OperationSpec::Move(MoveParams { partition: 2, new_start_bytes: 28 * MIB }),
        ]
    );
    assert_eq!(analysis.needed_bytes, Some(292_570_112));
}

#[test]
fn a_target_below_every_floor_cannot_fit_and_says_by_how_much() {
    let analysis = analyse(256 * MIB);
    assert_eq!(analysis.fit, Fit::CannotFit);
    assert_eq!(analysis.suggested_resize_mode, None);
    assert_eq!(analysis.suggested_plan, None);
    assert_eq!(analysis.needed_bytes, Some(269_501_440));
    assert!(analysis.message.starts_with("cannot fit: 269501440 > 268435456 bytes"), "{}", analysis.message);
}

#[test]
fn different_sector_sizes_cannot_fit() {
    let source = source();
    let mut target = empty("/dev/sdb", 2 * GIB);
    target.logical_sector_size = 4096;
    let analysis =
        analyze(&spec(ResizeMode::None), None, SessionDisks { source: Some(&source), target: Some(&target) });
    assert_eq!(analysis.fit, Fit::CannotFit);
    assert!(analysis.message.contains("512-byte sectors and the target 4096-byte"), "{}", analysis.message);
}

#[test]
fn a_disk_without_a_scan_is_unknown() {
    let source = source();
    let analysis = analyze(&spec(ResizeMode::None), None, SessionDisks { source: Some(&source), target: None });
    assert_eq!(analysis.fit, Fit::Unknown);
    assert_eq!(analysis.message, "no scan of /dev/sdb on the target: scan it first");
}

#[test]
fn a_restored_image_without_a_layout_says_so() {
    let target = source();
    let analysis =
        analyze(&spec(ResizeMode::None), Some("golden"), SessionDisks { source: None, target: Some(&target) });
    assert_eq!(analysis.fit, Fit::Unknown);
    assert!(analysis.message.starts_with("image golden has no recorded layout"), "{}", analysis.message);
}
