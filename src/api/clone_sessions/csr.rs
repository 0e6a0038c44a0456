//! `POST …/csr`: the preferred way for a node to get its certificate.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;

use super::certs::parse_role;
use super::schemas::RoleQuery;
use crate::api::envelope::ApiResponse;
use crate::api::extract::{ApiJson, ApiQuery};
use crate::app::App;
use crate::auth::{Keys, SessionAuth};
use crate::commands::clone_sessions::sign_csr;
use crate::error::{ApiError, ErrorBody};

/// A PKCS#10 request made on the node.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CsrRequest {
    #[schema(example = "-----BEGIN CERTIFICATE REQUEST-----\nMIIB…\n-----END CERTIFICATE REQUEST-----\n")]
    pub csr_pem: String,
}

/// The signed certificate and the CA that signed it.
#[derive(Debug, Serialize, ToSchema)]
pub struct SignedCertificate {
    pub cert_pem: String,
    pub ca_pem: String,
    pub serial: String,
    #[serde(with = "time::serde::rfc3339")]
    pub not_after: OffsetDateTime,
}

/// Sign a CSR for one role. Only the CSR's public key is used: the controller
/// decides subject (CN `clone-{id}-{role}`), EKU, SAN (the CN plus the node's
/// registered IP) and validity, whatever the CSR asks for.
#[utoipa::path(
    operation_id = "sign_clone_session_csr", post, path = "/clone-sessions/{id}/csr", tag = "node-callbacks",
    params(("id" = Uuid, Path), RoleQuery),
    request_body = CsrRequest,
    security(("node_token" = ["session"])),
    responses(
        (status = 200, body = ApiResponse<SignedCertificate>),
        (status = 400, description = "Bad role, or a staged session", body = ErrorBody),
        (status = 403, description = "A token of the other role or another session", body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "The session has ended", body = ErrorBody),
        (status = 422, description = "Not a valid, self-signed CSR", body = ErrorBody),
        (status = 503, description = "The CA is disabled", body = ErrorBody)
    )
)]
pub async fn csr(
    State(app): State<Arc<App>>,
    auth: SessionAuth<Keys>,
    ApiQuery(query): ApiQuery<RoleQuery>,
    ApiJson(body): ApiJson<CsrRequest>,
) -> Result<Json<ApiResponse<SignedCertificate>>, ApiError> {
    let id = auth.session;
    let role = parse_role(query.role.as_deref())?;
    let ctx = auth.as_role(&[role])?;
    let (cert_pem, facts) = sign_csr(&app.commands(), &ctx.metadata(), id, role, &body.csr_pem).await?;
    let ca_pem = app.ca.as_ref().map(|ca| ca.ca_pem().to_owned()).unwrap_or_default();
    let signed = SignedCertificate { cert_pem, ca_pem, serial: facts.serial, not_after: facts.not_after };
    Ok(ApiResponse::with_message(signed, "Certificate signed"))
}
