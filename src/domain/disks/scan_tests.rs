//! Given a report / when validated / then accepted whole or refused naming
//! the offending partition.

use super::*;

const MIB: i64 = 1024 * 1024;

pub fn partition(number: i32, start: i64, end: i64) -> PartitionScan {
    PartitionScan {
        number,
        start_bytes: start,
        end_bytes: end,
        size_bytes: end - start + 1,
        part_type: "linux".into(),
        filesystem: Some("ext4".into()),
        label: None,
        flags: vec![],
        used_bytes: Some(0),
        mountpoint: None,
        name: None,
        type_id: None,
        uuid: None,
        fs_min_bytes: None,
    }
}

fn disk(partitions: Vec<PartitionScan>) -> DiskScan {
    DiskScan {
        device: "sda".into(),
        size_bytes: 1000 * MIB,
        model: Some("QEMU HARDDISK".into()),
        serial: None,
        partition_table: PartitionTable::Gpt,
        logical_sector_size: 512,
        physical_sector_size: 512,
        partitions,
    }
}

fn refusal(disks: Vec<DiskScan>) -> (String, String) {
    match validate_report(disks) {
        Err(Rejection::Invalid { field, message }) => (field, message),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[test]
fn a_sound_report_is_normalised() {
    let report = vec![disk(vec![partition(2, 101 * MIB, 200 * MIB - 1), partition(1, MIB, 101 * MIB - 1)])];
    let disks = validate_report(report).expect("valid");
    assert_eq!(disks[0].device, "/dev/sda");
    assert_eq!(disks[0].partitions.iter().map(|p| p.number).collect::<Vec<_>>(), [1, 2]);
}

#[test]
fn a_partition_outside_its_disk_is_named() {
    let (field, message) = refusal(vec![disk(vec![partition(1, MIB, 1000 * MIB)])]);
    assert_eq!(field, "disks[0].partitions[0]");
    assert!(message.contains("partition 1 on /dev/sda") && message.contains("outside the disk"), "{message}");
}

#[test]
fn overlapping_partitions_name_the_later_one() {
    let (field, message) = refusal(vec![disk(vec![partition(1, MIB, 100 * MIB), partition(2, 100 * MIB, 200 * MIB)])]);
    assert_eq!(field, "disks[0].partitions[1]");
    assert!(message.contains("partition 2") && message.contains("overlaps partition 1"), "{message}");
}

#[test]
fn an_end_before_the_start_is_named() {
    let mut backwards = partition(1, 10 * MIB, 20 * MIB);
    backwards.end_bytes = 5 * MIB;
    let (field, message) = refusal(vec![disk(vec![backwards])]);
    assert_eq!(field, "disks[0].partitions[0]");
    assert!(message.contains("before it starts"), "{message}");
}

#[test]
fn duplicate_numbers_are_named() {
    let (field, message) =
        refusal(vec![disk(vec![partition(1, MIB, 2 * MIB - 1), partition(1, 5 * MIB, 6 * MIB - 1)])]);
    assert_eq!(field, "disks[0].partitions[1]");
    assert!(message.contains("partition number 1"), "{message}");
}

#[test]
fn a_size_that_contradicts_start_and_end_is_named() {
    let mut p = partition(1, MIB, 2 * MIB - 1);
    p.size_bytes = MIB - 1;
    assert_eq!(refusal(vec![disk(vec![p])]).0, "disks[0].partitions[0]");
}

#[test]
fn used_bytes_beyond_the_partition_are_refused() {
    let mut p = partition(1, MIB, 2 * MIB - 1);
    p.used_bytes = Some(2 * MIB);
    assert_eq!(refusal(vec![disk(vec![p])]).0, "disks[0].partitions[0]");
}

#[test]
fn a_shrink_minimum_beyond_the_partition_or_an_overlong_uuid_is_refused() {
    let mut p = partition(1, MIB, 2 * MIB - 1);
    p.fs_min_bytes = Some(MIB + 1);
    let (field, message) = refusal(vec![disk(vec![p.clone()])]);
    assert_eq!(field, "disks[0].partitions[0]");
    assert!(message.contains("fs_min_bytes"), "{message}");
    p.fs_min_bytes = Some(MIB);
    p.uuid = Some("u".repeat(256));
    assert_eq!(refusal(vec![disk(vec![p])]).0, "disks[0].partitions[0].uuid");
}

#[test]
fn a_device_listed_twice_or_not_under_dev_is_refused() {
    let mut other = disk(vec![]);
    other.device = "/dev/sda".into();
    assert_eq!(refusal(vec![disk(vec![]), other]).0, "disks[1].device");
    let mut odd = disk(vec![]);
    odd.device = "/tmp/x".into();
    assert_eq!(refusal(vec![odd]).0, "disks[0].device");
}
