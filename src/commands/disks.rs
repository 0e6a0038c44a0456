//! Disk and partition-operation commands. Each one first checks that the
//! node exists (on its aggregate, as clone sessions check their nodes), then
//! decides on the node's `node_disks` aggregate.

use time::OffsetDateTime;
use uuid::Uuid;

use crate::app::App;
use crate::domain::Rejection;
use crate::domain::disks::{self as disks, Device, DiskEvent, DiskScan, NodeDisks, OperationSpec, ReportedStatus};
use crate::error::ApiError;
use crate::event_store::Metadata;

/// Records a scan report (whole, or not at all).
pub async fn report(app: &App, metadata: &Metadata, node_id: Uuid, scan: Vec<DiskScan>) -> Result<(), ApiError> {
    let now = OffsetDateTime::now_utc();
    run(app, metadata, node_id, |state| disks::report(state, scan.clone(), now, Uuid::new_v4)).await?;
    Ok(())
}

/// Asks for a fresh scan; `false` when one was already pending.
pub async fn request_scan(app: &App, metadata: &Metadata, node_id: Uuid) -> Result<bool, ApiError> {
    let now = OffsetDateTime::now_utc();
    run(app, metadata, node_id, |state| disks::request_scan(state, now)).await
}

/// Queues an operation; returns its id.
pub async fn queue(
    app: &App,
    metadata: &Metadata,
    node_id: Uuid,
    device: &Device,
    spec: OperationSpec,
) -> Result<Uuid, ApiError> {
    let id = Uuid::new_v4();
    let now = OffsetDateTime::now_utc();
    run(app, metadata, node_id, |state| disks::queue(state, device, spec.clone(), id, now)).await?;
    Ok(id)
}

pub async fn remove(app: &App, metadata: &Metadata, node_id: Uuid, device: &Device, id: Uuid) -> Result<(), ApiError> {
    let now = OffsetDateTime::now_utc();
    run(app, metadata, node_id, |state| disks::remove(state, device, id, now)).await?;
    Ok(())
}

/// Hands the device's queued operations to the node; returns their ids in
/// sequence order.
pub async fn apply(app: &App, metadata: &Metadata, node_id: Uuid, device: &Device) -> Result<Vec<Uuid>, ApiError> {
    let now = OffsetDateTime::now_utc();
    let mut handed_out = Vec::new();
    run(app, metadata, node_id, |state| {
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
    Ok(handed_out)
}

/// A node's status callback for one of its operations.
pub async fn report_status(
    app: &App,
    metadata: &Metadata,
    node_id: Uuid,
    id: Uuid,
    status: ReportedStatus,
    error: Option<String>,
) -> Result<(), ApiError> {
    let now = OffsetDateTime::now_utc();
    run(app, metadata, node_id, |state| disks::report_status(state, id, status, error.clone(), now)).await?;
    Ok(())
}

/// 404 unless the node is registered.
pub async fn ensure_node(app: &App, node_id: Uuid) -> Result<(), ApiError> {
    match super::registered_node(app, node_id).await? {
        Some(_) => Ok(()),
        None => Err(ApiError::NotFound("Node not found".into())),
    }
}

/// Checks the node, then decides; returns whether anything was written.
async fn run(
    app: &App,
    metadata: &Metadata,
    node_id: Uuid,
    decide: impl FnMut(&NodeDisks) -> Result<Vec<DiskEvent>, Rejection>,
) -> Result<bool, ApiError> {
    ensure_node(app, node_id).await?;
    let executed = app.execute::<NodeDisks, _>(metadata, node_id, decide).await?;
    Ok(executed.wrote)
}
