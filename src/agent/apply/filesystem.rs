//! The filesystem on one partition (reached through a
//! [`PartitionAccess`](super::access::PartitionAccess) path): what it is,
//! its consistency check, the smallest size its own tool allows, and the
//! tools that shrink, grow and create it (FAT through its disk's table:
//! [`fat_resize`]). Each filesystem the agent cannot resize is refused with
//! the reason.

use std::collections::HashMap;

use crate::agent::tool;
use crate::domain::disks::filesystem::Filesystem;

/// The kernel refuses to resize a btrfs device below 256 MiB (`EINVAL`
/// from `btrfs_ioctl_resize`, whatever `min-dev-size` says).
const BTRFS_FLOOR: u64 = 256 * 1024 * 1024;

/// What `blkid -p` finds on the partition.
#[derive(Debug, Clone, Default)]
pub struct Found {
    /// `ext4`, `ntfs`, `xfs`, `vfat`, `swap`…; `None` when nothing is recognised.
    pub kind: Option<String>,
    pub label: Option<String>,
    pub uuid: Option<String>,
}

pub async fn probe(path: &str) -> Found {
    // Exit code 2: nothing found.
    let Ok(text) = tool::run("blkid", &["-p", "-o", "export", path]).await else { return Found::default() };
    let fields: HashMap<&str, &str> = text.lines().filter_map(|l| l.split_once('=')).collect();
    let field = |key: &str| fields.get(key).map(|v| (*v).to_owned());
    Found { kind: field("TYPE"), label: field("LABEL"), uuid: field("UUID") }
}

impl Found {
    fn name(&self) -> &str {
        self.kind.as_deref().unwrap_or("no recognised filesystem")
    }

    fn is_ext(&self) -> bool {
        matches!(self.kind.as_deref(), Some("ext2" | "ext3" | "ext4"))
    }

    /// Checks the filesystem before its partition changes (`e2fsck -f -p`:
    /// a forced check that repairs only what is safe to repair unattended).
    pub async fn check(&self, path: &str) -> Result<(), String> {
        if !self.is_ext() {
            return Ok(());
        }
        match tool::output("e2fsck", &["-f", "-p", path], None).await? {
            // 0: clean; 1: errors corrected.
            (Some(0 | 1), _, _) => Ok(()),
            (code, out, err) => Err(tool::failure("e2fsck", code, &out, &err)),
        }
    }

    /// Shrinks the filesystem to at most `bytes`, never below what its tool
    /// says is its minimum.
    pub async fn shrink(&self, path: &str, bytes: u64) -> Result<(), String> {
        match self.kind.as_deref() {
            Some("ext2" | "ext3" | "ext4") => {
                self.check(path).await?;
                let minimum = ext_minimum(path).await?;
                if bytes < minimum {
                    return Err(format!(
                        "cannot shrink {} to {bytes} bytes: resize2fs -P says it needs at least {minimum} bytes",
                        self.name()
                    ));
                }
                // resize2fs rounds down to whole filesystem blocks.
                tool::run("resize2fs", &[path, &format!("{}K", bytes / 1024)]).await.map(drop)
            }
            Some("ntfs") => {
                let size = bytes.to_string();
                // The dry run ntfsresize's own manual asks for first: it checks
                // the volume and the new size without writing.
                tool::run("ntfsresize", &["--no-action", "--force", "--no-progress-bar", "--size", &size, path])
                    .await?;
                tool::run("ntfsresize", &["--force", "--no-progress-bar", "--size", &size, path]).await.map(drop)
            }
            Some("btrfs") => {
                mounted(path, "btrfs", |dir| async move {
                    // "N bytes (… MiB)": what the device must keep for the
                    // chunks in use (btrfs-progs' own estimate).
                    let text = tool::run("btrfs", &["inspect-internal", "min-dev-size", &dir]).await?;
                    let minimum: u64 = text
                        .split_whitespace()
                        .next()
                        .and_then(|n| n.parse().ok())
                        .ok_or_else(|| format!("btrfs min-dev-size printed no size: {}", text.trim()))?;
                    if bytes < minimum {
                        return Err(format!(
                            "cannot shrink btrfs to {bytes} bytes: btrfs inspect-internal min-dev-size says it needs \
                             at least {minimum} bytes"
                        ));
                    }
                    if bytes < BTRFS_FLOOR {
                        return Err(format!(
                            "cannot shrink btrfs to {bytes} bytes: Linux resizes no btrfs device below {BTRFS_FLOOR} \
                             bytes (256 MiB)"
                        ));
                    }
                    tool::run("btrfs", &["filesystem", "resize", &bytes.to_string(), &dir]).await
                })
                .await
            }
            // Nothing to keep: made again on the smaller partition.
            Some("swap") => Ok(()),
            Some("xfs") => Err("xfs cannot be shrunk: XFS has no shrink (xfs_growfs only grows); copy its data to a \
                                smaller new partition instead"
                .into()),
            _ => Err(format!("{} cannot be shrunk by the agent: {}", self.name(), self.no_resize_reason())),
        }
    }

    /// Whether growing is possible, asked before the partition grows so a
    /// refusal leaves the disk untouched.
    pub fn can_grow(&self) -> Result<(), String> {
        match self.kind.as_deref() {
            Some("ext2" | "ext3" | "ext4" | "ntfs" | "xfs" | "btrfs" | "swap") | None => Ok(()),
            _ => Err(format!("{} cannot be grown by the agent: {}", self.name(), self.no_resize_reason())),
        }
    }

    /// Grows the filesystem to fill its (already grown) partition.
    pub async fn grow(&self, path: &str) -> Result<(), String> {
        match self.kind.as_deref() {
            Some("ext2" | "ext3" | "ext4") => {
                self.check(path).await?;
                tool::run("resize2fs", &[path]).await.map(drop)
            }
            Some("ntfs") => tool::run("ntfsresize", &["--force", "--no-progress-bar", path]).await.map(drop),
            Some("xfs") => mounted(path, "xfs", |dir| async move { tool::run("xfs_growfs", &[&dir]).await }).await,
            Some("btrfs") => {
                mounted(
                    path,
                    "btrfs",
                    |dir| async move { tool::run("btrfs", &["filesystem", "resize", "max", &dir]).await },
                )
                .await
            }
            Some("swap") => self.remake_swap(path).await,
            // No filesystem: the partition alone grows.
            None => Ok(()),
            _ => Err(format!("{} cannot be grown by the agent: {}", self.name(), self.no_resize_reason())),
        }
    }

    /// After a swap partition changed size: the swap area made again with
    /// its UUID and label (it holds nothing to keep).
    pub async fn remake_swap(&self, path: &str) -> Result<(), String> {
        let mut args = vec!["--quiet"];
        if let Some(uuid) = &self.uuid {
            args.extend(["--uuid", uuid]);
        }
        if let Some(label) = &self.label {
            args.extend(["--label", label]);
        }
        args.push(path);
        tool::run("mkswap", &args).await.map(drop)
    }

    fn no_resize_reason(&self) -> &'static str {
        match self.kind.as_deref() {
            // Resized with its partition by `fat_resize` instead.
            Some("vfat") => "fatresize resizes it together with its partition, through the disk's table",
            None => "without a recognised filesystem, a shrink could cut off data",
            _ => "it has no resize tool the agent knows",
        }
    }
}

/// The smallest size `fatresize --info` allows partition `number` of
/// `disk`'s FAT filesystem ("Min size", bytes). fatresize (libparted's FAT
/// resizer; dosfstools has none) reads a partition only through its disk's
/// table: on a bare filesystem it aborts.
pub async fn fat_minimum(disk: &str, number: u32) -> Result<u64, String> {
    let text = tool::run("fatresize", &["--info", "--partition", &number.to_string(), disk]).await?;
    text.lines()
        .find_map(|l| l.strip_prefix("Min size:"))
        .and_then(|n| n.trim().parse().ok())
        .ok_or_else(|| format!("fatresize --info printed no minimum: {}", tool::summary("fatresize", &text)))
}

/// Resizes the FAT filesystem of partition `number` of `disk` to at most
/// `bytes`, never below [`fat_minimum`]. fatresize moves the partition's
/// end itself (to a size it picks, at most `bytes`): the caller sets the
/// table to the planned size afterwards.
pub async fn fat_resize(disk: &str, number: u32, bytes: u64) -> Result<(), String> {
    let minimum = fat_minimum(disk, number).await?;
    if bytes < minimum {
        return Err(format!(
            "cannot resize vfat to {bytes} bytes: fatresize --info says it needs at least {minimum} bytes"
        ));
    }
    let (number, size) = (number.to_string(), bytes.to_string());
    tool::run("fatresize", &["--force-yes", "--quiet", "--partition", &number, "--size", &size, disk]).await.map(drop)
}

/// Writes `label` to the FAT filesystem at `path`: its boot sector and its
/// root directory (`fatlabel`, dosfstools).
pub async fn fat_label(path: &str, label: &str) -> Result<(), String> {
    tool::run("fatlabel", &[path, label]).await.map(drop)
}

/// `resize2fs -P` in bytes (its blocks × `dumpe2fs -h`'s block size).
async fn ext_minimum(path: &str) -> Result<u64, String> {
    let header = tool::run("dumpe2fs", &["-h", path]).await?;
    let block: u64 = header
        .lines()
        .find_map(|l| l.strip_prefix("Block size:"))
        .and_then(|v| v.trim().parse().ok())
        .ok_or("dumpe2fs -h printed no block size")?;
    let text = tool::run("resize2fs", &["-P", path]).await?;
    let blocks: u64 = text
        .lines()
        .find_map(|l| l.strip_prefix("Estimated minimum size of the filesystem:"))
        .and_then(|n| n.trim().parse().ok())
        .ok_or_else(|| format!("resize2fs -P printed no minimum: {}", tool::summary("resize2fs", &text)))?;
    Ok(blocks * block)
}

/// Runs `action` with the filesystem mounted on a fresh directory (the
/// tools that grow xfs and btrfs work only on a mounted filesystem), then
/// unmounts it whatever happened.
async fn mounted<F, Fut>(path: &str, kind: &str, action: F) -> Result<(), String>
where
    F: FnOnce(String) -> Fut,
    Fut: std::future::Future<Output = Result<String, String>>,
{
    let dir = std::env::temp_dir().join(format!("pureboot-grow-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let dir_text = dir.to_string_lossy().into_owned();
    let result = match tool::run("mount", &["-t", kind, path, &dir_text]).await {
        Ok(_) => {
            let grown = action(dir_text.clone()).await.map(drop);
            let unmounted = tool::run("umount", &[&dir_text]).await.map(drop);
            grown.and(unmounted)
        }
        Err(error) => Err(error),
    };
    let _ = std::fs::remove_dir(&dir);
    result
}

/// Makes a new, empty `filesystem` labelled `label` on the partition that
/// starts at sector `start_sector` (ntfs records it for booting).
pub async fn format(
    path: &str,
    filesystem: Filesystem,
    label: Option<&str>,
    start_sector: u64,
    sector: u64,
) -> Result<(), String> {
    let (start, sector) = (start_sector.to_string(), sector.to_string());
    let (program, mut args): (&str, Vec<&str>) = match filesystem {
        Filesystem::Ext4 => ("mkfs.ext4", vec!["-F", "-q"]),
        Filesystem::Xfs => ("mkfs.xfs", vec!["-f", "-q"]),
        Filesystem::Ntfs => {
            ("mkfs.ntfs", vec!["--quick", "--force", "--quiet", "--sector-size", &sector, "--partition-start", &start])
        }
        Filesystem::Btrfs => ("mkfs.btrfs", vec!["-f", "-q"]),
        Filesystem::Fat32 => ("mkfs.vfat", vec!["-F", "32"]),
        Filesystem::Swap => ("mkswap", vec!["--quiet"]),
    };
    if let Some(label) = label {
        args.extend([if filesystem == Filesystem::Fat32 { "-n" } else { "-L" }, label]);
    }
    args.push(path);
    tool::run(program, &args).await.map(drop)
}
