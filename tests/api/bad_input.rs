//! Malformed input: always a JSON error with the right status, never a 500,
//! never a partial write.

use reqwest::StatusCode;
use serde_json::json;

use crate::support::{TestApp, concurrently};

#[tokio::test(flavor = "multi_thread")]
async fn malformed_requests_get_json_errors_with_the_right_status() {
    let app = TestApp::spawn().await;
    let cases: Vec<(&str, String, StatusCode)> = vec![
        ("/nodes", "{not json".into(), StatusCode::BAD_REQUEST),
        ("/nodes", "[1, 2]".into(), StatusCode::UNPROCESSABLE_ENTITY),
        ("/nodes", r#"{"mac_address": 5, "hostname": "x"}"#.into(), StatusCode::UNPROCESSABLE_ENTITY),
        (
            "/nodes",
            r#"{"mac_address": "52:54:00:00:00:09", "hostname": "x", "state": "sleeping"}"#.into(),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        ("/clone-sessions", r#"{"source_node_id": "#.into(), StatusCode::BAD_REQUEST),
        (
            "/nodes",
            format!(r#"{{"mac_address": "52:54:00:00:00:09", "hostname": "{}"}}"#, "x".repeat(2 * 1024 * 1024)),
            StatusCode::PAYLOAD_TOO_LARGE,
        ),
    ];
    for (path, body, expected) in cases {
        let (status, response) = app.post_raw(path, body.clone()).await;
        assert_eq!(status, expected, "{path} {}: {response}", &body[..body.len().min(60)]);
        assert_eq!(response["success"], false);
        assert!(response["detail"].is_string());
    }
    assert_eq!(app.get("/nodes").await.1["total"], 0, "nothing was written");
}

#[tokio::test]
async fn ids_that_are_not_uuids_are_a_400() {
    let app = TestApp::spawn().await;
    for path in ["/clone-sessions/abc", "/nodes/123", "/storage/backends/x", "/clone-sessions/abc/history"] {
        let (status, body) = app.get(path).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}: {body}");
        assert!(body["detail"].as_str().expect("detail").contains("UUID"));
    }
    let (status, _) = app.post("/clone-sessions/abc/complete", json!({})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn health_and_readiness_answer() {
    let app = TestApp::spawn().await;
    assert_eq!(app.get("/health").await.1["status"], "ok");
    let (status, ready) = app.get("/ready").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(ready["database"], true);
}

#[tokio::test]
async fn every_response_carries_a_request_id_and_the_log_records_it() {
    let app = TestApp::spawn().await;
    let response = app
        .http
        .post(app.url("/nodes"))
        .bearer_auth(crate::support::ADMIN_TOKEN)
        .header("x-request-id", "trace-123")
        .json(&json!({"mac_address": "52:54:00:00:00:10", "hostname": "x"}))
        .send()
        .await
        .expect("post");
    assert_eq!(response.headers()["x-request-id"], "trace-123");
    let generated = app.http.get(app.url("/health")).send().await.expect("get");
    assert!(!generated.headers()["x-request-id"].is_empty());
    let client = app.db.client().await;
    let row = client
        .query_one("SELECT request_id, remote_addr FROM events WHERE event_type = 'node.registered'", &[])
        .await
        .expect("event");
    assert_eq!(row.get::<_, Option<String>>(0).as_deref(), Some("trace-123"));
    assert_eq!(row.get::<_, Option<String>>(1).as_deref(), Some("127.0.0.1"));
}

/// Found by fuzzing: U+0000 cannot be stored in PostgreSQL text. It is a
/// 422 at the edge, and it never fails other requests committed beside it.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn nul_characters_are_refused_without_harming_other_requests() {
    let app = std::sync::Arc::new(TestApp::spawn().await);
    let answers = concurrently(&app, 0..30, |app, n| async move {
        let hostname = if n % 5 == 0 { "bad\u{0}name".to_owned() } else { format!("host-{n}") };
        let mac = format!("52:54:00:00:66:{n:02x}");
        (n % 5 == 0, app.post("/nodes", json!({"mac_address": mac, "hostname": hostname})).await)
    })
    .await;
    for (bad, (status, body)) in answers {
        let expected = if bad { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
        assert_eq!(status, expected, "{body}");
    }
    let (status, body) =
        app.post("/storage/backends", json!({"name": "b", "type": "nfs", "config": {"k\u{0}": 1}})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["fields"][0]["field"], "config.k\u{0}");
    let (status, _) = app.get("/events?actor=a%00b").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
}

/// Found by fuzzing: a number at the edge of f64 once stalled every
/// projection. Backend configs (the only free-form JSON that reached the log)
/// are typed now: such numbers are refused at the edge.
#[tokio::test]
async fn extreme_numbers_are_refused_and_the_projections_keep_going() {
    let app = TestApp::spawn().await;
    let config = json!({"bucket": -1.7976931348623157e308, "region": 5e-324, "prefix": u64::MAX});
    let (status, body) = app.post("/storage/backends", json!({"name": "big", "type": "s3", "config": config})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, body) = app.post("/nodes", json!({"mac_address": "52:54:00:00:67:01", "hostname": "after"})).await;
    assert_eq!(status, StatusCode::OK, "the projections kept going: {body}");
    assert_eq!(app.get("/ready").await.1["projections_failing"], false);
}

/// Every extractor answers the JSON error shape, and every text bound for the
/// log passes the same U+0000 check: `?error=` of `failed` once went through
/// another extractor that let a NUL reach PostgreSQL (500) and answered a
/// repeated parameter with a plain-text 400.
#[tokio::test(flavor = "multi_thread")]
async fn query_errors_are_json_422s_naming_the_parameter_whoever_asks() {
    let app = TestApp::spawn().await;
    let id: &str = &app.direct_session_id().await;
    for token in [app.node_token(id, "target"), crate::support::ADMIN_TOKEN.to_owned()] {
        for query in ["error=x%00y", "error=a&error=b", "error=ok&n%00ame=1"] {
            let path = format!("/clone-sessions/{id}/failed?{query}");
            let (status, body) = app.call(reqwest::Method::POST, &path, Some(&token), None).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{query}: {body}");
            assert_eq!(body["success"], false);
            let field = body["fields"][0]["field"].as_str().expect("field");
            assert!(["error", "query"].contains(&field), "{query}: {body}");
        }
    }
    let (status, body) = app.get("/nodes?limit=1&limit=2").await;
    assert_eq!((status, &body["fields"][0]["field"]), (StatusCode::UNPROCESSABLE_ENTITY, &json!("limit")), "{body}");
    assert_eq!(app.get(&format!("/clone-sessions/{id}")).await.1["data"]["status"], "pending", "nothing was written");
}

/// A path that exists asked with a method it lacks (once an empty 405) and a
/// path that does not exist both answer the JSON error shape.
#[tokio::test]
async fn wrong_methods_and_unknown_routes_are_json_errors() {
    let app = TestApp::spawn().await;
    for (method, path) in [
        (reqwest::Method::PUT, "/nodes"),
        (reqwest::Method::DELETE, "/clone-sessions"),
        (reqwest::Method::PATCH, "/health"),
    ] {
        let response = app
            .http
            .request(method.clone(), app.url(path))
            .bearer_auth(crate::support::ADMIN_TOKEN)
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED, "{method} {path}");
        assert!(response.headers().contains_key("allow"), "{method} {path}: the Allow header stays");
        let body: serde_json::Value = response.json().await.expect("a JSON body");
        assert_eq!(body["success"], false, "{body}");
        assert_eq!(body["error"], "Method not allowed", "{body}");
    }
    for (method, path) in [(reqwest::Method::GET, "/no-such-thing"), (reqwest::Method::POST, "/nodes/x/y/z")] {
        let (status, body) = app.call(method.clone(), path, Some(crate::support::ADMIN_TOKEN), None).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{method} {path}: {body}");
        assert_eq!(body["success"], false);
    }
}

/// The spec's envelopes always carry `message` (null when there is nothing to
/// say): generated clients read the key unconditionally.
#[tokio::test(flavor = "multi_thread")]
async fn every_envelope_carries_a_message_key() {
    let app = TestApp::spawn().await;
    let session = app.direct_session().await;
    let id = session["id"].as_str().expect("id");
    let node = session["source_node_id"].as_str().expect("node");
    let responses = [
        ("GET one", app.get(&format!("/clone-sessions/{id}")).await),
        ("GET list", app.get("/clone-sessions").await),
        ("GET node", app.get(&format!("/nodes/{node}")).await),
        ("PATCH", app.patch(&format!("/clone-sessions/{id}"), json!({"name": "renamed"})).await),
        ("callback", app.source_ready(id, 1000).await),
        ("progress", app.progress(id, 10).await),
        ("report", app.get("/reports/clones").await),
        ("audit", app.get("/events").await),
    ];
    for (kind, (status, body)) in responses {
        assert_eq!(status, StatusCode::OK, "{kind}: {body}");
        assert!(body.as_object().expect("object").contains_key("message"), "{kind}: {body}");
    }
}

/// Every operation of the document, with `{id}`, `{op_id}` and `{device}`
/// filled in: (method, path under `/api/v1`).
fn every_operation() -> Vec<(reqwest::Method, String)> {
    let document: serde_json::Value = serde_json::from_str(&pureboot::api::openapi_json()).expect("document");
    let id = uuid::Uuid::new_v4().to_string();
    let mut operations = Vec::new();
    for (path, item) in document["paths"].as_object().expect("paths") {
        let Some(path) = path.strip_prefix("/api/v1") else { continue };
        let path = path.replace("{id}", &id).replace("{op_id}", "1").replace("{device}", "sda");
        for method in item.as_object().expect("path item").keys() {
            operations.push((method.to_uppercase().parse().expect("method"), path.clone()));
        }
    }
    operations
}

#[tokio::test]
async fn a_query_parameter_an_operation_does_not_declare_is_a_422_naming_it() {
    let app = TestApp::spawn().await;
    // The instance reported: the CSV report moved to its own path, and the old
    // parameter used to answer JSON as if it were absent.
    let (status, body) = app.get("/reports/clones?format=csv").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["fields"][0]["field"], "format", "{body}");
    assert_eq!(
        body["fields"][0]["message"],
        "not a query parameter of this operation, which takes: from, group_by, to"
    );
    // The kind: every operation, whatever its method, before anything is read or written
    let operations = every_operation();
    assert!(operations.len() > 50, "{} operations", operations.len());
    for (method, path) in operations {
        let (status, body) = app.call(method.clone(), &format!("{path}?limit=5&stauts=done"), None, None).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{method} {path}: {body}");
        let named = body["fields"][0]["field"].as_str().expect("a field");
        assert!(named == "stauts" || named == "limit", "{method} {path}: {body}");
    }
    // Declared parameters still work, the WebSocket's query token included
    assert_eq!(app.get("/reports/clones?group_by=status").await.0, StatusCode::OK);
    assert_eq!(app.get("/nodes?limit=5&offset=0").await.0, StatusCode::OK);
    assert_eq!(app.get("/nodes").await.1["total"], 0, "nothing was written");
}
