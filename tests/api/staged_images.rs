//! Staged sessions and golden images through the controller: real agent
//! processes capture a real GPT image to a directory backend (the nfs
//! backend's mount point) or a real WebDAV server, and restore it onto
//! several targets, each its own session.

use std::path::{Path, PathBuf};
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::agent_harness::{
    Agent, Clone, MIB, content_digest, gpt_image, history_event, identical, scratch, until_status,
};
use crate::agent_image::stored_bytes;
use crate::agent_image_http::WebDav;
use crate::support::Scratch;
use crate::support::TestApp;

/// An nfs backend whose export the test "mounts" at `store`, and a source node.
struct Lab {
    dir: Scratch,
    store: PathBuf,
    backend: String,
    source: String,
}

impl Lab {
    async fn new(app: &TestApp) -> Self {
        let dir = scratch();
        let store = dir.join("export");
        std::fs::create_dir_all(&store).expect("store");
        let backend = backend(app, "lab-nfs", "nfs", json!({"server": "10.0.0.2", "export": "/srv/images"})).await;
        Self { dir, store, backend, source: app.node("golden-master").await }
    }

    /// Creates a capture session of `image_name` (optionally with a target).
    async fn capture(&self, app: &TestApp, image_name: &str) -> Value {
        let body = json!({"clone_mode": "staged", "source_node_id": self.source,
            "staging_backend_id": self.backend, "image_name": image_name});
        created(app, body).await
    }

    fn mount(&self) -> [&str; 2] {
        ["--backend-mount", self.store.to_str().expect("utf-8")]
    }
}

async fn backend(app: &TestApp, name: &str, kind: &str, config: Value) -> String {
    let (status, body) = app.post("/storage/backends", json!({"name": name, "type": kind, "config": config})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["data"]["id"].as_str().expect("id").to_owned()
}

async fn created(app: &TestApp, body: Value) -> Value {
    let (status, answer) = app.post("/clone-sessions", body).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    answer["data"].clone()
}

/// A restore session of `image` onto a new node.
async fn restore_session(app: &TestApp, image: &str, hostname: &str) -> Value {
    let target = app.node(hostname).await;
    created(app, json!({"clone_mode": "staged", "image_id": image, "target_node_id": target})).await
}

async fn image_of(app: &TestApp, session: &str) -> Value {
    let view = until_status(app, session, "completed", Duration::from_secs(10)).await;
    let (status, body) = app.get(&format!("/images/{}", view["image_id"].as_str().expect("image id"))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["data"].clone()
}

async fn succeeds(agent: &mut Agent, within: Duration) {
    assert_eq!(agent.exit(within).await, 0, "{}", agent.log_text());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_captured_image_restores_identical_to_three_targets_and_a_second_capture_uploads_nothing() {
    // Given a 1 GiB GPT disk on a source node and an nfs backend mounted on the nodes
    let app = TestApp::spawn().await;
    let lab = Lab::new(&app).await;
    let disk = gpt_image(&lab.dir, 1024, 24);
    let mut ws = app.ws("").await;

    // When a capture session runs the source agent
    let session = lab.capture(&app, "golden").await;
    assert_eq!((session["staging_status"].as_str(), session["status"].as_str()), (Some("pending"), Some("pending")));
    assert_eq!(session["staging_path"], "images/golden/manifest.json");
    let capture = Clone::of(&app, session.clone(), &format!("http://{}", app.addr)).await;
    let mut source = capture.agent("source", &disk, &lab.mount());
    let done = source.event("done", Duration::from_secs(120)).await;
    succeeds(&mut source, Duration::from_secs(30)).await;

    // Then the session completed with the image ready, its digest the disk's
    let image = image_of(&app, &capture.id).await;
    let view = until_status(&app, &capture.id, "completed", Duration::from_secs(5)).await;
    assert_eq!(view["staging_status"], "ready");
    let digest = content_digest(&disk, MIB);
    assert_eq!((&image["digest"], &done["digest"]), (&json!(digest), &json!(digest)));
    assert_eq!((image["name"].as_str(), image["size_bytes"].as_u64()), (Some("golden"), Some(1024 * MIB)));
    assert_eq!(image["backend_type"], "nfs");
    let first = history_event(&app, &capture.id, "clone_session.source_completed").await.expect("source completed");
    let uploaded = first["bytes_uploaded"].as_u64().expect("bytes uploaded");
    assert!(uploaded > 20 * MIB && uploaded < 40 * MIB, "the 24 MiB of files, compressed: {uploaded}");
    // and every step went out on the WebSocket (the image is recorded in
    // the same append as the session's source-complete, and announced first)
    let messages = ws.until("clone.source_complete").await;
    assert!(messages.iter().any(|m| m["type"] == "image.ready" && m["data"]["name"] == "golden"));
    let staging: Vec<&Value> =
        messages.iter().filter(|m| m["type"] == "clone.staging_status").map(|m| &m["data"]["staging_status"]).collect();
    assert_eq!(staging, [&json!("provisioned"), &json!("uploading")]);
    assert!(messages.iter().any(|m| m["type"] == "clone.source_complete" && m["data"]["digest"] == digest.as_str()));
    assert!(messages.iter().any(|m| m["type"] == "clone.started"));

    // When the image is restored onto three targets, one session each, at once
    let image_id = image["id"].as_str().expect("id");
    let mut restores = Vec::new();
    for i in 1..=3 {
        let session = restore_session(&app, image_id, &format!("node-{i}")).await;
        assert_eq!(
            (session["staging_status"].as_str(), session["bytes_total"].as_u64()),
            (Some("ready"), Some(1024 * MIB))
        );
        let clone = Clone::of(&app, session.clone(), &format!("http://{}", app.addr)).await;
        let target = lab.dir.join(format!("t{i}.img"));
        let agent = clone.agent("target", &target, &lab.mount());
        restores.push((clone, target, agent));
    }
    // Then each completes, byte-identical, verified, with the image's digest
    for (clone, target, agent) in &mut restores {
        succeeds(agent, Duration::from_secs(180)).await;
        let view = until_status(&app, &clone.id, "completed", Duration::from_secs(10)).await;
        assert_eq!(view["image_id"], image_id);
        assert!(identical(&disk, target), "{} differs", target.display());
        let completed = history_event(&app, &clone.id, "clone_session.completed").await.expect("completed");
        assert_eq!(completed["digest"], digest.as_str());
        let phases = app.get(&format!("/clone-sessions/{}/history", clone.id)).await.1.to_string();
        assert!(phases.contains("\"verifying\""), "no verifying phase");
    }

    // When the same disk is captured again as another image
    let before = stored_bytes(&lab.store);
    let again = lab.capture(&app, "golden-2").await;
    let second = Clone::of(&app, again.clone(), &format!("http://{}", app.addr)).await;
    let mut source = second.agent("source", &disk, &lab.mount());
    succeeds(&mut source, Duration::from_secs(120)).await;
    // Then it uploaded no chunk: the store grew by the new manifest only
    let event = history_event(&app, &second.id, "clone_session.source_completed").await.expect("completed");
    assert_eq!(event["bytes_uploaded"], 0, "{event}");
    let manifest = std::fs::metadata(lab.store.join("images/golden-2/manifest.json")).expect("manifest").len();
    assert_eq!(stored_bytes(&lab.store) - before, manifest, "first capture uploaded {uploaded} bytes");

    // When the first image is deleted, no session using it being under way
    let (status, body) = app.delete(&format!("/images/{image_id}")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // Then it is in cleanup: its sessions show it, the list leaves it out, its
    // name stays taken; this controller has no mount of the export, so the
    // sweep records why it cannot remove the files (staged_image_cleanup.rs
    // follows a sweep to its end)
    let view = crate::agent_harness::session(&app, &restores[0].0.id).await;
    assert_eq!(view["staging_status"], "cleanup");
    let (_, list) = app.get("/images").await;
    assert_eq!(list["data"].as_array().map(Vec::len), Some(1), "{list}");
    let body = json!({"clone_mode": "staged", "source_node_id": lab.source,
        "staging_backend_id": lab.backend, "image_name": "golden"});
    assert_eq!(app.post("/clone-sessions", body).await.0, StatusCode::CONFLICT);
    let start = std::time::Instant::now();
    let reason = loop {
        let (_, body) = app.get(&format!("/images/{image_id}")).await;
        if let Some(reason) = body["data"]["cleanup_error"].as_str() {
            break reason.to_owned();
        }
        assert!(start.elapsed() < Duration::from_secs(20), "no cleanup error: {body}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(reason.contains("--storage-mount-root is not set"), "{reason}");
    assert!(lab.store.join("images/golden/manifest.json").exists());
}

#[tokio::test(flavor = "multi_thread")]
async fn an_interrupted_capture_resumes_and_a_corrupt_chunk_fails_only_the_target_that_needs_it() {
    // Given a 256 MiB disk with 160 MiB of incompressible files
    let app = TestApp::spawn().await;
    let lab = Lab::new(&app).await;
    let disk = gpt_image(&lab.dir, 256, 160);
    let session = lab.capture(&app, "resumed").await;
    let capture = Clone::of(&app, session.clone(), &format!("http://{}", app.addr)).await;

    // When the capture is killed once some chunks are stored, then run again
    let mut source = capture.agent("source", &disk, &[&lab.mount()[..], &["--streams", "1"]].concat());
    let chunks = lab.store.join("chunks");
    let start = std::time::Instant::now();
    while count_files(&chunks) < 10 {
        assert!(start.elapsed() < Duration::from_secs(60), "no chunks stored: {}", source.log_text());
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    source.kill9().await;
    let stored = count_files(&chunks);
    assert!(!lab.store.join("images/resumed/manifest.json").exists(), "the capture finished before the kill");
    assert_eq!(crate::agent_harness::session(&app, &capture.id).await["staging_status"], "uploading");
    let mut source = capture.agent("source", &disk, &lab.mount());
    let done = source.event("done", Duration::from_secs(120)).await;
    succeeds(&mut source, Duration::from_secs(30)).await;

    // Then it skipped what the first run stored and the image is the disk
    let skipped = done["figures"]["chunks_skipped"].as_u64().expect("skipped");
    assert!(skipped >= stored as u64 && skipped >= 10, "skipped {skipped} of {stored} stored: {done}");
    let image = image_of(&app, &capture.id).await;
    assert_eq!(image["digest"], content_digest(&disk, MIB).as_str());
    let image_id = image["id"].as_str().expect("id").to_owned();

    // Given a first target restored from it
    let first = restore_session(&app, &image_id, "node-a").await;
    let first = Clone::of(&app, first.clone(), &format!("http://{}", app.addr)).await;
    let a = lab.dir.join("a.img");
    succeeds(&mut first.agent("target", &a, &lab.mount()), Duration::from_secs(120)).await;
    assert!(identical(&disk, &a));

    // When one stored chunk is corrupted, and two more targets restore: one
    // blank, one that already holds the image (it downloads nothing)
    let victim = largest_file(&chunks);
    let mut bytes = std::fs::read(&victim).expect("chunk");
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0xff;
    std::fs::write(&victim, bytes).expect("corrupt");
    let digest_hex = victim.file_stem().and_then(|s| s.to_str()).expect("name").to_owned();
    let blank = lab.dir.join("b.img");
    let holding = lab.dir.join("c.img");
    std::fs::copy(&a, &holding).expect("copy");
    let (b_session, c_session) =
        (restore_session(&app, &image_id, "node-b").await, restore_session(&app, &image_id, "node-c").await);
    let b = Clone::of(&app, b_session.clone(), &format!("http://{}", app.addr)).await;
    let c = Clone::of(&app, c_session.clone(), &format!("http://{}", app.addr)).await;
    let mut b_agent = b.agent("target", &blank, &lab.mount());
    let mut c_agent = c.agent("target", &holding, &lab.mount());

    // Then the blank target fails naming the chunk, and the other completes
    assert_eq!(b_agent.exit(Duration::from_secs(120)).await, 1, "{}", b_agent.log_text());
    succeeds(&mut c_agent, Duration::from_secs(120)).await;
    let failed = until_status(&app, &b.id, "failed", Duration::from_secs(10)).await;
    let error = failed["error_message"].as_str().expect("error");
    assert!(error.contains(&digest_hex) && error.contains("is corrupt"), "{error}");
    until_status(&app, &c.id, "completed", Duration::from_secs(10)).await;
    assert!(identical(&disk, &holding));
}

/// Whole chunks stored under `dir` (an upload in flight is a temporary file, not counted).
fn count_files(dir: &Path) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else { return 0 };
    let whole = |p: &Path| p.extension().is_some_and(|e| e == "zst");
    entries
        .flatten()
        .map(|e| if e.path().is_dir() { count_files(&e.path()) } else { usize::from(whole(&e.path())) })
        .sum()
}

fn largest_file(dir: &Path) -> PathBuf {
    let mut files = Vec::new();
    for sub in std::fs::read_dir(dir).expect("chunks").flatten() {
        files.extend(std::fs::read_dir(sub.path()).expect("sub").flatten().map(|e| e.path()));
    }
    files.into_iter().max_by_key(|p| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0)).expect("a chunk")
}

#[tokio::test(flavor = "multi_thread")]
async fn an_image_on_a_webdav_backend_is_captured_and_restored_with_the_backends_credentials() {
    let app = TestApp::spawn().await;
    let dir = scratch();
    let Some(server) = WebDav::start(&dir.join("nginx")) else { return };
    // Given an http backend that needs basic auth (its password sealed in the controller)
    let config = json!({"url": server.url("strict"), "username": "agent", "password": "s3cret"});
    let backend = backend(&app, "lab-dav", "http", config).await;
    let source = app.node("dav-master").await;
    let disk = gpt_image(&dir, 64, 8);

    // When a session captures to it and another restores from it
    let url = format!("http://{}", app.addr);
    let capture = created(
        &app,
        json!({"clone_mode": "staged", "source_node_id": source,
        "staging_backend_id": backend, "image_name": "dav-golden"}),
    )
    .await;
    let capture = Clone::of(&app, capture.clone(), &url).await;
    succeeds(&mut capture.agent("source", &disk, &[]), Duration::from_secs(60)).await;
    let image = image_of(&app, &capture.id).await;
    assert_eq!(image["backend_type"], "http");
    let restore = restore_session(&app, image["id"].as_str().expect("id"), "dav-node").await;
    let restore = Clone::of(&app, restore.clone(), &url).await;
    let target = dir.join("t.img");
    succeeds(&mut restore.agent("target", &target, &[]), Duration::from_secs(60)).await;

    // Then the target is the disk, and the image is on the WebDAV server
    assert!(identical(&disk, &target));
    until_status(&app, &restore.id, "completed", Duration::from_secs(10)).await;
    let www = dir.join("nginx/www/strict/images/dav-golden/manifest.json");
    assert!(www.is_file(), "{} is missing", www.display());
    drop(server);
}
