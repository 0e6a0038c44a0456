//! `resize_mode = shrink_source`: a 1.5 GiB GPT image (EFI vfat + ext4
//! holding files) cloned onto a 1 GiB disk, both behind loop devices (root
//! needed: CI runs as root). The nodes scan their disks, the operator takes
//! the plan `analyze` suggests, both agents start before the session does
//! (the source waits), then the start lets the source shrink its ext4
//! partition (filesystem first), move its GPT backup behind it and serve
//! only that far; the target writes it and moves the backup to its own end.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::agent_apply::{NodeDisk, e2fsck_clean, ext_file, output};
use crate::agent_harness::{Clone, gpt_image, run, scratch, session, until_status};
use crate::support::TestApp;

#[tokio::test(flavor = "multi_thread")]
async fn shrink_source_clones_a_larger_disk_onto_a_smaller_one_needs_root() {
    // Given a scanned 1.5 GiB source and a scanned 1 GiB target
    let app = TestApp::spawn().await;
    let dir = scratch();
    let source = NodeDisk::report(&app, gpt_image(&dir, 1536, 8)).await;
    let target_image = dir.join("dst.img");
    run("truncate", &["-s", "1G", target_image.to_str().expect("utf-8")], None);
    let target = NodeDisk::report(&app, target_image).await;
    // and a shrink_source session between them with the plan analyze suggests
    let (status, body) = app
        .post(
            "/clone-sessions",
            json!({"clone_mode": "direct", "source_node_id": source.node, "target_node_id": target.node,
                   "source_device": source.dev.0, "target_device": target.dev.0, "resize_mode": "shrink_source"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let clone = Clone::of(&app, body["data"].clone(), &format!("http://{}", app.addr)).await;
    let (status, analysis) = app.post(&format!("/clone-sessions/{}/analyze", clone.id), json!({})).await;
    assert_eq!(status, StatusCode::OK, "{analysis}");
    assert_eq!(analysis["data"]["fit"], "target_smaller", "{analysis}");
    let plan = analysis["data"]["suggested_plan"].clone();
    let new_size = 1_038_090_240_i64;
    assert_eq!(plan["source_operations"][0]["params"], json!({"partition": 2, "new_size_bytes": new_size}));
    let path = format!("/clone-sessions/{}/plan", clone.id);
    let (status, body) = app.as_admin().send(Method::PUT, &path, Some(plan)).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // When both agents run before the session is started, the source waits
    let mut source_agent = clone.agent("source", std::path::Path::new(&source.dev.0), &[]);
    let mut target_agent = clone.agent("target", std::path::Path::new(&target.dev.0), &[]);
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(session(&app, &clone.id).await["status"], "pending");
    assert!(source_agent.log_text().contains("waiting for an operator to start"), "{}", source_agent.log_text());
    // and the operator starts it
    let (status, body) = app.post(&format!("/clone-sessions/{}/start", clone.id), json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(target_agent.exit(Duration::from_secs(240)).await, 0, "{}", target_agent.log_text());
    assert_eq!(source_agent.exit(Duration::from_secs(20)).await, 0, "{}", source_agent.log_text());

    // Then the session completed, having copied the partitions and the table's end only
    let view = until_status(&app, &clone.id, "completed", Duration::from_secs(10)).await;
    assert_eq!(view["bytes_total"], analysis["data"]["needed_bytes"], "{view}");
    assert_eq!(view["bytes_total"], 1_072_710_656_i64);
    // and the target's table is valid, its backup at the end of the 1 GiB disk
    let verify = output("sfdisk", &["--verify", &target.dev.0]);
    assert!(verify.contains("No errors detected"), "{verify}");
    let dump: serde_json::Value = serde_json::from_str(&output("sfdisk", &["--json", &target.dev.0])).expect("json");
    let table = &dump["partitiontable"];
    assert_eq!(table["lastlba"], 2_097_152 - 34, "{table}");
    let root = &table["partitions"][1];
    assert_eq!((root["start"].as_i64(), root["size"].as_i64()), (Some(67_584), Some(new_size / 512)), "{root}");
    // and its ext4 is clean and holds the source's files
    let at = target.at(67_584 * 512);
    e2fsck_clean(&at);
    for name in ["etc/hostname", "blob-0.bin", "blob-2.bin"] {
        let original = blake3::hash(&std::fs::read(dir.join("rootfs").join(name)).expect("file")).to_hex().to_string();
        assert_eq!(ext_file(&at, name), original, "{name} differs");
    }
    // and the source's shrunk table is valid too, its backup back at its disk's end
    let verify = output("sfdisk", &["--verify", &source.dev.0]);
    assert!(verify.contains("No errors detected"), "{verify}");
    e2fsck_clean(&source.at(67_584 * 512));
}
