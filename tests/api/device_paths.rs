//! Every request field that names a device is a `/dev/` path: the strings
//! the disk routes refuse are refused on sessions too (issue 20 item 4).

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::TestApp;

const HOSTILE: [&str; 5] = ["/dev/sda;reboot", "$(id)", "`id`", "../../etc/shadow", "/dev/../etc/shadow"];

fn assert_refused(field: &str, value: &str, status: StatusCode, body: &Value) {
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{field} = {value:?}: {body}");
    assert_eq!(body["fields"][0]["field"], field, "{body}");
    let detail = body["detail"].as_str().expect("detail");
    assert!(detail.contains("is not a device path such as /dev/sda"), "a message a person can act on: {detail}");
}

#[tokio::test(flavor = "multi_thread")]
async fn session_device_fields_refuse_what_the_disk_routes_refuse() {
    let app = TestApp::spawn().await;
    let source = app.node("src").await;
    let target = app.node("dst").await;
    let id: &str = &app.direct_session_id().await;
    for value in HOSTILE {
        for field in ["source_device", "target_device"] {
            let mut body = json!({"clone_mode": "direct", "source_node_id": source, "target_node_id": target});
            body[field] = json!(value);
            let (status, response) = app.post("/clone-sessions", body).await;
            assert_refused(field, value, status, &response);
        }
        let (status, response) = app.patch(&format!("/clone-sessions/{id}"), json!({"target_device": value})).await;
        assert_refused("target_device", value, status, &response);
        let ready = json!({"ip": "10.0.0.5", "port": 9999, "size_bytes": 100, "device": value});
        let (status, response) =
            app.as_node(id, "source").post(&format!("/clone-sessions/{id}/source-ready"), ready).await;
        assert_refused("device", value, status, &response);
        // The disk routes say the same of the same string.
        let (status, response) = app.get(&format!("/nodes/{source}/disks/{}", urlencode(value))).await;
        assert!(status.is_client_error(), "{value:?} on the disk route: {status} {response}");
    }
    assert_eq!(app.get("/clone-sessions").await.1["total"], 1, "no refused session was created");
    let (_, read) = app.get(&format!("/clone-sessions/{id}")).await;
    assert_eq!(read["data"]["status"], "pending", "no refused source-ready took effect");
}

#[tokio::test(flavor = "multi_thread")]
async fn short_device_names_are_stored_as_dev_paths() {
    let app = TestApp::spawn().await;
    let source = app.node("src").await;
    let target = app.node("dst").await;
    let (status, body) = app
        .post(
            "/clone-sessions",
            json!({"clone_mode": "direct", "source_node_id": source, "target_node_id": target,
                   "source_device": "sda", "target_device": "/dev/disk/by-id/ata-X_1.0"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["source_device"], "/dev/sda");
    assert_eq!(body["data"]["target_device"], "/dev/disk/by-id/ata-X_1.0");
    let id = body["data"]["id"].as_str().expect("id");
    let (status, body) = app.patch(&format!("/clone-sessions/{id}"), json!({"target_device": "nvme0n1"})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["target_device"], "/dev/nvme0n1");
}

fn urlencode(value: &str) -> String {
    value.bytes().map(|b| format!("%{b:02X}")).collect()
}
