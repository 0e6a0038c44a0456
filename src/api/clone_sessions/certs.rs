//! The spec's certificate bundle endpoint, for the node of the matching role.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use uuid::Uuid;

use super::schemas::{CloneCertBundle, RoleQuery};
use crate::api::envelope::ApiResponse;
use crate::api::extract::ApiQuery;
use crate::app::App;
use crate::auth::{Keys, SessionAuth};
use crate::commands::clone_sessions::{cert_kind, key_kind};
use crate::domain::clone_session::{CloneSession, Role};
use crate::error::{ApiError, ErrorBody};
use crate::event_store::Aggregate;
use crate::projections::clone_sessions;

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
    params(("id" = Uuid, Path), RoleQuery), security(("node_token" = ["session"])),
    responses(
        (status = 200, body = ApiResponse<CloneCertBundle>),
        (status = 400, description = "Bad role, or a staged session", body = ErrorBody),
        (status = 403, description = "A token of the other role or another session", body = ErrorBody),
        (status = 404, description = "No such session, or no certificate for the role", body = ErrorBody),
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
    Ok(ApiResponse::ok(bundle(&app, id, role).await?))
}

/// The role's certificate and private key as the session's secret rows
/// hold them (the key unsealed), with the CA certificate.
async fn bundle(app: &App, id: Uuid, role: Role) -> Result<CloneCertBundle, ApiError> {
    let conn = app.read_model().await?;
    let view =
        clone_sessions::get(&*conn, id).await?.ok_or_else(|| ApiError::NotFound("Clone session not found".into()))?;
    if view.clone_mode != "direct" {
        return Err(ApiError::BadRequest("Certificates only available for direct mode sessions".into()));
    }
    let ca = app.ca.as_ref().ok_or_else(|| ApiError::Unavailable("CA service not initialized".into()))?;
    let owner = CloneSession::stream(id);
    let rows = conn
        .query(
            "SELECT kind, value FROM secrets WHERE owner = $1 AND kind = ANY($2)",
            &[&owner, &vec![cert_kind(role), key_kind(role)]],
        )
        .await?;
    let find = |kind: String| rows.iter().find(|r| r.get::<_, &str>(0) == kind).map(|r| r.get::<_, Vec<u8>>(1));
    let (Some(cert), Some(sealed)) = (find(cert_kind(role)), find(key_kind(role))) else {
        return Err(ApiError::NotFound(format!("Certificates not found for {}", role.as_str())));
    };
    let key = app
        .secrets
        .open(&format!("{owner}/{}", key_kind(role)), &sealed)
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(CloneCertBundle {
        cert_pem: String::from_utf8_lossy(&cert).into_owned(),
        key_pem: String::from_utf8_lossy(&key).into_owned(),
        ca_pem: ca.ca_pem().to_owned(),
    })
}
