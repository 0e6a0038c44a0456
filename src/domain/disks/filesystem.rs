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
/// used space, but at least 1 GiB. Filesystems need free room for their own
/// metadata, journals and the files that are written while the node is back
/// in service; a tighter floor makes `resize2fs`/`ntfsresize` fail or leaves
/// a full filesystem.
pub const SHRINK_MARGIN_PERCENT: i64 = 10;
pub const SHRINK_MARGIN_MIN_BYTES: i64 = GIB;

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
    let margin = (used / 100 * SHRINK_MARGIN_PERCENT).max(SHRINK_MARGIN_MIN_BYTES);
    ShrinkLimit::Floor(used.saturating_add(margin).min(size_bytes))
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

/// `used / size` in percent, rounded to 0.1.
pub fn used_percent(size_bytes: i64, used_bytes: Option<i64>) -> Option<f64> {
    let used = used_bytes?;
    (size_bytes > 0).then(|| (used as f64 / size_bytes as f64 * 1000.0).round() / 10.0)
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
        assert_eq!(used_percent(3_000, Some(1_000)), Some(33.3));
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
}
