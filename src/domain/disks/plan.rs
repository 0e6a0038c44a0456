//! The plan check: the controller knows the disk's last scan, so before an
//! operation is queued (and again before the queue is handed to the node) it
//! replays every operation still to come on that scan, in sequence order,
//! and refuses the first one that would not fit.
//!
//! The simulation knows what a scan shows: disk bounds, sector sizes, the
//! partition table, where each partition lies, its filesystem and used
//! bytes. It refuses what the node's partitioning tool would refuse, so that
//! a plan fails here rather than on the node after `apply`: the areas the
//! partition table reserves (the GPT's primary and backup areas, the MBR's
//! first track and 32-bit limits), partial sectors, and new placements
//! (`create`, `move`) off the 1 MiB alignment; see [`super::geometry`].

use std::collections::BTreeMap;

use super::filesystem::{ShrinkLimit, shrink_limit, size_human};
use super::geometry::Geometry;
use super::operation::OperationSpec;
use super::scan::{DiskScan, PartitionTable};

/// An operation to replay, with its place in the device's queue.
#[derive(Debug, Clone, Copy)]
pub struct PlannedOp<'a> {
    pub sequence: i32,
    pub spec: &'a OperationSpec,
}

/// Why operation `sequence` cannot run on the disk as it would be by then.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanConflict {
    pub sequence: i32,
    pub operation: String,
    pub reason: String,
}

impl std::fmt::Display for PlanConflict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "operation #{} ({}) does not fit: {}", self.sequence, self.operation, self.reason)
    }
}

/// A partition as the plan leaves it. `end` is inclusive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slot {
    pub number: i32,
    pub start: i64,
    pub end: i64,
    pub filesystem: Option<String>,
    pub used_bytes: Option<i64>,
    /// The smallest size the filesystem's own tool reported it can shrink
    /// to (`resize2fs -P`, `ntfsresize --info`), in bytes; `None` when the
    /// scan could not tell or the filesystem was made by this plan.
    pub fs_min_bytes: Option<i64>,
}

impl Slot {
    pub fn size(&self) -> i64 {
        self.end - self.start + 1
    }

    /// The least size a shrink may leave, and which floor that is: the
    /// larger of used space plus a safety margin and the minimum the
    /// filesystem's tool reported on the node (the agent refuses to go below
    /// it, so the plan must too). Why not, when it cannot shrink at all.
    pub fn shrink_floor(&self) -> Result<(i64, &'static str), String> {
        let floor = match shrink_limit(self.filesystem.as_deref(), self.size(), self.used_bytes) {
            ShrinkLimit::Refused(why) => return Err(format!("partition {} cannot be shrunk: {why}", self.number)),
            ShrinkLimit::Floor(floor) => floor,
        };
        Ok(match self.fs_min_bytes {
            Some(tool) if tool > floor => (tool, "the filesystem tool's minimum, reported by the node's scan"),
            _ => (floor, "used space plus a safety margin"),
        })
    }
}

/// The disk as the plan leaves it.
#[derive(Debug, Clone)]
pub struct Layout {
    pub device: String,
    pub size_bytes: i64,
    pub table: PartitionTable,
    pub geometry: Geometry,
    pub partitions: BTreeMap<i32, Slot>,
    /// Partitions a queued `delete` removed, and by which operation.
    deleted_by: BTreeMap<i32, i32>,
}

impl Layout {
    pub fn of(disk: &DiskScan) -> Self {
        let partitions = disk
            .partitions
            .iter()
            .map(|p| {
                let slot = Slot {
                    number: p.number,
                    start: p.start_bytes,
                    end: p.end_bytes,
                    filesystem: p.filesystem.clone(),
                    used_bytes: p.used_bytes,
                    fs_min_bytes: p.fs_min_bytes,
                };
                (p.number, slot)
            })
            .collect();
        Self {
            device: disk.device.clone(),
            size_bytes: disk.size_bytes,
            table: disk.partition_table,
            geometry: Geometry {
                size_bytes: disk.size_bytes,
                logical_sector: disk.logical_sector_size,
                table: disk.partition_table,
            },
            partitions,
            deleted_by: BTreeMap::new(),
        }
    }

    /// Replays `ops` in order; the layout after the last, or the first conflict.
    pub fn replay<'a>(mut self, ops: impl IntoIterator<Item = PlannedOp<'a>>) -> Result<Self, PlanConflict> {
        for op in ops {
            self.step(op.sequence, op.spec).map_err(|reason| PlanConflict {
                sequence: op.sequence,
                operation: op.spec.describe(),
                reason,
            })?;
        }
        Ok(self)
    }

    fn step(&mut self, sequence: i32, spec: &OperationSpec) -> Result<(), String> {
        match spec {
            OperationSpec::Resize(p) => {
                let slot = self.existing(p.partition)?.clone();
                if p.new_size_bytes < slot.size() {
                    self.check_shrink(&slot, p.new_size_bytes)?;
                }
                let end = last_byte(slot.start, p.new_size_bytes)?;
                self.geometry.check_whole_sectors(p.new_size_bytes)?;
                self.check_room(Some(slot.number), slot.start, end)?;
                self.existing_mut(slot.number)?.end = end;
            }
            OperationSpec::Create(p) => {
                let end = last_byte(p.start_bytes, p.size_bytes)?;
                self.geometry.check_whole_sectors(p.size_bytes)?;
                self.check_placement(None, p.start_bytes, end)?;
                let number = self.free_number()?;
                let slot = Slot {
                    number,
                    start: p.start_bytes,
                    end,
                    filesystem: p.filesystem.map(|f| f.as_str().to_owned()),
                    used_bytes: p.filesystem.map(|_| 0),
                    fs_min_bytes: None,
                };
                self.partitions.insert(number, slot);
                self.deleted_by.remove(&number);
            }
            OperationSpec::Delete(p) => {
                self.existing(p.partition)?;
                self.partitions.remove(&p.partition);
                // Remembered so a later operation on it gets a clear reason.
                self.deleted_by.insert(p.partition, sequence);
            }
            OperationSpec::Format(p) => {
                let slot = self.existing_mut(p.partition)?;
                slot.filesystem = Some(p.filesystem.as_str().to_owned());
                slot.used_bytes = Some(0);
                slot.fs_min_bytes = None;
            }
            OperationSpec::Move(p) => {
                let slot = self.existing(p.partition)?.clone();
                let end = last_byte(p.new_start_bytes, slot.size())?;
                self.check_placement(Some(slot.number), p.new_start_bytes, end)?;
                let moved = self.existing_mut(slot.number)?;
                moved.start = p.new_start_bytes;
                moved.end = end;
            }
            OperationSpec::SetFlag(p) => {
                self.existing(p.partition)?;
            }
        }
        Ok(())
    }

    fn existing(&self, number: i32) -> Result<&Slot, String> {
        self.partitions.get(&number).ok_or_else(|| self.missing(number))
    }

    fn existing_mut(&mut self, number: i32) -> Result<&mut Slot, String> {
        let missing = self.missing(number);
        self.partitions.get_mut(&number).ok_or(missing)
    }

    fn missing(&self, number: i32) -> String {
        match self.deleted_by.get(&number) {
            Some(by) => {
                format!("partition {number} is deleted by queued operation #{by} before it")
            }
            None => format!("there is no partition {number} on {}", self.device),
        }
    }

    /// A shrink keeps at least the partition's [`Slot::shrink_floor`].
    fn check_shrink(&self, slot: &Slot, new_size: i64) -> Result<(), String> {
        let (floor, why) = slot.shrink_floor()?;
        if new_size < floor {
            return Err(format!(
                "partition {} cannot be shrunk below its minimum size of {floor} bytes ({}: {why})",
                slot.number,
                size_human(floor)
            ));
        }
        Ok(())
    }

    /// A new placement: inside the usable area, on the 1 MiB alignment and
    /// clear of every other partition.
    fn check_placement(&self, moving: Option<i32>, start: i64, end: i64) -> Result<(), String> {
        let first = self.geometry.first_usable_byte();
        if start < first {
            return Err(format!(
                "it would start at byte {start}, inside the first MiB that holds the partition table \
                 (start at {first} or later)"
            ));
        }
        self.geometry.check_aligned_start(start)?;
        self.check_room(moving, start, end)
    }

    /// `start..=end` lies on the disk, outside the areas the partition table
    /// reserves, and overlaps no partition but `own`.
    fn check_room(&self, own: Option<i32>, start: i64, end: i64) -> Result<(), String> {
        if end >= self.size_bytes {
            return Err(format!(
                "it would end at byte {end}, past the end of {} (last byte {})",
                self.device,
                self.size_bytes - 1
            ));
        }
        self.geometry.check_extent(&self.device, start, end)?;
        let clash =
            self.partitions.values().filter(|s| Some(s.number) != own).find(|s| start <= s.end && s.start <= end);
        match clash {
            Some(s) => Err(format!("it would overlap partition {} (bytes {}–{})", s.number, s.start, s.end)),
            None => Ok(()),
        }
    }

    /// The number `parted` gives a new partition: the lowest free one.
    fn free_number(&self) -> Result<i32, String> {
        let (table, max) = match self.table {
            PartitionTable::Gpt => ("gpt", 128),
            PartitionTable::Mbr => ("mbr", 4),
            PartitionTable::Unknown => {
                return Err(format!(
                    "{} has no recognised partition table (gpt or mbr) to add a partition to",
                    self.device
                ));
            }
        };
        (1..=max)
            .find(|n| !self.partitions.contains_key(n))
            .ok_or_else(|| format!("the {table} table of {} has no free partition number (1–{max})", self.device))
    }
}

#[cfg(test)]
#[path = "plan_tests.rs"]
mod tests;

/// The last byte of `size` bytes starting at `start`, refusing sizes that
/// would overflow (no disk is 8 EiB).
fn last_byte(start: i64, size: i64) -> Result<i64, String> {
    start
        .checked_add(size)
        .and_then(|end| end.checked_sub(1))
        .ok_or_else(|| format!("{size} bytes from byte {start} is past the end of any disk"))
}
