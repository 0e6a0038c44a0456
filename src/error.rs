//! `ApiError`: every failure the API can return, each variant with one status
//! and one JSON shape: `{"success": false, "error", "detail", "fields"?}`.
//! Store failures are logged in full and returned without internals.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::Rejection;
use crate::event_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 400: malformed request (bad JSON, bad id) or a command not allowed as is.
    #[error("{0}")]
    BadRequest(String),
    /// 401: no valid credentials.
    #[error("{0}")]
    Unauthorized(String),
    /// 403: valid credentials that may not do this.
    #[error("{0}")]
    Forbidden(String),
    /// 404: no such resource.
    #[error("{0}")]
    NotFound(String),
    /// 405: the path exists but not with this method.
    #[error("{0}")]
    MethodNotAllowed(String),
    /// 409: contradicts the current state, or lost a race (retry).
    #[error("{0}")]
    Conflict(String),
    /// 413: request body larger than the configured limit.
    #[error("request body exceeds the size limit")]
    PayloadTooLarge,
    /// 422: well-formed but invalid; names the fields.
    #[error("{detail}")]
    Validation { detail: String, fields: Vec<FieldError> },
    /// 503: a dependency (database, CA) is unavailable or did not answer in
    /// time; retry later. The text says why for the log only: a pool or
    /// driver message names hosts and internals, so clients get [`UNAVAILABLE`].
    #[error("{0}")]
    Unavailable(String),
    /// 500: a bug or an unexpected store failure (details only in the log).
    #[error("internal error: {0}")]
    Internal(String),
}

/// The `detail` of every 503: the same words whatever failed.
pub const UNAVAILABLE: &str = "a dependency (the database or the certificate authority) is unavailable or did not \
    answer in time; retry later (a command that timed out may or may not have taken effect: check before retrying)";

/// One invalid field of a request.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq, Eq)]
pub struct FieldError {
    #[schema(example = "target_node_id")]
    pub field: String,
    #[schema(example = "target_node_id required for direct mode")]
    pub message: String,
}

/// The body of every error response.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = ErrorResponse)]
pub struct ErrorBody {
    /// Always `false`.
    pub success: bool,
    /// Short category, e.g. `Not found`.
    #[schema(example = "Conflict")]
    pub error: String,
    /// What went wrong, in words a person can act on.
    #[schema(example = "complete refused: the source has not reported ready yet (session is pending)")]
    pub detail: String,
    /// For 422: the offending fields.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldError>,
}

impl ApiError {
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        let message = message.into();
        ApiError::Validation {
            detail: format!("{field}: {message}"),
            fields: vec![FieldError { field: field.into(), message }],
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::Validation { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn category(&self) -> &'static str {
        match self {
            ApiError::BadRequest(_) => "Bad request",
            ApiError::Unauthorized(_) => "Unauthorized",
            ApiError::Forbidden(_) => "Forbidden",
            ApiError::NotFound(_) => "Not found",
            ApiError::MethodNotAllowed(_) => "Method not allowed",
            ApiError::Conflict(_) => "Conflict",
            ApiError::PayloadTooLarge => "Payload too large",
            ApiError::Validation { .. } => "Validation failed",
            ApiError::Unavailable(_) => "Service unavailable",
            ApiError::Internal(_) => "Internal error",
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let detail = match &self {
            ApiError::Internal(details) => {
                tracing::error!(error = %details, "internal error");
                "an internal error occurred; see the controller log".to_owned()
            }
            ApiError::Unavailable(details) => {
                tracing::warn!(error = %details, "dependency unavailable");
                UNAVAILABLE.to_owned()
            }
            other => clip(&other.to_string()),
        };
        let error = self.category().into();
        let fields = match self {
            ApiError::Validation { fields, .. } => {
                fields.into_iter().map(|f| FieldError { field: clip(&f.field), message: clip(&f.message) }).collect()
            }
            _ => Vec::new(),
        };
        let body = ErrorBody { success: false, error, detail, fields };
        (status, axum::Json(body)).into_response()
    }
}

/// The most characters of one message an error response carries. Messages
/// quote what the client sent (serde's "unknown variant `…`", an id that is no
/// UUID, a field path), which may be as long as the body limit allows, and a
/// 422 carries it twice (`detail` and the field's `message`): clipped here,
/// where every error becomes a response, whatever produced it.
const ECHO_LIMIT: usize = 1024;

/// `text` unchanged when it has at most [`ECHO_LIMIT`] characters; else its
/// first and last 400 characters around `…(N characters left out)…`, so both
/// the field and what was expected stay readable.
fn clip(text: &str) -> String {
    const KEEP: usize = 400;
    let length = text.chars().count();
    if length <= ECHO_LIMIT {
        return text.to_owned();
    }
    let head: String = text.chars().take(KEEP).collect();
    let tail: String = text.chars().skip(length - KEEP).collect();
    format!("{head}…({} characters left out)…{tail}", length - 2 * KEEP)
}

impl From<Rejection> for ApiError {
    fn from(rejection: Rejection) -> Self {
        match rejection {
            Rejection::NotFound(m) => ApiError::NotFound(m),
            Rejection::Invalid { field, message } => ApiError::invalid(&field, message),
            Rejection::NotAllowed(m) => ApiError::BadRequest(m),
            Rejection::Conflict(m) => ApiError::Conflict(m),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::Conflict { .. } => ApiError::Conflict(format!("{err}; retry the request")),
            StoreError::Unavailable(m) => ApiError::Unavailable(format!("database unavailable: {m}")),
            StoreError::Database(e) => database(e),
            StoreError::Encode(e) => ApiError::Internal(e.to_string()),
        }
    }
}

impl From<tokio_postgres::Error> for ApiError {
    fn from(err: tokio_postgres::Error) -> Self {
        database(err)
    }
}

impl From<deadpool_postgres::PoolError> for ApiError {
    fn from(err: deadpool_postgres::PoolError) -> Self {
        ApiError::Unavailable(format!("database unavailable: {err}"))
    }
}

/// A lost connection, a server shutting down or starting up, a statement
/// cancelled by `statement_timeout` (SQLSTATE classes 08 and 57), a lock not
/// granted within `lock_timeout` (55P03) or a server out of resources (class
/// 53) is a 503 (retry); anything else is a bug.
fn database(err: tokio_postgres::Error) -> ApiError {
    let unavailable = err.is_closed()
        || err.as_db_error().is_none_or(|db| {
            let code = db.code().code();
            code.starts_with("08") || code.starts_with("57") || code.starts_with("53") || code == "55P03"
        });
    if unavailable {
        ApiError::Unavailable(format!("database unavailable: {}", crate::db::describe(&err)))
    } else {
        ApiError::Internal(crate::db::describe(&err))
    }
}
