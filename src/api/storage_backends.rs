//! `/storage/backends`: where staged clones park their images.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use serde_json::Value;
use utoipa::ToSchema;
use uuid::Uuid;

use super::envelope::{ApiList, ApiResponse};
use super::extract::{ApiJson, ApiQuery, IdPath, Page};
use crate::app::App;
use crate::auth::{Admin, Auth, Viewer};
use crate::commands::storage_backends as command;
use crate::domain::backend_config::{self, BackendConfigSchema};
use crate::domain::storage_backend::{BackendInput, BackendPatch, BackendType};
use crate::error::{ApiError, ErrorBody};
use crate::projections::storage_backends::{self as view, StorageBackendView};

#[derive(Debug, Deserialize, ToSchema)]
pub struct StorageBackendCreate {
    /// Unique (case-insensitive).
    #[schema(example = "lab-nfs")]
    pub name: String,
    #[serde(rename = "type")]
    pub backend_type: BackendType,
    /// The fields of `type` (unknown keys are refused, values are at most
    /// 1024 characters). Credentials are write-only.
    #[serde(default = "empty_object")]
    #[schema(value_type = BackendConfigSchema, example = json!({"server": "10.0.0.2", "export": "/srv/images"}))]
    pub config: Value,
}

fn empty_object() -> Value {
    Value::Object(Default::default())
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct StorageBackendUpdate {
    pub name: Option<String>,
    #[serde(rename = "type")]
    pub backend_type: Option<BackendType>,
    /// Replaces the public fields. A credential left out is kept, one given
    /// `null` is removed. Required when `type` changes.
    #[schema(value_type = Option<BackendConfigSchema>)]
    pub config: Option<Value>,
}

/// List storage backends, newest first.
#[utoipa::path(
    operation_id = "list_storage_backends", get, path = "/storage/backends", tag = "storage",
    params(Page), security(("bearer" = ["viewer"])),
    responses((status = 200, body = ApiList<StorageBackendView>))
)]
pub async fn list(
    State(app): State<Arc<App>>,
    _auth: Auth<Viewer>,
    ApiQuery(page): ApiQuery<Page>,
) -> Result<Json<ApiList<StorageBackendView>>, ApiError> {
    let (limit, offset) = page.validate()?;
    let conn = app.read_model().await?;
    Ok(ApiList::ok(view::list(&*conn, limit, offset).await?))
}

/// Create a storage backend.
#[utoipa::path(
    operation_id = "create_storage_backend", post, path = "/storage/backends", tag = "storage",
    request_body = StorageBackendCreate,
    security(("bearer" = ["admin"])),
    responses(
        (status = 200, body = ApiResponse<StorageBackendView>),
        (status = 409, description = "Name already in use", body = ErrorBody)
    )
)]
pub async fn create(
    State(app): State<Arc<App>>,
    auth: Auth<Admin>,
    ApiJson(body): ApiJson<StorageBackendCreate>,
) -> Result<Json<ApiResponse<StorageBackendView>>, ApiError> {
    let config = backend_config::parse(body.backend_type, &body.config)?;
    let input = BackendInput { name: body.name, backend_type: body.backend_type, config };
    let created = command::create(&app.commands(), &auth.ctx.metadata(), input, &body.config).await?;
    Ok(ApiResponse::with_message(created, "Storage backend created"))
}

/// Get one storage backend.
#[utoipa::path(
    operation_id = "get_storage_backend", get, path = "/storage/backends/{id}", tag = "storage",
    params(("id" = Uuid, Path)), security(("bearer" = ["viewer"])),
    responses((status = 200, body = ApiResponse<StorageBackendView>), (status = 404, body = ErrorBody))
)]
pub async fn get(
    State(app): State<Arc<App>>,
    _auth: Auth<Viewer>,
    IdPath(id): IdPath,
) -> Result<Json<ApiResponse<StorageBackendView>>, ApiError> {
    Ok(ApiResponse::ok(fetch(&app, id).await?))
}

/// Change a storage backend.
#[utoipa::path(
    operation_id = "update_storage_backend", patch, path = "/storage/backends/{id}", tag = "storage",
    params(("id" = Uuid, Path)),
    request_body = StorageBackendUpdate,
    security(("bearer" = ["admin"])),
    responses(
        (status = 200, body = ApiResponse<StorageBackendView>),
        (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody)
    )
)]
pub async fn update(
    State(app): State<Arc<App>>,
    auth: Auth<Admin>,
    IdPath(id): IdPath,
    ApiJson(body): ApiJson<StorageBackendUpdate>,
) -> Result<Json<ApiResponse<StorageBackendView>>, ApiError> {
    let patch = BackendPatch { name: body.name, backend_type: body.backend_type, config: body.config };
    let updated = command::update(&app.commands(), &auth.ctx.metadata(), id, patch).await?;
    Ok(ApiResponse::with_message(updated, "Storage backend updated"))
}

/// Delete a storage backend.
#[utoipa::path(
    operation_id = "delete_storage_backend", delete, path = "/storage/backends/{id}", tag = "storage",
    params(("id" = Uuid, Path)), security(("bearer" = ["admin"])),
    responses((status = 200, body = ApiResponse<super::Deleted>), (status = 404, body = ErrorBody))
)]
pub async fn delete(
    State(app): State<Arc<App>>,
    auth: Auth<Admin>,
    IdPath(id): IdPath,
) -> Result<Json<ApiResponse<super::Deleted>>, ApiError> {
    command::delete(&app.commands(), &auth.ctx.metadata(), id).await?;
    Ok(ApiResponse::with_message(super::Deleted { id }, "Storage backend deleted"))
}

async fn fetch(app: &App, id: Uuid) -> Result<StorageBackendView, ApiError> {
    let conn = app.read_model().await?;
    view::get(&*conn, id).await?.ok_or_else(|| ApiError::NotFound("Storage backend not found".into()))
}
