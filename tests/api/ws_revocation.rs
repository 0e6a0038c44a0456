//! Revocation reaches open WebSockets (issue 20 item 2): a socket whose
//! token is revoked is closed with code 4001 within the bound in which the
//! token stops working for new requests (5 s), while other tokens' sockets
//! go on.

use std::time::{Duration, Instant};

use futures::StreamExt;
use pureboot::auth::{OperatorRole, operator_tokens};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

use crate::support::{TestApp, Ws};

async fn connect(app: &TestApp, token: &str) -> Ws {
    let url = format!("ws://{}/api/v1/ws?token={token}", app.addr);
    let (stream, _) = tokio_tungstenite::connect_async(url).await.expect("websocket connects");
    Ws { stream }
}

/// The close frame the server ends with (text messages before it skipped),
/// and how long it took; panics after `limit`.
async fn close_frame(ws: &mut Ws, limit: Duration) -> (u16, String, Duration) {
    let started = Instant::now();
    loop {
        let message = tokio::time::timeout(limit.saturating_sub(started.elapsed()), ws.stream.next())
            .await
            .expect("closed within the bound")
            .expect("a close frame before the end")
            .expect("a message");
        if let Message::Close(frame) = message {
            let frame = frame.expect("a close code");
            return (u16::from(frame.code), frame.reason.to_string(), started.elapsed());
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_revoked_viewer_token_closes_its_open_socket_with_4001() {
    // Given a viewer watching with its own token, and the admin watching too
    let app = TestApp::spawn().await;
    let viewer = operator_tokens::create(&app.db.pool(), "watcher", OperatorRole::Viewer).await.expect("token");
    let mut watched = connect(&app, &viewer).await;
    let mut admin = app.ws("").await;
    app.node("first").await;
    assert_eq!(watched.next_json().await["type"], "node.created", "the viewer's socket receives events");
    assert_eq!(admin.next_json().await["type"], "node.created");

    // When the viewer's token is revoked (what `pureboot token revoke` does)
    assert!(operator_tokens::revoke(&app.db.pool(), "watcher").await.expect("revoke"));

    // Then its socket is closed within 5 s, saying why
    let (code, reason, took) = close_frame(&mut watched, Duration::from_secs(5)).await;
    assert_eq!(code, 4001, "{reason}");
    assert_eq!(reason, "token revoked");
    assert!(took < Duration::from_secs(5), "{took:?}");
    assert_ne!(CloseCode::from(code), CloseCode::Normal);

    // and it cannot reconnect, while the admin's socket goes on
    let url = format!("ws://{}/api/v1/ws?token={viewer}", app.addr);
    assert!(tokio_tungstenite::connect_async(url).await.is_err(), "the handshake is refused (401)");
    app.node("second").await;
    assert_eq!(admin.next_json().await["type"], "node.created", "other tokens' sockets stay open");
}
