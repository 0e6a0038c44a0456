//! `resize_mode = grow_target`: after a verified clone onto a larger disk,
//! the last partition and its filesystem grow to fill the disk. On GPT the
//! backup table first moves to the disk's new end (`sfdisk --relocate
//! gpt-bak-std`), which makes the space past the source's length usable.

use std::io::{Seek, SeekFrom};

use super::operations::resize;
use super::table::Table;
use crate::agent::tool;

/// Grows the partition that ends last to the end of `disk`; nothing to do
/// when it already reaches it (or the disk has no partition table).
pub async fn fill_disk(disk: &str) -> Result<(), String> {
    let Ok(table) = Table::read(disk).await else {
        tracing::info!(disk, "no partition table: nothing to grow");
        return Ok(());
    };
    if table.label == "gpt" {
        tool::run("sfdisk", &["--quiet", "--relocate", "gpt-bak-std", disk]).await?;
    }
    let table = Table::read(disk).await?;
    let Some(last) = table.partitions.iter().max_by_key(|p| p.start + p.size).cloned() else {
        return Ok(());
    };
    // The first sector past the area partitions may use.
    let end = match table.last_lba {
        Some(last_lba) => last_lba + 1,
        None => {
            if last.number > 4 {
                return Err(format!(
                    "partition {} is a logical partition; growing its extended partition is not supported",
                    last.number
                ));
            }
            let bytes = std::fs::File::open(disk)
                .and_then(|mut f| f.seek(SeekFrom::End(0)))
                .map_err(|e| format!("cannot size {disk}: {e}"))?;
            // MBR entries count sectors in 32 bits.
            (bytes / table.sector_size).min(u64::from(u32::MAX))
        }
    };
    let size = end.saturating_sub(last.start);
    if size <= last.size {
        return Ok(());
    }
    tracing::info!(disk, partition = last.number, from = last.size, to = size, "growing the last partition");
    resize(&table, last.number, size).await
}
