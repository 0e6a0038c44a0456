//! The partition table of one disk, read with `sfdisk --json` and changed
//! with sfdisk scripts on its stdin (one partition at a time, `-N`), so the
//! table's own rules (GPT entries and backup, MBR limits) stay sfdisk's.
//! Every change is read back: the partition must lie exactly where asked,
//! or the operation fails before a filesystem is touched.

use serde::Deserialize;

use crate::agent::scan::probe::TYPE_NAMES;
use crate::agent::tool;

/// The table as `sfdisk --json` prints it (sectors of `sector_size` bytes).
#[derive(Debug, Clone)]
pub struct Table {
    pub disk: String,
    /// `gpt` or `dos`.
    pub label: String,
    /// Bytes per logical sector: 512 or 4096.
    pub sector_size: u64,
    /// GPT: the last sector partitions may use (before the backup table).
    pub last_lba: Option<u64>,
    pub partitions: Vec<Partition>,
}

/// One entry; `start` and `size` in sectors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Partition {
    pub number: u32,
    pub start: u64,
    pub size: u64,
    /// A GPT type GUID or an MBR type code (`83`).
    pub type_id: String,
    pub bootable: bool,
    /// GPT attributes as sfdisk names them (`LegacyBIOSBootable GUID:63`).
    pub attrs: String,
}

impl Partition {
    pub fn start_bytes(&self, table: &Table) -> u64 {
        self.start * table.sector_size
    }

    pub fn size_bytes(&self, table: &Table) -> u64 {
        self.size * table.sector_size
    }
}

#[derive(Deserialize)]
struct Dump {
    partitiontable: DumpTable,
}

#[derive(Deserialize)]
struct DumpTable {
    label: String,
    sectorsize: Option<u64>,
    lastlba: Option<u64>,
    #[serde(default)]
    partitions: Vec<DumpPartition>,
}

#[derive(Deserialize)]
struct DumpPartition {
    node: String,
    start: u64,
    size: u64,
    #[serde(rename = "type")]
    type_id: String,
    #[serde(default)]
    bootable: bool,
    #[serde(default)]
    attrs: String,
}

impl Table {
    pub async fn read(disk: &str) -> Result<Self, String> {
        let json = tool::run("sfdisk", &["--json", disk]).await?;
        let dump: Dump = serde_json::from_str(&json).map_err(|e| format!("sfdisk --json {disk}: {e}"))?;
        let table = dump.partitiontable;
        let partitions = table
            .partitions
            .into_iter()
            .map(|p| {
                let digits = p.node.len() - p.node.trim_end_matches(|c: char| c.is_ascii_digit()).len();
                let number = p.node[p.node.len() - digits..]
                    .parse()
                    .map_err(|_| format!("sfdisk: no partition number in '{}'", p.node))?;
                Ok(Partition {
                    number,
                    start: p.start,
                    size: p.size,
                    type_id: p.type_id,
                    bootable: p.bootable,
                    attrs: p.attrs,
                })
            })
            .collect::<Result<_, String>>()?;
        Ok(Self {
            disk: disk.to_owned(),
            label: table.label,
            sector_size: table.sectorsize.unwrap_or(512),
            last_lba: table.lastlba,
            partitions,
        })
    }

    pub fn partition(&self, number: u32) -> Result<&Partition, String> {
        self.partitions
            .iter()
            .find(|p| p.number == number)
            .ok_or_else(|| format!("{} has no partition {number} (a rescan shows the disk as it is)", self.disk))
    }

    /// `bytes` in whole sectors, refused when it is not a whole number of them.
    pub fn sectors(&self, what: &str, bytes: i64) -> Result<u64, String> {
        let bytes = u64::try_from(bytes).map_err(|_| format!("{what} {bytes} is negative"))?;
        if bytes % self.sector_size != 0 {
            return Err(format!(
                "{what} {bytes} is not a whole number of {}-byte sectors of {}",
                self.sector_size, self.disk
            ));
        }
        Ok(bytes / self.sector_size)
    }

    /// Places partition `number` at `start` with `size` sectors (creating
    /// it when it does not exist, with `type_id`), then checks the result.
    pub async fn place(&self, number: u32, start: u64, size: u64, type_id: Option<&str>) -> Result<Table, String> {
        let mut script = format!("start={start}, size={size}");
        if let Some(type_id) = type_id {
            script.push_str(&format!(", type={type_id}"));
        }
        self.edit(&["-N", &number.to_string()], &format!("{script}\n")).await?;
        self.expect(number, start, size).await
    }

    /// Moves partition `number` and its data to `start` (`sfdisk --move-data`).
    pub async fn move_to(&self, number: u32, start: u64) -> Result<Table, String> {
        let size = self.partition(number)?.size;
        self.edit(&["--move-data", "-N", &number.to_string()], &format!("start={start}\n")).await?;
        self.expect(number, start, size).await
    }

    /// Removes partition `number` from the table (its data stays on the disk).
    pub async fn delete(&self, number: u32) -> Result<Table, String> {
        tool::run("sfdisk", &["--quiet", "--delete", &self.disk, &number.to_string()]).await?;
        let table = Table::read(&self.disk).await?;
        match table.partition(number) {
            Ok(_) => Err(format!("partition {number} is still in the table of {} after sfdisk --delete", self.disk)),
            Err(_) => Ok(table),
        }
    }

    /// Sets the GPT attributes of partition `number` to `attrs` (space separated).
    pub async fn set_attrs(&self, number: u32, attrs: &str) -> Result<(), String> {
        let attrs = attrs.split_whitespace().collect::<Vec<_>>().join(",");
        tool::run("sfdisk", &["--quiet", "--part-attrs", &self.disk, &number.to_string(), &attrs]).await.map(drop)
    }

    /// Sets the type of partition `number` (a GUID or an MBR code).
    pub async fn set_type(&self, number: u32, type_id: &str) -> Result<(), String> {
        tool::run("sfdisk", &["--quiet", "--part-type", &self.disk, &number.to_string(), type_id]).await.map(drop)
    }

    /// Marks partition `number` bootable (MBR), or clears its mark.
    /// `sfdisk --activate` sets exactly the partitions it is given (`-`
    /// for none), so the others keep their marks by being listed again.
    pub async fn set_bootable(&self, number: u32, on: bool) -> Result<(), String> {
        let mut marked: Vec<String> =
            self.partitions.iter().filter(|p| p.number != number && p.bootable).map(|p| p.number.to_string()).collect();
        if on {
            marked.push(number.to_string());
        }
        if marked.is_empty() {
            marked.push("-".into());
        }
        let mut args = vec!["--quiet", "--activate", self.disk.as_str()];
        args.extend(marked.iter().map(String::as_str));
        tool::run("sfdisk", &args).await.map(drop)
    }

    /// The lowest free partition number (what the controller's plan predicts).
    pub fn free_number(&self) -> Result<u32, String> {
        let max = if self.label == "gpt" { 128 } else { 4 };
        (1..=max)
            .find(|n| self.partitions.iter().all(|p| p.number != *n))
            .ok_or_else(|| format!("the table of {} has no free partition number (1–{max})", self.disk))
    }

    /// The table's type id for a controller type name (`linux`, `efi`…), or
    /// the name itself when it already is a GUID or an MBR code.
    pub fn type_id(&self, name: &str) -> Result<String, String> {
        let gpt = self.label == "gpt";
        let code = name.trim_start_matches("0x");
        if gpt && uuid::Uuid::try_parse(name).is_ok() {
            return Ok(name.to_uppercase());
        }
        if !gpt && code.len() <= 2 && u8::from_str_radix(code, 16).is_ok() {
            return Ok(code.to_lowercase());
        }
        if gpt && name == "fat32" {
            // Microsoft basic data, as for ntfs.
            return Ok("EBD0A0A2-B9E5-4433-87C0-68B6B72699C7".into());
        }
        TYPE_NAMES
            .iter()
            .find(|(id, known)| *known == name && id.contains('-') == gpt)
            .map(|(id, _)| (*id).to_owned())
            .ok_or_else(|| format!("partition type '{name}' has no {} type id the agent knows", self.label))
    }

    async fn edit(&self, args: &[&str], script: &str) -> Result<(), String> {
        let mut all = vec!["--quiet"];
        all.extend_from_slice(args);
        all.push(&self.disk);
        tool::run_with_input("sfdisk", &all, Some(script)).await.map(drop)
    }

    /// Reads the table back and checks partition `number` is where it was put.
    async fn expect(&self, number: u32, start: u64, size: u64) -> Result<Table, String> {
        let table = Table::read(&self.disk).await?;
        let placed = table.partition(number)?;
        if (placed.start, placed.size) != (start, size) {
            return Err(format!(
                "sfdisk placed partition {number} at sectors {}+{} instead of {start}+{size}",
                placed.start, placed.size
            ));
        }
        Ok(table)
    }
}

#[cfg(test)]
mod tests {
    use super::Table;

    fn table(label: &str, sector_size: u64) -> Table {
        Table { disk: "/dev/x".into(), label: label.into(), sector_size, last_lba: None, partitions: vec![] }
    }

    #[test]
    fn type_names_become_the_tables_own_ids() {
        let (gpt, mbr) = (table("gpt", 512), table("dos", 512));
        assert_eq!(gpt.type_id("linux").as_deref(), Ok("0FC63DAF-8483-4772-8E79-3D69D8477DE4"));
        assert_eq!(gpt.type_id("fat32").as_deref(), Ok("EBD0A0A2-B9E5-4433-87C0-68B6B72699C7"));
        assert_eq!(
            gpt.type_id("c12a7328-f81f-11d2-ba4b-00a0c93ec93b").as_deref(),
            Ok("C12A7328-F81F-11D2-BA4B-00A0C93EC93B")
        );
        assert_eq!(mbr.type_id("linux").as_deref(), Ok("83"));
        assert_eq!(mbr.type_id("0x8E").as_deref(), Ok("8e"));
        assert!(mbr.type_id("bios_grub").is_err_and(|e| e.contains("no dos type id")));
    }

    #[test]
    fn byte_counts_must_be_whole_sectors() {
        let kn = table("gpt", 4096);
        assert_eq!(kn.sectors("size_bytes", 1 << 20), Ok(256));
        assert!(kn.sectors("size_bytes", 512).is_err_and(|e| e.contains("not a whole number of 4096-byte sectors")));
        assert!(kn.sectors("start_bytes", -4096).is_err());
    }
}
