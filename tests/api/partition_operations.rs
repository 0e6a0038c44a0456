//! Partition operations, the operator's side: per-operation params, the plan
//! check (one refusal per rule), queue order, removal and apply.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::disks::{GIB, MIB, node_with, partition, report, sda, sdb};
use crate::support::TestApp;

/// Where sda's free space starts (right after partition 3).
pub const FREE: i64 = 513 * MIB + 60 * GIB;

pub async fn queue(app: &TestApp, node: &str, operation: &str, params: Value) -> (StatusCode, Value) {
    app.post(&format!("/nodes/{node}/disks/%2Fdev%2Fsda/operations"), json!({"operation": operation, "params": params}))
        .await
}

/// Queues an operation that must be accepted; returns its id.
pub async fn queued(app: &TestApp, node: &str, operation: &str, params: Value) -> String {
    let (status, body) = queue(app, node, operation, params).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["data"]["id"].as_str().expect("id").to_owned()
}

pub async fn set_status(app: &TestApp, node: &str, op: &str, body: Value) -> (StatusCode, Value) {
    app.as_node_key(node).post(&format!("/nodes/{node}/partition-operations/{op}/status"), body).await
}

pub async fn apply(app: &TestApp, node: &str) -> (StatusCode, Value) {
    app.post(&format!("/nodes/{node}/disks/sda/apply"), json!({})).await
}

/// Sequences of what the node sees when it polls.
pub async fn node_sees(app: &TestApp, node: &str) -> Vec<(i64, String)> {
    let (status, body) = app.as_node_key(node).get(&format!("/nodes/{node}/partition-operations")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["data"]
        .as_array()
        .expect("list")
        .iter()
        .map(|op| (op["sequence"].as_i64().expect("sequence"), op["status"].as_str().expect("status").to_owned()))
        .collect()
}

pub fn grow(partition: i64, size: i64) -> Value {
    json!({"partition": partition, "new_size_bytes": size})
}

#[tokio::test(flavor = "multi_thread")]
async fn each_operation_type_validates_its_params() {
    let app = TestApp::spawn().await;
    let node = node_with(&app, json!([sda()])).await;
    let refused = [
        ("resize", json!({}), "params"),
        ("resize", json!({"partition": 2}), "params.new_size_bytes"),
        ("resize", json!({"partition": 0, "new_size_bytes": GIB}), "params.partition"),
        ("create", json!({"size_bytes": GIB, "type": "linux"}), "params.start_bytes"),
        ("create", json!({"start_bytes": FREE, "type": "linux"}), "params.size_bytes"),
        ("create", json!({"start_bytes": FREE, "size_bytes": GIB}), "params.type"),
        (
            "create",
            json!({"start_bytes": FREE, "size_bytes": GIB, "type": "linux", "filesystem": "zfs"}),
            "params.filesystem",
        ),
        ("delete", json!({"number": 3}), "params.number"),
        ("delete", json!({"partition": "three"}), "params.partition"),
        ("format", json!({"partition": 2}), "params.filesystem"),
        ("format", json!({"partition": 2, "filesystem": "ext4", "label": "a-label-over-16-chars"}), "params.label"),
        ("move", json!({"partition": 3}), "params.new_start_bytes"),
        ("move", json!({"partition": 3, "new_start_bytes": -1}), "params.new_start_bytes"),
        ("set_flag", json!({"partition": 1, "value": true}), "params.flag"),
        ("set_flag", json!({"partition": 1, "flag": "boot"}), "params.value"),
        ("set_flag", json!({"partition": 1, "flag": "fast", "value": true}), "params.flag"),
        ("shrink", json!({"partition": 2}), "operation"),
    ];
    for (operation, params, field) in refused {
        let (status, body) = queue(&app, &node, operation, params.clone()).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{operation} {params}: {body}");
        assert_eq!(body["fields"][0]["field"], field, "{operation} {params}: {body}");
    }

    let accepted = [
        ("resize", grow(2, 20 * GIB)),
        (
            "create",
            json!({"start_bytes": FREE, "size_bytes": GIB, "type": "linux", "filesystem": "ext4", "label": "data"}),
        ),
        ("format", json!({"partition": 4, "filesystem": "xfs", "label": "scratch"})),
        ("move", json!({"partition": 4, "new_start_bytes": FREE + 2 * GIB})),
        ("set_flag", json!({"partition": 1, "flag": "boot", "value": true})),
        ("delete", json!({"partition": 4})),
    ];
    for (sequence, (operation, params)) in (1..).zip(accepted) {
        let (status, body) = queue(&app, &node, operation, params.clone()).await;
        assert_eq!(status, StatusCode::OK, "{operation} {params}: {body}");
        assert_eq!(body["data"]["operation"], operation);
        assert_eq!(body["data"]["params"], params, "params are stored as given");
        assert_eq!(body["data"]["sequence"], sequence);
        assert_eq!(body["data"]["status"], "pending");
        assert_eq!(body["data"]["applied_at"], Value::Null);
        assert_eq!(body["data"]["device"], "/dev/sda");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_plan_check_refuses_what_would_not_fit_and_says_why() {
    let app = TestApp::spawn().await;
    let node = node_with(&app, json!([sda()])).await;
    queued(&app, &node, "delete", json!({"partition": 3})).await;
    let refusals = [
        ("resize", grow(2, 100 * GIB), "past the end of /dev/sda"),
        ("create", json!({"start_bytes": 10 * GIB, "size_bytes": GIB, "type": "linux"}), "overlap partition 2"),
        ("resize", grow(2, 10 * GIB), "below its minimum size"),
        ("format", json!({"partition": 3, "filesystem": "ext4"}), "partition 3 is deleted by queued operation #1"),
        // Found by fuzzing: sizes near i64::MAX once overflowed the simulator.
        ("resize", grow(2, i64::MAX - 1), "past the end of any disk"),
        (
            "create",
            json!({"start_bytes": i64::MAX - 10, "size_bytes": GIB, "type": "linux"}),
            "past the end of any disk",
        ),
        ("move", json!({"partition": 2, "new_start_bytes": i64::MAX - 10}), "past the end of any disk"),
    ];
    for (operation, params, reason) in refusals {
        let (status, body) = queue(&app, &node, operation, params).await;
        assert_eq!(status, StatusCode::CONFLICT, "{reason}: {body}");
        let detail = body["detail"].as_str().expect("detail");
        assert!(detail.contains(reason), "{detail}");
        assert!(detail.starts_with("operation #2 ("), "names the operation: {detail}");
    }

    // Growing into the next partition, and shrinking xfs, on a fresh node.
    let other = node_with(&app, json!([sda()])).await;
    for (params, reason) in
        [(grow(2, 41 * GIB), "overlap partition 3"), (grow(3, 10 * GIB), "xfs filesystems cannot be shrunk")]
    {
        let (status, body) = queue(&app, &other, "resize", params).await;
        assert_eq!(status, StatusCode::CONFLICT, "{body}");
        assert!(body["detail"].as_str().expect("detail").contains(reason), "{body}");
    }
    let (_, list) = app.get(&format!("/nodes/{node}/disks/sda/operations")).await;
    assert_eq!(list["total"], 1, "refused operations are not queued");
}

#[tokio::test(flavor = "multi_thread")]
async fn operations_are_numbered_per_device_and_listed_in_sequence() {
    let app = TestApp::spawn().await;
    let node = node_with(&app, json!([sda(), sdb()])).await;
    queued(&app, &node, "set_flag", json!({"partition": 1, "flag": "esp", "value": true})).await;
    let second = queued(&app, &node, "resize", grow(3, 30 * GIB)).await;
    queued(&app, &node, "set_flag", json!({"partition": 1, "flag": "boot", "value": false})).await;
    let (status, body) = app
        .post(
            &format!("/nodes/{node}/disks/sdb/operations"),
            json!({"operation": "set_flag", "params": {"partition": 1, "flag": "boot", "value": true}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["sequence"], 1, "each device counts from 1");

    let (status, _) = app.delete(&format!("/nodes/{node}/disks/sda/operations/{second}")).await;
    assert_eq!(status, StatusCode::OK);
    queued(&app, &node, "resize", grow(3, 25 * GIB)).await;
    let (_, list) = app.get(&format!("/nodes/{node}/disks/%2Fdev%2Fsda/operations")).await;
    let sequences: Vec<i64> =
        list["data"].as_array().expect("list").iter().map(|o| o["sequence"].as_i64().expect("n")).collect();
    assert_eq!(sequences, [1, 3, 4], "a removed operation's number is not reused");
}

#[tokio::test(flavor = "multi_thread")]
async fn only_operations_not_yet_handed_out_can_be_removed() {
    let app = TestApp::spawn().await;
    let node = node_with(&app, json!([sda()])).await;
    let op = queued(&app, &node, "resize", grow(3, 30 * GIB)).await;
    let (status, body) = app.delete(&format!("/nodes/{node}/disks/sda/operations/{}", uuid::Uuid::new_v4())).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let (status, body) = app.delete(&format!("/nodes/{node}/disks/sdb/operations/{op}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "another device's path does not reach it: {body}");
    apply(&app, &node).await;
    let (status, body) = app.delete(&format!("/nodes/{node}/disks/sda/operations/{op}")).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(body["detail"].as_str().expect("detail").contains("applied"), "{body}");
}

#[tokio::test(flavor = "multi_thread")]
async fn apply_hands_out_the_queue_in_order_and_the_node_sees_only_that() {
    let app = TestApp::spawn().await;
    let node = node_with(&app, json!([sda()])).await;
    let (status, body) = apply(&app, &node).await;
    assert_eq!(status, StatusCode::CONFLICT, "nothing to apply: {body}");
    queued(&app, &node, "resize", grow(3, 30 * GIB)).await;
    queued(&app, &node, "set_flag", json!({"partition": 1, "flag": "boot", "value": true})).await;
    assert_eq!(node_sees(&app, &node).await, [], "queued is not yet handed out");

    let (status, body) = apply(&app, &node).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["message"], "2 operation(s) handed to the node");
    assert!(body["data"].as_array().expect("list").iter().all(|o| o["applied_at"].is_string()));
    queued(&app, &node, "delete", json!({"partition": 3})).await;
    assert_eq!(node_sees(&app, &node).await, [(1, "pending".into()), (2, "pending".into())]);
    let (_, pending) = app.as_node_key(&node).get(&format!("/nodes/{node}/partition-operations?status=running")).await;
    assert_eq!(pending["total"], 0);
    let (status, _) = app.as_node_key(&node).get(&format!("/nodes/{node}/partition-operations?status=done")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test(flavor = "multi_thread")]
async fn apply_checks_the_queue_against_the_latest_scan() {
    let app = TestApp::spawn().await;
    let node = node_with(&app, json!([sda()])).await;
    queued(&app, &node, "create", json!({"start_bytes": FREE, "size_bytes": GIB, "type": "linux"})).await;
    // The node rescans and someone has since made a partition 4 there.
    let mut changed = sda();
    changed["partitions"].as_array_mut().expect("partitions").push(partition(4, FREE, 2 * GIB, "linux", "ext4", 0));
    report(&app, &node, json!([changed])).await;
    let (status, body) = apply(&app, &node).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let detail = body["detail"].as_str().expect("detail");
    assert!(detail.contains("no longer fits") && detail.contains("overlap partition 4"), "{detail}");
}

/// Given GPT disks with 512- and 4096-byte sectors, when a `create` would
/// end on the disk's last byte (the backup GPT header), then it is refused
/// naming the backup GPT and the last usable byte; up to that byte it is
/// queued. A sector size other than 512 or 4096 is a 422 naming the field.
#[tokio::test(flavor = "multi_thread")]
async fn the_plan_check_keeps_clear_of_the_backup_gpt_on_either_sector_size() {
    let app = TestApp::spawn().await;
    for (logical, backup_bytes) in [(512, 33 * 512), (4096, 5 * 4096)] {
        let mut disk = sda();
        disk["logical_sector_size"] = json!(logical);
        disk["physical_sector_size"] = json!(4096);
        let node = node_with(&app, json!([disk])).await;
        let (_, shown) = app.get(&format!("/nodes/{node}/disks/sda")).await;
        assert_eq!(
            (shown["data"]["logical_sector_size"].clone(), shown["data"]["physical_sector_size"].clone()),
            (json!(logical), json!(4096)),
            "{shown}"
        );

        let to_the_end = json!({"start_bytes": FREE, "size_bytes": 100 * GIB - FREE, "type": "linux"});
        let (status, body) = queue(&app, &node, "create", to_the_end).await;
        assert_eq!(status, StatusCode::CONFLICT, "{logical}: {body}");
        let last_usable = 100 * GIB - backup_bytes - 1;
        let detail = body["detail"].as_str().expect("detail");
        assert!(detail.contains("inside the backup GPT"), "{detail}");
        assert!(detail.contains(&format!("the last usable byte is {last_usable}")), "{detail}");
        queued(
            &app,
            &node,
            "create",
            json!({"start_bytes": FREE, "size_bytes": last_usable - FREE + 1, "type": "linux"}),
        )
        .await;
    }

    let node = app.node("odd-sectors").await;
    for (logical, physical, field, message) in [
        (json!(1024), json!(null), "disks[0].logical_sector_size", "1024 is not a sector size in bytes: 512 or 4096"),
        (json!(4096), json!(512), "disks[0].physical_sector_size", "512 is smaller than logical_sector_size 4096"),
    ] {
        let mut disk = sda();
        disk["logical_sector_size"] = logical;
        disk["physical_sector_size"] = physical;
        let (status, body) = report(&app, &node, json!([disk])).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(body["fields"][0]["field"], field, "{body}");
        assert!(body["detail"].as_str().expect("detail").contains(message), "{body}");
    }
}
