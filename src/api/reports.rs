//! `GET /reports/clones` (JSON) and `GET /reports/clones.csv`: what got
//! cloned, how fast, and what failed. Two operations rather than a `format`
//! parameter, so each declares the one body it answers and a generated client
//! never parses CSV as JSON.

use std::sync::Arc;

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};

use super::csv_export::{self, Cell};
use super::extract::ApiQuery;
use crate::app::App;
use crate::auth::{Auth, Viewer};
use crate::error::ApiError;
use crate::projections::clone_reports::{self, FailureReason, GroupBy, ReportRow};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReportParams {
    /// Sessions created at or after (RFC 3339); default: the beginning.
    #[serde(default, with = "time::serde::rfc3339::option")]
    #[param(value_type = Option<String>, format = DateTime)]
    pub from: Option<OffsetDateTime>,
    /// Sessions created before (RFC 3339); default: now.
    #[serde(default, with = "time::serde::rfc3339::option")]
    #[param(value_type = Option<String>, format = DateTime)]
    pub to: Option<OffsetDateTime>,
    /// `day` (default), `status`, `mode` or `node` (the source node, by id;
    /// its hostname is a label).
    #[param(value_type = Option<GroupBy>)]
    pub group_by: Option<GroupBy>,
}

/// The clone report.
#[derive(Debug, Serialize, ToSchema)]
pub struct CloneReport {
    pub success: bool,
    pub group_by: GroupBy,
    pub groups: Vec<ReportRow>,
    /// Failure reasons in the period, most frequent first.
    pub failure_reasons: Vec<FailureReason>,
    /// Always null; present so every envelope has the same keys.
    #[schema(required = true)]
    pub message: Option<String>,
}

/// Sessions created, started, completed, failed and cancelled; bytes cloned;
/// mean and p95 transfer rate; median and p95 duration; failure reasons ranked.
/// Served from the `clone_reports` projection.
#[utoipa::path(
    operation_id = "get_clone_report", get, path = "/reports/clones", tag = "audit",
    params(ReportParams), security(("bearer" = ["viewer"])),
    responses((status = 200, body = CloneReport))
)]
pub async fn clones(
    State(app): State<Arc<App>>,
    _auth: Auth<Viewer>,
    ApiQuery(params): ApiQuery<ReportParams>,
) -> Result<axum::Json<CloneReport>, ApiError> {
    let (group_by, groups, failure_reasons) = report(&app, params).await?;
    Ok(axum::Json(CloneReport { success: true, group_by, groups, failure_reasons, message: None }))
}

/// The report's groups as CSV (RFC 4180, LF line ends), one line per group;
/// the failure reasons are left out.
#[utoipa::path(
    operation_id = "get_clone_report_csv", get, path = "/reports/clones.csv", tag = "audit",
    params(ReportParams), security(("bearer" = ["viewer"])),
    responses(
        (status = 200, description = "The groups, one per line after a header line", content_type = "text/csv",
            body = String)
    )
)]
pub async fn clones_csv(
    State(app): State<Arc<App>>,
    _auth: Auth<Viewer>,
    ApiQuery(params): ApiQuery<ReportParams>,
) -> Result<Response, ApiError> {
    let (group_by, groups, _) = report(&app, params).await?;
    Ok(([(header::CONTENT_TYPE, "text/csv; charset=utf-8")], csv(group_by, &groups)?).into_response())
}

/// The report's grouping, groups and ranked failure reasons for `params`.
async fn report(app: &App, params: ReportParams) -> Result<(GroupBy, Vec<ReportRow>, Vec<FailureReason>), ApiError> {
    let from = params.from.unwrap_or(OffsetDateTime::UNIX_EPOCH);
    let to = params.to.unwrap_or_else(OffsetDateTime::now_utc);
    if to <= from {
        return Err(ApiError::invalid("to", "must be after from"));
    }
    let group_by = params.group_by.unwrap_or(GroupBy::Day);
    let conn = app.read_model().await?;
    let (groups, failure_reasons) = clone_reports::report(&*conn, from, to, group_by).await?;
    Ok((group_by, groups, failure_reasons))
}

/// The groups as CSV, one line per group; for `group_by=node` the node's id
/// and hostname follow the group. Every text cell goes through
/// [`csv_export`], which neutralises formulas (a hostname may be `=1+2`).
fn csv(group_by: GroupBy, groups: &[ReportRow]) -> Result<String, ApiError> {
    let node = group_by == GroupBy::Node;
    let mut header = vec!["group"];
    if node {
        header.extend(["node_id", "hostname"]);
    }
    header.extend([
        "created",
        "started",
        "completed",
        "failed",
        "cancelled",
        "bytes_cloned",
        "avg_transfer_rate_bps",
        "p95_transfer_rate_bps",
        "median_duration_seconds",
        "p95_duration_seconds",
    ]);
    let number = |v: Option<f64>| Cell::Number(v.map(|v| format!("{v:.1}")).unwrap_or_default());
    let node_ids: Vec<String> = groups.iter().map(|g| g.node_id.map(|id| id.to_string()).unwrap_or_default()).collect();
    let rows = groups.iter().zip(&node_ids).map(|(g, node_id)| {
        let mut row = vec![Cell::Text(&g.group)];
        if node {
            row.extend([Cell::Text(node_id), Cell::Text(g.hostname.as_deref().unwrap_or_default())]);
        }
        row.extend([
            Cell::Number(g.created.to_string()),
            Cell::Number(g.started.to_string()),
            Cell::Number(g.completed.to_string()),
            Cell::Number(g.failed.to_string()),
            Cell::Number(g.cancelled.to_string()),
            Cell::Number(g.bytes_cloned.to_string()),
            number(g.avg_transfer_rate_bps),
            number(g.p95_transfer_rate_bps),
            number(g.median_duration_seconds),
            number(g.p95_duration_seconds),
        ]);
        row
    });
    csv_export::write(&header, rows)
}
