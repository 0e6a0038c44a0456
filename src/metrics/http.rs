//! Counts and times every HTTP request by its matched route template (so
//! `/clone-sessions/{id}` is one series, not one per session) and status.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;

use super::{RequestLabels, RouteLabels};
use crate::app::App;

/// Requests that matched no route (the web UI's files, unknown paths).
const UNMATCHED: &str = "unmatched";

pub async fn track(State(app): State<Arc<App>>, request: Request, next: Next) -> Response {
    let method = request.method().as_str().to_owned();
    let route = request.extensions().get::<MatchedPath>().map_or(UNMATCHED, MatchedPath::as_str).to_owned();
    let started = Instant::now();
    let response = next.run(request).await;
    let metrics = &app.metrics;
    let labels = RouteLabels { method, route };
    metrics.request_seconds.get_or_create(&labels).observe(started.elapsed().as_secs_f64());
    let RouteLabels { method, route } = labels;
    metrics.requests.get_or_create(&RequestLabels { method, route, status: response.status().as_u16() }).inc();
    response
}
