//! The disks of the domain's plan tests, with the numbers of the real
//! shrink_source test (`tests/api/agent_shrink.rs`): a 1.5 GiB GPT source
//! made like `agent_harness::gpt_image` (a 32 MiB EFI partition at 1 MiB,
//! ext4 from 33 MiB) and targets around it.

use super::{ResizeMode, SessionSpec};
pub use crate::domain::disks::fixtures::{GIB, MIB};
use crate::domain::disks::{DiskScan, PartitionScan, fixtures};
/// Partition 2: 1502 MiB (3,076,096 sectors) from sector 67,584 to 3,143,679
/// (sfdisk ends it on a MiB boundary, before the GPT's last usable sector).
pub const ROOT_START: i64 = 33 * MIB;
pub const ROOT_SIZE: i64 = 3_076_096 * 512;

pub fn spec(resize_mode: ResizeMode) -> SessionSpec {
    SessionSpec { resize_mode, ..super::fixtures::direct_spec() }
}

fn part(number: i32, start: i64, size: i64, filesystem: &str, used: i64, fs_min: Option<i64>) -> PartitionScan {
    PartitionScan { fs_min_bytes: fs_min, ..fixtures::part(number, start, size, filesystem, used) }
}

/// 1.5 GiB: 1 = 32 MiB vfat (1 MiB used), 2 = ext4 (100 MiB used, the
/// tool's minimum 120 MiB).
pub fn source() -> DiskScan {
    let mut disk = empty("/dev/sda", 1536 * MIB);
    disk.partitions = vec![
        part(1, MIB, 32 * MIB, "vfat", MIB, None),
        part(2, ROOT_START, ROOT_SIZE, "ext4", 100 * MIB, Some(120 * MIB)),
    ];
    disk
}

/// A GPT disk of `size_bytes` without partitions.
pub fn empty(device: &str, size_bytes: i64) -> DiskScan {
    DiskScan { size_bytes, ..fixtures::disk(device, vec![]) }
}
