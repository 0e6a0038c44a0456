//! `analyze`, `plan` and `start`: fitting the source onto the target and
//! starting the session (the design's lifecycle endpoints).

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::api::disks::schemas::PartitionOperationCreate;
use crate::api::envelope::ApiResponse;
use crate::api::extract::{ApiJson, IdPath};
use crate::app::App;
use crate::auth::{Auth, Operator, SessionAuth, Watch};
use crate::commands::clone_sessions::plan as command;
use crate::domain::Rejection;
use crate::domain::clone_session::analyze::Analysis;
use crate::domain::clone_session::{ClonePlan, CloneSession, CloneStatus, ResizeMode};
use crate::domain::disks::OperationSpec;
use crate::error::{ApiError, ErrorBody};

/// `PUT …/plan`: the new plan, replacing the old one whole.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"source_operations": [
    {"operation": "resize", "params": {"partition": 2, "new_size_bytes": 1038073344_i64}}]}))]
pub struct ClonePlanUpdate {
    /// Run on the source disk in order before it serves (`resize_mode =
    /// shrink_source`): `resize` and `move` only. Empty clears the plan.
    pub source_operations: Vec<PartitionOperationCreate>,
}

/// A session's resize plan.
#[derive(Debug, Serialize, ToSchema)]
pub struct ClonePlanView {
    pub session_id: Uuid,
    #[schema(value_type = ResizeMode)]
    pub resize_mode: ResizeMode,
    /// In order; empty when no plan was set.
    pub source_operations: Vec<OperationSpec>,
    /// Why the plan does not check out against the disks' latest scans now
    /// (`start` would be refused for it); null when it does.
    #[schema(required = true, example = json!(null))]
    pub problem: Option<String>,
    /// Whether the plan may still change (pending and not started).
    pub editable: bool,
}

impl ClonePlanView {
    fn of(id: Uuid, state: &CloneSession, problem: Option<String>) -> Self {
        Self {
            session_id: id,
            resize_mode: state.spec.as_ref().map(|s| s.resize_mode).unwrap_or_default(),
            source_operations: state.plan.source_operations.clone(),
            problem,
            editable: state.status == CloneStatus::Pending && !state.started,
        }
    }
}

/// The answer of `start`.
#[derive(Debug, Serialize, ToSchema)]
pub struct CloneStartAck {
    pub id: Uuid,
    #[schema(value_type = CloneStatus, example = "pending")]
    pub status: String,
    /// Always true: started now, or already before.
    pub started: bool,
}

/// Compare the source's and target's latest disk scans: what fits, and the
/// resize that makes it fit. Records nothing.
#[utoipa::path(
    operation_id = "analyze_clone_session", post, path = "/clone-sessions/{id}/analyze", tag = "clone-sessions",
    params(("id" = Uuid, Path)),
    security(("bearer" = ["operator"])),
    responses(
        (status = 200, description = "`fit`: same_size, target_larger (grow the last partition), target_smaller \
            (with the plan to PUT), cannot_fit (with both numbers) or unknown (a disk has no scan)",
            body = ApiResponse<Analysis>),
        (status = 404, body = ErrorBody)
    )
)]
pub async fn analyze(
    State(app): State<Arc<App>>,
    _auth: Auth<Operator>,
    IdPath(id): IdPath,
) -> Result<Json<ApiResponse<Analysis>>, ApiError> {
    let analysis = command::analyze(&app.commands(), id).await?;
    let message = analysis.message.clone();
    Ok(ApiResponse::with_message(analysis, message))
}

/// The session's resize plan, and whether it checks out against the latest
/// scans. The session's node tokens may read it: the source agent of a
/// `shrink_source` session carries it out.
#[utoipa::path(
    operation_id = "get_clone_plan", get, path = "/clone-sessions/{id}/plan", tag = "clone-sessions",
    params(("id" = Uuid, Path)),
    security(("bearer" = ["viewer"]), ("node_token" = ["session"])),
    responses(
        (status = 200, body = ApiResponse<ClonePlanView>),
        (status = 404, body = ErrorBody)
    )
)]
pub async fn get_plan(
    State(app): State<Arc<App>>,
    auth: SessionAuth<Watch>,
) -> Result<Json<ApiResponse<ClonePlanView>>, ApiError> {
    let (state, problem) = command::plan(&app.commands(), auth.session).await?;
    Ok(ApiResponse::ok(ClonePlanView::of(auth.session, &state, problem)))
}

/// Replace the resize plan. It is replayed by the plan simulator on the
/// source's latest scan (shrink floors, GPT areas, alignment) and the
/// layout it leaves must fit the target's latest scan.
#[utoipa::path(
    operation_id = "update_clone_plan", put, path = "/clone-sessions/{id}/plan", tag = "clone-sessions",
    params(("id" = Uuid, Path)),
    request_body = ClonePlanUpdate,
    security(("bearer" = ["operator"])),
    responses(
        (status = 200, body = ApiResponse<ClonePlanView>),
        (status = 404, body = ErrorBody),
        (status = 409, description = "The plan breaks a rule (the operation and the reason), does not make the \
            source fit (`cannot fit: X > Y bytes`), needs `resize_mode` shrink_source or a scan of the source; or \
            the session was started", body = ErrorBody),
        (status = 422, description = "An operation other than resize or move, or a bad parameter, named as \
            `source_operations[i].…`", body = ErrorBody)
    )
)]
pub async fn put_plan(
    State(app): State<Arc<App>>,
    auth: Auth<Operator>,
    IdPath(id): IdPath,
    ApiJson(body): ApiJson<ClonePlanUpdate>,
) -> Result<Json<ApiResponse<ClonePlanView>>, ApiError> {
    let operations = body
        .source_operations
        .iter()
        .enumerate()
        .map(|(i, op)| OperationSpec::parse(op.operation, &op.params).map_err(|r| within(i, r)))
        .collect::<Result<Vec<_>, _>>()?;
    let state = command::set_plan(&app.commands(), &auth.ctx.metadata(), id, ClonePlan::new(operations)?).await?;
    Ok(ApiResponse::with_message(ClonePlanView::of(id, &state, None), "Plan replaced"))
}

/// `params.x` of operation `i` is `source_operations[i].params.x`.
fn within(i: usize, rejection: Rejection) -> Rejection {
    match rejection {
        Rejection::Invalid { field, message } => {
            Rejection::invalid(&format!("source_operations[{i}].{field}"), message)
        }
        other => other,
    }
}

/// Start a pending session once its plan (empty if none was set) checks out
/// against the disks' latest scans. A `shrink_source` session must be
/// started (its source agent waits for it); any other starts on its own when
/// its source reports ready. From the start on, PATCH and `PUT …/plan` are
/// refused (409). Starting again answers 200 and records nothing.
#[utoipa::path(
    operation_id = "start_clone_session", post, path = "/clone-sessions/{id}/start", tag = "clone-sessions",
    params(("id" = Uuid, Path)),
    security(("bearer" = ["operator"])),
    responses(
        (status = 200, body = ApiResponse<CloneStartAck>),
        (status = 404, body = ErrorBody),
        (status = 409, description = "The session is no longer pending, or its plan does not check out (the \
            reason, e.g. `cannot fit: X > Y bytes`)", body = ErrorBody)
    )
)]
pub async fn start(
    State(app): State<Arc<App>>,
    auth: Auth<Operator>,
    IdPath(id): IdPath,
) -> Result<Json<ApiResponse<CloneStartAck>>, ApiError> {
    let state = command::start(&app.commands(), &auth.ctx.metadata(), id).await?;
    let ack = CloneStartAck { id, status: state.status.to_string(), started: state.started };
    Ok(ApiResponse::with_message(ack, "Clone session started"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_parameter_is_named_by_its_place_in_the_plan() {
        let rejection = within(3, Rejection::invalid("params.partition", "must be at least 1"));
        assert!(
            matches!(rejection, Rejection::Invalid { field, .. } if field == "source_operations[3].params.partition")
        );
    }
}
