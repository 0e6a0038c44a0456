//! `/nodes/{id}/disks…` and `/nodes/{id}/partition-operations…`: a node's
//! disks as it last reported them, and the partition operations queued on
//! them, handed to the node, and reported back by it.

pub mod node_operations;
pub mod operations;
pub mod paths;
pub mod scans;
pub mod schemas;
