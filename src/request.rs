//! What every HTTP request carries into a command, for `api` and `auth`
//! alike: who is asking and through which request (the metadata every
//! appended event records), and the ids of its path.
//!
//! The request id is taken from `X-Request-Id` when the client sends a sane
//! one, generated otherwise, and always echoed back.

use std::collections::HashMap;
use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts, Path, Request};
use axum::http::request::Parts;
use axum::http::{HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;

use uuid::Uuid;

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

/// The path parameter `name` as a UUID (400 otherwise). Callers check it
/// after the token, so an unauthenticated request learns nothing of its path.
pub async fn path_id<S: Send + Sync>(parts: &mut Parts, state: &S, name: &str) -> Result<Uuid, ApiError> {
    let Path(params) = Path::<HashMap<String, String>>::from_request_parts(parts, state)
        .await
        .map_err(|rejection| ApiError::BadRequest(rejection.body_text()))?;
    let raw = params.get(name).ok_or_else(|| ApiError::Internal(format!("route has no {{{name}}} parameter")))?;
    parse_id(raw)
}

/// A path segment as a UUID: 400 naming the segment otherwise.
pub fn parse_id(raw: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(raw).map_err(|_| ApiError::BadRequest(format!("'{raw}' is not a valid id: expected a UUID")))
}
