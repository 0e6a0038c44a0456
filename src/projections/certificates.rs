//! `certificates`: which session certificates exist and which are revoked.

use serde_json::json;
use time::OffsetDateTime;

use crate::db::Db;
use uuid::Uuid;

use super::ProjectionDef;
use super::fold::sessions::{self, Change, MergedProgress, SessionFold, ts};
use crate::ca::Revoked;
use crate::domain::clone_session::CloneSessionEvent as E;
use crate::event_store::RecordedEvent;

/// The fold's [`SessionFold`].
pub struct CertificatesProjection;

pub const DEF: ProjectionDef = ProjectionDef {
    name: "certificates",
    schema: include_str!("../../projections/certificates.sql"),
    tables: &["session_certificates", "ended_sessions"],
    version: 4,
    apply: |tx, events| Box::pin(sessions::apply(tx, events, &CertificatesProjection)),
};

const ISSUED: &str = "INSERT INTO session_certificates (serial, session_id, role, not_after, issued_at, position)
    SELECT serial, id, role, not_after, at, pos
    FROM jsonb_to_recordset($1::jsonb) AS v(serial text, id uuid, role text, not_after timestamptz, at timestamptz,
        pos bigint)
    ON CONFLICT (serial) DO NOTHING";

/// The first end counts (a deletion after completion changes nothing).
const ENDED: &str = "INSERT INTO ended_sessions (session_id, ended_at, position)
    SELECT id, at, pos FROM jsonb_to_recordset($1::jsonb) AS v(id uuid, at timestamptz, pos bigint)
    ON CONFLICT (session_id) DO NOTHING";

impl SessionFold for CertificatesProjection {
    fn changes(&self, event: &RecordedEvent, id: Uuid, decoded: &E) -> Vec<Change> {
        let at = ts(&event.recorded_at);
        match decoded {
            E::CertificateIssued(cert) => {
                let row = json!({"serial": cert.serial, "id": id, "role": cert.role.as_str(),
                    "not_after": ts(&cert.not_after), "at": at, "pos": event.position});
                vec![Change { sql: ISSUED, row }]
            }
            E::Completed { .. } | E::Failed { .. } | E::Cancelled { .. } | E::Deleted { .. } => {
                vec![Change { sql: ENDED, row: json!({"id": id, "at": at, "pos": event.position}) }]
            }
            _ => Vec::new(),
        }
    }

    fn progress(&self, _id: Uuid, _merged: &MergedProgress) -> Option<Change> {
        None
    }
}

/// Where the certificate tables stand: the log position of the latest
/// certificate issued or session ended (0 before any). Every revocation is
/// one of the two (a newer certificate supersedes the role's previous one;
/// an end revokes the session's), and both are recorded only here, by the
/// projection, so this is the key a signed CRL is cached under: it moves
/// exactly when the CRL's contents may change, whichever instance caused it.
pub async fn revision(client: &impl Db) -> Result<i64, tokio_postgres::Error> {
    let row = client
        .query_one(
            "SELECT GREATEST((SELECT max(position) FROM session_certificates),
                             (SELECT max(position) FROM ended_sessions), 0)",
            &[],
        )
        .await?;
    Ok(row.get(0))
}

/// Revoked certificates that have not expired yet (expired ones need no CRL entry).
pub async fn revoked(client: &impl Db) -> Result<Vec<Revoked>, tokio_postgres::Error> {
    let rows = client
        .query(
            "SELECT serial, revoked_at, superseded FROM (
                 SELECT c.serial, LEAST(next.issued_at, e.ended_at) AS revoked_at,
                        next.issued_at IS NOT NULL
                            AND (e.ended_at IS NULL OR next.issued_at <= e.ended_at) AS superseded
                 FROM session_certificates c
                 LEFT JOIN ended_sessions e ON e.session_id = c.session_id
                 LEFT JOIN LATERAL (
                     SELECT n.issued_at FROM session_certificates n
                     WHERE n.session_id = c.session_id AND n.role = c.role AND n.position > c.position
                     ORDER BY n.position LIMIT 1) next ON true
                 WHERE c.not_after > $1) r
             WHERE revoked_at IS NOT NULL ORDER BY revoked_at",
            &[&OffsetDateTime::now_utc()],
        )
        .await?;
    Ok(rows.iter().map(|r| Revoked { serial: r.get(0), revoked_at: r.get(1), superseded: r.get(2) }).collect())
}
