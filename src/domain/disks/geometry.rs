//! Where a partition may lie on a disk: its sector sizes, the areas its
//! partition table reserves, and the alignment new placements keep. Every
//! bound is exact integer arithmetic that rounds toward safety: usable space
//! is rounded down to whole sectors, reserved space up.
//!
//! # GPT (UEFI Specification 2.10, §5.3 "GUID Partition Table (GPT) Disk Layout")
//! LBA 0 holds the protective MBR (§5.2.3), LBA 1 the GPT header (§5.3.2),
//! then the partition entry array, for which "a minimum of 16,384 bytes of
//! space must be reserved" (§5.3.2): 128 entries of 128 bytes, so LBAs 2–33
//! with 512-byte sectors and LBAs 2–5 with 4096-byte ones. The backup entry
//! array and the backup header take the same room at the end of the disk,
//! the header in the last LBA (§5.3.1). `FirstUsableLBA` and `LastUsableLBA`
//! (§5.3.2) lie between the two, and every partition must lie within them.
//!
//! # MBR
//! LBA 0 holds the MBR (§5.2.1) and the first track (sectors 1–62) is where
//! boot loaders live; both are inside the first MiB that every new placement
//! keeps clear. An MBR entry stores the start and the length in sectors as
//! 32-bit numbers (§5.2.1, Table 5-2), so nothing past them can be described.

use super::scan::PartitionTable;

pub const MIB: i64 = 1024 * 1024;

/// New placements start on a 1 MiB boundary, as `parted`, `sgdisk` and
/// `fdisk` do by default: a multiple of every physical sector size (and of
/// common RAID strides), and clear of the MBR's first track and of the GPT's
/// primary area. It is also the first byte a new partition may use.
pub const ALIGNMENT_BYTES: i64 = MIB;

/// The sector sizes a disk may report, in bytes.
pub const SECTOR_SIZES: [i64; 2] = [512, 4096];

/// The sector size assumed when a report names none (reports from agents
/// that predate the field, and events recorded before it).
pub const DEFAULT_SECTOR_SIZE: i64 = 512;

/// The minimum GPT partition entry array: 128 entries × 128 bytes.
const GPT_ENTRY_ARRAY_BYTES: i64 = 128 * 128;

/// Largest start and length, in sectors, an MBR entry can hold (32 bits).
const MBR_MAX_SECTORS: i64 = u32::MAX as i64;

/// The layout rules of one disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Geometry {
    pub size_bytes: i64,
    /// Logical sector size in bytes (512 or 4096): the unit partitions are
    /// addressed in.
    pub logical_sector: i64,
    pub table: PartitionTable,
}

impl Geometry {
    /// Whole logical sectors on the disk; a partial sector at the end (a
    /// size that is no multiple of the sector size) cannot be used.
    pub fn sectors(&self) -> i64 {
        self.size_bytes / self.logical_sector
    }

    /// Sectors of the GPT partition entry array: 32 (512-byte sectors) or 4
    /// (4096-byte sectors), rounded up to whole sectors.
    pub fn gpt_entry_sectors(&self) -> i64 {
        ceil_div(GPT_ENTRY_ARRAY_BYTES, self.logical_sector)
    }

    /// Sectors reserved at the start: protective MBR, header, entry array
    /// (GPT: LBA 0–33 or 0–5); the MBR itself (LBA 0) otherwise.
    pub fn reserved_start_sectors(&self) -> i64 {
        match self.table {
            PartitionTable::Gpt => 2 + self.gpt_entry_sectors(),
            PartitionTable::Mbr | PartitionTable::Unknown => 1,
        }
    }

    /// Sectors reserved at the end: the backup entry array and the backup
    /// header (GPT: 33 or 5); none otherwise.
    pub fn reserved_end_sectors(&self) -> i64 {
        match self.table {
            PartitionTable::Gpt => self.gpt_entry_sectors() + 1,
            PartitionTable::Mbr | PartitionTable::Unknown => 0,
        }
    }

    /// The first byte a new partition may use: the 1 MiB boundary, or past
    /// the reserved start should it ever be larger.
    pub fn first_usable_byte(&self) -> i64 {
        ALIGNMENT_BYTES.max(self.reserved_start_sectors() * self.logical_sector)
    }

    /// The last byte a partition may use (GPT's `LastUsableLBA`'s last byte).
    pub fn last_usable_byte(&self) -> i64 {
        (self.sectors() - self.reserved_end_sectors()) * self.logical_sector - 1
    }

    /// Why the inclusive byte range `start..=end` (already on the disk, past
    /// the reserved start) cannot be a partition, if it cannot.
    pub fn check_extent(&self, device: &str, start: i64, end: i64) -> Result<(), String> {
        let last = self.last_usable_byte();
        if end > last {
            let reserved = self.reserved_end_sectors();
            return Err(if self.table == PartitionTable::Gpt {
                format!(
                    "it would end at byte {end}, inside the backup GPT at the end of {device} (its last {reserved} \
                     sectors of {} bytes hold the backup partition entries and header); the last usable byte is {last}",
                    self.logical_sector
                )
            } else {
                format!(
                    "it would end at byte {end}, in the partial sector at the end of {device}; \
                     the last usable byte is {last}"
                )
            });
        }
        if self.table == PartitionTable::Mbr {
            let (start_sector, sectors) = (start / self.logical_sector, (end - start + 1) / self.logical_sector);
            if start_sector > MBR_MAX_SECTORS || sectors > MBR_MAX_SECTORS {
                return Err(format!(
                    "an MBR table cannot describe it: start and length are 32-bit sector counts (at most {} bytes \
                     with {}-byte sectors); use GPT",
                    MBR_MAX_SECTORS * self.logical_sector,
                    self.logical_sector
                ));
            }
        }
        Ok(())
    }

    /// A new placement's start must be on a 1 MiB boundary.
    pub fn check_aligned_start(&self, start: i64) -> Result<(), String> {
        if start % ALIGNMENT_BYTES == 0 {
            return Ok(());
        }
        let below = start - start % ALIGNMENT_BYTES;
        Err(format!(
            "it would start at byte {start}, not on a 1 MiB boundary ({ALIGNMENT_BYTES} bytes; the nearest are {below} \
             and {})",
            below.saturating_add(ALIGNMENT_BYTES)
        ))
    }

    /// A partition is a whole number of logical sectors.
    pub fn check_whole_sectors(&self, size: i64) -> Result<(), String> {
        if size % self.logical_sector == 0 {
            return Ok(());
        }
        Err(format!(
            "{size} bytes is not a whole number of the disk's {}-byte sectors (round down to {})",
            self.logical_sector,
            size - size % self.logical_sector
        ))
    }
}

/// `n / d` rounded up, for `n ≥ 0` and `d > 0`.
fn ceil_div(n: i64, d: i64) -> i64 {
    n / d + i64::from(n % d != 0)
}

#[cfg(test)]
#[path = "geometry_tests.rs"]
mod tests;
