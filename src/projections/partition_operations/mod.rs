//! `partition_operations`: every queued operation of every node and device,
//! folded from the `node_disks` stream. A deleted node's rows go too.

mod queries;

pub use queries::{PartitionOperationView, list_for_device, list_for_node};

use deadpool_postgres::Transaction;
use time::OffsetDateTime;
use tokio_postgres::types::Json;
use uuid::Uuid;

use super::{ProjectionDef, ProjectionError};
use crate::db::Db;
use crate::domain::disks::{DiskEvent as E, OperationStatus};
use crate::event_store::RecordedEvent;
use crate::projections::fold::node_disks;

pub const DEF: ProjectionDef = ProjectionDef {
    name: "partition_operations",
    schema: include_str!("../../../projections/partition_operations.sql"),
    tables: &["partition_operations"],
    version: 1,
    apply: |tx, events| {
        let disk = move |event, node_id, decoded| apply(tx, event, node_id, decoded);
        Box::pin(node_disks::fold(events, disk, move |node_id| forget_node(tx, node_id)))
    },
};

/// Every statement also stamps `updated_at` (the log time) and `last_position`.
async fn apply(tx: &Transaction<'_>, event: &RecordedEvent, node_id: Uuid, decoded: E) -> Result<(), ProjectionError> {
    let (stamp, pos) = (&event.recorded_at, &event.position);
    match decoded {
        E::OperationQueued(q) => {
            tx.execute(
                "INSERT INTO partition_operations (id, node_id, device, operation, params, sequence, status,
                     created_at, updated_at, last_position)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (id) DO NOTHING",
                &[
                    &q.id,
                    &node_id,
                    &q.device,
                    &q.spec.kind().as_str(),
                    &Json(q.spec.params()),
                    &q.sequence,
                    &OperationStatus::Pending.as_str(),
                    &q.at,
                    stamp,
                    pos,
                ],
            )
            .await?;
        }
        E::OperationRemoved { id, .. } => {
            tx.execute("DELETE FROM partition_operations WHERE id = $1", &[&id]).await?;
        }
        E::OperationsApplied { ids, at, .. } => {
            tx.execute(
                "UPDATE partition_operations SET applied_at = $2, updated_at = $3, last_position = $4
                 WHERE id = ANY($1)",
                &[&ids, &at, stamp, pos],
            )
            .await?;
        }
        E::OperationStarted { op, at } => {
            moved(tx, op.id, OperationStatus::Running, "started_at", at, (stamp, pos)).await?;
        }
        E::OperationCompleted { op, at } => {
            moved(tx, op.id, OperationStatus::Completed, "executed_at", at, (stamp, pos)).await?;
        }
        E::OperationFailed { op, error, withdrawn, at } => {
            tx.execute(
                "UPDATE partition_operations SET status = 'failed', error_message = $2, executed_at = $3,
                     updated_at = $4, last_position = $5
                 WHERE id = $1",
                &[&op.id, &error, &at, stamp, pos],
            )
            .await?;
            tx.execute(
                "UPDATE partition_operations SET applied_at = NULL, updated_at = $2, last_position = $3
                 WHERE id = ANY($1)",
                &[&withdrawn, stamp, pos],
            )
            .await?;
        }
        E::DiskScanned { .. } | E::ScanCompleted { .. } | E::ScanRequested { .. } => {}
    }
    Ok(())
}

/// Moves operation `id` to `status` and stamps `time_column` (`started_at`
/// or `executed_at`, never input) with the event's `at`.
async fn moved(
    tx: &Transaction<'_>,
    id: Uuid,
    status: OperationStatus,
    time_column: &str,
    at: OffsetDateTime,
    (stamp, pos): (&OffsetDateTime, &i64),
) -> Result<(), ProjectionError> {
    let sql = format!(
        "UPDATE partition_operations SET status = $2, {time_column} = $3, updated_at = $4, last_position = $5
         WHERE id = $1"
    );
    tx.execute(&sql, &[&id, &status.as_str(), &at, stamp, pos]).await?;
    Ok(())
}

async fn forget_node(tx: &Transaction<'_>, node_id: Uuid) -> Result<(), ProjectionError> {
    tx.execute("DELETE FROM partition_operations WHERE node_id = $1", &[&node_id]).await?;
    Ok(())
}
