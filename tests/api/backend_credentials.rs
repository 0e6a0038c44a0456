//! Storage-backend configs are typed and their credentials sealed (issue 20
//! item 3): never in the log, a response or a WebSocket message.

use reqwest::StatusCode;
use serde_json::json;

use crate::support::{TestApp, scalar};

const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

#[tokio::test(flavor = "multi_thread")]
async fn a_backend_secret_is_sealed_and_only_its_presence_is_shown() {
    let app = TestApp::spawn().await;
    let mut ws = app.ws("").await;
    let config = json!({"bucket": "images", "access_key_id": "AKIAEXAMPLE", "secret_access_key": SECRET});
    let (status, created) = app.post("/storage/backends", json!({"name": "s3", "type": "s3", "config": config})).await;
    assert_eq!(status, StatusCode::OK, "{created}");
    assert_eq!(
        created["data"]["config"],
        json!({"bucket": "images", "access_key_id": "AKIAEXAMPLE", "has_secret_access_key": true})
    );
    let id = created["data"]["id"].as_str().expect("id").to_owned();
    let (_, read) = app.get(&format!("/storage/backends/{id}")).await;
    let (_, list) = app.get("/storage/backends").await;
    assert_eq!(created["data"], read["data"], "the response built from the state is the folded row");
    let messages = ws.until("storage.backend_created").await;

    let client = app.db.client().await;
    let owner = format!("storage_backend:{id}");
    let sealed: Vec<u8> = scalar(
        &client,
        "SELECT value FROM secrets WHERE owner = $1 AND kind = 'credential:secret_access_key'",
        &[&owner],
    )
    .await;
    assert!(!sealed.windows(16).any(|w| w == &SECRET.as_bytes()[..16]), "not stored in clear");
    let secret_box = app.master_key().await;
    let opened = secret_box.open(&format!("{owner}/credential:secret_access_key"), &sealed).expect("opens");
    assert_eq!(opened, SECRET.as_bytes());

    let events: String =
        scalar(&client, "SELECT string_agg(payload::text, E'\\n') FROM events WHERE stream = $1", &[&owner]).await;
    assert!(events.contains(r#""credentials": ["secret_access_key"]"#), "the log records that it is set: {events}");
    let (_, audit) = app.get("/events?limit=100").await;
    for (place, text) in [
        ("events", events),
        ("create response", created.to_string()),
        ("get", read.to_string()),
        ("list", list.to_string()),
        ("websocket", format!("{messages:?}")),
        ("audit", audit.to_string()),
    ] {
        assert!(!text.contains(SECRET), "the secret leaked into the {place}");
    }

    // A PATCH without the credential keeps it; null removes it; delete removes all.
    let (_, kept) = app.patch(&format!("/storage/backends/{id}"), json!({"config": {"bucket": "other"}})).await;
    assert_eq!(kept["data"]["config"]["has_secret_access_key"], true, "{kept}");
    let (_, removed) = app
        .patch(&format!("/storage/backends/{id}"), json!({"config": {"bucket": "other", "secret_access_key": null}}))
        .await;
    assert_eq!(removed["data"]["config"]["has_secret_access_key"], false, "{removed}");
    assert_eq!(count(&client, &owner).await, 0, "the sealed value went with it");
    app.patch(&format!("/storage/backends/{id}"), json!({"config": {"bucket": "b", "secret_access_key": "again"}}))
        .await;
    assert_eq!(count(&client, &owner).await, 1);
    assert_eq!(app.delete(&format!("/storage/backends/{id}")).await.0, StatusCode::OK);
    assert_eq!(count(&client, &owner).await, 0, "deleting the backend destroys its credentials");
}

#[tokio::test(flavor = "multi_thread")]
async fn backend_configs_are_typed_and_bounded() {
    let app = TestApp::spawn().await;
    let cases = [
        (
            json!({"name": "a", "type": "nfs", "config": {"server": "s", "export": "/e", "secret": "x"}}),
            "unknown field `secret`",
        ),
        (json!({"name": "b", "type": "s3", "config": {"bucket": "b", "server": "x"}}), "unknown field `server`"),
        (json!({"name": "c", "type": "http", "config": {}}), "missing field `url`"),
        (json!({"name": "d", "type": "s3", "config": {"bucket": {"deep": {"deeper": [1]}}}}), "invalid type"),
        (json!({"name": "e", "type": "s3", "config": {"bucket": "x".repeat(200_000)}}), "at most 1024 characters"),
    ];
    for (body, expected) in cases {
        let (status, response) = app.post("/storage/backends", body.clone()).await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            &response.to_string()[..200.min(response.to_string().len())]
        );
        let detail = response["detail"].as_str().expect("detail");
        assert!(detail.contains(expected), "{expected}: {}", &detail[..detail.len().min(200)]);
    }
    let huge = format!(r#"{{"name": "f", "type": "s3", "config": {{"bucket": "{}"}}}}"#, "x".repeat(900_000));
    let (status, _) = app.post_raw("/storage/backends", huge).await;
    assert!(
        status == StatusCode::PAYLOAD_TOO_LARGE || status == StatusCode::UNPROCESSABLE_ENTITY,
        "a 900 KB config is refused: {status}"
    );
    let (status, body) = app
        .post("/storage/backends", json!({"name": "g", "type": "iscsi", "config": {"portal": "p", "target": "t"}}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let id = body["data"]["id"].as_str().expect("id");
    let (status, body) = app.patch(&format!("/storage/backends/{id}"), json!({"type": "nfs"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "a new type needs its config: {body}");
    assert_eq!(app.get("/storage/backends").await.1["total"], 1, "nothing refused was written");
}

async fn count(client: &tokio_postgres::Client, owner: &str) -> i64 {
    scalar(client, "SELECT count(*) FROM secrets WHERE owner = $1", &[&owner]).await
}

/// Backends created before credentials were sealed left them in clear in the
/// log (schema 1), which cannot be rewritten: they are dropped when read.
#[tokio::test(flavor = "multi_thread")]
async fn secrets_in_events_written_before_sealing_are_never_shown() {
    let db = crate::support::TestDb::new().await;
    let id = uuid::Uuid::new_v4();
    let payload = json!({"id": id, "name": "old", "type": "s3", "at": "2026-01-01T00:00:00Z",
                         "config": {"bucket": "b", "secret_access_key": SECRET}});
    db.client()
        .await
        .execute(
            "INSERT INTO events (stream, version, event_type, schema_version, payload)
             VALUES ($1, 1, 'storage_backend.created', 1, $2)",
            &[&format!("storage_backend:{id}"), &payload],
        )
        .await
        .expect("a version 1 event");
    let app = TestApp::spawn_with(db, &[]).await;
    let (status, read) = app.get(&format!("/storage/backends/{id}")).await;
    assert_eq!(status, StatusCode::OK, "{read}");
    assert_eq!(read["data"]["config"], json!({"bucket": "b", "has_secret_access_key": false}));
    let (_, audit) = app.get("/events?limit=100").await;
    assert!(audit.to_string().contains("storage_backend.created"), "{audit}");
    assert!(!audit.to_string().contains(SECRET), "the audit hides it");
}
