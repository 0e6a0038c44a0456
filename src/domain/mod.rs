//! The domain: aggregates as pure functions. Each aggregate has a state that
//! folds its events (`apply`, no rules) and `decide` functions that take the
//! state plus a command (and the time, ids and certificate facts as inputs)
//! and return the events to append, or a [`Rejection`]. Nothing here touches
//! the database, the clock or the network, so every rule is unit-tested.

pub mod backend_config;
pub mod clone_session;
pub mod disks;
pub mod image;
pub mod node;
pub mod record;
pub mod storage_backend;
pub mod storage_lease;
pub mod unique_claim;

/// Why the domain refused a command. Each variant maps to one HTTP status.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Rejection {
    /// The aggregate does not exist (or was deleted): 404.
    #[error("{0}")]
    NotFound(String),
    /// A field of the command is invalid: 422, naming the field.
    #[error("{field}: {message}")]
    Invalid { field: String, message: String },
    /// The command is not allowed on this aggregate as it is: 400
    /// (kept for the spec's "Cannot update session in … status").
    #[error("{0}")]
    NotAllowed(String),
    /// The command contradicts the aggregate's current state: 409.
    #[error("{0}")]
    Conflict(String),
}

impl Rejection {
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        Rejection::Invalid { field: field.to_owned(), message: message.into() }
    }
}

/// Checks a required, bounded free-text field.
pub fn check_text(field: &str, value: &str, max: usize) -> Result<(), Rejection> {
    if value.trim().is_empty() {
        return Err(Rejection::invalid(field, "must not be empty"));
    }
    if value.chars().count() > max {
        return Err(Rejection::invalid(field, format!("must be at most {max} characters")));
    }
    Ok(())
}
