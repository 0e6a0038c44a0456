//! A path to one partition's bytes for the filesystem tools: the kernel's
//! partition node (`/dev/sda2`, `/dev/nvme0n1p2`) when it exists and covers
//! exactly the partition, else a loop device over `[start, start + size)`
//! of the disk (image files, loop devices without partition nodes, a
//! kernel that has not caught up with the table), set up here and
//! detached when the access ends.

use std::os::unix::fs::FileTypeExt;
use std::path::{Path, PathBuf};

use super::table::{Partition, Table};
use crate::agent::tool;

pub struct PartitionAccess {
    path: PathBuf,
    /// Set when this access attached a loop device; detached on [`close`](Self::close) or drop.
    loop_device: Option<String>,
    /// Flushed on close so the whole disk's page cache sees what was written.
    disk: String,
}

impl PartitionAccess {
    /// Opens partition `partition` of `table`.
    pub async fn open(table: &Table, partition: &Partition) -> Result<Self, String> {
        let (start, size) = (partition.start_bytes(table), partition.size_bytes(table));
        Self::at(&table.disk, partition.number, start, size, table.sector_size).await
    }

    /// Opens partition `number` of `disk`, which lies at `start` bytes and
    /// spans `size` bytes (sectors of `sector` bytes).
    pub async fn at(disk: &str, number: u32, start: u64, size: u64, sector: u64) -> Result<Self, String> {
        if let Some(node) = kernel_node(disk, number, start, size) {
            return Ok(Self { path: node, loop_device: None, disk: disk.to_owned() });
        }
        let (offset, limit, sector) = (start.to_string(), size.to_string(), sector.to_string());
        let args = ["--find", "--show", "--offset", &offset, "--sizelimit", &limit, "--sector-size", &sector, disk];
        let device = tool::run("losetup", &args).await?.trim().to_owned();
        tracing::debug!(disk, partition = number, device, "partition reached through a loop device");
        Ok(Self { path: PathBuf::from(&device), loop_device: Some(device), disk: disk.to_owned() })
    }

    pub fn path(&self) -> &str {
        self.path.to_str().unwrap_or_default()
    }

    /// Flushes what was written and detaches the loop device, if any.
    pub async fn close(mut self) -> Result<(), String> {
        let flush = |device: &str| {
            let device = device.to_owned();
            async move {
                if is_block_device(Path::new(&device)) {
                    tool::run("blockdev", &["--flushbufs", &device]).await.map(drop)
                } else {
                    Ok(())
                }
            }
        };
        flush(self.path()).await?;
        if let Some(device) = self.loop_device.take() {
            tool::run("losetup", &["--detach", &device]).await?;
        }
        flush(&self.disk).await
    }
}

impl Drop for PartitionAccess {
    /// An access abandoned by an error still detaches its loop device.
    fn drop(&mut self) {
        if let Some(device) = self.loop_device.take() {
            let _ = std::process::Command::new("losetup").args(["--detach", &device]).status();
        }
    }
}

fn is_block_device(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| m.file_type().is_block_device())
}

/// The partition numbers the kernel lists for block device `disk` (its
/// sysfs directory's partition entries); none for an image file.
pub fn kernel_partitions(disk: &str) -> Vec<u32> {
    let Some(name) = std::fs::canonicalize(disk)
        .ok()
        .filter(|d| is_block_device(d))
        .and_then(|d| d.file_name().and_then(|n| n.to_str()).map(str::to_owned))
    else {
        return Vec::new();
    };
    let entries = std::fs::read_dir(Path::new("/sys/class/block").join(name)).into_iter().flatten().flatten();
    entries.filter_map(|e| std::fs::read_to_string(e.path().join("partition")).ok()?.trim().parse().ok()).collect()
}

/// The kernel's node of partition `number` of `disk`, when the kernel
/// places it at exactly `start`..`start + size` bytes (sysfs counts
/// 512-byte units whatever the sector size).
fn kernel_node(disk: &str, number: u32, start: u64, size: u64) -> Option<PathBuf> {
    let disk = std::fs::canonicalize(disk).ok().filter(|d| is_block_device(d))?;
    let name = disk.file_name()?.to_str()?;
    let separator = if name.ends_with(|c: char| c.is_ascii_digit()) { "p" } else { "" };
    let part = format!("{name}{separator}{number}");
    let sys = Path::new("/sys/class/block").join(&part);
    let read = |field: &str| std::fs::read_to_string(sys.join(field)).ok()?.trim().parse::<u64>().ok();
    let node = Path::new("/dev").join(&part);
    (read("start")? * 512 == start && read("size")? * 512 == size && is_block_device(&node)).then_some(node)
}
