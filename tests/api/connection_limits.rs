//! Connection bounds (issue 20 item 5): a connection that sends nothing, or
//! stops halfway through its header, is closed within the header-read
//! timeout, and at most `--max-connections` are open at once (more wait,
//! unanswered, until one closes).

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::support::{TestApp, TestDb};

/// Reads until the server closes the connection (panics after `limit`).
async fn closed_within(stream: &mut TcpStream, limit: Duration) {
    let started = Instant::now();
    let mut buf = [0u8; 1024];
    loop {
        match tokio::time::timeout(limit.saturating_sub(started.elapsed()), stream.read(&mut buf)).await {
            Ok(Ok(0) | Err(_)) => return,
            Ok(Ok(_)) => {}
            Err(_) => panic!("still open after {limit:?}"),
        }
    }
}

async fn health(app: &TestApp) -> u16 {
    let response = app.http.get(app.url("/health")).timeout(Duration::from_secs(10)).send().await.expect("health");
    response.status().as_u16()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_silent_or_half_sent_header_is_cut_off_by_the_header_read_timeout() {
    // Given a controller that waits at most 1 s for a request's header
    let app = TestApp::spawn_with(TestDb::new().await, &["--header-read-timeout-ms", "1000"]).await;

    // When one client sends nothing and another half a header
    let started = Instant::now();
    let mut silent = TcpStream::connect(app.addr).await.expect("connect");
    let mut half = TcpStream::connect(app.addr).await.expect("connect");
    half.write_all(b"GET /api/v1/health HTTP/1.1\r\nHost: pureboot\r\nX-Slow: ").await.expect("write");

    // Then both are closed within the bound (and not long before it)
    for (what, stream) in [("silent", &mut silent), ("half a header", &mut half)] {
        closed_within(stream, Duration::from_secs(4)).await;
        let took = started.elapsed();
        assert!(took >= Duration::from_millis(800), "{what}: closed after {took:?}, before the timeout");
        assert!(took < Duration::from_secs(4), "{what}: closed after {took:?}");
    }

    // And a kept-alive connection that idles after a request is closed too
    let mut idle = TcpStream::connect(app.addr).await.expect("connect");
    idle.write_all(b"GET /api/v1/health HTTP/1.1\r\nHost: pureboot\r\n\r\n").await.expect("write");
    let mut first = [0u8; 12];
    idle.read_exact(&mut first).await.expect("an answer");
    assert_eq!(&first, b"HTTP/1.1 200");
    closed_within(&mut idle, Duration::from_secs(4)).await;

    // while ordinary requests are served as before
    assert_eq!(health(&app).await, 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn connections_beyond_the_limit_wait_until_one_closes() {
    // Given a controller that keeps at most 2 connections open, one held by
    // a WebSocket (upgraded connections count too), one by a client that
    // sends nothing
    let extra = ["--max-connections", "2", "--header-read-timeout-ms", "60000"];
    let app = TestApp::spawn_with(TestDb::new().await, &extra).await;
    let _watching = app.ws("").await;
    let first = TcpStream::connect(app.addr).await.expect("connect");
    tokio::time::sleep(Duration::from_millis(200)).await;

    // When a third client asks, it is not answered while both are open
    let app = std::sync::Arc::new(app);
    let waiting = tokio::spawn({
        let app = app.clone();
        async move { health(&app).await }
    });
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert!(!waiting.is_finished(), "answered beyond the connection limit");

    // Then once one of them closes, it is
    drop(first);
    let status = tokio::time::timeout(Duration::from_secs(5), waiting).await.expect("answered").expect("task");
    assert_eq!(status, 200);
}
