//! Extractors that turn every malformed input into the one JSON error shape:
//! bad JSON syntax → 400, wrong types or unknown enum values → 422 naming the
//! field, oversized bodies → 413, ids that are not UUIDs → 400.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use utoipa::IntoParams;
use uuid::Uuid;

use crate::error::ApiError;

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
    if let Some(path) = nul_at(&value, "") {
        // PostgreSQL text cannot hold U+0000; refuse it here rather than fail a write.
        return Err(ApiError::invalid(if path.is_empty() { "body" } else { &path }, "must not contain U+0000"));
    }
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

/// The path of the first string (or key) containing U+0000, if any.
fn nul_at(value: &serde_json::Value, path: &str) -> Option<String> {
    match value {
        serde_json::Value::String(s) => s.contains('\0').then(|| path.to_owned()),
        serde_json::Value::Array(items) => {
            items.iter().enumerate().find_map(|(i, item)| nul_at(item, &format!("{path}[{i}]")))
        }
        serde_json::Value::Object(map) => map.iter().find_map(|(key, item)| {
            let here = if path.is_empty() { key.clone() } else { format!("{path}.{key}") };
            if key.contains('\0') { Some(here) } else { nul_at(item, &here) }
        }),
        _ => None,
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

pub fn parse_id(raw: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(raw).map_err(|_| ApiError::BadRequest(format!("'{raw}' is not a valid id: expected a UUID")))
}

/// Query parameters; a bad value is a 422 naming the parameter.
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        if parts.uri.query().is_some_and(|q| q.to_ascii_lowercase().contains("%00")) {
            return Err(ApiError::invalid("query", "must not contain U+0000"));
        }
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|Query(value)| ApiQuery(value))
            .map_err(|rejection| query_error(&rejection.body_text()))
    }
}

/// "Failed to deserialize query string: status: unknown variant …" → a 422
/// naming `status`.
fn query_error(text: &str) -> ApiError {
    let detail = text.strip_prefix("Failed to deserialize query string: ").unwrap_or(text);
    match detail.split_once(": ") {
        Some((field, message)) if !field.contains(' ') => ApiError::invalid(field, message),
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
