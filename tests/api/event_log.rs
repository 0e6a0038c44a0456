//! The log itself: ordering under concurrent writers, append-only, versions.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use pureboot::event_store::append::{append_batch, append_rows};
use pureboot::event_store::read::read_after;
use pureboot::event_store::{AppendRequest, Appended, ExpectedVersion, Metadata, NewEvent, StoreError, StreamWrite};
use serde_json::json;
use tokio::sync::Mutex;

use crate::support::{TestDb, scalar};

const WRITERS: usize = 8;

/// 120 in CI; `PUREBOOT_ORDERING_TRANSACTIONS=12500` gives the ≥ 200,000-event
/// run of BENCHMARKS.md.
fn transactions_per_writer() -> usize {
    std::env::var("PUREBOOT_ORDERING_TRANSACTIONS").ok().and_then(|v| v.parse().ok()).unwrap_or(120)
}

fn request(stream: &str, expected: ExpectedVersion, tags: &[String]) -> AppendRequest {
    let events = tags
        .iter()
        .map(|tag| NewEvent { event_type: "test.happened".into(), schema_version: 1, payload: json!({ "tag": tag }) })
        .collect();
    AppendRequest::single(StreamWrite { stream: stream.into(), expected, events }, Metadata::default())
}

/// Appends `request` in a transaction of its own and commits it.
async fn committed(client: &mut tokio_postgres::Client, request: AppendRequest) {
    let tx = client.transaction().await.expect("begin");
    append_batch(&tx, &[request]).await.expect("append");
    tx.commit().await.expect("commit");
}

/// Given 8 writers on their own connections, each sleeping between insert
/// and commit and rolling back every tenth transaction, when a reader tails
/// the log meanwhile, then it sees every committed event exactly once, in
/// position order, and nothing rolled back.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_tailing_reader_sees_every_committed_event_once_in_order() {
    let db = TestDb::new().await;
    let committed = Arc::new(Mutex::new(BTreeSet::new()));
    let done = Arc::new(AtomicBool::new(false));

    let reader = {
        let client = db.client().await;
        let done = done.clone();
        tokio::spawn(async move {
            let (mut last, mut seen) = (0i64, Vec::new());
            loop {
                let finished = done.load(Ordering::SeqCst);
                let batch = read_after(&client, last, 500).await.expect("read");
                for event in &batch {
                    assert!(event.position > last, "positions must increase: {} after {last}", event.position);
                    last = event.position;
                    seen.push(event.payload["tag"].as_str().expect("tag").to_owned());
                }
                if finished && batch.is_empty() {
                    return seen;
                }
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
        })
    };

    let mut writers = Vec::new();
    for writer in 0..WRITERS {
        let mut client = db.client().await;
        let committed = committed.clone();
        writers.push(tokio::spawn(async move {
            for i in 0..transactions_per_writer() {
                let tags: Vec<String> = (0..1 + i % 3).map(|k| format!("{writer}-{i}-{k}")).collect();
                let tx = client.transaction().await.expect("begin");
                let stream = format!("test:{writer}-{i}");
                let outcome =
                    append_batch(&tx, &[request(&stream, ExpectedVersion::Exact(0), &tags)]).await.expect("append");
                assert!(outcome[0].is_ok());
                tokio::time::sleep(Duration::from_micros((i as u64 * 37 + writer as u64 * 101) % 900)).await;
                if i % 10 == 3 {
                    tx.rollback().await.expect("rollback");
                } else {
                    tx.commit().await.expect("commit");
                    committed.lock().await.extend(tags);
                }
            }
        }));
    }
    for writer in writers {
        writer.await.expect("writer");
    }
    done.store(true, Ordering::SeqCst);
    let seen = reader.await.expect("reader");

    let unique: BTreeSet<String> = seen.iter().cloned().collect();
    assert_eq!(unique.len(), seen.len(), "an event was delivered twice");
    let committed = committed.lock().await.clone();
    assert_eq!(unique, committed, "the reader must see exactly the committed events");
}

#[tokio::test]
async fn the_log_refuses_update_delete_and_truncate() {
    let db = TestDb::new().await;
    let mut client = db.client().await;
    committed(&mut client, request("test:a", ExpectedVersion::Exact(0), &["x".into()])).await;

    for statement in ["UPDATE events SET payload = '{}'", "DELETE FROM events", "TRUNCATE events"] {
        let err = client.batch_execute(statement).await.expect_err(statement);
        let message = err.as_db_error().map(|e| e.message().to_owned()).unwrap_or_default();
        assert!(message.contains("append-only"), "{statement}: {message}");
    }
    let count: i64 = scalar(&client, "SELECT count(*) FROM events", &[]).await;
    assert_eq!(count, 1);
}

#[tokio::test]
async fn a_stale_expected_version_is_a_conflict_and_writes_nothing() {
    let db = TestDb::new().await;
    let mut client = db.client().await;
    let tx = client.transaction().await.expect("begin");
    let outcomes = append_batch(
        &tx,
        &[
            request("test:s", ExpectedVersion::Exact(0), &["a".into()]),
            // Decided on the same old version: must lose.
            request("test:s", ExpectedVersion::Exact(0), &["b".into()]),
            request("test:s", ExpectedVersion::Exact(1), &["c".into()]),
        ],
    )
    .await
    .expect("batch");
    tx.commit().await.expect("commit");
    assert!(outcomes[0].is_ok());
    assert!(matches!(outcomes[1], Err(StoreError::Conflict { expected: 0, actual: 1, .. })));
    assert_eq!(outcomes[2].as_ref().expect("third decided on version 1").versions, vec![2]);
    let tags: Vec<String> = client
        .query("SELECT payload->>'tag' FROM events ORDER BY position", &[])
        .await
        .expect("rows")
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(tags, ["a", "c"]);
}

/// A refused request ahead of an accepted one on the same stream: the
/// accepted one's row is its own in the outcomes and in the batch handed on,
/// whatever version the refused one had expected.
#[tokio::test]
async fn a_refused_request_takes_nothing_from_the_accepted_ones() {
    let db = TestDb::new().await;
    let mut client = db.client().await;
    let requests = vec![
        request("test:s", ExpectedVersion::Exact(5), &["never".into()]),
        request("test:s", ExpectedVersion::Exact(0), &["a".into()]),
    ];
    let tx = client.transaction().await.expect("begin");
    let (outcomes, inserted) = append_rows(&tx, &requests).await.expect("append");
    tx.commit().await.expect("commit");
    assert!(matches!(&outcomes[0], Err(StoreError::Conflict { expected: 5, actual: 0, .. })), "{:?}", outcomes[0]);
    let position: i64 = scalar(&client, "SELECT position FROM events WHERE stream = 'test:s'", &[]).await;
    assert_eq!(outcomes[1].as_ref().expect("accepted"), &Appended { last_position: position, versions: vec![1] });
    let batch = inserted.into_batch(requests);
    let handed: Vec<_> = batch.events.iter().map(|e| (e.position, e.payload["tag"].clone())).collect();
    assert_eq!(handed, [(position, json!("a"))]);
}

/// Given two writers' transactions, one of them rolled back (a gap) and one
/// with a conflicting request, when the second batch is handed on in memory,
/// then it is exactly what the log returns for its positions — position,
/// stream, version, type, payload, metadata and `recorded_at` — and its
/// `after` is the last committed position before it, skipping the gap.
#[tokio::test]
async fn a_committed_batch_in_memory_equals_the_log_and_names_the_head_before_it() {
    let db = TestDb::new().await;
    let mut client = db.client().await;
    committed(&mut client, request("test:first", ExpectedVersion::Exact(0), &["a".into()])).await;
    let tx = client.transaction().await.expect("begin");
    append_batch(&tx, &[request("test:lost", ExpectedVersion::Exact(0), &["x".into(), "y".into()])])
        .await
        .expect("append");
    tx.rollback().await.expect("rollback");

    let mut tracked = request("test:second", ExpectedVersion::Exact(0), &["b".into(), "c".into()]);
    tracked.metadata = Metadata { actor: Some("tester".into()), request_id: Some("r-1".into()), ..Metadata::default() };
    let requests = vec![
        request("test:first", ExpectedVersion::Exact(0), &["refused".into()]),
        tracked,
        request("test:first", ExpectedVersion::Exact(1), &["d".into()]),
    ];
    let tx = client.transaction().await.expect("begin");
    let (outcomes, inserted) = append_rows(&tx, &requests).await.expect("append");
    tx.commit().await.expect("commit");
    assert!(outcomes[0].is_err() && outcomes[1].is_ok() && outcomes[2].is_ok());
    let batch = inserted.into_batch(requests);

    let head_before: i64 = 1;
    assert_eq!(batch.after, head_before, "the rolled-back positions are a gap, not a committed head");
    let logged = read_after(&client, head_before, 100).await.expect("read");
    let shape = |e: &pureboot::event_store::RecordedEvent| {
        (
            e.position,
            e.stream.clone(),
            e.version,
            e.event_type.clone(),
            e.payload.clone(),
            e.actor.clone(),
            e.request_id.clone(),
            e.recorded_at,
        )
    };
    assert_eq!(batch.events.iter().map(shape).collect::<Vec<_>>(), logged.iter().map(shape).collect::<Vec<_>>());
    assert_eq!(batch.events.len(), 3);
    assert_eq!(batch.last(), logged.last().expect("events").position);
}
