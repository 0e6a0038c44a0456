//! `GET /metrics`: parsed by the Prometheus project's own OpenMetrics parser
//! (Python `prometheus_client`, in `target/venv`, installed by scripts/test),
//! free on its own listener, behind a token on the main one, and its
//! counters move as the controller works.

use std::io::Write;
use std::process::{Command, Stdio};

use futures::StreamExt;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::cluster_harness::Cluster;
use crate::support::ADMIN_TOKEN;

const PARSE: &str = "import sys, json
from prometheus_client.openmetrics.parser import text_string_to_metric_families
samples = []
for family in text_string_to_metric_families(sys.stdin.read()):
    samples += [[s.name, s.labels, s.value] for s in family.samples]
print(json.dumps(samples))";

/// The samples of an exposition as `[name, labels, value]`, or the parser's complaint.
pub fn parse(text: &str) -> Vec<(String, Value, f64)> {
    let python = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/venv/bin/python3");
    let mut child = Command::new(&python)
        .args(["-c", PARSE])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| {
            let (python, install) =
                (python.display(), "python3 -m venv target/venv && target/venv/bin/pip install prometheus-client");
            panic!("{python}: {e}; run scripts/test, or: {install}")
        });
    child.stdin.take().expect("stdin").write_all(text.as_bytes()).expect("exposition to the parser");
    let output = child.wait_with_output().expect("parser");
    assert!(output.status.success(), "not valid OpenMetrics: {}\n{text}", String::from_utf8_lossy(&output.stderr));
    let samples: Vec<(String, Value, f64)> = serde_json::from_slice(&output.stdout).expect("parser output");
    samples
}

/// The value of sample `name` whose labels include `labels` (0 when absent).
pub fn value(samples: &[(String, Value, f64)], name: &str, labels: &Value) -> f64 {
    samples
        .iter()
        .filter(|(n, l, _)| n == name && labels.as_object().is_none_or(|want| want.iter().all(|(k, v)| &l[k] == v)))
        .map(|(_, _, v)| v)
        .sum()
}

async fn scrape(cluster: &Cluster) -> Vec<(String, Value, f64)> {
    let url = format!("http://127.0.0.1:{}/metrics", cluster.instances[0].metrics_port);
    let response = cluster.http.get(url).send().await.expect("scrape");
    assert_eq!(response.status(), StatusCode::OK);
    let kind = response.headers()["content-type"].to_str().expect("type").to_owned();
    assert!(kind.starts_with("application/openmetrics-text"), "{kind}");
    parse(&response.text().await.expect("text"))
}

#[tokio::test(flavor = "multi_thread")]
async fn metrics_parse_need_a_token_only_on_the_main_listener_and_move_with_the_work() {
    // Given a controller with a metrics listener
    let cluster = Cluster::start(1).await;
    let before = scrape(&cluster).await;
    let main = format!("http://127.0.0.1:{}/metrics", cluster.instances[0].port);
    assert_eq!(cluster.http.get(&main).send().await.expect("GET").status(), StatusCode::UNAUTHORIZED);
    let with_token = cluster.http.get(&main).bearer_auth(ADMIN_TOKEN).send().await.expect("GET");
    assert_eq!(with_token.status(), StatusCode::OK);

    // When it works: a session, five progress reports, a WebSocket client
    let url = format!("ws://127.0.0.1:{}/api/v1/ws?token={ADMIN_TOKEN}", cluster.instances[0].port);
    let (mut ws, _) = tokio_tungstenite::connect_async(url).await.expect("WebSocket");
    let session = cluster.transferring_session(0).await;
    for bytes in 1..=5 {
        assert_eq!(cluster.progress(0, &session.id, &session.target, bytes * 1000).await, Some(StatusCode::OK));
    }
    let (status, seen) = cluster.get(0, &format!("/clone-sessions/{}", session.id)).await;
    assert_eq!(status, StatusCode::OK);
    let _ = tokio::time::timeout(std::time::Duration::from_secs(5), ws.next()).await;

    // Then the counters moved by what was done
    let after = scrape(&cluster).await;
    let progress = json!({"route": "/api/v1/clone-sessions/{id}/progress", "status": "200", "method": "POST"});
    let moved = |name: &str, labels: &Value| value(&after, name, labels) - value(&before, name, labels);
    assert_eq!(moved("pureboot_http_requests_total", &progress), 5.0);
    let route = json!({"route": "/api/v1/clone-sessions/{id}/progress", "method": "POST"});
    assert_eq!(moved("pureboot_http_request_duration_seconds_count", &route), 5.0);
    assert_eq!(value(&after, "pureboot_http_requests_total", &json!({"route": "/api/v1/clone-sessions/{id}"})), 1.0);
    // two nodes, the session, source-ready, five reports
    assert!(moved("pureboot_commands_appended_total", &Value::Null) >= 9.0, "{after:?}");
    assert!(moved("pureboot_commit_batch_size_count", &Value::Null) >= 1.0);
    assert_eq!(value(&after, "pureboot_ws_clients", &Value::Null), 1.0);
    let status = seen["data"]["status"].clone();
    assert_eq!(value(&after, "pureboot_clone_sessions", &json!({ "status": status })), 1.0, "{status}");
    assert_eq!(value(&after, "pureboot_bytes_cloned", &Value::Null), 5000.0);
    assert_eq!(value(&after, "pureboot_certificates_issued", &Value::Null), 2.0);
    assert_eq!(value(&after, "pureboot_certificates_revoked", &Value::Null), 0.0);
    assert_eq!(value(&after, "pureboot_projection_leader", &Value::Null), 1.0);
    assert!(value(&after, "pureboot_log_head_position", &Value::Null) >= 9.0);
    assert!(value(&after, "pureboot_db_pool_connections", &Value::Null) >= 1.0);
    for name in [
        "pureboot_projection_lag_events",
        "pureboot_projection_lag_seconds",
        "pureboot_db_pool_in_use",
        "pureboot_db_pool_waiting",
        "pureboot_ws_resyncs_total",
    ] {
        assert!(after.iter().any(|(n, _, _)| n == name), "{name} is reported");
    }

    // and when the session is cancelled, its two certificates count as revoked
    let path = format!("/clone-sessions/{}", session.id);
    let (status, body) = cluster.call(0, reqwest::Method::DELETE, &path, ADMIN_TOKEN, Value::Null).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, seen) = cluster.get(0, &path).await; // read-your-writes: the projections include it
    assert_eq!(seen["data"]["status"], "cancelled", "{seen}");
    let ended = scrape(&cluster).await;
    assert_eq!(value(&ended, "pureboot_certificates_revoked", &Value::Null), 2.0);
    assert_eq!(value(&ended, "pureboot_clone_sessions", &json!({ "status": "cancelled" })), 1.0);
}
