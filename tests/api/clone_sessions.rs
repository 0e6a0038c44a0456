//! Clone-session CRUD and its validation, per the spec.

use reqwest::StatusCode;
use serde_json::json;

use crate::support::TestApp;

#[tokio::test(flavor = "multi_thread")]
async fn creating_a_direct_session_returns_every_response_field() {
    let app = TestApp::spawn().await;
    let session = app.direct_session().await;
    for field in [
        "id",
        "name",
        "status",
        "clone_mode",
        "source_node_id",
        "source_node_name",
        "target_node_id",
        "target_node_name",
        "source_device",
        "target_device",
        "source_ip",
        "source_port",
        "staging_backend_id",
        "staging_backend_name",
        "staging_path",
        "staging_status",
        "resize_mode",
        "bytes_total",
        "bytes_transferred",
        "transfer_rate_bps",
        "progress_percent",
        "error_message",
        "created_at",
        "started_at",
        "completed_at",
        "created_by",
    ] {
        assert!(session.get(field).is_some(), "missing {field}: {session}");
    }
    assert_eq!(session["status"], "pending");
    assert_eq!(session["source_node_name"], "source-node");
    assert_eq!(session["target_node_name"], "target-node");
    assert_eq!(session["source_device"], "/dev/sda");
    assert_eq!(session["source_port"], 9999);
    assert_eq!(session["progress_percent"], 0.0);
    assert!(session["source_cert_expires_at"].is_string() && session["target_cert_expires_at"].is_string());

    // The response is built from the decision, not read back: it must equal
    // what the projection folded.
    let (_, read) = app.get(&format!("/clone-sessions/{}", session["id"].as_str().expect("id"))).await;
    let mut created = session.clone();
    for shown_once in ["node_tokens", "agent_parameters"] {
        created.as_object_mut().expect("object").remove(shown_once);
    }
    assert_eq!(created, read["data"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_staged_session_shows_its_backend_and_has_no_certificates() {
    let app = TestApp::spawn().await;
    let source = app.node("src").await;
    let backend = app.nfs_backend("images").await;
    let (status, body) =
        app.post("/clone-sessions", json!({"source_node_id": source, "staging_backend_id": backend})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["clone_mode"], "staged", "staged is the spec's default mode");
    assert_eq!(body["data"]["staging_backend_name"], "images");
    assert!(body["data"]["source_cert_expires_at"].is_null());
    let id = body["data"]["id"].as_str().expect("id");
    let (_, read) = app.get(&format!("/clone-sessions/{id}")).await;
    let mut created = body["data"].clone();
    for shown_once in ["node_tokens", "agent_parameters"] {
        created.as_object_mut().expect("object").remove(shown_once);
    }
    assert_eq!(created, read["data"], "the staged view as folded");
    let (status, body) = app.as_node(id, "source").get(&format!("/clone-sessions/{id}/certs?role=source")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["detail"], "Certificates only available for direct mode sessions");
}

#[tokio::test(flavor = "multi_thread")]
async fn creation_is_validated_as_the_spec_says() {
    let app = TestApp::spawn().await;
    let source = app.node("src").await;
    let target = app.node("dst").await;
    let cases = [
        (json!({"source_node_id": source, "clone_mode": "staged"}), 422, "staging_backend_id"),
        (json!({"source_node_id": source, "clone_mode": "direct"}), 422, "target_node_id"),
        (
            json!({
                "source_node_id": source, "target_node_id": target, "clone_mode": "direct", "name": "x".repeat(256)
            }),
            422,
            "name",
        ),
        (json!({"source_node_id": source, "target_node_id": target, "clone_mode": "copy"}), 422, "clone_mode"),
        (
            json!({"source_node_id": source, "target_node_id": target, "clone_mode": "direct", "resize_mode": "maybe"}),
            422,
            "resize_mode",
        ),
        (json!({"target_node_id": target, "clone_mode": "direct"}), 422, "source_node_id"),
        (
            json!({"source_node_id": "not-a-uuid", "target_node_id": target, "clone_mode": "direct"}),
            422,
            "source_node_id",
        ),
        (json!({"source_node_id": source, "target_node_id": source, "clone_mode": "direct"}), 422, "target_node_id"),
    ];
    for (body, status, field) in cases {
        let (got, response) = app.post("/clone-sessions", body.clone()).await;
        assert_eq!(got.as_u16(), status, "{body} → {response}");
        assert_eq!(response["success"], false);
        assert!(
            response["fields"].as_array().expect("fields").iter().any(|f| f["field"] == field),
            "{field}: {response}"
        );
    }
    let unknown = uuid::Uuid::new_v4();
    for (body, detail) in [
        (json!({"source_node_id": unknown, "target_node_id": target, "clone_mode": "direct"}), "Source node not found"),
        (json!({"source_node_id": source, "target_node_id": unknown, "clone_mode": "direct"}), "Target node not found"),
        (json!({"source_node_id": source, "staging_backend_id": unknown}), "Storage backend not found"),
    ] {
        let (status, response) = app.post("/clone-sessions", body).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(response["detail"], detail);
    }
    let (_, list) = app.get("/clone-sessions").await;
    assert_eq!(list["total"], 0, "no refused request left anything behind");
}

#[tokio::test(flavor = "multi_thread")]
async fn listing_filters_pages_and_counts_newest_first() {
    let app = TestApp::spawn().await;
    let mut ids = Vec::new();
    for _ in 0..5 {
        ids.push(app.direct_session().await["id"].as_str().expect("id").to_owned());
    }
    app.source_ready(&ids[0], 100).await;

    let (_, page) = app.get("/clone-sessions?limit=2&offset=1").await;
    assert_eq!(page["total"], 5);
    let listed: Vec<&str> =
        page["data"].as_array().expect("data").iter().map(|s| s["id"].as_str().expect("id")).collect();
    assert_eq!(listed, [ids[3].as_str(), ids[2].as_str()], "newest first");

    let (_, ready) = app.get("/clone-sessions?status=source_ready").await;
    assert_eq!(ready["total"], 1);
    assert_eq!(ready["data"][0]["id"], ids[0].as_str());
    let (_, all) = app.get("/clone-sessions").await;
    assert_eq!(all["total"], 5);
    // The same query after a change is answered afresh, not from the page cache.
    app.delete(&format!("/clone-sessions/{}", ids[4])).await;
    for (query, total) in [("", 4), ("?status=pending", 3), ("?status=source_ready", 1), ("?status=cloning", 0)] {
        let (_, page) = app.get(&format!("/clone-sessions{query}")).await;
        assert_eq!(page["total"], total, "{query}");
    }

    for query in ["limit=0", "limit=201", "offset=-1", "status=unknown", "limit=abc"] {
        let (status, body) = app.get(&format!("/clone-sessions?{query}")).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{query}: {body}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn patch_changes_a_pending_session_only() {
    let app = TestApp::spawn().await;
    let id: &str = &app.direct_session_id().await;
    let other_target = app.node("other").await;
    let (status, body) = app
        .patch(
            &format!("/clone-sessions/{id}"),
            json!({
                "name": "new name", "target_node_id": other_target, "resize_mode": "grow_target",
                "target_device": "/dev/nvme0n1"
            }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["name"], "new name");
    assert_eq!(body["data"]["target_node_name"], "other");
    assert_eq!(body["data"]["resize_mode"], "grow_target");
    assert_eq!(body["data"]["target_device"], "/dev/nvme0n1");

    let (status, _) =
        app.patch(&format!("/clone-sessions/{id}"), json!({"target_node_id": uuid::Uuid::new_v4()})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    app.source_ready(id, 100).await;
    let (status, body) = app.patch(&format!("/clone-sessions/{id}"), json!({"name": "late"})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["detail"], "Cannot update session in source_ready status");
}

#[tokio::test(flavor = "multi_thread")]
async fn delete_cancels_cloning_sessions_and_removes_others_keeping_their_history() {
    let app = TestApp::spawn().await;
    let pending = app.direct_session().await;
    let pending = pending["id"].as_str().expect("id");
    let (status, body) = app.delete(&format!("/clone-sessions/{pending}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["data"]["outcome"], "deleted");
    assert_eq!(app.get(&format!("/clone-sessions/{pending}")).await.0, StatusCode::NOT_FOUND);
    assert_eq!(app.delete(&format!("/clone-sessions/{pending}")).await.0, StatusCode::NOT_FOUND);
    let (status, history) = app.get(&format!("/clone-sessions/{pending}/history")).await;
    assert_eq!(status, StatusCode::OK);
    let types: Vec<&str> =
        history["data"].as_array().expect("timeline").iter().map(|e| e["event_type"].as_str().expect("t")).collect();
    assert_eq!(types.first(), Some(&"clone_session.created"));
    assert_eq!(types.last(), Some(&"clone_session.deleted"));

    let cloning = app.direct_session().await;
    let cloning = cloning["id"].as_str().expect("id");
    app.source_ready(cloning, 100).await;
    app.progress(cloning, 10).await;
    let (_, body) = app.delete(&format!("/clone-sessions/{cloning}")).await;
    assert_eq!(body["data"]["outcome"], "cancelled");
    let (_, view) = app.get(&format!("/clone-sessions/{cloning}")).await;
    assert_eq!(view["data"]["status"], "cancelled");
    assert!(view["data"]["completed_at"].is_string());
}

#[tokio::test(flavor = "multi_thread")]
async fn the_history_summarises_each_step() {
    let app = TestApp::spawn().await;
    let id: &str = &app.direct_session_id().await;
    app.source_ready(id, 500_107_862_016).await;
    let (_, history) = app.get(&format!("/clone-sessions/{id}/history")).await;
    let summaries: Vec<&str> =
        history["data"].as_array().expect("timeline").iter().map(|e| e["summary"].as_str().expect("s")).collect();
    assert!(summaries.contains(&"source ready at 10.0.0.5:9999, 500.1 GB on /dev/sda"), "{summaries:?}");
    assert_eq!(app.get(&format!("/clone-sessions/{}/history", uuid::Uuid::new_v4())).await.0, StatusCode::NOT_FOUND);
}

/// A command's response shows the state right after that command: ten
/// concurrent PATCHes each see their own change (one once showed another's,
/// read back from the query table after a later commit). The response is
/// built from the decision, and equals what a query shows afterwards.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_patches_each_answer_with_their_own_change() {
    let app = std::sync::Arc::new(TestApp::spawn().await);
    let session = app.direct_session().await;
    let id = session["id"].as_str().expect("id").to_owned();
    let node = session["source_node_id"].as_str().expect("node").to_owned();
    // With a credential, so the built view must show `has_*` as the row does.
    let config = json!({"bucket": "b", "secret_access_key": "s3cr3t"});
    let (_, backend) = app.post("/storage/backends", json!({"name": "b", "type": "s3", "config": config})).await;
    let backend = backend["data"]["id"].as_str().expect("backend").to_owned();
    let targets = [
        (format!("/clone-sessions/{id}"), "name"),
        (format!("/nodes/{node}"), "hostname"),
        (format!("/storage/backends/{backend}"), "name"),
    ];
    for (path, field) in &targets {
        let mut tasks = Vec::new();
        for n in 0..10 {
            let (app, path, field) = (app.clone(), path.clone(), *field);
            tasks.push(tokio::spawn(async move {
                let value = format!("conc-{n}");
                let (status, body) = app.patch(&path, json!({ field: value })).await;
                (value, status, body)
            }));
        }
        for task in tasks {
            let (value, status, body) = task.await.expect("task");
            assert_eq!(status, StatusCode::OK, "{path}: {body}");
            assert_eq!(body["data"][field], value.as_str(), "{path}: the response shows its own change");
        }
        let (status, patched) = app.patch(path, json!({ *field: "last" })).await;
        assert_eq!(status, StatusCode::OK, "{patched}");
        let (_, unchanged) = app.patch(path, json!({ *field: "last" })).await;
        let (_, fetched) = app.get(path).await;
        assert_eq!(patched["data"], fetched["data"], "{path}: the built view is the folded row");
        assert_eq!(unchanged["data"], fetched["data"], "{path}: a no-op answers the state it saw");
    }
}
