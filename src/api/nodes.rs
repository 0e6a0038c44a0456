//! `/nodes`: the node registry (read: viewer; change: admin).

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::envelope::{ApiList, ApiResponse};
use super::extract::{ApiJson, ApiQuery, IdPath, Page};
use crate::app::App;
use crate::auth::{Admin, Auth, Viewer};
use crate::commands::nodes as command;
use crate::domain::node::{MacAddress, NodeDetails, NodePatch, NodeState};
use crate::error::{ApiError, ErrorBody};
use crate::projections::nodes::{self as view, NodeView};

/// Register a node.
#[derive(Debug, Deserialize, ToSchema)]
pub struct NodeCreate {
    /// Any common notation; stored as `aa:bb:cc:dd:ee:ff`. Unique.
    #[schema(example = "52:54:00:12:34:56")]
    pub mac_address: String,
    #[schema(example = "rack1-node07")]
    pub hostname: String,
    #[schema(example = "10.0.0.5")]
    pub ip_address: Option<String>,
    #[schema(example = "x86_64")]
    #[serde(default = "default_arch")]
    pub arch: String,
    #[serde(default)]
    pub state: NodeState,
}

fn default_arch() -> String {
    "x86_64".into()
}

/// Change a node; absent fields keep their value (`ip_address: null` clears it).
#[derive(Debug, Deserialize, ToSchema)]
pub struct NodeUpdate {
    pub mac_address: Option<String>,
    pub hostname: Option<String>,
    #[serde(default, deserialize_with = "super::double_option")]
    #[schema(value_type = Option<String>)]
    pub ip_address: Option<Option<String>>,
    pub arch: Option<String>,
    pub state: Option<NodeState>,
}

/// A registered node and its node token (for disk reports and
/// partition-operation updates), shown only in this response.
#[derive(Debug, Serialize, ToSchema)]
pub struct NodeRegistered {
    #[serde(flatten)]
    pub node: NodeView,
    #[schema(example = "pbk_0b8d6c5e8a574a0f9a4e1f1d2b6c7e01_5f2c…")]
    pub node_token: String,
}

/// A node's new token; the previous one stopped working.
#[derive(Debug, Serialize, ToSchema)]
pub struct NodeTokenRotated {
    pub node_token: String,
}

/// List nodes, newest first.
#[utoipa::path(
    operation_id = "list_nodes", get, path = "/nodes", tag = "nodes",
    params(Page), security(("bearer" = ["viewer"])),
    responses((status = 200, body = ApiList<NodeView>))
)]
pub async fn list(
    State(app): State<Arc<App>>,
    _auth: Auth<Viewer>,
    ApiQuery(page): ApiQuery<Page>,
) -> Result<Json<ApiList<NodeView>>, ApiError> {
    let (limit, offset) = page.validate()?;
    let conn = app.read_model().await?;
    Ok(ApiList::ok(view::list(&*conn, limit, offset).await?))
}

/// Register a node. The response carries the node's token, shown only once.
#[utoipa::path(
    operation_id = "create_node", post, path = "/nodes", tag = "nodes",
    request_body = NodeCreate,
    security(("bearer" = ["admin"])),
    responses(
        (status = 200, body = ApiResponse<NodeRegistered>),
        (status = 409, description = "MAC address already registered", body = ErrorBody)
    )
)]
pub async fn create(
    State(app): State<Arc<App>>,
    auth: Auth<Admin>,
    ApiJson(body): ApiJson<NodeCreate>,
) -> Result<Json<ApiResponse<NodeRegistered>>, ApiError> {
    let details = NodeDetails {
        mac_address: MacAddress::parse(&body.mac_address)?,
        hostname: body.hostname,
        ip_address: body.ip_address,
        arch: body.arch,
        state: body.state,
    };
    let (node, node_token) = command::register(&app.commands(), &auth.ctx.metadata(), details).await?;
    let registered = NodeRegistered { node, node_token };
    Ok(ApiResponse::with_message(registered, "Node registered"))
}

/// Get one node.
#[utoipa::path(
    operation_id = "get_node", get, path = "/nodes/{id}", tag = "nodes",
    params(("id" = Uuid, Path)), security(("bearer" = ["viewer"])),
    responses((status = 200, body = ApiResponse<NodeView>), (status = 404, body = ErrorBody))
)]
pub async fn get(
    State(app): State<Arc<App>>,
    _auth: Auth<Viewer>,
    IdPath(id): IdPath,
) -> Result<Json<ApiResponse<NodeView>>, ApiError> {
    Ok(ApiResponse::ok(fetch(&app, id).await?))
}

/// Change a node.
#[utoipa::path(
    operation_id = "update_node", patch, path = "/nodes/{id}", tag = "nodes",
    params(("id" = Uuid, Path)),
    request_body = NodeUpdate,
    security(("bearer" = ["admin"])),
    responses(
        (status = 200, body = ApiResponse<NodeView>),
        (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody)
    )
)]
pub async fn update(
    State(app): State<Arc<App>>,
    auth: Auth<Admin>,
    IdPath(id): IdPath,
    ApiJson(body): ApiJson<NodeUpdate>,
) -> Result<Json<ApiResponse<NodeView>>, ApiError> {
    let patch = NodePatch {
        mac_address: body.mac_address.as_deref().map(MacAddress::parse).transpose()?,
        hostname: body.hostname,
        ip_address: body.ip_address,
        arch: body.arch,
        state: body.state,
    };
    let node = command::update(&app.commands(), &auth.ctx.metadata(), id, patch).await?;
    Ok(ApiResponse::with_message(node, "Node updated"))
}

/// Delete a node (its history stays in the log; its token dies).
#[utoipa::path(
    operation_id = "delete_node", delete, path = "/nodes/{id}", tag = "nodes",
    params(("id" = Uuid, Path)), security(("bearer" = ["admin"])),
    responses((status = 200, body = ApiResponse<super::Deleted>), (status = 404, body = ErrorBody))
)]
pub async fn delete(
    State(app): State<Arc<App>>,
    auth: Auth<Admin>,
    IdPath(id): IdPath,
) -> Result<Json<ApiResponse<super::Deleted>>, ApiError> {
    command::delete(&app.commands(), &auth.ctx.metadata(), id).await?;
    Ok(ApiResponse::with_message(super::Deleted { id }, "Node deleted"))
}

/// Rotate a node's token.
#[utoipa::path(
    operation_id = "rotate_node_token", post, path = "/nodes/{id}/token", tag = "nodes",
    params(("id" = Uuid, Path)), security(("bearer" = ["admin"])),
    responses((status = 200, body = ApiResponse<NodeTokenRotated>), (status = 404, body = ErrorBody))
)]
pub async fn rotate_token(
    State(app): State<Arc<App>>,
    auth: Auth<Admin>,
    IdPath(id): IdPath,
) -> Result<Json<ApiResponse<NodeTokenRotated>>, ApiError> {
    let node_token = command::rotate_token(&app.commands(), &auth.ctx.metadata(), id).await?;
    Ok(ApiResponse::with_message(NodeTokenRotated { node_token }, "Node token rotated"))
}

async fn fetch(app: &App, id: Uuid) -> Result<NodeView, ApiError> {
    let conn = app.read_model().await?;
    view::get(&*conn, id).await?.ok_or_else(|| ApiError::NotFound("Node not found".into()))
}
