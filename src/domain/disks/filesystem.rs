//! The filesystem resize table of the design, and the numbers derived from
//! it for every scanned partition: `size_human`, `used_percent`,
//! `can_shrink` and `min_size_bytes`.
//!
//! | filesystem | shrink | grow | online grow |
//! |---|---|---|---|
//! | ext4  | yes | yes | yes |
//! | xfs   | no  | yes | yes |
//! | ntfs  | yes | yes | no  |
//! | btrfs | yes | yes | yes |
//! | fat32 | yes | yes | no  |
//!
//! Anything else (swap, ext3, LUKS, no filesystem at all) is never shrunk:
//! the controller cannot know what a shrink would cut off. Growing is always
//! allowed, since it loses nothing.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

const GIB: i64 = 1024 * 1024 * 1024;

/// The safety margin kept above the used bytes when shrinking: 10 % of the
/// used space (rounded up to a whole byte), but at least 1 GiB — or, on a
/// partition smaller than 10 GiB, at least 10 % of the partition (1 GiB free
/// would be most of a 1.5 GiB partition and forbid any shrink of it).
/// Filesystems need free room for their own metadata, journals and the
/// files that are written while the node is back in service; a tighter
/// floor makes `resize2fs`/`ntfsresize` fail or leaves a full filesystem.
pub const SHRINK_MARGIN_PERCENT: i64 = 10;
pub const SHRINK_MARGIN_MIN_BYTES: i64 = GIB;

/// The shrink floor is a multiple of this: the largest logical sector size.
const FLOOR_UNIT: i128 = 4096;

/// Filesystems the controller can ask a node to create (`format`, `create`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Filesystem {
    Ext4,
    Xfs,
    Ntfs,
    Btrfs,
    Fat32,
    Swap,
}

/// One row of the resize table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResizeSupport {
    pub shrink: bool,
    pub grow: bool,
    pub online_grow: bool,
}

impl Filesystem {
    /// Reads the name a scanner reports (`lsblk`, `blkid` and `parted` say
    /// `vfat`, `ntfs3`, `linux-swap`…).
    pub fn from_reported(name: &str) -> Option<Self> {
        Some(match name.to_ascii_lowercase().as_str() {
            "ext4" => Filesystem::Ext4,
            "xfs" => Filesystem::Xfs,
            "ntfs" | "ntfs3" => Filesystem::Ntfs,
            "btrfs" => Filesystem::Btrfs,
            "fat32" | "vfat" | "fat" => Filesystem::Fat32,
            "swap" | "linux-swap" | "linux-swap(v1)" => Filesystem::Swap,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Filesystem::Ext4 => "ext4",
            Filesystem::Xfs => "xfs",
            Filesystem::Ntfs => "ntfs",
            Filesystem::Btrfs => "btrfs",
            Filesystem::Fat32 => "fat32",
            Filesystem::Swap => "swap",
        }
    }

    /// The design's resize table; `None` for filesystems it does not list.
    pub fn resize_support(self) -> Option<ResizeSupport> {
        let row = |shrink, online_grow| ResizeSupport { shrink, grow: true, online_grow };
        match self {
            Filesystem::Ext4 | Filesystem::Btrfs => Some(row(true, true)),
            Filesystem::Xfs => Some(row(false, true)),
            Filesystem::Ntfs | Filesystem::Fat32 => Some(row(true, false)),
            Filesystem::Swap => None,
        }
    }

    /// The longest label `mkfs` accepts for this filesystem.
    pub fn label_max(self) -> usize {
        match self {
            Filesystem::Ext4 => 16,
            Filesystem::Xfs => 12,
            Filesystem::Ntfs => 32,
            Filesystem::Btrfs => 255,
            Filesystem::Fat32 => 11,
            Filesystem::Swap => 15,
        }
    }
}

/// How far a partition may be shrunk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ShrinkLimit {
    /// Not below this many bytes.
    Floor(i64),
    /// Not at all, for this reason (a phrase: "xfs cannot be shrunk").
    Refused(String),
}

/// The shrink limit of a partition holding `filesystem` with `used_bytes`
/// of its `size_bytes` in use.
pub fn shrink_limit(filesystem: Option<&str>, size_bytes: i64, used_bytes: Option<i64>) -> ShrinkLimit {
    let Some(name) = filesystem else {
        return ShrinkLimit::Refused("it has no recognised filesystem".into());
    };
    let shrinkable = Filesystem::from_reported(name).and_then(Filesystem::resize_support).is_some_and(|s| s.shrink);
    if !shrinkable {
        return ShrinkLimit::Refused(format!("{name} filesystems cannot be shrunk"));
    }
    let Some(used) = used_bytes else {
        return ShrinkLimit::Refused("its used space is unknown (rescan the disk)".into());
    };
    ShrinkLimit::Floor(shrink_floor(used, size_bytes))
}

/// Used bytes plus the margin, rounded up to a whole 4096 bytes and capped
/// at the partition's size. A minimum, so every step rounds up: the margin
/// is `ceil(used × 10 / 100)` in exact integer arithmetic (i128, so no
/// product overflows), never `used / 100 × 10`, which truncated 20 GiB's
/// margin by 8 bytes; and the floor is a whole number of sectors of either
/// size a disk may have (512 or 4096 bytes), so the size it names is one a
/// resize can be given.
pub fn shrink_floor(used_bytes: i64, size_bytes: i64) -> i64 {
    let used = i128::from(used_bytes.max(0));
    let percent = ceil_div(used * i128::from(SHRINK_MARGIN_PERCENT), 100);
    let least = i128::from(SHRINK_MARGIN_MIN_BYTES)
        .min(ceil_div(i128::from(size_bytes.max(0)) * i128::from(SHRINK_MARGIN_PERCENT), 100));
    let unaligned = used + percent.max(least);
    let floor = ceil_div(unaligned, FLOOR_UNIT) * FLOOR_UNIT;
    // The cap makes the result fit an i64 again.
    i64::try_from(floor.min(i128::from(size_bytes))).unwrap_or(size_bytes)
}

/// `n / d` rounded up, for `n ≥ 0` and `d > 0`.
fn ceil_div(n: i128, d: i128) -> i128 {
    (n + d - 1) / d
}

/// The smallest size a resize may give the partition: used bytes plus the
/// safety margin, capped at its size; `None` when it cannot be shrunk at all.
pub fn min_size_bytes(filesystem: Option<&str>, size_bytes: i64, used_bytes: Option<i64>) -> Option<i64> {
    match shrink_limit(filesystem, size_bytes, used_bytes) {
        ShrinkLimit::Floor(floor) => Some(floor),
        ShrinkLimit::Refused(_) => None,
    }
}

/// Whether a resize could make the partition any smaller.
pub fn can_shrink(filesystem: Option<&str>, size_bytes: i64, used_bytes: Option<i64>) -> bool {
    min_size_bytes(filesystem, size_bytes, used_bytes).is_some_and(|floor| floor < size_bytes)
}

/// `used / size` in percent, to 0.1, rounded up: a disk is never shown
/// emptier than it is (99.96 % used reads 100.0, not 99.9 or a rounded-down
/// figure). Computed in exact integers (tenths of a percent) and converted to
/// a float only at the end, so large disks lose no precision.
pub fn used_percent(size_bytes: i64, used_bytes: Option<i64>) -> Option<f64> {
    let used = i128::from(used_bytes?.max(0));
    let tenths = (size_bytes > 0).then(|| ceil_div(used * 1000, i128::from(size_bytes)))?;
    // At most 1000 for a valid report (used ≤ size), so the cast is exact.
    Some(tenths as f64 / 10.0)
}

/// The spec's `size_human`: GiB with one decimal ("465.8 GB"), or TiB from
/// 1000 GiB up ("1.8 TB"), labelled GB/TB as the original controller did.
pub fn size_human(bytes: i64) -> String {
    let gb = bytes as f64 / GIB as f64;
    if gb >= 1000.0 { format!("{:.1} TB", gb / 1024.0) } else { format!("{gb:.1} GB") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_like_the_original_controller() {
        assert_eq!(size_human(500_107_862_016), "465.8 GB");
        assert_eq!(size_human(2_000_398_934_016), "1.8 TB");
        assert_eq!(size_human(512 * 1024 * 1024), "0.5 GB");
    }

    #[test]
    fn used_percent_is_rounded_to_a_tenth_and_absent_without_usage() {
        assert_eq!(used_percent(3_000, Some(1_000)), Some(33.4), "33.33… rounds up");
        assert_eq!(used_percent(3_000, Some(1_500)), Some(50.0));
        assert_eq!(used_percent(10_000, Some(9_996)), Some(100.0), "never shown emptier than it is");
        assert_eq!(used_percent(i64::MAX, Some(i64::MAX - 1)), Some(100.0), "no overflow, no float error");
        assert_eq!(used_percent(3_000, None), None);
        assert_eq!(used_percent(0, Some(0)), None);
    }

    #[test]
    fn the_floor_is_used_bytes_plus_ten_percent_or_one_gib() {
        let used = 50 * GIB;
        assert_eq!(shrink_limit(Some("ext4"), 100 * GIB, Some(used)), ShrinkLimit::Floor(used + 5 * GIB));
        assert_eq!(
            shrink_limit(Some("vfat"), 100 * GIB, Some(GIB)),
            ShrinkLimit::Floor(2 * GIB),
            "small filesystems keep at least 1 GiB free"
        );
        assert_eq!(
            min_size_bytes(Some("ntfs"), 10 * GIB, Some(9 * GIB + GIB / 2)),
            Some(10 * GIB),
            "capped at the partition size"
        );
        assert!(!can_shrink(Some("ntfs"), 10 * GIB, Some(9 * GIB + GIB / 2)));
    }

    #[test]
    fn only_the_tables_shrinkable_filesystems_with_known_usage_can_shrink() {
        for fs in ["ext4", "ntfs", "btrfs", "fat32", "vfat"] {
            assert!(can_shrink(Some(fs), 100 * GIB, Some(GIB)), "{fs}");
        }
        for (fs, used) in [
            (Some("xfs"), Some(GIB)),
            (Some("swap"), Some(0)),
            (Some("crypto_LUKS"), Some(GIB)),
            (None, Some(GIB)),
            (Some("ext4"), None),
        ] {
            assert!(!can_shrink(fs, 100 * GIB, used), "{fs:?} {used:?}");
            assert_eq!(min_size_bytes(fs, 100 * GIB, used), None);
        }
    }

    #[test]
    fn a_partition_under_10_gib_keeps_a_tenth_of_it_free_instead_of_1_gib() {
        // 1.5 GiB with 100 MiB used: 100 MiB + 153.6 MiB (10 % of 1.5 GiB), rounded up to 4096 bytes.
        let (size, used) = (1536 * 1024 * 1024, 100 * 1024 * 1024);
        assert_eq!(shrink_floor(used, size), used + 161_062_912);
        assert_eq!(shrink_floor(used, 10 * GIB), used + GIB, "from 10 GiB on, 1 GiB");
    }

    #[test]
    fn the_floor_of_20_gib_used_is_the_documented_value() {
        assert_eq!(min_size_bytes(Some("ext4"), 100 * GIB, Some(20 * GIB)), Some(23_622_320_128));
    }

    /// Sizes from bytes to exabytes: every power of two and its neighbours,
    /// values around the 1 GiB / 10 % crossover, and a deterministic
    /// pseudo-random spread (a 64-bit LCG, so a failure reproduces).
    fn many_sizes() -> Vec<i64> {
        let mut sizes: Vec<i64> = (0..62).flat_map(|k| [(1_i64 << k) - 1, 1 << k, (1 << k) + 1]).collect();
        sizes.extend((0..2000).map(|i| 10 * GIB - 1000 + i));
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        for _ in 0..20_000 {
            x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            sizes.push(i64::try_from(x >> (1 + x % 40)).expect("fits"));
        }
        sizes
    }

    #[test]
    fn the_floor_is_the_least_whole_4096_bytes_that_keep_the_margin() {
        // Up to 4 EiB used, so that the cap at the partition's size stays out of play.
        for used in many_sizes().into_iter().filter(|used| *used <= i64::MAX / 2) {
            let size = i64::MAX;
            let floor = i128::from(shrink_floor(used, size));
            let used = i128::from(used);
            assert!(floor * 100 >= used * 110, "{used}: {floor} keeps less than 10 %");
            assert!(floor - used >= i128::from(GIB), "{used}: {floor} keeps less than 1 GiB");
            assert_eq!(floor % 4096, 0, "{used}: {floor} is no whole 4096 bytes");
            // The least such: 4096 bytes less would break one of the rules.
            let less = floor - 4096;
            assert!(less * 100 < used * 110 || less - used < i128::from(GIB), "{used}: {floor} is not the least");
        }
    }

    #[test]
    fn the_floor_never_exceeds_the_partition_and_percentages_never_understate() {
        for size in many_sizes().into_iter().filter(|s| *s > 0) {
            for used in [0, size / 3, size / 2, size - 1, size] {
                assert!(shrink_floor(used, size) <= size, "{used} of {size}");
                let tenths = (used_percent(size, Some(used)).expect("percent") * 10.0).round() as i128;
                let (used, size) = (i128::from(used), i128::from(size));
                assert!(tenths * size >= used * 1000, "{used} of {size}: {tenths}‰ understates");
                assert!((tenths - 1) * size < used * 1000, "{used} of {size}: {tenths}‰ is not the least");
            }
        }
    }
}
