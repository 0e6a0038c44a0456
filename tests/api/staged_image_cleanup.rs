//! Deleting an image removes its files: the controller's sweep, on a real
//! directory backend (an nfs backend's export, "mounted" for the controller
//! under `--storage-mount-root` and for the agents with `--backend-mount`),
//! with real agents capturing and restoring.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::agent_harness::{Clone, MIB, identical, noise, noise_image, scratch, until_status};
use crate::support::{Scratch, TestApp, TestDb};

/// A controller sweeping every 100 ms with its mount root in `dir/mounts`,
/// an nfs backend and a source node.
struct Lab {
    dir: Scratch,
    root: PathBuf,
    backend: String,
    source: String,
}

impl Lab {
    async fn new() -> (TestApp, Self) {
        let dir = scratch();
        let root = dir.join("mounts");
        std::fs::create_dir_all(&root).expect("mount root");
        let app = TestApp::spawn_with(TestDb::new().await, &controller_flags(&root)).await;
        let config = json!({"server": "10.0.0.2", "export": "/srv/images"});
        let (status, body) =
            app.post("/storage/backends", json!({"name": "lab-nfs", "type": "nfs", "config": config})).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let backend = body["data"]["id"].as_str().expect("id").to_owned();
        let source = app.node("golden-master").await;
        (app, Self { dir, root, backend, source })
    }

    /// Where the controller finds the backend's files.
    fn mounted(&self) -> PathBuf {
        self.root.join(&self.backend)
    }

    /// Captures `disk` as image `name` with the files at `store`; returns the image's id.
    async fn capture(&self, app: &TestApp, name: &str, disk: &Path, store: &Path) -> String {
        let session = self.capture_session(app, name).await;
        let clone = Clone::of(app, session, &format!("http://{}", app.addr)).await;
        let mut agent = clone.agent("source", disk, &mount(store));
        assert_eq!(agent.exit(Duration::from_secs(60)).await, 0, "{}", agent.log_text());
        let view = until_status(app, &clone.id, "completed", Duration::from_secs(10)).await;
        view["image_id"].as_str().expect("image id").to_owned()
    }

    async fn capture_session(&self, app: &TestApp, name: &str) -> Value {
        let body = json!({"clone_mode": "staged", "source_node_id": self.source,
            "staging_backend_id": self.backend, "image_name": name});
        let (status, answer) = app.post("/clone-sessions", body).await;
        assert_eq!(status, StatusCode::OK, "{answer}");
        answer["data"].clone()
    }
}

fn controller_flags(root: &Path) -> Vec<&'static str> {
    let root: &'static str = Box::leak(root.to_str().expect("utf-8").to_owned().into_boxed_str());
    vec!["--storage-mount-root", root, "--image-sweep-interval-ms", "100"]
}

fn mount(store: &Path) -> [&str; 2] {
    ["--backend-mount", store.to_str().expect("utf-8")]
}

/// The chunk files image `name`'s manifest under `store` names.
fn chunk_files(store: &Path, name: &str) -> BTreeSet<PathBuf> {
    let text = std::fs::read(store.join(format!("images/{name}/manifest.json"))).expect("manifest");
    let manifest: Value = serde_json::from_slice(&text).expect("manifest json");
    let chunks = manifest["chunks"].as_array().expect("chunks");
    chunks
        .iter()
        .filter_map(|c| c["digest"].as_str())
        .map(|hex| store.join(format!("chunks/{}/{hex}.zst", &hex[..2])))
        .collect()
}

/// Polls `GET /images/{id}` until `done` holds for its status and body.
async fn until_image(app: &TestApp, id: &str, what: &str, done: impl Fn(StatusCode, &Value) -> bool) -> Value {
    let start = Instant::now();
    loop {
        let (status, body) = app.get(&format!("/images/{id}")).await;
        if done(status, &body) {
            return body;
        }
        assert!(start.elapsed() < Duration::from_secs(20), "image {id} never {what}: {status} {body}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn deleting_an_image_removes_its_files_but_the_chunks_another_image_shares_and_waits_for_captures() {
    // Given two images on one backend sharing 6 of their 8 chunks (1 MiB each)
    let (app, lab) = Lab::new().await;
    let store = lab.mounted();
    std::fs::create_dir_all(&store).expect("mounted export");
    let first = lab.dir.join("first.img");
    noise_image(&first, 8 * MIB);
    let mut bytes = std::fs::read(&first).expect("first");
    bytes[..2 * MIB as usize].copy_from_slice(&noise("second", 2 * MIB as usize));
    let second = lab.dir.join("second.img");
    std::fs::write(&second, &bytes).expect("second");
    let golden = lab.capture(&app, "golden", &first, &store).await;
    let other = lab.capture(&app, "other", &second, &store).await;
    let (ours, theirs) = (chunk_files(&store, "golden"), chunk_files(&store, "other"));
    let shared: BTreeSet<_> = ours.intersection(&theirs).cloned().collect();
    assert_eq!((ours.len(), shared.len()), (8, 6));
    // and a capture session on the backend that has not ended
    let pending = lab.capture_session(&app, "later").await;
    let pending_id = pending["id"].as_str().expect("id");
    let mut ws = app.ws("").await;

    // When the first image is deleted
    let (status, body) = app.delete(&format!("/images/{golden}")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // Then it is in cleanup at once: not restorable, not listed, its name still taken
    let (_, image) = app.get(&format!("/images/{golden}")).await;
    assert_eq!(image["data"]["status"], "cleanup", "{image}");
    let (_, list) = app.get("/images").await;
    assert_eq!(list["data"].as_array().map(Vec::len), Some(1), "{list}");
    let (_, list) = app.get("/images?status=cleanup").await;
    assert_eq!(list["data"][0]["id"], golden.as_str(), "{list}");
    let target = app.node("node-1").await;
    let (status, body) = app
        .post("/clone-sessions", json!({"clone_mode": "staged", "image_id": golden, "target_node_id": target}))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    // and the sweep waits for the capture session, saying so
    let body = until_image(&app, &golden, "named the pending capture", |_, b| {
        b["data"]["cleanup_error"].as_str().is_some_and(|e| e.contains(pending_id))
    })
    .await;
    assert_eq!(body["data"]["status"], "cleanup");
    assert!(ours.iter().all(|f| f.exists()), "nothing removed while a capture may count on a chunk");

    // When that session is deleted
    let (status, body) = app.delete(&format!("/clone-sessions/{pending_id}")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // Then the image is deleted: its own chunks and manifest are gone, the shared ones stay
    until_image(&app, &golden, "was deleted", |s, _| s == StatusCode::NOT_FOUND).await;
    for file in &ours {
        assert_eq!(file.exists(), shared.contains(file), "{}", file.display());
    }
    assert!(!store.join("images/golden").exists());
    assert!(theirs.iter().all(|f| f.exists()));
    let messages = ws.until("image.deleted").await;
    let kinds: Vec<&str> =
        messages.iter().filter_map(|m| m["type"].as_str()).filter(|t| t.starts_with("image.")).collect();
    assert_eq!(kinds.first(), Some(&"image.cleanup_started"), "{kinds:?}");
    assert!(kinds.contains(&"image.cleanup_failed"), "{kinds:?}");

    // and the other image still restores byte-identical
    let session = {
        let (status, body) = app
            .post("/clone-sessions", json!({"clone_mode": "staged", "image_id": other, "target_node_id": target}))
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body["data"].clone()
    };
    let clone = Clone::of(&app, session, &format!("http://{}", app.addr)).await;
    let restored = lab.dir.join("restored.img");
    let mut agent = clone.agent("target", &restored, &mount(&store));
    assert_eq!(agent.exit(Duration::from_secs(60)).await, 0, "{}", agent.log_text());
    assert!(identical(&second, &restored), "the restore of the other image differs");
    // and the deleted image's name is free again
    lab.capture_session(&app, "golden").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_sweep_that_cannot_reach_the_backend_is_retried_and_a_restarted_controller_completes_it() {
    // Given an image captured to an export the controller has not mounted
    let (app, lab) = Lab::new().await;
    let store = lab.dir.join("export");
    std::fs::create_dir_all(&store).expect("export");
    let disk = lab.dir.join("disk.img");
    noise_image(&disk, 4 * MIB);
    let image = lab.capture(&app, "golden", &disk, &store).await;

    // When it is deleted
    let (status, body) = app.delete(&format!("/images/{image}")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // Then the failure is recorded with its reason and the image stays in cleanup
    let body = until_image(&app, &image, "failed", |_, b| !b["data"]["cleanup_error"].is_null()).await;
    let reason = body["data"]["cleanup_error"].as_str().expect("reason");
    assert!(reason.contains("lab-nfs") && reason.contains("is not a directory"), "{reason}");
    assert!(store.join("images/golden/manifest.json").exists());

    // When the controller stops, the export is mounted, and a controller starts again
    app.shutdown.cancel();
    let _ = app.server.await;
    std::fs::rename(&store, lab.mounted()).expect("mount");
    let db = TestDb { name: app.db.name.clone(), config: app.db.config.clone() };
    let again = TestApp::spawn_with(db, &controller_flags(&lab.root)).await;
    // Then it resumes the cleanup: the image is deleted and its files are gone
    until_image(&again, &image, "was deleted", |s, _| s == StatusCode::NOT_FOUND).await;
    let mounted = lab.mounted();
    assert!(!mounted.join("images/golden").exists());
    let left: Vec<_> = walk(&mounted.join("chunks"));
    assert!(left.is_empty(), "chunks left: {left:?}");
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    entries.flatten().flat_map(|e| if e.path().is_dir() { walk(&e.path()) } else { vec![e.path()] }).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn an_image_on_a_webdav_backend_is_swept_with_the_backends_credentials() {
    // Given two images sharing chunks on an http backend that needs basic auth
    let dir = scratch();
    let Some(server) = crate::agent_image_http::WebDav::start(&dir.join("nginx")) else { return };
    let app = TestApp::spawn_with(TestDb::new().await, &["--image-sweep-interval-ms", "100"]).await;
    let config = json!({"url": server.url("strict"), "username": "agent", "password": "s3cret"});
    let (status, body) =
        app.post("/storage/backends", json!({"name": "lab-dav", "type": "http", "config": config})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let backend = body["data"]["id"].as_str().expect("id").to_owned();
    let source = app.node("dav-master").await;
    let first = dir.join("first.img");
    noise_image(&first, 6 * MIB);
    let mut bytes = std::fs::read(&first).expect("first");
    bytes[..MIB as usize].copy_from_slice(&noise("second", MIB as usize));
    let second = dir.join("second.img");
    std::fs::write(&second, &bytes).expect("second");
    let mut ids = Vec::new();
    for (name, disk) in [("golden", &first), ("other", &second)] {
        let body = json!({"clone_mode": "staged", "source_node_id": source,
            "staging_backend_id": backend, "image_name": name});
        let (status, session) = app.post("/clone-sessions", body).await;
        assert_eq!(status, StatusCode::OK, "{session}");
        let clone = Clone::of(&app, session["data"].clone(), &format!("http://{}", app.addr)).await;
        let mut agent = clone.agent("source", disk, &[]);
        assert_eq!(agent.exit(Duration::from_secs(60)).await, 0, "{}", agent.log_text());
        let view = until_status(&app, &clone.id, "completed", Duration::from_secs(10)).await;
        ids.push(view["image_id"].as_str().expect("image id").to_owned());
    }
    let www = dir.join("nginx/www/strict");
    let (ours, theirs) = (chunk_files(&www, "golden"), chunk_files(&www, "other"));
    let shared: BTreeSet<_> = ours.intersection(&theirs).cloned().collect();
    assert_eq!((ours.len(), shared.len()), (6, 5));

    // When the first is deleted
    let (status, body) = app.delete(&format!("/images/{}", ids[0])).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // Then the controller removes its files over WebDAV, keeping the shared chunks
    until_image(&app, &ids[0], "was deleted", |s, _| s == StatusCode::NOT_FOUND).await;
    for file in &ours {
        assert_eq!(file.exists(), shared.contains(file), "{}", file.display());
    }
    assert!(!www.join("images/golden").exists());
    assert!(theirs.iter().all(|f| f.exists()) && www.join("images/other/manifest.json").is_file());
    drop(server);
}
