//! How far the projections trail the log, for readiness and metrics.

use crate::db::Db;

/// The log head and the projections' distance from it.
#[derive(Debug, Clone, Copy)]
pub struct Lag {
    /// Highest position in the log (0 when empty).
    pub head: i64,
    /// Events committed but not yet applied.
    pub events: i64,
    /// Age of the oldest event not yet applied, in seconds (0 when caught up).
    pub seconds: f64,
}

/// The lag of projections that have applied up to `applied`.
pub async fn lag(client: &impl Db, applied: i64) -> Result<Lag, tokio_postgres::Error> {
    let row = client
        .query_one(
            "SELECT COALESCE((SELECT max(position) FROM events), 0), \
             COALESCE((SELECT EXTRACT(EPOCH FROM clock_timestamp() - recorded_at)::float8 \
                       FROM events WHERE position > $1 ORDER BY position LIMIT 1), 0)",
            &[&applied],
        )
        .await?;
    let head: i64 = row.try_get(0)?;
    Ok(Lag { head, events: (head - applied).max(0), seconds: row.try_get::<_, f64>(1)?.max(0.0) })
}
