//! What operators scrape: `GET /metrics`, in the OpenMetrics text format that
//! Prometheus reads (`prometheus-client`, the Prometheus project's own crate:
//! a registry per `App`, no global recorder, so several instances in one
//! process — the tests — keep their counters apart).
//!
//! Counters and histograms are recorded where things happen (HTTP requests,
//! the group-commit writer, the WebSocket fan-out); the rest is read when
//! scraped: the projections' lag, the pool, and totals the read models hold
//! (sessions by status, bytes cloned, certificates issued and revoked), which
//! every instance reports alike because they come from the one log.

pub mod http;
mod scrape;

use std::sync::atomic::AtomicU64;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

pub use scrape::{CONTENT_TYPE, render, serve_open};

/// `method`, matched route template (e.g. `/api/v1/clone-sessions/{id}`) and status of an answered request.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    pub method: String,
    pub route: String,
    pub status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteLabels {
    pub method: String,
    pub route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct StatusLabels {
    pub status: String,
}

type Seconds = Gauge<f64, AtomicU64>;

fn latency() -> Histogram {
    // 1 ms … ~16 s
    Histogram::new(exponential_buckets(0.001, 2.0, 15))
}

/// The instance's metrics; one per `App`.
pub struct Metrics {
    registry: Registry,
    pub requests: Family<RequestLabels, Counter>,
    pub request_seconds: Family<RouteLabels, Histogram, fn() -> Histogram>,
    pub append: AppendMetrics,
    /// Clients told to resync (they fell behind the fan-out queue).
    pub ws_resyncs: Counter,
    /// Clients dropped because a send missed its deadline (they stopped reading).
    pub ws_dropped: Counter,
    gauges: Gauges,
}

/// Recorded by the group-commit writer.
#[derive(Clone)]
pub struct AppendMetrics {
    /// Commands whose events were committed.
    pub commands: Counter,
    /// Commands per commit.
    pub batch_size: Histogram,
}

/// Read at scrape time.
#[derive(Default)]
struct Gauges {
    ws_clients: Gauge,
    leader: Gauge,
    log_head: Gauge,
    lag_events: Gauge,
    lag_seconds: Seconds,
    pool_size: Gauge,
    pool_in_use: Gauge,
    pool_waiting: Gauge,
    sessions: Family<StatusLabels, Gauge>,
    bytes_cloned: Gauge,
    certificates_issued: Gauge,
    certificates_revoked: Gauge,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("pureboot");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register("http_requests", "HTTP requests answered, by matched route and status", requests.clone());
        let request_seconds = Family::<RouteLabels, Histogram, fn() -> Histogram>::new_with_constructor(latency);
        registry.register("http_request_duration_seconds", "HTTP request latency", request_seconds.clone());
        let append = AppendMetrics {
            commands: Counter::default(),
            batch_size: Histogram::new(exponential_buckets(1.0, 2.0, 10)),
        };
        registry.register(
            "commands_appended",
            "Commands whose events this instance committed",
            append.commands.clone(),
        );
        registry.register("commit_batch_size", "Commands per group commit", append.batch_size.clone());
        let (ws_resyncs, ws_dropped) = (Counter::default(), Counter::default());
        registry.register("ws_resyncs", "WebSocket clients told to resync after falling behind", ws_resyncs.clone());
        registry.register("ws_dropped", "WebSocket clients dropped for not reading", ws_dropped.clone());
        let gauges = Gauges::default();
        gauges.register(&mut registry);
        Self { registry, requests, request_seconds, append, ws_resyncs, ws_dropped, gauges }
    }
}

impl Gauges {
    fn register(&self, registry: &mut Registry) {
        let gauges = [
            ("ws_clients", "WebSocket clients connected to this instance", &self.ws_clients),
            ("projection_leader", "1 while this instance applies the projections", &self.leader),
            ("log_head_position", "Highest position in the event log", &self.log_head),
            ("projection_lag_events", "Events not yet applied to the projections", &self.lag_events),
            ("db_pool_connections", "Connections in this instance's pool", &self.pool_size),
            ("db_pool_in_use", "Pooled connections in use", &self.pool_in_use),
            ("db_pool_waiting", "Requests waiting for a pooled connection", &self.pool_waiting),
            ("bytes_cloned", "Bytes transferred by every clone session, from the log", &self.bytes_cloned),
            ("certificates_issued", "Session certificates issued, from the log", &self.certificates_issued),
            (
                "certificates_revoked",
                "Unexpired session certificates on the revocation list",
                &self.certificates_revoked,
            ),
        ];
        for (name, help, gauge) in gauges {
            registry.register(name, help, gauge.clone());
        }
        let lag_help = "Age of the oldest event not yet applied (0 when caught up)";
        registry.register("projection_lag_seconds", lag_help, self.lag_seconds.clone());
        registry.register("clone_sessions", "Clone sessions by status", self.sessions.clone());
    }
}

impl AppendMetrics {
    /// One commit of `batch` requests, `appended` of which wrote events.
    pub fn committed(&self, batch: usize, appended: usize) {
        self.batch_size.observe(batch as f64);
        self.commands.inc_by(appended as u64);
    }
}
