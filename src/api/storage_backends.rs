//! `/storage/backends`: where staged clones park their images.

use serde::Deserialize;
use serde_json::Value;
use utoipa::ToSchema;

use crate::app::App;
use crate::commands::storage_backends as command;
use crate::domain::backend_config::{self, BackendConfigSchema};
use crate::domain::storage_backend::{BackendInput, BackendPatch, BackendType};
use crate::error::ApiError;
use crate::event_store::Metadata;
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

/// A PATCH body as the domain's patch (its config is parsed by the domain,
/// against the type the backend will have).
impl TryFrom<StorageBackendUpdate> for BackendPatch {
    type Error = ApiError;

    fn try_from(body: StorageBackendUpdate) -> Result<Self, ApiError> {
        Ok(BackendPatch { name: body.name, backend_type: body.backend_type, config: body.config })
    }
}

super::registry::registry_handlers! {
    tag: "storage",
    collection: "/storage/backends",
    item: "/storage/backends/{id}",
    view: StorageBackendView,
    read: view,
    command: command,
    create: (
        StorageBackendCreate => StorageBackendView by create_from,
        conflict: "Name already in use",
        done: "created"
    ),
    update_body: StorageBackendUpdate,
    operations: (
        "list_storage_backends",
        "create_storage_backend",
        "get_storage_backend",
        "update_storage_backend",
        "delete_storage_backend"
    ),
    summaries: (
        "List storage backends, newest first.",
        "Create a storage backend.",
        "Get one storage backend.",
        "Change a storage backend.",
        "Delete a storage backend."
    ),
    noun: "Storage backend",
}

/// Creates the backend `body` describes, its config parsed against its type.
async fn create_from(
    app: &App,
    metadata: &Metadata,
    body: StorageBackendCreate,
) -> Result<StorageBackendView, ApiError> {
    let config = backend_config::parse(body.backend_type, &body.config)?;
    let input = BackendInput { name: body.name, backend_type: body.backend_type, config };
    command::create(&app.commands(), metadata, input, &body.config).await
}
