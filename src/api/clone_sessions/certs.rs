//! The spec's certificate bundle endpoint, for the node of the matching role.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;

use super::schemas::{CloneCertBundle, RoleQuery};
use crate::api::envelope::ApiResponse;
use crate::api::extract::ApiQuery;
use crate::app::App;
use crate::auth::{Keys, SessionAuth};
use crate::commands::clone_sessions::certificate_bundle;
use crate::domain::clone_session::Role;
use crate::error::{ApiError, ErrorBody};

/// Parses `?role=`: 400 unless `source` or `target`.
pub fn parse_role(role: Option<&str>) -> Result<Role, ApiError> {
    match role {
        Some("source") => Ok(Role::Source),
        Some("target") => Ok(Role::Target),
        _ => Err(ApiError::BadRequest("Role must be 'source' or 'target'".into())),
    }
}

/// Certificate, private key and CA certificate for one role of a direct
/// session. Needs that role's node token. Prefer `POST …/csr`, which keeps the
/// private key on the node.
#[utoipa::path(
    operation_id = "get_clone_session_certs", get, path = "/clone-sessions/{id}/certs", tag = "node-callbacks",
    params(("id" = Uuid, Path), RoleQuery),
    security(("node_token" = [])),
    responses(
        (status = 200, body = ApiResponse<CloneCertBundle>),
        (status = 400, description = "Bad role, or a staged session", body = ErrorBody),
        (status = 401, description = "Missing or invalid node token", body = ErrorBody),
        (status = 403, description = "A token of the other role or another session", body = ErrorBody),
        (status = 404, description = "No such session, or no certificate for the role", body = ErrorBody),
        (status = 422, description = "A malformed query string", body = ErrorBody),
        (status = 503, description = "The CA is disabled", body = ErrorBody)
    )
)]
pub async fn certs(
    State(app): State<Arc<App>>,
    auth: SessionAuth<Keys>,
    ApiQuery(query): ApiQuery<RoleQuery>,
) -> Result<Json<ApiResponse<CloneCertBundle>>, ApiError> {
    let id = auth.session;
    let role = parse_role(query.role.as_deref())?;
    auth.as_role(&[role])?;
    let bundle = certificate_bundle(&app, id, role).await?;
    Ok(ApiResponse::ok(CloneCertBundle { cert_pem: bundle.cert_pem, key_pem: bundle.key_pem, ca_pem: bundle.ca_pem }))
}
