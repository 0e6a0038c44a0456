//! The spec's certificate bundle endpoint.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;

use super::schemas::{CloneCertBundle, RoleQuery};
use crate::api::envelope::ApiResponse;
use crate::api::extract::{ApiQuery, IdPath};
use crate::app::App;
use crate::commands::clone_sessions::certificate_bundle;
use crate::domain::clone_session::Role;
use crate::error::{ApiError, ErrorBody};

/// Certificate, private key and CA certificate for one role of a direct session.
#[utoipa::path(get, path = "/clone-sessions/{id}/certs", tag = "node-callbacks",
    params(("id" = Uuid, Path), RoleQuery),
    responses((status = 200, body = ApiResponse<CloneCertBundle>),
              (status = 400, description = "Bad role, or a staged session", body = ErrorBody),
              (status = 404, description = "No such session, or no certificate for the role", body = ErrorBody),
              (status = 503, description = "The CA is disabled", body = ErrorBody)))]
pub async fn certs(
    State(app): State<Arc<App>>,
    IdPath(id): IdPath,
    ApiQuery(query): ApiQuery<RoleQuery>,
) -> Result<Json<ApiResponse<CloneCertBundle>>, ApiError> {
    let role = match query.role.as_deref() {
        Some("source") => Role::Source,
        Some("target") => Role::Target,
        _ => {
            return Err(ApiError::BadRequest(
                "Role must be 'source' or 'target'".into(),
            ));
        }
    };
    let bundle = certificate_bundle(&app, id, role).await?;
    Ok(ApiResponse::ok(CloneCertBundle {
        cert_pem: bundle.cert_pem,
        key_pem: bundle.key_pem,
        ca_pem: bundle.ca_pem,
    }))
}
