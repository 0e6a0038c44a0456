//! Shutdown (SIGTERM in production, the app's token here): new connections
//! are refused at once, requests in flight finish with their real answer —
//! including queries that wait for the projections — and a request stuck
//! past the grace period does not hold the process up.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;

use crate::support::{ADMIN_TOKEN, TestApp, TestDb};

/// Waits (up to 5 s) until connecting to `addr` is refused.
async fn assert_refuses_connections(addr: std::net::SocketAddr) {
    for _ in 0..50 {
        if tokio::net::TcpStream::connect(addr).await.is_err() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{addr} still accepts connections after shutdown began");
}

#[tokio::test]
async fn a_request_in_flight_at_shutdown_finishes_with_its_answer_and_new_connections_are_refused() {
    // Given a controller whose projections are held up by a lock on their
    // checkpoints (each batch fails after 1 s and is retried)
    let extra =
        ["--db-lock-timeout-secs", "1", "--read-your-writes-timeout-ms", "30000", "--shutdown-grace-secs", "30"];
    let app = TestApp::spawn_with(TestDb::new().await, &extra).await;
    app.node("warm-up").await;
    app.settle().await;
    let holder = app.db.client().await;
    holder.batch_execute("BEGIN; LOCK TABLE projection_checkpoints IN ACCESS EXCLUSIVE MODE").await.expect("lock");
    // and a node registered (commands answer once committed) whose query is
    // in flight, waiting for the projections to include the registration
    let node = json!({"mac_address": "52:54:00:aa:bb:03", "hostname": "in-flight", "ip_address": "10.0.0.9"});
    let created = app.http.post(app.url("/nodes")).bearer_auth(ADMIN_TOKEN).json(&node).send().await.expect("send");
    assert_eq!(created.status(), StatusCode::OK);
    let id = created.json::<serde_json::Value>().await.expect("JSON")["data"]["id"].as_str().expect("id").to_owned();
    let request = tokio::spawn(app.http.get(app.url(&format!("/nodes/{id}"))).bearer_auth(ADMIN_TOKEN).send());
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(!request.is_finished(), "the query should be waiting for the projections");

    // When shutdown begins
    app.shutdown.cancel();

    // Then new connections are refused
    assert_refuses_connections(app.addr).await;
    // and once the projections can proceed — after every batch begun before
    // shutdown has failed, so only a runner still running can apply it —
    // the request in flight gets its real answer
    tokio::time::sleep(Duration::from_millis(2500)).await;
    holder.batch_execute("ROLLBACK").await.expect("release");
    let response = tokio::time::timeout(Duration::from_secs(20), request)
        .await
        .expect("the request finishes")
        .expect("task")
        .expect("an answer, not a dropped connection");
    assert_eq!(response.status(), StatusCode::OK);
    let body: serde_json::Value = response.json().await.expect("JSON");
    assert_eq!(body["data"]["hostname"], "in-flight", "{body}");
    // and the server then stops
    tokio::time::timeout(Duration::from_secs(10), app.server).await.expect("server stops").expect("task").expect("ok");
}

#[tokio::test]
async fn a_request_stuck_past_the_grace_period_does_not_hold_shutdown_up() {
    // Given a controller with a 1 s grace period and a request stuck on a lock
    let extra = ["--shutdown-grace-secs", "1", "--db-lock-timeout-secs", "60"];
    let app = TestApp::spawn_with(TestDb::new().await, &extra).await;
    app.node("warm-up").await;
    let holder = app.db.client().await;
    holder.batch_execute("BEGIN; LOCK TABLE events IN ACCESS EXCLUSIVE MODE").await.expect("lock");
    let node = json!({"mac_address": "52:54:00:aa:bb:02", "hostname": "stuck", "ip_address": "10.0.0.9"});
    let _stuck = tokio::spawn(app.http.post(app.url("/nodes")).bearer_auth(ADMIN_TOKEN).json(&node).send());
    tokio::time::sleep(Duration::from_millis(500)).await;

    // When shutdown begins
    app.shutdown.cancel();

    // Then the server stops after the grace period, with the lock still held
    tokio::time::timeout(Duration::from_secs(4), app.server)
        .await
        .expect("stops within the grace")
        .expect("task")
        .expect("ok");
    holder.batch_execute("ROLLBACK").await.expect("release");
}
