//! The bulk rebuild (session and node read models folded in memory, written
//! with `COPY`) gives the rows the live fold gives, over a log that takes
//! every kind of clone-session and node event through every branch of the
//! folds.

use pureboot::domain::clone_session::{
    CertificateIssued, CloneMode, CloneSessionEvent as E, ProgressReported, ResizeMode, Role, SessionCreated,
    SessionSpec, SessionUpdated, SourceCompleted, SourceEndpoint, StagedImage, StagingStatus, TransferPhase,
};
use pureboot::domain::image::{ImageEvent, StoredImage};
use pureboot::domain::node::{MacAddress, NodeDetails, NodeEvent, NodeState};
use pureboot::event_store::append::append_batch;
use pureboot::event_store::{AppendRequest, Category, ExpectedVersion, Metadata, NewEvent, StreamWrite, codec};
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use crate::projections::{snapshot, wait_caught_up};
use crate::support::TestApp;

/// A time with a sub-microsecond part PostgreSQL must round (`n` varies it;
/// every 7th falls exactly on half a microsecond).
fn at(n: i64) -> OffsetDateTime {
    let nanos = if n % 7 == 0 { 500 } else { (n * 389) % 1000 };
    OffsetDateTime::now_utc().replace_nanosecond(123_456_000 + nanos as u32).expect("nanos") + Duration::seconds(n)
}

fn created(id: Uuid, n: i64, staged: Option<StagedImage>) -> E {
    let direct = staged.is_none();
    E::Created(SessionCreated {
        id,
        spec: SessionSpec {
            name: (n % 2 == 0).then(|| format!("session {n}")),
            clone_mode: if direct { CloneMode::Direct } else { CloneMode::Staged },
            source_node_id: Uuid::new_v4(),
            target_node_id: (direct && n % 5 != 0).then(Uuid::new_v4),
            source_device: "/dev/sda".into(),
            target_device: "/dev/sdb".into(),
            staging_backend_id: (!direct).then(Uuid::new_v4),
            resize_mode: if n % 3 == 0 { ResizeMode::GrowTarget } else { ResizeMode::None },
        },
        staged,
        created_by: (n % 4 != 0).then(|| "admin".into()),
        at: at(n),
    })
}

fn certificate(role: Role, n: i64) -> E {
    E::CertificateIssued(CertificateIssued {
        role,
        serial: format!("{:032x}", Uuid::new_v4().as_u128()),
        fingerprint_sha256: "00".repeat(32),
        subject: "CN=session".into(),
        not_before: at(n),
        not_after: at(n + 86_400),
    })
}

fn progress(bytes: i64, rate: Option<i64>, status: Option<TransferPhase>, wire: Option<i64>) -> E {
    E::ProgressReported(ProgressReported {
        role: Role::Target,
        reported_bytes: bytes / 2,
        bytes_transferred: bytes,
        bytes_total: Some(1 << 30),
        transfer_rate_bps: rate,
        status,
        bytes_on_wire: wire,
    })
}

/// One session's events: a direct session through `n`'s outcome.
fn direct_session(id: Uuid, n: i64) -> Vec<E> {
    let mut events = vec![created(id, n, None), certificate(Role::Source, n), certificate(Role::Target, n)];
    if n % 6 == 1 {
        events.push(E::Updated(SessionUpdated {
            name: Some("renamed".into()),
            target_node_id: Some(Uuid::new_v4()),
            target_device: None,
            resize_mode: Some(ResizeMode::ShrinkSource),
        }));
        events.push(certificate(Role::Target, n + 1));
    }
    if n % 6 == 2 {
        events.push(E::Started { source_node_id: Uuid::new_v4(), target_node_id: None, requested: true });
    }
    if n % 6 == 3 {
        return events;
    }
    let endpoint =
        SourceEndpoint { ip: "10.0.0.5".into(), port: 9000 + n as u16, size_bytes: 1 << 30, device: "/dev/sda".into() };
    events.push(E::SourceReady { endpoint, at: at(n + 1) });
    events.push(progress(100, Some(1_000), Some(TransferPhase::Transferring), Some(90)));
    events.push(progress(200, None, None, None));
    events.push(progress(300, Some(2_000), Some(TransferPhase::Verifying), None));
    events.push(progress(400, None, Some(TransferPhase::Verifying), Some(380)));
    match n % 5 {
        0 => events.push(E::Completed {
            duration_seconds: n % 2,
            bytes_transferred: 1 << 30,
            digest: None,
            at: at(n + 2),
        }),
        1 => events.push(E::Failed { error: format!("disk {n}"), at: at(n + 2) }),
        2 => events.push(E::Cancelled { at: at(n + 2) }),
        3 => {
            events.push(E::Completed { duration_seconds: 7, bytes_transferred: 1 << 30, digest: None, at: at(n + 2) });
            events.push(E::Deleted { at: at(n + 3) });
            // After the deletion: the live fold finds no row to change.
            events.push(progress(500, None, None, None));
        }
        _ => {}
    }
    events
}

/// A staged capture: staging moves on, the upload completes, maybe its image is deleted.
fn staged_session(id: Uuid, image: Uuid, n: i64) -> Vec<E> {
    let staged = StagedImage::Capture { image_id: image, image_name: format!("image-{n}") };
    let stored = StoredImage {
        size_bytes: 1 << 29,
        chunk_size_bytes: 1 << 22,
        chunks: 128,
        digest: "ab".repeat(32),
        manifest_digest: "cd".repeat(32),
    };
    let staging = |status, size, k| E::StagingChanged {
        role: Role::Source,
        staging_status: status,
        size_bytes: size,
        at: at(n + k),
    };
    vec![
        created(id, n, Some(staged)),
        certificate(Role::Source, n),
        staging(StagingStatus::Provisioned, None, 1),
        staging(StagingStatus::Uploading, Some(1 << 29), 2),
        progress(1 << 20, Some(5_000), Some(TransferPhase::Transferring), Some(1 << 19)),
        staging(StagingStatus::Uploading, None, 3),
        E::SourceCompleted(SourceCompleted { image_id: image, stored, bytes_uploaded: Some(1 << 28), at: at(n + 4) }),
    ]
}

/// A node's events: registered, then by `n` updated, registered again (the
/// first registration stays), deleted and updated after its deletion (no
/// row to change).
fn node(id: Uuid, n: i64) -> Vec<NodeEvent> {
    let details = |k: i64| NodeDetails {
        mac_address: MacAddress::parse(&format!("52:54:00:00:{n:02x}:{k:02x}")).expect("mac"),
        hostname: format!("node-{n}-{k}"),
        ip_address: (k % 2 == 0).then(|| format!("10.0.{n}.{k}")),
        arch: "x86_64".into(),
        state: if k == 0 { NodeState::Discovered } else { NodeState::Active },
    };
    let mut events = vec![NodeEvent::Registered { id, details: details(0), at: at(n) }];
    if n % 3 != 0 {
        events.push(NodeEvent::Updated { details: details(1), at: at(n + 1) });
    }
    if n % 4 == 1 {
        events.push(NodeEvent::Registered { id, details: details(2), at: at(n + 2) });
    }
    if n % 5 == 2 {
        events.push(NodeEvent::Deleted { at: at(n + 3) });
        events.push(NodeEvent::Updated { details: details(3), at: at(n + 4) });
    }
    events
}

async fn append(app: &TestApp, writes: Vec<(String, Vec<pureboot::event_store::NewEvent>)>) {
    let mut conn = app.db.pool().get().await.expect("connection");
    let tx = conn.transaction().await.expect("transaction");
    let requests: Vec<AppendRequest> = writes
        .into_iter()
        .map(|(stream, events)| {
            AppendRequest::single(StreamWrite { stream, expected: ExpectedVersion::Any, events }, Metadata::default())
        })
        .collect();
    append_batch(&tx, &requests).await.expect("append");
    tx.commit().await.expect("commit");
}

fn encode(event: &impl pureboot::event_store::DomainEvent) -> NewEvent {
    codec::encode(event).expect("encode")
}

/// Given 60 sessions through every outcome and 20 nodes through every
/// change (appended in transactions of varied size, interleaved across
/// streams, folded live by the runner) and deleted images, when every
/// projection is rebuilt in bulk, then every table equals the live one row
/// for row.
#[tokio::test(flavor = "multi_thread")]
async fn bulk_rebuild_equals_the_live_fold_row_for_row() {
    let app = TestApp::spawn().await;
    let mut sessions: Vec<(Uuid, Vec<E>)> = Vec::new();
    let mut images = Vec::new();
    for n in 0..60 {
        let id = Uuid::new_v4();
        if n % 4 == 3 {
            let image = Uuid::new_v4();
            images.push((image, n));
            sessions.push((id, staged_session(id, image, n)));
        } else {
            sessions.push((id, direct_session(id, n)));
        }
    }
    let mut streams: Vec<(String, Vec<NewEvent>)> = sessions
        .iter()
        .map(|(id, events)| (Category::CloneSession.stream(id), events.iter().map(encode).collect()))
        .collect();
    for n in 0..20 {
        let id = Uuid::new_v4();
        streams.push((Category::Node.stream(id), node(id, n).iter().map(encode).collect()));
    }
    // Round-robin, one event per stream per step, a varying number of
    // streams per transaction: live batches mix streams and split runs.
    let mut step = 0;
    loop {
        let mut writes = Vec::new();
        for (stream, events) in &streams {
            if let Some(event) = events.get(step) {
                writes.push((stream.clone(), vec![event.clone()]));
            }
        }
        if writes.is_empty() {
            break;
        }
        for chunk in writes.chunks(1 + step % 7) {
            append(&app, chunk.to_vec()).await;
        }
        step += 1;
    }
    for (image, n) in images.iter().filter(|(_, n)| n % 8 == 3) {
        let deleted = codec::encode(&ImageEvent::Deleted { at: at(*n) }).expect("encode");
        append(&app, vec![(Category::Image.stream(image), vec![deleted])]).await;
    }
    let client = app.db.client().await;
    wait_caught_up(&client).await;
    let live = snapshot(&app.db).await;
    assert!(live[0].len() == 16, "the log left nodes to compare");
    assert!(live[2].len() >= 30 && live[4].len() >= 60 && live[6].len() == 60, "the log left rows to compare");

    pureboot::projections::rebuild(&app.db.pool(), None).await.expect("rebuild");
    let rebuilt = snapshot(&app.db).await;
    for (table, (live, rebuilt)) in live.iter().zip(&rebuilt).enumerate() {
        assert_eq!(live, rebuilt, "table {table} of the snapshot");
    }
}
