//! Installing projection tables, detecting changed definitions, rebuilding.

use deadpool_postgres::Pool;
use deadpool_postgres::Transaction;

use super::fold::bulk;
use super::{Projection, ProjectionError, all, definition};
use crate::db::Db;
use crate::event_store::{Category, RecordedEvent, read};

/// Views for BI tools over the read models; dropped with them by a rebuild,
/// so re-created after every install or rebuild.
const REPORTING_VIEWS: &str = include_str!("../../projections/reporting.sql");

/// Events fetched per round trip during a rebuild.
const REBUILD_CHUNK: i32 = 10_000;

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
/// Safe to run from several instances at once: the checkpoint rows are locked
/// for the whole transaction, in name order like the runner's batches (any
/// other order can deadlock with another instance's runner).
pub async fn ensure_installed(pool: &Pool) -> Result<(), InstallError> {
    let mut projections = all();
    projections.sort_by_key(|p| p.name());
    let mut conn = pool.get().await?;
    let tx = conn.transaction().await?;
    let mut changed = Vec::new();
    for projection in &projections {
        let current = lock_checkpoint(&tx, projection.as_ref()).await?;
        if current != Some(definition(projection.as_ref())) {
            tracing::info!(projection = projection.name(), "projection definition changed: rebuilding from the log");
            changed.push(projection.as_ref());
        }
    }
    rebuild_in(&tx, &changed).await?;
    tx.commit().await?;
    drop(conn);
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
    let mut selected: Vec<&dyn Projection> = selected.iter().map(|p| p.as_ref()).collect();
    // Name order, as the runner locks them (see `ensure_installed`).
    selected.sort_by_key(|p| p.name());
    let mut conn = pool.get().await?;
    let tx = conn.transaction().await?;
    for projection in &selected {
        lock_checkpoint(&tx, *projection).await?;
    }
    let position = rebuild_in(&tx, &selected).await?;
    tx.commit().await?;
    drop(conn);
    install_reporting_views(pool).await?;
    Ok(selected.iter().map(|p| (p.name().to_owned(), position)).collect())
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
        "INSERT INTO projection_checkpoints (name, position, definition) VALUES ($1, 0, '')
         ON CONFLICT (name) DO NOTHING",
        &[&projection.name()],
    )
    .await?;
    let row = tx
        .query_one("SELECT definition FROM projection_checkpoints WHERE name = $1 FOR UPDATE", &[&projection.name()])
        .await?;
    let stored: String = row.get(0);
    Ok((!stored.is_empty()).then_some(stored))
}

/// Re-creates the tables of `projections` and folds the whole log into them
/// in one pass, streamed from one scan: the clone-session and node read
/// models in memory (each table written once with binary `COPY`, see
/// `fold::bulk`), the others with their SQL fold, chunk by chunk. The tables
/// are created without their secondary indexes, which come after the fold.
async fn rebuild_in(tx: &Transaction<'_>, projections: &[&dyn Projection]) -> Result<i64, ProjectionError> {
    if projections.is_empty() {
        return Ok(0);
    }
    super::begin_fold(tx).await?;
    let mut indexes = Vec::new();
    for projection in projections {
        for table in projection.def().tables {
            tx.batch_execute(&format!("DROP TABLE IF EXISTS {table} CASCADE")).await?;
        }
        let (schema, deferred) = defer_indexes(projection.def().schema);
        tx.batch_execute(&schema).await?;
        indexes.extend(deferred);
    }
    let (mut bulk, mut folded) = (Vec::new(), Vec::new());
    for projection in projections {
        match bulk::for_projection(projection.name()) {
            Some(fold) => bulk.push(fold),
            None => folded.push(*projection),
        }
    }
    let started = std::time::Instant::now();
    // Two stages on two cores: this task fetches the log and runs the SQL
    // folds; a blocking thread decodes the session and node events and
    // folds them in memory, a chunk behind.
    let (send, mut receive) = tokio::sync::mpsc::channel::<(Vec<RecordedEvent>, Vec<String>)>(2);
    let in_memory = tokio::task::spawn_blocking(move || -> Result<_, ProjectionError> {
        while let Some((events, payloads)) = receive.blocking_recv() {
            for (event, payload) in events.iter().zip(&payloads) {
                let session = bulk::session_event(event, payload)?;
                for fold in &mut bulk {
                    fold.fold(event, session.as_ref())?;
                }
            }
        }
        Ok(bulk)
    });
    let portal = read::open_log(tx).await?;
    let mut position = 0;
    let mut events = read::fetch(tx, &portal, REBUILD_CHUNK).await?;
    while let Some(last) = events.last().map(|(e, _)| e.position) {
        // The next chunk is fetched while the SQL folds run: the connection
        // runs the statements in order, and decoding overlaps PostgreSQL's
        // work. The projections write disjoint tables, so they share the
        // pipeline too.
        let (events_now, payloads) = parse_payloads(events)?;
        let next = async { read::fetch(tx, &portal, REBUILD_CHUNK).await.map_err(ProjectionError::from) };
        let apply = futures::future::try_join_all(folded.iter().map(|p| p.apply(tx, &events_now)));
        let (next, _) = futures::try_join!(next, apply)?;
        position = last;
        if send.send((events_now, payloads)).await.is_err() {
            break; // the in-memory fold stopped: its error follows
        }
        events = next;
    }
    drop(send);
    let bulk = match in_memory.await {
        Ok(folded) => folded?,
        Err(err) => std::panic::resume_unwind(err.into_panic()),
    };
    let folded_at = started.elapsed();
    for fold in bulk {
        fold.write(tx).await?;
    }
    let written_at = started.elapsed();
    // One sort per index over the final rows, instead of an entry per row
    // version (measured: 60.5 → 29.1 s for a 762,714-event log; creating the
    // tables unlogged and logging them once at the end saved nothing more).
    for index in indexes {
        tx.batch_execute(index).await?;
    }
    let (fold_ms, write_ms) = (folded_at.as_millis(), (written_at - folded_at).as_millis());
    let index_ms = (started.elapsed() - written_at).as_millis();
    tracing::debug!(
        position,
        fold_ms,
        write_ms,
        index_ms,
        "rebuild: log streamed and folded, tables written, indexes built"
    );
    for projection in projections {
        tx.execute(
            "UPDATE projection_checkpoints SET position = $2, definition = $3, updated_at = now() WHERE name = $1",
            &[&projection.name(), &position, &definition(*projection)],
        )
        .await?;
    }
    Ok(position)
}

/// Categories no read model folds: their events pass through a rebuild with
/// their payloads unparsed (claims are about a quarter of a bench log).
const UNFOLDED: [Category; 3] = [Category::Unique, Category::ApiToken, Category::StorageLease];

/// Events as [`read::fetch`] gives them, their payload texts apart: a
/// clone-session event's text is left for the in-memory folds, which parse it
/// straight into their type; the others' that a fold reads (nodes, backends,
/// disks, images: rare) are parsed into `payload`.
fn parse_payloads(rows: Vec<(RecordedEvent, String)>) -> Result<(Vec<RecordedEvent>, Vec<String>), ProjectionError> {
    let mut events = Vec::with_capacity(rows.len());
    let mut payloads = Vec::with_capacity(rows.len());
    for (mut event, payload) in rows {
        let category = event.category();
        if category != Some(Category::CloneSession) && !category.is_some_and(|c| UNFOLDED.contains(&c)) {
            event.payload = serde_json::from_str(&payload).map_err(|e| ProjectionError::decode(&event, e))?;
        }
        events.push(event);
        payloads.push(payload);
    }
    Ok((events, payloads))
}

/// `schema` without its secondary indexes (the one-line `CREATE INDEX`
/// statements), and those statements: a rebuild creates them after the fold.
/// Primary keys and unique constraints stay, as the folds find rows by them.
fn defer_indexes(schema: &str) -> (String, Vec<&str>) {
    let (indexes, rest): (Vec<&str>, Vec<&str>) =
        schema.lines().partition(|line| line.starts_with("CREATE INDEX ") && line.trim_end().ends_with(';'));
    (rest.join("\n"), indexes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secondary_indexes_of_every_projection_are_deferred_and_nothing_else() {
        for projection in all() {
            let schema = projection.def().schema;
            let (rest, indexes) = defer_indexes(schema);
            assert_eq!(indexes.len(), schema.matches("CREATE INDEX").count(), "{}", projection.name());
            assert!(!rest.contains("CREATE INDEX"), "{}", projection.name());
            assert_eq!(rest.lines().count() + indexes.len(), schema.lines().count());
        }
    }
}
