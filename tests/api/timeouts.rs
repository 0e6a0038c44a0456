//! Every database wait is bounded and answered 503 with the error shape: a
//! lock held elsewhere (PostgreSQL's `lock_timeout`), a database that does
//! not answer at all (the request deadline, which holds even when PostgreSQL
//! is frozen and its own timeouts cannot fire), and readiness (its deadline).
//! A lock held by another connection stands in for a frozen server: the
//! request's statement waits and never answers, as it would under SIGSTOP.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{ADMIN_TOKEN, TestApp, TestDb};

/// Holds an exclusive lock on `table` until the returned client is dropped
/// or rolls back: every statement touching the table waits.
async fn lock(db: &TestDb, table: &str) -> tokio_postgres::Client {
    let client = db.client().await;
    client.batch_execute(&format!("BEGIN; LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE")).await.expect("lock");
    client
}

/// Sends a request and returns its status, body and how long it took; the
/// client gives up after 20 s, far beyond every bound under test.
async fn timed(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value, Duration) {
    let started = Instant::now();
    let mut request = app.http.request(method, app.url(path)).bearer_auth(ADMIN_TOKEN).timeout(Duration::from_secs(20));
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.expect("an answer within 20 s");
    let status = response.status();
    let body = response.json().await.expect("JSON body");
    (status, body, started.elapsed())
}

fn assert_unavailable(status: StatusCode, body: &Value, took: Duration, bound: Duration) {
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(body["success"], false, "{body}");
    assert_eq!(body["error"], "Service unavailable", "{body}");
    assert!(body["detail"].as_str().is_some_and(|d| !d.is_empty()), "{body}");
    assert!(took < bound, "answered after {took:?}, bound {bound:?}");
}

#[tokio::test]
async fn a_lock_held_elsewhere_answers_503_within_the_lock_timeout() {
    // Given a controller whose connections wait at most 1 s for a lock
    let app = TestApp::spawn_with(TestDb::new().await, &["--db-lock-timeout-secs", "1"]).await;
    app.node("warm-up").await;
    // and another connection holding the event log
    let holder = lock(&app.db, "events").await;

    // When a query and a command need it
    let (status, body, took) = timed(&app, reqwest::Method::GET, "/clone-sessions", None).await;
    // Then each answers 503 in the error shape, within the bound
    assert_unavailable(status, &body, took, Duration::from_secs(4));
    let node = json!({"mac_address": "52:54:00:aa:bb:01", "hostname": "locked-out", "ip_address": "10.0.0.9"});
    let (status, body, took) = timed(&app, reqwest::Method::POST, "/nodes", Some(node)).await;
    assert_unavailable(status, &body, took, Duration::from_secs(4));

    // And once the lock is gone the controller answers again
    holder.batch_execute("ROLLBACK").await.expect("release");
    let (status, body) = app.get("/clone-sessions").await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[tokio::test]
async fn a_database_that_does_not_answer_is_cut_off_by_the_request_deadline() {
    // Given a controller that answers every request within 1 s, whose
    // database waits far longer for locks (as a frozen server would)
    let extra = ["--request-timeout-secs", "1", "--db-lock-timeout-secs", "60"];
    let app = TestApp::spawn_with(TestDb::new().await, &extra).await;
    app.node("warm-up").await;
    let _holder = lock(&app.db, "events").await;

    // When a request needs the database
    let (status, body, took) = timed(&app, reqwest::Method::GET, "/clone-sessions", None).await;

    // Then it is answered 503 at the deadline, not when the database returns
    assert_unavailable(status, &body, took, Duration::from_secs(4));
    assert!(took >= Duration::from_secs(1), "answered before the deadline: {took:?}");
}

#[tokio::test]
async fn readiness_answers_503_within_its_deadline_when_the_database_does_not_answer() {
    // Given a controller whose readiness waits at most 1 s for the database
    let extra = ["--ready-timeout-secs", "1", "--db-lock-timeout-secs", "60"];
    let app = TestApp::spawn_with(TestDb::new().await, &extra).await;
    let (status, body) = app.get("/ready").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let _holder = lock(&app.db, "events").await;

    // When it is asked while the event log cannot be read
    let (status, body, took) = timed(&app, reqwest::Method::GET, "/ready", None).await;

    // Then it says not ready, database unreachable, within the deadline
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(body["status"], "not_ready", "{body}");
    assert_eq!(body["database"], false, "{body}");
    assert!(took < Duration::from_secs(4), "answered after {took:?}");
}

#[tokio::test]
async fn readiness_answers_503_within_its_deadline_when_the_pool_cannot_connect() {
    // Given a controller whose pool's connections are all taken by requests
    // stuck on a lock, so readiness cannot get one
    let extra = ["--ready-timeout-secs", "1", "--db-lock-timeout-secs", "60", "--db-connect-timeout-secs", "30"];
    let app = TestApp::spawn_with(TestDb::new().await, &extra).await;
    app.node("warm-up").await;
    let _holder = lock(&app.db, "events").await;
    let stuck: Vec<_> = (0..20)
        .map(|_| {
            let request = app.http.get(app.url("/clone-sessions")).bearer_auth(ADMIN_TOKEN).send();
            tokio::spawn(request)
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(500)).await;

    // When readiness is asked
    let (status, body, took) = timed(&app, reqwest::Method::GET, "/ready", None).await;

    // Then it answers 503 within its deadline rather than queueing for a connection
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(body["database"], false, "{body}");
    assert!(took < Duration::from_secs(4), "answered after {took:?}");
    stuck.iter().for_each(|request| request.abort());
}
