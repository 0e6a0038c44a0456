//! Disks the domain tests start from, built in one place.

use super::{DiskScan, PartitionScan, PartitionTable};

pub const MIB: i64 = 1024 * 1024;
pub const GIB: i64 = 1024 * MIB;

/// A 100 GiB GPT disk at `device` with `partitions`.
pub fn disk(device: &str, partitions: Vec<PartitionScan>) -> DiskScan {
    DiskScan {
        device: device.into(),
        size_bytes: 100 * GIB,
        model: None,
        serial: None,
        partition_table: PartitionTable::Gpt,
        logical_sector_size: 512,
        physical_sector_size: 512,
        partitions,
    }
}

/// A Linux partition of `size` bytes at `start` holding `filesystem`, `used` bytes used.
pub fn part(number: i32, start: i64, size: i64, filesystem: &str, used: i64) -> PartitionScan {
    PartitionScan {
        number,
        start_bytes: start,
        end_bytes: start + size - 1,
        size_bytes: size,
        part_type: "linux".into(),
        filesystem: Some(filesystem.into()),
        label: None,
        flags: vec![],
        used_bytes: Some(used),
        mountpoint: None,
        name: None,
        type_id: None,
        uuid: None,
        fs_min_bytes: None,
    }
}
