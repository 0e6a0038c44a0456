//! `pureboot-agent apply` against real images behind loop devices (root
//! needed: CI runs as root): the node scans, an operator queues and hands
//! out operations, the agent carries them out with the standard tools and
//! reports each, then a fresh scan. Checked with the tools themselves:
//! `sfdisk --json`, `e2fsck -fn`, `dumpe2fs -h`, `debugfs`, `ntfsresize`.
//! The shrink tests use 2 GiB sparse images: the controller keeps free space
//! when it plans a shrink (10 % of a partition under 10 GiB).

use std::path::{Path, PathBuf};

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::agent_harness::{Loop, node_agent, noise, partitioned, run, scratch};
use crate::support::TestApp;

pub const MIB: i64 = 1024 * 1024;

/// A node whose one disk (an image behind a loop device) it has scanned and reported.
pub struct NodeDisk {
    pub node: String,
    pub dev: Loop,
}

impl NodeDisk {
    pub async fn report(app: &TestApp, image: PathBuf) -> Self {
        let node = app.node("apply-node").await;
        let dev = Loop::attach(&image);
        let out = node_agent(app, &node, "scan", &dev.0).await;
        assert!(out.status.success(), "scan: {}", String::from_utf8_lossy(&out.stderr));
        Self { node, dev }
    }

    fn operations(&self) -> String {
        format!("/nodes/{}/disks/{}/operations", self.node, self.dev.0.replace('/', "%2F"))
    }

    /// Queues an operation the controller accepts; its id.
    pub async fn queue(&self, app: &TestApp, operation: &str, params: Value) -> String {
        let (status, body) = app.post(&self.operations(), json!({"operation": operation, "params": params})).await;
        assert_eq!(status, StatusCode::OK, "{operation} {body}");
        body["data"]["id"].as_str().expect("id").to_owned()
    }

    /// Hands the queue to the node and runs `pureboot-agent apply` once;
    /// its output.
    pub async fn apply(&self, app: &TestApp) -> std::process::Output {
        let path = format!("/nodes/{}/disks/{}/apply", self.node, self.dev.0.replace('/', "%2F"));
        let (status, body) = app.post(&path, json!({})).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        node_agent(app, &self.node, "apply", &self.dev.0).await
    }

    /// Each operation's (status, error_message), in sequence order.
    pub async fn statuses(&self, app: &TestApp) -> Vec<(String, Option<String>)> {
        let (status, body) = app.get(&self.operations()).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let list = body["data"].as_array().expect("list").iter();
        list.map(|o| (o["status"].as_str().expect("status").to_owned(), o["error_message"].as_str().map(str::to_owned)))
            .collect()
    }

    /// The disk as the controller now shows it (the agent's last report).
    pub async fn view(&self, app: &TestApp) -> Value {
        let (status, body) = app.get(&format!("/nodes/{}/disks", self.node)).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body["data"][0].clone()
    }

    /// `sfdisk --json`'s partitions.
    pub fn table(&self) -> Vec<Value> {
        let out = std::process::Command::new("sfdisk").args(["--json", &self.dev.0]).output().expect("sfdisk");
        let dump: Value = serde_json::from_slice(&out.stdout).expect("sfdisk --json");
        dump["partitiontable"]["partitions"].as_array().cloned().unwrap_or_default()
    }

    /// `device?offset=N`: how e2fsprogs open a filesystem inside a disk.
    pub fn at(&self, offset: i64) -> String {
        format!("{}?offset={offset}", self.dev.0)
    }
}

/// Asserts that the agent succeeded.
pub fn succeeded(out: &std::process::Output) {
    assert!(out.status.success(), "pureboot-agent: {}", String::from_utf8_lossy(&out.stderr));
}

/// Output of a tool that must succeed.
pub fn output(program: &str, args: &[&str]) -> String {
    let out = std::process::Command::new(program).args(args).output().unwrap_or_else(|e| panic!("{program}: {e}"));
    assert!(
        out.status.success(),
        "{program} {args:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `e2fsck -fn` finds nothing to fix.
pub fn e2fsck_clean(at: &str) {
    output("e2fsck", &["-fn", at]);
}

/// BLAKE3 of a file inside an ext filesystem (`debugfs -R "cat …"`).
pub fn ext_file(at: &str, name: &str) -> String {
    let out =
        std::process::Command::new("debugfs").args(["-R", &format!("cat /{name}"), at]).output().expect("debugfs");
    assert!(!out.stdout.is_empty(), "no /{name} in {at}");
    blake3::hash(&out.stdout).to_hex().to_string()
}

/// Bytes the ext filesystem spans (`dumpe2fs -h`: block count × block size).
pub fn ext_size(at: &str) -> i64 {
    let header = output("dumpe2fs", &["-h", at]);
    let field = |key: &str| -> i64 {
        header.lines().find_map(|l| l.strip_prefix(key)).and_then(|v| v.trim().parse().ok()).expect(key)
    };
    field("Block count:") * field("Block size:")
}

/// Three files of noise in `dir/files` (6 MiB in all); their BLAKE3 by name.
pub fn files(dir: &Path) -> (PathBuf, Vec<(String, String)>) {
    let files = dir.join("files");
    std::fs::create_dir_all(&files).expect("files");
    let mut digests = vec![];
    for (name, size) in [("a.bin", 4 * MIB), ("b.bin", 2 * MIB - 77), ("c.txt", 5)] {
        let bytes = noise(name, size as usize);
        std::fs::write(files.join(name), &bytes).expect("file");
        digests.push((name.to_owned(), blake3::hash(&bytes).to_hex().to_string()));
    }
    (files, digests)
}

/// A 2 GiB sparse GPT image: partition 1 ext4 "data" (1 MiB to 1801 MiB) holding [`files`].
pub fn ext4_image(dir: &Path) -> (PathBuf, Vec<(String, String)>) {
    ext4_image_of(dir, "ext4.img", "2G", 1800, "data")
}

/// A sparse GPT image `name` of `image_size` (as `truncate -s` takes it):
/// partition 1, `part_mib` MiB from 1 MiB on, ext4 labelled `label` holding
/// [`files`]; with the files' digests.
pub fn ext4_image_of(
    dir: &Path,
    name: &str,
    image_size: &str,
    part_mib: i64,
    label: &str,
) -> (PathBuf, Vec<(String, String)>) {
    let image = dir.join(name);
    let path = image.to_str().expect("utf-8");
    partitioned(&image, image_size, &format!("label: gpt\nstart=2048, size={}, type=L\n", part_mib * 2048));
    let (files, digests) = files(dir);
    let files = files.to_str().expect("utf-8");
    let fs_size = format!("{}k", part_mib * 1024);
    run("mkfs.ext4", &["-q", "-F", "-L", label, "-d", files, "-E", "offset=1048576", path, &fs_size], None);
    (image, digests)
}

/// The number of bytes `ntfsresize --info` prints after `label` for the ntfs
/// volume at `device` (its current size, or the minimum it can shrink to).
pub fn ntfsresize_info(device: &str, label: &str) -> i64 {
    let info = output("ntfsresize", &["--info", "--force", "--no-progress-bar", device]);
    info.lines()
        .find_map(|l| l.strip_prefix(label))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or_else(|| panic!("no {label} in ntfsresize's answer: {info}"))
}

/// The ext4 filesystem at `at` is clean and holds every file of `digests`
/// unchanged; `what` says when, for the failure message.
pub fn ext4_intact(at: &str, digests: &[(String, String)], what: &str) {
    e2fsck_clean(at);
    for (name, digest) in digests {
        assert_eq!(&ext_file(at, name), digest, "{name} {what}");
    }
}

#[tokio::test]
async fn apply_shrinks_an_ext4_partition_holding_files_then_grows_it_back_needs_root() {
    // Given a node that reported a disk whose ext4 partition holds files
    let app = TestApp::spawn().await;
    let dir = scratch();
    let (image, digests) = ext4_image(&dir);
    let disk = NodeDisk::report(&app, image).await;
    for (size_mib, what) in [(1300, "shrunk"), (1800, "grown back")] {
        // When an operator resizes partition 1 and the agent applies it
        disk.queue(&app, "resize", json!({"partition": 1, "new_size_bytes": size_mib * MIB})).await;
        succeeded(&disk.apply(&app).await);
        // Then the operation completed, and partition and filesystem have the new size
        assert_eq!(disk.statuses(&app).await.last().map(|s| s.0.as_str()), Some("completed"), "{what}");
        let part = &disk.table()[0];
        assert_eq!((&part["start"], &part["size"]), (&json!(2048), &json!(size_mib * 2048)), "{what}");
        let at = disk.at(MIB);
        assert_eq!(ext_size(&at), size_mib * MIB, "the filesystem fills the {what} partition");
        // and the filesystem is clean with every file unchanged
        ext4_intact(&at, &digests, &format!("after the partition was {what}"));
        // and the agent reported a fresh scan
        assert_eq!(disk.view(&app).await["partitions"][0]["size_bytes"], size_mib * MIB, "{what}");
    }
}

/// A 2 GiB sparse GPT image: partition 1 ntfs "win" (1 MiB to 1801 MiB) holding [`files`] (put with `ntfscp`).
fn ntfs_image(dir: &Path) -> (PathBuf, Vec<(String, String)>) {
    let image = dir.join("ntfs.img");
    partitioned(&image, "2G", "label: gpt\nstart=2048, size=3686400, type=EBD0A0A2-B9E5-4433-87C0-68B6B72699C7\n");
    let part = Loop::attach_with(&image, &["--offset", "1048576", "--sizelimit", &(1800 * MIB).to_string()]);
    run("mkfs.ntfs", &["--quick", "--force", "--quiet", "-L", "win", &part.0], None);
    let (files, digests) = files(dir);
    for (name, _) in &digests {
        run("ntfscp", &["--force", &part.0, files.join(name).to_str().expect("utf-8"), name], None);
    }
    (image, digests)
}

#[tokio::test]
async fn apply_shrinks_an_ntfs_partition_holding_files_then_grows_it_back_needs_root() {
    // Given a node that reported a disk whose ntfs partition holds files
    let app = TestApp::spawn().await;
    let dir = scratch();
    let (image, digests) = ntfs_image(&dir);
    let disk = NodeDisk::report(&app, image.clone()).await;
    for (size_mib, what) in [(1300, "shrunk"), (1800, "grown back")] {
        // When an operator resizes it and the agent applies that
        disk.queue(&app, "resize", json!({"partition": 1, "new_size_bytes": size_mib * MIB})).await;
        succeeded(&disk.apply(&app).await);
        // Then partition and volume have the new size, and the volume is consistent with its files unchanged
        assert_eq!(disk.statuses(&app).await.last().map(|s| s.0.as_str()), Some("completed"), "{what}");
        assert_eq!(disk.table()[0]["size"], json!(size_mib * 2048), "{what}");
        let part = Loop::attach_with(&image, &["--offset", "1048576", "--sizelimit", &(size_mib * MIB).to_string()]);
        let volume = ntfsresize_info(&part.0, "Current volume size:");
        assert!(volume <= size_mib * MIB && volume > size_mib * MIB - 4096, "{what}: {volume}");
        for (name, digest) in &digests {
            let out = std::process::Command::new("ntfscat").args(["--force", &part.0, name]).output().expect("ntfscat");
            assert_eq!(&blake3::hash(&out.stdout).to_hex().to_string(), digest, "{name} after {what}");
        }
    }
}
