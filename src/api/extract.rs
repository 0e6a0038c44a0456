//! Extractors that turn every malformed input into the one JSON error shape:
//! bad JSON syntax → 400, wrong types or unknown enum values → 422 naming the
//! field, oversized bodies → 413, ids that are not UUIDs → 400.
//!
//! Handlers take their input only through these (never axum's own `Json`,
//! `Query` or `Path`, whose rejections are plain text), and every text a
//! request carries into the log — JSON strings and keys, query names and
//! values — passes [`refuse_nul`]. Headers that reach the log (the request
//! id) are checked where they are read ([`crate::request`]). Path segments are
//! parsed into ids and device names, which admit no control characters.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use utoipa::IntoParams;
use uuid::Uuid;

use crate::error::ApiError;
use crate::request::parse_id;

/// A JSON body. An empty body reads as `{}` (nodes post callbacks without one).
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::PayloadTooLarge
            } else {
                ApiError::BadRequest(rejection.body_text())
            }
        })?;
        let body: &[u8] = if bytes.iter().all(u8::is_ascii_whitespace) { b"{}" } else { &bytes };
        parse_json(body).map(ApiJson)
    }
}

pub fn parse_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    let value: serde_json::Value =
        serde_json::from_slice(body).map_err(|err| ApiError::BadRequest(format!("malformed JSON: {err}")))?;
    refuse_nul_in(&value, "")?;
    serde_path_to_error::deserialize(value).map_err(|err| {
        let path = err.path().to_string();
        let inner = err.into_inner();
        let message = inner.to_string();
        let field = match message.strip_prefix("missing field `") {
            Some(rest) => rest.split('`').next().unwrap_or("body").to_owned(),
            None if path == "." => "body".to_owned(),
            None => path,
        };
        let message = message.split(" at line ").next().unwrap_or(&message).to_owned();
        ApiError::invalid(&field, message)
    })
}

/// 422 naming `field` when `text` contains U+0000. PostgreSQL's text and
/// jsonb cannot hold it, so it would otherwise fail the write as a 500; every
/// text of a request that can reach the log is checked here, at the edge.
pub fn refuse_nul(field: &str, text: &str) -> Result<(), ApiError> {
    if text.contains('\0') {
        return Err(ApiError::invalid(if field.is_empty() { "body" } else { field }, "must not contain U+0000"));
    }
    Ok(())
}

/// [`refuse_nul`] on every string and key of a JSON value, naming its path.
fn refuse_nul_in(value: &serde_json::Value, path: &str) -> Result<(), ApiError> {
    match value {
        serde_json::Value::String(s) => refuse_nul(path, s),
        serde_json::Value::Array(items) => {
            items.iter().enumerate().try_for_each(|(i, item)| refuse_nul_in(item, &format!("{path}[{i}]")))
        }
        serde_json::Value::Object(map) => map.iter().try_for_each(|(key, item)| {
            let here = if path.is_empty() { key.clone() } else { format!("{path}.{key}") };
            refuse_nul(&here, key)?;
            refuse_nul_in(item, &here)
        }),
        _ => Ok(()),
    }
}

/// A UUID path segment (the only path parameter of most routes).
pub struct IdPath(pub Uuid);

impl<S: Send + Sync> FromRequestParts<S> for IdPath {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let Path(raw) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|rejection| ApiError::BadRequest(rejection.body_text()))?;
        parse_id(&raw).map(IdPath)
    }
}

/// Query parameters; a bad value (U+0000 included) or a repeated parameter
/// is a 422 naming the parameter.
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        Self::from_uri(&parts.uri)
    }
}

impl<T: DeserializeOwned> ApiQuery<T> {
    /// The query of `uri`, for a handler that must authenticate from the
    /// query (the WebSocket's `token`) before it reads the rest.
    pub fn from_uri(uri: &axum::http::Uri) -> Result<Self, ApiError> {
        let Query(pairs) = Query::<Vec<(String, String)>>::try_from_uri(uri)
            .map_err(|rejection| query_error(&rejection.body_text()))?;
        for (name, value) in &pairs {
            refuse_nul("query", name)?;
            refuse_nul(name, value)?;
        }
        Query::<T>::try_from_uri(uri)
            .map(|Query(value)| ApiQuery(value))
            .map_err(|rejection| query_error(&rejection.body_text()))
    }
}

/// "Failed to deserialize query string: status: unknown variant …" → a 422
/// naming `status`; "duplicate field `error`" → a 422 naming `error`.
fn query_error(text: &str) -> ApiError {
    let detail = text.strip_prefix("Failed to deserialize query string: ").unwrap_or(text);
    let quoted = ["duplicate field `", "missing field `"]
        .iter()
        .find_map(|prefix| detail.strip_prefix(prefix))
        .and_then(|rest| rest.split('`').next());
    match (quoted, detail.split_once(": ")) {
        (Some(field), _) => ApiError::invalid(field, detail),
        (None, Some((field, message))) if !field.contains(' ') => ApiError::invalid(field, message),
        _ => ApiError::invalid("query", detail),
    }
}

/// `limit` (1–200, default 50) and `offset` (≥ 0, default 0).
#[derive(Debug, Clone, Copy, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Page {
    /// Items per page, 1–200.
    #[param(minimum = 1, maximum = 200, default = 50)]
    pub limit: Option<i64>,
    /// Items to skip.
    #[param(minimum = 0, default = 0)]
    pub offset: Option<i64>,
}

impl Page {
    pub fn validate(self) -> Result<(i64, i64), ApiError> {
        let limit = self.limit.unwrap_or(50);
        let offset = self.offset.unwrap_or(0);
        if !(1..=200).contains(&limit) {
            return Err(ApiError::invalid("limit", "must be between 1 and 200"));
        }
        if offset < 0 {
            return Err(ApiError::invalid("offset", "must be at least 0"));
        }
        Ok((limit, offset))
    }
}
