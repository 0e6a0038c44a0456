//! The node's side: poll for operations handed to it, report on each.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;

use super::paths::NodeOperationPath;
use super::schemas::{OperationStatusUpdate, StatusFilter};
use crate::api::envelope::{ApiList, ApiResponse};
use crate::api::extract::{ApiJson, ApiQuery};
use crate::app::App;
use crate::auth::NodeAuth;
use crate::commands::disks as command;
use crate::error::{ApiError, ErrorBody};
use crate::projections::partition_operations::{self, PartitionOperationView};

/// The operations handed to the node (by `apply`), by device and sequence:
/// run them in this order. Queued operations stay invisible until applied;
/// after a failure, the ones queued after it on that device are withdrawn.
#[utoipa::path(
    get, path = "/nodes/{id}/partition-operations", operation_id = "poll_partition_operations", tag = "node-callbacks",
    params(("id" = Uuid, Path), StatusFilter), security(("node_token" = ["node"])),
    responses(
        (status = 200, body = ApiList<PartitionOperationView>),
        (status = 403, description = "Another node's token", body = ErrorBody),
        (status = 404, description = "Node not found", body = ErrorBody)
    )
)]
pub async fn poll(
    State(app): State<Arc<App>>,
    NodeAuth { node: node_id, .. }: NodeAuth,
    ApiQuery(filter): ApiQuery<StatusFilter>,
) -> Result<Json<ApiList<PartitionOperationView>>, ApiError> {
    let conn = super::node_read_model(&app, node_id).await?;
    Ok(ApiList::whole(partition_operations::list_for_node(&*conn, node_id, filter.status).await?))
}

/// Report an operation running, completed or failed. Allowed: pending →
/// running/completed/failed, running → completed/failed, each only once every
/// earlier operation on the device has finished. A repeat is acknowledged
/// without change.
#[utoipa::path(
    post, path = "/nodes/{id}/partition-operations/{op_id}/status", operation_id = "report_partition_operation_status",
    tag = "node-callbacks",
    params(("id" = Uuid, Path), ("op_id" = Uuid, Path)),
    request_body = OperationStatusUpdate,
    security(("node_token" = ["node"])),
    responses(
        (status = 200, body = ApiResponse<PartitionOperationView>),
        (status = 403, description = "Another node's token", body = ErrorBody),
        (status = 404, description = "Node or operation not found", body = ErrorBody),
        (status = 409,
            description = "Not applied yet, an earlier operation has not finished, or the operation \
                  is already past this status",
            body = ErrorBody)
    )
)]
pub async fn report_status(
    State(app): State<Arc<App>>,
    NodeAuth { ctx, .. }: NodeAuth,
    path: NodeOperationPath,
    ApiJson(body): ApiJson<OperationStatusUpdate>,
) -> Result<Json<ApiResponse<PartitionOperationView>>, ApiError> {
    let view = command::report_status(
        &app.commands(),
        &ctx.metadata(),
        path.node_id,
        path.operation_id,
        body.status,
        body.error_message,
    )
    .await?;
    let message = format!("Operation #{} is {}", view.sequence, view.status);
    Ok(ApiResponse::with_message(view, message))
}
