//! Nodes: the bare-metal machines that clone to and from each other.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;
use uuid::Uuid;

use super::record::Record;
use super::unique_claim::{ClaimAction, ClaimChange};
use super::{Rejection, check_text};
use crate::event_store::{Aggregate, Category, DomainEvent};

/// Lifecycle state of a node as PureBoot tracks it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema, Default)]
#[serde(rename_all = "snake_case")]
pub enum NodeState {
    #[default]
    Discovered,
    Pending,
    Installing,
    Installed,
    Active,
    Retired,
}

/// A MAC address in canonical form: six lower-case hex pairs joined by `:`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MacAddress(String);

impl MacAddress {
    /// Accepts `aa:bb:cc:dd:ee:ff`, `AA-BB-CC-DD-EE-FF` and `aabb.ccdd.eeff`.
    pub fn parse(input: &str) -> Result<Self, Rejection> {
        let hex: String = input.chars().filter(|c| !matches!(c, ':' | '-' | '.')).collect();
        let separators_ok = input.len() == 12 || input.len() == 14 || input.len() == 17;
        if hex.len() != 12 || !separators_ok || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(Rejection::invalid("mac_address", format!("'{input}' is not a MAC address")));
        }
        let lower = hex.to_ascii_lowercase();
        let pairs: Vec<&str> = (0..6).map(|i| &lower[2 * i..2 * i + 2]).collect();
        Ok(Self(pairs.join(":")))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    fn claim(&self, node: Uuid, action: ClaimAction) -> ClaimChange {
        ClaimChange {
            key: format!("mac/{}", self.0),
            owner: node.to_string(),
            action,
            field: "mac_address",
            owner_kind: "node",
        }
    }
}

/// The editable description of a node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeDetails {
    pub mac_address: MacAddress,
    pub hostname: String,
    pub ip_address: Option<String>,
    pub arch: String,
    pub state: NodeState,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
pub enum NodeEvent {
    #[serde(rename = "node.registered")]
    Registered {
        id: Uuid,
        #[serde(flatten)]
        details: NodeDetails,
        #[serde(with = "time::serde::rfc3339")]
        at: OffsetDateTime,
    },
    #[serde(rename = "node.updated")]
    Updated {
        #[serde(flatten)]
        details: NodeDetails,
        #[serde(with = "time::serde::rfc3339")]
        at: OffsetDateTime,
    },
    #[serde(rename = "node.deleted")]
    Deleted {
        #[serde(with = "time::serde::rfc3339")]
        at: OffsetDateTime,
    },
}

impl DomainEvent for NodeEvent {}

/// A node's folded state.
pub type Node = Record<NodeDetails>;

impl Aggregate for Node {
    type Event = NodeEvent;
    const CATEGORY: Category = Category::Node;

    fn apply(&mut self, event: &NodeEvent) {
        match event {
            NodeEvent::Registered { id, details, at } => self.created(*id, details, *at),
            NodeEvent::Updated { details, at } => self.updated(details, *at),
            NodeEvent::Deleted { .. } => self.deleted(),
        }
    }
}

const NOT_FOUND: &str = "Node not found";

/// Events plus the unique-value changes they need.
pub type Decided = (Vec<NodeEvent>, Vec<ClaimChange>);

fn check_details(details: &NodeDetails) -> Result<(), Rejection> {
    check_text("hostname", &details.hostname, 255)?;
    check_text("arch", &details.arch, 32)?;
    if let Some(ip) = &details.ip_address {
        ip.parse::<std::net::IpAddr>()
            .map_err(|_| Rejection::invalid("ip_address", format!("'{ip}' is not an IP address")))?;
    }
    Ok(())
}

pub fn register(state: &Node, id: Uuid, details: NodeDetails, now: OffsetDateTime) -> Result<Decided, Rejection> {
    if state.id.is_some() {
        return Err(Rejection::Conflict(format!("node {id} already exists")));
    }
    check_details(&details)?;
    let claim = details.mac_address.claim(id, ClaimAction::Claim);
    Ok((vec![NodeEvent::Registered { id, details, at: now }], vec![claim]))
}

/// What a PATCH changes: a field left `None` keeps its value
/// (`ip_address: Some(None)` clears the address).
#[derive(Debug, Clone, Default)]
pub struct NodePatch {
    pub mac_address: Option<MacAddress>,
    pub hostname: Option<String>,
    pub ip_address: Option<Option<String>>,
    pub arch: Option<String>,
    pub state: Option<NodeState>,
}

/// Applies `patch` to the node's details; a patch that changes nothing
/// writes nothing.
pub fn update(state: &Node, patch: NodePatch, now: OffsetDateTime) -> Result<Decided, Rejection> {
    let (id, current) = state.existing(NOT_FOUND)?;
    let details = NodeDetails {
        mac_address: patch.mac_address.unwrap_or_else(|| current.mac_address.clone()),
        hostname: patch.hostname.unwrap_or_else(|| current.hostname.clone()),
        ip_address: patch.ip_address.unwrap_or_else(|| current.ip_address.clone()),
        arch: patch.arch.unwrap_or_else(|| current.arch.clone()),
        state: patch.state.unwrap_or(current.state),
    };
    check_details(&details)?;
    if *current == details {
        return Ok((vec![], vec![]));
    }
    let mut claims = Vec::new();
    if current.mac_address != details.mac_address {
        claims.push(current.mac_address.claim(id, ClaimAction::Release));
        claims.push(details.mac_address.claim(id, ClaimAction::Claim));
    }
    Ok((vec![NodeEvent::Updated { details, at: now }], claims))
}

pub fn delete(state: &Node, now: OffsetDateTime) -> Result<Decided, Rejection> {
    let (id, current) = state.existing(NOT_FOUND)?;
    let release = current.mac_address.claim(id, ClaimAction::Release);
    Ok((vec![NodeEvent::Deleted { at: now }], vec![release]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn details(mac: &str) -> NodeDetails {
        NodeDetails {
            mac_address: MacAddress::parse(mac).expect("valid mac"),
            hostname: "node-1".into(),
            ip_address: Some("10.0.0.5".into()),
            arch: "x86_64".into(),
            state: NodeState::Discovered,
        }
    }

    #[test]
    fn mac_addresses_are_canonicalised() {
        assert_eq!(MacAddress::parse("AA-BB-CC-DD-EE-0F").expect("dashes").as_str(), "aa:bb:cc:dd:ee:0f");
        assert_eq!(MacAddress::parse("aabb.ccdd.ee0f").expect("dots").as_str(), "aa:bb:cc:dd:ee:0f");
        assert!(MacAddress::parse("aa:bb:cc:dd:ee").is_err());
        assert!(MacAddress::parse("zz:bb:cc:dd:ee:ff").is_err());
    }

    #[test]
    fn registering_claims_the_mac() {
        let id = Uuid::new_v4();
        let (events, claims) =
            register(&Node::default(), id, details("aa:bb:cc:dd:ee:ff"), OffsetDateTime::UNIX_EPOCH).expect("ok");
        assert_eq!(events.len(), 1);
        assert_eq!(claims[0].key, "mac/aa:bb:cc:dd:ee:ff");
        assert_eq!(claims[0].action, ClaimAction::Claim);
    }

    #[test]
    fn changing_the_mac_moves_the_claim_and_a_no_op_update_writes_nothing() {
        let id = Uuid::new_v4();
        let mut node = Node::default();
        node.apply(&NodeEvent::Registered {
            id,
            details: details("aa:bb:cc:dd:ee:ff"),
            at: OffsetDateTime::UNIX_EPOCH,
        });
        let same = NodePatch { hostname: Some("node-1".into()), ..NodePatch::default() };
        assert_eq!(update(&node, same, OffsetDateTime::UNIX_EPOCH), Ok((vec![], vec![])));
        let moved = NodePatch {
            mac_address: Some(MacAddress::parse("11:bb:cc:dd:ee:ff").expect("mac")),
            ..NodePatch::default()
        };
        let (_, claims) = update(&node, moved, OffsetDateTime::UNIX_EPOCH).expect("ok");
        assert_eq!(claims.iter().map(|c| c.action).collect::<Vec<_>>(), [ClaimAction::Release, ClaimAction::Claim]);
    }

    #[test]
    fn a_bad_ip_is_named() {
        let mut d = details("aa:bb:cc:dd:ee:ff");
        d.ip_address = Some("10.0.0.300".into());
        let err = register(&Node::default(), Uuid::new_v4(), d, OffsetDateTime::UNIX_EPOCH).expect_err("refused");
        assert!(matches!(err, Rejection::Invalid { field, .. } if field == "ip_address"));
    }

    #[test]
    fn deleted_nodes_are_not_found() {
        let mut node = Node::default();
        node.apply(&NodeEvent::Registered {
            id: Uuid::new_v4(),
            details: details("aa:bb:cc:dd:ee:ff"),
            at: OffsetDateTime::UNIX_EPOCH,
        });
        node.apply(&NodeEvent::Deleted { at: OffsetDateTime::UNIX_EPOCH });
        assert!(matches!(delete(&node, OffsetDateTime::UNIX_EPOCH), Err(Rejection::NotFound(_))));
    }
}
