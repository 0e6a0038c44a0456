//! vfat, btrfs and xfs on real images behind loop devices (root needed: CI
//! runs as root). The scan reports their used bytes and shrink minimum as
//! their own tools say (`fsck.fat -n -v`, `fatresize --info`, `xfs_db`,
//! `btrfs inspect-internal dump-super`); `apply` shrinks and grows vfat
//! (fatresize) and btrfs (mounted: `btrfs filesystem resize`) with their
//! files intact, and refuses a btrfs shrink below its tool's minimum with
//! the tool's figure.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::agent_apply::{MIB, NodeDisk, output, succeeded};
use crate::agent_harness::{Loop, noise, run, scratch};
use crate::support::TestApp;

const BASIC_DATA: &str = "EBD0A0A2-B9E5-4433-87C0-68B6B72699C7";
const LINUX: &str = "0FC63DAF-8483-4772-8E79-3D69D8477DE4";

/// A sparse GPT image of `size_mib` with partitions of the given MiB sizes
/// and types, one after another from 1 MiB.
fn image(dir: &Path, size_mib: i64, parts: &[(i64, &str)]) -> PathBuf {
    let image = dir.join("disk.img");
    let path = image.to_str().expect("utf-8");
    run("truncate", &["-s", &format!("{size_mib}M"), path], None);
    let mut script = "label: gpt\n".to_owned();
    let mut start = 1;
    for (mib, type_id) in parts {
        script.push_str(&format!("start={}, size={}, type={type_id}\n", start * 2048, mib * 2048));
        start += mib;
    }
    run("sfdisk", &["--quiet", path], Some(&script));
    image
}

/// A loop device over `mib` MiB from `start_mib` of `image`: one partition.
fn partition(image: &Path, start_mib: i64, mib: i64) -> Loop {
    Loop::attach_with(image, &["--offset", &(start_mib * MIB).to_string(), "--sizelimit", &(mib * MIB).to_string()])
}

/// The first number after `key` in `text`.
fn number(text: &str, key: &str) -> i64 {
    let after = text.split_once(key).unwrap_or_else(|| panic!("no '{key}' in {text}")).1;
    after.split_whitespace().next().and_then(|n| n.parse().ok()).unwrap_or_else(|| panic!("no number after '{key}'"))
}

/// 6 MiB and a bit of pseudo-random bytes, written to `dir/payload.bin`.
fn payload(dir: &Path) -> (PathBuf, Vec<u8>) {
    let bytes = noise("payload", 6 * MIB as usize + 4321);
    let path = dir.join("payload.bin");
    std::fs::write(&path, &bytes).expect("payload");
    (path, bytes)
}

/// `payload.bin` of the FAT filesystem 1 MiB into `image` (mtools reads at an offset).
fn fat_payload(image: &Path) -> Vec<u8> {
    let out = image.with_file_name("read.bin");
    let at = format!("{}@@1048576", image.display());
    run("mcopy", &["-o", "-i", &at, "::payload.bin", out.to_str().expect("utf-8")], None);
    std::fs::read(out).expect("read back")
}

/// `fsck.fat -n` of the partition's `mib` MiB finds nothing to fix; its `-v` report.
fn fat_clean(image: &Path, mib: i64) -> String {
    output("fsck.fat", &["-n", "-v", &partition(image, 1, mib).0])
}

#[tokio::test]
async fn vfat_usage_comes_from_its_tools_and_it_shrinks_and_grows_with_its_files_needs_root() {
    // Given a reported disk: a 1500 MiB FAT32 partition holding a file (the
    // controller keeps 1 GiB above the used space: sizes are sparse here)
    let app = TestApp::spawn().await;
    let dir = scratch();
    let image = image(&dir, 1600, &[(1500, BASIC_DATA)]);
    let path = image.to_str().expect("utf-8");
    run("mkfs.vfat", &["-F", "32", "-n", "DATA", "--offset", "2048", path, &(1500 * 1024).to_string()], None);
    let (file, bytes) = payload(&dir);
    let at = format!("{path}@@1048576");
    run("mcopy", &["-i", &at, file.to_str().expect("utf-8"), "::payload.bin"], None);
    let disk = NodeDisk::report(&app, image.clone()).await;

    // Then its used bytes are fsck.fat's clusters in use, its minimum fatresize's
    let report = fat_clean(&image, 1500);
    let clusters = report.lines().rev().find_map(|l| l.split_once(" files, ")).expect("cluster count").1;
    let in_use: i64 = clusters.split('/').next().and_then(|n| n.trim().parse().ok()).expect("clusters in use");
    let cluster: i64 = report
        .lines()
        .find_map(|l| l.trim().strip_suffix(" bytes per cluster")?.trim().parse().ok())
        .expect("cluster size");
    let used = in_use * cluster;
    let part = &disk.view(&app).await["partitions"][0];
    assert_eq!(part["used_bytes"], used, "{part}");
    assert!(used >= bytes.len() as i64, "the file's clusters count: {used}");
    let minimum = number(&output("fatresize", &["--info", "--partition", "1", &disk.dev.0]), "Min size:");
    assert_eq!(part["fs_min_bytes"], minimum, "{part}");

    // When it is shrunk to 1100 MiB, then grown to 1400 MiB
    for mib in [1100, 1400] {
        disk.queue(&app, "resize", json!({"partition": 1, "new_size_bytes": mib * MIB})).await;
        succeeded(&disk.apply(&app).await);

        // Then each completes: the partition has the planned size, the
        // filesystem fills most of it, is clean and holds the file unchanged
        assert!(disk.statuses(&app).await.iter().all(|(s, _)| s == "completed"));
        assert_eq!(disk.table()[0]["size"], mib * 2048);
        let info = output("fatresize", &["--info", "--partition", "1", &disk.dev.0]);
        let size = number(&info, "Cur size:");
        assert!(size <= mib * MIB && size > (mib - 2) * MIB, "{info}");
        fat_clean(&image, mib);
        assert!(fat_payload(&image) == bytes, "the file is unchanged after the resize to {mib} MiB");
        // and the kernel lists no partition of the loop device that
        // libparted added (it would outlive the loop device)
        let name = disk.dev.0.trim_start_matches("/dev/");
        assert!(!Path::new(&format!("/sys/class/block/{name}/{name}p1")).exists(), "a partition node was left");
    }
    drop(disk);
}

/// Runs `work` with the filesystem on `device` mounted, then unmounts it.
fn mounted<T>(device: &str, work: impl FnOnce(&Path) -> T) -> T {
    let dir = scratch();
    run("mount", &[device, dir.to_str().expect("utf-8")], None);
    let result = work(&dir);
    run("umount", &[dir.to_str().expect("utf-8")], None);
    let _ = std::fs::remove_dir(&dir);
    result
}

#[tokio::test]
async fn xfs_and_btrfs_usage_comes_from_their_tools_and_btrfs_shrinks_and_grows_needs_root() {
    // Given a reported disk: xfs (320 MiB) and btrfs (1600 MiB, sparse)
    // holding a file
    let app = TestApp::spawn().await;
    let dir = scratch();
    let image = image(&dir, 2000, &[(320, LINUX), (1600, LINUX)]);
    let (file, bytes) = payload(&dir);
    let (xfs, btrfs) = (partition(&image, 1, 320), partition(&image, 321, 1600));
    run("mkfs.xfs", &["-q", "-f", &xfs.0], None);
    run("mkfs.btrfs", &["-q", "-f", &btrfs.0], None);
    mounted(&btrfs.0, |at| std::fs::copy(&file, at.join("payload.bin")).expect("copy"));
    let sb = output("xfs_db", &["-r", "-c", "sb 0", "-c", "print dblocks fdblocks blocksize", &xfs.0]);
    let super_block = output("btrfs", &["inspect-internal", "dump-super", &btrfs.0]);
    drop((xfs, btrfs));
    let disk = NodeDisk::report(&app, image.clone()).await;

    // Then xfs's used bytes and size are its superblock's, as xfs_db prints
    // it (its minimum is its size: XFS cannot shrink), and btrfs's used
    // bytes are dump-super's (its minimum needs it mounted: none)
    let view = disk.view(&app).await;
    let (xfs, btrfs) = (&view["partitions"][0], &view["partitions"][1]);
    let (blocks, block) = (number(&sb, "dblocks ="), number(&sb, "blocksize ="));
    assert_eq!(xfs["used_bytes"], (blocks - number(&sb, "fdblocks =")) * block, "{xfs}");
    assert_eq!(xfs["fs_min_bytes"], blocks * block, "{xfs}");
    assert_eq!(btrfs["used_bytes"], number(&super_block, "bytes_used"), "{btrfs}");
    assert!(btrfs["used_bytes"].as_i64().is_some_and(|u| u >= bytes.len() as i64), "{btrfs}");
    assert_eq!(btrfs["fs_min_bytes"], Value::Null);

    // When btrfs is shrunk to 1100 MiB, then grown to 1500 MiB
    for mib in [1100, 1500] {
        disk.queue(&app, "resize", json!({"partition": 2, "new_size_bytes": mib * MIB})).await;
        succeeded(&disk.apply(&app).await);

        // Then each completes: the partition and the filesystem have the
        // planned size, the filesystem is clean and the file unchanged
        assert!(disk.statuses(&app).await.iter().all(|(s, _)| s == "completed"));
        assert_eq!(disk.table()[1]["size"], mib * 2048);
        let part = partition(&image, 321, mib);
        output("btrfs", &["check", "--readonly", &part.0]);
        let size = number(&output("btrfs", &["inspect-internal", "dump-super", &part.0]), "total_bytes");
        assert_eq!(size, mib * MIB);
        assert!(mounted(&part.0, |at| std::fs::read(at.join("payload.bin")).expect("read")) == bytes);
    }

    // and when a shrink is queued and then 1200 MiB are allocated behind
    // the controller's back, it fails with btrfs's own minimum and changes nothing
    disk.queue(&app, "resize", json!({"partition": 2, "new_size_bytes": 1100 * MIB})).await;
    let part = partition(&image, 321, 1500);
    mounted(&part.0, |at| run("fallocate", &["-l", "1200M", at.join("big").to_str().expect("utf-8")], None));
    drop(part);
    let out = disk.apply(&app).await;
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let statuses = disk.statuses(&app).await;
    let reason = statuses.last().and_then(|(_, reason)| reason.clone()).unwrap_or_default();
    assert!(reason.contains("btrfs inspect-internal min-dev-size says it needs at least"), "{statuses:?}");
    assert_eq!(disk.table()[1]["size"], 1500 * 2048);
    drop(disk);
}
