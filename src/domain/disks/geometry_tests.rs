//! The reserved areas and usable bounds, against the numbers the UEFI
//! specification and the partitioning tools give.

use super::*;

const GIB: i64 = 1024 * MIB;

fn gpt(size_bytes: i64, logical_sector: i64) -> Geometry {
    Geometry { size_bytes, logical_sector, table: PartitionTable::Gpt }
}

#[test]
fn gpt_on_512_byte_sectors_reserves_lba_0_to_33_and_the_last_33() {
    let disk = gpt(100 * GIB, 512);
    assert_eq!(disk.gpt_entry_sectors(), 32, "16 KiB of entries");
    assert_eq!(disk.reserved_start_sectors(), 34, "first usable LBA is 34");
    assert_eq!(disk.reserved_end_sectors(), 33);
    // sgdisk on a 100 GiB disk: last usable sector 209715166.
    assert_eq!(disk.last_usable_byte(), 209_715_167 * 512 - 1);
    assert_eq!(disk.first_usable_byte(), MIB);
}

#[test]
fn gpt_on_4096_byte_sectors_reserves_lba_0_to_5_and_the_last_5() {
    let disk = gpt(100 * GIB, 4096);
    assert_eq!(disk.gpt_entry_sectors(), 4, "16 KiB of entries");
    assert_eq!(disk.reserved_start_sectors(), 6, "first usable LBA is 6");
    assert_eq!(disk.reserved_end_sectors(), 5);
    assert_eq!(disk.last_usable_byte(), 100 * GIB - 5 * 4096 - 1);
}

#[test]
fn a_partial_sector_at_the_end_is_not_usable() {
    let mbr = Geometry { size_bytes: 10 * GIB + 100, logical_sector: 4096, table: PartitionTable::Mbr };
    assert_eq!(mbr.last_usable_byte(), 10 * GIB - 1);
    let err = mbr.check_extent("/dev/sdb", MIB, 10 * GIB).expect_err("partial sector");
    assert!(err.contains("partial sector"), "{err}");
    mbr.check_extent("/dev/sdb", MIB, 10 * GIB - 1).expect("the last whole sector");
}

#[test]
fn the_backup_gpt_is_named_when_a_partition_would_reach_it() {
    for sector in SECTOR_SIZES {
        let disk = gpt(100 * GIB, sector);
        let err = disk.check_extent("/dev/sda", MIB, 100 * GIB - 1).expect_err("last byte");
        assert!(err.contains("inside the backup GPT"), "{err}");
        assert!(err.contains(&format!("the last usable byte is {}", disk.last_usable_byte())), "{err}");
        disk.check_extent("/dev/sda", MIB, disk.last_usable_byte()).expect("up to the last usable byte");
    }
}

#[test]
fn mbr_cannot_describe_sectors_past_32_bits() {
    let two_tib = (u32::MAX as i64) * 512;
    let mbr = Geometry { size_bytes: 4 * two_tib, logical_sector: 512, table: PartitionTable::Mbr };
    mbr.check_extent("/dev/sdc", MIB, MIB + two_tib - 1).expect("2^32 - 1 sectors fit");
    let err = mbr.check_extent("/dev/sdc", MIB, MIB + two_tib + 511).expect_err("one sector too many");
    assert!(err.contains("MBR table cannot describe it"), "{err}");
    let big = Geometry { logical_sector: 4096, ..mbr };
    big.check_extent("/dev/sdc", MIB, MIB + two_tib + 511).expect("4096-byte sectors reach 8 times as far");
}

#[test]
fn starts_off_the_mib_grid_and_partial_sectors_are_refused() {
    let disk = gpt(100 * GIB, 4096);
    let err = disk.check_aligned_start(MIB + 4096).expect_err("unaligned");
    assert!(err.contains("not on a 1 MiB boundary") && err.contains("1048576 and 2097152"), "{err}");
    disk.check_aligned_start(7 * MIB).expect("aligned");
    let err = disk.check_whole_sectors(GIB + 512).expect_err("512 is no 4096-byte sector");
    assert!(err.contains("4096-byte sectors (round down to 1073741824)"), "{err}");
    gpt(100 * GIB, 512).check_whole_sectors(GIB + 512).expect("whole 512-byte sectors");
}
