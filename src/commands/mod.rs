//! Commands: every change to the system, one function each, grouped by the
//! aggregate it decides on (`clone_sessions`, `disks`, `nodes`,
//! `storage_backends`).
//!
//! # Adding a command
//! 1. The rule goes in the domain: a pure `decide` function of the
//!    aggregate's state, the command's input and the time
//!    (`fn(&State, …, OffsetDateTime) -> Result<Vec<Event>, Rejection>`).
//! 2. One `pub async fn` in `commands/<aggregate>.rs` taking the cx, the
//!    caller's [`Metadata`](crate::event_store::Metadata) and typed input:
//!    it prepares what must not happen inside the transaction (signing,
//!    sealing, new ids), calls [`Executor::execute`] with the decision, and
//!    returns a view built from the state the command left (never read back
//!    from the query tables, where a later change may already show).
//! 3. A thin handler in `api/`: caller extractor, parse, the command, respond.
//!
//! [`Executor::execute`] loads the aggregate, gives `decide` the time (the
//! only clock a command reads), and appends; decisions re-run on every
//! attempt, so a command that lost an optimistic-concurrency race is simply
//! decided again on the fresh state. A command is answered once its events
//! are committed; queries wait for the projections (see `app::consistency`).

pub mod clone_sessions;
pub mod disks;
mod executor;
pub mod images;
pub mod nodes;
pub mod storage_backends;
mod stream_locks;

pub use executor::{Cached, Decision, Executed, Executor};
use stream_locks::StreamLocks;

use crate::auth::node_tokens::SessionTokenCache;
use crate::ca::{CertificateAuthority, SecretBox};

/// What a command may use of the running controller, lent by
/// `App::commands`: the executor and the keys a command signs or seals
/// with. Commands see nothing else of the app, so `commands` does not
/// depend on `app` (which owns the [`Executor`]).
#[derive(Clone, Copy)]
pub struct Context<'a> {
    pub executor: &'a Executor,
    /// `None` when the CA is disabled.
    pub ca: Option<&'a CertificateAuthority>,
    /// Seals the private keys and credentials a command stores.
    pub secrets: &'a SecretBox,
    /// Verified session tokens; a command that retires a token forgets it here.
    pub session_tokens: &'a SessionTokenCache,
}
