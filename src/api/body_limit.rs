//! Refusing a body that declares itself too large — without the refusal
//! being lost.
//!
//! Answering 413 and closing the connection while the client is still
//! sending leaves unread data in the socket, and the kernel then resets the
//! connection: the client may see "connection reset" instead of the 413. So
//! the rest of the body is read and thrown away first ("lingering close"),
//! bounded in bytes and time. Bodies without a declared length are still
//! limited by `DefaultBodyLimit` in the extractors.

use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::header::CONTENT_LENGTH;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use futures::StreamExt;

use crate::error::ApiError;

/// Most bytes read and discarded before answering 413.
const DRAIN_BYTES: u64 = 16 * 1024 * 1024;
/// Longest time spent discarding.
const DRAIN_TIME: Duration = Duration::from_secs(5);

/// Middleware: 413 for a declared length over `limit`, after draining.
pub async fn refuse_oversized(State(limit): State<usize>, request: Request, next: Next) -> Response {
    let declared = request.headers().get(CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    match declared {
        Some(length) if length > limit as u64 => {
            if length <= DRAIN_BYTES {
                let _ = tokio::time::timeout(DRAIN_TIME, drain(request.into_body())).await;
            }
            ApiError::PayloadTooLarge.into_response()
        }
        _ => next.run(request).await,
    }
}

async fn drain(body: Body) {
    let mut chunks = body.into_data_stream();
    while let Some(Ok(_)) = chunks.next().await {}
}
