//! Golden images on a directory backend: capture of a real GPT image made
//! with the standard tools, restores compared byte for byte, deduplication
//! and resume measured, corruption detected and named.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use pureboot::agent::image::dir::DirBackend;
use pureboot::agent::image::manifest::ImageManifest;
use pureboot::agent::image::{
    Backend, CaptureFigures, CaptureOptions, Captured, capture, chunk_key, manifest_key, restore,
};

use crate::agent_harness::{MIB, allocated, content_digest, gpt_image, identical, scratch};

pub const OPTIONS: CaptureOptions = CaptureOptions { chunk_size: 4 * MIB, streams: 4 };

/// A directory backend in a fresh `store` directory under `dir`.
pub fn store(dir: &Path, name: &str) -> (DirBackend, PathBuf) {
    let root = dir.join(name);
    std::fs::create_dir_all(&root).expect("store dir");
    (DirBackend::new(root.to_str().expect("utf-8")).expect("dir backend"), root)
}

/// Captures with the library, no progress wanted.
pub async fn capture_quietly<B: Backend>(backend: &B, image: &str, device: &Path) -> Result<Captured, String> {
    capture(backend, image, device, OPTIONS, |_| {}).await
}

/// Bytes of all files under `root`.
pub fn stored_bytes(root: &Path) -> u64 {
    walk(root).iter().map(|path| std::fs::metadata(path).expect("stat").len()).sum()
}

/// A backend that stores the first `puts` objects, then fails: a capture cut off midway.
struct FailingAfter {
    inner: DirBackend,
    puts: AtomicUsize,
}

impl Backend for FailingAfter {
    async fn put(&self, key: &str, data: Vec<u8>) -> Result<(), String> {
        if self.puts.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1)).is_err() {
            return Err(format!("injected failure storing {key}"));
        }
        self.inner.put(key, data).await
    }
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, String> {
        self.inner.get(key).await
    }
    async fn exists(&self, key: &str) -> Result<bool, String> {
        self.inner.exists(key).await
    }
    async fn delete(&self, key: &str) -> Result<(), String> {
        self.inner.delete(key).await
    }
}

#[tokio::test]
async fn an_image_restores_identical_to_three_targets_and_a_second_capture_uploads_nothing() {
    // Given a sparse 1 GiB GPT disk (EFI + ext4 holding 24 MiB of files) and an empty store
    let dir = scratch();
    let disk = gpt_image(&dir, 1024, 24);
    let (backend, root) = store(&dir, "store");

    // When it is captured
    let reports = AtomicUsize::new(0);
    let counted = |_: &CaptureFigures| {
        reports.fetch_add(1, Ordering::Relaxed);
    };
    let captured = capture(&backend, "golden", &disk, OPTIONS, counted).await.expect("capture");
    let f = captured.figures;
    assert_eq!(reports.into_inner(), 256, "one progress report per chunk");
    // Then every chunk is accounted for, holes are not stored and data is compressed
    assert_eq!((f.size_bytes, f.bytes_read, f.chunks_total), (1024 * MIB, 1024 * MIB, 256));
    assert_eq!(f.chunks_uploaded + f.chunks_skipped + f.chunks_zero, 256);
    assert!(f.chunks_zero > 200 && f.chunks_uploaded >= 7, "{f:?}");
    assert!(f.bytes_uploaded < 40 * MIB, "{f:?}");
    assert_eq!(captured.manifest.digest, content_digest(&disk, 4 * MIB), "the direct clone's content digest");
    assert!(root.join(manifest_key("golden")).is_file());

    // When it is restored onto three targets at once
    let targets: Vec<PathBuf> = (1..=3).map(|i| dir.join(format!("t{i}.img"))).collect();
    let restores = targets.iter().map(|t| restore(&backend, "golden", t, 4, |_| {}));
    let restored = futures::future::join_all(restores).await;
    // Then all three are byte-identical to the disk, verified, and sparse
    for (target, result) in targets.iter().zip(restored) {
        let done = result.expect("restore");
        assert_eq!(done.digest, captured.manifest.digest);
        assert_eq!(done.figures.chunks_downloaded, 256 - f.chunks_zero, "{:?}", done.figures);
        assert_eq!(done.figures.bytes_verified, 1024 * MIB);
        assert!(identical(&disk, target), "{} differs", target.display());
        assert!(allocated(target) < 100 * MIB, "holes stay holes: {} bytes", allocated(target));
    }

    // When the same disk is captured again as another image
    let before = stored_bytes(&root);
    let again = capture_quietly(&backend, "golden-2", &disk).await.expect("second capture");
    // Then no chunk is uploaded: only the new manifest is stored
    assert_eq!((again.figures.chunks_uploaded, again.figures.bytes_uploaded), (0, 0), "{:?}", again.figures);
    let manifest_len = std::fs::metadata(root.join(manifest_key("golden-2"))).expect("manifest").len();
    assert_eq!(stored_bytes(&root) - before, manifest_len);
    assert!(manifest_len < 64 * 1024, "{manifest_len}");
    // And a complete image is never replaced
    let error = capture_quietly(&backend, "golden", &disk).await.expect_err("exists");
    assert!(error.contains("image golden already exists"), "{error}");
}

/// The chunk objects under `root` once `expected` of them are there, or
/// what is there after 10 s.
async fn settled_chunk_count(root: &Path, expected: usize) -> usize {
    let count =
        || walk(&root.join("chunks")).into_iter().filter(|path| path.extension().is_some_and(|e| e == "zst")).count();
    for _ in 0..200 {
        if count() >= expected {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    count()
}

/// Every file below `dir` (none when it does not exist).
fn walk(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    entries
        .flatten()
        .flat_map(|entry| if entry.path().is_dir() { walk(&entry.path()) } else { vec![entry.path()] })
        .collect()
}

#[tokio::test]
async fn an_interrupted_capture_resumes_with_only_the_rest_and_the_image_verifies() {
    // Given a disk and the number of chunks a complete capture stores
    let dir = scratch();
    let disk = gpt_image(&dir, 1024, 24);
    let (reference, _) = store(&dir, "reference");
    let whole = capture_quietly(&reference, "golden", &disk).await.expect("reference capture").figures;

    // When a capture is cut off after storing 5 chunks
    let (backend, root) = store(&dir, "store");
    let cut = FailingAfter { inner: backend, puts: AtomicUsize::new(5) };
    let error = capture_quietly(&cut, "golden", &disk).await.expect_err("cut off");
    assert!(error.contains("injected failure"), "{error}");
    // (the capture returns at the first failure; writes it had started finish on the blocking pool)
    let stored = settled_chunk_count(&root, 5).await;
    assert_eq!(stored, 5, "the cut-off capture stores exactly the puts it was allowed");
    // Then the image is incomplete: no manifest, and restoring it says so
    let backend = cut.inner;
    assert!(!root.join(manifest_key("golden")).exists());
    let error = restore(&backend, "golden", &dir.join("early.img"), 4, |_| {}).await.expect_err("incomplete");
    assert!(error.contains("did not finish"), "{error}");

    // When the capture is run again
    let resumed = capture_quietly(&backend, "golden", &disk).await.expect("resumed capture").figures;
    // Then it uploads only what the first run did not store
    assert_eq!(resumed.chunks_uploaded, whole.chunks_uploaded - 5, "{resumed:?}");
    assert_eq!(resumed.chunks_skipped, whole.chunks_skipped + 5, "{resumed:?}");
    // And the image restores and verifies
    let target = dir.join("t.img");
    let done = restore(&backend, "golden", &target, 4, |_| {}).await.expect("restore");
    assert!(identical(&disk, &target));
    assert_eq!(done.digest, content_digest(&disk, 4 * MIB));
}

#[tokio::test]
async fn a_corrupt_or_missing_chunk_fails_the_restore_naming_the_chunk() {
    // Given a captured image
    let dir = scratch();
    let disk = gpt_image(&dir, 128, 8);
    let (backend, root) = store(&dir, "store");
    let manifest: ImageManifest = capture_quietly(&backend, "golden", &disk).await.expect("capture").manifest;
    let data: Vec<(usize, String)> = manifest
        .chunks
        .iter()
        .enumerate()
        .filter_map(|(index, entry)| entry.digest.clone().map(|digest| (index, digest)))
        .collect();
    let path_of = |digest: &str| root.join(chunk_key(&pureboot::agent::protocol::from_hex(digest).expect("hex")));

    // When one stored chunk is replaced by another valid zstd object of the same length
    let (index, digest) = &data[data.len() / 2];
    let other = zstd::bulk::compress(&vec![7u8; manifest.span(*index as u64).1 as usize], 3).expect("zstd");
    std::fs::write(path_of(digest), other).expect("corrupt");
    // Then the restore fails naming that chunk by index and digest
    let error = restore(&backend, "golden", &dir.join("t1.img"), 4, |_| {}).await.expect_err("corrupt chunk");
    assert!(error.starts_with(&format!("chunk {index} ({digest}) of image golden is corrupt")), "{error}");

    // When another chunk's object is garbage, or gone
    let (index, digest) = &data[0];
    std::fs::write(path_of(digest), b"not zstd").expect("garbage");
    let error = restore(&backend, "golden", &dir.join("t2.img"), 4, |_| {}).await.expect_err("garbage chunk");
    assert!(error.starts_with(&format!("chunk {index} ({digest}) of image golden is corrupt")), "{error}");
    std::fs::remove_file(path_of(digest)).expect("remove");
    let error = restore(&backend, "golden", &dir.join("t3.img"), 4, |_| {}).await.expect_err("missing chunk");
    assert!(error.starts_with(&format!("chunk {index} ({digest}) of image golden is missing")), "{error}");

    // When a manifest's chunk list was tampered with
    let mut forged = manifest.clone();
    forged.image = "forged".into();
    forged.chunks.swap(data[0].0, data[1].0);
    let forged_path = root.join(manifest_key("forged"));
    std::fs::create_dir_all(forged_path.parent().expect("dir")).expect("mkdir");
    std::fs::write(&forged_path, serde_json::to_vec(&forged).expect("json")).expect("forged manifest");
    // Then the restore refuses it before touching the target
    let target = dir.join("t4.img");
    let error = restore(&backend, "forged", &target, 4, |_| {}).await.expect_err("forged manifest");
    assert!(error.contains("does not match its chunks"), "{error}");
    assert!(!target.exists(), "the target was not created");
}

/// Runs the agent binary; its exit code, stdout and stderr.
pub async fn agent(args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_pureboot-agent"))
        .args(args)
        .envs(env.iter().copied())
        .env("PUREBOOT_CMDLINE", "/dev/null")
        .output()
        .await
        .expect("run pureboot-agent");
    let text = |bytes: &[u8]| String::from_utf8_lossy(bytes).into_owned();
    (out.status.code().unwrap_or(-1), text(&out.stdout), text(&out.stderr))
}

#[tokio::test]
async fn capture_and_restore_by_hand_with_the_cli() {
    // Given a disk image and a directory for images
    let dir = scratch();
    let disk = gpt_image(&dir, 128, 8);
    let (_, root) = store(&dir, "store");
    let backend = format!("dir:{}", root.display());
    let s = |p: &Path| p.to_str().expect("utf-8").to_owned();

    // When it is captured, then restored, by hand
    let (code, out, err) =
        agent(&["capture", "--backend", &backend, "--image", "golden", "--device", &s(&disk)], &[]).await;
    assert_eq!(code, 0, "{err}");
    let done: serde_json::Value = serde_json::from_str(out.trim()).expect("JSON line");
    assert_eq!((done["event"].as_str(), done["mode"].as_str()), (Some("done"), Some("capture")));
    let target = dir.join("t.img");
    let (code, out, err) =
        agent(&["restore", "--backend", &backend, "--image", "golden", "--device", &s(&target)], &[]).await;
    assert_eq!(code, 0, "{err}");
    // Then the target is the disk, and both runs name the same digest
    let restored: serde_json::Value = serde_json::from_str(out.trim()).expect("JSON line");
    assert_eq!(restored["digest"], done["digest"]);
    assert!(identical(&disk, &target));

    // When a run fails or is mistyped, then it says so in one line with the agent's exit codes
    let (code, _, err) =
        agent(&["restore", "--backend", &backend, "--image", "nope", "--device", &s(&target)], &[]).await;
    assert_eq!((code, err.lines().count()), (1, 1), "{err}");
    assert!(err.contains("image nope is not on the backend"), "{err}");
    let (code, _, err) = agent(&["capture", "--backend", "ftp://x", "--image", "g", "--device", &s(&disk)], &[]).await;
    assert_eq!(
        (code, err.trim()),
        (2, "pureboot-agent: --backend ftp://x is neither dir:/path nor an http:// or https:// URL")
    );
    let (code, _, err) =
        agent(&["capture", "--backend", &backend, "--image", "../x", "--device", &s(&disk)], &[]).await;
    assert_eq!((code, err.lines().count()), (2, 1), "{err}");
}
