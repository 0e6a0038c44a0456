//! Node callbacks and the state machine: allowed and refused transitions,
//! idempotent repeats, late progress, concurrent reports.

use reqwest::StatusCode;
use serde_json::json;

use crate::support::{TestApp, concurrently, scalar};

async fn events_of(app: &TestApp, id: &str) -> Vec<String> {
    let client = app.db.client().await;
    client
        .query("SELECT event_type FROM events WHERE stream = $1 ORDER BY version", &[&format!("clone_session:{id}")])
        .await
        .expect("events")
        .iter()
        .map(|r| r.get(0))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_happy_path_moves_through_every_state() {
    let app = TestApp::spawn().await;
    let id: &str = &app.direct_session_id().await;

    let (status, body) = app.source_ready(id, 1_000).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["status"], "source_ready");
    assert_eq!(body["message"], "Source ready at 10.0.0.5:9999");
    let (_, view) = app.get(&format!("/clone-sessions/{id}")).await;
    assert_eq!(view["data"]["bytes_total"], 1000);
    assert_eq!(view["data"]["source_ip"], "10.0.0.5");
    assert!(view["data"]["started_at"].is_string());

    let (_, body) = app.progress(id, 333).await;
    assert_eq!(body["data"]["progress_percent"], 33.3);
    let (_, view) = app.get(&format!("/clone-sessions/{id}")).await;
    assert_eq!(view["data"]["status"], "cloning");
    assert_eq!(view["data"]["transfer_rate_bps"], 1000);

    let (status, body) = app.as_node(id, "target").post(&format!("/clone-sessions/{id}/complete"), json!({})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["data"]["status"], "completed");
    assert!(body["data"]["duration_seconds"].is_i64());
    let (_, view) = app.get(&format!("/clone-sessions/{id}")).await;
    assert_eq!(view["data"]["bytes_transferred"], 1000, "complete sets bytes_transferred = bytes_total");
    assert_eq!(view["data"]["progress_percent"], 100.0);
    assert!(view["data"]["completed_at"].is_string());
}

#[tokio::test(flavor = "multi_thread")]
async fn callbacks_that_make_no_sense_are_refused_with_409_and_a_reason() {
    let app = TestApp::spawn().await;
    let id: &str = &app.direct_session_id().await;

    let (status, body) = app.as_node(id, "target").post(&format!("/clone-sessions/{id}/complete"), json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(body["detail"].as_str().expect("detail").contains("pending"), "{body}");
    assert_eq!(app.progress(id, 1).await.0, StatusCode::CONFLICT);

    app.source_ready(id, 100).await;
    app.as_node(id, "target").post(&format!("/clone-sessions/{id}/complete"), json!({})).await;
    let (status, body) = app.progress(id, 50).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(body["detail"].as_str().expect("detail").contains("completed"), "{body}");
    assert_eq!(
        app.as_node(id, "target").post(&format!("/clone-sessions/{id}/failed?error=x"), json!({})).await.0,
        StatusCode::CONFLICT
    );

    let other = app.direct_session().await;
    let other = other["id"].as_str().expect("id");
    app.as_node(other, "target")
        .post(&format!("/clone-sessions/{other}/failed"), json!({"error": "boot failed"}))
        .await;
    assert_eq!(app.source_ready(other, 100).await.0, StatusCode::CONFLICT);
    assert_eq!(
        app.as_node(other, "target").post(&format!("/clone-sessions/{other}/complete"), json!({})).await.0,
        StatusCode::CONFLICT
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn repeated_callbacks_succeed_without_a_second_event() {
    let app = TestApp::spawn().await;
    let id: &str = &app.direct_session_id().await;
    for _ in 0..2 {
        assert_eq!(app.source_ready(id, 1_000).await.0, StatusCode::OK);
    }
    app.progress(id, 10).await;
    assert_eq!(app.source_ready(id, 1_000).await.0, StatusCode::OK, "a replayed source-ready after cloning began");
    let (status, body) = app
        .as_node(id, "source")
        .post(
            &format!("/clone-sessions/{id}/source-ready"),
            json!({"ip": "10.0.0.6", "port": 9999, "size_bytes": 1000, "device": "/dev/sda"}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "a different source-ready: {body}");
    for _ in 0..2 {
        assert_eq!(
            app.as_node(id, "target").post(&format!("/clone-sessions/{id}/complete"), json!({})).await.0,
            StatusCode::OK
        );
    }
    let events = events_of(&app, id).await;
    assert_eq!(events.iter().filter(|e| *e == "clone_session.source_ready").count(), 1);
    assert_eq!(events.iter().filter(|e| *e == "clone_session.completed").count(), 1);

    let failing = app.direct_session().await;
    let failing = failing["id"].as_str().expect("id");
    for _ in 0..2 {
        let (status, body) = app
            .as_node(failing, "target")
            .post(&format!("/clone-sessions/{failing}/failed?error=disk%20gone"), json!({}))
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    assert_eq!(events_of(&app, failing).await.iter().filter(|e| *e == "clone_session.failed").count(), 1);
    let (_, view) = app.get(&format!("/clone-sessions/{failing}")).await;
    assert_eq!(view["data"]["error_message"], "disk gone");
}

#[tokio::test(flavor = "multi_thread")]
async fn late_progress_is_recorded_but_never_moves_progress_backwards() {
    let app = TestApp::spawn().await;
    let id: &str = &app.direct_session_id().await;
    app.source_ready(id, 1_000).await;
    app.progress(id, 600).await;
    let (status, body) = app.progress(id, 200).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["data"]["progress_percent"], 60.0);
    let (_, view) = app.get(&format!("/clone-sessions/{id}")).await;
    assert_eq!(view["data"]["bytes_transferred"], 600);
    assert_eq!(events_of(&app, id).await.iter().filter(|e| *e == "clone_session.progress_reported").count(), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn progress_input_is_validated() {
    let app = TestApp::spawn().await;
    let id: &str = &app.direct_session_id().await;
    app.source_ready(id, 1_000).await;
    let path = format!("/clone-sessions/{id}/progress");
    for (body, field) in [
        (json!({"role": "target", "bytes_transferred": -1}), "bytes_transferred"),
        (json!({"role": "target", "bytes_transferred": 2000}), "bytes_transferred"),
        (json!({"role": "middle", "bytes_transferred": 1}), "role"),
        (json!({"role": "target", "bytes_transferred": 1, "status": "sleeping"}), "status"),
        (json!({"role": "target", "bytes_transferred": 1, "transfer_rate_bps": -5}), "transfer_rate_bps"),
        (json!({"role": "target"}), "bytes_transferred"),
    ] {
        // An authenticated node: without a valid token the answer is 401 whatever the body.
        let token = app.node_token(id, "target");
        let (status, response) = app.call(reqwest::Method::POST, &path, Some(&token), Some(body.clone())).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {response}");
        assert_eq!(response["fields"][0]["field"], field, "{response}");
    }
    let (status, body) = app.as_node(id, "target").post(&format!("/clone-sessions/{id}/failed"), json!({})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "failed needs an error: {body}");
    let unknown = uuid::Uuid::new_v4();
    let ready = json!({"ip": "10.0.0.5", "port": 9999, "size_bytes": 1, "device": "/dev/sda"});
    let path = format!("/clone-sessions/{unknown}/source-ready");
    let forged = format!("pbn_{unknown}_source_{}", "0".repeat(64));
    let (status, _) = app.call(reqwest::Method::POST, &path, Some(&forged), Some(ready.clone())).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "no token of that session exists");
    let (status, _) = app.post(&path, ready).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "an operator is no node");
}

/// Given 40 progress reports posted concurrently to one session, then none
/// is lost: each is an event, and the recorded progress is the maximum.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_reports_on_one_session_never_lose_an_update() {
    let app = std::sync::Arc::new(TestApp::spawn().await);
    let session = app.direct_session().await;
    let id = session["id"].as_str().expect("id").to_owned();
    app.source_ready(&id, 10_000).await;
    let statuses = concurrently(&app, 1..=40, |app, n| {
        let id = id.clone();
        async move { app.progress(&id, n * 100).await.0 }
    })
    .await;
    assert!(statuses.iter().all(|s| *s == StatusCode::OK), "{statuses:?}");
    let events = events_of(&app, &id).await;
    assert_eq!(events.iter().filter(|e| *e == "clone_session.progress_reported").count(), 40);
    let (_, view) = app.get(&format!("/clone-sessions/{id}")).await;
    assert_eq!(view["data"]["bytes_transferred"], 4000);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_session_that_ends_destroys_its_private_keys() {
    let app = TestApp::spawn().await;
    let id: &str = &app.direct_session_id().await;
    assert_eq!(
        app.as_node(id, "target").get(&format!("/clone-sessions/{id}/certs?role=target")).await.0,
        StatusCode::OK
    );
    app.source_ready(id, 100).await;
    app.as_node(id, "target").post(&format!("/clone-sessions/{id}/complete"), json!({})).await;
    let (status, body) = app.as_node(id, "target").get(&format!("/clone-sessions/{id}/certs?role=target")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "the node token died with the session: {body}");
    let client = app.db.client().await;
    let kinds: Vec<String> = client
        .query("SELECT kind FROM secrets WHERE owner = $1 ORDER BY kind", &[&format!("clone_session:{id}")])
        .await
        .expect("kinds")
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(kinds, ["retired-token:source", "retired-token:target"], "keys and certificates are gone");

    app.delete(&format!("/clone-sessions/{id}")).await;
    let left: i64 =
        scalar(&client, "SELECT count(*) FROM secrets WHERE owner = $1", &[&format!("clone_session:{id}")]).await;
    assert_eq!(left, 0, "deleting the session removes every secret of it");
}
