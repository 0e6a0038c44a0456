//! Rebuilding as a bulk job: the clone-session read models (most of the log
//! under load) and the node registry (a node per session in the bench's
//! `list`) are folded in memory into their tables' final rows while the log
//! streams past, then each table is written once with binary `COPY`.
//!
//! The live path updates rows in place with set-based statements
//! ([`super::sessions`]); these folds give the same rows (tested row for row
//! against it: `projections::bulk_rebuild_equals_the_live_fold…`). As there,
//! a change to a session without a row does nothing, and a creation of an
//! existing row is ignored. Progress reports apply one by one (the live
//! path merges a batch's consecutive reports, which is the same row).
//!
//! Timestamps from event payloads carry nanoseconds; the live path sends
//! them as RFC 3339 text, which PostgreSQL rounds to microseconds, so the
//! rows here are rounded the same way ([`pg_time`]) before they are written.

mod certificates;
mod nodes;
mod reports;
mod sessions;

use deadpool_postgres::Transaction;
use futures::future::BoxFuture;
use time::OffsetDateTime;
use tokio_postgres::binary_copy::BinaryCopyInWriter;
use tokio_postgres::types::{ToSql, Type};
use uuid::Uuid;

use crate::domain::clone_session::CloneSessionEvent;
use crate::event_store::{Category, DomainEvent, RecordedEvent, codec};
use crate::projections::{
    ProjectionError, certificates as certs, clone_reports, clone_sessions, nodes as node_registry,
};

/// A clone-session event of the log, decoded once for every bulk fold.
pub struct SessionEvent<'e> {
    pub event: &'e RecordedEvent,
    pub id: Uuid,
    pub decoded: CloneSessionEvent,
}

/// One projection's tables, folded in memory.
pub trait BulkFold: Send {
    /// Folds one event of the log (every event, in position order);
    /// `session` is the event decoded when it is a clone-session event.
    fn fold(&mut self, event: &RecordedEvent, session: Option<&SessionEvent<'_>>) -> Result<(), ProjectionError>;
    /// Writes the final rows into the freshly created (empty) tables.
    fn write<'a>(self: Box<Self>, tx: &'a Transaction<'a>) -> BoxFuture<'a, Result<(), ProjectionError>>;
}

/// The bulk fold of the projection called `name`, if it has one (the others
/// keep their SQL fold during a rebuild).
pub fn for_projection(name: &str) -> Option<Box<dyn BulkFold>> {
    match name {
        n if n == clone_sessions::DEF.name => Some(Box::<sessions::Sessions>::default()),
        n if n == clone_reports::DEF.name => Some(Box::<reports::Reports>::default()),
        n if n == certs::DEF.name => Some(Box::<certificates::Certificates>::default()),
        n if n == node_registry::DEF.name => Some(Box::<nodes::Nodes>::default()),
        _ => None,
    }
}

/// `event` decoded from `payload`, its JSON text, when it is a clone-session
/// event.
pub fn session_event<'e>(event: &'e RecordedEvent, payload: &str) -> Result<Option<SessionEvent<'e>>, ProjectionError> {
    if event.category() != Some(Category::CloneSession) {
        return Ok(None);
    }
    let id = ProjectionError::id(event)?;
    let decoded =
        decode_str(&event.event_type, event.schema_version, payload).map_err(|e| ProjectionError::decode(event, e))?;
    Ok(Some(SessionEvent { event, id, decoded }))
}

/// [`codec::decode`] from the payload's JSON text: parsed once, straight
/// into `E` (through a `Value` only when it needs upcasting).
fn decode_str<E: DomainEvent>(event_type: &str, schema_version: i32, payload: &str) -> Result<E, serde_json::Error> {
    if schema_version < E::schema_version(event_type) {
        return codec::decode(event_type, schema_version, serde_json::from_str(payload)?);
    }
    // `codec::decode`'s [tag, content] sequence, as text.
    serde_json::from_str(&format!("[{},{payload}]", serde_json::Value::from(event_type)))
}

/// `at` as PostgreSQL stores its RFC 3339 text: the fraction of a second is
/// parsed as a double and rounded to microseconds, half to even (`rint`).
pub fn pg_time(at: OffsetDateTime) -> OffsetDateTime {
    let nanos = at.nanosecond();
    if nanos.is_multiple_of(1_000) {
        return at;
    }
    let fraction: f64 = format!("0.{nanos:09}").parse().unwrap_or_default();
    let micros = (fraction * 1e6).round_ties_even() as i64;
    at.replace_nanosecond(0).unwrap_or(at) + time::Duration::microseconds(micros)
}

/// Writes `rows` into `table`'s `columns` (of `types`) with binary `COPY`.
/// The table's primary key is dropped for the copy and added back after it:
/// one sort of the final rows instead of a b-tree insert per row (the fold
/// keeps one row per key, so adding it back fails only on a fold's bug).
pub async fn copy_rows<R>(
    tx: &Transaction<'_>,
    table: &str,
    columns: &[(&str, Type)],
    rows: impl IntoIterator<Item = R>,
    values: impl Fn(&R) -> Vec<&(dyn ToSql + Sync)>,
) -> Result<(), ProjectionError> {
    let key = tx
        .query_opt(
            "SELECT conname::text, pg_get_constraintdef(oid) FROM pg_constraint
             WHERE conrelid = $1::text::regclass AND contype = 'p'",
            &[&table],
        )
        .await?
        .map(|row| (row.get::<_, String>(0), row.get::<_, String>(1)));
    if let Some((name, _)) = &key {
        tx.batch_execute(&format!("ALTER TABLE {table} DROP CONSTRAINT \"{name}\"")).await?;
    }
    let names: Vec<&str> = columns.iter().map(|(name, _)| *name).collect();
    let types: Vec<Type> = columns.iter().map(|(_, ty)| ty.clone()).collect();
    let sink = tx.copy_in(&format!("COPY {table} ({}) FROM STDIN BINARY", names.join(", "))).await?;
    let writer = BinaryCopyInWriter::new(sink, &types);
    futures::pin_mut!(writer);
    for row in rows {
        writer.as_mut().write(&values(&row)).await?;
    }
    writer.finish().await?;
    if let Some((name, definition)) = key {
        tx.batch_execute(&format!("ALTER TABLE {table} ADD CONSTRAINT \"{name}\" {definition}")).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payload_times_round_to_microseconds_as_postgresql_parses_them() {
        let at = |nanos| OffsetDateTime::UNIX_EPOCH.replace_nanosecond(nanos).expect("nanos");
        assert_eq!(pg_time(at(123_456_000)), at(123_456_000));
        assert_eq!(pg_time(at(123_456_499)), at(123_456_000));
        assert_eq!(pg_time(at(123_456_501)), at(123_457_000));
        assert_eq!(pg_time(at(999_999_900)), at(0) + time::Duration::SECOND);
    }
}
