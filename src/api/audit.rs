//! `GET /events`: the audit log, straight from the event log.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};

use super::event_type::EventType;
use super::extract::ApiQuery;
use crate::app::App;
use crate::auth::{Auth, Viewer};
use crate::error::ApiError;
use crate::event_store::read::{EventFilter, PageRange, read_filtered};
use crate::event_store::{Category, RecordedEvent};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditParams {
    /// One stream, e.g. `clone_session:6f1c…`.
    pub stream: Option<String>,
    /// A kind of stream (the part of a stream id before `:`).
    #[param(inline)]
    pub category: Option<Category>,
    /// e.g. `clone_session.failed`.
    #[param(value_type = Option<EventType>)]
    pub event_type: Option<String>,
    /// e.g. `operator:alice` or `node:target`.
    pub actor: Option<String>,
    /// Recorded at or after (RFC 3339).
    #[serde(default, with = "time::serde::rfc3339::option")]
    #[param(value_type = Option<String>, format = DateTime)]
    pub from: Option<OffsetDateTime>,
    /// Recorded before (RFC 3339).
    #[serde(default, with = "time::serde::rfc3339::option")]
    #[param(value_type = Option<String>, format = DateTime)]
    pub to: Option<OffsetDateTime>,
    /// Cursor: only events after this position (use the previous page's
    /// `next_after`). A position past the log's head is refused with 422.
    #[param(minimum = 0)]
    pub after: Option<i64>,
    /// Cursor for newest-first paging: only events before this position (use
    /// the previous page's `next_before`). Refused with 422 past the log's head.
    #[param(minimum = 1)]
    pub before: Option<i64>,
    /// `asc` (default, oldest first) or `desc` (newest first).
    #[param(inline)]
    pub order: Option<AuditOrder>,
    #[param(minimum = 1, maximum = 1000, default = 100)]
    pub limit: Option<i64>,
}

/// The order of an audit page.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum AuditOrder {
    /// Oldest first; page forward with `after`.
    #[default]
    Asc,
    /// Newest first; page back with `before`.
    Desc,
}

/// One event of the log, as the audit trail shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEntry {
    pub position: i64,
    #[schema(example = "clone_session:6f1c2f44-…")]
    pub stream: String,
    pub version: i64,
    #[schema(value_type = EventType, example = "clone_session.completed")]
    pub event_type: String,
    pub schema_version: i32,
    #[schema(value_type = Object)]
    pub payload: serde_json::Value,
    #[schema(required = true, example = "operator:alice")]
    pub actor: Option<String>,
    #[schema(required = true)]
    pub request_id: Option<String>,
    #[schema(required = true)]
    pub remote_addr: Option<String>,
    #[schema(required = true)]
    pub correlation_id: Option<String>,
    #[schema(required = true)]
    pub causation_id: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub recorded_at: OffsetDateTime,
}

impl From<RecordedEvent> for AuditEntry {
    fn from(mut e: RecordedEvent) -> Self {
        // Backend events written before credentials were sealed (schema 1)
        // may hold them in clear; the log keeps them, the audit never shows them.
        if e.schema_version < 2
            && e.category() == Some(Category::StorageBackend)
            && let Some(config) = e.payload.get_mut("config")
        {
            crate::domain::backend_config::strip_credentials(config);
        }
        Self {
            position: e.position,
            stream: e.stream,
            version: e.version,
            event_type: e.event_type,
            schema_version: e.schema_version,
            payload: e.payload,
            actor: e.actor,
            request_id: e.request_id,
            remote_addr: e.remote_addr,
            correlation_id: e.correlation_id,
            causation_id: e.causation_id,
            recorded_at: e.recorded_at,
        }
    }
}

/// A page of the audit log.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditPage {
    pub success: bool,
    pub data: Vec<AuditEntry>,
    /// Pass as `after` for the next page; `null` when this page was the
    /// last, and always for `order=desc`.
    #[schema(required = true)]
    pub next_after: Option<i64>,
    /// `order=desc` only: pass as `before` for the next (older) page; `null`
    /// when this page was the last.
    #[schema(required = true)]
    pub next_before: Option<i64>,
    /// Always null; present so every envelope has the same keys.
    #[schema(required = true)]
    pub message: Option<String>,
}

/// Query the audit log: filter by stream, category, type, actor and time;
/// page with the `after` cursor, or newest first (`order=desc`) with the
/// `before` cursor (both stable while events keep being appended; 422 when a
/// cursor is past the log's head).
#[utoipa::path(
    operation_id = "list_audit_events", get, path = "/events", tag = "audit",
    params(AuditParams), security(("bearer" = ["viewer"])),
    responses((status = 200, body = AuditPage))
)]
pub async fn events(
    State(app): State<Arc<App>>,
    _auth: Auth<Viewer>,
    ApiQuery(params): ApiQuery<AuditParams>,
) -> Result<Json<AuditPage>, ApiError> {
    let limit = params.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::invalid("limit", "must be between 1 and 1000"));
    }
    let after = super::cursor::not_negative("after", params.after.unwrap_or(0))?;
    let before = params.before.map(|before| super::cursor::not_negative("before", before)).transpose()?;
    let newest_first = params.order.unwrap_or_default() == AuditOrder::Desc;
    let filter = EventFilter {
        stream: params.stream,
        category: params.category.map(|category| category.as_str().to_owned()),
        event_type: params.event_type,
        actor: params.actor,
        from: params.from,
        to: params.to,
    };
    let conn = app.pool.get().await?;
    let events = read_filtered(&*conn, &filter, PageRange { after, before, newest_first }, limit).await?;
    // An event after the cursor proves it within the log; only an empty
    // page needs the head. (`before` is checked always: events below it
    // prove nothing about it.)
    if events.is_empty() {
        super::cursor::within_log(&*conn, "after", after).await?;
    }
    if let Some(before) = before {
        super::cursor::within_log(&*conn, "before", before).await?;
    }
    let last = (events.len() as i64 == limit).then(|| events.last().map(|e| e.position)).flatten();
    let (next_after, next_before) = if newest_first { (None, last) } else { (last, None) };
    Ok(Json(AuditPage {
        success: true,
        data: events.into_iter().map(AuditEntry::from).collect(),
        next_after,
        next_before,
        message: None,
    }))
}

#[cfg(test)]
mod tests {
    use crate::event_store::Category;

    /// Every category the log holds can be asked for, under its own name.
    #[test]
    fn every_stream_category_is_a_filter_value() {
        for category in Category::ALL {
            let parsed: Category = serde_json::from_value(serde_json::json!(category.as_str())).expect("known name");
            assert_eq!(parsed, category);
        }
    }
}
