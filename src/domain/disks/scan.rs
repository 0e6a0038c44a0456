//! A node's scan report and the rules it must satisfy before any of it is
//! recorded: a report is stored whole or not at all.
//!
//! Geometry follows `parted unit B print`: `end_bytes` is the partition's
//! last byte (inclusive), so `size_bytes = end_bytes - start_bytes + 1` and
//! two partitions overlap when one starts at or before the other's end.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::Device;
use super::geometry::{DEFAULT_SECTOR_SIZE, SECTOR_SIZES};
use crate::domain::{Rejection, check_text};

/// Disks one report may list, and partitions one disk may hold (GPT's 128,
/// with room for logical MBR partitions); bounds the size of an event.
const MAX_DISKS: usize = 64;
const MAX_PARTITIONS: usize = 256;
const TEXT_MAX: usize = 255;
const NAME_MAX: usize = 64;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum PartitionTable {
    Gpt,
    Mbr,
    Unknown,
}

/// One disk as the node last saw it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiskScan {
    /// Normalised by [`validate_report`] (`sda` → `/dev/sda`).
    pub device: String,
    pub size_bytes: i64,
    pub model: Option<String>,
    pub serial: Option<String>,
    pub partition_table: PartitionTable,
    /// Bytes per logical sector (512 or 4096), the unit partitions are
    /// addressed in; 512 for events recorded before the field existed.
    #[serde(default = "default_sector_size")]
    pub logical_sector_size: i64,
    /// Bytes per physical sector (512 or 4096, at least the logical size).
    #[serde(default = "default_sector_size")]
    pub physical_sector_size: i64,
    /// In partition-number order.
    pub partitions: Vec<PartitionScan>,
}

fn default_sector_size() -> i64 {
    DEFAULT_SECTOR_SIZE
}

// The node's report (`ReportedPartition` in the API) and the event share this shape.
/// One partition as `parted unit B print` shows it: `end_bytes` is the last
/// byte, so `size_bytes` must equal `end_bytes - start_bytes + 1`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(as = ReportedPartition)]
pub struct PartitionScan {
    pub number: i32,
    pub start_bytes: i64,
    pub end_bytes: i64,
    pub size_bytes: i64,
    /// efi, linux, swap, ntfs…
    #[serde(rename = "type")]
    pub part_type: String,
    /// As the scanner names it (`vfat` reads as fat32).
    pub filesystem: Option<String>,
    pub label: Option<String>,
    #[serde(default)]
    pub flags: Vec<String>,
    pub used_bytes: Option<i64>,
    pub mountpoint: Option<String>,
    /// The partition's own name (GPT), not its filesystem's label.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The raw type: a GPT type GUID or an MBR type code (`0x83`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(example = "0FC63DAF-8483-4772-8E79-3D69D8477DE4")]
    pub type_id: Option<String>,
    /// The filesystem's UUID (or vfat/ntfs serial) as `blkid` prints it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uuid: Option<String>,
    /// Bytes: the smallest size the filesystem's own tool says it can shrink
    /// to (`resize2fs -P` × block size), where a tool tells.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fs_min_bytes: Option<i64>,
}

impl DiskScan {
    pub fn partition(&self, number: i32) -> Option<&PartitionScan> {
        self.partitions.iter().find(|p| p.number == number)
    }
}

/// Checks a whole report and returns it normalised (devices in `/dev/…`
/// form, partitions in number order). The first problem found is returned,
/// naming the offending disk or partition by its place in the report.
pub fn validate_report(mut disks: Vec<DiskScan>) -> Result<Vec<DiskScan>, Rejection> {
    if disks.len() > MAX_DISKS {
        return Err(Rejection::invalid("disks", format!("at most {MAX_DISKS} disks per report")));
    }
    let mut seen = BTreeMap::new();
    for (i, disk) in disks.iter_mut().enumerate() {
        let at = format!("disks[{i}]");
        let device = Device::parse(&disk.device)
            .map_err(|_| field(&at, "device", format!("'{}' is not a device path such as /dev/sda", disk.device)))?;
        if let Some(first) = seen.insert(device.clone(), i) {
            return Err(field(&at, "device", format!("{device} is also listed as disks[{first}]")));
        }
        disk.device = device.as_str().to_owned();
        check_disk(&at, disk)?;
        disk.partitions.sort_by_key(|p| p.number);
    }
    Ok(disks)
}

fn check_disk(at: &str, disk: &DiskScan) -> Result<(), Rejection> {
    if disk.size_bytes <= 0 {
        return Err(field(at, "size_bytes", "must be greater than 0"));
    }
    for (name, value) in [("model", &disk.model), ("serial", &disk.serial)] {
        if value.as_ref().is_some_and(|v| v.chars().count() > TEXT_MAX) {
            return Err(field(at, name, format!("must be at most {TEXT_MAX} characters")));
        }
    }
    check_sector_sizes(at, disk)?;
    if disk.partitions.len() > MAX_PARTITIONS {
        return Err(field(at, "partitions", format!("at most {MAX_PARTITIONS} partitions per disk")));
    }
    for (j, partition) in disk.partitions.iter().enumerate() {
        check_partition(&format!("{at}.partitions[{j}]"), disk, partition)?;
    }
    check_numbers_and_overlaps(at, disk)
}

/// Both sizes are 512 or 4096, and a physical sector holds whole logical
/// ones (512-byte emulation on 4096-byte media, never the reverse).
fn check_sector_sizes(at: &str, disk: &DiskScan) -> Result<(), Rejection> {
    for (name, size) in
        [("logical_sector_size", disk.logical_sector_size), ("physical_sector_size", disk.physical_sector_size)]
    {
        if !SECTOR_SIZES.contains(&size) {
            return Err(field(at, name, format!("{size} is not a sector size in bytes: 512 or 4096")));
        }
    }
    if disk.physical_sector_size < disk.logical_sector_size {
        return Err(field(
            at,
            "physical_sector_size",
            format!(
                "{} is smaller than logical_sector_size {} (a physical sector holds whole logical ones)",
                disk.physical_sector_size, disk.logical_sector_size
            ),
        ));
    }
    Ok(())
}

fn check_partition(at: &str, disk: &DiskScan, p: &PartitionScan) -> Result<(), Rejection> {
    let named =
        |message: String| Rejection::invalid(at, format!("partition {} on {}: {message}", p.number, disk.device));
    if p.number < 1 {
        return Err(named("partition numbers start at 1".into()));
    }
    if p.start_bytes < 0 {
        return Err(named(format!("starts at byte {}, before the start of the disk", p.start_bytes)));
    }
    if p.end_bytes < p.start_bytes {
        return Err(named(format!("ends at byte {} before it starts at byte {}", p.end_bytes, p.start_bytes)));
    }
    if p.end_bytes >= disk.size_bytes {
        return Err(named(format!(
            "ends at byte {}, outside the disk ({} bytes, last byte {})",
            p.end_bytes,
            disk.size_bytes,
            disk.size_bytes - 1
        )));
    }
    if p.size_bytes != p.end_bytes - p.start_bytes + 1 {
        return Err(named(format!(
            "size_bytes {} does not match end_bytes - start_bytes + 1 = {} (end_bytes is the last byte)",
            p.size_bytes,
            p.end_bytes - p.start_bytes + 1
        )));
    }
    if let Some(used) = p.used_bytes.filter(|u| *u < 0 || *u > p.size_bytes) {
        return Err(named(format!("used_bytes {used} is not between 0 and its size {}", p.size_bytes)));
    }
    check_text(&format!("{at}.type"), &p.part_type, NAME_MAX)?;
    if let Some(min) = p.fs_min_bytes.filter(|m| *m < 0 || *m > p.size_bytes) {
        return Err(named(format!("fs_min_bytes {min} is not between 0 and its size {}", p.size_bytes)));
    }
    let texts = [
        ("filesystem", &p.filesystem),
        ("label", &p.label),
        ("mountpoint", &p.mountpoint),
        ("name", &p.name),
        ("type_id", &p.type_id),
        ("uuid", &p.uuid),
    ];
    for (name, value) in texts {
        if value.as_ref().is_some_and(|v| v.chars().count() > TEXT_MAX) {
            return Err(Rejection::invalid(&format!("{at}.{name}"), format!("must be at most {TEXT_MAX} characters")));
        }
    }
    if p.flags.len() > 32 || p.flags.iter().any(|f| f.is_empty() || f.chars().count() > NAME_MAX) {
        return Err(Rejection::invalid(&format!("{at}.flags"), "at most 32 flags of 1 to 64 characters"));
    }
    Ok(())
}

/// Duplicate numbers first (they make "partition N" ambiguous), then overlaps
/// between neighbours in disk order.
fn check_numbers_and_overlaps(at: &str, disk: &DiskScan) -> Result<(), Rejection> {
    let mut numbers = BTreeMap::new();
    for (j, p) in disk.partitions.iter().enumerate() {
        if let Some(first) = numbers.insert(p.number, j) {
            return Err(Rejection::invalid(
                &format!("{at}.partitions[{j}]"),
                format!("partition number {} on {} is also used by partitions[{first}]", p.number, disk.device),
            ));
        }
    }
    let mut by_start: Vec<(usize, &PartitionScan)> = disk.partitions.iter().enumerate().collect();
    by_start.sort_by_key(|(_, p)| (p.start_bytes, p.end_bytes));
    for pair in by_start.windows(2) {
        let ((_, before), (j, after)) = (pair[0], pair[1]);
        if after.start_bytes <= before.end_bytes {
            return Err(Rejection::invalid(
                &format!("{at}.partitions[{j}]"),
                format!(
                    "partition {} on {} (bytes {}–{}) overlaps partition {} (bytes {}–{})",
                    after.number,
                    disk.device,
                    after.start_bytes,
                    after.end_bytes,
                    before.number,
                    before.start_bytes,
                    before.end_bytes
                ),
            ));
        }
    }
    Ok(())
}

fn field(at: &str, name: &str, message: impl Into<String>) -> Rejection {
    Rejection::invalid(&format!("{at}.{name}"), message)
}

#[cfg(test)]
#[path = "scan_tests.rs"]
mod tests;
