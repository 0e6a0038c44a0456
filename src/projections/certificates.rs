//! `certificates`: which session certificates exist and which are revoked.

use serde_json::json;
use time::OffsetDateTime;
use tokio_postgres::{GenericClient, Transaction};
use uuid::Uuid;

use super::session_batch::{self, Change, MergedProgress, SessionFold, ts};
use super::{ApplyResult, Projection};
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
        2
    }
    fn apply<'a>(&'a self, tx: &'a Transaction<'a>, events: &'a [RecordedEvent]) -> ApplyResult<'a> {
        Box::pin(session_batch::apply(tx, events, self))
    }
}

/// A new certificate for a role revokes (supersedes) the role's current one.
const SUPERSEDED: &str = "UPDATE session_certificates c SET revoked_at = v.at, superseded = true
    FROM jsonb_to_recordset($1::jsonb) AS v(id uuid, role text, at timestamptz)
    WHERE c.session_id = v.id AND c.role = v.role AND c.revoked_at IS NULL";

const ISSUED: &str = "INSERT INTO session_certificates (serial, session_id, role, not_after, issued_at)
    SELECT serial, id, role, not_after, at
    FROM jsonb_to_recordset($1::jsonb) AS v(serial text, id uuid, role text, not_after timestamptz, at timestamptz)
    ON CONFLICT (serial) DO NOTHING";

/// Every certificate of an ended session is revoked.
const ENDED: &str = "UPDATE session_certificates c SET revoked_at = v.at
    FROM jsonb_to_recordset($1::jsonb) AS v(id uuid, at timestamptz)
    WHERE c.session_id = v.id AND c.revoked_at IS NULL";

impl SessionFold for CertificatesProjection {
    fn changes(&self, event: &RecordedEvent, id: Uuid, decoded: &E) -> Vec<Change> {
        let at = ts(&event.recorded_at);
        match decoded {
            E::CertificateIssued(cert) => {
                let role = cert.role.as_str();
                vec![
                    Change { sql: SUPERSEDED, row: json!({"id": id, "role": role, "at": at}) },
                    Change {
                        sql: ISSUED,
                        row: json!({"serial": cert.serial, "id": id, "role": role,
                            "not_after": ts(&cert.not_after), "at": at}),
                    },
                ]
            }
            E::Completed { .. } | E::Failed { .. } | E::Cancelled { .. } | E::Deleted { .. } => {
                vec![Change { sql: ENDED, row: json!({"id": id, "at": at}) }]
            }
            _ => Vec::new(),
        }
    }

    fn progress(&self, _id: Uuid, _merged: &MergedProgress) -> Option<Change> {
        None
    }
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
