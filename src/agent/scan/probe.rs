//! What a disk holds, read from the machine-readable output of the tools
//! deploy environments and installers use: `lsblk --json --bytes` (model,
//! serial, sector sizes), `sfdisk --json` (the table), `blkid -p -o export`
//! at each partition's offset (filesystem type, label, UUID) and, for ext2/3/4,
//! `dumpe2fs -h` (used bytes) and `resize2fs -P` (shrink minimum); ntfs,
//! xfs, btrfs and vfat are read by their own tools ([`usage`]). Each is run
//! with arguments, never through a shell. Partitions are reached by offset
//! into the whole disk, so image files and loop devices without partition
//! nodes are read the same way as real disks.

use std::collections::HashMap;
use std::os::unix::fs::FileTypeExt;
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::usage::{self, Place};
use crate::agent::apply::operations::GPT_ATTRIBUTE_FLAGS;
use crate::agent::tool::run as tool;
use crate::api::disks::schemas::{ReportedDisk, ReportedPartition};
use crate::domain::disks::PartitionTable;

/// GPT type GUIDs and MBR type codes by the names the controller uses
/// (GPT first: `apply` picks the first of a name that fits the table).
pub const TYPE_NAMES: &[(&str, &str)] = &[
    ("C12A7328-F81F-11D2-BA4B-00A0C93EC93B", "efi"),
    ("0FC63DAF-8483-4772-8E79-3D69D8477DE4", "linux"),
    ("4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709", "linux"),
    ("0657FD6D-A4AB-43C4-84E5-0933C84B4F4F", "swap"),
    ("EBD0A0A2-B9E5-4433-87C0-68B6B72699C7", "ntfs"),
    ("E3C9E316-0B5C-4DB8-817D-F92DF00215AE", "msr"),
    ("E6D6D379-F507-44C2-A23C-238F2A3DF928", "lvm"),
    ("A19D880F-05FC-4D3B-A006-743F0F84911E", "raid"),
    ("21686148-6449-6E6F-744E-656564454649", "bios_grub"),
    ("83", "linux"),
    ("82", "swap"),
    ("7", "ntfs"),
    ("b", "fat32"),
    ("c", "fat32"),
    ("ef", "efi"),
    ("8e", "lvm"),
    ("fd", "raid"),
    ("5", "extended"),
    ("f", "extended"),
];
const EFI_GUID: &str = "C12A7328-F81F-11D2-BA4B-00A0C93EC93B";

/// Every whole disk `lsblk` lists (not partitions, loop devices or ROMs).
pub async fn all_disks() -> Result<Vec<PathBuf>, String> {
    let json = tool("lsblk", &["--json", "--bytes", "--nodeps", "--output", "PATH,TYPE"]).await?;
    let listing: Value = serde_json::from_str(&json).map_err(|e| format!("lsblk --json: {e}"))?;
    let devices = listing["blockdevices"].as_array().cloned().unwrap_or_default();
    Ok(devices.iter().filter(|d| d["type"] == "disk").filter_map(|d| d["path"].as_str().map(PathBuf::from)).collect())
}

/// One disk (block device or image file) with its partitions.
pub async fn disk(path: &Path) -> Result<ReportedDisk, String> {
    let meta = std::fs::metadata(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let name = path.to_str().ok_or_else(|| format!("{}: not a UTF-8 path", path.display()))?;
    let mut disk = ReportedDisk {
        device: name.to_owned(),
        size_bytes: i64::try_from(meta.len()).map_err(|_| format!("{name}: too large"))?,
        model: None,
        serial: None,
        partition_table: Some(PartitionTable::Unknown),
        logical_sector_size: None,
        physical_sector_size: None,
        partitions: vec![],
    };
    if meta.file_type().is_block_device() {
        block_device_facts(name, &mut disk).await?;
    }
    let table = match tool("sfdisk", &["--json", name]).await {
        Ok(json) => serde_json::from_str::<Value>(&json).map_err(|e| format!("sfdisk --json {name}: {e}"))?,
        // No table (or one sfdisk cannot read): a disk without partitions.
        Err(error) => {
            tracing::info!(device = name, "no partition table: {error}");
            return Ok(disk);
        }
    };
    let table = &table["partitiontable"];
    let sector = table["sectorsize"].as_i64().or(disk.logical_sector_size).unwrap_or(512);
    disk.logical_sector_size.get_or_insert(sector);
    disk.partition_table = Some(match table["label"].as_str() {
        Some("gpt") => PartitionTable::Gpt,
        Some("dos") => PartitionTable::Mbr,
        _ => PartitionTable::Unknown,
    });
    for entry in table["partitions"].as_array().into_iter().flatten() {
        disk.partitions.push(partition(name, entry, sector).await?);
    }
    Ok(disk)
}

/// Size, model, serial and sector sizes from `lsblk` (the kernel's view).
async fn block_device_facts(name: &str, disk: &mut ReportedDisk) -> Result<(), String> {
    let columns = "SIZE,MODEL,SERIAL,LOG-SEC,PHY-SEC";
    let json = tool("lsblk", &["--json", "--bytes", "--nodeps", "--output", columns, name]).await?;
    let listing: Value = serde_json::from_str(&json).map_err(|e| format!("lsblk --json {name}: {e}"))?;
    let facts = &listing["blockdevices"][0];
    let text = |key: &str| facts[key].as_str().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned);
    disk.size_bytes = number(&facts["size"]).ok_or_else(|| format!("lsblk gave no size for {name}"))?;
    disk.model = text("model");
    disk.serial = text("serial");
    disk.logical_sector_size = number(&facts["log-sec"]);
    disk.physical_sector_size = number(&facts["phy-sec"]);
    Ok(())
}

/// One `sfdisk --json` entry, its filesystem as `blkid` finds it at its
/// offset, and for ext2/3/4 the usage and shrink minimum.
async fn partition(disk: &str, entry: &Value, sector: i64) -> Result<ReportedPartition, String> {
    let node = entry["node"].as_str().unwrap_or_default();
    let digits = node.len() - node.trim_end_matches(|c: char| c.is_ascii_digit()).len();
    let number = node[node.len() - digits..].parse().map_err(|_| format!("sfdisk: no partition number in '{node}'"))?;
    let start = number_of(entry, "start")? * sector;
    let size = number_of(entry, "size")? * sector;
    let raw_type = entry["type"].as_str().unwrap_or_default();
    let is_gpt = raw_type.contains('-');
    let type_id = if is_gpt { raw_type.to_uppercase() } else { format!("0x{}", raw_type.to_lowercase()) };
    let part_type = TYPE_NAMES
        .iter()
        .find(|(id, _)| id.eq_ignore_ascii_case(raw_type))
        .map_or_else(|| type_id.to_lowercase(), |(_, name)| (*name).to_owned());
    // GPT attributes under the flag names operators set them by.
    let mut flags: Vec<String> = entry["attrs"]
        .as_str()
        .unwrap_or_default()
        .split_whitespace()
        .map(|attr| match GPT_ATTRIBUTE_FLAGS.iter().find(|(a, _)| a.eq_ignore_ascii_case(attr)) {
            Some((_, flag)) => (*flag).to_owned(),
            None => attr.to_lowercase(),
        })
        .collect();
    if entry["bootable"].as_bool() == Some(true) {
        flags.push("boot".into());
    }
    if raw_type.eq_ignore_ascii_case(EFI_GUID) || raw_type.eq_ignore_ascii_case("ef") {
        flags.push("esp".into());
    }
    let mut p = ReportedPartition {
        number,
        start_bytes: start,
        end_bytes: start + size - 1,
        size_bytes: size,
        part_type,
        filesystem: None,
        label: None,
        flags,
        used_bytes: None,
        mountpoint: None,
        name: entry["name"].as_str().filter(|n| !n.is_empty()).map(str::to_owned),
        type_id: Some(type_id),
        uuid: None,
        fs_min_bytes: None,
    };
    let probe = blkid(disk, start, size).await;
    p.filesystem = probe.get("TYPE").cloned();
    p.label = probe.get("LABEL").cloned();
    p.uuid = probe.get("UUID").cloned();
    if matches!(p.filesystem.as_deref(), Some("ext2" | "ext3" | "ext4")) {
        // e2fsprogs open `device?offset=N` (unix_io's offset option).
        let at = format!("{disk}?offset={start}");
        match ext_usage(&at).await {
            Ok((used, min)) => {
                p.used_bytes = Some(used.min(size));
                p.fs_min_bytes = min.map(|m| m.min(size));
            }
            Err(error) => tracing::warn!(device = disk, partition = number, "no ext usage: {error}"),
        }
    }
    if let Some(kind @ ("ntfs" | "xfs" | "btrfs" | "vfat")) = p.filesystem.as_deref() {
        let (Ok(start), Ok(size), Ok(number), Ok(sector)) =
            (u64::try_from(start), u64::try_from(size), u32::try_from(number), u64::try_from(sector))
        else {
            return Ok(p);
        };
        match usage::read(kind, &Place { disk, number, start, size, sector }).await {
            Ok((used, min)) => {
                p.used_bytes = Some(used.min(p.size_bytes));
                p.fs_min_bytes = min.map(|m| m.min(p.size_bytes));
            }
            Err(error) => tracing::warn!(device = disk, partition = number, "no {kind} usage: {error}"),
        }
    }
    Ok(p)
}

/// `blkid -p -o export` of the bytes `[offset, offset + size)`: empty when
/// it finds no filesystem there (exit code 2).
async fn blkid(disk: &str, offset: i64, size: i64) -> HashMap<String, String> {
    let (offset, size) = (offset.to_string(), size.to_string());
    let args = ["-p", "-o", "export", "-O", &offset, "-S", &size, disk];
    match tool("blkid", &args).await {
        Ok(text) => {
            text.lines().filter_map(|line| line.split_once('=')).map(|(k, v)| (k.to_owned(), v.to_owned())).collect()
        }
        Err(_) => HashMap::new(),
    }
}

/// Used bytes (`dumpe2fs -h`: (block count - free blocks) × block size) and
/// the shrink minimum (`resize2fs -P`: blocks × block size).
async fn ext_usage(at: &str) -> Result<(i64, Option<i64>), String> {
    let header = tool("dumpe2fs", &["-h", at]).await?;
    let fields: HashMap<&str, &str> =
        header.lines().filter_map(|l| l.split_once(':')).map(|(k, v)| (k.trim(), v.trim())).collect();
    let field =
        |key: &str| fields.get(key).and_then(|v| v.parse::<i64>().ok()).ok_or_else(|| format!("dumpe2fs: no '{key}'"));
    let block = field("Block size")?;
    let used = (field("Block count")? - field("Free blocks")?) * block;
    let min = tool("resize2fs", &["-P", at]).await.ok().and_then(|text| {
        text.lines()
            .find_map(|l| l.strip_prefix("Estimated minimum size of the filesystem:"))
            .and_then(|n| n.trim().parse::<i64>().ok())
            .map(|blocks| blocks * block)
    });
    Ok((used, min))
}

/// A JSON number, or a number in a string (older `lsblk` quote them).
fn number(value: &Value) -> Option<i64> {
    value.as_i64().or_else(|| value.as_str().and_then(|s| s.trim().parse().ok()))
}

fn number_of(entry: &Value, key: &str) -> Result<i64, String> {
    number(&entry[key]).ok_or_else(|| format!("sfdisk: partition without '{key}'"))
}
