//! Reading `partition_operations`.

use serde::Serialize;
use time::OffsetDateTime;
use tokio_postgres::Row;

use crate::db::Db;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::domain::disks::{Operation, OperationKind, OperationStatus};

/// The spec's `PartitionOperationResponse`, plus when it was handed to the
/// node and started.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = PartitionOperationResponse)]
pub struct PartitionOperationView {
    pub id: Uuid,
    pub node_id: Uuid,
    /// The clone session that queued it (none yet: operators queue them).
    pub session_id: Option<Uuid>,
    #[schema(example = "/dev/sda")]
    pub device: String,
    #[schema(value_type = OperationKind)]
    pub operation: String,
    #[schema(value_type = Object, example = json!({"partition": 2, "new_size_bytes": 85899345920_i64}))]
    pub params: serde_json::Value,
    /// Position in the device's queue: 1, 2, 3… (never reused).
    pub sequence: i32,
    #[schema(value_type = OperationStatus)]
    pub status: String,
    pub error_message: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// When `apply` handed it to the node; null while it is only queued
    /// (and again after an earlier operation on the device failed).
    #[serde(with = "time::serde::rfc3339::option")]
    pub applied_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub started_at: Option<OffsetDateTime>,
    /// When the node reported it completed or failed.
    #[serde(with = "time::serde::rfc3339::option")]
    pub executed_at: Option<OffsetDateTime>,
}

impl PartitionOperationView {
    /// The view of an operation in the node's aggregate, as the projection
    /// folds it: a command's response built from the state it left.
    pub fn of(node_id: Uuid, op: &Operation) -> Self {
        Self {
            id: op.id,
            node_id,
            session_id: None,
            device: op.device.clone(),
            operation: op.spec.kind().as_str().to_owned(),
            params: op.spec.params(),
            sequence: op.sequence,
            status: op.status.as_str().to_owned(),
            error_message: op.error.clone(),
            created_at: op.created_at,
            applied_at: op.applied_at,
            started_at: op.started_at,
            executed_at: op.executed_at,
        }
    }
}

const SELECT: &str = "SELECT id, node_id, session_id, device, operation, params, sequence, status, error_message,
        created_at, applied_at, started_at, executed_at
    FROM partition_operations";

fn view(row: &Row) -> Result<PartitionOperationView, tokio_postgres::Error> {
    Ok(PartitionOperationView {
        id: row.try_get(0)?,
        node_id: row.try_get(1)?,
        session_id: row.try_get(2)?,
        device: row.try_get(3)?,
        operation: row.try_get(4)?,
        params: row.try_get(5)?,
        sequence: row.try_get(6)?,
        status: row.try_get(7)?,
        error_message: row.try_get(8)?,
        created_at: row.try_get(9)?,
        applied_at: row.try_get(10)?,
        started_at: row.try_get(11)?,
        executed_at: row.try_get(12)?,
    })
}

fn views(rows: Vec<Row>) -> Result<Vec<PartitionOperationView>, tokio_postgres::Error> {
    rows.iter().map(view).collect()
}

/// A device's operations in sequence order, optionally of one status.
pub async fn list_for_device(
    client: &impl Db,
    node_id: Uuid,
    device: &str,
    status: Option<OperationStatus>,
) -> Result<Vec<PartitionOperationView>, tokio_postgres::Error> {
    let sql =
        format!("{SELECT} WHERE node_id = $1 AND device = $2 AND ($3::text IS NULL OR status = $3) ORDER BY sequence");
    let status = status.map(OperationStatus::as_str);
    views(client.query(&sql, &[&node_id, &device, &status]).await?)
}

/// What the node may see: the operations handed to it, by device and
/// sequence. Queued operations (and those taken back after an earlier
/// failure) have no `applied_at` and stay invisible.
pub async fn list_for_node(
    client: &impl Db,
    node_id: Uuid,
    status: Option<OperationStatus>,
) -> Result<Vec<PartitionOperationView>, tokio_postgres::Error> {
    let sql = format!(
        "{SELECT} WHERE node_id = $1 AND applied_at IS NOT NULL AND ($2::text IS NULL OR status = $2)
         ORDER BY device, sequence"
    );
    let status = status.map(OperationStatus::as_str);
    views(client.query(&sql, &[&node_id, &status]).await?)
}
