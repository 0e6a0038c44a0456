//! `/nodes/{id}/disks…` and `/nodes/{id}/partition-operations…`: a node's
//! disks as it last reported them, and the partition operations queued on
//! them, handed to the node, and reported back by it.

pub mod node_operations;
pub mod operations;
pub mod paths;
pub mod scans;
pub mod schemas;

use uuid::Uuid;

use crate::app::App;
use crate::error::ApiError;

/// 404 unless node `id` is registered (asked of its aggregate, so a node
/// registered a moment ago is found without waiting for the projections).
async fn ensure_node(app: &App, id: Uuid) -> Result<(), ApiError> {
    match crate::commands::nodes::registered(&app.commands(), id).await? {
        Some(_) => Ok(()),
        None => Err(ApiError::NotFound("Node not found".into())),
    }
}
