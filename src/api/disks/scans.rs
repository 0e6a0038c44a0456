//! Scan reports, scan requests, and the disks they describe.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use serde_json::Value;

use super::paths::DiskPath;
use super::schemas::DiskReport;
use crate::api::envelope::{ApiItems, ApiList, ApiResponse};
use crate::api::extract::{ApiJson, IdPath, parse_json};
use crate::app::App;
use crate::auth::{Auth, NodeAuth, Operator, Viewer};
use crate::commands::disks as command;
use crate::domain::disks::DiskScan;
use crate::error::{ApiError, ErrorBody};
use crate::projections::disk_info::{self, DiskInfoView, ScanStatusView};

/// The node's scan: every disk it sees, with partitions. Stored whole or not
/// at all; disks it no longer lists leave its view (their history stays in the log).
#[utoipa::path(
    post, path = "/nodes/{id}/disks/report", operation_id = "report_disks", tag = "node-callbacks",
    params(("id" = Uuid, Path)),
    request_body(content = DiskReport, description = "`{\"disks\": [...]}`, or the bare array"),
    security(("node_token" = ["node"])),
    responses(
        (status = 200, description = "The node's disks after the report", body = ApiItems<DiskInfoView>),
        (status = 403, description = "Another node's token", body = ErrorBody),
        (status = 404, description = "Node not found", body = ErrorBody),
        (status = 422,
            description = "Invalid report, naming the offending disk or partition (outside its disk, \
            overlapping another, ending before it starts, a duplicate number…)",
            body = ErrorBody)
    )
)]
pub async fn report(
    State(app): State<Arc<App>>,
    NodeAuth { node: node_id, ctx }: NodeAuth,
    ApiJson(body): ApiJson<Value>,
) -> Result<Json<ApiItems<DiskInfoView>>, ApiError> {
    let body = match body {
        Value::Array(disks) => serde_json::json!({ "disks": disks }),
        other => other,
    };
    let report: DiskReport = parse_json(body.to_string().as_bytes())?;
    let scan: Vec<DiskScan> = report.disks.into_iter().map(DiskScan::from).collect();
    let count = scan.len();
    let disks = command::report(&app.commands(), &ctx.metadata(), node_id, scan).await?;
    Ok(ApiItems::with_message(disks, format!("Scan recorded: {count} disk(s)")))
}

/// The node's disks as it last reported them, by device.
#[utoipa::path(
    get, path = "/nodes/{id}/disks", operation_id = "list_disks", tag = "disks",
    params(("id" = Uuid, Path)), security(("bearer" = ["viewer"])),
    responses(
        (status = 200, body = ApiList<DiskInfoView>),
        (status = 404, description = "Node not found", body = ErrorBody)
    )
)]
pub async fn list(
    State(app): State<Arc<App>>,
    _auth: Auth<Viewer>,
    IdPath(node_id): IdPath,
) -> Result<Json<ApiList<DiskInfoView>>, ApiError> {
    let conn = super::node_read_model(&app, node_id).await?;
    Ok(ApiList::whole(disk_info::list(&*conn, node_id).await?))
}

/// One disk with its partitions. `device` is URL-encoded (`%2Fdev%2Fsda`) or short (`sda`).
#[utoipa::path(
    get, path = "/nodes/{id}/disks/{device}", operation_id = "get_disk", tag = "disks",
    params(("id" = Uuid, Path), ("device" = String, Path, description = "`%2Fdev%2Fsda` or `sda`", example = "sda")),
    security(("bearer" = ["viewer"])),
    responses(
        (status = 200, body = ApiResponse<DiskInfoView>),
        (status = 404, description = "Node or disk not found", body = ErrorBody)
    )
)]
pub async fn get(
    State(app): State<Arc<App>>,
    _auth: Auth<Viewer>,
    path: DiskPath,
) -> Result<Json<ApiResponse<DiskInfoView>>, ApiError> {
    let conn = super::node_read_model(&app, path.node_id).await?;
    let disk = disk_info::get(&*conn, path.node_id, path.device.as_str())
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("Disk {} not found", path.device)))?;
    Ok(ApiResponse::ok(disk))
}

/// Ask the node for a fresh scan. Asking again while one is pending changes nothing.
#[utoipa::path(
    post, path = "/nodes/{id}/disks/scan", operation_id = "request_disk_scan", tag = "disks",
    params(("id" = Uuid, Path)), security(("bearer" = ["operator"])),
    responses(
        (status = 200, body = ApiResponse<ScanStatusView>),
        (status = 404, description = "Node not found", body = ErrorBody)
    )
)]
pub async fn request_scan(
    State(app): State<Arc<App>>,
    auth: Auth<Operator>,
    IdPath(node_id): IdPath,
) -> Result<Json<ApiResponse<ScanStatusView>>, ApiError> {
    let (requested, status) = command::request_scan(&app.commands(), &auth.ctx.metadata(), node_id).await?;
    let message = if requested { "Scan requested" } else { "A scan is already pending" };
    Ok(ApiResponse::with_message(status, message))
}

/// When a scan was last requested and reported, and whether one is pending.
#[utoipa::path(
    get, path = "/nodes/{id}/disks/scan-status", operation_id = "get_disk_scan_status", tag = "disks",
    params(("id" = Uuid, Path)), security(("bearer" = ["viewer"])),
    responses(
        (status = 200, body = ApiResponse<ScanStatusView>),
        (status = 404, description = "Node not found", body = ErrorBody)
    )
)]
pub async fn scan_status(
    State(app): State<Arc<App>>,
    _auth: Auth<Viewer>,
    IdPath(node_id): IdPath,
) -> Result<Json<ApiResponse<ScanStatusView>>, ApiError> {
    status_of(&app, node_id).await
}

/// The node's own view of [`scan_status`], with its node token: a node agent
/// (`pureboot-agent scan --watch`) polls it and answers `pending` with a report.
#[utoipa::path(
    get, path = "/nodes/{id}/disks/scan-request", operation_id = "poll_disk_scan_request", tag = "node-callbacks",
    params(("id" = Uuid, Path)), security(("node_token" = ["node"])),
    responses(
        (status = 200, body = ApiResponse<ScanStatusView>),
        (status = 403, description = "Another node's token", body = ErrorBody),
        (status = 404, description = "Node not found", body = ErrorBody)
    )
)]
pub async fn scan_request(
    State(app): State<Arc<App>>,
    NodeAuth { node: node_id, .. }: NodeAuth,
) -> Result<Json<ApiResponse<ScanStatusView>>, ApiError> {
    status_of(&app, node_id).await
}

/// What both the operator's and the node's view of the scan status answer.
async fn status_of(app: &App, node_id: uuid::Uuid) -> Result<Json<ApiResponse<ScanStatusView>>, ApiError> {
    let conn = super::node_read_model(app, node_id).await?;
    Ok(ApiResponse::ok(disk_info::scan_status(&*conn, node_id).await?))
}
