//! Used bytes and the shrink minimum of the filesystems whose tools read a
//! device rather than an offset into a disk (ntfs, xfs, btrfs, vfat), each
//! from its own tool's output: the partition is reached through a
//! [`PartitionAccess`] (a loop device unless the kernel has a node).

use crate::agent::apply::access::PartitionAccess;
use crate::agent::apply::filesystem::fat_minimum;
use crate::agent::tool::{run as tool, summary};

/// Where a partition lies: its disk, number, first byte, size in bytes and
/// the disk's sector size.
pub struct Place<'a> {
    pub disk: &'a str,
    pub number: u32,
    pub start: u64,
    pub size: u64,
    pub sector: u64,
}

/// `(used bytes, shrink minimum)` of the `kind` filesystem at `place`; the
/// minimum is `None` where no tool tells it without mounting (btrfs).
pub async fn read(kind: &str, place: &Place<'_>) -> Result<(i64, Option<i64>), String> {
    let access = PartitionAccess::at(place.disk, place.number, place.start, place.size, place.sector).await?;
    let path = access.path().to_owned();
    let found = match kind {
        "ntfs" => ntfs(&path).await.map(|(used, min)| (used, Some(min))),
        "xfs" => xfs(&path).await,
        "btrfs" => btrfs(&path).await.map(|used| (used, None)),
        "vfat" => vfat(&path, place).await,
        other => Err(format!("no usage reader for {other}")),
    };
    access.close().await?;
    found
}

/// The first number after `key` on a line of `text` (after trimming it).
fn field(text: &str, key: &str, program: &str) -> Result<i64, String> {
    text.lines()
        .find_map(|l| l.trim().strip_prefix(key))
        .and_then(|v| v.split_whitespace().next()?.parse::<i64>().ok())
        .ok_or_else(|| format!("{program} printed no '{key}': {}", summary(program, text)))
}

/// Used bytes (`ntfsinfo -m`: clusters in use × cluster size) and the
/// shrink minimum (`ntfsresize --info`: "You might resize at N bytes").
async fn ntfs(path: &str) -> Result<(i64, i64), String> {
    // --force: a volume a resize left marked for Windows' chkdsk is still read.
    let info = tool("ntfsinfo", &["--force", "--mft", path]).await?;
    let used = (field(&info, "Volume Size in Clusters:", "ntfsinfo")? - field(&info, "Free Clusters:", "ntfsinfo")?)
        * field(&info, "Cluster Size:", "ntfsinfo")?;
    let resize = tool("ntfsresize", &["--info", "--force", "--no-progress-bar", path]).await?;
    Ok((used, field(&resize, "You might resize at ", "ntfsresize")?))
}

/// Used bytes from the superblock as `xfs_db` prints it ((data blocks −
/// free blocks) × block size); XFS cannot shrink, so its minimum is its
/// size.
async fn xfs(path: &str) -> Result<(i64, Option<i64>), String> {
    let text = tool("xfs_db", &["-r", "-c", "sb 0", "-c", "print dblocks fdblocks blocksize", path]).await?;
    let (blocks, block) = (field(&text, "dblocks =", "xfs_db")?, field(&text, "blocksize =", "xfs_db")?);
    Ok(((blocks - field(&text, "fdblocks =", "xfs_db")?) * block, Some(blocks * block)))
}

/// `bytes_used` of `btrfs inspect-internal dump-super`. Its minimum
/// (`btrfs inspect-internal min-dev-size`) needs it mounted: not read by a scan.
async fn btrfs(path: &str) -> Result<i64, String> {
    field(&tool("btrfs", &["inspect-internal", "dump-super", path]).await?, "bytes_used", "btrfs")
}

/// Used bytes from `fsck.fat -n -v` (a read-only check: clusters in use ×
/// cluster size) and the shrink minimum from `fatresize --info` ("Min
/// size"), which reads the partition through the disk's table; without
/// fatresize, none.
async fn vfat(path: &str, place: &Place<'_>) -> Result<(i64, Option<i64>), String> {
    let text = tool("fsck.fat", &["-n", "-v", path]).await?;
    let cluster = cluster_size(&text)?;
    let used = text
        .lines()
        .rev()
        .find_map(|l| l.split_once(" files, ")?.1.split_once('/')?.0.trim().parse::<i64>().ok())
        .ok_or_else(|| format!("fsck.fat printed no cluster count: {}", summary("fsck.fat", &text)))?;
    let min = match fat_minimum(place.disk, place.number).await {
        Ok(min) => i64::try_from(min).ok(),
        Err(error) => {
            tracing::info!(disk = place.disk, partition = place.number, "no fat shrink minimum: {error}");
            None
        }
    };
    Ok((used * cluster, min))
}

/// "N bytes per cluster" of `fsck.fat -v`.
fn cluster_size(text: &str) -> Result<i64, String> {
    text.lines()
        .find_map(|l| l.trim().strip_suffix("bytes per cluster")?.trim().parse().ok())
        .ok_or_else(|| format!("fsck.fat printed no cluster size: {}", summary("fsck.fat", text)))
}
