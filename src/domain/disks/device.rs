//! Block device paths as the API and the nodes name them.

use serde::{Deserialize, Serialize};

use crate::domain::Rejection;

/// A device path such as `/dev/sda`, `/dev/nvme0n1` or `/dev/disk/by-id/…`.
///
/// The URL form `%2Fdev%2Fsda` (axum decodes it) and the short form `sda`
/// both name `/dev/sda`. Only `/dev/` paths of ordinary characters are
/// accepted, without `.` or `..` segments, so a device can never name a file
/// elsewhere; the limit of 50 characters is the spec's column width.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Device(String);

impl Device {
    pub const MAX_LEN: usize = 50;

    pub fn parse(input: &str) -> Result<Self, Rejection> {
        Self::parse_field("device", input)
    }

    /// [`Device::parse`] for a request field of another name (a session's
    /// `source_device`, `target_device`): every field that names a device is
    /// held to the same rule, so no path outside `/dev/` or shell syntax
    /// (`;`, `$(…)`, backticks) ever reaches a node.
    pub fn parse_field(field: &str, input: &str) -> Result<Self, Rejection> {
        let path = if input.starts_with('/') { input.to_owned() } else { format!("/dev/{input}") };
        let name_ok = path.strip_prefix("/dev/").is_some_and(|name| {
            name.split('/').all(|segment| !matches!(segment, "" | "." | ".."))
                && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '/' | '-'))
        });
        if !name_ok || path.len() > Self::MAX_LEN {
            return Err(Rejection::invalid(
                field,
                format!("'{input}' is not a device path such as /dev/sda (at most {} characters)", Self::MAX_LEN),
            ));
        }
        Ok(Self(path))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Device {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::Device;

    #[test]
    fn short_and_full_forms_name_the_same_device() {
        for input in ["sda", "/dev/sda"] {
            assert_eq!(Device::parse(input).expect(input).as_str(), "/dev/sda");
        }
        assert_eq!(Device::parse("/dev/disk/by-id/ata-X_1.0").expect("by-id").as_str(), "/dev/disk/by-id/ata-X_1.0");
    }

    #[test]
    fn paths_outside_dev_or_with_odd_characters_are_refused() {
        for input in [
            "",
            "/etc/passwd",
            "/dev/",
            "/dev/../etc/passwd",
            "/dev//sda",
            "/dev/sd a",
            "/dev/sda;rm",
            &format!("/dev/{}", "x".repeat(50)),
        ] {
            assert!(Device::parse(input).is_err(), "{input:?} should be refused");
        }
    }
}
