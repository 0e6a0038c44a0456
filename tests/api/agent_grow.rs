//! `resize_mode = grow_target`: a 1 GiB GPT image (EFI vfat + ext4 holding
//! files) cloned onto a 1.5 GiB target behind a loop device (root needed:
//! CI runs as root). After the verified copy the target agent reports the
//! `resizing` phase, moves the GPT backup to the disk's end and grows the
//! last partition and its filesystem to fill the disk, then completes.
//! The GPT headers and the ext4 metadata change with the sizes they
//! record; the EFI partition and every file stay identical.

use std::time::Duration;

use serde_json::json;

use crate::agent_apply::{e2fsck_clean, ext_size, output};
use crate::agent_harness::{Clone, Loop, MIB, gpt_image, run, until_status};
use crate::support::TestApp;

/// Bytes `[start, start + len)` of a file or device.
fn bytes(path: &str, start: u64, len: u64) -> Vec<u8> {
    use std::os::unix::fs::FileExt;
    let mut buf = vec![0u8; len as usize];
    std::fs::File::open(path).expect("open").read_exact_at(&mut buf, start).expect("read");
    buf
}

#[tokio::test(flavor = "multi_thread")]
async fn grow_target_fills_a_larger_disk_after_the_verified_clone_needs_root() {
    // Given a grow_target session, a 1 GiB source image and a 1.5 GiB target disk
    let app = TestApp::spawn().await;
    let clone = Clone::new(&app).await;
    let (status, body) =
        app.patch(&format!("/clone-sessions/{}", clone.id), json!({"resize_mode": "grow_target"})).await;
    assert_eq!(status, reqwest::StatusCode::OK, "{body}");
    let source = gpt_image(&clone.dir, 1024, 8);
    let target_file = clone.dir.join("dst.img");
    run("truncate", &["-s", "1536M", target_file.to_str().expect("utf-8")], None);
    let target = Loop::attach(&target_file);
    let mut ws = app.ws("").await;

    // When both agents run
    let mut source_agent = clone.agent("source", &source, &[]);
    let mut target_agent = clone.agent("target", std::path::Path::new(&target.0), &[]);
    assert_eq!(target_agent.exit(Duration::from_secs(180)).await, 0, "{}", target_agent.log_text());
    assert_eq!(source_agent.exit(Duration::from_secs(10)).await, 0, "{}", source_agent.log_text());

    // Then the session completed after a resizing phase
    until_status(&app, &clone.id, "completed", Duration::from_secs(10)).await;
    let messages = ws.until("clone.completed").await;
    let phases: Vec<&serde_json::Value> = messages
        .iter()
        .filter(|m| m["type"] == "clone.progress" && m["data"]["session_id"] == clone.id.as_str())
        .map(|m| &m["data"]["status"])
        .collect();
    assert!(phases.iter().any(|p| *p == "resizing"), "no resizing phase in {phases:?}");
    // and the EFI partition is identical, the ext4 partition reaches the GPT's last usable sector
    let src = source.to_str().expect("utf-8");
    assert_eq!(bytes(src, MIB, 32 * MIB), bytes(&target.0, MIB, 32 * MIB), "the EFI partition differs");
    let dump: serde_json::Value = serde_json::from_str(&output("sfdisk", &["--json", &target.0])).expect("json");
    let table = &dump["partitiontable"];
    let last_lba = table["lastlba"].as_i64().expect("lastlba");
    assert_eq!(last_lba, 1536 * 2048 - 34, "the backup GPT moved to the end of the larger disk");
    let root = &table["partitions"][1];
    let (start, size) = (root["start"].as_i64().expect("start"), root["size"].as_i64().expect("size"));
    assert_eq!(start + size - 1, last_lba, "{root}");
    // and its filesystem fills it, is clean, and holds the source's files
    let at = format!("{}?offset={}", target.0, start * 512);
    let fs_size = ext_size(&at);
    assert!(fs_size <= size * 512 && fs_size > size * 512 - 4096, "{fs_size} of {}", size * 512);
    e2fsck_clean(&at);
    let source_at = format!("{src}?offset={}", start * 512);
    let list = |at: &str| output("debugfs", &["-R", "ls -l /", at]);
    assert_eq!(list(&source_at), list(&at), "the root directories differ");
    for name in ["etc/hostname", "blob-0.bin", "blob-2.bin"] {
        assert_eq!(
            crate::agent_apply::ext_file(&source_at, name),
            crate::agent_apply::ext_file(&at, name),
            "{name} differs"
        );
    }
}
