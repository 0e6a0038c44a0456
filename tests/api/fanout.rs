//! The WebSocket: spec payloads, resuming with ?from= without gaps or
//! duplicates, ping/pong.

use serde_json::{Value, json};

use crate::support::TestApp;

#[tokio::test(flavor = "multi_thread")]
async fn a_session_lifecycle_arrives_as_the_spec_messages_in_order() {
    let app = TestApp::spawn().await;
    let mut ws = app.ws("").await;
    let session = app.direct_session().await;
    let id = session["id"].as_str().expect("id");
    app.source_ready(id, 2_000).await;
    app.progress(id, 500).await;
    app.as_node(id, "target").post(&format!("/clone-sessions/{id}/complete"), json!({})).await;

    let messages = ws.until("clone.completed").await;
    let clone: Vec<&Value> = messages.iter().filter(|m| m["data"]["session_id"] == id).collect();
    let kinds: Vec<&str> = clone.iter().map(|m| m["type"].as_str().expect("type")).collect();
    assert_eq!(kinds, ["clone.created", "clone.started", "clone.source_ready", "clone.progress", "clone.completed"]);
    let positions: Vec<i64> = messages.iter().map(|m| m["position"].as_i64().expect("position")).collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "positions increase: {positions:?}");
    assert!(messages.iter().all(|m| m["timestamp"].is_string()));

    assert_eq!(
        clone[1]["data"],
        json!({
            "session_id": id, "source_node_id": session["source_node_id"], "target_node_id": session["target_node_id"]
        })
    );
    assert_eq!(
        clone[2]["data"],
        json!({"session_id": id, "source_ip": "10.0.0.5", "source_port": 9999, "size_bytes": 2000})
    );
    assert_eq!(
        clone[3]["data"],
        json!({"session_id": id, "bytes_transferred": 500, "bytes_total": 2000, "progress_percent": 25.0,
               "transfer_rate_bps": 1000, "status": "transferring"})
    );
    assert!(clone[4]["data"]["duration_seconds"].is_i64());
}

#[tokio::test(flavor = "multi_thread")]
async fn failures_and_cancellations_are_broadcast() {
    let app = TestApp::spawn().await;
    let mut ws = app.ws("").await;
    let failing = app.direct_session().await;
    let failing = failing["id"].as_str().expect("id");
    app.as_node(failing, "target")
        .post(&format!("/clone-sessions/{failing}/failed?error=bad%20sector"), json!({}))
        .await;
    let failed = ws.until("clone.failed").await.pop().expect("failed");
    assert_eq!(failed["data"], json!({"session_id": failing, "error": "bad sector"}));

    let cancelled = app.direct_session().await;
    let cancelled = cancelled["id"].as_str().expect("id");
    app.source_ready(cancelled, 10).await;
    app.progress(cancelled, 1).await;
    app.delete(&format!("/clone-sessions/{cancelled}")).await;
    let message = ws.until("clone.cancelled").await.pop().expect("cancelled");
    assert_eq!(message["data"], json!({"session_id": cancelled}));
}

/// Given a client that saw up to position P and went away, when it
/// reconnects with ?from=P, then it receives exactly what it missed (from the
/// log) followed by live messages: no gap, no duplicate.
#[tokio::test(flavor = "multi_thread")]
async fn reconnecting_with_from_replays_exactly_what_was_missed() {
    let app = TestApp::spawn().await;
    let mut first = app.ws("").await;
    let session = app.direct_session().await;
    let id = session["id"].as_str().expect("id").to_owned();
    let seen = first.until("clone.created").await;
    let last_seen = seen.last().expect("created")["position"].as_i64().expect("position");
    drop(first);

    app.source_ready(&id, 1_000).await;
    for bytes in [100, 200, 300] {
        app.progress(&id, bytes).await;
    }
    let client = app.db.client().await;
    let missed: Vec<i64> = pureboot::event_store::read::read_after(&client, last_seen, 1_000)
        .await
        .expect("log")
        .iter()
        .filter_map(pureboot::fanout::messages::to_message)
        .map(|frame| frame.position)
        .collect();
    assert_eq!(missed.len(), 5, "started, source_ready and three progress messages were missed");

    let mut resumed = app.ws(&format!("?from={last_seen}")).await;
    let mut replayed = Vec::new();
    for _ in 0..missed.len() {
        replayed.push(resumed.next_json().await["position"].as_i64().expect("position"));
    }
    assert_eq!(replayed, missed, "exactly the missed messages, in order");

    app.progress(&id, 400).await;
    let live = resumed.next_json().await;
    assert!(live["position"].as_i64().expect("position") > *missed.last().expect("last"), "no duplicate");
    assert_eq!(live["type"], "clone.progress");
    assert_eq!(live["data"]["bytes_transferred"], 400);
}

#[tokio::test]
async fn ping_is_answered_with_pong() {
    let app = TestApp::spawn().await;
    let mut ws = app.ws("").await;
    ws.send_json(json!({"type": "ping"})).await;
    assert_eq!(ws.next_json().await, json!({"type": "pong"}));
}

#[tokio::test]
async fn a_negative_from_is_refused() {
    let app = TestApp::spawn().await;
    let (status, body) = app.get("/ws?from=-1").await;
    assert_eq!(status, 422, "{body}");
}

/// Clients only send pings: a huge message ends the connection instead of
/// being buffered.
#[tokio::test]
async fn an_oversized_client_message_closes_the_socket() {
    use futures::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message;
    let app = TestApp::spawn().await;
    let mut ws = app.ws("").await;
    let huge = format!("{{\"type\":\"ping\",\"pad\":\"{}\"}}", "x".repeat(64 * 1024));
    let _ = ws.stream.send(Message::Text(huge.into())).await;
    let ended = tokio::time::timeout(std::time::Duration::from_secs(10), async {
        loop {
            match ws.stream.next().await {
                None | Some(Err(_)) | Some(Ok(Message::Close(_))) => return true,
                Some(Ok(Message::Text(text))) if text.contains("pong") => return false,
                Some(Ok(_)) => continue,
            }
        }
    })
    .await
    .expect("the server reacts within 10 s");
    assert!(ended, "the oversized message was refused, not answered");
}
