//! Who may do what.
//!
//! - **Operators** present `Authorization: Bearer pbo_…` tokens with a role:
//!   `viewer` (read), `operator` (clone sessions and disks), `admin`
//!   (everything). Tokens are made with `pureboot token create` and stored
//!   only as SHA-256 hashes.
//! - **Nodes** present tokens bound to one clone session and one role
//!   (`pbn_…`, returned once when the session is created), or to one node
//!   (`pbk_…`, returned when the node is registered). They die with the
//!   session / can be rotated.
//!
//! Every token embeds the id it belongs to, so verification is one lookup by
//! id followed by a constant-time comparison of hashes.

mod extract;
pub mod failures;
pub mod node_tokens;
pub mod operator_tokens;
pub mod refused;

pub use extract::{
    Admin, Auth, Callback, Keys, NodeAuth, Operator, SessionAuth, SessionPolicy, Settle, Viewer, Watch, authenticate,
    bearer, require,
};

use ring::digest::{SHA256, digest};
use ring::rand::{SecureRandom, SystemRandom};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// What an operator token allows, in increasing order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, ToSchema, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum OperatorRole {
    Viewer,
    Operator,
    Admin,
}

impl OperatorRole {
    pub fn as_str(self) -> &'static str {
        match self {
            OperatorRole::Viewer => "viewer",
            OperatorRole::Operator => "operator",
            OperatorRole::Admin => "admin",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "viewer" => Some(OperatorRole::Viewer),
            "operator" => Some(OperatorRole::Operator),
            "admin" => Some(OperatorRole::Admin),
            _ => None,
        }
    }
}

/// An authenticated operator.
#[derive(Debug, Clone)]
pub struct OperatorIdentity {
    pub name: String,
    pub role: OperatorRole,
}

/// A new random secret: 32 bytes, hex.
pub fn random_secret() -> String {
    let mut bytes = [0u8; 32];
    SystemRandom::new().fill(&mut bytes).expect("the system RNG works");
    crate::ca::hex(&bytes)
}

pub fn hash(token: &str) -> Vec<u8> {
    digest(&SHA256, token.as_bytes()).as_ref().to_vec()
}

/// Compares two hashes without an early exit, so timing reveals nothing.
pub fn same_hash(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_compare_only_when_equal() {
        assert!(same_hash(&hash("a"), &hash("a")));
        assert!(!same_hash(&hash("a"), &hash("b")));
        assert!(!same_hash(&hash("a"), &hash("a")[..31]));
    }

    #[test]
    fn roles_are_ordered_by_power() {
        assert!(OperatorRole::Admin > OperatorRole::Operator && OperatorRole::Operator > OperatorRole::Viewer);
    }
}
