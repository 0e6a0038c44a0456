//! Creation safety refusals: a target node already written by an active
//! session, and a target disk smaller than the source without a shrink.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::disks::{GIB, report, sda, sdb};
use crate::support::TestApp;

pub async fn create(app: &TestApp, source: &str, target: &str, resize_mode: &str) -> (StatusCode, Value) {
    app.post(
        "/clone-sessions",
        json!({"clone_mode": "direct", "source_node_id": source, "target_node_id": target,
               "source_device": "/dev/sda", "target_device": "/dev/sdb", "resize_mode": resize_mode}),
    )
    .await
}

fn id(body: &Value) -> String {
    body["data"]["id"].as_str().expect("session id").to_owned()
}

/// A 1.8 TB source disk (the operator's trial), no partitions.
fn big_sda() -> Value {
    json!({"device": "/dev/sda", "size_bytes": 2_000_398_934_016_i64, "model": null, "serial": null,
           "partition_table": "gpt", "partitions": []})
}

pub async fn reported(app: &TestApp, hostname: &str, disks: Value) -> String {
    let node = app.node(hostname).await;
    let (status, body) = report(app, &node, disks).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    node
}

#[tokio::test(flavor = "multi_thread")]
async fn a_busy_target_is_refused_until_its_session_ends() {
    let app = TestApp::spawn().await;
    let (source, other, target) = (app.node("a").await, app.node("b").await, app.node("t").await);
    let (status, first) = create(&app, &source, &target, "none").await;
    assert_eq!(status, StatusCode::OK, "{first}");
    let first = id(&first);

    let (status, body) = create(&app, &other, &target, "none").await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let message = body["detail"].as_str().expect("message");
    assert!(message.contains(&first) && message.contains(&target), "{message}");

    // Ending the first session (complete) frees the target.
    assert_eq!(app.source_ready(&first, 10).await.0, StatusCode::OK);
    let (status, body) =
        app.as_node(&first, "target").post(&format!("/clone-sessions/{first}/complete"), json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, second) = create(&app, &other, &target, "none").await;
    assert_eq!(status, StatusCode::OK, "{second}");

    // Deleting a pending session frees it too.
    let second = id(&second);
    assert_eq!(create(&app, &source, &target, "none").await.0, StatusCode::CONFLICT);
    assert_eq!(app.delete(&format!("/clone-sessions/{second}")).await.0, StatusCode::OK);
    assert_eq!(create(&app, &source, &target, "none").await.0, StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_retarget_moves_the_claim() {
    let app = TestApp::spawn().await;
    let (source, other, t1, t2) =
        (app.node("a").await, app.node("b").await, app.node("t1").await, app.node("t2").await);
    let (_, first) = create(&app, &source, &t1, "none").await;
    let first = id(&first);
    let (status, body) = app.patch(&format!("/clone-sessions/{first}"), json!({"target_node_id": t2})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(create(&app, &other, &t1, "none").await.0, StatusCode::OK, "the old target is free");
    assert_eq!(create(&app, &other, &t2, "none").await.0, StatusCode::CONFLICT, "the new one is taken");
}

#[tokio::test(flavor = "multi_thread")]
async fn of_concurrent_creations_on_one_target_exactly_one_succeeds() {
    let app = TestApp::spawn().await;
    let target = app.node("t").await;
    let mut sources = Vec::new();
    for i in 0..8 {
        sources.push(app.node(&format!("s{i}")).await);
    }
    let results = futures::future::join_all(sources.iter().map(|s| create(&app, s, &target, "none"))).await;
    let statuses: Vec<StatusCode> = results.iter().map(|(s, _)| *s).collect();
    assert_eq!(statuses.iter().filter(|s| **s == StatusCode::OK).count(), 1, "{results:?}");
    assert!(statuses.iter().all(|s| *s == StatusCode::OK || *s == StatusCode::CONFLICT), "{results:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_smaller_target_is_refused_with_the_sizes_unless_the_source_shrinks() {
    let app = TestApp::spawn().await;
    let source = reported(&app, "big", json!([big_sda()])).await;
    let target = reported(&app, "small", json!([sdb()])).await;
    let (status, body) = create(&app, &source, &target, "none").await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(
        body["detail"],
        format!(
            "target /dev/sdb on node {target} (465.8 GiB, 500107862016 bytes) is smaller than source /dev/sda on node \
             {source} (1863.0 GiB, 2000398934016 bytes); use resize_mode shrink_source with a plan, or a larger target"
        )
    );
    assert_eq!(create(&app, &source, &target, "grow_target").await.0, StatusCode::CONFLICT);
    let (status, body) = create(&app, &source, &target, "shrink_source").await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_larger_target_or_an_unknown_size_is_allowed() {
    let app = TestApp::spawn().await;
    let source = reported(&app, "src", json!([sda()])).await;
    let larger = reported(&app, "larger", json!([sdb()])).await;
    const { assert!(100 * GIB < 500_107_862_016, "sda is smaller than sdb") };
    let (status, body) = create(&app, &source, &larger, "none").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // No report from the target (nor of its /dev/sdb): its size is unknown.
    let unknown = app.node("unreported").await;
    let (status, body) = create(&app, &source, &unknown, "none").await;
    assert_eq!(status, StatusCode::OK, "{body}");
}
