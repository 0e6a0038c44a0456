//! `certificates`: which session certificates exist and which are revoked.

use time::OffsetDateTime;
use tokio_postgres::{GenericClient, Transaction};
use uuid::Uuid;

use super::{ApplyResult, Projection, ProjectionError};
use crate::ca::Revoked;
use crate::domain::clone_session::CloneSessionEvent as E;
use crate::event_store::RecordedEvent;

pub struct CertificatesProjection;

impl Projection for CertificatesProjection {
    fn name(&self) -> &'static str {
        "certificates"
    }
    fn schema(&self) -> &'static str {
        include_str!("../../projections/certificates.sql")
    }
    fn tables(&self) -> &'static [&'static str] {
        &["session_certificates"]
    }
    fn version(&self) -> u32 {
        1
    }
    fn apply<'a>(&'a self, tx: &'a Transaction<'a>, events: &'a [RecordedEvent]) -> ApplyResult<'a> {
        Box::pin(async move {
            for event in events.iter().filter(|e| e.stream.starts_with("clone_session:")) {
                let decoded: E = event.decode().map_err(|e| ProjectionError::decode(event, e))?;
                apply(tx, event, decoded).await?;
            }
            Ok(())
        })
    }
}

async fn apply(tx: &Transaction<'_>, event: &RecordedEvent, decoded: E) -> Result<(), ProjectionError> {
    let session: Uuid = event.stream_id().parse().unwrap_or_default();
    let at = &event.recorded_at;
    match decoded {
        E::CertificateIssued(cert) => {
            tx.execute(
                "UPDATE session_certificates SET revoked_at = $3, superseded = true
                 WHERE session_id = $1 AND role = $2 AND revoked_at IS NULL",
                &[&session, &cert.role.as_str(), at],
            )
            .await?;
            tx.execute(
                "INSERT INTO session_certificates (serial, session_id, role, not_after, issued_at)
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (serial) DO NOTHING",
                &[&cert.serial, &session, &cert.role.as_str(), &cert.not_after, at],
            )
            .await?;
        }
        E::Completed { .. } | E::Failed { .. } | E::Cancelled { .. } | E::Deleted { .. } => {
            tx.execute(
                "UPDATE session_certificates SET revoked_at = $2 WHERE session_id = $1 AND revoked_at IS NULL",
                &[&session, at],
            )
            .await?;
        }
        _ => {}
    }
    Ok(())
}

/// Revoked certificates that have not expired yet (expired ones need no CRL entry).
pub async fn revoked(client: &impl GenericClient) -> Result<Vec<Revoked>, tokio_postgres::Error> {
    let rows = client
        .query(
            "SELECT serial, revoked_at, superseded FROM session_certificates
             WHERE revoked_at IS NOT NULL AND not_after > $1 ORDER BY revoked_at",
            &[&OffsetDateTime::now_utc()],
        )
        .await?;
    Ok(rows.iter().map(|r| Revoked { serial: r.get(0), revoked_at: r.get(1), superseded: r.get(2) }).collect())
}
