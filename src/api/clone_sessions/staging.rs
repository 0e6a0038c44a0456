//! Staged sessions, node side: where the image goes (`staging-info`), how
//! far the staging is (`staging-status`), the nodes' staging reports and
//! `source-complete`. The transitions are in `domain::clone_session::staging`.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use uuid::Uuid;

use super::staging_schemas::{
    SourceComplete, StagingAck, StagingBackend, StagingDirection, StagingInfo, StagingState, StagingUpdate,
};
use crate::api::envelope::ApiResponse;
use crate::api::extract::ApiJson;
use crate::app::App;
use crate::auth::{Callback, Keys, SessionAuth, Watch};
use crate::commands::clone_sessions as command;
use crate::commands::storage_backends::credential;
use crate::domain::clone_session::{CloneSession, Role, SourceCompletion, StagedImage, StagingReport, StagingStatus};
use crate::domain::image::{Image, manifest_path};
use crate::domain::storage_backend::StorageBackend;
use crate::error::{ApiError, ErrorBody};

/// Where and how this node reaches the session's image: the backend (with
/// its password, for the session's live node tokens only), the image's
/// path, and for a restore the digests to check it against.
#[utoipa::path(
    operation_id = "get_staging_info", get, path = "/clone-sessions/{id}/staging-info", tag = "node-callbacks",
    params(("id" = Uuid, Path)),
    security(("node_token" = ["session"])),
    responses(
        (status = 200, body = ApiResponse<StagingInfo>),
        (status = 400, description = "A direct session", body = ErrorBody),
        (status = 401, description = "Missing, invalid or retired node token", body = ErrorBody),
        (status = 403, description = "Another session's token", body = ErrorBody),
        (status = 404, description = "No such session, or its backend was deleted", body = ErrorBody),
        (status = 409, description = "The source of a restore session (there is nothing to upload), or the \
            image was deleted", body = ErrorBody)
    )
)]
pub async fn staging_info(
    State(app): State<Arc<App>>,
    auth: SessionAuth<Keys>,
) -> Result<Json<ApiResponse<StagingInfo>>, ApiError> {
    let id = auth.session;
    let role = auth.role();
    auth.as_role(&[Role::Source, Role::Target])?;
    let (state, staged) = staged(&app, id).await?;
    let staging_status = state.staging_status.unwrap_or(StagingStatus::Pending);
    let (direction, size, digests) = match (staged.clone(), role) {
        (StagedImage::Restore { .. }, Some(Role::Source)) => {
            return Err(ApiError::Conflict("a restore session has no source: its image is already stored".into()));
        }
        (_, Some(Role::Source)) => (StagingDirection::Capture, None, None),
        (StagedImage::Capture { .. }, _) => {
            let done = state.captured.as_ref();
            let size = done.map(|c| c.stored.size_bytes);
            (StagingDirection::Restore, size, done.map(|c| (c.stored.digest.clone(), c.stored.manifest_digest.clone())))
        }
        (StagedImage::Restore { image_id, size_bytes, .. }, _) => {
            let (image, _) = app.commands().executor.load::<Image>(image_id).await?;
            let image = crate::domain::image::usable(&image)
                .map_err(|_| ApiError::Conflict(format!("image {image_id} was deleted")))?;
            (
                StagingDirection::Restore,
                Some(size_bytes),
                Some((image.stored.digest.clone(), image.stored.manifest_digest.clone())),
            )
        }
    };
    let backend_id = state
        .spec
        .as_ref()
        .and_then(|s| s.staging_backend_id)
        .ok_or_else(|| ApiError::Internal("a staged session without a backend".into()))?;
    let (backend, _) = app.commands().executor.load::<StorageBackend>(backend_id).await?;
    let details = backend.details.ok_or_else(|| ApiError::NotFound("Storage backend not found".into()))?;
    let password = credential(&app.commands(), &*app.pool.get().await?, backend_id, "password").await?;
    let (digest, manifest_digest) = digests.unzip();
    Ok(ApiResponse::ok(StagingInfo {
        session_id: id,
        direction,
        image_id: staged.image_id(),
        image_name: staged.image_name().to_owned(),
        path: manifest_path(staged.image_name()),
        staging_status,
        backend: StagingBackend {
            id: backend_id,
            backend_type: details.backend_type,
            config: details.config,
            password,
        },
        size_bytes: size,
        digest,
        manifest_digest,
    }))
}

/// How far a staged session's staging is (current, without waiting for the query tables).
#[utoipa::path(
    operation_id = "get_staging_status", get, path = "/clone-sessions/{id}/staging-status", tag = "node-callbacks",
    params(("id" = Uuid, Path)),
    security(("node_token" = ["session"]), ("bearer" = ["viewer"])),
    responses(
        (status = 200, body = ApiResponse<StagingState>),
        (status = 400, description = "A direct session", body = ErrorBody),
        (status = 404, body = ErrorBody)
    )
)]
pub async fn staging_status(
    State(app): State<Arc<App>>,
    auth: SessionAuth<Watch>,
) -> Result<Json<ApiResponse<StagingState>>, ApiError> {
    let (state, staged) = staged(&app, auth.session).await?;
    Ok(ApiResponse::ok(StagingState {
        session_id: auth.session,
        status: state.status,
        staging_status: state.staging_status.unwrap_or(StagingStatus::Pending),
        image_id: staged.image_id(),
        bytes_total: state.bytes_total(),
        error_message: state.error.clone(),
    }))
}

/// A node's staging report: the source's `provisioned` and `uploading`
/// (which starts the session, `clone.started`), the target's `downloading`
/// (once the image is `ready`). A stage already passed is acknowledged with no event.
#[utoipa::path(
    operation_id = "report_staging_status", post, path = "/clone-sessions/{id}/staging-status",
    tag = "node-callbacks",
    params(("id" = Uuid, Path)),
    request_body = StagingUpdate,
    security(("node_token" = ["session"])),
    responses(
        (status = 200, body = ApiResponse<StagingAck>),
        (status = 400, description = "A direct session", body = ErrorBody),
        (status = 403, description = "The token's role differs from `role`", body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "Out of order (e.g. downloading before the image is ready) or the session \
            ended", body = ErrorBody),
        (status = 422, description = "A status the role does not report, or uploading without size_bytes",
            body = ErrorBody)
    )
)]
pub async fn report_staging(
    State(app): State<Arc<App>>,
    auth: SessionAuth<Callback>,
    ApiJson(body): ApiJson<StagingUpdate>,
) -> Result<Json<ApiResponse<StagingAck>>, ApiError> {
    let id = auth.session;
    let ctx = auth.as_role(&[body.role])?;
    let report = StagingReport { role: body.role, status: body.status, size_bytes: body.size_bytes };
    let state = command::report_staging(&app.commands(), &ctx.metadata(), id, report).await?;
    Ok(ApiResponse::ok(ack(&state)))
}

/// The source stored its disk whole: staging → `ready`, the image is recorded
/// (`image.ready`, in the same append as the session's event), and a
/// session without a target is completed. A replay of the same report is
/// answered 200 and writes nothing.
#[utoipa::path(
    operation_id = "complete_source_upload", post, path = "/clone-sessions/{id}/source-complete",
    tag = "node-callbacks",
    params(("id" = Uuid, Path)),
    request_body = SourceComplete,
    security(("node_token" = ["session"])),
    responses(
        (status = 200, body = ApiResponse<StagingAck>),
        (status = 400, description = "A direct session", body = ErrorBody),
        (status = 403, description = "Not the source token of this session", body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "The upload has not started, a different completion was recorded, or the \
            session ended", body = ErrorBody),
        (status = 422, description = "Bad size, chunk count or digest", body = ErrorBody)
    )
)]
pub async fn source_complete(
    State(app): State<Arc<App>>,
    auth: SessionAuth<Callback>,
    ApiJson(body): ApiJson<SourceComplete>,
) -> Result<Json<ApiResponse<StagingAck>>, ApiError> {
    let id = auth.session;
    let ctx = auth.as_role(&[Role::Source])?;
    let report = SourceCompletion {
        size_bytes: body.size_bytes,
        chunk_size_bytes: body.chunk_size_bytes,
        chunks: body.chunks,
        digest: body.digest,
        manifest_digest: body.manifest_digest,
        bytes_uploaded: body.bytes_uploaded,
    };
    let state = command::source_complete(&app.commands(), &ctx.metadata(), id, report).await?;
    Ok(ApiResponse::with_message(ack(&state), "Image stored"))
}

fn ack(state: &CloneSession) -> StagingAck {
    StagingAck { status: state.status, staging_status: state.staging_status.unwrap_or(StagingStatus::Pending) }
}

/// The session as its aggregate holds it now, if it is a staged one with an image.
async fn staged(app: &App, id: Uuid) -> Result<(CloneSession, StagedImage), ApiError> {
    let (state, _) = app.commands().executor.load::<CloneSession>(id).await?;
    if state.spec.is_none() || state.deleted {
        return Err(ApiError::NotFound("Clone session not found".into()));
    }
    let staged = state.staged.clone().ok_or_else(|| {
        ApiError::BadRequest("Staging is only for staged sessions that capture or restore an image".into())
    })?;
    Ok((state, staged))
}
