//! The session the domain tests start from, built in one place.

use uuid::Uuid;

use super::{CloneMode, ResizeMode, SessionSpec};

/// A direct clone named `lab`: node 1's `/dev/sda` onto node 2's `/dev/sdb`, no resize.
pub fn direct_spec() -> SessionSpec {
    SessionSpec {
        name: Some("lab".into()),
        clone_mode: CloneMode::Direct,
        source_node_id: Uuid::from_u128(1),
        target_node_id: Some(Uuid::from_u128(2)),
        source_device: "/dev/sda".into(),
        target_device: "/dev/sdb".into(),
        staging_backend_id: None,
        resize_mode: ResizeMode::None,
    }
}
