//! `pureboot-agent apply`, the other operations on real images behind loop
//! devices (root needed: CI runs as root): create + format + set_flag +
//! delete on free space, a move with its data, and a failure that stops
//! the queue with the tool's reason and leaves the disk as it was.

use std::path::{Path, PathBuf};

use serde_json::json;

use crate::agent_apply::{MIB, NodeDisk, ext4_image, ext4_image_of, ext4_intact, output, succeeded};
use crate::agent_harness::{partitioned, run, scratch};
use crate::support::TestApp;

/// A 64 MiB GPT image: partition 1 ext4 "keep" (1 MiB to 17 MiB) holding
/// [`files`](crate::agent_apply::files), free space after it.
fn small_image(dir: &Path) -> (PathBuf, Vec<(String, String)>) {
    ext4_image_of(dir, "small.img", "64M", 16, "keep")
}

#[tokio::test]
async fn apply_creates_formats_flags_and_deletes_partitions_needs_root() {
    // Given a reported disk with one partition and free space after it
    let app = TestApp::spawn().await;
    let dir = scratch();
    let (image, _) = small_image(&dir);
    let disk = NodeDisk::report(&app, image).await;
    // When an operator queues a create (ext4), a format (fat32), a flag and a delete, and the agent applies them
    let create = json!({
        "start_bytes": 17 * MIB, "size_bytes": 40 * MIB, "type": "linux", "filesystem": "ext4", "label": "fresh"
    });
    disk.queue(&app, "create", create).await;
    disk.queue(&app, "format", json!({"partition": 2, "filesystem": "fat32", "label": "DATA"})).await;
    disk.queue(&app, "set_flag", json!({"partition": 2, "flag": "legacy_boot", "value": true})).await;
    disk.queue(&app, "delete", json!({"partition": 1})).await;
    succeeded(&disk.apply(&app).await);
    // Then each completed
    let statuses = disk.statuses(&app).await;
    assert!(statuses.iter().all(|(s, _)| s == "completed"), "{statuses:?}");
    // and the table holds partition 2 alone, where it was asked, with the flag's attribute
    let table = disk.table();
    assert_eq!(table.len(), 1, "{table:?}");
    let part = &table[0];
    assert!(part["node"].as_str().expect("node").ends_with('2'), "{part}");
    assert_eq!((&part["start"], &part["size"]), (&json!(17 * 2048), &json!(40 * 2048)));
    assert_eq!(part["attrs"], "LegacyBIOSBootable");
    // and blkid finds the fat32 filesystem with its label there
    let probe = output("blkid", &["-p", "-o", "export", "-O", &(17 * MIB).to_string(), &disk.dev.0]);
    assert!(probe.lines().any(|l| l == "TYPE=vfat") && probe.lines().any(|l| l == "LABEL=DATA"), "{probe}");
    // and the agent's fresh report says the same
    let view = disk.view(&app).await;
    let parts = view["partitions"].as_array().expect("partitions");
    assert_eq!(parts.len(), 1, "{view}");
    assert_eq!(
        (&parts[0]["number"], &parts[0]["filesystem"], &parts[0]["label"]),
        (&json!(2), &json!("vfat"), &json!("DATA"))
    );
    assert!(parts[0]["flags"].as_array().expect("flags").contains(&json!("legacy_boot")), "{view}");
}

#[tokio::test]
async fn apply_moves_a_partition_with_its_data_needs_root() {
    // Given a reported disk whose ext4 partition holds files
    let app = TestApp::spawn().await;
    let dir = scratch();
    let (image, digests) = small_image(&dir);
    let disk = NodeDisk::report(&app, image).await;
    // When an operator moves it 32 MiB further and the agent applies that
    disk.queue(&app, "move", json!({"partition": 1, "new_start_bytes": 33 * MIB})).await;
    succeeded(&disk.apply(&app).await);
    // Then it starts there with its size, the filesystem is clean and every file is unchanged
    assert_eq!(disk.statuses(&app).await[0].0, "completed");
    assert_eq!((&disk.table()[0]["start"], &disk.table()[0]["size"]), (&json!(33 * 2048), &json!(32768)));
    ext4_intact(&disk.at(33 * MIB), &digests, "after the move");
    assert_eq!(disk.view(&app).await["partitions"][0]["start_bytes"], 33 * MIB);
}

#[tokio::test]
async fn a_shrink_below_the_tools_minimum_fails_stops_the_queue_and_changes_nothing_needs_root() {
    // Given a reported ext4 partition, a shrink and a flag queued and handed out,
    let app = TestApp::spawn().await;
    let dir = scratch();
    let (image, digests) = ext4_image(&dir);
    let disk = NodeDisk::report(&app, image).await;
    disk.queue(&app, "resize", json!({"partition": 1, "new_size_bytes": 1300 * MIB})).await;
    disk.queue(&app, "set_flag", json!({"partition": 1, "flag": "legacy_boot", "value": true})).await;
    // and then 1500 MiB allocated in the filesystem behind the controller's back
    let at = disk.at(MIB);
    run("debugfs", &["-w", "-R", "write /dev/null big", &at], None);
    run("debugfs", &["-w", "-R", &format!("fallocate /big 0 {}", 1500 * 256), &at], None);
    // When the agent applies the queue
    let out = disk.apply(&app).await;
    // Then it exits 1, the shrink is failed with resize2fs's minimum and the flag never ran
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let statuses = disk.statuses(&app).await;
    assert_eq!(statuses[0].0, "failed", "{statuses:?}");
    let reason = statuses[0].1.clone().unwrap_or_default();
    assert!(reason.contains("resize2fs -P says it needs at least"), "{reason}");
    assert_eq!(statuses[1], ("pending".to_owned(), None), "taken back into the queue");
    // and the disk is as it was: partition size, no flag, a clean filesystem with its files
    let part = &disk.table()[0];
    assert_eq!((&part["size"], &part["attrs"]), (&json!(1800 * 2048), &json!(null)));
    ext4_intact(&at, &digests, "after the failed shrink");
}

#[tokio::test]
async fn apply_sets_the_mbr_boot_mark_and_a_type_flag_needs_root() {
    // Given a reported MBR disk with two Linux partitions, the second marked bootable
    let app = TestApp::spawn().await;
    let dir = scratch();
    let image = dir.join("mbr.img");
    partitioned(
        &image,
        "64M",
        "label: dos\nstart=2048, size=20480, type=83\nstart=22528, size=20480, type=83, bootable\n",
    );
    let disk = NodeDisk::report(&app, image).await;
    // When the boot mark moves to partition 1 and partition 2 becomes an LVM member
    disk.queue(&app, "set_flag", json!({"partition": 1, "flag": "boot", "value": true})).await;
    disk.queue(&app, "set_flag", json!({"partition": 2, "flag": "boot", "value": false})).await;
    disk.queue(&app, "set_flag", json!({"partition": 2, "flag": "lvm", "value": true})).await;
    succeeded(&disk.apply(&app).await);
    // Then sfdisk shows exactly that, and so does the agent's report
    let table = disk.table();
    assert_eq!((&table[0]["bootable"], &table[0]["type"]), (&json!(true), &json!("83")));
    assert_eq!((&table[1]["bootable"], &table[1]["type"]), (&json!(null), &json!("8e")));
    let view = disk.view(&app).await;
    assert_eq!((&view["partitions"][0]["flags"], &view["partitions"][1]["type"]), (&json!(["boot"]), &json!("lvm")));
}
