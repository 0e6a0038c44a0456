//! `/images`: golden images captured by staged sessions, restored by others.
//! An image is restored with `POST /clone-sessions` (`clone_mode` `staged`,
//! `image_id`, one `target_node_id`): one session per target.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use utoipa::IntoParams;
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
    #[param(minimum = 1, maximum = 200, default = 50)]
    pub limit: Option<i64>,
    #[param(minimum = 0, default = 0)]
    pub offset: Option<i64>,
}

/// List the images that can be restored, newest first; the filters narrow the list.
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
    let filter =
        ImageFilter { backend_id: params.backend_id, source_node_id: params.source_node_id, name: params.name };
    let conn = app.read_model().await?;
    Ok(ApiList::ok(view::list(&*conn, &filter, limit, offset).await?))
}

/// Get one image, with its digests and the source disk's layout at capture time.
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

/// Delete an image: it can no longer be restored, its name is free again and
/// its sessions show staging `deleted`. The chunks stay on the backend (other
/// images may share them).
#[utoipa::path(
    operation_id = "delete_image", delete, path = "/images/{id}", tag = "images",
    params(("id" = Uuid, Path)),
    security(("bearer" = ["operator"])),
    responses(
        (status = 200, body = ApiResponse<super::Deleted>),
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
    Ok(ApiResponse::with_message(super::Deleted { id }, "Image deleted"))
}
