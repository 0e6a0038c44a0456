//! Nodes and storage backends.

use reqwest::StatusCode;
use serde_json::json;

use crate::support::{TestApp, concurrently};

#[tokio::test(flavor = "multi_thread")]
async fn nodes_can_be_registered_listed_changed_and_deleted() {
    let app = TestApp::spawn().await;
    let (status, created) = app
        .post(
            "/nodes",
            json!({"mac_address": "AA-BB-CC-00-11-22", "hostname": "n1", "ip_address": "10.1.0.1", "arch": "aarch64"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{created}");
    let node = &created["data"];
    assert_eq!(node["mac_address"], "aa:bb:cc:00:11:22");
    assert_eq!(node["state"], "discovered");
    let id = node["id"].as_str().expect("id");

    let (_, list) = app.get("/nodes?limit=10").await;
    assert_eq!(list["total"], 1);
    assert_eq!(list["data"][0]["hostname"], "n1");

    let (status, updated) = app
        .patch(&format!("/nodes/{id}"), json!({"hostname": "n1-renamed", "state": "active", "ip_address": null}))
        .await;
    assert_eq!(status, StatusCode::OK, "{updated}");
    assert_eq!(updated["data"]["hostname"], "n1-renamed");
    assert_eq!(updated["data"]["state"], "active");
    assert!(updated["data"]["ip_address"].is_null());
    assert_eq!(updated["data"]["arch"], "aarch64");

    assert_eq!(app.delete(&format!("/nodes/{id}")).await.0, StatusCode::OK);
    assert_eq!(app.get(&format!("/nodes/{id}")).await.0, StatusCode::NOT_FOUND);
    assert_eq!(app.delete(&format!("/nodes/{id}")).await.0, StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread")]
async fn mac_addresses_are_validated_and_unique_and_freed_on_delete() {
    let app = TestApp::spawn().await;
    let (status, body) = app.post("/nodes", json!({"mac_address": "not-a-mac", "hostname": "x"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["fields"][0]["field"], "mac_address");

    let (_, first) = app.post("/nodes", json!({"mac_address": "52:54:00:00:00:01", "hostname": "a"})).await;
    let (status, body) = app.post("/nodes", json!({"mac_address": "52:54:00:00:00:01", "hostname": "b"})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let (_, second) = app.post("/nodes", json!({"mac_address": "52:54:00:00:00:02", "hostname": "b"})).await;
    let second_id = second["data"]["id"].as_str().expect("id");
    let (status, _) = app.patch(&format!("/nodes/{second_id}"), json!({"mac_address": "52:54:00:00:00:01"})).await;
    assert_eq!(status, StatusCode::CONFLICT, "cannot take a MAC held by another node");

    app.delete(&format!("/nodes/{}", first["data"]["id"].as_str().expect("id"))).await;
    let (status, body) = app.patch(&format!("/nodes/{second_id}"), json!({"mac_address": "52:54:00:00:00:01"})).await;
    assert_eq!(status, StatusCode::OK, "a deleted node's MAC is free again: {body}");
    let (status, _) = app.post("/nodes", json!({"mac_address": "52:54:00:00:00:02", "hostname": "c"})).await;
    assert_eq!(status, StatusCode::OK, "the old MAC of the changed node is free");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_registrations_of_one_mac_admit_exactly_one() {
    let app = std::sync::Arc::new(TestApp::spawn().await);
    let statuses = concurrently(&app, 0..8, |app, n| async move {
        app.post("/nodes", json!({"mac_address": "52:54:00:ff:ff:ff", "hostname": format!("n{n}")})).await.0
    })
    .await;
    assert_eq!(statuses.iter().filter(|s| **s == StatusCode::OK).count(), 1, "{statuses:?}");
    assert!(statuses.iter().all(|s| *s == StatusCode::OK || *s == StatusCode::CONFLICT));
    assert_eq!(app.get("/nodes").await.1["total"], 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn storage_backends_have_unique_names_and_validated_types() {
    let app = TestApp::spawn().await;
    let (status, created) = app
        .post(
            "/storage/backends",
            json!({"name": "Lab", "type": "iscsi", "config": {"portal": "10.0.0.3", "target": "iqn.x"}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{created}");
    assert_eq!(created["data"]["type"], "iscsi");
    assert_eq!(created["data"]["config"]["target"], "iqn.x");
    assert_eq!(
        app.post("/storage/backends", json!({"name": "lab", "type": "http", "config": {"url": "u"}})).await.0,
        StatusCode::CONFLICT
    );
    let (status, body) = app.post("/storage/backends", json!({"name": "b", "type": "ftp"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["fields"][0]["field"], "type");
    assert_eq!(
        app.post("/storage/backends", json!({"name": "c", "type": "s3", "config": [1]})).await.0,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        app.post("/storage/backends", json!({"name": "", "type": "s3"})).await.0,
        StatusCode::UNPROCESSABLE_ENTITY
    );

    let id = created["data"]["id"].as_str().expect("id");
    let (_, renamed) = app.patch(&format!("/storage/backends/{id}"), json!({"name": "Lab 2"})).await;
    assert_eq!(renamed["data"]["name"], "Lab 2");
    assert_eq!(app.get("/storage/backends").await.1["total"], 1);
    assert_eq!(app.delete(&format!("/storage/backends/{id}")).await.0, StatusCode::OK);
    assert_eq!(app.get(&format!("/storage/backends/{id}")).await.0, StatusCode::NOT_FOUND);
}
