//! Disk scans: reports (valid, and each kind of invalid), the derived
//! partition numbers, devices by encoded path or short name, scan status.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{TestApp, scalar};

pub const MIB: i64 = 1024 * 1024;
pub const GIB: i64 = 1024 * MIB;

pub fn partition(number: i64, start: i64, size: i64, kind: &str, fs: &str, used: i64) -> Value {
    json!({"number": number, "start_bytes": start, "end_bytes": start + size - 1, "size_bytes": size,
           "type": kind, "filesystem": fs, "label": null, "flags": [], "used_bytes": used, "mountpoint": null})
}

/// 100 GiB, gpt: 1 = 512 MiB efi (fat32, 6 MiB used), 2 = 40 GiB ext4 (10 GiB
/// used), 3 = 20 GiB xfs (5 GiB used) right after 2, then ~39.5 GiB free.
pub fn sda() -> Value {
    json!({"device": "/dev/sda", "size_bytes": 100 * GIB, "model": "QEMU HARDDISK", "serial": "QM00001",
           "partition_table": "gpt", "partitions": [
               partition(1, MIB, 512 * MIB, "efi", "fat32", 6 * MIB),
               partition(2, 513 * MIB, 40 * GIB, "linux", "ext4", 10 * GIB),
               partition(3, 513 * MIB + 40 * GIB, 20 * GIB, "linux", "xfs", 5 * GIB)]})
}

/// A 500 GB vendor disk, mbr, one ntfs partition.
pub fn sdb() -> Value {
    let size = 500_107_862_016_i64;
    json!({"device": "sdb", "size_bytes": size, "model": null, "serial": null, "partition_table": "mbr",
           "partitions": [partition(1, MIB, size - 2 * MIB, "ntfs", "ntfs", 100 * GIB)]})
}

/// Registers a node and records a report of `disks`; returns the node id.
pub async fn node_with(app: &TestApp, disks: Value) -> String {
    let node = app.node("disk-node").await;
    let (status, body) = report(app, &node, disks).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    node
}

pub async fn report(app: &TestApp, node: &str, disks: Value) -> (StatusCode, Value) {
    app.as_node_key(node).post(&format!("/nodes/{node}/disks/report"), json!({ "disks": disks })).await
}

async fn log_length(app: &TestApp) -> i64 {
    let client = app.db.client().await;
    scalar(&client, "SELECT count(*) FROM events WHERE stream LIKE 'node_disks:%'", &[]).await
}

#[tokio::test(flavor = "multi_thread")]
async fn a_report_is_stored_with_the_derived_partition_numbers() {
    let app = TestApp::spawn().await;
    let node = app.node("disk-node").await;

    let (status, body) = report(&app, &node, json!([sda(), sdb()])).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["message"], "Scan recorded: 2 disk(s)");

    let (_, list) = app.get(&format!("/nodes/{node}/disks")).await;
    assert_eq!(list["total"], 2);
    let sda = &list["data"][0];
    assert_eq!(sda["device"], "/dev/sda");
    assert_eq!(sda["size_human"], "100.0 GB");
    assert_eq!(sda["partition_table"], "gpt");
    assert_eq!(sda["node_id"], node.as_str());
    assert!(sda["scanned_at"].is_string());
    let [efi, root, data] = [0, 1, 2].map(|i| &sda["partitions"][i]);
    assert_eq!(root["size_human"], "40.0 GB");
    assert_eq!(root["used_percent"], 25.0);
    assert_eq!(root["can_shrink"], true, "ext4 shrinks");
    assert_eq!(root["min_size_bytes"], 11 * GIB, "10 GiB used + max(10 %, 1 GiB)");
    assert_eq!(data["can_shrink"], false, "xfs does not shrink");
    assert_eq!(data["min_size_bytes"], Value::Null);
    assert_eq!(efi["used_percent"], 1.2);
    assert_eq!(
        (efi["can_shrink"].clone(), efi["min_size_bytes"].clone()),
        (json!(true), json!(59_981_824)),
        "6 MiB used + 10 % of the 512 MiB partition (under 10 GiB), in whole 4096 bytes"
    );
    let sdb = &list["data"][1];
    assert_eq!(sdb["device"], "/dev/sdb", "short names are normalised");
    assert_eq!(sdb["size_human"], "465.8 GB");
    assert_eq!(sdb["partitions"][0]["min_size_bytes"], 110 * GIB);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_disk_is_found_by_its_encoded_path_or_short_name() {
    let app = TestApp::spawn().await;
    let node = node_with(&app, json!([sda()])).await;
    for device in ["%2Fdev%2Fsda", "sda"] {
        let (status, body) = app.get(&format!("/nodes/{node}/disks/{device}")).await;
        assert_eq!(status, StatusCode::OK, "{device}: {body}");
        assert_eq!(body["data"]["device"], "/dev/sda");
        assert_eq!(body["data"]["partitions"].as_array().map(Vec::len), Some(3));
    }
    let (status, body) = app.get(&format!("/nodes/{node}/disks/sdz")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["detail"], "Disk /dev/sdz not found");
    for bad in ["%2Fetc%2Fpasswd", "%2Fdev%2F..%2Fetc", "sd%20a"] {
        let (status, body) = app.get(&format!("/nodes/{node}/disks/{bad}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {body}");
    }
    let stranger = uuid::Uuid::new_v4();
    let (status, body) = app.get(&format!("/nodes/{stranger}/disks/sda")).await;
    assert_eq!((status, body["detail"].clone()), (StatusCode::NOT_FOUND, json!("Node not found")));
}

#[tokio::test(flavor = "multi_thread")]
async fn each_kind_of_invalid_report_names_the_partition_and_stores_nothing() {
    let app = TestApp::spawn().await;
    let node = node_with(&app, json!([sda()])).await;
    let before = app.get(&format!("/nodes/{node}/disks")).await.1;
    let events_before = log_length(&app).await;

    let mut outside = sda();
    outside["partitions"][2] = partition(3, 90 * GIB, 20 * GIB, "linux", "xfs", 0);
    let mut overlapping = sda();
    overlapping["partitions"][2] = partition(3, 40 * GIB, 20 * GIB, "linux", "xfs", 0);
    let mut backwards = sda();
    backwards["partitions"][2]["end_bytes"] = json!(MIB);
    let mut duplicate = sda();
    duplicate["partitions"][2]["number"] = json!(2);
    let cases = [
        (outside, "outside the disk"),
        (overlapping, "overlaps partition 2"),
        (backwards, "before it starts"),
        (duplicate, "partition number 2 on /dev/sda is also used"),
    ];
    for (disk, reason) in cases {
        // A valid second disk in the same report is not stored either.
        let (status, body) = report(&app, &node, json!([sdb(), disk])).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{reason}: {body}");
        assert_eq!(body["fields"][0]["field"], "disks[1].partitions[2]", "{body}");
        let message = body["fields"][0]["message"].as_str().expect("message");
        assert!(message.contains(reason), "{message}");
        assert!(message.contains("partition"), "names the partition: {message}");
    }
    assert_eq!(app.get(&format!("/nodes/{node}/disks")).await.1, before);
    assert_eq!(log_length(&app).await, events_before, "nothing of those reports was stored");
}

#[tokio::test(flavor = "multi_thread")]
async fn malformed_reports_are_refused_naming_the_field() {
    let app = TestApp::spawn().await;
    let node = app.node("disk-node").await;
    let mut no_size = sda();
    no_size.as_object_mut().expect("object").remove("size_bytes");
    let mut bad_table = sda();
    bad_table["partition_table"] = json!("apm");
    for (disks, field) in [
        (json!([no_size]), "size_bytes"),
        (json!([bad_table]), "disks[0].partition_table"),
        (json!([sda(), sda()]), "disks[1].device"),
    ] {
        let (status, body) = report(&app, &node, disks).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(body["fields"][0]["field"], field, "{body}");
    }
    let (status, _) = app.get(&format!("/nodes/{node}/disks/sda")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread")]
async fn disks_missing_from_a_new_report_leave_the_view_but_not_the_log() {
    let app = TestApp::spawn().await;
    let node = node_with(&app, json!([sda(), sdb()])).await;
    let first_id = app.get(&format!("/nodes/{node}/disks/sda")).await.1["data"]["id"].clone();

    // Given as a bare array this time.
    let (status, body) = app.as_node_key(&node).post(&format!("/nodes/{node}/disks/report"), json!([sda()])).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, list) = app.get(&format!("/nodes/{node}/disks")).await;
    assert_eq!(list["total"], 1);
    assert_eq!(list["data"][0]["id"], first_id, "a disk keeps its id across reports");
    assert_eq!(app.get(&format!("/nodes/{node}/disks/sdb")).await.0, StatusCode::NOT_FOUND);

    let client = app.db.client().await;
    let row = client
        .query_one(
            "SELECT count(*) FROM events WHERE stream = $1 AND event_type = 'node_disks.disk_scanned'
               AND payload->>'device' = '/dev/sdb'",
            &[&format!("node_disks:{node}")],
        )
        .await
        .expect("query");
    assert_eq!(row.get::<_, i64>(0), 1, "sdb's scan stays in the log");
}

#[tokio::test(flavor = "multi_thread")]
async fn scan_status_is_pending_from_a_request_until_the_next_report() {
    let app = TestApp::spawn().await;
    let node = app.node("disk-node").await;
    let path = format!("/nodes/{node}/disks/scan-status");
    let (_, body) = app.get(&path).await;
    assert_eq!(body["data"]["status"], "none");

    let (status, body) = app.post(&format!("/nodes/{node}/disks/scan"), json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["message"], "Scan requested");
    assert_eq!(body["data"]["status"], "pending");
    let requested_at = body["data"]["requested_at"].clone();
    assert!(requested_at.is_string());
    let (_, again) = app.post(&format!("/nodes/{node}/disks/scan"), json!({})).await;
    assert_eq!(again["message"], "A scan is already pending");
    assert_eq!(again["data"]["requested_at"], requested_at);

    report(&app, &node, json!([sda()])).await;
    let (_, body) = app.get(&path).await;
    assert_eq!(body["data"]["status"], "done");
    assert!(body["data"]["last_scanned_at"].is_string());
    assert_eq!(body["data"]["requested_at"], requested_at);
}

#[tokio::test(flavor = "multi_thread")]
async fn disk_routes_need_a_registered_node() {
    let app = TestApp::spawn().await;
    let stranger = uuid::Uuid::new_v4();
    // No node token exists for an unregistered node: a forged one is dead
    // (401), an operator's is valid but no node token (403).
    let forged = format!("pbk_{}_{}", stranger.simple(), "0".repeat(64));
    let path = format!("/nodes/{stranger}/disks/report");
    let (status, _) = app.call(reqwest::Method::POST, &path, Some(&forged), Some(json!([sda()]))).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "no node token exists for an unregistered node");
    let (status, _) = app.post(&path, json!([sda()])).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "an operator is no node");
    let (status, _) = app.get(&format!("/nodes/{stranger}/partition-operations")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    for path in ["disks", "disks/scan-status"] {
        let (status, body) = app.get(&format!("/nodes/{stranger}/{path}")).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}: {body}");
    }

    let node = node_with(&app, json!([sda()])).await;
    app.delete(&format!("/nodes/{node}")).await;
    app.settle().await;
    let client = app.db.client().await;
    let left: i64 = scalar(&client, "SELECT count(*) FROM disk_info", &[]).await;
    assert_eq!(left, 0, "a deleted node's disks leave the read model");
}

/// Drives disks through every event kind, for the projection rebuild tests:
/// reports that add and drop disks, a scan request, operations queued,
/// removed, applied, run, completed and failed (withdrawing a later one), and
/// a deleted node whose disks must leave the read models.
pub async fn workload(app: &TestApp) {
    let node = node_with(app, json!([sda(), sdb()])).await;
    app.post(&format!("/nodes/{node}/disks/scan"), json!({})).await;
    let ops = format!("/nodes/{node}/disks/sda/operations");
    let mut ids = Vec::new();
    for params in [
        json!({"partition": 3, "new_size_bytes": 30 * GIB}),
        json!({"partition": 3, "new_size_bytes": 31 * GIB}),
        json!({"partition": 3, "new_size_bytes": 32 * GIB}),
        json!({"partition": 3, "new_size_bytes": 33 * GIB}),
    ] {
        let (status, body) = app.post(&ops, json!({"operation": "resize", "params": params})).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        ids.push(body["data"]["id"].as_str().expect("id").to_owned());
    }
    assert_eq!(app.delete(&format!("{ops}/{}", ids[3])).await.0, StatusCode::OK);
    let (status, body) = app.post(&format!("/nodes/{node}/disks/sda/apply"), json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    for (id, status) in [(&ids[0], "running"), (&ids[0], "completed"), (&ids[1], "failed")] {
        let (code, body) = app
            .as_node_key(&node)
            .post(&format!("/nodes/{node}/partition-operations/{id}/status"), json!({"status": status}))
            .await;
        assert_eq!(code, StatusCode::OK, "{body}");
    }
    report(app, &node, json!([sda()])).await;

    let gone = node_with(app, json!([sdb()])).await;
    app.delete(&format!("/nodes/{gone}")).await;
}
