//! The events both disk read models fold: a node's disk stream, and the
//! node's deletion (which removes its rows; the history stays in the log).

use deadpool_postgres::Transaction;
use futures::future::BoxFuture;
use uuid::Uuid;

use super::ProjectionError;
use crate::domain::disks::DiskEvent;
use crate::domain::node::NodeEvent;
use crate::event_store::{Category, RecordedEvent};

/// How a disk read model applies one `node_disks` event.
pub type ApplyDiskEvent =
    for<'b> fn(&'b Transaction<'b>, &'b RecordedEvent, Uuid, DiskEvent) -> BoxFuture<'b, Result<(), ProjectionError>>;

/// How a disk read model forgets a deleted node.
pub type ForgetNode = for<'b> fn(&'b Transaction<'b>, Uuid) -> BoxFuture<'b, Result<(), ProjectionError>>;

pub async fn fold(
    tx: &Transaction<'_>,
    events: &[RecordedEvent],
    apply: ApplyDiskEvent,
    forget: ForgetNode,
) -> Result<(), ProjectionError> {
    for event in events {
        match event.category() {
            Some(Category::NodeDisks) => {
                let decoded = event.decode().map_err(|e| ProjectionError::decode(event, e))?;
                apply(tx, event, ProjectionError::id(event)?, decoded).await?;
            }
            Some(Category::Node) => {
                let decoded: NodeEvent = event.decode().map_err(|e| ProjectionError::decode(event, e))?;
                if let NodeEvent::Deleted { .. } = decoded {
                    forget(tx, ProjectionError::id(event)?).await?;
                }
            }
            _ => {}
        }
    }
    Ok(())
}
