//! The operator's side of a device's operation queue: queue, list, remove, apply.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;

use super::paths::{DiskOperationPath, DiskPath};
use super::schemas::{PartitionOperationCreate, StatusFilter};
use crate::api::Deleted;
use crate::api::envelope::{ApiItems, ApiList, ApiResponse};
use crate::api::extract::{ApiJson, ApiQuery};
use crate::app::App;
use crate::auth::{Auth, Operator, Viewer};
use crate::commands::disks as command;
use crate::domain::disks::OperationSpec;
use crate::error::{ApiError, ErrorBody};
use crate::projections::partition_operations::{self, PartitionOperationView};

/// Queue an operation at the end of the device's queue. The controller replays
/// the queue on the disk's last scan and refuses an operation that would not
/// fit, explaining why (409).
#[utoipa::path(
    post, path = "/nodes/{id}/disks/{device}/operations", operation_id = "queue_partition_operation", tag = "disks",
    params(("id" = Uuid, Path), ("device" = String, Path, description = "`%2Fdev%2Fsda` or `sda`", example = "sda")),
    request_body = PartitionOperationCreate,
    security(("bearer" = ["operator"])),
    responses(
        (status = 200, description = "Queued (pending, not yet handed to the node)",
            body = ApiResponse<PartitionOperationView>),
        (status = 404, description = "Node or disk not found", body = ErrorBody),
        (status = 409,
            description = "It would not fit: past the disk, into the next partition, shrinking xfs or below \
            the minimum size, over an existing partition, or on a partition an earlier queued delete removed",
            body = ErrorBody),
        (status = 422, description = "Empty or wrong params, naming `params.<field>`", body = ErrorBody)
    )
)]
pub async fn queue(
    State(app): State<Arc<App>>,
    auth: Auth<Operator>,
    path: DiskPath,
    ApiJson(body): ApiJson<PartitionOperationCreate>,
) -> Result<Json<ApiResponse<PartitionOperationView>>, ApiError> {
    let spec = OperationSpec::parse(body.operation, &body.params)?;
    let view = command::queue(&app.commands(), &auth.ctx.metadata(), path.node_id, &path.device, spec).await?;
    let message = format!("Operation #{} queued", view.sequence);
    Ok(ApiResponse::with_message(view, message))
}

/// The device's operations in sequence order.
#[utoipa::path(
    get, path = "/nodes/{id}/disks/{device}/operations", operation_id = "list_partition_operations", tag = "disks",
    params(
        ("id" = Uuid, Path),
        ("device" = String, Path, description = "`%2Fdev%2Fsda` or `sda`", example = "sda"),
        StatusFilter
    ),
    security(("bearer" = ["viewer"])),
    responses(
        (status = 200, body = ApiList<PartitionOperationView>),
        (status = 404, description = "Node not found", body = ErrorBody)
    )
)]
pub async fn list(
    State(app): State<Arc<App>>,
    _auth: Auth<Viewer>,
    path: DiskPath,
    ApiQuery(filter): ApiQuery<StatusFilter>,
) -> Result<Json<ApiList<PartitionOperationView>>, ApiError> {
    let conn = super::node_read_model(&app, path.node_id).await?;
    let ops = partition_operations::list_for_device(&*conn, path.node_id, path.device.as_str(), filter.status).await?;
    Ok(ApiList::whole(ops))
}

/// Remove a queued operation: only while it is pending and not yet handed to the node.
#[utoipa::path(
    delete, path = "/nodes/{id}/disks/{device}/operations/{op_id}", operation_id = "remove_partition_operation",
    tag = "disks",
    params(
        ("id" = Uuid, Path),
        ("device" = String, Path, description = "`%2Fdev%2Fsda` or `sda`", example = "sda"),
        ("op_id" = Uuid, Path)
    ),
    security(("bearer" = ["operator"])),
    responses(
        (status = 200, body = ApiResponse<Deleted>),
        (status = 404, description = "Node or operation not found", body = ErrorBody),
        (status = 409,
            description = "Already applied, running or finished; or a later queued operation relies on it",
            body = ErrorBody)
    )
)]
pub async fn remove(
    State(app): State<Arc<App>>,
    auth: Auth<Operator>,
    path: DiskOperationPath,
) -> Result<Json<ApiResponse<Deleted>>, ApiError> {
    let id = path.operation_id;
    command::remove(&app.commands(), &auth.ctx.metadata(), path.node_id, &path.device, id).await?;
    Ok(ApiResponse::with_message(Deleted { id }, "Operation removed"))
}

/// Hand the device's queued operations to the node, in sequence order, after
/// checking the whole queue against the latest scan once more.
#[utoipa::path(
    post, path = "/nodes/{id}/disks/{device}/apply", operation_id = "apply_partition_operations", tag = "disks",
    params(("id" = Uuid, Path), ("device" = String, Path, description = "`%2Fdev%2Fsda` or `sda`", example = "sda")),
    security(("bearer" = ["operator"])),
    responses(
        (status = 200, description = "The operations handed out", body = ApiItems<PartitionOperationView>),
        (status = 404, description = "Node or disk not found", body = ErrorBody),
        (status = 409, description = "Nothing queued, or the queue no longer fits the latest scan", body = ErrorBody)
    )
)]
pub async fn apply(
    State(app): State<Arc<App>>,
    auth: Auth<Operator>,
    path: DiskPath,
) -> Result<Json<ApiItems<PartitionOperationView>>, ApiError> {
    let handed_out = command::apply(&app.commands(), &auth.ctx.metadata(), path.node_id, &path.device).await?;
    let message = format!("{} operation(s) handed to the node", handed_out.len());
    Ok(ApiItems::with_message(handed_out, message))
}
