//! Disk and partition-operation commands. Each one first checks that the
//! node exists (on its aggregate, as clone sessions check their nodes), then
//! decides on the node's `node_disks` aggregate.
//!
//! Each answers with views built from the aggregate's state right after its
//! own events, folded as the projections fold them: read back from the query
//! tables, a response could show a concurrent command's change (another
//! report's layout, an operation already handed out or removed).

use time::OffsetDateTime;
use uuid::Uuid;

use super::{Executed, nodes};
use crate::commands::Context;
use crate::domain::Rejection;
use crate::domain::disks::{self as disks, Device, DiskEvent, DiskScan, NodeDisks, OperationSpec, ReportedStatus};
use crate::error::ApiError;
use crate::event_store::Metadata;
use crate::projections::disk_info::{DiskInfoView, ScanStatusView};
use crate::projections::partition_operations::PartitionOperationView;

/// Records a scan report (whole, or not at all); returns the node's disks
/// as this report left them.
pub async fn report(
    cx: &Context<'_>,
    metadata: &Metadata,
    node_id: Uuid,
    scan: Vec<DiskScan>,
) -> Result<Vec<DiskInfoView>, ApiError> {
    let executed =
        run(cx, metadata, node_id, |state, now| disks::report(state, scan.clone(), now, Uuid::new_v4)).await?;
    Ok(DiskInfoView::all_of(node_id, &executed.state))
}

/// Asks for a fresh scan; `false` when one was already pending. Returns the
/// scan status this request left.
pub async fn request_scan(
    cx: &Context<'_>,
    metadata: &Metadata,
    node_id: Uuid,
) -> Result<(bool, ScanStatusView), ApiError> {
    let executed = run(cx, metadata, node_id, disks::request_scan).await?;
    Ok((executed.wrote, ScanStatusView::of(node_id, &executed.state)))
}

/// Queues an operation; returns it as just queued.
pub async fn queue(
    cx: &Context<'_>,
    metadata: &Metadata,
    node_id: Uuid,
    device: &Device,
    spec: OperationSpec,
) -> Result<PartitionOperationView, ApiError> {
    let id = Uuid::new_v4();
    let executed = run(cx, metadata, node_id, |state, now| disks::queue(state, device, spec.clone(), id, now)).await?;
    operation_view(node_id, &executed.state, id)
}

pub async fn remove(
    cx: &Context<'_>,
    metadata: &Metadata,
    node_id: Uuid,
    device: &Device,
    id: Uuid,
) -> Result<(), ApiError> {
    run(cx, metadata, node_id, |state, now| disks::remove(state, device, id, now)).await?;
    Ok(())
}

/// Hands the device's queued operations to the node; returns those it
/// handed out, in sequence order, as this command left them.
pub async fn apply(
    cx: &Context<'_>,
    metadata: &Metadata,
    node_id: Uuid,
    device: &Device,
) -> Result<Vec<PartitionOperationView>, ApiError> {
    let mut handed_out = Vec::new();
    let executed = run(cx, metadata, node_id, |state, now| {
        let events = disks::apply(state, device, now)?;
        handed_out = events
            .iter()
            .flat_map(|e| match e {
                DiskEvent::OperationsApplied { ids, .. } => ids.clone(),
                _ => Vec::new(),
            })
            .collect();
        Ok(events)
    })
    .await?;
    Ok(executed
        .state
        .queue(device.as_str())
        .filter(|op| handed_out.contains(&op.id))
        .map(|op| PartitionOperationView::of(node_id, op))
        .collect())
}

/// A node's status callback for one of its operations; returns the
/// operation as this report left it (as it was, for a repeat).
pub async fn report_status(
    cx: &Context<'_>,
    metadata: &Metadata,
    node_id: Uuid,
    id: Uuid,
    status: ReportedStatus,
    error: Option<String>,
) -> Result<PartitionOperationView, ApiError> {
    let executed =
        run(cx, metadata, node_id, |state, now| disks::report_status(state, id, status, error.clone(), now)).await?;
    operation_view(node_id, &executed.state, id)
}

/// Operation `id` in the state a command left (which accepted it, so it is there).
fn operation_view(node_id: Uuid, state: &NodeDisks, id: Uuid) -> Result<PartitionOperationView, ApiError> {
    state
        .operation(id)
        .map(|op| PartitionOperationView::of(node_id, op))
        .ok_or_else(|| ApiError::Internal(format!("partition operation {id} is missing after an accepted command")))
}

/// Checks the node (on its aggregate, so a node registered a moment ago
/// counts), then decides on its disks.
async fn run(
    cx: &Context<'_>,
    metadata: &Metadata,
    node_id: Uuid,
    decide: impl FnMut(&NodeDisks, OffsetDateTime) -> Result<Vec<DiskEvent>, Rejection>,
) -> Result<Executed<NodeDisks>, ApiError> {
    if nodes::registered(cx, node_id).await?.is_none() {
        return Err(ApiError::NotFound("Node not found".into()));
    }
    cx.executor.execute::<NodeDisks, _>(metadata, node_id, decide).await
}
