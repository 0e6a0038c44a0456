//! `disk_info` and `disk_scans`: each node's current disks and its scan
//! status, folded from the `node_disks` stream. A deleted node's rows go too.

mod queries;

pub use queries::{DiskInfoView, PartitionView, ScanStatusView, get, list, scan_status};

use deadpool_postgres::Transaction;
use tokio_postgres::types::Json;
use uuid::Uuid;

use super::{ProjectionDef, ProjectionError};
use crate::db::Db;
use crate::domain::disks::DiskEvent as E;
use crate::event_store::RecordedEvent;
use crate::projections::fold::node_disks;

pub const DEF: ProjectionDef = ProjectionDef {
    name: "disk_info",
    schema: include_str!("../../../projections/disk_info.sql"),
    tables: &["disk_info", "disk_scans"],
    // 2: sector sizes.
    version: 2,
    apply: |tx, events| {
        let disk = move |event, node_id, decoded| apply(tx, event, node_id, decoded);
        Box::pin(node_disks::fold(events, disk, move |node_id| forget_node(tx, node_id)))
    },
};

async fn apply(tx: &Transaction<'_>, event: &RecordedEvent, node_id: Uuid, decoded: E) -> Result<(), ProjectionError> {
    match decoded {
        E::DiskScanned { disk_id, disk, at } => {
            let table = queries::table_name(disk.partition_table);
            tx.execute(
                "INSERT INTO disk_info (id, node_id, device, size_bytes, model, serial, partition_table, partitions,
                     scanned_at, last_position, logical_sector_size, physical_sector_size)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
                 ON CONFLICT (node_id, device) DO UPDATE SET id = EXCLUDED.id, size_bytes = EXCLUDED.size_bytes,
                     model = EXCLUDED.model, serial = EXCLUDED.serial, partition_table = EXCLUDED.partition_table,
                     logical_sector_size = EXCLUDED.logical_sector_size,
                     physical_sector_size = EXCLUDED.physical_sector_size,
                     partitions = EXCLUDED.partitions, scanned_at = EXCLUDED.scanned_at,
                     last_position = EXCLUDED.last_position",
                &[
                    &disk_id,
                    &node_id,
                    &disk.device,
                    &disk.size_bytes,
                    &disk.model,
                    &disk.serial,
                    &table,
                    &Json(&disk.partitions),
                    &at,
                    &event.position,
                    &queries::sector(disk.logical_sector_size),
                    &queries::sector(disk.physical_sector_size),
                ],
            )
            .await?;
        }
        E::ScanCompleted { removed, at, .. } => {
            tx.execute("DELETE FROM disk_info WHERE node_id = $1 AND device = ANY($2)", &[&node_id, &removed]).await?;
            tx.execute(
                "INSERT INTO disk_scans (node_id, scanned_at) VALUES ($1, $2)
                 ON CONFLICT (node_id) DO UPDATE SET scanned_at = EXCLUDED.scanned_at",
                &[&node_id, &at],
            )
            .await?;
        }
        E::ScanRequested { at } => {
            tx.execute(
                "INSERT INTO disk_scans (node_id, requested_at) VALUES ($1, $2)
                 ON CONFLICT (node_id) DO UPDATE SET requested_at = EXCLUDED.requested_at",
                &[&node_id, &at],
            )
            .await?;
        }
        E::OperationQueued(_)
        | E::OperationRemoved { .. }
        | E::OperationsApplied { .. }
        | E::OperationStarted { .. }
        | E::OperationCompleted { .. }
        | E::OperationFailed { .. } => {}
    }
    Ok(())
}

async fn forget_node(tx: &Transaction<'_>, node_id: Uuid) -> Result<(), ProjectionError> {
    tx.execute("DELETE FROM disk_info WHERE node_id = $1", &[&node_id]).await?;
    tx.execute("DELETE FROM disk_scans WHERE node_id = $1", &[&node_id]).await?;
    Ok(())
}
