//! Reading the log: everything after a position, or one stream.
//!
//! Because appends are serialised (see `append.rs`), "every committed event
//! after position N, in position order" is a plain indexed range scan.

use tokio_postgres::{GenericClient, Row};

use super::RecordedEvent;

const COLUMNS: &str = "position, stream, version, event_type, schema_version, payload, \
     actor, request_id, remote_addr, correlation_id, causation_id, recorded_at";

fn from_row(row: &Row) -> RecordedEvent {
    RecordedEvent {
        position: row.get(0),
        stream: row.get(1),
        version: row.get(2),
        event_type: row.get(3),
        schema_version: row.get(4),
        payload: row.get(5),
        actor: row.get(6),
        request_id: row.get(7),
        remote_addr: row.get(8),
        correlation_id: row.get(9),
        causation_id: row.get(10),
        recorded_at: row.get(11),
    }
}

/// Up to `limit` events with a position greater than `after`, in order.
pub async fn read_after(
    client: &impl GenericClient,
    after: i64,
    limit: i64,
) -> Result<Vec<RecordedEvent>, tokio_postgres::Error> {
    let sql = format!("SELECT {COLUMNS} FROM events WHERE position > $1 ORDER BY position LIMIT $2");
    let rows = client.query(&sql, &[&after, &limit]).await?;
    Ok(rows.iter().map(from_row).collect())
}

/// Events of one stream with a version greater than `after_version`, in order.
pub async fn read_stream(
    client: &impl GenericClient,
    stream: &str,
    after_version: i64,
) -> Result<Vec<RecordedEvent>, tokio_postgres::Error> {
    let sql = format!("SELECT {COLUMNS} FROM events WHERE stream = $1 AND version > $2 ORDER BY version");
    let rows = client.query(&sql, &[&stream, &after_version]).await?;
    Ok(rows.iter().map(from_row).collect())
}

/// The highest position in the log (0 when empty).
pub async fn head(client: &impl GenericClient) -> Result<i64, tokio_postgres::Error> {
    let row = client.query_one("SELECT COALESCE(max(position), 0) FROM events", &[]).await?;
    Ok(row.get(0))
}
