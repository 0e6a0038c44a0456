//! analyze / plan / start against reported scans, with exact numbers: a
//! 1.5 GiB GPT source (32 MiB vfat, then ext4 of 1502 MiB,
//! 100 MiB used, `resize2fs -P` 120 MiB) and targets around it.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::creation_guard::{create as session, reported};
use crate::disks::{GIB, MIB};
use crate::support::TestApp;

/// Partition 2: 1502 MiB, sectors 67,584 to 3,143,679 (as sfdisk makes it).
const ROOT_SIZE: i64 = 3_076_096 * 512;

fn source_disk() -> Value {
    let part = |number: i64, start: i64, size: i64, fs: &str, used: i64| {
        json!({"number": number, "start_bytes": start, "end_bytes": start + size - 1, "size_bytes": size,
               "type": "linux", "filesystem": fs, "label": null, "flags": [], "used_bytes": used, "mountpoint": null})
    };
    let mut root = part(2, 33 * MIB, ROOT_SIZE, "ext4", 100 * MIB);
    root["fs_min_bytes"] = json!(120 * MIB);
    json!({"device": "/dev/sda", "size_bytes": 1536 * MIB, "model": null, "serial": null, "partition_table": "gpt",
           "partitions": [part(1, MIB, 32 * MIB, "vfat", MIB), root]})
}

fn target_disk(size: i64) -> Value {
    json!({"device": "/dev/sdb", "size_bytes": size, "model": null, "serial": null, "partition_table": "gpt",
           "partitions": []})
}

async fn put_plan(app: &TestApp, id: &str, operations: Value) -> (StatusCode, Value) {
    let body = json!({ "source_operations": operations });
    app.as_admin().send(Method::PUT, &format!("/clone-sessions/{id}/plan"), Some(body)).await
}

fn shrink_to(bytes: i64) -> Value {
    json!([{"operation": "resize", "params": {"partition": 2, "new_size_bytes": bytes}}])
}

async fn analyze(app: &TestApp, id: &str) -> Value {
    let (status, body) = app.post(&format!("/clone-sessions/{id}/analyze"), json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["data"].clone()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_smaller_target_is_analysed_planned_and_started_with_exact_numbers() {
    // Given a 1.5 GiB source and a 1 GiB target, both scanned
    let app = TestApp::spawn().await;
    let source = reported(&app, "src", json!([source_disk()])).await;
    let target = reported(&app, "dst", json!([target_disk(GIB)])).await;
    let (status, body) = session(&app, &source, &target, "none").await;
    assert_eq!(status, StatusCode::CONFLICT, "no plan, no shrink: {body}");
    let (status, body) = session(&app, &source, &target, "shrink_source").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let id = body["data"]["id"].as_str().expect("id").to_owned();

    // When analysed: partition 2 loses 513 MiB, and the source then needs 1,072,693,760 bytes
    let analysis = analyze(&app, &id).await;
    assert_eq!(analysis["fit"], "target_smaller", "{analysis}");
    assert_eq!(analysis["suggested_resize_mode"], "shrink_source");
    assert_eq!(
        analysis["shrink"],
        json!([{"partition": 2, "from_bytes": ROOT_SIZE, "to_bytes": 1_038_090_240_i64, "min_bytes": 262_356_992}])
    );
    assert_eq!(analysis["needed_bytes"], 1_072_710_656_i64);
    assert_eq!(analysis["suggested_plan"]["source_operations"], shrink_to(1_038_090_240));

    // Then the start is refused without the plan, and plans that break a rule are refused
    let start = format!("/clone-sessions/{id}/start");
    let (status, body) = app.post(&start, json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(body["detail"].as_str().expect("detail").starts_with("start refused: cannot fit: 1609581568 > 1073741824"));
    let (status, body) = put_plan(&app, &id, shrink_to(ROOT_SIZE - 511 * MIB)).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(body["detail"].as_str().expect("detail").starts_with("cannot fit: 1073759232 > 1073741824 bytes"));
    let (status, body) = put_plan(&app, &id, shrink_to(200 * MIB)).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(body["detail"].as_str().expect("detail").contains("cannot be shrunk below its minimum size of 262356992"));
    let (status, body) = put_plan(&app, &id, json!([{"operation": "delete", "params": {"partition": 1}}])).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["fields"][0]["field"], "source_operations[0].operation");

    // When the suggested plan is set, a source-ready before the start is refused, then the start is accepted
    let (status, body) = put_plan(&app, &id, analysis["suggested_plan"]["source_operations"].clone()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, plan) = app.as_node(&id, "source").get(&format!("/clone-sessions/{id}/plan")).await;
    assert_eq!(status, StatusCode::OK, "{plan}");
    assert_eq!(plan["data"]["source_operations"], shrink_to(1_038_090_240));
    assert_eq!(plan["data"]["problem"], Value::Null);
    assert_eq!(plan["data"]["editable"], true);
    assert_eq!(app.source_ready(&id, 1_072_710_656).await.0, StatusCode::CONFLICT);
    let (status, body) = app.post(&start, json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(app.post(&start, json!({})).await.0, StatusCode::OK, "a repeated start");

    // Then the session shows the start, and its settings and plan are fixed
    let (_, view) = app.get(&format!("/clone-sessions/{id}")).await;
    assert_eq!(view["data"]["status"], "pending");
    assert!(view["data"]["start_requested_at"].is_string(), "{view}");
    let (status, body) = app.patch(&format!("/clone-sessions/{id}"), json!({"name": "late"})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(put_plan(&app, &id, json!([])).await.0, StatusCode::CONFLICT);
    let (_, history) = app.get(&format!("/clone-sessions/{id}/history")).await;
    let kinds: Vec<&str> =
        history["data"].as_array().expect("history").iter().filter_map(|e| e["event_type"].as_str()).collect();
    assert_eq!(kinds.iter().filter(|k| **k == "clone_session.started").count(), 1, "{kinds:?}");
    assert!(kinds.contains(&"clone_session.plan_set"), "{kinds:?}");
    let (status, body) = app.source_ready(&id, 1_072_710_656).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, history) = app.get(&format!("/clone-sessions/{id}/history")).await;
    let started =
        history["data"].as_array().expect("history").iter().filter(|e| e["event_type"] == "clone_session.started");
    assert_eq!(started.count(), 1, "source-ready does not start it again");
}

#[tokio::test(flavor = "multi_thread")]
async fn same_size_larger_and_hopeless_targets_are_told_apart() {
    let app = TestApp::spawn().await;
    let source = reported(&app, "src", json!([source_disk()])).await;
    for (size, fit, mode) in [
        (1536 * MIB, "same_size", json!("none")),
        (2 * GIB, "target_larger", json!("grow_target")),
        (256 * MIB, "cannot_fit", Value::Null),
    ] {
        let target = reported(&app, &format!("t{size}"), json!([target_disk(size)])).await;
        let (status, body) = session(&app, &source, &target, "shrink_source").await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let analysis = analyze(&app, body["data"]["id"].as_str().expect("id")).await;
        assert_eq!(analysis["fit"], fit, "{analysis}");
        assert_eq!(analysis["suggested_resize_mode"], mode, "{analysis}");
        match fit {
            "target_larger" => assert_eq!(
                analysis["grow"],
                json!({"partition": 2, "from_bytes": ROOT_SIZE, "to_bytes": 2_112_863_744_i64})
            ),
            "cannot_fit" => assert!(
                analysis["message"].as_str().expect("message").starts_with("cannot fit: 269501440 > 268435456 bytes"),
                "{analysis}"
            ),
            _ => {}
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_patch_onto_a_smaller_or_busy_target_is_refused() {
    // Given a session from the 1.5 GiB source onto a 2 GiB target
    let app = TestApp::spawn().await;
    let source = reported(&app, "src", json!([source_disk()])).await;
    let large = reported(&app, "large", json!([target_disk(2 * GIB)])).await;
    let small = reported(&app, "small", json!([target_disk(GIB)])).await;
    let (status, body) = session(&app, &source, &large, "none").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let id = body["data"]["id"].as_str().expect("id").to_owned();
    // When it is moved onto the 1 GiB target without a shrink: refused with both sizes
    let (status, body) = app.patch(&format!("/clone-sessions/{id}"), json!({"target_node_id": small})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(body["detail"].as_str().expect("detail").contains("(1.0 GiB, 1073741824 bytes) is smaller than source"));
    // and with shrink_source it is accepted; going back to none is refused again
    let (status, body) = app
        .patch(&format!("/clone-sessions/{id}"), json!({"target_node_id": small, "resize_mode": "shrink_source"}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, _) = app.patch(&format!("/clone-sessions/{id}"), json!({"resize_mode": "none"})).await;
    assert_eq!(status, StatusCode::CONFLICT);
    // And onto a target another session writes to: refused
    let (status, body) = session(&app, &source, &large, "none").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = app.patch(&format!("/clone-sessions/{id}"), json!({"target_node_id": large})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(body["detail"].as_str().expect("detail").contains(&large), "{body}");
}
