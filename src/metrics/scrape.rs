//! Rendering the metrics: refresh what is read at scrape time, then encode.

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tokio::net::TcpListener;

use super::{Metrics, StatusLabels};
use crate::app::App;
use crate::error::ApiError;
use crate::projections::{certificates, lag};

/// The media type of the exposition (OpenMetrics 1.0 text; Prometheus scrapes it natively).
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// The metrics of `app`, read now, as an HTTP response.
pub async fn render(app: &App) -> Result<Response, ApiError> {
    refresh(app).await?;
    let mut text = String::new();
    prometheus_client::encoding::text::encode(&mut text, &app.metrics.registry)
        .map_err(|e| ApiError::Internal(format!("encoding the metrics: {e}")))?;
    Ok(([(header::CONTENT_TYPE, CONTENT_TYPE)], text).into_response())
}

/// Sets the gauges read at scrape time.
async fn refresh(app: &App) -> Result<(), ApiError> {
    let Metrics { gauges, .. } = &app.metrics;
    gauges.ws_clients.set(app.hub.clients() as i64);
    gauges.leader.set(i64::from(app.progress.leader()));
    let pool = app.pool.status();
    gauges.pool_size.set(pool.size as i64);
    gauges.pool_in_use.set(pool.size.saturating_sub(pool.available) as i64);
    gauges.pool_waiting.set(pool.waiting as i64);
    let conn = app.pool.get().await?;
    let lag = lag(&*conn, app.progress.position()).await?;
    gauges.log_head.set(lag.head);
    gauges.lag_events.set(lag.events);
    gauges.lag_seconds.set(lag.seconds);
    let totals = conn
        .query_one(
            "SELECT (SELECT COALESCE(sum(bytes_cloned), 0)::bigint FROM clone_reports), \
                    (SELECT count(*) FROM events WHERE event_type = 'clone_session.certificate_issued')",
            &[],
        )
        .await?;
    gauges.bytes_cloned.set(totals.try_get(0)?);
    gauges.certificates_issued.set(totals.try_get(1)?);
    gauges.certificates_revoked.set(certificates::revoked(&*conn).await?.len() as i64);
    gauges.sessions.clear();
    for row in conn.query("SELECT status, count(*) FROM clone_sessions GROUP BY status", &[]).await? {
        gauges.sessions.get_or_create(&StatusLabels { status: row.try_get(0)? }).set(row.try_get(1)?);
    }
    Ok(())
}

/// Serves `GET /metrics` without a token on `listener` (an address only the
/// Prometheus server reaches, `PUREBOOT_METRICS_LISTEN`) until shutdown.
pub async fn serve_open(app: Arc<App>, listener: TcpListener) -> std::io::Result<()> {
    let shutdown = app.shutdown.clone();
    let router = Router::new().route("/metrics", get(open)).with_state(app);
    axum::serve(listener, router).with_graceful_shutdown(async move { shutdown.cancelled().await }).await
}

async fn open(State(app): State<Arc<App>>) -> Result<Response, ApiError> {
    render(&app).await
}
