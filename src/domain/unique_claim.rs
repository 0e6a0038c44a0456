//! Uniqueness across aggregates (a node's MAC, a backend's name) without a
//! read-model race: the value itself is a stream. Claiming it appends to that
//! stream with its expected version, atomically with the owner's own events,
//! so two concurrent claims cannot both commit.

use serde::{Deserialize, Serialize};

use super::Rejection;
use crate::event_store::{Aggregate, Category, DomainEvent};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
pub enum ClaimEvent {
    #[serde(rename = "unique.claimed")]
    Claimed { owner: String },
    #[serde(rename = "unique.released")]
    Released { owner: String },
}

impl DomainEvent for ClaimEvent {}

/// Who holds a unique value, if anyone.
#[derive(Debug, Clone, Default)]
pub struct UniqueClaim {
    pub owner: Option<String>,
}

impl Aggregate for UniqueClaim {
    type Event = ClaimEvent;
    const CATEGORY: Category = Category::Unique;

    fn apply(&mut self, event: &ClaimEvent) {
        self.owner = match event {
            ClaimEvent::Claimed { owner } => Some(owner.clone()),
            ClaimEvent::Released { .. } => None,
        };
    }
}

/// A change a command wants to make to a unique value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimChange {
    /// `scope/value`, e.g. `mac/52:54:00:12:34:56`.
    pub key: String,
    pub owner: String,
    pub action: ClaimAction,
    /// The field to blame when the value is taken (the 409 names it).
    pub field: &'static str,
    /// What owners are (`node`, `clone session`), so the 409 can name the
    /// holder: "… is already in use by clone session <id>".
    pub owner_kind: &'static str,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClaimAction {
    Claim,
    Release,
}

impl ClaimChange {
    pub fn stream(&self) -> String {
        UniqueClaim::stream(&self.key)
    }
}

/// Decides a claim change against the value's current holder.
pub fn decide(state: &UniqueClaim, change: &ClaimChange) -> Result<Vec<ClaimEvent>, Rejection> {
    let owner = change.owner.clone();
    match (change.action, &state.owner) {
        (ClaimAction::Claim, Some(holder)) if *holder == owner => Ok(vec![]),
        (ClaimAction::Claim, Some(holder)) => Err(Rejection::Conflict(format!(
            "{} is already in use by {} {holder}",
            change.key.replacen('/', " ", 1),
            change.owner_kind
        ))),
        (ClaimAction::Claim, None) => Ok(vec![ClaimEvent::Claimed { owner }]),
        (ClaimAction::Release, Some(holder)) if *holder == owner => Ok(vec![ClaimEvent::Released { owner }]),
        (ClaimAction::Release, _) => Ok(vec![]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(action: ClaimAction, owner: &str) -> ClaimChange {
        ClaimChange { key: "mac/aa".into(), owner: owner.into(), action, field: "mac_address", owner_kind: "node" }
    }

    #[test]
    fn a_free_value_can_be_claimed() {
        let events = decide(&UniqueClaim::default(), &change(ClaimAction::Claim, "n1")).expect("free");
        assert_eq!(events, vec![ClaimEvent::Claimed { owner: "n1".into() }]);
    }

    #[test]
    fn a_held_value_is_refused_to_others_and_idempotent_for_its_holder() {
        let held = UniqueClaim { owner: Some("n1".into()) };
        assert_eq!(
            decide(&held, &change(ClaimAction::Claim, "n2")),
            Err(Rejection::Conflict("mac aa is already in use by node n1".into()))
        );
        assert_eq!(decide(&held, &change(ClaimAction::Claim, "n1")), Ok(vec![]));
    }

    #[test]
    fn only_the_holder_releases() {
        let held = UniqueClaim { owner: Some("n1".into()) };
        assert_eq!(decide(&held, &change(ClaimAction::Release, "n2")), Ok(vec![]));
        assert_eq!(
            decide(&held, &change(ClaimAction::Release, "n1")),
            Ok(vec![ClaimEvent::Released { owner: "n1".into() }])
        );
    }
}
