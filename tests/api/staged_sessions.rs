//! Staged sessions' API without agents: the staging callbacks in and out of
//! order, what staging-info hands each node, the refusals at creation, and
//! an image that cannot be deleted while a session uses it.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::creation_guard::reported;
use crate::support::TestApp;

const DIGEST: &str = "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262";
const MANIFEST: &str = "0f2e9c5b0c1d7a3e4b6f8a9d2c1e0b3a5f7d9e8c6b4a2f1e0d3c5b7a9e8f6d4c";
const SIZE: i64 = 8 << 20;

async fn backend(app: &TestApp, name: &str, kind: &str, config: Value) -> String {
    let (status, body) = app.post("/storage/backends", json!({"name": name, "type": kind, "config": config})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["data"]["id"].as_str().expect("id").to_owned()
}

/// A capture session on an http backend (so staging-info carries a password).
async fn capture(app: &TestApp, name: &str) -> (String, String) {
    let config = json!({"url": "http://127.0.0.1:1/dav/", "username": "agent", "password": "s3cret"});
    let backend = backend(app, &format!("dav-{name}"), "http", config).await;
    let source = app.node("master").await;
    let body = json!({"clone_mode": "staged", "source_node_id": source, "staging_backend_id": backend,
        "image_name": name});
    let (status, answer) = app.post("/clone-sessions", body).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    (answer["data"]["id"].as_str().expect("id").to_owned(), backend)
}

async fn staging(app: &TestApp, id: &str, role: &str, status: &str, size: Option<i64>) -> (StatusCode, Value) {
    let body = json!({"role": role, "status": status, "size_bytes": size});
    app.as_node(id, role).post(&format!("/clone-sessions/{id}/staging-status"), body).await
}

async fn source_complete(app: &TestApp, id: &str) -> (StatusCode, Value) {
    let body = json!({"size_bytes": SIZE, "chunk_size_bytes": 4 << 20, "chunks": 2, "digest": DIGEST,
        "manifest_digest": MANIFEST, "bytes_uploaded": 1000});
    app.as_node(id, "source").post(&format!("/clone-sessions/{id}/source-complete"), body).await
}

/// A capture taken to `ready` by hand; returns the session and image ids.
async fn ready_image(app: &TestApp, name: &str) -> (String, String) {
    let (id, _) = capture(app, name).await;
    assert_eq!(staging(app, &id, "source", "provisioned", None).await.0, StatusCode::OK);
    assert_eq!(staging(app, &id, "source", "uploading", Some(SIZE)).await.0, StatusCode::OK);
    let (status, body) = source_complete(app, &id).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, view) = app.get(&format!("/clone-sessions/{id}")).await;
    (id, view["data"]["image_id"].as_str().expect("image id").to_owned())
}

#[tokio::test]
async fn the_staging_callbacks_move_a_capture_to_ready_and_refuse_what_is_out_of_order() {
    let app = TestApp::spawn().await;
    let (id, backend) = capture(&app, "golden").await;

    // staging-info tells the source where to upload, with the backend's password
    let (status, info) = app.as_node(&id, "source").get(&format!("/clone-sessions/{id}/staging-info")).await;
    assert_eq!(status, StatusCode::OK, "{info}");
    let info = &info["data"];
    assert_eq!((info["direction"].as_str(), info["image_name"].as_str()), (Some("capture"), Some("golden")));
    assert_eq!(
        (info["backend"]["id"].as_str(), info["backend"]["password"].as_str()),
        (Some(&*backend), Some("s3cret"))
    );
    assert_eq!(info["path"], "images/golden/manifest.json");
    // an operator never sees the password: staging-info takes node tokens only
    assert_eq!(app.get(&format!("/clone-sessions/{id}/staging-info")).await.0, StatusCode::FORBIDDEN);

    // out of order: complete before uploading, uploading without a size, a target uploading
    assert_eq!(source_complete(&app, &id).await.0, StatusCode::CONFLICT);
    assert_eq!(staging(&app, &id, "source", "uploading", None).await.0, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(staging(&app, &id, "target", "uploading", Some(SIZE)).await.0, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(staging(&app, &id, "source", "provisioned", None).await.0, StatusCode::OK);
    let (status, body) = staging(&app, &id, "source", "uploading", Some(SIZE)).await;
    assert_eq!((status, body["data"]["status"].as_str()), (StatusCode::OK, Some("cloning")), "{body}");
    // a replayed report is acknowledged, nothing recorded twice
    assert_eq!(staging(&app, &id, "source", "provisioned", None).await.0, StatusCode::OK);
    let (status, body) = source_complete(&app, &id).await;
    assert_eq!((status, body["data"]["staging_status"].as_str()), (StatusCode::OK, Some("ready")), "{body}");
    assert_eq!(source_complete(&app, &id).await.0, StatusCode::OK, "a replay");

    let (_, view) = app.get(&format!("/clone-sessions/{id}")).await;
    assert_eq!(
        (view["data"]["status"].as_str(), view["data"]["staging_status"].as_str()),
        (Some("completed"), Some("ready"))
    );
    let (status, status_body) = app.get(&format!("/clone-sessions/{id}/staging-status")).await;
    assert_eq!((status, status_body["data"]["staging_status"].as_str()), (StatusCode::OK, Some("ready")));
    let (_, images) = app.get("/images?name=GOLD").await;
    assert_eq!(images["data"][0]["digest"], DIGEST, "{images}");
    assert_eq!(images["data"][0]["manifest_digest"], MANIFEST);
}

#[tokio::test]
async fn a_restore_takes_its_source_from_the_image_and_its_target_must_report_the_images_digest() {
    let app = TestApp::spawn().await;
    let (_, image) = ready_image(&app, "golden").await;
    let target = app.node("node-1").await;
    let (status, body) =
        app.post("/clone-sessions", json!({"clone_mode": "staged", "image_id": image, "target_node_id": target})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let id = body["data"]["id"].as_str().expect("id").to_owned();
    assert_eq!(body["data"]["staging_status"], "ready");

    // the target learns the digests to check; the source has nothing to do
    let (status, info) = app.as_node(&id, "target").get(&format!("/clone-sessions/{id}/staging-info")).await;
    assert_eq!((status, info["data"]["manifest_digest"].as_str()), (StatusCode::OK, Some(MANIFEST)), "{info}");
    assert_eq!(
        app.as_node(&id, "source").get(&format!("/clone-sessions/{id}/staging-info")).await.0,
        StatusCode::CONFLICT
    );

    // completing before the download started, or with another digest, is refused
    let complete = |digest: &str| json!({"digest": digest});
    let path = format!("/clone-sessions/{id}/complete");
    assert_eq!(app.as_node(&id, "target").post(&path, complete(DIGEST)).await.0, StatusCode::CONFLICT);
    assert_eq!(staging(&app, &id, "target", "downloading", None).await.0, StatusCode::OK);
    let (status, body) = app.as_node(&id, "target").post(&path, complete(MANIFEST)).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(body["detail"].as_str().is_some_and(|d| d.contains("does not hold the image")), "{body}");
    assert_eq!(app.as_node(&id, "target").post(&path, complete(DIGEST)).await.0, StatusCode::OK);
}

#[tokio::test]
async fn an_image_a_session_uses_cannot_be_deleted_until_that_session_is_over() {
    let app = TestApp::spawn().await;
    let (_, image) = ready_image(&app, "golden").await;
    let target = app.node("node-1").await;
    let (_, body) =
        app.post("/clone-sessions", json!({"clone_mode": "staged", "image_id": image, "target_node_id": target})).await;
    let restore = body["data"]["id"].as_str().expect("id").to_owned();

    let (status, body) = app.delete(&format!("/images/{image}")).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(body["detail"].as_str().is_some_and(|d| d.contains(&restore)), "{body}");
    assert_eq!(app.get(&format!("/images/{image}")).await.0, StatusCode::OK, "nothing changed");

    let (status, _) = app.post(&format!("/clone-sessions/{restore}/failed"), json!({"error": "operator stop"})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(app.delete(&format!("/images/{image}")).await.0, StatusCode::OK);
    // Asked again while its files are being removed: acknowledged, nothing more recorded
    let history = format!("/events?stream=image:{image}");
    let before = app.get(&history).await.1["data"].as_array().map(Vec::len);
    assert_eq!(app.delete(&format!("/images/{image}")).await.0, StatusCode::OK);
    assert_eq!(app.get(&history).await.1["data"].as_array().map(Vec::len), before);
    let (status, body) =
        app.post("/clone-sessions", json!({"clone_mode": "staged", "image_id": image, "target_node_id": target})).await;
    assert_eq!(status, StatusCode::CONFLICT, "an image being deleted cannot be restored: {body}");
}

/// A restore created while its image is deleted, on two controllers sharing
/// the database (no in-process turn orders them): the two commands write to
/// the image's stream, so exactly one is accepted, whichever commits first;
/// the read models may lag both, so checking them could let both through.
#[tokio::test(flavor = "multi_thread")]
async fn a_restore_racing_the_deletion_of_its_image_never_both_succeed() {
    let app = TestApp::spawn().await;
    let shared = crate::support::TestDb { name: app.db.name.clone(), config: app.db.config.clone() };
    let other = TestApp::spawn_with(shared, &[]).await;
    let mut outcomes = std::collections::BTreeMap::new();
    for round in 0..12 {
        let (_, image) = ready_image(&app, &format!("golden-{round}")).await;
        let target = app.node(&format!("node-{round}")).await;
        let body = json!({"clone_mode": "staged", "image_id": image, "target_node_id": target});
        let path = format!("/images/{image}");
        let ((restore, created), (deletion, deleted)) =
            tokio::join!(app.post("/clone-sessions", body.clone()), other.delete(&path));
        *outcomes.entry((restore.as_u16(), deletion.as_u16())).or_insert(0) += 1;
        match (restore, deletion) {
            (StatusCode::OK, StatusCode::CONFLICT) => {
                let id = created["data"]["id"].as_str().expect("id");
                assert!(deleted["detail"].as_str().is_some_and(|d| d.contains(id)), "{deleted}");
                assert_eq!(app.get(&format!("/images/{image}")).await.0, StatusCode::OK);
            }
            (StatusCode::CONFLICT, StatusCode::OK) => {
                let detail = created["detail"].as_str().unwrap_or_default();
                assert!(detail.contains("is being deleted; it can no longer be restored"), "{created}");
                let (_, sessions) = app.get(&format!("/clone-sessions?node_id={target}")).await;
                assert_eq!(sessions["data"].as_array().map(Vec::len), Some(0), "{sessions}");
            }
            other => panic!("round {round}: restore and delete answered {other:?}: {created} / {deleted}"),
        }
    }
    eprintln!("(restore, delete) outcomes over 12 rounds: {outcomes:?}");
}

/// `source-complete` records the session's completion and the image in one
/// append: one transaction, adjacent positions.
#[tokio::test]
async fn source_complete_records_the_session_and_its_image_in_one_append() {
    let app = TestApp::spawn().await;
    let (session, image) = ready_image(&app, "golden").await;
    let rows = app
        .db
        .client()
        .await
        .query(
            "SELECT position, event_type, recorded_at, xmin::text FROM events
             WHERE stream IN ($1, $2) AND event_type IN ('clone_session.source_completed', 'image.ready')
             ORDER BY position",
            &[&format!("clone_session:{session}"), &format!("image:{image}")],
        )
        .await
        .expect("events");
    let kinds: Vec<String> = rows.iter().map(|r| r.get(1)).collect();
    assert_eq!(kinds, ["image.ready", "clone_session.source_completed"]);
    let (first, second): (i64, i64) = (rows[0].get(0), rows[1].get(0));
    assert_eq!(second, first + 1, "adjacent positions");
    let transactions: Vec<String> = rows.iter().map(|r| r.get(3)).collect();
    assert_eq!(transactions[0], transactions[1], "one transaction");
    // A replayed callback writes nothing more.
    assert_eq!(source_complete(&app, &session).await.0, StatusCode::OK);
    let (_, history) = app.get(&format!("/images/{image}")).await;
    assert_eq!(history["data"]["status"], "ready");
}

#[tokio::test]
async fn staged_sessions_on_s3_or_iscsi_and_bad_image_requests_are_refused_at_creation() {
    let app = TestApp::spawn().await;
    let source = app.node("master").await;
    let s3 = backend(&app, "bucket", "s3", json!({"bucket": "images"})).await;
    let iscsi = backend(&app, "san", "iscsi", json!({"portal": "10.0.0.3:3260", "target": "iqn.2024-01.lab:x"})).await;
    for (backend, kind) in [(&s3, "s3"), (&iscsi, "iscsi")] {
        let body = json!({"clone_mode": "staged", "source_node_id": source, "staging_backend_id": backend});
        let (status, answer) = app.post("/clone-sessions", body).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
        let detail = answer.to_string();
        assert!(detail.contains(&format!("{kind} backends are not supported yet")), "{detail}");
    }
    let nfs = backend(&app, "nfs", "nfs", json!({"server": "10.0.0.2", "export": "/srv"})).await;
    let bad = [
        json!({"clone_mode": "staged", "source_node_id": source, "staging_backend_id": nfs, "image_name": "../etc"}),
        json!({"clone_mode": "staged", "staging_backend_id": nfs}),
        json!({"clone_mode": "direct", "source_node_id": source, "image_name": "x"}),
    ];
    for body in bad {
        let (status, answer) = app.post("/clone-sessions", body.clone()).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {answer}");
    }
    let unknown = json!({"clone_mode": "staged", "image_id": uuid::Uuid::new_v4(), "target_node_id": source});
    assert_eq!(app.post("/clone-sessions", unknown).await.0, StatusCode::NOT_FOUND);
    // one name per backend
    let body = json!({"clone_mode": "staged", "source_node_id": source, "staging_backend_id": nfs, "image_name": "g"});
    assert_eq!(app.post("/clone-sessions", body.clone()).await.0, StatusCode::OK);
    let (status, answer) = app.post("/clone-sessions", body).await;
    assert_eq!(status, StatusCode::CONFLICT, "{answer}");
}

/// A restore is analysed against its image's layout at capture, not the
/// source node's later scans: a 1.5 GiB GPT image (32 MiB vfat, then 1502
/// MiB ext4) onto a 2 GiB target grows partition 2 to the target's last
/// usable byte, after the source disk was replaced by a 4 GiB one.
#[tokio::test(flavor = "multi_thread")]
async fn a_restore_is_analysed_against_the_images_layout_with_exact_numbers() {
    const MIB: i64 = 1 << 20;
    let part = |number: i64, start: i64, size: i64, fs: &str| {
        json!({"number": number, "start_bytes": start, "end_bytes": start + size - 1, "size_bytes": size,
               "type": "linux", "filesystem": fs, "label": null, "flags": [], "used_bytes": MIB, "mountpoint": null})
    };
    let disk = |device: &str, size: i64, partitions: Value| {
        json!({"device": device, "size_bytes": size, "model": null, "serial": null, "partition_table": "gpt",
               "partitions": partitions})
    };
    let root_size = 3_076_096 * 512;
    let layout = json!([part(1, MIB, 32 * MIB, "vfat"), part(2, 33 * MIB, root_size, "ext4")]);
    let app = TestApp::spawn().await;
    let source = reported(&app, "master", json!([disk("/dev/sda", 1536 * MIB, layout)])).await;
    let nfs = app.nfs_backend("nfs").await;
    let body = json!({"clone_mode": "staged", "source_node_id": source, "staging_backend_id": nfs,
        "source_device": "/dev/sda", "image_name": "golden"});
    let (_, created) = app.post("/clone-sessions", body).await;
    let capture = created["data"]["id"].as_str().expect("id").to_owned();
    let image = created["data"]["image_id"].as_str().expect("image id").to_owned();
    assert_eq!(staging(&app, &capture, "source", "provisioned", None).await.0, StatusCode::OK);
    assert_eq!(staging(&app, &capture, "source", "uploading", Some(1536 * MIB)).await.0, StatusCode::OK);
    let done = json!({"size_bytes": 1536 * MIB, "chunk_size_bytes": 4 * MIB, "chunks": 384, "digest": DIGEST,
        "manifest_digest": MANIFEST});
    let path = format!("/clone-sessions/{capture}/source-complete");
    assert_eq!(app.as_node(&capture, "source").post(&path, done).await.0, StatusCode::OK);
    // The source node's disk changes after the capture.
    let (status, _) = crate::disks::report(&app, &source, json!([disk("/dev/sda", 4096 * MIB, json!([]))])).await;
    assert_eq!(status, StatusCode::OK);

    let target = reported(&app, "dst", json!([disk("/dev/sdb", 2048 * MIB, json!([]))])).await;
    let body = json!({"clone_mode": "staged", "image_id": image, "target_node_id": target,
        "target_device": "/dev/sdb", "resize_mode": "grow_target"});
    let (status, created) = app.post("/clone-sessions", body).await;
    assert_eq!(status, StatusCode::OK, "{created}");
    let restore = created["data"]["id"].as_str().expect("id");
    let (status, analysis) = app.post(&format!("/clone-sessions/{restore}/analyze"), json!({})).await;
    assert_eq!(status, StatusCode::OK, "{analysis}");
    let analysis = &analysis["data"];
    assert_eq!(analysis["fit"], "target_larger", "{analysis}");
    assert_eq!(
        (&analysis["source_size_bytes"], &analysis["target_size_bytes"]),
        (&json!(1536 * MIB), &json!(2048 * MIB))
    );
    // The last usable byte of 2 GiB: 4,194,304 sectors less the 33 of the backup GPT.
    assert_eq!(analysis["grow"], json!({"partition": 2, "from_bytes": root_size, "to_bytes": 2_112_863_744_i64}));
    assert_eq!(analysis["suggested_resize_mode"], "grow_target");
}

/// Many restores of one image created at once all write to the image's
/// stream: they take turns instead of failing their version checks over
/// and over (which would end in 409s after the executor's retries).
#[tokio::test(flavor = "multi_thread")]
async fn many_restores_of_one_image_created_at_once_all_succeed() {
    let app = std::sync::Arc::new(TestApp::spawn().await);
    let (_, image) = ready_image(&app, "golden").await;
    let mut targets = Vec::new();
    for n in 0..24 {
        targets.push(app.node(&format!("node-{n}")).await);
    }
    let targets = std::sync::Arc::new(targets);
    let statuses = crate::support::concurrently(&app, 0..24, |app, n| {
        let body = json!({"clone_mode": "staged", "image_id": image, "target_node_id": targets[n as usize]});
        async move { app.post("/clone-sessions", body).await }
    })
    .await;
    for (status, body) in &statuses {
        assert_eq!(*status, StatusCode::OK, "{body}");
    }
    let (status, body) = app.delete(&format!("/images/{image}")).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let detail = body["detail"].as_str().expect("detail");
    assert!(statuses.iter().all(|(_, b)| detail.contains(b["data"]["id"].as_str().expect("id"))), "{detail}");
}
