//! `session_certificates` and `ended_sessions` folded in memory: both are
//! insert-only, the first row per key kept (as `ON CONFLICT DO NOTHING`).

use std::collections::HashMap;
use std::collections::hash_map::Entry;

use deadpool_postgres::Transaction;
use futures::future::BoxFuture;
use time::OffsetDateTime;
use tokio_postgres::types::{ToSql, Type};
use uuid::Uuid;

use super::{BulkFold, SessionEvent, copy_rows, pg_time};
use crate::domain::clone_session::CloneSessionEvent as E;
use crate::event_store::RecordedEvent;
use crate::projections::ProjectionError;

struct Certificate {
    session_id: Uuid,
    role: &'static str,
    not_after: OffsetDateTime,
    issued_at: OffsetDateTime,
    position: i64,
}

/// Certificates by serial, ends by session: (time, position).
#[derive(Default)]
pub struct Certificates {
    issued: HashMap<String, Certificate>,
    ended: HashMap<Uuid, (OffsetDateTime, i64)>,
}

impl BulkFold for Certificates {
    fn fold(&mut self, event: &RecordedEvent, session: Option<&SessionEvent<'_>>) -> Result<(), ProjectionError> {
        let Some(SessionEvent { id, decoded, .. }) = session else {
            return Ok(());
        };
        let (at, position) = (event.recorded_at, event.position);
        match decoded {
            E::CertificateIssued(cert) => {
                if let Entry::Vacant(slot) = self.issued.entry(cert.serial.clone()) {
                    let not_after = pg_time(cert.not_after);
                    slot.insert(Certificate {
                        session_id: *id,
                        role: cert.role.as_str(),
                        not_after,
                        issued_at: at,
                        position,
                    });
                }
            }
            E::Completed { .. } | E::Failed { .. } | E::Cancelled { .. } | E::Deleted { .. } => {
                self.ended.entry(*id).or_insert((at, position));
            }
            _ => {}
        }
        Ok(())
    }

    fn write<'a>(self: Box<Self>, tx: &'a Transaction<'a>) -> BoxFuture<'a, Result<(), ProjectionError>> {
        Box::pin(async move {
            let columns = [
                ("serial", Type::TEXT),
                ("session_id", Type::UUID),
                ("role", Type::TEXT),
                ("not_after", Type::TIMESTAMPTZ),
                ("issued_at", Type::TIMESTAMPTZ),
                ("position", Type::INT8),
            ];
            copy_rows(tx, "session_certificates", &columns, self.issued, |(serial, c)| -> Vec<&(dyn ToSql + Sync)> {
                vec![serial, &c.session_id, &c.role, &c.not_after, &c.issued_at, &c.position]
            })
            .await?;
            let columns = [("session_id", Type::UUID), ("ended_at", Type::TIMESTAMPTZ), ("position", Type::INT8)];
            copy_rows(tx, "ended_sessions", &columns, self.ended, |(id, (at, position))| -> Vec<&(dyn ToSql + Sync)> {
                vec![id, at, position]
            })
            .await
        })
    }
}
