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
use crate::projections::partition_operations::{self, PartitionOperationView};

/// One operation as the query table shows it now.
async fn fetch_operation(app: &App, id: Uuid) -> Result<PartitionOperationView, ApiError> {
    let conn = app.read_model().await?;
    partition_operations::get(&*conn, id)
        .await?
        .ok_or_else(|| ApiError::NotFound("Partition operation not found".into()))
}
