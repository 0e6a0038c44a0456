//! # PureBoot clone controller
//!
//! An event-sourced control plane for copying disks between bare-metal nodes.
//!
//! ```text
//! HTTP command ─▶ api (parse) ─▶ commands (load state, decide) ─▶ domain (pure rules)
//!                                      │
//!                                      ▼ events
//!                        event_store (append, group commit) ─▶ PostgreSQL `events`
//!                                                                   │ NOTIFY / poll
//!                                      projections (fold into query tables, checkpoints)
//!                                                   │                     │
//!                                  api queries ◀── tables          fanout ─▶ WebSocket clients
//! ```
//!
//! # Layout
//! - [`config`] / [`cli`]: settings from flags and the environment.
//! - [`domain`]: aggregates — state, events, `decide` (pure), `apply` (no rules).
//! - [`event_store`]: the append-only log, optimistic concurrency, group commit.
//! - [`commands`]: one module per aggregate, one function per command, all
//!   run by the [`commands::Executor`] (load → decide → append; answered once
//!   committed; the one clock a command reads).
//! - [`projections`]: the runner, checkpoints, rebuilds, and one module per read model.
//! - [`fanout`]: the WebSocket hub and per-client sessions.
//! - [`api`]: HTTP handlers, extractors, envelopes, OpenAPI.
//! - [`auth`]: operator and node tokens, roles, and the caller extractors
//!   (`Auth<Role>`, `SessionAuth<Policy>`, `NodeAuth`).
//! - [`request`]: what every request carries into a command: its id, its
//!   caller's metadata, its path ids.
//! - [`ca`]: the certificate authority and sealed secret storage.
//! - [`db`]: connection pool, migrations, the embedded PostgreSQL cluster.
//! - [`app`]: shared state, start-up order, router, graceful shutdown, and the
//!   wait that gives queries read-your-writes.
//! - [`agent`]: the node agent (`pureboot-agent`): enrolment, clone source and
//!   target over mutual TLS; talks to the controller only over HTTP.
//! - [`bench`]: the load tool (`pureboot bench …`) behind BENCHMARKS.md.
//! - [`error`]: the one API error type and its JSON shape.
//! - [`metrics`]: what `GET /metrics` reports to Prometheus.
//!
//! # Recipes
//! - **A command**: a pure `decide` in `domain/<aggregate>` (state, input,
//!   time → events or a rejection) → one function in
//!   `commands/<aggregate>.rs` that takes the [`commands::Context`]
//!   (`&app.commands()`), runs it through `cx.executor.execute` and returns
//!   a view of the state it left → a thin handler in `api/` (caller
//!   extractor, parse, command, respond).
//! - **A callback**: a handler whose caller is one extractor
//!   (`SessionAuth<Policy>` for a session's node, `NodeAuth` for a node),
//!   authenticated before anything else of the request is read, then a
//!   command as above.
//! - **A projection**: one module under [`projections`] declares
//!   `pub const DEF: ProjectionDef` (name, tables, fold version, fold; SQL in
//!   `projections/`) and folds with the helpers in `projections::fold` (per
//!   event, or set-based for clone-session events); listing `&DEF` in
//!   `projections::all()` gives it a checkpoint, live updates and rebuilds.

pub mod agent;
pub mod api;
pub mod app;
pub mod auth;
pub mod bench;
pub mod ca;
pub mod cli;
pub mod commands;
pub mod config;
pub mod db;
pub mod domain;
pub mod error;
pub mod event_store;
pub mod fanout;
pub mod metrics;
pub mod projections;
pub mod request;
