//! `/images`: golden images captured by staged sessions, restored by others.
//! An image is restored with `POST /clone-sessions` (`clone_mode` `staged`,
//! `image_id`, one `target_node_id`): one session per target.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::envelope::{ApiList, ApiResponse};
use super::extract::{ApiQuery, IdPath, Page};
use crate::app::App;
use crate::auth::{Auth, Operator, Viewer};
use crate::commands::images as command;
use crate::error::{ApiError, ErrorBody};
use crate::projections::images::{self as view, ImageFilter, ImageView};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImageListParams {
    /// Only images whose name contains this (case-insensitive).
    pub name: Option<String>,
    /// Only images stored on this backend.
    pub backend_id: Option<Uuid>,
    /// Only images captured from this node.
    pub source_node_id: Option<Uuid>,
    /// `ready` (the default: the images that can be restored) or `cleanup`
    /// (deleted, their files being removed from the backend).
    #[param(inline)]
    pub status: Option<ImageListStatus>,
    #[param(minimum = 1, maximum = 200, default = 50)]
    pub limit: Option<i64>,
    #[param(minimum = 0, default = 0)]
    pub offset: Option<i64>,
}

/// Which images `GET /images` lists.
#[derive(Debug, Clone, Copy, Default, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ImageListStatus {
    #[default]
    Ready,
    Cleanup,
}

/// List the images that can be restored (or, with `status=cleanup`, those
/// whose files are being removed), newest first; the filters narrow the list.
#[utoipa::path(
    operation_id = "list_images", get, path = "/images", tag = "images",
    params(ImageListParams),
    security(("bearer" = ["viewer"])),
    responses(
        (status = 200, body = ApiList<ImageView>)
    )
)]
pub async fn list(
    State(app): State<Arc<App>>,
    _auth: Auth<Viewer>,
    ApiQuery(params): ApiQuery<ImageListParams>,
) -> Result<Json<ApiList<ImageView>>, ApiError> {
    let (limit, offset) = Page { limit: params.limit, offset: params.offset }.validate()?;
    let status = match params.status.unwrap_or_default() {
        ImageListStatus::Ready => "ready",
        ImageListStatus::Cleanup => "cleanup",
    };
    let filter = ImageFilter {
        backend_id: params.backend_id,
        source_node_id: params.source_node_id,
        name: params.name,
        status: status.to_owned(),
    };
    let conn = app.read_model().await?;
    Ok(ApiList::ok(view::list(&*conn, &filter, limit, offset).await?))
}

/// Get one image (ready, or in cleanup with the last sweep's error), with its
/// digests and the source disk's layout at capture time.
#[utoipa::path(
    operation_id = "get_image", get, path = "/images/{id}", tag = "images",
    params(("id" = Uuid, Path)),
    security(("bearer" = ["viewer"])),
    responses(
        (status = 200, body = ApiResponse<ImageView>),
        (status = 404, description = "No such image, or it was deleted", body = ErrorBody)
    )
)]
pub async fn get(
    State(app): State<Arc<App>>,
    _auth: Auth<Viewer>,
    IdPath(id): IdPath,
) -> Result<Json<ApiResponse<ImageView>>, ApiError> {
    let conn = app.read_model().await?;
    let image = view::get(&*conn, id).await?.ok_or_else(|| ApiError::NotFound("Image not found".into()))?;
    Ok(ApiResponse::ok(image))
}

/// Delete an image: it moves to `cleanup` at once (no longer restorable, its
/// sessions show staging `cleanup`) and the leading controller removes its
/// manifest and every chunk no other image on the backend references; then
/// the image is deleted (`GET` answers 404), its name is free again and its
/// sessions show staging `deleted`. A sweep that fails (the backend is not
/// reachable from the controller: an nfs export not mounted under
/// `--storage-mount-root`, an http server down) or has to wait (a capture
/// session on the backend is not over) is recorded as
/// the image's `cleanup_error` and retried with backoff. Asked again during
/// the cleanup: 200, nothing more is recorded.
#[utoipa::path(
    operation_id = "delete_image", delete, path = "/images/{id}", tag = "images",
    params(("id" = Uuid, Path)),
    security(("bearer" = ["operator"])),
    responses(
        (status = 200, description = "The cleanup started (or was already under way)",
            body = ApiResponse<super::Deleted>),
        (status = 404, description = "No such image, or already deleted", body = ErrorBody),
        (status = 409, description = "A clone session that is not over (not completed, failed or cancelled) \
            uses the image: its capture session, or a restore session, also one created while this request \
            ran (the two are ordered on the image's stream); `detail` names it", body = ErrorBody)
    )
)]
pub async fn delete(
    State(app): State<Arc<App>>,
    auth: Auth<Operator>,
    IdPath(id): IdPath,
) -> Result<Json<ApiResponse<super::Deleted>>, ApiError> {
    command::delete(&app.commands(), &auth.ctx.metadata(), id).await?;
    Ok(ApiResponse::with_message(super::Deleted { id }, "Image deletion started: its files are being removed"))
}
