//! Set-based folds of clone-session events: a batch of thousands of events
//! becomes a handful of statements instead of one per event.
//!
//! A projection turns each event into [`Change`]s: a statement that reads its
//! rows from one JSON array (`jsonb_to_recordset($1)`), plus one row. Changes
//! of the same statement are sent together — but only when that cannot
//! reorder the effects on one session. So each session's changes are kept in
//! order, and the batch is cut into *levels*: level k holds the k-th change of
//! every session. Within a level no session appears twice, so its statements
//! may run in any order; the levels run one after another. A create batch
//! (created, two certificates per session) is three levels, whatever its size.
//!
//! Progress reports are most of the log under load, and each one overwrites
//! the previous: a session's consecutive reports are merged into one change.

use std::collections::HashMap;

use deadpool_postgres::Transaction;
use serde_json::Value;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use uuid::Uuid;

use crate::db::Db;
use crate::domain::clone_session::{CloneSessionEvent, ProgressReported};
use crate::event_store::{Category, RecordedEvent};
use crate::projections::ProjectionError;

/// One row for one set-based statement; `sql` reads `$1::jsonb` as a row set.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    pub sql: &'static str,
    pub row: Value,
}

/// The combined effect of one session's consecutive progress reports.
#[derive(Debug, Clone, PartialEq)]
pub struct MergedProgress {
    pub bytes: i64,
    /// The last reported rate/phase (a report without one keeps the earlier).
    pub rate: Option<i64>,
    pub status: Option<String>,
    /// The last reported bytes on the wire (a report without it keeps the earlier).
    pub wire: Option<i64>,
    /// The last report's own byte count (during verification: bytes verified).
    pub reported: i64,
    pub at: OffsetDateTime,
    pub position: i64,
}

impl MergedProgress {
    /// One report, recorded at `at` (its log time) and `position`.
    pub fn of(report: &ProgressReported, at: OffsetDateTime, position: i64) -> Self {
        let (rate, status, bytes) = (report.transfer_rate_bps, phase(report), report.bytes_transferred);
        let (wire, reported) = (report.bytes_on_wire, report.reported_bytes);
        MergedProgress { bytes, rate, status, wire, reported, at, position }
    }

    fn merge(&mut self, report: &ProgressReported, at: OffsetDateTime, position: i64) {
        self.bytes = report.bytes_transferred;
        self.rate = report.transfer_rate_bps.or(self.rate);
        self.status = phase(report).or(self.status.take());
        self.wire = report.bytes_on_wire.or(self.wire);
        self.reported = report.reported_bytes;
        self.at = at;
        self.position = position;
    }
}

fn phase(report: &ProgressReported) -> Option<String> {
    report.status.and_then(|s| serde_json::to_value(s).ok()).and_then(|v| v.as_str().map(str::to_owned))
}

/// How one clone-session projection expresses its effects as changes.
pub trait SessionFold: Sync {
    /// The changes of one event other than a progress report, in order.
    fn changes(&self, event: &RecordedEvent, session: Uuid, decoded: &CloneSessionEvent) -> Vec<Change>;
    /// The change of a session's merged progress reports, if it records them.
    fn progress(&self, session: Uuid, merged: &MergedProgress) -> Option<Change>;
}

/// Applies the clone-session events of `events` (in position order) through `fold`.
pub async fn apply(
    tx: &Transaction<'_>,
    events: &[RecordedEvent],
    fold: &dyn SessionFold,
) -> Result<(), ProjectionError> {
    for level in levels(events, fold)? {
        for (sql, rows) in level {
            tx.execute(sql, &[&Value::Array(rows)]).await?;
        }
    }
    Ok(())
}

/// Each level's rows grouped by statement (statements in first-seen order).
type Level = Vec<(&'static str, Vec<Value>)>;

fn levels(events: &[RecordedEvent], fold: &dyn SessionFold) -> Result<Vec<Level>, ProjectionError> {
    let mut sessions: Vec<SessionChanges> = Vec::new();
    let mut index: HashMap<Uuid, usize> = HashMap::new();
    for decoded in super::events_of::<CloneSessionEvent>(events, Category::CloneSession) {
        let (event, id, decoded) = decoded?;
        let slot = *index.entry(id).or_insert_with(|| {
            sessions.push(SessionChanges { id, changes: Vec::new(), progress: None });
            sessions.len() - 1
        });
        sessions[slot].push(event, decoded, fold);
    }
    let mut levels: Vec<Level> = Vec::new();
    for mut session in sessions {
        session.flush_progress(fold);
        for (depth, change) in session.changes.into_iter().enumerate() {
            if levels.len() <= depth {
                levels.push(Vec::new());
            }
            let level = &mut levels[depth];
            match level.iter_mut().find(|(sql, _)| *sql == change.sql) {
                Some((_, rows)) => rows.push(change.row),
                None => level.push((change.sql, vec![change.row])),
            }
        }
    }
    Ok(levels)
}

/// One session's changes in this batch, with its not yet emitted progress.
struct SessionChanges {
    id: Uuid,
    changes: Vec<Change>,
    progress: Option<MergedProgress>,
}

impl SessionChanges {
    fn push(&mut self, event: &RecordedEvent, decoded: CloneSessionEvent, fold: &dyn SessionFold) {
        if let CloneSessionEvent::ProgressReported(report) = &decoded {
            let (at, position) = (event.recorded_at, event.position);
            match &mut self.progress {
                Some(merged) => merged.merge(report, at, position),
                None => self.progress = Some(MergedProgress::of(report, at, position)),
            }
            return;
        }
        self.flush_progress(fold);
        self.changes.extend(fold.changes(event, self.id, &decoded));
    }

    fn flush_progress(&mut self, fold: &dyn SessionFold) {
        if let Some(merged) = self.progress.take() {
            self.changes.extend(fold.progress(self.id, &merged));
        }
    }
}

/// A timestamp as `jsonb_to_recordset` reads it into `timestamptz`.
pub fn ts(at: &OffsetDateTime) -> Value {
    at.format(&Rfc3339).map(Value::String).unwrap_or(Value::Null)
}

/// The snake_case wire name of a serde enum value.
pub fn text<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_value(value).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
}

#[cfg(test)]
#[path = "sessions_tests.rs"]
mod tests;
