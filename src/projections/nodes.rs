//! `nodes`: the node registry's read model, and its queries.

use deadpool_postgres::Transaction;
use serde::Serialize;
use time::OffsetDateTime;
use tokio_postgres::Row;

use crate::db::Db;
use utoipa::ToSchema;
use uuid::Uuid;

use super::{ProjectionDef, ProjectionError, fold};
use crate::domain::node::{NodeDetails, NodeEvent};
use crate::event_store::Category;

pub const DEF: ProjectionDef = ProjectionDef {
    name: "nodes",
    schema: include_str!("../../projections/nodes.sql"),
    tables: &["nodes"],
    version: 1,
    apply: |tx, events| Box::pin(fold::each(events, Category::Node, move |_, id, decoded| apply(tx, id, decoded))),
};

const REGISTERED: &str =
    "INSERT INTO nodes (id, mac_address, hostname, ip_address, arch, state, created_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $7) ON CONFLICT (id) DO NOTHING";
const UPDATED: &str = "UPDATE nodes SET mac_address = $2, hostname = $3, ip_address = $4, arch = $5, state = $6,
     updated_at = $7 WHERE id = $1";

async fn apply(tx: &Transaction<'_>, id: Uuid, decoded: NodeEvent) -> Result<(), ProjectionError> {
    // Registration and update bind the same columns, in the same order.
    let (statement, id, details, at) = match decoded {
        NodeEvent::Registered { id, details, at } => (REGISTERED, id, details, at),
        NodeEvent::Updated { details, at } => (UPDATED, id, details, at),
        NodeEvent::Deleted { .. } => {
            tx.execute("DELETE FROM nodes WHERE id = $1", &[&id]).await?;
            return Ok(());
        }
    };
    let mac = details.mac_address.as_str();
    let state = state(&details);
    tx.execute(statement, &[&id, &mac, &details.hostname, &details.ip_address, &details.arch, &state, &at]).await?;
    Ok(())
}

fn state(details: &NodeDetails) -> String {
    fold::sessions::text(&details.state)
}

/// A node as the API shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = NodeResponse)]
pub struct NodeView {
    pub id: Uuid,
    #[schema(example = "52:54:00:12:34:56")]
    pub mac_address: String,
    #[schema(example = "rack1-node07")]
    pub hostname: String,
    #[schema(required = true, example = "10.0.0.5")]
    pub ip_address: Option<String>,
    #[schema(example = "x86_64")]
    pub arch: String,
    #[schema(value_type = crate::domain::node::NodeState, example = "discovered")]
    pub state: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

impl NodeView {
    /// The view of `node` as the projection folds it; `None` unless it is
    /// registered. Built from the state a command left, so the command's
    /// response never shows a later command's change.
    pub fn of(node: &crate::domain::node::Node) -> Option<Self> {
        let (id, details, created_at, updated_at) = node.live()?;
        Some(NodeView::new(id, details, created_at, updated_at))
    }

    /// The row `REGISTERED` or `UPDATED` writes for these values (the bulk
    /// rebuild folds into it too).
    pub fn new(id: Uuid, details: &NodeDetails, created_at: OffsetDateTime, updated_at: OffsetDateTime) -> Self {
        NodeView {
            id,
            mac_address: details.mac_address.as_str().to_owned(),
            hostname: details.hostname.clone(),
            ip_address: details.ip_address.clone(),
            arch: details.arch.clone(),
            state: state(details),
            created_at,
            updated_at,
        }
    }
}

const COLUMNS: &str = "id, mac_address, hostname, ip_address, arch, state, created_at, updated_at";

fn view(row: &Row) -> NodeView {
    NodeView {
        id: row.get(0),
        mac_address: row.get(1),
        hostname: row.get(2),
        ip_address: row.get(3),
        arch: row.get(4),
        state: row.get(5),
        created_at: row.get(6),
        updated_at: row.get(7),
    }
}

pub async fn get(client: &impl Db, id: Uuid) -> Result<Option<NodeView>, tokio_postgres::Error> {
    let sql = format!("SELECT {COLUMNS} FROM nodes WHERE id = $1");
    Ok(client.query_opt(&sql, &[&id]).await?.as_ref().map(view))
}

/// A page of nodes, newest first, and the total count.
pub async fn list(client: &impl Db, limit: i64, offset: i64) -> Result<(Vec<NodeView>, i64), tokio_postgres::Error> {
    let sql = format!("SELECT {COLUMNS} FROM nodes ORDER BY created_at DESC, id DESC LIMIT $1 OFFSET $2");
    let rows = client.query(&sql, &[&limit, &offset]).await?;
    let total: i64 = client.query_one("SELECT count(*) FROM nodes", &[]).await?.get(0);
    Ok((rows.iter().map(view).collect(), total))
}
