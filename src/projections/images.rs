//! `images`: the golden images that can be restored, and their queries.

use deadpool_postgres::Transaction;
use serde::Serialize;
use serde_json::Value;
use time::OffsetDateTime;
use tokio_postgres::Row;
use utoipa::ToSchema;
use uuid::Uuid;

use super::fold::sessions::text;
use super::{ApplyResult, ProjectionDef, fold};
use crate::db::Db;
use crate::domain::image::{ImageEvent, StoredImage};
use crate::domain::storage_backend::BackendType;
use crate::event_store::{Category, RecordedEvent};

pub const DEF: ProjectionDef = ProjectionDef {
    name: "images",
    schema: include_str!("../../projections/images.sql"),
    tables: &["images"],
    version: 1,
    apply: apply_events,
};

fn apply_events<'a>(tx: &'a Transaction<'a>, events: &'a [RecordedEvent]) -> ApplyResult<'a> {
    Box::pin(async move {
        for decoded in fold::events_of::<ImageEvent>(events, Category::Image) {
            let (event, id, decoded) = decoded?;
            match decoded {
                ImageEvent::Ready { details: d, at, .. } => {
                    let layout = d.layout.as_ref().map(serde_json::to_value).transpose().unwrap_or_default();
                    tx.execute(
                        "INSERT INTO images (id, name, source_node_id, source_device, capture_session_id,
                             backend_id, backend_type, path, size_bytes, chunk_size_bytes, chunks, digest,
                             manifest_digest, layout, created_at, ready_at, last_position)
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)
                         ON CONFLICT (id) DO NOTHING",
                        &[
                            &id,
                            &d.name,
                            &d.source_node_id,
                            &d.source_device,
                            &d.capture_session_id,
                            &d.backend_id,
                            &text(&d.backend_type),
                            &d.path,
                            &d.stored.size_bytes,
                            &d.stored.chunk_size_bytes,
                            &d.stored.chunks,
                            &d.stored.digest,
                            &d.stored.manifest_digest,
                            &layout,
                            &d.captured_from,
                            &at,
                            &event.position,
                        ],
                    )
                    .await?;
                }
                ImageEvent::RestoreCreated { .. } => {}
                ImageEvent::CleanupStarted { at } => {
                    tx.execute(
                        "UPDATE images SET status = 'cleanup', cleanup_started_at = $2, last_position = $3
                         WHERE id = $1",
                        &[&id, &at, &event.position],
                    )
                    .await?;
                }
                ImageEvent::CleanupFailed { reason, .. } => {
                    tx.execute(
                        "UPDATE images SET cleanup_error = $2, last_position = $3 WHERE id = $1",
                        &[&id, &reason, &event.position],
                    )
                    .await?;
                }
                ImageEvent::Deleted { .. } => {
                    tx.execute("DELETE FROM images WHERE id = $1", &[&id]).await?;
                }
            }
        }
        Ok(())
    })
}

/// A golden image as the API shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = ImageResponse)]
pub struct ImageView {
    pub id: Uuid,
    #[schema(example = "ubuntu-golden")]
    pub name: String,
    /// `ready` (restorable) or `cleanup` (deleted by an operator, its files
    /// being removed from the backend; no longer restorable). Once the files
    /// are gone the image is deleted and no longer found.
    #[schema(example = "ready")]
    pub status: String,
    /// In `cleanup`: why the last attempt to remove its files failed (it is
    /// retried), e.g. the backend is not reachable from the controller.
    pub cleanup_error: Option<String>,
    /// In `cleanup`: when the deletion was requested.
    #[serde(with = "time::serde::rfc3339::option")]
    pub cleanup_started_at: Option<OffsetDateTime>,
    pub source_node_id: Uuid,
    /// Hostname of the source node (null if the node was deleted).
    pub source_node_name: Option<String>,
    #[schema(example = "/dev/sda")]
    pub source_device: String,
    /// The staged session that captured it.
    pub capture_session_id: Uuid,
    pub backend_id: Uuid,
    /// Null if the backend was deleted.
    pub backend_name: Option<String>,
    #[schema(value_type = BackendType)]
    pub backend_type: String,
    /// The manifest's key on the backend.
    #[schema(example = "images/ubuntu-golden/manifest.json")]
    pub path: String,
    /// Its size (a target disk must be at least as large), chunks and digests.
    #[serde(flatten)]
    pub stored: StoredImage,
    /// The source disk's partition layout when captured (its node's last scan of it), if reported.
    #[schema(value_type = Option<Object>)]
    pub layout: Option<Value>,
    /// When the capture session was created.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub ready_at: OffsetDateTime,
    pub last_position: i64,
}

const SELECT: &str = "SELECT i.id, i.name, i.source_node_id, n.hostname, i.source_device, i.capture_session_id,
        i.backend_id, b.name, i.backend_type, i.path, i.size_bytes, i.chunk_size_bytes, i.chunks, i.digest,
        i.manifest_digest, i.layout, i.created_at, i.ready_at, i.last_position, i.status, i.cleanup_error,
        i.cleanup_started_at
    FROM images i
    LEFT JOIN nodes n ON n.id = i.source_node_id
    LEFT JOIN storage_backends b ON b.id = i.backend_id";

fn view(row: &Row) -> ImageView {
    ImageView {
        id: row.get(0),
        name: row.get(1),
        status: row.get(19),
        cleanup_error: row.get(20),
        cleanup_started_at: row.get(21),
        source_node_id: row.get(2),
        source_node_name: row.get(3),
        source_device: row.get(4),
        capture_session_id: row.get(5),
        backend_id: row.get(6),
        backend_name: row.get(7),
        backend_type: row.get(8),
        path: row.get(9),
        stored: StoredImage {
            size_bytes: row.get(10),
            chunk_size_bytes: row.get(11),
            chunks: row.get(12),
            digest: row.get(13),
            manifest_digest: row.get(14),
        },
        layout: row.get(15),
        created_at: row.get(16),
        ready_at: row.get(17),
        last_position: row.get(18),
    }
}

pub async fn get(client: &impl Db, id: Uuid) -> Result<Option<ImageView>, tokio_postgres::Error> {
    Ok(client.query_opt(&format!("{SELECT} WHERE i.id = $1"), &[&id]).await?.as_ref().map(view))
}

/// Which images a list page holds.
#[derive(Debug, Clone, Default)]
pub struct ImageFilter {
    pub backend_id: Option<Uuid>,
    pub source_node_id: Option<Uuid>,
    /// Names containing this, case-insensitively.
    pub name: Option<String>,
    /// `ready` or `cleanup`.
    pub status: String,
}

/// A page of images, newest first, with the total.
pub async fn list(
    client: &impl Db,
    filter: &ImageFilter,
    limit: i64,
    offset: i64,
) -> Result<(Vec<ImageView>, i64), tokio_postgres::Error> {
    let pattern =
        filter.name.as_ref().map(|n| format!("%{}%", n.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")));
    let matching = "($1::uuid IS NULL OR i.backend_id = $1) AND ($2::uuid IS NULL OR i.source_node_id = $2)
        AND ($3::text IS NULL OR i.name ILIKE $3) AND i.status = $4";
    let params: [&(dyn tokio_postgres::types::ToSql + Sync); 4] =
        [&filter.backend_id, &filter.source_node_id, &pattern, &filter.status];
    let rows = client
        .query(
            &format!("{SELECT} WHERE {matching} ORDER BY i.ready_at DESC, i.id DESC LIMIT $5 OFFSET $6"),
            &[params[0], params[1], params[2], params[3], &limit, &offset],
        )
        .await?;
    let total: i64 =
        client.query_one(&format!("SELECT count(*) FROM images i WHERE {matching}"), &params).await?.get(0);
    Ok((rows.iter().map(view).collect(), total))
}

/// The images in cleanup, oldest request first, with their backends: what
/// the sweep works through.
pub async fn in_cleanup(client: &impl Db) -> Result<Vec<(Uuid, Uuid)>, tokio_postgres::Error> {
    let rows = client
        .query("SELECT id, backend_id FROM images WHERE status = 'cleanup' ORDER BY cleanup_started_at, id", &[])
        .await?;
    Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
}

/// The names of the images on `backend` that are not deleted (ready or in cleanup).
pub async fn on_backend(client: &impl Db, backend: Uuid) -> Result<Vec<String>, tokio_postgres::Error> {
    let rows = client.query("SELECT name FROM images WHERE backend_id = $1", &[&backend]).await?;
    Ok(rows.iter().map(|r| r.get(0)).collect())
}
