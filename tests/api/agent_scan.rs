//! `pureboot-agent scan` against real images made with the standard tools:
//! a GPT disk with a vfat and an ext4 partition (holding files), read as an
//! image file (`--print`) and through a loop device (posted to the
//! controller, then read back from `GET /nodes/{id}/disks`).
//! Loop devices need root (CI runs as root); those tests say so in their name.

use std::path::{Path, PathBuf};
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::agent_harness::{Loop, MIB, noise, partitioned, run, scratch};
use crate::support::TestApp;

const EXT4_UUID: &str = "5b0c6f0e-3c1d-4f7e-9a55-0d4a1b2c3d4e";
/// Sectors of 512 bytes: vfat at 1 MiB (16 MiB), ext4 at 17 MiB (64 MiB).
const VFAT_START: u64 = 2048;
const VFAT_SECTORS: u64 = 32768;
const EXT4_START: u64 = 34816;
const EXT4_SECTORS: u64 = 131072;

/// A 96 MiB GPT image: 1 = vfat "ESP" (volume id 1234-ABCD), 2 = ext4
/// "data" holding 6 MiB of files, then 15 MiB free.
fn image(dir: &Path) -> PathBuf {
    let image = dir.join("scan.img");
    let files = dir.join("files");
    std::fs::create_dir_all(&files).expect("files");
    std::fs::write(files.join("a.bin"), noise("scan-a", 6 * MIB as usize)).expect("file");
    let path = image.to_str().expect("utf-8");
    let table = format!(
        "label: gpt\nstart={VFAT_START}, size={VFAT_SECTORS}, type=U, name=\"EFI system\"\n\
         start={EXT4_START}, size={EXT4_SECTORS}, type=L, name=\"root\"\n"
    );
    partitioned(&image, "96M", &table);
    let vfat_offset = VFAT_START.to_string();
    run("mkfs.vfat", &["-n", "ESP", "-i", "1234ABCD", "--offset", &vfat_offset, path, "16384"], None);
    let ext4_offset = format!("offset={}", EXT4_START * 512);
    let files = files.to_str().expect("utf-8");
    run(
        "mkfs.ext4",
        &["-q", "-F", "-b", "4096", "-L", "data", "-U", EXT4_UUID, "-d", files, "-E", &ext4_offset, path, "65536k"],
        None,
    );
    image
}

/// Runs `pureboot-agent scan` to its end (asynchronously: the controller
/// it reports to runs on this test's runtime).
async fn agent(args: &[&str]) -> std::process::Output {
    tokio::process::Command::new(env!("CARGO_BIN_EXE_pureboot-agent"))
        .arg("scan")
        .args(args)
        .args(["--cmdline", "/dev/null"])
        .output()
        .await
        .expect("run pureboot-agent")
}

/// What `resize2fs -P` says the ext4 partition can shrink to, in bytes
/// (its blocks are 4096 bytes: made with `-b 4096`).
fn resize2fs_minimum(image: &Path) -> i64 {
    let at = format!("{}?offset={}", image.display(), EXT4_START * 512);
    let out = std::process::Command::new("resize2fs").args(["-P", &at]).output().expect("resize2fs");
    let text = String::from_utf8_lossy(&out.stdout);
    let blocks: i64 = text
        .lines()
        .find_map(|l| l.strip_prefix("Estimated minimum size of the filesystem:"))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("resize2fs -P: {text}"));
    blocks * 4096
}

/// The disk's two partitions as the image was made.
fn assert_layout(disk: &Value, image: &Path) {
    let mib = MIB as i64;
    assert_eq!(disk["size_bytes"], 96 * mib);
    assert_eq!(disk["partition_table"], "gpt");
    assert_eq!(disk["logical_sector_size"], 512);
    let parts = disk["partitions"].as_array().expect("partitions");
    assert_eq!(parts.len(), 2, "{disk}");
    let (efi, root) = (&parts[0], &parts[1]);
    assert_eq!(
        (&efi["number"], &efi["start_bytes"], &efi["size_bytes"], &efi["end_bytes"]),
        (&json!(1), &json!(mib), &json!(16 * mib), &json!(17 * mib - 1))
    );
    assert_eq!((&efi["type"], &efi["filesystem"], &efi["label"]), (&json!("efi"), &json!("vfat"), &json!("ESP")));
    assert_eq!((&efi["uuid"], &efi["name"]), (&json!("1234-ABCD"), &json!("EFI system")));
    assert_eq!(efi["type_id"], "C12A7328-F81F-11D2-BA4B-00A0C93EC93B");
    assert!(efi["flags"].as_array().expect("flags").contains(&json!("esp")), "{efi}");
    assert_eq!(
        (&root["number"], &root["start_bytes"], &root["size_bytes"]),
        (&json!(2), &json!(17 * mib), &json!(64 * mib))
    );
    assert_eq!((&root["type"], &root["filesystem"], &root["label"]), (&json!("linux"), &json!("ext4"), &json!("data")));
    assert_eq!((&root["uuid"], &root["name"]), (&json!(EXT4_UUID), &json!("root")));
    let used = root["used_bytes"].as_i64().expect("ext4 used bytes");
    assert!((6 * mib..32 * mib).contains(&used), "the 6 MiB of files plus metadata: {used}");
    let minimum = root["fs_min_bytes"].as_i64().expect("ext4 shrink minimum");
    assert_eq!(minimum, resize2fs_minimum(image));
    assert!(minimum >= 6 * mib && minimum < 64 * mib, "{minimum}");
}

#[tokio::test]
async fn scan_prints_an_image_files_partitions_filesystems_and_shrink_minimum() {
    // Given a GPT image file with vfat and ext4 (holding files)
    let dir = scratch();
    let image = image(&dir);
    // When the agent only prints its report
    let out = agent(&["--print", "--device", image.to_str().expect("utf-8")]).await;
    // Then every field is what the tools that made it say
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let report: Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    assert_eq!(report["disks"].as_array().map(Vec::len), Some(1));
    assert_layout(&report["disks"][0], &image);
}

#[tokio::test]
async fn scan_of_a_loop_device_reaches_the_controller_needs_root() {
    // Given a node and its disk image behind a loop device (no partition nodes)
    let app = TestApp::spawn().await;
    let node = app.node("scan-node").await;
    let dir = scratch();
    let image = image(&dir);
    let device = Loop::attach(&image);
    let url = format!("http://{}", app.addr);
    // When the agent scans it with the node's token
    let out = agent(&["--url", &url, "--token", &app.node_key(&node), "--device", &device.0]).await;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    // Then the controller shows the disk as the tools describe it
    let (status, body) = app.get(&format!("/nodes/{node}/disks")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let disk = &body["data"][0];
    assert_eq!(disk["device"], device.0.as_str());
    assert_eq!(disk["physical_sector_size"], 512);
    assert_layout(disk, &image);
}

#[tokio::test]
async fn scan_watch_answers_a_scan_request_needs_root() {
    // Given an agent watching for scan requests, its first report recorded
    let app = TestApp::spawn().await;
    let node = app.node("watch-node").await;
    let dir = scratch();
    let image = image(&dir);
    let device = Loop::attach(&image);
    let url = format!("http://{}", app.addr);
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_pureboot-agent"))
        .args(["scan", "--watch", "--poll-secs", "1", "--cmdline", "/dev/null"])
        .args(["--url", &url, "--token", &app.node_key(&node), "--device", &device.0])
        .kill_on_drop(true)
        .spawn()
        .expect("agent");
    let first = scan_done(&app, &node).await;
    // When an operator asks for a scan
    let (code, body) = app.post(&format!("/nodes/{node}/disks/scan"), json!({})).await;
    assert_eq!(code, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["status"], "pending");
    // Then the agent answers it with a fresh report
    let answered = scan_done(&app, &node).await;
    assert_ne!(answered["last_scanned_at"], first["last_scanned_at"], "{answered}");
    child.kill().await.expect("stop the agent");
}

/// The node's scan status once it is `done` (waits up to 10 s).
async fn scan_done(app: &TestApp, node: &str) -> Value {
    for _ in 0..100 {
        let (_, body) = app.get(&format!("/nodes/{node}/disks/scan-status")).await;
        if body["data"]["status"] == "done" {
            return body["data"].clone();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the scan status never became done");
}
