//! Cursors a client hands back (`?from=` on the WebSocket, `?after=` on
//! `/events`): one past the log's head is refused, the head itself is fine,
//! and every socket message's `prev_position` lets a client prove it missed
//! nothing although positions have gaps.

use serde_json::Value;

use crate::support::TestApp;

async fn log_head(app: &TestApp) -> i64 {
    pureboot::event_store::read::head(&app.db.client().await).await.expect("head")
}

fn assert_refused(status: reqwest::StatusCode, body: &Value, param: &str) {
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["success"], false, "{body}");
    assert_eq!(body["fields"][0]["field"], param, "{body}");
}

/// Given a log whose head is H, when a client resumes the socket from H+3 or
/// H+1000, or pages `/events` after H+1 (with or without a filter), then it
/// is told 422 naming the parameter, instead of silently missing what will
/// be written at H+1..H+3.
#[tokio::test]
async fn a_cursor_past_the_head_is_refused_on_every_cursor() {
    let app = TestApp::spawn().await;
    app.node("cursor-node").await;
    let head = log_head(&app).await;
    assert!(head > 0);

    for from in [head + 3, head + 1000] {
        let (status, body) = app.get(&format!("/ws?from={from}")).await;
        assert_refused(status, &body, "from");
    }
    for query in [format!("after={}", head + 1), format!("after={}&category=node", head + 1)] {
        let (status, body) = app.get(&format!("/events?{query}")).await;
        assert_refused(status, &body, "after");
    }
}

/// Given a log whose head is H, a cursor at H is accepted on both: `/events`
/// answers an empty last page, and the socket delivers the next event with
/// `prev_position` H.
#[tokio::test(flavor = "multi_thread")]
async fn a_cursor_at_the_head_is_accepted() {
    let app = TestApp::spawn().await;
    app.node("cursor-node").await;
    let head = log_head(&app).await;

    let (status, page) = app.get(&format!("/events?after={head}")).await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["data"], serde_json::json!([]));

    let mut ws = app.ws(&format!("?from={head}")).await;
    let id = app.node("next-node").await;
    let message = ws.until("node.created").await.pop().expect("node.created");
    assert_eq!(message["data"]["node_id"], id.as_str());
    assert_eq!(message["prev_position"], head, "{message}");
    assert!(message["position"].as_i64().expect("position") > head);
}

/// Node registrations also write uniqueness claims, which are never sent, so
/// the positions a client sees have gaps. `prev_position` chains the
/// messages regardless: each names the one before it on the connection, and
/// a resumed connection's first message names the `from` it resumed from,
/// even when that position is one that is never sent.
#[tokio::test(flavor = "multi_thread")]
async fn prev_position_chains_messages_across_unsent_events() {
    let app = TestApp::spawn().await;
    app.settle().await; // the hub has published the whole log
    let start = log_head(&app).await;
    let mut ws = app.ws("").await;
    let mut ids = Vec::new();
    for n in 0..3 {
        ids.push(app.node(&format!("chain-{n}")).await);
    }
    let mut messages = Vec::new();
    while messages.len() < ids.len() {
        messages.push(ws.next_json().await);
    }
    let positions: Vec<i64> = messages.iter().map(|m| m["position"].as_i64().expect("position")).collect();
    assert!(positions.windows(2).any(|w| w[1] - w[0] > 1), "positions have gaps: {positions:?}");
    assert_eq!(messages[0]["prev_position"], start, "the first names where the stream started");
    for pair in messages.windows(2) {
        assert_eq!(pair[1]["prev_position"], pair[0]["position"], "{pair:?}");
    }

    // Resume from a position that was never sent (the claim just before the
    // second registration's message).
    let unsent = positions[1] - 1;
    assert!(!positions.contains(&unsent));
    let mut resumed = app.ws(&format!("?from={unsent}")).await;
    let first = resumed.next_json().await;
    assert_eq!(first["position"], positions[1]);
    assert_eq!(first["prev_position"], unsent, "the first resumed message names the cursor");
    let second = resumed.next_json().await;
    assert_eq!(second["prev_position"], positions[1]);
}
