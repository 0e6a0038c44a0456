//! The append transaction: one lock, one version check, one multi-row insert.
//!
//! [`append_batch`] is called by the group-commit writer with many requests at
//! once, but it is equally valid for a single request on any connection; tests
//! call it directly from several connections to prove the ordering guarantee.

use std::collections::HashMap;

use time::OffsetDateTime;

use crate::db::{Db, Params};

use super::{AppendRequest, Appended, CommittedBatch, ExpectedVersion, RecordedEvent, SecretOp, StoreError};

/// Key of the transaction-scoped advisory lock that serialises appends
/// (the bytes of "PureBoot"). The `events` insert trigger takes the same lock,
/// so even a hand-written INSERT cannot break the ordering guarantee.
pub const APPEND_LOCK: i64 = 5_797_665_874_541_244_276;

/// The channel `pg_notify` announces new positions on.
pub const NOTIFY_CHANNEL: &str = "pureboot_events";

/// Appends every request that passes its version checks, inside `tx`.
///
/// Returns one outcome per request: a request whose expected version does not
/// match is refused with [`StoreError::Conflict`] and writes nothing, without
/// affecting the others. A database error fails the whole batch.
pub async fn append_batch(
    tx: &impl Db,
    requests: &[AppendRequest],
) -> Result<Vec<Result<Appended, StoreError>>, tokio_postgres::Error> {
    Ok(append_rows(tx, requests).await?.0)
}

/// [`append_batch`], and what it inserted: enough to hand the committed
/// events to this instance's readers without reading them back.
pub async fn append_rows(
    tx: &impl Db,
    requests: &[AppendRequest],
) -> Result<(Vec<Result<Appended, StoreError>>, Inserted), tokio_postgres::Error> {
    append(tx, requests, false).await
}

/// [`append_rows`] on a connection outside a transaction: `BEGIN` travels
/// with the lock and the version reads, saving the round trip a separate
/// `BEGIN` costs (a fifth of a group commit's time, measured). On success the
/// transaction is open and the caller commits it; on an error the connection
/// may be left inside it, so the caller must discard it, not pool it.
pub async fn begin_and_append(
    conn: &impl Db,
    requests: &[AppendRequest],
) -> Result<(Vec<Result<Appended, StoreError>>, Inserted), tokio_postgres::Error> {
    append(conn, requests, true).await
}

async fn append(
    tx: &impl Db,
    requests: &[AppendRequest],
    begin: bool,
) -> Result<(Vec<Result<Appended, StoreError>>, Inserted), tokio_postgres::Error> {
    let (mut versions, head_before) = lock_and_read_versions(tx, requests, begin).await?;

    let mut rows = Rows::default();
    let mut outcomes = Vec::with_capacity(requests.len());
    let mut accepted = Vec::new();
    for (index, request) in requests.iter().enumerate() {
        match check_versions(request, &versions) {
            Err(conflict) => outcomes.push(Err(conflict)),
            Ok(()) => {
                let new_versions = rows.push_request(index, request, &mut versions);
                outcomes.push(Ok(Appended { last_position: 0, versions: new_versions }));
                accepted.push(index);
            }
        }
    }

    let stored = rows.insert(tx).await?;
    for (row, (position, _, _)) in stored.iter().enumerate() {
        if let Some(Ok(appended)) = outcomes.get_mut(rows.request_index[row] as usize) {
            appended.last_position = appended.last_position.max(*position);
        }
    }
    let ops: Vec<&SecretOp> = accepted.iter().flat_map(|&index| requests[index].secrets.iter()).collect();
    super::secrets::apply(tx, &ops).await?;
    Ok((outcomes, Inserted { head_before, accepted, stored }))
}

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

/// Takes the append lock (after `BEGIN`, with `begin`), then reads the
/// current version of every stream written and the log's head: three
/// statements sent together (one round trip), executed in order — the later
/// statements' snapshots are taken after the lock is held, so the head is the
/// last committed position before this transaction's rows (appends are
/// serialised by the lock). `BEGIN` and the lock are one simple query: if
/// either fails, neither the lock nor anything after it is taken as granted.
async fn lock_and_read_versions(
    tx: &impl Db,
    requests: &[AppendRequest],
    begin: bool,
) -> Result<(HashMap<String, i64>, i64), tokio_postgres::Error> {
    let mut streams: Vec<&str> = requests.iter().flat_map(|r| r.writes.iter().map(|w| w.stream.as_str())).collect();
    streams.sort_unstable();
    streams.dedup();
    // Prepared first, so the executions are queued in this order on the first poll.
    let lock = tx.prepared("SELECT pg_advisory_xact_lock($1)").await?;
    let versions = tx
        .prepared(
            "SELECT s.stream, COALESCE((SELECT max(e.version) FROM events e WHERE e.stream = s.stream), 0)
             FROM unnest($1::text[]) AS s(stream)",
        )
        .await?;
    let head = tx.prepared("SELECT COALESCE(max(position), 0) FROM events").await?;
    use tokio_postgres::GenericClient as Client;
    let client = tx.client();
    let (lock_params, version_params): (Params, Params) = (&[&APPEND_LOCK], &[&streams]);
    let locked = async {
        if begin {
            Client::batch_execute(client, &format!("BEGIN; SELECT pg_advisory_xact_lock({APPEND_LOCK})")).await
        } else {
            Client::execute(client, &lock, lock_params).await.map(drop)
        }
    };
    let (_, rows, head) = futures::try_join!(
        locked,
        Client::query(client, &versions, version_params),
        Client::query_one(client, &head, &[])
    )?;
    Ok((rows.iter().map(|row| (row.get(0), row.get(1))).collect(), head.try_get(0)?))
}

fn check_versions(request: &AppendRequest, versions: &HashMap<String, i64>) -> Result<(), StoreError> {
    for write in &request.writes {
        let actual = versions.get(&write.stream).copied().unwrap_or(0);
        if let ExpectedVersion::Exact(expected) = write.expected
            && expected != actual
        {
            return Err(StoreError::Conflict { stream: write.stream.clone(), expected, actual });
        }
    }
    Ok(())
}

/// Column arrays for one `INSERT … SELECT FROM unnest(…)`, borrowing the requests.
#[derive(Default)]
struct Rows<'a> {
    request_index: Vec<i64>,
    stream: Vec<&'a str>,
    version: Vec<i64>,
    event_type: Vec<&'a str>,
    schema_version: Vec<i32>,
    payload: Vec<&'a serde_json::Value>,
    actor: Vec<Option<&'a str>>,
    request_id: Vec<Option<&'a str>>,
    remote_addr: Vec<Option<&'a str>>,
    correlation_id: Vec<Option<&'a str>>,
    causation_id: Vec<Option<&'a str>>,
}

impl<'a> Rows<'a> {
    fn push_request(
        &mut self,
        index: usize,
        request: &'a AppendRequest,
        versions: &mut HashMap<String, i64>,
    ) -> Vec<i64> {
        let meta = &request.metadata;
        let mut new_versions = Vec::with_capacity(request.writes.len());
        for write in &request.writes {
            let version = versions.entry(write.stream.clone()).or_insert(0);
            for event in &write.events {
                *version += 1;
                self.request_index.push(index as i64);
                self.stream.push(&write.stream);
                self.version.push(*version);
                self.event_type.push(&event.event_type);
                self.schema_version.push(event.schema_version);
                self.payload.push(&event.payload);
                self.actor.push(meta.actor.as_deref());
                self.request_id.push(meta.request_id.as_deref());
                self.remote_addr.push(meta.remote_addr.as_deref());
                self.correlation_id.push(meta.correlation_id.as_deref());
                self.causation_id.push(meta.causation_id.as_deref());
            }
            new_versions.push(*version);
        }
        new_versions
    }

    /// Inserts all rows; returns each row's position, version and `recorded_at`, in row order.
    async fn insert(&self, tx: &impl Db) -> Result<Vec<(i64, i64, OffsetDateTime)>, tokio_postgres::Error> {
        if self.stream.is_empty() {
            return Ok(Vec::new());
        }
        let returned = tx
            .query(
                // The new head is announced (NOTIFY, delivered at commit) by
                // the same statement, saving a round trip under the lock.
                "WITH inserted AS (
                     INSERT INTO events (stream, version, event_type, schema_version, payload,
                                         actor, request_id, remote_addr, correlation_id, causation_id)
                     SELECT stream, version, event_type, schema_version, payload,
                            actor, request_id, remote_addr, correlation_id, causation_id
                     FROM unnest($1::text[], $2::bigint[], $3::text[], $4::int[], $5::jsonb[],
                                 $6::text[], $7::text[], $8::text[], $9::text[], $10::text[])
                          WITH ORDINALITY AS r(stream, version, event_type, schema_version, payload,
                                               actor, request_id, remote_addr, correlation_id, causation_id, ord)
                     ORDER BY ord
                     RETURNING position, stream, version, recorded_at),
                 announced AS (SELECT pg_notify($11, max(position)::text) FROM inserted)
                 SELECT i.position, i.stream, i.version, i.recorded_at FROM inserted i, announced",
                &[
                    &self.stream,
                    &self.version,
                    &self.event_type,
                    &self.schema_version,
                    &self.payload,
                    &self.actor,
                    &self.request_id,
                    &self.remote_addr,
                    &self.correlation_id,
                    &self.causation_id,
                    &NOTIFY_CHANNEL,
                ],
            )
            .await?;
        let row_of: HashMap<(&str, i64), usize> =
            self.stream.iter().zip(&self.version).enumerate().map(|(row, (s, v))| ((*s, *v), row)).collect();
        let mut stored = vec![(0, 0, OffsetDateTime::UNIX_EPOCH); self.stream.len()];
        for returned in returned {
            let key = (returned.try_get::<_, &str>(1)?, returned.try_get(2)?);
            if let Some(&row) = row_of.get(&key) {
                stored[row] = (returned.try_get(0)?, key.1, returned.try_get(3)?);
            }
        }
        Ok(stored)
    }
}
