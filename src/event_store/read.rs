//! Reading the log: everything after a position, or one stream.
//!
//! Because appends are serialised (see `append.rs`), "every committed event
//! after position N, in position order" is a plain indexed range scan.

use tokio_postgres::Row;

use crate::db::Db;

use super::RecordedEvent;

const COLUMNS: &str = "position, stream, version, event_type, schema_version, payload, \
     actor, request_id, remote_addr, correlation_id, causation_id, recorded_at";

/// `try_get`, not `get`: an unreadable row is an error to report, never a panic.
fn from_row(row: &Row) -> Result<RecordedEvent, tokio_postgres::Error> {
    Ok(RecordedEvent {
        position: row.try_get(0)?,
        stream: row.try_get(1)?,
        version: row.try_get(2)?,
        event_type: row.try_get(3)?,
        schema_version: row.try_get(4)?,
        payload: row.try_get(5)?,
        actor: row.try_get(6)?,
        request_id: row.try_get(7)?,
        remote_addr: row.try_get(8)?,
        correlation_id: row.try_get(9)?,
        causation_id: row.try_get(10)?,
        recorded_at: row.try_get(11)?,
    })
}

/// Up to `limit` events with a position greater than `after`, in order.
pub async fn read_after(client: &impl Db, after: i64, limit: i64) -> Result<Vec<RecordedEvent>, tokio_postgres::Error> {
    let sql = format!("SELECT {COLUMNS} FROM events WHERE position > $1 ORDER BY position LIMIT $2");
    let rows = client.query(&sql, &[&after, &limit]).await?;
    rows.iter().map(from_row).collect()
}

/// The whole log in position order, as a portal of `tx` to fetch in chunks
/// with [`fetch`]: one scan, streamed, however long the log.
pub async fn open_log(tx: &tokio_postgres::Transaction<'_>) -> Result<tokio_postgres::Portal, tokio_postgres::Error> {
    // The payload as text (the last column), parsed once by whoever folds
    // it; the request's metadata as NULL: no fold reads it, and it is five
    // strings an event for the scan to send and the rebuild to allocate.
    let columns: Vec<&str> = COLUMNS
        .split(',')
        .map(|column| match column.trim() {
            "payload" => "'null'::jsonb",
            "actor" | "request_id" | "remote_addr" | "correlation_id" | "causation_id" => "NULL::text",
            column => column,
        })
        .collect();
    tx.bind(&format!("SELECT {}, payload::text FROM events ORDER BY position", columns.join(", ")), &[]).await
}

/// Up to `max` more events of `portal` (none once it is exhausted), each
/// with its payload as JSON text, `payload` left `Null` and no metadata: a
/// rebuild parses each payload once, straight into the type its fold wants.
pub async fn fetch(
    tx: &tokio_postgres::Transaction<'_>,
    portal: &tokio_postgres::Portal,
    max: i32,
) -> Result<Vec<(RecordedEvent, String)>, tokio_postgres::Error> {
    let rows = tx.query_portal(portal, max).await?;
    rows.iter().map(|row| Ok((from_row(row)?, row.try_get(COLUMNS.split(',').count())?))).collect()
}

/// Events of one stream with a version greater than `after_version`, in order.
pub async fn read_stream(
    client: &impl Db,
    stream: &str,
    after_version: i64,
) -> Result<Vec<RecordedEvent>, tokio_postgres::Error> {
    let sql = format!("SELECT {COLUMNS} FROM events WHERE stream = $1 AND version > $2 ORDER BY version");
    let rows = client.query(&sql, &[&stream, &after_version]).await?;
    rows.iter().map(from_row).collect()
}

/// The highest position in the log (0 when empty).
pub async fn head(client: &impl Db) -> Result<i64, tokio_postgres::Error> {
    let row = client.query_one("SELECT COALESCE(max(position), 0) FROM events", &[]).await?;
    Ok(row.get(0))
}

/// Which events an audit query wants; every field narrows the result.
#[derive(Debug, Clone, Default)]
pub struct EventFilter {
    pub stream: Option<String>,
    pub category: Option<String>,
    pub event_type: Option<String>,
    pub actor: Option<String>,
    pub from: Option<time::OffsetDateTime>,
    pub to: Option<time::OffsetDateTime>,
}

/// Which slice of the log a page reads: positions strictly between `after`
/// and `before` (`None`: up to the head), oldest or newest first.
#[derive(Debug, Clone, Copy)]
pub struct PageRange {
    pub after: i64,
    pub before: Option<i64>,
    pub newest_first: bool,
}

/// Up to `limit` matching events in `range`, in position order (or reverse
/// order with `newest_first`). Paging by position is stable under
/// concurrent appends: positions become visible in order, so a page never
/// gains an event after it was read, and a newest-first page bounded by
/// `before` never changes at all.
pub async fn read_filtered(
    client: &impl Db,
    filter: &EventFilter,
    range: PageRange,
    limit: i64,
) -> Result<Vec<RecordedEvent>, tokio_postgres::Error> {
    // Two fixed statements, so each walks the position index in its direction.
    let order = if range.newest_first { "position DESC" } else { "position" };
    let sql = format!(
        "SELECT {COLUMNS} FROM events WHERE position > $1 AND ($9::bigint IS NULL OR position < $9)
           AND ($2::text IS NULL OR stream = $2) AND ($3::text IS NULL OR category = $3)
           AND ($4::text IS NULL OR event_type = $4) AND ($5::text IS NULL OR actor = $5)
           AND ($6::timestamptz IS NULL OR recorded_at >= $6) AND ($7::timestamptz IS NULL OR recorded_at < $7)
         ORDER BY {order} LIMIT $8"
    );
    let params: [&(dyn tokio_postgres::types::ToSql + Sync); 9] = [
        &range.after,
        &filter.stream,
        &filter.category,
        &filter.event_type,
        &filter.actor,
        &filter.from,
        &filter.to,
        &limit,
        &range.before,
    ];
    let rows = client.query(&sql, &params).await?;
    rows.iter().map(from_row).collect()
}
