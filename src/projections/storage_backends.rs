//! `storage_backends`: the storage registry's read model, and its queries.

use std::collections::BTreeSet;

use deadpool_postgres::Transaction;
use serde::Serialize;
use serde_json::Value;
use time::OffsetDateTime;
use tokio_postgres::Row;

use crate::db::Db;
use utoipa::ToSchema;
use uuid::Uuid;

use super::{ProjectionDef, ProjectionError, fold};
use crate::domain::backend_config;
use crate::domain::storage_backend::{BackendDetails, BackendEvent, BackendType};
use crate::event_store::Category;

pub const DEF: ProjectionDef = ProjectionDef {
    name: "storage_backends",
    schema: include_str!("../../projections/storage_backends.sql"),
    tables: &["storage_backends"],
    version: 2,
    apply: |tx, events| {
        Box::pin(fold::each(events, Category::StorageBackend, move |_, id, decoded| apply(tx, id, decoded)))
    },
};

async fn apply(tx: &Transaction<'_>, id: Uuid, decoded: BackendEvent) -> Result<(), ProjectionError> {
    match decoded {
        BackendEvent::Created { id, details, at } => {
            tx.execute(
                "INSERT INTO storage_backends (id, name, type, config, credentials, created_at, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $6) ON CONFLICT (id) DO NOTHING",
                &[&id, &details.name, &backend_type(&details), &details.config, &credentials(&details), &at],
            )
            .await?;
        }
        BackendEvent::Updated { details, at, .. } => {
            tx.execute(
                "UPDATE storage_backends SET name = $2, type = $3, config = $4, credentials = $5, updated_at = $6
                 WHERE id = $1",
                &[&id, &details.name, &backend_type(&details), &details.config, &credentials(&details), &at],
            )
            .await?;
        }
        BackendEvent::Deleted { .. } => {
            tx.execute("DELETE FROM storage_backends WHERE id = $1", &[&id]).await?;
        }
    }
    Ok(())
}

fn credentials(details: &BackendDetails) -> Vec<String> {
    details.credentials.iter().cloned().collect()
}

fn backend_type(details: &BackendDetails) -> String {
    fold::sessions::text(&details.backend_type)
}

/// A storage backend as the API shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = StorageBackendResponse)]
pub struct StorageBackendView {
    pub id: Uuid,
    #[schema(example = "lab-nfs")]
    pub name: String,
    #[serde(rename = "type")]
    #[schema(value_type = crate::domain::storage_backend::BackendType, example = "nfs")]
    pub backend_type: String,
    /// The public fields of the config, plus `has_<credential>` (true when
    /// that credential is set) for each credential of the type: credentials
    /// themselves are never returned.
    #[schema(value_type = Object,
        example = json!({"bucket": "images", "access_key_id": "AKIA…", "has_secret_access_key": true}))]
    pub config: Value,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

impl StorageBackendView {
    /// The view of `backend` as the projection folds it; `None` unless it
    /// exists. Built from the state a command left, so the command's response
    /// never shows a later command's change.
    pub fn of(backend: &crate::domain::storage_backend::StorageBackend) -> Option<Self> {
        let (id, details, created_at, updated_at) = backend.live()?;
        Some(Self::shown(
            id,
            details.name.clone(),
            backend_type(details),
            &details.config,
            &details.credentials,
            created_at,
            updated_at,
        ))
    }

    /// The one way a backend becomes a view, from the state or from a row:
    /// the public config plus `has_<credential>` flags, never a credential.
    fn shown(
        id: Uuid,
        name: String,
        backend_type: String,
        config: &Value,
        credentials: &BTreeSet<String>,
        created_at: OffsetDateTime,
        updated_at: OffsetDateTime,
    ) -> Self {
        let config = match serde_json::from_value::<BackendType>(Value::String(backend_type.clone())) {
            Ok(parsed) => backend_config::shown(parsed, config, credentials),
            Err(_) => config.clone(),
        };
        StorageBackendView { id, name, backend_type, config, created_at, updated_at }
    }
}

const COLUMNS: &str = "id, name, type, config, credentials, created_at, updated_at";

fn view(row: &Row) -> StorageBackendView {
    let config: Value = row.get(3);
    let credentials: BTreeSet<String> = row.get::<_, Vec<String>>(4).into_iter().collect();
    StorageBackendView::shown(row.get(0), row.get(1), row.get(2), &config, &credentials, row.get(5), row.get(6))
}

pub async fn get(client: &impl Db, id: Uuid) -> Result<Option<StorageBackendView>, tokio_postgres::Error> {
    let sql = format!("SELECT {COLUMNS} FROM storage_backends WHERE id = $1");
    Ok(client.query_opt(&sql, &[&id]).await?.as_ref().map(view))
}

pub async fn list(
    client: &impl Db,
    limit: i64,
    offset: i64,
) -> Result<(Vec<StorageBackendView>, i64), tokio_postgres::Error> {
    let sql = format!("SELECT {COLUMNS} FROM storage_backends ORDER BY created_at DESC, id DESC LIMIT $1 OFFSET $2");
    let rows = client.query(&sql, &[&limit, &offset]).await?;
    let total: i64 = client.query_one("SELECT count(*) FROM storage_backends", &[]).await?.get(0);
    Ok((rows.iter().map(view).collect(), total))
}
