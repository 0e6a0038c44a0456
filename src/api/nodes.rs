//! `/nodes`: the node registry (read: viewer; change: admin).

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::envelope::ApiResponse;
use super::extract::IdPath;
use crate::app::App;
use crate::auth::{Admin, Auth};
use crate::commands::nodes as command;
use crate::domain::node::{MacAddress, NodeDetails, NodePatch, NodeState};
use crate::error::{ApiError, ErrorBody};
use crate::event_store::Metadata;
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

/// A PATCH body as the domain's patch: the MAC address in canonical form
/// (422 when it is not one).
impl TryFrom<NodeUpdate> for NodePatch {
    type Error = ApiError;

    fn try_from(body: NodeUpdate) -> Result<Self, ApiError> {
        Ok(NodePatch {
            mac_address: body.mac_address.as_deref().map(MacAddress::parse).transpose()?,
            hostname: body.hostname,
            ip_address: body.ip_address,
            arch: body.arch,
            state: body.state,
        })
    }
}

/// A node's new token; the previous one stopped working.
#[derive(Debug, Serialize, ToSchema)]
pub struct NodeTokenRotated {
    pub node_token: String,
}

super::registry::registry_handlers! {
    tag: "nodes",
    collection: "/nodes",
    item: "/nodes/{id}",
    view: NodeView,
    read: view,
    command: command,
    create: (NodeCreate => NodeRegistered by register, conflict: "MAC address already registered", done: "registered"),
    update_body: NodeUpdate,
    operations: ("list_nodes", "create_node", "get_node", "update_node", "delete_node"),
    summaries: (
        "List nodes, newest first.",
        "Register a node. The response carries the node's token, shown only once.",
        "Get one node.",
        "Change a node.",
        "Delete a node (its history stays in the log; its token dies)."
    ),
    noun: "Node",
}

/// Registers the node `body` describes; the MAC address in canonical form
/// (422 when it is not one).
async fn register(app: &App, metadata: &Metadata, body: NodeCreate) -> Result<NodeRegistered, ApiError> {
    let details = NodeDetails {
        mac_address: MacAddress::parse(&body.mac_address)?,
        hostname: body.hostname,
        ip_address: body.ip_address,
        arch: body.arch,
        state: body.state,
    };
    let (node, node_token) = command::register(&app.commands(), metadata, details).await?;
    Ok(NodeRegistered { node, node_token })
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
