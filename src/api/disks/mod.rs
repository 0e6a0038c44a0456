//! `/nodes/{id}/disks…` and `/nodes/{id}/partition-operations…`: a node's
//! disks as it last reported them, and the partition operations queued on
//! them, handed to the node, and reported back by it.

pub mod node_operations;
pub mod operations;
pub mod paths;
pub mod scans;
pub mod schemas;

use deadpool_postgres::Object;
use uuid::Uuid;

use crate::app::App;
use crate::error::ApiError;

/// A read-model connection for reading node `id`'s disks or operations; 404
/// unless the node is registered (asked of its aggregate, so a node registered
/// a moment ago is found without waiting for the projections).
async fn node_read_model(app: &App, id: Uuid) -> Result<Object, ApiError> {
    match crate::commands::nodes::registered(&app.commands(), id).await? {
        Some(_) => app.read_model().await,
        None => Err(ApiError::NotFound("Node not found".into())),
    }
}
