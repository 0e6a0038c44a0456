//! `pureboot-agent scan` of more layouts, each field checked against what
//! the tools themselves say (`sfdisk --json`, `blkid -p`, `ntfsresize
//! --info`): a GPT disk with vfat, ext4, ntfs and swap; an MBR disk with a
//! bootable partition; a disk of 4096-byte sectors (4Kn) behind a loop
//! device with that sector size. Loop devices need root (CI runs as root).

use serde_json::{Value, json};

use crate::agent_apply::output;
use crate::agent_harness::{Loop, partitioned, run, scratch};

/// The agent's `--print` report of `device`.
async fn printed(device: &str) -> Value {
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_pureboot-agent"))
        .args(["scan", "--print", "--device", device, "--cmdline", "/dev/null"])
        .output()
        .await
        .expect("run pureboot-agent");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let report: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    report["disks"][0].clone()
}

/// Every partition of `disk` (the agent's report) against `sfdisk --json`
/// and `blkid -p` at its offset.
fn assert_as_the_tools_say(disk: &Value, device: &str) {
    let dump: Value = serde_json::from_str(&output("sfdisk", &["--json", device])).expect("sfdisk --json");
    let table = &dump["partitiontable"];
    let sector = table["sectorsize"].as_i64().expect("sectorsize");
    assert_eq!(disk["logical_sector_size"], sector);
    assert_eq!(disk["partition_table"], if table["label"] == "gpt" { "gpt" } else { "mbr" });
    let expected = table["partitions"].as_array().expect("partitions");
    let reported = disk["partitions"].as_array().expect("partitions");
    assert_eq!(reported.len(), expected.len(), "{disk}");
    for (p, e) in reported.iter().zip(expected) {
        let node = e["node"].as_str().expect("node");
        let (start, size) = (e["start"].as_i64().expect("start") * sector, e["size"].as_i64().expect("size") * sector);
        assert_eq!(
            (&p["start_bytes"], &p["size_bytes"], &p["end_bytes"]),
            (&json!(start), &json!(size), &json!(start + size - 1)),
            "{node}"
        );
        assert!(node.ends_with(&p["number"].to_string()), "{node} is not partition {}", p["number"]);
        let raw = e["type"].as_str().expect("type");
        let type_id = if raw.contains('-') { raw.to_uppercase() } else { format!("0x{raw}") };
        assert_eq!(p["type_id"], type_id.as_str(), "{node}");
        assert_eq!(p["name"], e["name"].as_str().map_or(Value::Null, |n| json!(n)), "{node}");
        let probe = output("blkid", &["-p", "-o", "export", "-O", &start.to_string(), "-S", &size.to_string(), device]);
        let field = |key: &str| {
            probe.lines().find_map(|l| l.strip_prefix(&format!("{key}="))).map_or(Value::Null, |v| json!(v))
        };
        assert_eq!(
            (&p["filesystem"], &p["label"], &p["uuid"]),
            (&field("TYPE"), &field("LABEL"), &field("UUID")),
            "{node}"
        );
        assert_eq!(p["flags"].as_array().expect("flags").contains(&json!("boot")), e["bootable"] == true, "{node}");
    }
}

#[tokio::test]
async fn scan_of_a_gpt_disk_with_vfat_ext4_ntfs_and_swap_matches_the_tools_needs_root() {
    // Given a GPT image: vfat, ext4, ntfs (each 32 MiB) and swap (16 MiB)
    let dir = scratch();
    let image = dir.join("four.img");
    let table = "label: gpt\n\
                 start=2048, size=65536, type=U, name=\"esp\"\n\
                 start=67584, size=65536, type=L, name=\"root\"\n\
                 start=133120, size=65536, type=EBD0A0A2-B9E5-4433-87C0-68B6B72699C7, name=\"win\"\n\
                 start=198656, size=32768, type=S\n";
    partitioned(&image, "128M", table);
    let disk = Loop::attach(&image);
    let part = |start: u64, sectors: u64| {
        Loop::attach_with(
            &image,
            &["--offset", &(start * 512).to_string(), "--sizelimit", &(sectors * 512).to_string()],
        )
    };
    run("mkfs.vfat", &["-n", "ESP", &part(2048, 65536).0], None);
    run("mkfs.ext4", &["-q", "-F", "-L", "root", &part(67584, 65536).0], None);
    let ntfs = part(133120, 65536);
    run("mkfs.ntfs", &["--quick", "--force", "--quiet", "-L", "win", &ntfs.0], None);
    run("mkswap", &["--quiet", "-L", "swap", &part(198656, 32768).0], None);
    // When the agent scans the disk
    let report = printed(&disk.0).await;
    // Then each partition is what sfdisk and blkid say, and the ntfs minimum is ntfsresize's
    assert_as_the_tools_say(&report, &disk.0);
    let kinds: Vec<&Value> = report["partitions"].as_array().expect("parts").iter().map(|p| &p["filesystem"]).collect();
    assert_eq!(kinds, [&json!("vfat"), &json!("ext4"), &json!("ntfs"), &json!("swap")]);
    let minimum = crate::agent_apply::ntfsresize_info(&ntfs.0, "You might resize at ");
    assert_eq!(report["partitions"][2]["fs_min_bytes"], minimum);
    assert!(report["partitions"][2]["used_bytes"].as_i64().is_some_and(|u| u > 0 && u <= minimum), "{report}");
}

#[tokio::test]
async fn scan_of_an_mbr_disk_matches_the_tools() {
    // Given an MBR image file: a bootable ext4 partition and a vfat one
    let dir = scratch();
    let image = dir.join("mbr.img");
    partitioned(
        &image,
        "64M",
        "label: dos\nstart=2048, size=40960, type=83, bootable\nstart=43008, size=40960, type=c\n",
    );
    let path = image.to_str().expect("utf-8");
    run("mkfs.ext4", &["-q", "-F", "-L", "boot", "-E", "offset=1048576", path, "20480k"], None);
    run("mkfs.vfat", &["-n", "DATA", "--offset", "43008", path, "20480"], None);
    // When the agent prints its report of the file
    let report = printed(path).await;
    // Then it is what sfdisk and blkid say
    assert_as_the_tools_say(&report, path);
    assert_eq!(report["partitions"][0]["type"], "linux");
    assert_eq!(report["partitions"][1]["type"], "fat32");
}

#[tokio::test]
async fn scan_of_a_disk_with_4096_byte_sectors_matches_the_tools_needs_root() {
    // Given a 4Kn disk: a loop device with 4096-byte sectors, a GPT made
    // through it (in those sectors) and an ext4 partition at 1 MiB
    let dir = scratch();
    let image = dir.join("4kn.img");
    run("truncate", &["-s", "64M", image.to_str().expect("utf-8")], None);
    let disk = Loop::attach_with(&image, &["--sector-size", "4096"]);
    // (util-linux 2.38's sfdisk has no --sector-size: it takes the device's.)
    run("sfdisk", &["--quiet", &disk.0], Some("label: gpt\nstart=256, size=8192, type=L\n"));
    let part = Loop::attach_with(&image, &["--sector-size", "4096", "--offset", "1048576", "--sizelimit", "33554432"]);
    run("mkfs.ext4", &["-q", "-F", "-L", "4kn", &part.0], None);
    // When the agent scans it
    let report = printed(&disk.0).await;
    // Then the sector sizes are 4096 and the partition is in bytes as sfdisk and blkid say
    assert_eq!((&report["logical_sector_size"], &report["physical_sector_size"]), (&json!(4096), &json!(4096)));
    assert_as_the_tools_say(&report, &disk.0);
    let root = &report["partitions"][0];
    assert_eq!((&root["start_bytes"], &root["size_bytes"]), (&json!(1 << 20), &json!(32 << 20)));
    assert_eq!((&root["filesystem"], &root["label"]), (&json!("ext4"), &json!("4kn")));
}
