//! Reading `disk_info` and `disk_scans`, with the derived partition numbers.

use serde::Serialize;
use time::OffsetDateTime;
use tokio_postgres::Row;
use tokio_postgres::types::Json;

use crate::db::Db;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::domain::disks::filesystem::{can_shrink, min_size_bytes, size_human, used_percent};
use crate::domain::disks::{KnownDisk, NodeDisks, PartitionScan, PartitionTable, ScanStatus, scan_status as status_of};

/// The spec's `DiskInfoResponse`.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = DiskInfoResponse)]
pub struct DiskInfoView {
    /// Stable while the device stays in the node's reports.
    pub id: Uuid,
    pub node_id: Uuid,
    #[schema(example = "/dev/sda")]
    pub device: String,
    #[schema(example = 107374182400_i64)]
    pub size_bytes: i64,
    /// GiB with one decimal, TiB from 1000 GiB (labelled GB/TB).
    #[schema(example = "100.0 GB")]
    pub size_human: String,
    #[schema(example = "Samsung SSD 870")]
    pub model: Option<String>,
    pub serial: Option<String>,
    #[schema(value_type = PartitionTable)]
    pub partition_table: String,
    /// Bytes per logical sector (512 or 4096): partitions are whole numbers of them.
    #[schema(example = 512)]
    pub logical_sector_size: i32,
    /// Bytes per physical sector (512 or 4096).
    #[schema(example = 4096)]
    pub physical_sector_size: i32,
    /// In partition-number order.
    pub partitions: Vec<PartitionView>,
    #[serde(with = "time::serde::rfc3339")]
    pub scanned_at: OffsetDateTime,
}

impl DiskInfoView {
    /// The view of a disk in the node's aggregate, as the projection folds
    /// it: a command's response built from the state it left.
    pub fn of(node_id: Uuid, disk: &KnownDisk) -> Self {
        let scan = &disk.scan;
        Self {
            id: disk.id,
            node_id,
            device: scan.device.clone(),
            size_bytes: scan.size_bytes,
            size_human: size_human(scan.size_bytes),
            model: scan.model.clone(),
            serial: scan.serial.clone(),
            partition_table: table_name(scan.partition_table),
            logical_sector_size: sector(scan.logical_sector_size),
            physical_sector_size: sector(scan.physical_sector_size),
            partitions: scan.partitions.iter().cloned().map(PartitionView::from).collect(),
            scanned_at: disk.scanned_at,
        }
    }

    /// The node's disks in the aggregate, by device path (as [`list`] orders them).
    pub fn all_of(node_id: Uuid, state: &NodeDisks) -> Vec<Self> {
        state.disks.values().map(|disk| Self::of(node_id, disk)).collect()
    }
}

/// A partition table's name as stored and shown (`gpt`, `mbr`, `unknown`).
pub(super) fn table_name(table: PartitionTable) -> String {
    crate::projections::fold::sessions::text(&table)
}

/// A sector size as stored (validated to 512 or 4096 when reported, so it
/// always fits; the default should an old event hold anything else).
pub(super) fn sector(bytes: i64) -> i32 {
    i32::try_from(bytes).unwrap_or(512)
}

/// The spec's `PartitionInfo`, plus the reported mountpoint.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = PartitionInfo)]
pub struct PartitionView {
    #[schema(example = 2)]
    pub number: i32,
    #[schema(example = 537919488)]
    pub start_bytes: i64,
    /// The partition's last byte (inclusive).
    #[schema(example = 86437314559_i64)]
    pub end_bytes: i64,
    /// `end_bytes - start_bytes + 1`.
    #[schema(example = 85899395072_i64)]
    pub size_bytes: i64,
    #[schema(example = "80.0 GB")]
    pub size_human: String,
    /// efi, linux, swap, ntfs…
    #[serde(rename = "type")]
    #[schema(example = "linux")]
    pub part_type: String,
    #[schema(required = true, example = "ext4")]
    pub filesystem: Option<String>,
    #[schema(required = true, example = "root")]
    pub label: Option<String>,
    pub flags: Vec<String>,
    #[schema(required = true)]
    pub used_bytes: Option<i64>,
    /// `used_bytes / size_bytes` in percent, rounded up to 0.1.
    #[schema(required = true, example = 42.5)]
    pub used_percent: Option<f64>,
    /// Whether a resize may make it smaller: its filesystem shrinks (ext4,
    /// ntfs, btrfs, fat32; not xfs or anything else) and its usage is known.
    pub can_shrink: bool,
    /// The smallest size a resize may give it: used bytes plus a safety
    /// margin of 10 % of the used bytes, at least 1 GiB (on a partition
    /// under 10 GiB, at least 10 % of the partition instead), rounded up to
    /// a whole 4096 bytes, capped at its size.
    /// Null when it cannot be shrunk at all (see `can_shrink`).
    #[schema(required = true)]
    pub min_size_bytes: Option<i64>,
    #[schema(required = true, example = "/")]
    pub mountpoint: Option<String>,
    /// The partition's own name (GPT), not its filesystem's label.
    #[schema(required = true)]
    pub name: Option<String>,
    /// The raw type: a GPT type GUID or an MBR type code (`0x83`).
    #[schema(required = true)]
    pub type_id: Option<String>,
    /// The filesystem's UUID (or vfat/ntfs serial).
    #[schema(required = true)]
    pub uuid: Option<String>,
    /// Bytes: the smallest size the filesystem's own tool (on the node) says
    /// it can shrink to; null where no tool tells.
    #[schema(required = true)]
    pub fs_min_bytes: Option<i64>,
}

impl From<PartitionScan> for PartitionView {
    fn from(p: PartitionScan) -> Self {
        let fs = p.filesystem.as_deref();
        Self {
            size_human: size_human(p.size_bytes),
            used_percent: used_percent(p.size_bytes, p.used_bytes),
            can_shrink: can_shrink(fs, p.size_bytes, p.used_bytes),
            min_size_bytes: min_size_bytes(fs, p.size_bytes, p.used_bytes),
            number: p.number,
            start_bytes: p.start_bytes,
            end_bytes: p.end_bytes,
            size_bytes: p.size_bytes,
            part_type: p.part_type,
            filesystem: p.filesystem,
            label: p.label,
            flags: p.flags,
            used_bytes: p.used_bytes,
            mountpoint: p.mountpoint,
            name: p.name,
            type_id: p.type_id,
            uuid: p.uuid,
            fs_min_bytes: p.fs_min_bytes,
        }
    }
}

/// `GET …/disks/scan-status`.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = DiskScanStatus)]
pub struct ScanStatusView {
    pub node_id: Uuid,
    /// `pending` from a request until the next report; `done` after a report;
    /// `none` before either.
    pub status: ScanStatus,
    #[serde(with = "time::serde::rfc3339::option")]
    pub requested_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_scanned_at: Option<OffsetDateTime>,
}

impl ScanStatusView {
    /// The node's scan status in its aggregate, as the projection folds it.
    pub fn of(node_id: Uuid, state: &NodeDisks) -> Self {
        Self {
            node_id,
            status: state.scan_status(),
            requested_at: state.scan_requested_at,
            last_scanned_at: state.last_scanned_at,
        }
    }
}

const SELECT: &str = "SELECT id, node_id, device, size_bytes, model, serial, partition_table, partitions, scanned_at,
        logical_sector_size, physical_sector_size
    FROM disk_info";

fn view(row: &Row) -> Result<DiskInfoView, tokio_postgres::Error> {
    let size_bytes: i64 = row.try_get(3)?;
    let Json(partitions): Json<Vec<PartitionScan>> = row.try_get(7)?;
    Ok(DiskInfoView {
        id: row.try_get(0)?,
        node_id: row.try_get(1)?,
        device: row.try_get(2)?,
        size_bytes,
        size_human: size_human(size_bytes),
        model: row.try_get(4)?,
        serial: row.try_get(5)?,
        partition_table: row.try_get(6)?,
        logical_sector_size: row.try_get(9)?,
        physical_sector_size: row.try_get(10)?,
        partitions: partitions.into_iter().map(PartitionView::from).collect(),
        scanned_at: row.try_get(8)?,
    })
}

/// The node's current disks, by device path in byte order (`COLLATE "C"`,
/// as the aggregate keeps them, whatever the database's collation).
pub async fn list(client: &impl Db, node_id: Uuid) -> Result<Vec<DiskInfoView>, tokio_postgres::Error> {
    let sql = format!("{SELECT} WHERE node_id = $1 ORDER BY device COLLATE \"C\"");
    client.query(&sql, &[&node_id]).await?.iter().map(view).collect()
}

pub async fn get(client: &impl Db, node_id: Uuid, device: &str) -> Result<Option<DiskInfoView>, tokio_postgres::Error> {
    let sql = format!("{SELECT} WHERE node_id = $1 AND device = $2");
    client.query_opt(&sql, &[&node_id, &device]).await?.as_ref().map(view).transpose()
}

pub async fn scan_status(client: &impl Db, node_id: Uuid) -> Result<ScanStatusView, tokio_postgres::Error> {
    let row =
        client.query_opt("SELECT requested_at, scanned_at FROM disk_scans WHERE node_id = $1", &[&node_id]).await?;
    let (requested_at, last_scanned_at) = match row {
        Some(row) => (row.try_get(0)?, row.try_get(1)?),
        None => (None, None),
    };
    Ok(ScanStatusView { node_id, status: status_of(requested_at, last_scanned_at), requested_at, last_scanned_at })
}
