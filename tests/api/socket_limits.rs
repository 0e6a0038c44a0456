//! Per-connection bounds of the WebSocket: a client that stops reading is
//! cut off in bounded time with a bounded kernel send queue, and a client's
//! close frame is answered with one, during backlog replay too.

use std::time::{Duration, Instant};

use futures::{SinkExt, StreamExt};
use serde_json::json;
use tokio::net::TcpStream;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

use crate::metrics::{parse, value};
use crate::support::{ADMIN_TOKEN, TestApp, TestDb};

/// A socket whose receive window is tiny, so the server's sends back up
/// after a few kilobytes the client does not read.
async fn slow_reader(app: &TestApp, query: &str) -> (WebSocketStream<TcpStream>, u16) {
    let socket = tokio::net::TcpSocket::new_v4().expect("socket");
    socket.set_recv_buffer_size(4096).expect("SO_RCVBUF");
    let tcp = socket.connect(app.addr).await.expect("connect");
    let port = tcp.local_addr().expect("local addr").port();
    let url = format!("ws://{}/api/v1/ws?token={ADMIN_TOKEN}{query}", app.addr);
    let (ws, _) = tokio_tungstenite::client_async(url, tcp).await.expect("handshake");
    (ws, port)
}

/// Publishes `count` messages of ~4 KB each (failed sessions with a long
/// error) between two nodes registered once.
async fn publish_large(app: &TestApp, nodes: &(String, String), count: usize) {
    let error = "x".repeat(4000);
    for _ in 0..count {
        let (status, body) = app
            .post(
                "/clone-sessions",
                json!({"name": "bulk", "clone_mode": "direct", "source_node_id": nodes.0, "target_node_id": nodes.1}),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        let id = body["data"]["id"].as_str().expect("id");
        let (status, body) =
            app.as_node(id, "target").post(&format!("/clone-sessions/{id}/failed?error={error}"), json!({})).await;
        assert_eq!(status, 200, "{body}");
    }
}

/// The server's side of the connection to `client_port`, from the kernel's
/// table: (TCP state, bytes in its send queue); `None` once it is gone.
fn server_side(server_port: u16, client_port: u16) -> Option<(u8, u64)> {
    let table = std::fs::read_to_string("/proc/net/tcp").expect("/proc/net/tcp");
    let port = |address: &str| address.rsplit(':').next().and_then(|p| u16::from_str_radix(p, 16).ok());
    table.lines().skip(1).find_map(|line| {
        let fields: Vec<&str> = line.split_whitespace().collect();
        if port(fields[1]) != Some(server_port) || port(fields[2]) != Some(client_port) {
            return None;
        }
        let state = u8::from_str_radix(fields[3], 16).ok()?;
        let tx_queue = u64::from_str_radix(fields[4].split(':').next()?, 16).ok()?;
        Some((state, tx_queue))
    })
}

const ESTABLISHED: u8 = 1;

/// Given a client that connects and never reads, when the hub keeps
/// publishing, then the server drops the connection within the send timeout
/// of its buffers filling, and the kernel never queues more than the capped
/// send buffer for it (it used to hold up to 4 MiB, forever).
#[tokio::test(flavor = "multi_thread")]
async fn a_client_that_never_reads_is_disconnected_in_bounded_time() {
    let app = TestApp::spawn_with(TestDb::new().await, &["--ws-send-timeout-ms", "1000"]).await;
    let nodes = (app.node("src").await, app.node("dst").await);
    let (_ws, client_port) = slow_reader(&app, "").await;

    assert_eq!(server_side(app.addr.port(), client_port).map(|s| s.0), Some(ESTABLISHED), "found in the table");
    let started = Instant::now();
    let mut most_queued = 0;
    let mut dropped_after = None;
    for round in 0..150 {
        publish_large(&app, &nodes, 2).await;
        match server_side(app.addr.port(), client_port) {
            Some((ESTABLISHED, queued)) => most_queued = most_queued.max(queued),
            _ => {
                dropped_after = Some(round);
                break;
            }
        }
        if started.elapsed() > Duration::from_secs(60) {
            break;
        }
    }
    assert!(dropped_after.is_some(), "still connected after {:?}", started.elapsed());
    assert!(started.elapsed() < Duration::from_secs(60));
    assert!(most_queued <= 256 * 1024, "the send queue held {most_queued} bytes");

    // and /metrics counts it as dropped
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let url = format!("http://{}/metrics", app.addr);
        let text = app.http.get(url).bearer_auth(ADMIN_TOKEN).send().await.expect("scrape").text().await.expect("text");
        let dropped = value(&parse(&text), "pureboot_ws_dropped_total", &serde_json::Value::Null);
        if dropped == 1.0 {
            break;
        }
        assert!(Instant::now() < deadline, "pureboot_ws_dropped_total is {dropped}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Given an open socket, when the client sends a close frame, then it gets a
/// close frame back (a clean close, not 1006).
#[tokio::test]
async fn a_close_frame_is_answered_with_a_close_frame() {
    let app = TestApp::spawn().await;
    let mut ws = app.ws("").await;
    let bye = CloseFrame { code: CloseCode::Normal, reason: "bye".into() };
    ws.stream.send(Message::Close(Some(bye))).await.expect("close sent");
    let answer = tokio::time::timeout(Duration::from_secs(10), ws.stream.next()).await.expect("an answer within 10 s");
    match answer {
        Some(Ok(Message::Close(Some(frame)))) => assert_eq!(frame.code, CloseCode::Normal),
        other => panic!("expected a close frame, got {other:?}"),
    }
}

/// Given a backlog larger than the socket's buffers, when a client resumes
/// from 0, reads nothing and sends a close frame, then the close is answered
/// while the replay is still under way: the client reads part of the backlog
/// and then the close frame, not the whole backlog and then a reset.
#[tokio::test(flavor = "multi_thread")]
async fn a_close_during_backlog_replay_is_answered() {
    let app = TestApp::spawn_with(TestDb::new().await, &["--ws-send-timeout-ms", "5000"]).await;
    let nodes = (app.node("src").await, app.node("dst").await);
    let backlog = 80;
    publish_large(&app, &nodes, backlog).await;

    let (mut ws, _) = slow_reader(&app, "&from=0").await;
    tokio::time::sleep(Duration::from_millis(300)).await; // the replay fills the buffers
    let bye = CloseFrame { code: CloseCode::Normal, reason: "bye".into() };
    ws.send(Message::Close(Some(bye))).await.expect("close sent");

    let mut failures = 0;
    let answer = tokio::time::timeout(Duration::from_secs(20), async {
        loop {
            match ws.next().await {
                Some(Ok(Message::Text(text))) if text.contains("clone.failed") => failures += 1,
                Some(Ok(Message::Close(frame))) => return Ok(frame),
                Some(Ok(_)) => {}
                other => return Err(format!("{other:?}")),
            }
        }
    })
    .await
    .expect("the close is answered within 20 s");
    let frame = answer.expect("a close frame, not a reset").expect("with a code");
    assert_eq!(frame.code, CloseCode::Normal);
    assert!(failures < backlog, "the replay stopped at the close ({failures} of {backlog} sent)");
}
