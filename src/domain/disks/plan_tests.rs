//! Given a scanned disk and a queue / when replayed / then the layout, or the
//! first operation that does not fit and why. One refusal per rule.

use serde_json::json;

use super::*;
use crate::domain::disks::fixtures::{GIB, MIB, disk as disk_at, part};
use crate::domain::disks::operation::{OperationKind as K, OperationSpec};

/// 100 GiB: 1 = 512 MiB efi (fat32), 2 = 40 GiB ext4 (10 GiB used),
/// 3 = 20 GiB xfs right after 2, then ~39.5 GiB free.
fn disk() -> DiskScan {
    disk_at(
        "/dev/sda",
        vec![
            part(1, MIB, 512 * MIB, "vfat", 10 * MIB),
            part(2, 513 * MIB, 40 * GIB, "ext4", 10 * GIB),
            part(3, 513 * MIB + 40 * GIB, 20 * GIB, "xfs", 5 * GIB),
        ],
    )
}

fn spec(kind: K, params: serde_json::Value) -> OperationSpec {
    OperationSpec::parse(kind, &params).expect("valid params")
}

fn replay(specs: &[OperationSpec]) -> Result<Layout, PlanConflict> {
    let ops = specs.iter().zip(1..).map(|(spec, sequence)| PlannedOp { sequence, spec });
    Layout::of(&disk()).replay(ops)
}

fn refused(specs: &[OperationSpec]) -> PlanConflict {
    replay(specs).expect_err("the plan should be refused")
}

fn p3_end() -> i64 {
    513 * MIB + 60 * GIB - 1
}

#[test]
fn a_plan_that_fits_leaves_the_expected_layout() {
    let layout = replay(&[
        spec(K::Resize, json!({"partition": 2, "new_size_bytes": 20 * GIB})),
        spec(K::Resize, json!({"partition": 3, "new_size_bytes": 30 * GIB})),
        spec(K::Create, json!({"start_bytes": p3_end() + 10 * GIB + 1, "size_bytes": GIB, "type": "linux"})),
    ])
    .expect("fits");
    assert_eq!(layout.partitions[&2].end, 513 * MIB + 20 * GIB - 1);
    assert_eq!(layout.partitions[&3].end, p3_end() + 10 * GIB);
    assert_eq!(layout.partitions[&4].start, p3_end() + 10 * GIB + 1, "created as the lowest free number");
}

#[test]
fn growing_past_the_end_of_the_disk_is_refused() {
    let conflict = refused(&[spec(K::Resize, json!({"partition": 3, "new_size_bytes": 80 * GIB}))]);
    assert_eq!(conflict.sequence, 1);
    assert!(conflict.reason.contains("past the end of /dev/sda"), "{conflict}");
}

#[test]
fn growing_into_the_next_partition_is_refused() {
    let conflict = refused(&[spec(K::Resize, json!({"partition": 2, "new_size_bytes": 41 * GIB}))]);
    assert!(conflict.reason.contains("overlap partition 3"), "{conflict}");
}

#[test]
fn shrinking_xfs_is_refused() {
    let conflict = refused(&[spec(K::Resize, json!({"partition": 3, "new_size_bytes": 10 * GIB}))]);
    assert!(conflict.reason.contains("xfs filesystems cannot be shrunk"), "{conflict}");
}

#[test]
fn shrinking_below_the_minimum_size_is_refused() {
    // 10 GiB used + 1 GiB margin = 11 GiB floor.
    let conflict = refused(&[spec(K::Resize, json!({"partition": 2, "new_size_bytes": 10 * GIB + 512 * MIB}))]);
    assert!(conflict.reason.contains("below its minimum size of 11811160064 bytes"), "{conflict}");
    replay(&[spec(K::Resize, json!({"partition": 2, "new_size_bytes": 11 * GIB}))]).expect("exactly the floor fits");
}

#[test]
fn shrinking_below_the_filesystem_tools_minimum_is_refused_even_above_the_usage_floor() {
    let shrink_to = |tool_min: i64, size: i64| {
        let mut scanned = disk();
        scanned.partitions[1].fs_min_bytes = Some(tool_min);
        let spec = spec(K::Resize, json!({"partition": 2, "new_size_bytes": size}));
        Layout::of(&scanned).replay([PlannedOp { sequence: 1, spec: &spec }])
    };
    // The tool says 15 GiB (more than the 11 GiB usage floor): 15 GiB wins.
    let conflict = shrink_to(15 * GIB, 12 * GIB).expect_err("below the tool's minimum");
    assert!(conflict.reason.contains("below its minimum size of 16106127360 bytes"), "{conflict}");
    assert!(conflict.reason.contains("filesystem tool's minimum"), "{conflict}");
    shrink_to(15 * GIB, 15 * GIB).expect("exactly the tool's minimum fits");

    // A tool minimum under the usage floor does not lower it.
    let conflict = shrink_to(GIB, 10 * GIB + 512 * MIB).expect_err("below the usage floor");
    assert!(conflict.reason.contains("used space plus a safety margin"), "{conflict}");
}

#[test]
fn creating_over_an_existing_partition_is_refused() {
    let conflict = refused(&[spec(K::Create, json!({"start_bytes": 10 * GIB, "size_bytes": GIB, "type": "linux"}))]);
    assert!(conflict.reason.contains("overlap partition 2"), "{conflict}");
}

#[test]
fn creating_in_the_first_mib_or_on_an_unknown_table_is_refused() {
    let conflict = refused(&[spec(K::Create, json!({"start_bytes": 0, "size_bytes": MIB, "type": "linux"}))]);
    assert!(conflict.reason.contains("first MiB"), "{conflict}");

    let mut blank = disk();
    blank.partitions.clear();
    blank.partition_table = PartitionTable::Unknown;
    let create = spec(K::Create, json!({"start_bytes": MIB, "size_bytes": MIB, "type": "linux"}));
    let conflict = Layout::of(&blank).replay([PlannedOp { sequence: 1, spec: &create }]).expect_err("no table");
    assert!(conflict.reason.contains("no recognised partition table"), "{conflict}");
}

#[test]
fn touching_a_partition_an_earlier_delete_removed_is_refused() {
    let conflict = refused(&[
        spec(K::Delete, json!({"partition": 3})),
        spec(K::Format, json!({"partition": 3, "filesystem": "ext4"})),
    ]);
    assert_eq!(conflict.sequence, 2);
    assert!(conflict.reason.contains("deleted by queued operation #1"), "{conflict}");
    assert_eq!(
        conflict.to_string(),
        "operation #2 (format partition 3 as ext4) does not fit: \
         partition 3 is deleted by queued operation #1 before it"
    );
}

#[test]
fn space_freed_by_an_earlier_operation_can_be_used_later() {
    let layout = replay(&[
        spec(K::Delete, json!({"partition": 3})),
        spec(K::Resize, json!({"partition": 2, "new_size_bytes": 90 * GIB})),
    ])
    .expect("fits once 3 is gone");
    assert!(!layout.partitions.contains_key(&3));
}

#[test]
fn operations_on_unknown_partitions_are_refused() {
    let conflict = refused(&[spec(K::SetFlag, json!({"partition": 9, "flag": "boot", "value": true}))]);
    assert!(conflict.reason.contains("there is no partition 9 on /dev/sda"), "{conflict}");
}

#[test]
fn moving_onto_a_neighbour_is_refused_but_moving_into_free_space_fits() {
    let conflict = refused(&[spec(K::Move, json!({"partition": 3, "new_start_bytes": 20 * GIB}))]);
    assert!(conflict.reason.contains("overlap partition 2"), "{conflict}");
    replay(&[spec(K::Move, json!({"partition": 3, "new_start_bytes": 70 * GIB}))]).expect("free space");
}

#[test]
fn shrinking_a_freshly_formatted_partition_uses_its_new_usage() {
    replay(&[
        spec(K::Format, json!({"partition": 2, "filesystem": "ext4"})),
        spec(K::Resize, json!({"partition": 2, "new_size_bytes": 2 * GIB})),
    ])
    .expect("an empty filesystem shrinks to its margin");
}

/// `disk()` with other sector sizes and table, nothing after partition 3.
fn disk_with(logical: i64, table: PartitionTable) -> DiskScan {
    DiskScan { logical_sector_size: logical, physical_sector_size: 4096, partition_table: table, ..disk() }
}

fn replay_on(disk: &DiskScan, specs: &[OperationSpec]) -> Result<Layout, PlanConflict> {
    let ops = specs.iter().zip(1..).map(|(spec, sequence)| PlannedOp { sequence, spec });
    Layout::of(disk).replay(ops)
}

/// Creates a partition from the free space's start up to and including byte `last`.
fn create_up_to(last: i64) -> OperationSpec {
    let start = p3_end() + 1;
    spec(K::Create, json!({"start_bytes": start, "size_bytes": last - start + 1, "type": "linux"}))
}

#[test]
fn on_gpt_nothing_reaches_the_backup_header_with_either_sector_size() {
    // LastUsableLBA is 34 sectors before the end with 512-byte sectors, 6 with 4096.
    for (logical, reserved) in [(512, 33 * 512), (4096, 5 * 4096)] {
        let gpt = disk_with(logical, PartitionTable::Gpt);
        let last_usable = 100 * GIB - reserved - 1;
        let conflict = replay_on(&gpt, &[create_up_to(100 * GIB - 1)]).expect_err("ends on the disk's last byte");
        assert!(conflict.reason.contains("inside the backup GPT"), "{logical}: {conflict}");
        assert!(conflict.reason.contains(&format!("last usable byte is {last_usable}")), "{logical}: {conflict}");
        replay_on(&gpt, &[create_up_to(last_usable)]).expect("ends on the last usable byte");
        let grow = spec(K::Resize, json!({"partition": 3, "new_size_bytes": 100 * GIB - (513 * MIB + 40 * GIB)}));
        let conflict = replay_on(&gpt, &[grow]).expect_err("grown to the disk's end");
        assert!(conflict.reason.contains("inside the backup GPT"), "{logical}: {conflict}");
    }
}

#[test]
fn on_mbr_the_whole_disk_after_the_first_mib_is_usable() {
    for logical in [512, 4096] {
        let mbr = disk_with(logical, PartitionTable::Mbr);
        replay_on(&mbr, &[create_up_to(100 * GIB - 1)]).expect("no backup table on MBR");
        let first_track = spec(K::Create, json!({"start_bytes": 63 * 512, "size_bytes": MIB, "type": "linux"}));
        let conflict = replay_on(&mbr, &[first_track]).expect_err("first track");
        assert!(conflict.reason.contains("first MiB"), "{conflict}");
    }
}

#[test]
fn sizes_are_whole_sectors_and_new_starts_keep_the_mib_alignment() {
    let big_sectors = disk_with(4096, PartitionTable::Gpt);
    let start = p3_end() + 1;
    let odd = spec(K::Create, json!({"start_bytes": start, "size_bytes": GIB + 512, "type": "linux"}));
    let conflict = replay_on(&big_sectors, std::slice::from_ref(&odd)).expect_err("not whole 4096-byte sectors");
    assert!(conflict.reason.contains("4096-byte sectors"), "{conflict}");
    replay_on(&disk_with(512, PartitionTable::Gpt), &[odd]).expect("whole 512-byte sectors");
    let shrink = spec(K::Resize, json!({"partition": 2, "new_size_bytes": 20 * GIB + 512}));
    let conflict = replay_on(&big_sectors, &[shrink]).expect_err("resize to a partial sector");
    assert!(conflict.reason.contains("4096-byte sectors"), "{conflict}");

    let unaligned = spec(K::Create, json!({"start_bytes": start + 4096, "size_bytes": GIB, "type": "linux"}));
    let conflict = replay_on(&big_sectors, &[unaligned]).expect_err("off the MiB grid");
    assert!(conflict.reason.contains("not on a 1 MiB boundary"), "{conflict}");
    let moved = spec(K::Move, json!({"partition": 3, "new_start_bytes": 70 * GIB + 512}));
    let conflict = replay_on(&big_sectors, &[moved]).expect_err("moved off the MiB grid");
    assert!(conflict.reason.contains("not on a 1 MiB boundary"), "{conflict}");
}

#[test]
fn the_shrink_floor_of_20_gib_used_is_exact() {
    let mut scan = disk();
    scan.partitions[1].used_bytes = Some(20 * GIB);
    // 20 GiB + 10 % = 22 GiB = 23,622,320,128 bytes (truncating arithmetic said …120).
    let to = |size: i64| spec(K::Resize, json!({"partition": 2, "new_size_bytes": size}));
    let conflict = replay_on(&scan, &[to(23_622_320_127)]).expect_err("one byte under the floor");
    assert!(conflict.reason.contains("minimum size of 23622320128 bytes"), "{conflict}");
    replay_on(&scan, &[to(23_622_320_128)]).expect("exactly the floor");
}
