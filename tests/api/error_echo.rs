//! Error responses quote what the client sent, but never more than about a
//! kilobyte of it, whatever produced the message.

use reqwest::Method;
use serde_json::{Value, json};

use crate::support::TestApp;

fn assert_clipped(what: &str, status: reqwest::StatusCode, body: &Value) {
    assert!(status.is_client_error(), "{what}: {status}");
    let text = body.to_string();
    assert!(text.len() < 4000, "{what}: a {} byte answer: {}", text.len(), &text[..300.min(text.len())]);
    assert!(text.contains("characters left out"), "{what}: says that it clipped: {text}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_huge_offending_value_is_echoed_clipped() {
    let app = TestApp::spawn().await;
    let huge = "x".repeat(100_000);
    let source = app.node("s").await;
    let target = app.node("t").await;
    // serde's "unknown variant `…`" (a 422 with the value in detail and in the field's message)
    let session = json!({"clone_mode": huge, "source_node_id": source, "target_node_id": target});
    let (status, body) = app.post("/clone-sessions", session).await;
    assert_clipped("an unknown enum value", status, &body);
    assert_eq!(body["fields"][0]["field"], "clone_mode", "the field is still named: {body}");
    // an unknown key: the field path itself is the long part
    let backend = json!({"name": "b", "type": "s3", "config": { huge.clone(): "v" }});
    let (status, body) = app.post("/storage/backends", backend).await;
    assert_clipped("an unknown key", status, &body);
    // a query value that is no number
    let (status, body) = app.call(Method::GET, &format!("/events?category={}", "z".repeat(5000)), None, None).await;
    assert!(status.as_u16() == 401, "anonymous callers learn nothing of their query: {body}");
    let (status, body) = app.get(&format!("/events?category={}", "z".repeat(5000))).await;
    assert_clipped("a query value", status, &body);
    // an id that is no UUID
    let (status, body) = app.get(&format!("/nodes/{}", "y".repeat(5000))).await;
    assert_clipped("a path id", status, &body);
}
