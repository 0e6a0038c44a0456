//! Node registry commands. A node's `pbk_…` token is a secret row of the
//! node (its hash), written with the events that make or end the node.

use uuid::Uuid;

use super::Decision;
use crate::auth::node_tokens::issue_node_token;
use crate::commands::Context;
use crate::domain::Rejection;
use crate::domain::node::{self, Node, NodeDetails, NodePatch};
use crate::error::ApiError;
use crate::event_store::{Aggregate, Metadata, SecretOp};
use crate::projections::nodes::NodeView;

/// Registers a node; returns it and its token (shown only once: the log
/// keeps the token's hash, outside the events).
pub async fn register(
    cx: &Context<'_>,
    metadata: &Metadata,
    details: NodeDetails,
) -> Result<(NodeView, String), ApiError> {
    let id = Uuid::new_v4();
    let (node_token, secret) = issue_node_token(id);
    let executed = cx
        .executor
        .execute::<Node, _>(metadata, id, |state, now| {
            let (events, claims) = node::register(state, id, details.clone(), now)?;
            Ok::<_, Rejection>(Decision { events, claims, secrets: vec![secret.clone()] })
        })
        .await?;
    Ok((view_of(&executed.state)?, node_token))
}

/// Changes a node; returns it as this change left it.
pub async fn update(cx: &Context<'_>, metadata: &Metadata, id: Uuid, patch: NodePatch) -> Result<NodeView, ApiError> {
    let executed =
        cx.executor.execute::<Node, _>(metadata, id, |state, now| node::update(state, patch.clone(), now)).await?;
    view_of(&executed.state)
}

/// Deletes a node (its history stays in the log); its token dies with it.
pub async fn delete(cx: &Context<'_>, metadata: &Metadata, id: Uuid) -> Result<(), ApiError> {
    let kill_token = SecretOp::DeleteOwner { owner: Node::stream(id) };
    cx.executor
        .execute::<Node, _>(metadata, id, |state, now| {
            let (events, claims) = node::delete(state, now)?;
            Ok::<_, Rejection>(Decision { events, claims, secrets: vec![kill_token.clone()] })
        })
        .await?;
    Ok(())
}

/// Gives a registered node a new token (the previous one stops working);
/// returns it, shown only once. Writes no event: only the token's hash changes.
pub async fn rotate_token(cx: &Context<'_>, metadata: &Metadata, id: Uuid) -> Result<String, ApiError> {
    let (node_token, secret) = issue_node_token(id);
    cx.executor
        .execute::<Node, _>(metadata, id, |state, _| {
            state.details.as_ref().ok_or_else(|| Rejection::NotFound("Node not found".into()))?;
            Ok::<_, Rejection>(Decision { events: Vec::new(), claims: Vec::new(), secrets: vec![secret.clone()] })
        })
        .await?;
    Ok(node_token)
}

/// The hostname of node `id`, or `None` when it is not registered. Read from
/// the node's aggregate, which is current without waiting for the projections.
pub async fn registered(cx: &Context<'_>, id: Uuid) -> Result<Option<String>, ApiError> {
    let (node, _) = cx.executor.load::<Node>(id).await?;
    Ok(node.details.map(|details| details.hostname))
}

/// The node as the command left it (never a later command's change).
fn view_of(node: &Node) -> Result<NodeView, ApiError> {
    NodeView::of(node).ok_or_else(|| ApiError::Internal("a node command left no node".into()))
}
