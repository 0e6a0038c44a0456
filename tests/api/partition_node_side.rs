//! Partition operations, the node's side: status reports and their state
//! machine, the stop-after-failure rule, and the partition.* WebSocket messages.

use reqwest::StatusCode;
use serde_json::json;

use crate::disks::{GIB, node_with, report, sda};
use crate::partition_operations::{apply, grow, node_sees, queued, set_status};
use crate::support::TestApp;

#[tokio::test(flavor = "multi_thread")]
async fn node_status_reports_follow_the_state_machine_and_the_sequence() {
    let app = TestApp::spawn().await;
    let node = node_with(&app, json!([sda()])).await;
    let first = queued(&app, &node, "resize", grow(3, 30 * GIB)).await;
    let second = queued(&app, &node, "set_flag", json!({"partition": 1, "flag": "boot", "value": true})).await;
    let (status, body) = set_status(&app, &node, &first, json!({"status": "running"})).await;
    assert_eq!(status, StatusCode::CONFLICT, "not applied yet: {body}");
    apply(&app, &node).await;

    let (status, body) = set_status(&app, &node, &second, json!({"status": "running"})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(body["detail"].as_str().expect("detail").contains("must wait: operation #1"), "{body}");

    for _ in 0..2 {
        let (status, body) = set_status(&app, &node, &first, json!({"status": "running"})).await;
        assert_eq!(status, StatusCode::OK, "a repeat is acknowledged: {body}");
        assert_eq!(body["data"]["status"], "running");
        assert!(body["data"]["started_at"].is_string());
    }
    let (status, body) = set_status(&app, &node, &first, json!({"status": "completed"})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body["data"]["executed_at"].is_string());
    assert_eq!(set_status(&app, &node, &first, json!({"status": "completed"})).await.0, StatusCode::OK);
    for illegal in [json!({"status": "running"}), json!({"status": "failed", "error_message": "late"})] {
        let (status, body) = set_status(&app, &node, &first, illegal).await;
        assert_eq!(status, StatusCode::CONFLICT, "{body}");
        assert!(body["detail"].as_str().expect("detail").contains("already completed"), "{body}");
    }
    for (bad, field) in [
        (json!({"status": "pending"}), "status"),
        (json!({"status": "running", "error_message": "why"}), "error_message"),
    ] {
        let (status, body) = set_status(&app, &node, &second, bad).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(body["fields"][0]["field"], field);
    }
    let (status, _) = set_status(&app, &node, &uuid::Uuid::new_v4().to_string(), json!({"status": "running"})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = set_status(&app, &node, &second, json!({"status": "completed"})).await;
    assert_eq!(status, StatusCode::OK, "a quick operation may be reported completed directly");
}

#[tokio::test(flavor = "multi_thread")]
async fn after_a_failure_the_operations_queued_behind_it_are_not_handed_out() {
    let app = TestApp::spawn().await;
    let node = node_with(&app, json!([sda()])).await;
    let first = queued(&app, &node, "resize", grow(3, 30 * GIB)).await;
    let second = queued(&app, &node, "set_flag", json!({"partition": 3, "flag": "lvm", "value": true})).await;
    let third = queued(&app, &node, "set_flag", json!({"partition": 1, "flag": "boot", "value": true})).await;
    apply(&app, &node).await;
    set_status(&app, &node, &first, json!({"status": "running"})).await;
    let (status, body) =
        set_status(&app, &node, &first, json!({"status": "failed", "error_message": "xfs_growfs: I/O error"})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["error_message"], "xfs_growfs: I/O error");

    assert_eq!(node_sees(&app, &node).await, [(1, "failed".into())], "nothing after the failure");
    let (status, body) = set_status(&app, &node, &second, json!({"status": "running"})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let (_, list) = app.get(&format!("/nodes/{node}/disks/sda/operations?status=pending")).await;
    assert!(list["data"].as_array().expect("list").iter().all(|o| o["applied_at"].is_null()), "taken back: {list}");

    // The operator drops one and hands the rest out again.
    let (status, _) = app.delete(&format!("/nodes/{node}/disks/sda/operations/{third}")).await;
    assert_eq!(status, StatusCode::OK);
    apply(&app, &node).await;
    assert_eq!(node_sees(&app, &node).await, [(1, "failed".into()), (2, "pending".into())]);
    assert_eq!(set_status(&app, &node, &second, json!({"status": "running"})).await.0, StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread")]
async fn partition_events_reach_the_websocket() {
    let app = TestApp::spawn().await;
    let node = app.node("disk-node").await;
    let mut ws = app.ws("").await;
    report(&app, &node, json!([sda()])).await;
    let scan = ws.until("partition.scan_complete").await.pop().expect("scan");
    assert_eq!(scan["data"]["node_id"], node.as_str());
    assert_eq!(scan["data"]["device"], "/dev/sda");
    assert_eq!(scan["data"]["partition_count"], 3);

    let first = queued(&app, &node, "resize", grow(3, 30 * GIB)).await;
    let second = queued(&app, &node, "delete", json!({"partition": 3})).await;
    let queued_message = ws.until("partition.operation_queued").await.pop().expect("queued");
    assert_eq!(
        queued_message["data"],
        json!({"node_id": node, "device": "/dev/sda", "operation_id": first, "operation": "resize",
               "sequence": 1, "params": grow(3, 30 * GIB)})
    );
    apply(&app, &node).await;
    set_status(&app, &node, &first, json!({"status": "running"})).await;
    set_status(&app, &node, &first, json!({"status": "completed"})).await;
    set_status(&app, &node, &second, json!({"status": "failed", "error_message": "partition busy"})).await;

    let messages = ws.until("partition.operation_failed").await;
    let kinds: Vec<&str> = messages.iter().filter_map(|m| m["type"].as_str()).collect();
    assert_eq!(
        kinds,
        [
            "partition.operation_queued",
            "partition.operations_applied",
            "partition.operation_started",
            "partition.operation_complete",
            "partition.operation_failed"
        ]
    );
    let expected = |kind: &str, op: &str, operation: &str| {
        (kind.to_owned(), json!({"node_id": node, "device": "/dev/sda", "operation_id": op, "operation": operation}))
    };
    for (message, (kind, data)) in messages[2..4].iter().zip([
        expected("partition.operation_started", &first, "resize"),
        expected("partition.operation_complete", &first, "resize"),
    ]) {
        assert_eq!((message["type"].as_str().expect("type"), &message["data"]), (kind.as_str(), &data));
    }
    let failed = &messages[4]["data"];
    assert_eq!(
        (failed["operation_id"].as_str(), failed["operation"].as_str()),
        (Some(second.as_str()), Some("delete"))
    );
    assert_eq!(failed["error"], "partition busy");
}
