//! Partition operations: what an operator may queue, with the parameters
//! each kind needs, checked field by field.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use super::filesystem::{Filesystem, size_human};
use crate::domain::{Rejection, check_text};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OperationKind {
    Resize,
    Create,
    Delete,
    Format,
    Move,
    SetFlag,
}

impl OperationKind {
    pub fn as_str(self) -> &'static str {
        match self {
            OperationKind::Resize => "resize",
            OperationKind::Create => "create",
            OperationKind::Delete => "delete",
            OperationKind::Format => "format",
            OperationKind::Move => "move",
            OperationKind::SetFlag => "set_flag",
        }
    }
}

/// The spec's four statuses. Whether a pending operation has been handed to
/// the node is tracked beside the status (`applied_at`), not as a fifth status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema, Default)]
#[serde(rename_all = "snake_case")]
pub enum OperationStatus {
    #[default]
    Pending,
    Running,
    Completed,
    Failed,
}

impl OperationStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            OperationStatus::Pending => "pending",
            OperationStatus::Running => "running",
            OperationStatus::Completed => "completed",
            OperationStatus::Failed => "failed",
        }
    }
}

impl std::fmt::Display for OperationStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `resize`: give partition `partition` a new size; its start stays put.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"partition": 2, "new_size_bytes": 85899345920_i64}))]
pub struct ResizeParams {
    pub partition: i32,
    pub new_size_bytes: i64,
}

/// `create`: a new partition at `start_bytes`, optionally formatted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"start_bytes": 85900394496_i64, "size_bytes": 10737418240_i64, "type": "linux",
    "filesystem": "ext4", "label": "data"}))]
pub struct CreateParams {
    pub start_bytes: i64,
    pub size_bytes: i64,
    /// efi, linux, swap, ntfs…
    #[serde(rename = "type")]
    pub part_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filesystem: Option<Filesystem>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
}

/// `delete`: remove partition `partition`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"partition": 3}))]
pub struct DeleteParams {
    pub partition: i32,
}

/// `format`: make a new, empty filesystem on partition `partition`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"partition": 2, "filesystem": "ext4", "label": "root"}))]
pub struct FormatParams {
    pub partition: i32,
    pub filesystem: Filesystem,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
}

/// `move`: move partition `partition` (and its data) to `new_start_bytes`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"partition": 2, "new_start_bytes": 1048576}))]
pub struct MoveParams {
    pub partition: i32,
    pub new_start_bytes: i64,
}

/// `set_flag`: turn a partition flag on or off.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"partition": 1, "flag": "boot", "value": true}))]
pub struct SetFlagParams {
    pub partition: i32,
    /// A `parted` flag name, e.g. boot, esp, bios_grub, lvm, raid, swap.
    pub flag: String,
    pub value: bool,
}

/// The flags `parted set` knows.
pub const FLAGS: &[&str] = &[
    "boot",
    "root",
    "swap",
    "hidden",
    "raid",
    "lvm",
    "lba",
    "legacy_boot",
    "irst",
    "esp",
    "chromeos_kernel",
    "bls_boot",
    "linux-home",
    "no_automount",
    "msftres",
    "msftdata",
    "diag",
    "prep",
    "palo",
    "hp-service",
    "bios_grub",
    "atvrecv",
];

/// An operation with its parameters; serialised as the API shows it:
/// `{"operation": "resize", "params": {...}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "operation", content = "params", rename_all = "snake_case")]
#[schema(example = json!({"operation": "resize", "params": {"partition": 2, "new_size_bytes": 85899345920_i64}}))]
pub enum OperationSpec {
    Resize(ResizeParams),
    Create(CreateParams),
    Delete(DeleteParams),
    Format(FormatParams),
    Move(MoveParams),
    SetFlag(SetFlagParams),
}

impl OperationSpec {
    /// Reads and checks the `params` of a `kind`; a problem is a 422 naming
    /// `params.<field>`.
    pub fn parse(kind: OperationKind, params: &Value) -> Result<Self, Rejection> {
        match params.as_object() {
            None => return Err(Rejection::invalid("params", "must be a JSON object")),
            Some(map) if map.is_empty() => {
                return Err(Rejection::invalid("params", "params cannot be empty"));
            }
            Some(_) => {}
        }
        let spec = match kind {
            OperationKind::Resize => OperationSpec::Resize(read(params)?),
            OperationKind::Create => OperationSpec::Create(read(params)?),
            OperationKind::Delete => OperationSpec::Delete(read(params)?),
            OperationKind::Format => OperationSpec::Format(read(params)?),
            OperationKind::Move => OperationSpec::Move(read(params)?),
            OperationKind::SetFlag => OperationSpec::SetFlag(read(params)?),
        };
        spec.check()?;
        Ok(spec)
    }

    pub fn kind(&self) -> OperationKind {
        match self {
            OperationSpec::Resize(_) => OperationKind::Resize,
            OperationSpec::Create(_) => OperationKind::Create,
            OperationSpec::Delete(_) => OperationKind::Delete,
            OperationSpec::Format(_) => OperationKind::Format,
            OperationSpec::Move(_) => OperationKind::Move,
            OperationSpec::SetFlag(_) => OperationKind::SetFlag,
        }
    }

    /// The partition the operation works on (`None` for `create`).
    pub fn partition(&self) -> Option<i32> {
        match self {
            OperationSpec::Resize(p) => Some(p.partition),
            OperationSpec::Create(_) => None,
            OperationSpec::Delete(p) => Some(p.partition),
            OperationSpec::Format(p) => Some(p.partition),
            OperationSpec::Move(p) => Some(p.partition),
            OperationSpec::SetFlag(p) => Some(p.partition),
        }
    }

    /// The `params` object alone.
    pub fn params(&self) -> Value {
        serde_json::to_value(self).ok().and_then(|mut v| v.get_mut("params").map(Value::take)).unwrap_or(Value::Null)
    }

    /// One line for people: "resize partition 2 to 80.0 GB".
    pub fn describe(&self) -> String {
        match self {
            OperationSpec::Resize(p) => format!("resize partition {} to {}", p.partition, size_human(p.new_size_bytes)),
            OperationSpec::Create(p) => {
                format!("create a {} {} partition at byte {}", size_human(p.size_bytes), p.part_type, p.start_bytes)
            }
            OperationSpec::Delete(p) => format!("delete partition {}", p.partition),
            OperationSpec::Format(p) => format!("format partition {} as {}", p.partition, p.filesystem.as_str()),
            OperationSpec::Move(p) => format!("move partition {} to byte {}", p.partition, p.new_start_bytes),
            OperationSpec::SetFlag(p) => {
                format!("turn flag {} {} on partition {}", p.flag, if p.value { "on" } else { "off" }, p.partition)
            }
        }
    }

    fn check(&self) -> Result<(), Rejection> {
        if let Some(number) = self.partition().filter(|n| *n < 1) {
            return Err(Rejection::invalid(
                "params.partition",
                format!("{number} is not a partition number (they start at 1)"),
            ));
        }
        match self {
            OperationSpec::Resize(p) => positive("params.new_size_bytes", p.new_size_bytes),
            OperationSpec::Create(p) => {
                not_negative("params.start_bytes", p.start_bytes)?;
                positive("params.size_bytes", p.size_bytes)?;
                check_text("params.type", &p.part_type, 64)?;
                check_label(p.label.as_deref(), p.filesystem)
            }
            OperationSpec::Delete(_) => Ok(()),
            OperationSpec::Format(p) => check_label(p.label.as_deref(), Some(p.filesystem)),
            OperationSpec::Move(p) => not_negative("params.new_start_bytes", p.new_start_bytes),
            OperationSpec::SetFlag(p) if !FLAGS.contains(&p.flag.as_str()) => Err(Rejection::invalid(
                "params.flag",
                format!("'{}' is not a partition flag; expected one of {}", p.flag, FLAGS.join(", ")),
            )),
            OperationSpec::SetFlag(_) => Ok(()),
        }
    }
}

fn positive(field: &str, value: i64) -> Result<(), Rejection> {
    if value <= 0 {
        return Err(Rejection::invalid(field, "must be greater than 0"));
    }
    Ok(())
}

fn not_negative(field: &str, value: i64) -> Result<(), Rejection> {
    if value < 0 {
        return Err(Rejection::invalid(field, "must be at least 0"));
    }
    Ok(())
}

fn check_label(label: Option<&str>, filesystem: Option<Filesystem>) -> Result<(), Rejection> {
    let Some(label) = label else { return Ok(()) };
    let Some(filesystem) = filesystem else {
        return Err(Rejection::invalid("params.label", "a label needs a filesystem"));
    };
    check_text("params.label", label, filesystem.label_max()).map_err(|_| {
        Rejection::invalid(
            "params.label",
            format!("{} labels are 1 to {} characters", filesystem.as_str(), filesystem.label_max()),
        )
    })
}

/// Deserialises params, naming the offending field as `params.<field>`.
fn read<T: DeserializeOwned>(params: &Value) -> Result<T, Rejection> {
    serde_path_to_error::deserialize(params).map_err(|err| {
        let path = err.path().to_string();
        let message = err.into_inner().to_string();
        let quoted = ["missing field `", "unknown field `"]
            .iter()
            .find_map(|prefix| message.strip_prefix(prefix))
            .and_then(|rest| rest.split('`').next());
        let field = match quoted {
            Some(name) => format!("params.{name}"),
            None if path == "." => "params".to_owned(),
            None => format!("params.{path}"),
        };
        Rejection::invalid(&field, message)
    })
}

#[cfg(test)]
#[path = "operation_tests.rs"]
mod tests;
