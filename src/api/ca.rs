//! `/ca`: the CA certificate and its revocation list (public material).

use std::sync::Arc;
use std::time::Instant;

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, Schema, SchemaFormat, Type};
use utoipa::{IntoParams, PartialSchema, ToSchema};

use super::extract::ApiQuery;
use crate::app::App;
use crate::ca::CertificateAuthority;
use crate::error::{ApiError, ErrorBody};
use crate::projections::certificates;

fn authority(app: &App) -> Result<&CertificateAuthority, ApiError> {
    app.ca.as_ref().ok_or_else(|| ApiError::Unavailable("CA service not initialized".into()))
}

/// The CA certificate (PEM) that every session certificate chains to.
#[utoipa::path(
    operation_id = "get_ca_certificate", get, path = "/ca/certificate", tag = "ca",
    responses(
        (status = 200, description = "The certificate, PEM (RFC 7468 text)", content_type = "application/x-pem-file",
            body = String),
        (status = 503, description = "The CA is disabled", body = ErrorBody)
    )
)]
pub async fn certificate(State(app): State<Arc<App>>) -> Result<Response, ApiError> {
    let pem = authority(&app)?.ca_pem().to_owned();
    Ok(([(header::CONTENT_TYPE, "application/x-pem-file")], pem).into_response())
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CrlParams {
    /// `der` (default, `application/pkix-crl`) or `pem` (`application/x-pem-file`).
    #[param(inline)]
    pub format: Option<CrlFormat>,
}

/// The encoding of the CRL.
#[derive(Debug, Clone, Copy, Default, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum CrlFormat {
    /// Binary DER (RFC 5280).
    #[default]
    Der,
    /// The DER in base64 between `-----BEGIN X509 CRL-----` lines (RFC 7468).
    Pem,
}

/// The schema of a binary body (`type: string, format: binary`): raw bytes,
/// not JSON (a `Vec<u8>` would be documented as an array of integers).
pub struct Binary;

impl PartialSchema for Binary {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Binary)))
            .into()
    }
}

impl ToSchema for Binary {}

/// The signed CRL: certificates of ended sessions and replaced certificates.
#[utoipa::path(
    operation_id = "get_crl", get, path = "/ca/crl", tag = "ca",
    params(CrlParams),
    responses(
        (status = 200, description = "The CRL: DER by default, PEM with `format=pem`",
            content((inline(Binary) = "application/pkix-crl"), (String = "application/x-pem-file"))),
        (status = 422, description = "Unknown format", body = ErrorBody),
        (status = 503, description = "The CA is disabled", body = ErrorBody)
    )
)]
pub async fn crl(State(app): State<Arc<App>>, ApiQuery(params): ApiQuery<CrlParams>) -> Result<Response, ApiError> {
    let der = current_crl(&app, authority(&app)?).await?;
    match params.format.unwrap_or_default() {
        CrlFormat::Der => Ok(([(header::CONTENT_TYPE, "application/pkix-crl")], der).into_response()),
        CrlFormat::Pem => {
            let pem = pem::encode(&pem::Pem::new("X509 CRL", der));
            Ok(([(header::CONTENT_TYPE, "application/x-pem-file")], pem).into_response())
        }
    }
}

/// The CRL as of the certificate projection now: the cached one while its
/// revision holds, else a freshly signed one. Revocations are recorded by the
/// projection (an end or a replacement, folded from the log), not by the
/// command that caused them, so the cache is keyed on what the projection
/// holds (read after waiting for it, like every query), never invalidated by
/// a command: that is right whichever instance revoked, and after a rebuild.
async fn current_crl(app: &App, ca: &CertificateAuthority) -> Result<Vec<u8>, ApiError> {
    let conn = app.read_model().await?;
    // Read first: a revocation folded after this is at worst served one
    // request later, never hidden under a stale revision.
    let revision = certificates::revision(&*conn).await?;
    let now = Instant::now();
    if let Some(der) = app.crl.get(revision, now) {
        return Ok(der);
    }
    let revoked = certificates::revoked(&*conn).await?;
    // The projection's checkpoint only grows, so it serves as the CRL number.
    let number: i64 =
        conn.query_one("SELECT position FROM projection_checkpoints WHERE name = 'certificates'", &[]).await?.get(0);
    let der = ca.crl(&revoked, number.max(0) as u64).map_err(|e| ApiError::Internal(e.to_string()))?;
    app.crl.store(revision, now, der.clone());
    Ok(der)
}
