//! Node callbacks, authorised by the session's node tokens: `source-ready`
//! needs the source token, `progress` the token of the role it reports for,
//! `complete`/`failed` either role's token (or an operator's, to settle a
//! stuck session). Safe to repeat: a callback that already took effect is
//! acknowledged without a second event (nodes replay queued callbacks). Once
//! the session has ended its node tokens are retired: a replay is still
//! answered (200 for the same outcome, 409 saying why otherwise), but nothing
//! can change any more.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;

use super::schemas::{
    CallbackStatus, CloneCompletion, CloneFailure, CloneProgressUpdate, CloneSourceReady, CompletionAck, FailureQuery,
    ProgressAck,
};
use crate::api::envelope::ApiResponse;
use crate::api::extract::{ApiJson, ApiQuery};
use crate::app::App;
use crate::auth::{Callback, SessionAuth, Settle};
use crate::commands::clone_sessions as command;
use crate::domain::clone_session::{ProgressReport, Role, SourceEndpoint, progress_percent};
use crate::error::{ApiError, ErrorBody};

const EITHER: &[Role] = &[Role::Source, Role::Target];

/// The source serves its disk: pending → source_ready (and `clone.started`).
#[utoipa::path(
    operation_id = "report_source_ready", post, path = "/clone-sessions/{id}/source-ready", tag = "node-callbacks",
    params(("id" = Uuid, Path)),
    request_body = CloneSourceReady,
    security(("node_token" = ["session"])),
    responses(
        (status = 200, body = ApiResponse<CallbackStatus>),
        (status = 403, description = "Not the source token of this session", body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "A different source-ready was already recorded, or the session ended",
            body = ErrorBody)
    )
)]
pub async fn source_ready(
    State(app): State<Arc<App>>,
    auth: SessionAuth<Callback>,
    ApiJson(body): ApiJson<CloneSourceReady>,
) -> Result<Json<ApiResponse<CallbackStatus>>, ApiError> {
    let id = auth.session;
    let ctx = auth.as_role(&[Role::Source])?;
    let endpoint = SourceEndpoint { ip: body.ip, port: body.port, size_bytes: body.size_bytes, device: body.device };
    let message = format!("Source ready at {}:{}", endpoint.ip, endpoint.port);
    let state = command::source_ready(&app.commands(), &ctx.metadata(), id, endpoint).await?;
    Ok(ApiResponse::with_message(CallbackStatus { status: state.status.to_string() }, message))
}

/// Progress from the source or target; the first one moves source_ready → cloning.
#[utoipa::path(
    operation_id = "report_clone_progress", post, path = "/clone-sessions/{id}/progress", tag = "node-callbacks",
    params(("id" = Uuid, Path)),
    request_body = CloneProgressUpdate,
    security(("node_token" = ["session"])),
    responses(
        (status = 200, body = ApiResponse<ProgressAck>),
        (status = 403, description = "The token's role differs from `role`, or another session", body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "Session pending or already ended", body = ErrorBody)
    )
)]
pub async fn progress(
    State(app): State<Arc<App>>,
    auth: SessionAuth<Callback>,
    ApiJson(body): ApiJson<CloneProgressUpdate>,
) -> Result<Json<ApiResponse<ProgressAck>>, ApiError> {
    let id = auth.session;
    let ctx = auth.as_role(&[body.role])?;
    let report = ProgressReport {
        role: body.role,
        bytes_transferred: body.bytes_transferred,
        transfer_rate_bps: body.transfer_rate_bps,
        status: body.status,
        bytes_on_wire: body.bytes_on_wire,
    };
    let state = command::progress(&app.commands(), &ctx.metadata(), id, report).await?;
    let percent = progress_percent(state.bytes_transferred, state.bytes_total());
    Ok(ApiResponse::ok(ProgressAck { progress_percent: percent }))
}

/// The copy finished: → completed, with the duration since source-ready and
/// (optionally) the digest of what the target holds now.
#[utoipa::path(
    operation_id = "complete_clone_session", post, path = "/clone-sessions/{id}/complete", tag = "node-callbacks",
    params(("id" = Uuid, Path)),
    request_body(content = Option<CloneCompletion>, description = "Optional: the target's content digest"),
    security(("node_token" = ["session"]), ("bearer" = ["operator"])),
    responses(
        (status = 200, body = ApiResponse<CompletionAck>),
        (status = 404, body = ErrorBody),
        (status = 409, description = "Session pending, failed or cancelled", body = ErrorBody)
    )
)]
pub async fn complete(
    State(app): State<Arc<App>>,
    auth: SessionAuth<Settle>,
    ApiJson(body): ApiJson<CloneCompletion>,
) -> Result<Json<ApiResponse<CompletionAck>>, ApiError> {
    let id = auth.session;
    let ctx = auth.as_role(EITHER)?;
    let state = command::complete(&app.commands(), &ctx.metadata(), id, body.digest).await?;
    let ack = CompletionAck { status: state.status.to_string(), duration_seconds: state.duration_seconds.unwrap_or(0) };
    Ok(ApiResponse::with_message(ack, "Clone completed successfully"))
}

/// The copy failed: → failed with the reason (`?error=` or `{"error": ...}`).
#[utoipa::path(
    operation_id = "fail_clone_session", post, path = "/clone-sessions/{id}/failed", tag = "node-callbacks",
    params(("id" = Uuid, Path), FailureQuery), security(("node_token" = ["session"]), ("bearer" = ["operator"])),
    request_body(content = Option<CloneFailure>, description = "Optional when `?error=` is given"),
    responses(
        (status = 200, body = ApiResponse<CallbackStatus>),
        (status = 404, body = ErrorBody),
        (status = 409, description = "Session already completed, cancelled, or failed for another reason",
            body = ErrorBody),
        (status = 422, description = "No error given", body = ErrorBody)
    )
)]
pub async fn failed(
    State(app): State<Arc<App>>,
    auth: SessionAuth<Settle>,
    ApiQuery(query): ApiQuery<FailureQuery>,
    ApiJson(from_body): ApiJson<CloneFailure>,
) -> Result<Json<ApiResponse<CallbackStatus>>, ApiError> {
    let id = auth.session;
    let ctx = auth.as_role(EITHER)?;
    let error =
        query.error.or(from_body.error).ok_or_else(|| ApiError::invalid("error", "an error message is required"))?;
    let message = format!("Clone failed: {error}");
    let state = command::fail(&app.commands(), &ctx.metadata(), id, error).await?;
    Ok(ApiResponse::with_message(CallbackStatus { status: state.status.to_string() }, message))
}
