//! Disk commands answer with the state right after their own events (issue
//! 15 item 9): racing commands on one node each see their own change in
//! their response, never a later one, and an unraced response equals what a
//! query shows afterwards.

use std::sync::Arc;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::disks::{GIB, node_with, report, sda};
use crate::partition_operations::{FREE, apply, queue, queued, set_status};
use crate::support::TestApp;

/// Racers (or rounds) of each race: enough that a response read back after
/// committing showed another command's change in nearly every run.
const RACERS: usize = 10;
/// Rounds of the two-party races, which a read-back loses less often.
const ROUNDS: usize = 30;

fn sda_of(model: &str) -> Value {
    let mut disk = sda();
    disk["model"] = json!(model);
    disk
}

/// Given one node, when ten reports of different models race, then each
/// answers with its own model; and a report's response equals the disks
/// listed afterwards.
#[tokio::test(flavor = "multi_thread")]
async fn concurrent_reports_each_answer_with_their_own_layout() {
    let app = Arc::new(TestApp::spawn().await);
    let node = node_with(&app, json!([sda()])).await;
    let tasks: Vec<_> = (0..RACERS)
        .map(|n| {
            let (app, node) = (app.clone(), node.clone());
            tokio::spawn(async move {
                let model = format!("model-{n}");
                let (status, body) = report(&app, &node, json!([sda_of(&model)])).await;
                (model, status, body)
            })
        })
        .collect();
    for task in tasks {
        let (model, status, body) = task.await.expect("task");
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["data"][0]["model"], model.as_str(), "the response shows its own report: {body}");
    }

    let (status, reported) = report(&app, &node, json!([sda_of("last")])).await;
    assert_eq!(status, StatusCode::OK, "{reported}");
    let (_, listed) = app.get(&format!("/nodes/{node}/disks")).await;
    assert_eq!(reported["data"], listed["data"], "the built view is the folded row");
}

/// Given a disk with free space, when ten `create`s race ten `apply`s, then
/// each queue response shows its own operation as just queued (pending, not
/// handed out yet) and each apply shows the operations it handed out, all
/// at its own time; unraced, the responses equal the listed operations.
#[tokio::test(flavor = "multi_thread")]
async fn concurrent_queues_and_applies_each_answer_with_their_own_change() {
    let app = Arc::new(TestApp::spawn().await);
    let node = node_with(&app, json!([sda()])).await;
    let mut queues = Vec::new();
    let mut applies = Vec::new();
    for n in 0..RACERS {
        let (queuer, queue_node) = (app.clone(), node.clone());
        let start = FREE + n as i64 * GIB;
        queues.push(tokio::spawn(async move {
            let create = json!({"start_bytes": start, "size_bytes": GIB, "type": "linux"});
            let (status, body) = queue(&queuer, &queue_node, "create", create).await;
            (start, status, body)
        }));
        let (applier, apply_node) = (app.clone(), node.clone());
        applies.push(tokio::spawn(async move { apply(&applier, &apply_node).await }));
    }
    for task in queues {
        let (start, status, body) = task.await.expect("task");
        assert_eq!(status, StatusCode::OK, "{body}");
        let op = &body["data"];
        assert_eq!(op["params"]["start_bytes"], start, "its own operation: {body}");
        assert_eq!((&op["status"], &op["applied_at"]), (&json!("pending"), &Value::Null), "just queued: {body}");
        assert_eq!(body["message"], format!("Operation #{} queued", op["sequence"]));
    }
    for task in applies {
        let (status, body) = task.await.expect("task");
        if status == StatusCode::CONFLICT {
            continue; // nothing queued at that moment
        }
        assert_eq!(status, StatusCode::OK, "{body}");
        let ops = body["data"].as_array().expect("list");
        assert!(!ops.is_empty(), "{body}");
        assert!(ops.iter().all(|op| op["status"] == "pending" && op["applied_at"] == ops[0]["applied_at"]), "{body}");
    }

    let last = json!({"start_bytes": FREE + RACERS as i64 * GIB, "size_bytes": GIB, "type": "linux"});
    let (_, queued_one) = queue(&app, &node, "create", last).await;
    let listed = |app: Arc<TestApp>, node: String| async move {
        let (_, list) = app.get(&format!("/nodes/{node}/disks/sda/operations")).await;
        list["data"].as_array().expect("list").clone()
    };
    let ops = listed(app.clone(), node.clone()).await;
    assert_eq!(ops.last(), Some(&queued_one["data"]), "the built view is the folded row");
    let (status, applied) = apply(&app, &node).await;
    assert_eq!(status, StatusCode::OK, "{applied}");
    let ops = listed(app.clone(), node.clone()).await;
    assert_eq!(applied["data"].as_array().expect("applied").last(), ops.last(), "the built views are the folded rows");
}

/// Given a node, when scan requests race reports, then each request answers
/// `pending` (the state it left, though a report may follow at once); when
/// a node's `running` and `completed` race, each answers with its own
/// status. Unraced, the responses equal what the queries show.
#[tokio::test(flavor = "multi_thread")]
async fn scan_requests_and_status_reports_answer_with_the_state_they_left() {
    let app = Arc::new(TestApp::spawn().await);
    let node = node_with(&app, json!([sda()])).await;
    for _ in 0..ROUNDS {
        let racing: Vec<_> = (0..3)
            .map(|_| {
                let (reporter, reporting_node) = (app.clone(), node.clone());
                tokio::spawn(async move { report(&reporter, &reporting_node, json!([sda()])).await })
            })
            .collect();
        let (status, body) = app.post(&format!("/nodes/{node}/disks/scan"), json!({})).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["data"]["status"], "pending", "the state the request left: {body}");
        for report in racing {
            assert_eq!(report.await.expect("task").0, StatusCode::OK);
        }
    }
    let (_, requested) = app.post(&format!("/nodes/{node}/disks/scan"), json!({})).await;
    let (_, shown) = app.get(&format!("/nodes/{node}/disks/scan-status")).await;
    assert_eq!(requested["data"], shown["data"], "the built view is the folded row");

    let flag = |n: usize| json!({"partition": 1, "flag": "boot", "value": n.is_multiple_of(2)});
    let mut ops = Vec::new();
    for n in 0..ROUNDS {
        ops.push(queued(&app, &node, "set_flag", flag(n)).await);
    }
    assert_eq!(apply(&app, &node).await.0, StatusCode::OK);
    for op in &ops {
        let races = ["running", "completed"].map(|wanted| {
            let (app, node, op) = (app.clone(), node.clone(), op.clone());
            tokio::spawn(async move { (wanted, set_status(&app, &node, &op, json!({ "status": wanted })).await) })
        });
        for race in races {
            let (wanted, (status, body)) = race.await.expect("task");
            if status == StatusCode::OK {
                assert_eq!(body["data"]["status"], wanted, "its own status: {body}");
            } else {
                assert_eq!((wanted, status), ("running", StatusCode::CONFLICT), "completed first: {body}");
            }
        }
    }
    let last = queued(&app, &node, "set_flag", flag(0)).await;
    assert_eq!(apply(&app, &node).await.0, StatusCode::OK);
    let (status, started) = set_status(&app, &node, &last, json!({"status": "running"})).await;
    assert_eq!(status, StatusCode::OK, "{started}");
    let (_, polled) = app.as_node_key(&node).get(&format!("/nodes/{node}/partition-operations?status=running")).await;
    assert_eq!(polled["data"][0], started["data"], "the built view is the folded row");
}
