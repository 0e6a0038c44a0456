//! The audit trail and reports: filters, stable paging, report figures
//! checked against values computed here, the read-only reporting role.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::TestApp;
use pureboot::auth::{OperatorRole, operator_tokens};

async fn events(app: &TestApp, query: &str) -> Vec<Value> {
    let (status, body) = app.get(&format!("/events?limit=1000&{query}")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["data"].as_array().expect("data").clone()
}

/// A session driven to `outcome` by its node tokens; returns its id.
async fn session(app: &TestApp, operator: &str, size: i64, rate: i64, outcome: &str) -> String {
    let source = app.node("src").await;
    let target = app.node("dst").await;
    let body = json!({"clone_mode": "direct", "source_node_id": source, "target_node_id": target});
    let (status, created) = app.call(Method::POST, "/clone-sessions", Some(operator), Some(body)).await;
    assert_eq!(status, StatusCode::OK, "{created}");
    let id = created["data"]["id"].as_str().expect("id").to_owned();
    let tokens = &created["data"]["node_tokens"];
    let (source, target) = (tokens["source"].as_str().expect("s"), tokens["target"].as_str().expect("t"));
    if outcome == "pending" {
        return id;
    }
    let ready = json!({"ip": "10.0.0.5", "port": 9999, "size_bytes": size, "device": "/dev/sda"});
    app.call(Method::POST, &format!("/clone-sessions/{id}/source-ready"), Some(source), Some(ready)).await;
    let progress = json!({"role": "target", "bytes_transferred": size / 2, "transfer_rate_bps": rate});
    app.call(Method::POST, &format!("/clone-sessions/{id}/progress"), Some(target), Some(progress)).await;
    let path = match outcome {
        "completed" => format!("/clone-sessions/{id}/complete"),
        "cancelled" => {
            app.call(Method::DELETE, &format!("/clone-sessions/{id}"), Some(operator), None).await;
            return id;
        }
        reason => format!("/clone-sessions/{id}/failed?error={}", reason.replace(' ', "%20")),
    };
    let (status, body) = app.call(Method::POST, &path, Some(target), None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    id
}

#[tokio::test(flavor = "multi_thread")]
async fn the_audit_log_filters_by_stream_type_actor_and_time() {
    let app = TestApp::spawn().await;
    let alice = operator_tokens::create(&app.db.pool(), "alice", OperatorRole::Operator).await.expect("token");
    let done = session(&app, &alice, 1000, 10, "completed").await;
    let failed = session(&app, &alice, 1000, 10, "disk vanished").await;
    let between = time::OffsetDateTime::now_utc();
    let late = session(&app, &alice, 1000, 10, "completed").await;

    let stream = events(&app, &format!("stream=clone_session:{done}")).await;
    let types: Vec<&str> = stream.iter().map(|e| e["event_type"].as_str().expect("type")).collect();
    assert_eq!(types.first(), Some(&"clone_session.created"));
    assert_eq!(types.last(), Some(&"clone_session.completed"));
    assert!(stream.windows(2).all(|w| w[0]["version"].as_i64() < w[1]["version"].as_i64()));
    assert!(stream.iter().all(|e| e["request_id"].is_string() && e["remote_addr"] == "127.0.0.1"));

    let failures = events(&app, "event_type=clone_session.failed").await;
    assert_eq!(failures.len(), 1);
    assert_eq!(failures[0]["stream"], format!("clone_session:{failed}"));
    assert_eq!(failures[0]["actor"], "node:target");

    let by_alice = events(&app, "actor=operator:alice").await;
    // Alice's sessions, and the claims on their target nodes (one claim and
    // one release each; the creation-safety rule).
    let stream_of = |e: &Value| e["stream"].as_str().expect("stream").to_owned();
    assert!(
        by_alice
            .iter()
            .map(stream_of)
            .all(|s| s.starts_with("clone_session:") || s.starts_with("unique:clone_target/"))
    );
    assert_eq!(by_alice.iter().filter(|e| e["event_type"] == "unique.claimed").count(), 3);
    assert_eq!(by_alice.iter().filter(|e| e["event_type"] == "clone_session.created").count(), 3);
    let nodes = events(&app, "category=node").await;
    assert_eq!(nodes.len(), 6, "six nodes registered");
    assert!(nodes.iter().all(|e| e["actor"] == "operator:bootstrap-admin"));

    let from = between.format(&time::format_description::well_known::Rfc3339).expect("time");
    let recent = events(&app, &format!("category=clone_session&from={}", from.replace('+', "%2B"))).await;
    let streams: BTreeSet<&str> = recent.iter().map(|e| e["stream"].as_str().expect("stream")).collect();
    assert_eq!(streams, BTreeSet::from([format!("clone_session:{late}").as_str()]));

    let everything = serde_json::to_string(&events(&app, "").await).expect("json");
    assert!(!everything.contains("PRIVATE KEY") && !everything.contains(&alice));
    let (status, body) = app.get("/events?limit=0").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
}

/// Given a writer appending all the time, when a reader pages through the
/// audit log with the `after` cursor, then it sees every event up to where
/// it started exactly once, in order.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn paging_by_cursor_is_stable_while_events_keep_arriving() {
    let app = Arc::new(TestApp::spawn().await);
    let id = session(&app, crate::support::ADMIN_TOKEN, 1_000_000, 5, "cloning").await;
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (app, stop, id) = (app.clone(), stop.clone(), id.clone());
        tokio::spawn(async move {
            let mut n = 0;
            while !stop.load(Ordering::SeqCst) {
                n += 1;
                app.progress(&id, n).await;
            }
        })
    };
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let head = events(&app, "").await.last().expect("events")["position"].as_i64().expect("position");
    let mut seen = Vec::new();
    let mut after = 0;
    while after < head {
        let (_, page) = app.get(&format!("/events?limit=7&after={after}")).await;
        let data = page["data"].as_array().expect("data");
        seen.extend(data.iter().map(|e| e["position"].as_i64().expect("position")));
        after = page["next_after"].as_i64().unwrap_or(i64::MAX);
    }
    stop.store(true, Ordering::SeqCst);
    writer.await.expect("writer");

    assert!(seen.windows(2).all(|w| w[0] < w[1]), "in order, no duplicate");
    let client = app.db.client().await;
    let expected: Vec<i64> = client
        .query("SELECT position FROM events WHERE position <= $1 ORDER BY position", &[&head])
        .await
        .expect("positions")
        .iter()
        .map(|r| r.get(0))
        .collect();
    let seen: Vec<i64> = seen.into_iter().filter(|p| *p <= head).collect();
    assert_eq!(seen, expected);
}

/// Linear-interpolated percentile, as PostgreSQL's percentile_cont.
fn percentile(mut values: Vec<f64>, p: f64) -> f64 {
    values.sort_by(f64::total_cmp);
    let rank = p * (values.len() - 1) as f64;
    let (low, high) = (rank.floor() as usize, rank.ceil() as usize);
    values[low] + (values[high] - values[low]) * (rank - low as f64)
}

#[tokio::test(flavor = "multi_thread")]
async fn the_report_matches_figures_computed_from_the_sessions() {
    let app = TestApp::spawn().await;
    let admin = crate::support::ADMIN_TOKEN;
    let completed = [(4_000_i64, 100_i64), (6_000, 300), (10_000, 200)];
    let mut ids = Vec::new();
    for (size, rate) in completed {
        ids.push(session(&app, admin, size, rate, "completed").await);
    }
    for reason in ["disk read error", "network unreachable", "disk read error"] {
        session(&app, admin, 1_000, 1, reason).await;
    }
    let cancelled = session(&app, admin, 1_000, 1, "cancelled").await;
    session(&app, admin, 1_000, 1, "pending").await;
    app.delete(&format!("/clone-sessions/{cancelled}")).await;

    // Independently: each completed session's rate is bytes / duration, or
    // the last reported rate when the copy took under a second.
    let mut rates = Vec::new();
    let mut durations = Vec::new();
    for (id, (size, rate)) in ids.iter().zip(completed) {
        let (_, view) = app.get(&format!("/clone-sessions/{id}")).await;
        let duration = view["data"]["duration_seconds"].as_i64().expect("duration");
        durations.push(duration as f64);
        rates.push(if duration > 0 { size as f64 / duration as f64 } else { rate as f64 });
    }

    let (status, report) = app.get("/reports/clones?group_by=status").await;
    assert_eq!(status, StatusCode::OK, "{report}");
    let group = |name: &str| report["groups"].as_array().expect("groups").iter().find(|g| g["group"] == name).cloned();
    let done = group("completed").expect("completed group");
    assert_eq!(done["completed"], 3);
    assert_eq!(done["bytes_cloned"], 20_000);
    let close = |value: &Value, expected: f64| (value.as_f64().expect("number") - expected).abs() < 1e-6;
    assert!(close(&done["avg_transfer_rate_bps"], rates.iter().sum::<f64>() / 3.0), "{done}");
    assert!(close(&done["p95_transfer_rate_bps"], percentile(rates.clone(), 0.95)), "{done}");
    assert!(close(&done["median_duration_seconds"], percentile(durations.clone(), 0.5)), "{done}");
    assert_eq!(group("failed").expect("failed")["failed"], 3);
    assert_eq!(group("cancelled").expect("cancelled, though deleted")["cancelled"], 1);
    assert_eq!(group("pending").expect("pending")["started"], 0);
    assert_eq!(
        report["failure_reasons"],
        json!([{"reason": "disk read error", "count": 2}, {"reason": "network unreachable", "count": 1}])
    );

    let (_, by_mode) = app.get("/reports/clones?group_by=mode").await;
    assert_eq!(
        by_mode["groups"],
        json!([{
        "group": "direct", "created": 8, "started": 7, "completed": 3, "failed": 3, "cancelled": 1,
        "bytes_cloned": 20000, "avg_transfer_rate_bps": done["avg_transfer_rate_bps"],
        "p95_transfer_rate_bps": done["p95_transfer_rate_bps"],
        "median_duration_seconds": done["median_duration_seconds"],
        "p95_duration_seconds": done["p95_duration_seconds"]}])
    );

    let csv = app.http.get(app.url("/reports/clones.csv?group_by=mode")).bearer_auth(admin).send().await.expect("csv");
    assert!(csv.headers()["content-type"].to_str().expect("type").starts_with("text/csv"));
    let text = csv.text().await.expect("text");
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with("group,created,started,completed,failed,cancelled,bytes_cloned"));
    assert!(lines[1].starts_with("direct,8,7,3,3,1,20000,"), "{text}");
    let (status, _) = app.get("/reports/clones?group_by=week").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn the_reporting_role_reads_the_views_and_nothing_else() {
    let app = TestApp::spawn().await;
    session(&app, crate::support::ADMIN_TOKEN, 1_000, 1, "completed").await;
    app.settle().await;
    let client = app.db.client().await;
    client.batch_execute("SET ROLE pureboot_reporting").await.expect("role exists");
    for view in ["clone_sessions", "clone_outcomes", "daily_clone_summary", "nodes"] {
        let rows = client.query(&format!("SELECT * FROM reporting.{view}"), &[]).await.expect(view);
        assert!(!rows.is_empty(), "{view} has rows");
    }
    let append = "SELECT * FROM append_events('{0}', '{test:x}', '{NULL}', '{1}', '{1}', '{1}', '{t}', '{1}', \
                  '{\"{}\"}', '{NULL}', '{NULL}', '{NULL}', '{NULL}', '{NULL}', 'x')";
    for forbidden in [
        "SELECT * FROM events",
        "SELECT * FROM secrets",
        "SELECT * FROM clone_sessions",
        "DELETE FROM reporting.nodes",
        append,
    ] {
        let err = client.batch_execute(forbidden).await.expect_err(forbidden);
        assert!(err.as_db_error().is_some_and(|e| e.code().code() == "42501"), "{forbidden}: {err}");
    }
}
