//! The append transaction: one lock, one version check, one multi-row insert.
//!
//! [`append_batch`] is called by the group-commit writer with many requests at
//! once, but it is equally valid for a single request on any connection; tests
//! call it directly from several connections to prove the ordering guarantee.

use std::collections::HashMap;

use crate::db::{Db, Params};

use super::{AppendRequest, Appended, ExpectedVersion, SecretOp, StoreError};

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
    let mut versions = lock_and_read_versions(tx, requests).await?;

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

    let last_positions = rows.insert(tx).await?;
    for &index in &accepted {
        if let Some(Ok(appended)) = outcomes.get_mut(index) {
            appended.last_position = last_positions.get(&index).copied().unwrap_or(0);
        }
    }
    let ops: Vec<&SecretOp> = accepted.iter().flat_map(|&index| requests[index].secrets.iter()).collect();
    super::secrets::apply(tx, &ops).await?;
    Ok(outcomes)
}

/// Takes the append lock, then reads the current version of every stream
/// written: two statements sent together (one round trip), executed in order
/// — the versions statement's snapshot is taken after the lock is held.
async fn lock_and_read_versions(
    tx: &impl Db,
    requests: &[AppendRequest],
) -> Result<HashMap<String, i64>, tokio_postgres::Error> {
    let mut streams: Vec<&str> = requests.iter().flat_map(|r| r.writes.iter().map(|w| w.stream.as_str())).collect();
    streams.sort_unstable();
    streams.dedup();
    // Prepared first, so both executions are queued in this order on the first poll.
    let lock = tx.prepared("SELECT pg_advisory_xact_lock($1)").await?;
    let versions = tx
        .prepared(
            "SELECT s.stream, COALESCE((SELECT max(e.version) FROM events e WHERE e.stream = s.stream), 0)
             FROM unnest($1::text[]) AS s(stream)",
        )
        .await?;
    use tokio_postgres::GenericClient as Client;
    let client = tx.client();
    let (lock_params, version_params): (Params, Params) = (&[&APPEND_LOCK], &[&streams]);
    let (_, rows) = futures::try_join!(
        Client::execute(client, &lock, lock_params),
        Client::query(client, &versions, version_params)
    )?;
    Ok(rows.iter().map(|row| (row.get(0), row.get(1))).collect())
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

/// Column arrays for one `INSERT … SELECT FROM unnest(…)`.
#[derive(Default)]
struct Rows {
    request_index: Vec<i64>,
    stream: Vec<String>,
    version: Vec<i64>,
    event_type: Vec<String>,
    schema_version: Vec<i32>,
    payload: Vec<serde_json::Value>,
    actor: Vec<Option<String>>,
    request_id: Vec<Option<String>>,
    remote_addr: Vec<Option<String>>,
    correlation_id: Vec<Option<String>>,
    causation_id: Vec<Option<String>>,
}

impl Rows {
    fn push_request(&mut self, index: usize, request: &AppendRequest, versions: &mut HashMap<String, i64>) -> Vec<i64> {
        let meta = &request.metadata;
        let mut new_versions = Vec::with_capacity(request.writes.len());
        for write in &request.writes {
            let version = versions.entry(write.stream.clone()).or_insert(0);
            for event in &write.events {
                *version += 1;
                self.request_index.push(index as i64);
                self.stream.push(write.stream.clone());
                self.version.push(*version);
                self.event_type.push(event.event_type.clone());
                self.schema_version.push(event.schema_version);
                self.payload.push(event.payload.clone());
                self.actor.push(meta.actor.clone());
                self.request_id.push(meta.request_id.clone());
                self.remote_addr.push(meta.remote_addr.clone());
                self.correlation_id.push(meta.correlation_id.clone());
                self.causation_id.push(meta.causation_id.clone());
            }
            new_versions.push(*version);
        }
        new_versions
    }

    /// Inserts all rows; returns the last position written per request index.
    async fn insert(&self, tx: &impl Db) -> Result<HashMap<usize, i64>, tokio_postgres::Error> {
        if self.stream.is_empty() {
            return Ok(HashMap::new());
        }
        let rows = tx
            .query(
                // The new head is announced (NOTIFY, delivered at commit) by
                // the same statement, saving a round trip under the lock.
                "WITH inserted AS (
                     INSERT INTO events (stream, version, event_type, schema_version, payload,
                                         actor, request_id, remote_addr, correlation_id, causation_id)
                     SELECT stream, version, event_type, schema_version, payload,
                            actor, request_id, remote_addr, correlation_id, causation_id
                     FROM unnest($1::text[], $2::bigint[], $3::text[], $4::int[], $5::jsonb[],
                                 $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::bigint[])
                          WITH ORDINALITY AS r(stream, version, event_type, schema_version, payload,
                                               actor, request_id, remote_addr, correlation_id, causation_id,
                                               request_index, ord)
                     ORDER BY ord
                     RETURNING position, stream, version),
                 announced AS (SELECT pg_notify($12, max(position)::text) FROM inserted)
                 SELECT i.position, i.stream, i.version FROM inserted i, announced",
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
                    &self.request_index,
                    &NOTIFY_CHANNEL,
                ],
            )
            .await?;
        let index_of: HashMap<(&str, i64), usize> = self
            .stream
            .iter()
            .zip(&self.version)
            .zip(&self.request_index)
            .map(|((s, v), i)| ((s.as_str(), *v), *i as usize))
            .collect();
        let mut last = HashMap::new();
        for row in rows {
            let position: i64 = row.get(0);
            let stream: &str = row.get(1);
            let version: i64 = row.get(2);
            if let Some(&index) = index_of.get(&(stream, version)) {
                let entry = last.entry(index).or_insert(position);
                *entry = (*entry).max(position);
            }
        }
        Ok(last)
    }
}
