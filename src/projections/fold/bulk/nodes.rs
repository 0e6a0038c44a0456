//! `nodes` folded in memory: the row each statement of `projections::nodes`
//! leaves, as the [`NodeView`] it reads back. The live fold binds the
//! payload's times as `timestamptz` parameters (not RFC 3339 text), which
//! the driver writes in binary as `COPY` does here: no [`super::pg_time`].

use std::collections::HashMap;

use deadpool_postgres::Transaction;
use futures::future::BoxFuture;
use tokio_postgres::types::{ToSql, Type};
use uuid::Uuid;

use super::{BulkFold, SessionEvent, copy_rows};
use crate::domain::node::NodeEvent;
use crate::event_store::{Category, RecordedEvent};
use crate::projections::nodes::NodeView;
use crate::projections::{ProjectionError, fold};

/// Registered nodes by id.
#[derive(Default)]
pub struct Nodes {
    rows: HashMap<Uuid, NodeView>,
}

impl BulkFold for Nodes {
    fn fold(&mut self, event: &RecordedEvent, _: Option<&SessionEvent<'_>>) -> Result<(), ProjectionError> {
        if event.category() != Some(Category::Node) {
            return Ok(());
        }
        let (_, id, decoded) = fold::decode::<NodeEvent>(event)?;
        match decoded {
            // Keyed by the payload's id, as `REGISTERED` inserts it; the
            // first registration stays (`ON CONFLICT DO NOTHING`).
            NodeEvent::Registered { id, details, at } => {
                self.rows.entry(id).or_insert_with(|| NodeView::new(id, &details, at, at));
            }
            NodeEvent::Updated { details, at } => {
                if let Some(row) = self.rows.get_mut(&id) {
                    *row = NodeView::new(id, &details, row.created_at, at);
                }
            }
            NodeEvent::Deleted { .. } => {
                self.rows.remove(&id);
            }
        }
        Ok(())
    }

    fn write<'a>(self: Box<Self>, tx: &'a Transaction<'a>) -> BoxFuture<'a, Result<(), ProjectionError>> {
        Box::pin(copy_rows(tx, "nodes", COLUMNS, self.rows.into_values(), values))
    }
}

const COLUMNS: &[(&str, Type)] = &[
    ("id", Type::UUID),
    ("mac_address", Type::TEXT),
    ("hostname", Type::TEXT),
    ("ip_address", Type::TEXT),
    ("arch", Type::TEXT),
    ("state", Type::TEXT),
    ("created_at", Type::TIMESTAMPTZ),
    ("updated_at", Type::TIMESTAMPTZ),
];

fn values(row: &NodeView) -> Vec<&(dyn ToSql + Sync)> {
    vec![
        &row.id,
        &row.mac_address,
        &row.hostname,
        &row.ip_address,
        &row.arch,
        &row.state,
        &row.created_at,
        &row.updated_at,
    ]
}
