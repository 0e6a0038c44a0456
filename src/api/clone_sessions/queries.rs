//! Reading clone sessions.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use crate::api::envelope::{ApiList, ApiResponse};
use crate::api::extract::{ApiQuery, Page};
use crate::app::App;
use crate::auth::{Auth, SessionAuth, Viewer, Watch};
use crate::domain::clone_session::CloneStatus;
use crate::error::{ApiError, ErrorBody};
use crate::projections::clone_sessions::{self, CloneSessionView, ListFilter, PageKey};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Only sessions in this status.
    pub status: Option<CloneStatus>,
    /// Only sessions with this node as source or target.
    pub node_id: Option<Uuid>,
    #[param(minimum = 1, maximum = 200, default = 50)]
    pub limit: Option<i64>,
    #[param(minimum = 0, default = 0)]
    pub offset: Option<i64>,
}

/// List clone sessions, newest first; `status` and `node_id` narrow the list.
#[utoipa::path(
    operation_id = "list_clone_sessions", get, path = "/clone-sessions", tag = "clone-sessions",
    params(ListParams), security(("bearer" = ["viewer"])),
    responses(
        (status = 200, body = ApiList<CloneSessionView>),
        (status = 422, description = "Bad status, node id, limit or offset", body = ErrorBody)
    )
)]
pub async fn list(
    State(app): State<Arc<App>>,
    _auth: Auth<Viewer>,
    ApiQuery(params): ApiQuery<ListParams>,
) -> Result<Response, ApiError> {
    let (limit, offset) = Page { limit: params.limit, offset: params.offset }.validate()?;
    let key = PageKey { status: params.status.map(CloneStatus::as_str), node: params.node_id, limit, offset };
    let conn = app.read_model().await?;
    // Taken before the query: see `PageCache`.
    let position = app.progress.position();
    let body = match app.session_pages.get(&key, position) {
        Some(body) => body,
        None => {
            let page = ApiList::ok(
                clone_sessions::list(&*conn, ListFilter { status: key.status, node: key.node }, limit, offset).await?,
            );
            let body = Bytes::from(serde_json::to_vec(&page.0).map_err(|e| ApiError::Internal(e.to_string()))?);
            app.session_pages.put(key, position, body.clone());
            body
        }
    };
    Ok(([(header::CONTENT_TYPE, "application/json")], body).into_response())
}

/// Get one clone session. The session's own node tokens may read it too:
/// the agents learn the source's address and watch for a cancel this way.
#[utoipa::path(
    operation_id = "get_clone_session", get, path = "/clone-sessions/{id}", tag = "clone-sessions",
    params(("id" = Uuid, Path)), security(("bearer" = ["viewer"]), ("node_token" = ["session"])),
    responses((status = 200, body = ApiResponse<CloneSessionView>), (status = 404, body = ErrorBody))
)]
pub async fn get(
    State(app): State<Arc<App>>,
    auth: SessionAuth<Watch>,
) -> Result<Json<ApiResponse<CloneSessionView>>, ApiError> {
    Ok(ApiResponse::ok(super::fetch(&app, auth.session).await?))
}
