//! One partition operation carried out on a disk, in the order that keeps
//! data safe: a shrink checks and shrinks the filesystem before the
//! partition, a grow grows the partition before the filesystem; a move is
//! `sfdisk --move-data`. Each step reads the table back before the next.

use super::access::{self, PartitionAccess};
use super::filesystem::{self, Found};
use super::table::{Partition, Table};
use crate::agent::tool;
use crate::domain::disks::OperationSpec;
use crate::domain::disks::operation::{CreateParams, SetFlagParams};

/// GPT attribute bits by the `parted` flag names the controller uses (the
/// scan reports them back under these names).
pub const GPT_ATTRIBUTE_FLAGS: &[(&str, &str)] =
    &[("LegacyBIOSBootable", "legacy_boot"), ("GUID:62", "hidden"), ("GUID:63", "no_automount")];

/// Flags that are a partition type (on GPT as `parted` does, and on MBR).
const TYPE_FLAGS: &[(&str, &str)] = &[
    ("esp", "efi"),
    ("bios_grub", "bios_grub"),
    ("lvm", "lvm"),
    ("raid", "raid"),
    ("swap", "swap"),
    ("msftres", "msr"),
];

/// Carries out `spec` on `disk`; the reason when it could not.
pub async fn execute(disk: &str, spec: &OperationSpec) -> Result<(), String> {
    let table = Table::read(disk).await?;
    match spec {
        OperationSpec::Resize(p) => {
            resize(&table, number(p.partition)?, table.sectors("new_size_bytes", p.new_size_bytes)?).await
        }
        OperationSpec::Create(p) => create(&table, p).await,
        OperationSpec::Delete(p) => {
            let number = number(p.partition)?;
            table.partition(number)?;
            table.delete(number).await.map(drop)
        }
        OperationSpec::Format(p) => {
            let part = table.partition(number(p.partition)?)?.clone();
            format(&table, &part, p.filesystem, p.label.as_deref()).await
        }
        OperationSpec::Move(p) => {
            let number = number(p.partition)?;
            table.partition(number)?;
            table.move_to(number, table.sectors("new_start_bytes", p.new_start_bytes)?).await.map(drop)
        }
        OperationSpec::SetFlag(p) => set_flag(&table, p).await,
    }
}

fn number(partition: i32) -> Result<u32, String> {
    u32::try_from(partition).map_err(|_| format!("{partition} is not a partition number"))
}

/// What is on a partition, read through a short-lived access.
async fn found(table: &Table, part: &Partition) -> Result<Found, String> {
    let access = PartitionAccess::open(table, part).await?;
    let found = filesystem::probe(access.path()).await;
    access.close().await?;
    Ok(found)
}

/// Gives partition `number` `size` sectors, its start kept.
pub async fn resize(table: &Table, number: u32, size: u64) -> Result<(), String> {
    let part = table.partition(number)?.clone();
    if size == part.size {
        return Ok(());
    }
    let access = PartitionAccess::open(table, &part).await?;
    let found = filesystem::probe(access.path()).await;
    if found.kind.as_deref() == Some("vfat") {
        access.close().await?;
        return fat_resize(table, &part, size, found.label.as_deref()).await;
    }
    if size < part.size {
        // Filesystem first: afterwards it fits in the smaller partition.
        let shrunk = found.shrink(access.path(), size * table.sector_size).await;
        access.close().await?;
        shrunk?;
        let table = table.place(number, part.start, size, None).await?;
        if found.kind.as_deref() == Some("swap") {
            return with_access(&table, number, |path| async move { found.remake_swap(&path).await }).await;
        }
        return Ok(());
    }
    // Partition first: the filesystem then has room to grow into. Checked
    // before the table changes, so a refusal leaves the disk as it was.
    let checked = match found.can_grow() {
        Ok(()) => found.check(access.path()).await,
        Err(why) => Err(why),
    };
    access.close().await?;
    checked?;
    let table = table.place(number, part.start, size, None).await?;
    with_access(&table, number, |path| async move { found.grow(&path).await }).await
}

/// FAT: fatresize moves the partition's end and resizes the filesystem in
/// one step, in the safe order either way (libparted's FAT resizer, which
/// also refuses a partition already grown: its size must change with the
/// filesystem); the table then gets exactly the planned size. libparted
/// writes a boot sector without the volume label (`fsck.fat` then finds it
/// only in the root directory), so `label` is written back to both.
async fn fat_resize(table: &Table, part: &Partition, size: u64, label: Option<&str>) -> Result<(), String> {
    // Where the disk cannot re-read its table (a loop device without
    // partition scanning), libparted adds the kernel a node for every
    // partition itself, and those outlive the loop device (the next disk
    // attached there seems to have partitions): the ones it added go again.
    let known = access::kernel_partitions(&table.disk);
    let resized = filesystem::fat_resize(&table.disk, part.number, size * table.sector_size).await;
    for added in access::kernel_partitions(&table.disk).into_iter().filter(|n| !known.contains(n)) {
        tool::run("partx", &["--delete", "--nr", &added.to_string(), &table.disk]).await?;
    }
    resized?;
    let table = Table::read(&table.disk).await?.place(part.number, part.start, size, None).await?;
    match label {
        Some(label) => {
            with_access(&table, part.number, |path| async move { filesystem::fat_label(&path, label).await }).await
        }
        None => Ok(()),
    }
}

/// Runs `action` on the path of partition `number`, closing the access after.
async fn with_access<F, Fut>(table: &Table, number: u32, action: F) -> Result<(), String>
where
    F: FnOnce(String) -> Fut,
    Fut: std::future::Future<Output = Result<(), String>>,
{
    let access = PartitionAccess::open(table, table.partition(number)?).await?;
    let done = action(access.path().to_owned()).await;
    access.close().await?;
    done
}

async fn create(table: &Table, p: &CreateParams) -> Result<(), String> {
    let number = table.free_number()?;
    let type_id = table.type_id(&p.part_type)?;
    let (start, size) = (table.sectors("start_bytes", p.start_bytes)?, table.sectors("size_bytes", p.size_bytes)?);
    let table = table.place(number, start, size, Some(&type_id)).await?;
    match p.filesystem {
        Some(fs) => format(&table, table.partition(number)?, fs, p.label.as_deref()).await,
        None => Ok(()),
    }
}

async fn format(
    table: &Table,
    part: &Partition,
    fs: crate::domain::disks::filesystem::Filesystem,
    label: Option<&str>,
) -> Result<(), String> {
    let (start, sector) = (part.start, table.sector_size);
    with_access(table, part.number, |path| async move { filesystem::format(&path, fs, label, start, sector).await })
        .await
}

async fn set_flag(table: &Table, p: &SetFlagParams) -> Result<(), String> {
    let number = number(p.partition)?;
    let part = table.partition(number)?;
    let gpt = table.label == "gpt";
    if let Some((_, type_name)) = TYPE_FLAGS.iter().chain(gpt.then_some(&("boot", "efi"))).find(|(f, _)| *f == p.flag) {
        let wanted = table.type_id(type_name)?;
        let is_set = part.type_id.eq_ignore_ascii_case(&wanted);
        return match (p.value, is_set) {
            (true, false) => table.set_type(number, &wanted).await,
            // Off: back to the plain data type the partition's filesystem suggests.
            (false, true) => {
                let data = if found(table, part).await?.kind.as_deref() == Some("ntfs") { "ntfs" } else { "linux" };
                table.set_type(number, &table.type_id(data)?).await
            }
            _ => Ok(()),
        };
    }
    if !gpt && p.flag == "boot" {
        return table.set_bootable(number, p.value).await;
    }
    let Some((attr, _)) = GPT_ATTRIBUTE_FLAGS.iter().find(|(_, f)| *f == p.flag).filter(|_| gpt) else {
        return Err(format!("the agent cannot set flag '{}' on a {} partition table", p.flag, table.label));
    };
    let mut attrs: Vec<&str> = part.attrs.split_whitespace().filter(|a| a != attr).collect();
    if p.value {
        attrs.push(attr);
    }
    table.set_attrs(number, &attrs.join(" ")).await
}
