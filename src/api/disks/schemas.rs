//! Request bodies and query parameters of the disk endpoints.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::domain::disks::geometry::DEFAULT_SECTOR_SIZE;
use crate::domain::disks::operation::{
    CreateParams, DeleteParams, FormatParams, MoveParams, ResizeParams, SetFlagParams,
};
use crate::domain::disks::{DiskScan, OperationKind, OperationStatus, PartitionScan, PartitionTable, ReportedStatus};

/// `POST …/disks/report`: every disk the node sees now. Disks it no longer
/// lists leave the node's view. (A bare JSON array of disks is accepted too.)
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct DiskReport {
    pub disks: Vec<ReportedDisk>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"device": "/dev/sda", "size_bytes": 107374182400_i64, "model": "QEMU HARDDISK",
    "serial": "QM00001", "partition_table": "gpt", "partitions": [
        {"number": 1, "start_bytes": 1048576, "end_bytes": 537919487, "size_bytes": 536870912,
         "type": "efi", "filesystem": "fat32", "label": "EFI", "flags": ["boot", "esp"], "used_bytes": 6291456,
         "mountpoint": "/boot/efi"},
        {"number": 2, "start_bytes": 537919488, "end_bytes": 86437314559_i64, "size_bytes": 85899395072_i64,
         "type": "linux", "filesystem": "ext4", "label": "root", "flags": [], "used_bytes": 21474836480_i64,
         "mountpoint": "/"}]}))]
pub struct ReportedDisk {
    /// `/dev/sda` (or `sda`); at most 50 characters.
    pub device: String,
    pub size_bytes: i64,
    pub model: Option<String>,
    pub serial: Option<String>,
    /// `unknown` when absent.
    pub partition_table: Option<PartitionTable>,
    /// Bytes per logical sector, the unit partitions are addressed in
    /// (`/sys/block/<dev>/queue/logical_block_size`): 512 or 4096; 512 when
    /// absent.
    #[schema(example = 512, minimum = 512, maximum = 4096)]
    pub logical_sector_size: Option<i64>,
    /// Bytes per physical sector (`/sys/block/<dev>/queue/physical_block_size`):
    /// 512 or 4096, at least the logical size; the logical size when absent.
    #[schema(example = 4096, minimum = 512, maximum = 4096)]
    pub physical_sector_size: Option<i64>,
    #[serde(default)]
    pub partitions: Vec<ReportedPartition>,
}

/// One partition of a report: the domain's [`PartitionScan`], whose wire
/// shape the report shares (named `ReportedPartition` in the OpenAPI document).
pub type ReportedPartition = PartitionScan;

impl From<ReportedDisk> for DiskScan {
    fn from(d: ReportedDisk) -> Self {
        let logical_sector_size = d.logical_sector_size.unwrap_or(DEFAULT_SECTOR_SIZE);
        DiskScan {
            device: d.device,
            size_bytes: d.size_bytes,
            model: d.model,
            serial: d.serial,
            partition_table: d.partition_table.unwrap_or(PartitionTable::Unknown),
            logical_sector_size,
            physical_sector_size: d.physical_sector_size.unwrap_or(logical_sector_size),
            partitions: d.partitions,
        }
    }
}

/// The spec's `PartitionOperationCreate`.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"operation": "resize", "params": {"partition": 2, "new_size_bytes": 85899345920_i64}}))]
pub struct PartitionOperationCreate {
    pub operation: OperationKind,
    /// The parameters of `operation`; empty or wrong ones are a 422 naming
    /// `params.<field>`.
    #[schema(value_type = OperationParams)]
    pub params: serde_json::Value,
}

/// The parameters of each operation kind. The server reads them according to
/// `operation`; this type only describes them in the OpenAPI document.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
pub enum OperationParams {
    Resize(ResizeParams),
    Create(CreateParams),
    Delete(DeleteParams),
    Format(FormatParams),
    Move(MoveParams),
    SetFlag(SetFlagParams),
}

/// `?status=` of the operation lists.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StatusFilter {
    /// Only operations in this status.
    pub status: Option<OperationStatus>,
}

/// `POST …/partition-operations/{op_id}/status`.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"status": "failed", "error_message": "resize2fs: Bad magic number in super-block"}))]
pub struct OperationStatusUpdate {
    pub status: ReportedStatus,
    /// Only with `failed`.
    pub error_message: Option<String>,
}
