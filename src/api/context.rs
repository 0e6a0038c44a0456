//! Who is asking and through which request: the metadata every appended
//! event records. The request id is taken from `X-Request-Id` when the client
//! sends a sane one, generated otherwise, and always echoed back.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;

use crate::error::ApiError;
use crate::event_store::Metadata;

static REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// Middleware: assigns the request id and echoes it in the response.
pub async fn request_id(mut req: Request, next: Next) -> Response {
    let id = req
        .headers()
        .get(&REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| is_sane(v))
        .map_or_else(|| uuid::Uuid::new_v4().to_string(), str::to_owned);
    req.extensions_mut().insert(RequestId(id.clone()));
    let mut response = next.run(req).await;
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(REQUEST_ID.clone(), value);
    }
    response
}

fn is_sane(id: &str) -> bool {
    !id.is_empty() && id.len() <= 64 && id.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b))
}

/// The caller of a command, as recorded in the log.
#[derive(Debug, Clone, Default)]
pub struct RequestContext {
    pub actor: Option<String>,
    pub request_id: Option<String>,
    pub remote_addr: Option<String>,
}

impl RequestContext {
    pub fn metadata(&self) -> Metadata {
        Metadata {
            actor: self.actor.clone(),
            request_id: self.request_id.clone(),
            remote_addr: self.remote_addr.clone(),
            correlation_id: self.request_id.clone(),
            causation_id: None,
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for RequestContext {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        Ok(Self {
            actor: None,
            request_id: parts.extensions.get::<RequestId>().map(|r| r.0.clone()),
            remote_addr: parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip().to_string()),
        })
    }
}
