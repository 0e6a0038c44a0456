//! The append transaction: one server-side call (`append_events`, migration
//! V8) that takes the append lock, checks every request's expected versions,
//! inserts the accepted requests' events and announces the new head.
//!
//! [`append_batch`] is called with many requests at once by the group-commit
//! writer (through [`commit_batch`]), but it is equally valid for a single
//! request on any connection; tests call it directly from several connections
//! to prove the ordering guarantee.

use std::collections::HashMap;

use time::OffsetDateTime;

use crate::db::Db;

use super::{AppendRequest, Appended, CommittedBatch, ExpectedVersion, RecordedEvent, SecretOp, StoreError};

/// Key of the transaction-scoped advisory lock that serialises appends
/// (the bytes of "PureBoot"). `append_events` and the `events` insert trigger
/// take the same lock, so even a hand-written INSERT cannot break the
/// ordering guarantee.
pub const APPEND_LOCK: i64 = 5_797_665_874_541_244_276;

/// The channel `pg_notify` announces new positions on.
pub const NOTIFY_CHANNEL: &str = "pureboot_events";

/// One outcome per request: a request whose expected version does not
/// match is refused with [`StoreError::Conflict`] and writes nothing.
pub type Outcomes = Vec<Result<Appended, StoreError>>;

/// Appends every request that passes its version checks, inside `tx`.
///
/// Returns one outcome per request: a refused request does not affect the
/// others. A database error fails the whole batch.
pub async fn append_batch(tx: &impl Db, requests: &[AppendRequest]) -> Result<Outcomes, tokio_postgres::Error> {
    Ok(append_rows(tx, requests).await?.0)
}

/// [`append_batch`], and what it inserted: enough to hand the committed
/// events to this instance's readers without reading them back.
pub async fn append_rows(
    tx: &impl Db,
    requests: &[AppendRequest],
) -> Result<(Outcomes, Inserted), tokio_postgres::Error> {
    let call = tx.prepared(APPEND).await?;
    let columns = Columns::of(requests);
    let row = tokio_postgres::GenericClient::query_one(tx.client(), &call, &columns.params()).await?;
    let (outcomes, inserted) = Returned::read(&row)?.outcomes(requests);
    super::secrets::apply(tx, &accepted_secrets(requests, &inserted)).await?;
    Ok((outcomes, inserted))
}

/// [`append_rows`] as a whole transaction on `conn` (outside one): `BEGIN`,
/// the call and — when no request carries secret operations — `COMMIT` are
/// sent together, one round trip; otherwise the accepted requests' secret
/// statements and `COMMIT` follow together, a second one. The lock is held
/// for the call's execution and the commit's flush, and that round trip. If
/// the call fails, PostgreSQL turns the pipelined `COMMIT` into a rollback.
/// On any error the connection may be left inside the transaction: the
/// caller must discard it.
pub async fn commit_batch(
    conn: &impl Db,
    requests: &[AppendRequest],
) -> Result<(Outcomes, Inserted), tokio_postgres::Error> {
    use tokio_postgres::GenericClient as Client;
    // Prepared first, so the three messages are queued in order on the first poll.
    let call = conn.prepared(APPEND).await?;
    let columns = Columns::of(requests);
    let params = columns.params();
    let client = conn.client();
    let secrets = requests.iter().any(|r| !r.secrets.is_empty());
    let commit = async { if secrets { Ok(()) } else { Client::batch_execute(client, "COMMIT").await } };
    let (_, row, ()) =
        futures::try_join!(Client::batch_execute(client, "BEGIN"), Client::query_one(client, &call, &params), commit)?;
    let (outcomes, inserted) = Returned::read(&row)?.outcomes(requests);
    if secrets {
        let prepared = super::secrets::prepare(conn, &accepted_secrets(requests, &inserted)).await?;
        futures::try_join!(prepared.execute(client), Client::batch_execute(client, "COMMIT"))?;
    }
    Ok((outcomes, inserted))
}

/// The accepted requests' secret operations, in request order.
fn accepted_secrets<'a>(requests: &'a [AppendRequest], inserted: &Inserted) -> Vec<&'a SecretOp> {
    inserted.accepted.iter().flat_map(|&index| requests[index].secrets.iter()).collect()
}

const APPEND: &str = "SELECT * FROM append_events($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)";

/// The rows one [`append_rows`] inserted, in the order of the accepted
/// requests' writes and events.
#[derive(Debug)]
pub struct Inserted {
    head_before: i64,
    accepted: Vec<usize>,
    /// Position, version and `recorded_at` of each row.
    stored: Vec<(i64, i64, OffsetDateTime)>,
}

impl Inserted {
    /// The committed events, moved out of the `requests` they came from (the
    /// same slice [`append_rows`] was given), in position order.
    pub fn into_batch(self, requests: Vec<AppendRequest>) -> CommittedBatch {
        let mut requests: Vec<Option<AppendRequest>> = requests.into_iter().map(Some).collect();
        let mut stored = self.stored.into_iter();
        let mut events = Vec::with_capacity(stored.len());
        for request in self.accepted.iter().filter_map(|&index| requests.get_mut(index)?.take()) {
            let meta = request.metadata;
            for write in request.writes {
                for (event, (position, version, recorded_at)) in write.events.into_iter().zip(stored.by_ref()) {
                    events.push(RecordedEvent {
                        position,
                        stream: write.stream.clone(),
                        version,
                        event_type: event.event_type,
                        schema_version: event.schema_version,
                        payload: event.payload,
                        actor: meta.actor.clone(),
                        request_id: meta.request_id.clone(),
                        remote_addr: meta.remote_addr.clone(),
                        correlation_id: meta.correlation_id.clone(),
                        causation_id: meta.causation_id.clone(),
                        recorded_at,
                    });
                }
            }
        }
        events.sort_unstable_by_key(|e| e.position);
        CommittedBatch { after: self.head_before, events }
    }
}

/// The call's arguments: one element per stream write, then one per event
/// (the writes' events in order), borrowing the requests.
#[derive(Default)]
struct Columns<'a> {
    write_request: Vec<i32>,
    write_stream: Vec<&'a str>,
    write_expected: Vec<Option<i64>>,
    write_events: Vec<i32>,
    event_write: Vec<i32>,
    event_nth: Vec<i32>,
    event_type: Vec<&'a str>,
    schema_version: Vec<i32>,
    payload: Vec<&'a serde_json::Value>,
    actor: Vec<Option<&'a str>>,
    request_id: Vec<Option<&'a str>>,
    remote_addr: Vec<Option<&'a str>>,
    correlation_id: Vec<Option<&'a str>>,
    causation_id: Vec<Option<&'a str>>,
}

impl<'a> Columns<'a> {
    fn of(requests: &'a [AppendRequest]) -> Self {
        let mut columns = Self::default();
        for (index, request) in requests.iter().enumerate() {
            let meta = &request.metadata;
            for write in &request.writes {
                columns.write_request.push(index as i32);
                columns.write_stream.push(&write.stream);
                columns.write_expected.push(match write.expected {
                    ExpectedVersion::Exact(version) => Some(version),
                    ExpectedVersion::Any => None,
                });
                columns.write_events.push(write.events.len() as i32);
                let write_index = columns.write_request.len() as i32; // 1-based, as SQL's ordinality
                for (nth, event) in (1..).zip(&write.events) {
                    columns.event_write.push(write_index);
                    columns.event_nth.push(nth);
                    columns.event_type.push(&event.event_type);
                    columns.schema_version.push(event.schema_version);
                    columns.payload.push(&event.payload);
                    columns.actor.push(meta.actor.as_deref());
                    columns.request_id.push(meta.request_id.as_deref());
                    columns.remote_addr.push(meta.remote_addr.as_deref());
                    columns.correlation_id.push(meta.correlation_id.as_deref());
                    columns.causation_id.push(meta.causation_id.as_deref());
                }
            }
        }
        columns
    }

    fn params(&self) -> [&(dyn tokio_postgres::types::ToSql + Sync); 15] {
        [
            &self.write_request,
            &self.write_stream,
            &self.write_expected,
            &self.write_events,
            &self.event_write,
            &self.event_nth,
            &self.event_type,
            &self.schema_version,
            &self.payload,
            &self.actor,
            &self.request_id,
            &self.remote_addr,
            &self.correlation_id,
            &self.causation_id,
            &NOTIFY_CHANNEL,
        ]
    }
}

/// `append_events`' answer (see migration V8 for each column).
struct Returned {
    head_before: i64,
    write_before: Vec<Option<i64>>,
    /// The refused requests' conflicts, by request index.
    refused: HashMap<usize, StoreError>,
    /// Stream, version, position and `recorded_at` of each inserted row.
    inserted: Vec<(String, i64, i64, OffsetDateTime)>,
}

impl Returned {
    fn read(row: &tokio_postgres::Row) -> Result<Self, tokio_postgres::Error> {
        // array_agg over no rows is NULL.
        fn array<'r, T: tokio_postgres::types::FromSql<'r>>(
            row: &'r tokio_postgres::Row,
            column: &str,
        ) -> Result<Vec<T>, tokio_postgres::Error> {
            Ok(row.try_get::<_, Option<Vec<T>>>(column)?.unwrap_or_default())
        }
        let refused_request: Vec<i32> = array(row, "refused_request")?;
        let refused_stream: Vec<String> = array(row, "refused_stream")?;
        let refused_expected: Vec<i64> = array(row, "refused_expected")?;
        let refused_actual: Vec<i64> = array(row, "refused_actual")?;
        let refused = refused_request
            .into_iter()
            .zip(refused_stream)
            .zip(refused_expected.into_iter().zip(refused_actual))
            .map(|((request, stream), (expected, actual))| {
                (request as usize, StoreError::Conflict { stream, expected, actual })
            })
            .collect();
        let stream: Vec<String> = array(row, "inserted_stream")?;
        let version: Vec<i64> = array(row, "inserted_version")?;
        let position: Vec<i64> = array(row, "inserted_position")?;
        let recorded_at: Vec<OffsetDateTime> = array(row, "inserted_recorded_at")?;
        let inserted = stream
            .into_iter()
            .zip(version)
            .zip(position.into_iter().zip(recorded_at))
            .map(|((stream, version), (position, at))| (stream, version, position, at))
            .collect();
        Ok(Self {
            head_before: row.try_get("head_before")?,
            write_before: array(row, "write_before")?,
            refused,
            inserted,
        })
    }

    /// Each request's outcome, and the inserted rows in the order of the
    /// accepted requests' writes and events.
    fn outcomes(mut self, requests: &[AppendRequest]) -> (Outcomes, Inserted) {
        let mut rows: HashMap<(&str, i64), (i64, OffsetDateTime)> = self
            .inserted
            .iter()
            .map(|(stream, version, position, at)| ((stream.as_str(), *version), (*position, *at)))
            .collect();
        let mut outcomes = Vec::with_capacity(requests.len());
        let (mut accepted, mut stored) = (Vec::new(), Vec::new());
        let mut befores = self.write_before.iter().copied();
        for (index, request) in requests.iter().enumerate() {
            if let Some(conflict) = self.refused.remove(&index) {
                befores.by_ref().take(request.writes.len()).for_each(drop);
                outcomes.push(Err(conflict));
                continue;
            }
            let mut appended = Appended { last_position: 0, versions: Vec::with_capacity(request.writes.len()) };
            for write in &request.writes {
                let before = befores.next().flatten().unwrap_or(0);
                for version in (before + 1..).take(write.events.len()) {
                    if let Some((position, recorded_at)) = rows.remove(&(write.stream.as_str(), version)) {
                        appended.last_position = appended.last_position.max(position);
                        stored.push((position, version, recorded_at));
                    }
                }
                appended.versions.push(before + write.events.len() as i64);
            }
            accepted.push(index);
            outcomes.push(Ok(appended));
        }
        (outcomes, Inserted { head_before: self.head_before, accepted, stored })
    }
}
