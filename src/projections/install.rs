//! Installing projection tables, detecting changed definitions, rebuilding.

use deadpool_postgres::Pool;
use tokio_postgres::Transaction;

use super::{Projection, ProjectionError, all, definition};
use crate::event_store::read::read_after;

/// Views for BI tools over the read models; dropped with them by a rebuild,
/// so re-created after every install or rebuild.
const REPORTING_VIEWS: &str = include_str!("../../projections/reporting.sql");

/// Events folded per round trip during a rebuild.
const REBUILD_BATCH: i64 = 5_000;

#[derive(Debug, thiserror::Error)]
pub enum InstallError {
    #[error("unknown projection '{0}'")]
    Unknown(String),
    #[error(transparent)]
    Projection(#[from] ProjectionError),
}

impl From<tokio_postgres::Error> for InstallError {
    fn from(err: tokio_postgres::Error) -> Self {
        InstallError::Projection(err.into())
    }
}

impl From<deadpool_postgres::PoolError> for InstallError {
    fn from(err: deadpool_postgres::PoolError) -> Self {
        InstallError::Projection(err.into())
    }
}

/// Creates missing projections and rebuilds those whose definition changed.
/// Safe to run from several instances at once: each rebuild holds the
/// projection's checkpoint row lock.
pub async fn ensure_installed(pool: &Pool) -> Result<(), InstallError> {
    for projection in all() {
        let mut conn = pool.get().await?;
        let tx = conn.transaction().await?;
        let wanted = definition(projection.as_ref());
        let current = lock_checkpoint(&tx, projection.as_ref()).await?;
        if current.as_deref() != Some(wanted.as_str()) {
            tracing::info!(projection = projection.name(), "projection definition changed: rebuilding from the log");
            rebuild_in(&tx, projection.as_ref()).await?;
        }
        tx.commit().await?;
    }
    install_reporting_views(pool).await
}

async fn install_reporting_views(pool: &Pool) -> Result<(), InstallError> {
    let mut conn = pool.get().await?;
    let tx = conn.transaction().await?;
    // Serialised: concurrent DROP/CREATE VIEW from two instances would race.
    tx.execute("SELECT pg_advisory_xact_lock(7432)", &[]).await?;
    tx.batch_execute(REPORTING_VIEWS).await?;
    tx.commit().await?;
    Ok(())
}

/// Drops and rebuilds one projection (or all) from the log, atomically:
/// readers see the old tables until the rebuilt ones commit.
pub async fn rebuild(pool: &Pool, name: Option<&str>) -> Result<Vec<(String, i64)>, InstallError> {
    let selected: Vec<_> = all().into_iter().filter(|p| name.is_none_or(|n| n == p.name())).collect();
    if selected.is_empty() {
        return Err(InstallError::Unknown(name.unwrap_or_default().to_owned()));
    }
    let mut rebuilt = Vec::new();
    for projection in selected {
        let mut conn = pool.get().await?;
        let tx = conn.transaction().await?;
        lock_checkpoint(&tx, projection.as_ref()).await?;
        let position = rebuild_in(&tx, projection.as_ref()).await?;
        tx.commit().await?;
        rebuilt.push((projection.name().to_owned(), position));
    }
    install_reporting_views(pool).await?;
    Ok(rebuilt)
}

/// Name, checkpoint and whether the stored definition is current.
pub async fn status(pool: &Pool) -> Result<Vec<(String, i64, bool)>, InstallError> {
    let conn = pool.get().await?;
    let mut out = Vec::new();
    for projection in all() {
        let row = conn
            .query_opt("SELECT position, definition FROM projection_checkpoints WHERE name = $1", &[&projection.name()])
            .await?;
        let (position, current) = match row {
            Some(row) => (row.get(0), row.get::<_, String>(1) == definition(projection.as_ref())),
            None => (0, false),
        };
        out.push((projection.name().to_owned(), position, current));
    }
    Ok(out)
}

/// Locks (creating if needed) the checkpoint row; returns the stored definition.
async fn lock_checkpoint(tx: &Transaction<'_>, projection: &dyn Projection) -> Result<Option<String>, ProjectionError> {
    tx.execute(
        "INSERT INTO projection_checkpoints (name, position, definition) VALUES ($1, 0, '') ON CONFLICT (name) DO NOTHING",
        &[&projection.name()],
    )
    .await?;
    let row = tx
        .query_one("SELECT definition FROM projection_checkpoints WHERE name = $1 FOR UPDATE", &[&projection.name()])
        .await?;
    let stored: String = row.get(0);
    Ok((!stored.is_empty()).then_some(stored))
}

async fn rebuild_in(tx: &Transaction<'_>, projection: &dyn Projection) -> Result<i64, ProjectionError> {
    for table in projection.tables() {
        tx.batch_execute(&format!("DROP TABLE IF EXISTS {table} CASCADE")).await?;
    }
    tx.batch_execute(projection.schema()).await?;
    let mut position = 0;
    loop {
        let events = read_after(tx, position, REBUILD_BATCH).await?;
        let Some(last) = events.last() else { break };
        position = last.position;
        projection.apply(tx, &events).await?;
    }
    tx.execute(
        "UPDATE projection_checkpoints SET position = $2, definition = $3, updated_at = now() WHERE name = $1",
        &[&projection.name(), &position, &definition(projection)],
    )
    .await?;
    Ok(position)
}
