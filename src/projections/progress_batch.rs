//! Progress reports are most of the log under load, and each one only
//! overwrites the previous: within a batch, a session's reports can be folded
//! into one and applied to all sessions with a single `UPDATE … FROM unnest`.
//! A session's other events flush its pending progress first, so the order
//! of effects per session is unchanged.

use std::collections::HashMap;

use time::OffsetDateTime;
use uuid::Uuid;

use crate::domain::clone_session::ProgressReported;

/// The combined effect of one session's consecutive progress reports.
#[derive(Debug, Clone)]
pub struct MergedProgress {
    pub bytes: i64,
    /// The last reported rate/phase (a report without one keeps the earlier).
    pub rate: Option<i64>,
    pub status: Option<String>,
    pub at: OffsetDateTime,
    pub position: i64,
}

/// Column arrays for the `unnest` update.
#[derive(Default)]
pub struct ProgressColumns {
    pub ids: Vec<Uuid>,
    pub bytes: Vec<i64>,
    pub rates: Vec<Option<i64>>,
    pub statuses: Vec<Option<String>>,
    pub ats: Vec<OffsetDateTime>,
    pub positions: Vec<i64>,
}

#[derive(Default)]
pub struct ProgressBatch {
    pending: HashMap<Uuid, MergedProgress>,
}

impl ProgressBatch {
    pub fn add(&mut self, id: Uuid, report: &ProgressReported, at: OffsetDateTime, position: i64) {
        let status =
            report.status.and_then(|s| serde_json::to_value(s).ok()).and_then(|v| v.as_str().map(str::to_owned));
        let merged = self.pending.entry(id).or_insert(MergedProgress {
            bytes: report.bytes_transferred,
            rate: None,
            status: None,
            at,
            position,
        });
        merged.bytes = report.bytes_transferred;
        merged.rate = report.transfer_rate_bps.or(merged.rate);
        merged.status = status.or(merged.status.take());
        merged.at = at;
        merged.position = position;
    }

    /// Takes the pending progress of `id` (before applying another of its events).
    pub fn take(&mut self, id: Uuid) -> ProgressColumns {
        let mut columns = ProgressColumns::default();
        if let Some(merged) = self.pending.remove(&id) {
            columns.push(id, merged);
        }
        columns
    }

    /// Takes everything pending.
    pub fn drain(&mut self) -> ProgressColumns {
        let mut columns = ProgressColumns::default();
        for (id, merged) in self.pending.drain() {
            columns.push(id, merged);
        }
        columns
    }
}

impl ProgressColumns {
    fn push(&mut self, id: Uuid, merged: MergedProgress) {
        self.ids.push(id);
        self.bytes.push(merged.bytes);
        self.rates.push(merged.rate);
        self.statuses.push(merged.status);
        self.ats.push(merged.at);
        self.positions.push(merged.position);
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// Runs `sql`, whose `$1..$6` are the columns (id, bytes, rate, status, at, position).
    pub async fn execute(&self, tx: &tokio_postgres::Transaction<'_>, sql: &str) -> Result<(), tokio_postgres::Error> {
        if !self.is_empty() {
            tx.execute(sql, &[&self.ids, &self.bytes, &self.rates, &self.statuses, &self.ats, &self.positions]).await?;
        }
        Ok(())
    }
}

/// How a clone-session projection applies one event other than progress.
pub type ApplyOne = for<'b> fn(
    &'b tokio_postgres::Transaction<'b>,
    &'b crate::event_store::RecordedEvent,
    crate::domain::clone_session::CloneSessionEvent,
) -> futures::future::BoxFuture<'b, Result<(), super::ProjectionError>>;

/// Folds a batch into a clone-session projection: progress reports through
/// `progress_sql` (folded, see above), every other event through `apply`.
pub async fn fold_session_events(
    tx: &tokio_postgres::Transaction<'_>,
    events: &[crate::event_store::RecordedEvent],
    progress_sql: &str,
    apply: ApplyOne,
) -> Result<(), super::ProjectionError> {
    use crate::domain::clone_session::CloneSessionEvent as E;
    let mut progress = ProgressBatch::default();
    for event in events.iter().filter(|e| e.stream.starts_with("clone_session:")) {
        let decoded: E = event.decode().map_err(|e| super::ProjectionError::decode(event, e))?;
        let id: Uuid = event.stream_id().parse().unwrap_or_default();
        if let E::ProgressReported(report) = &decoded {
            progress.add(id, report, event.recorded_at, event.position);
            continue;
        }
        progress.take(id).execute(tx, progress_sql).await?;
        apply(tx, event, decoded).await?;
    }
    progress.drain().execute(tx, progress_sql).await?;
    Ok(())
}
