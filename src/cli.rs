//! The `pureboot` command line.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::config::{CommonConfig, ServeConfig};

#[derive(Debug, Parser)]
#[command(name = "pureboot", version, about = "PureBoot clone controller")]
pub struct Cli {
    #[command(flatten)]
    pub common: CommonConfig,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the controller (HTTP API, WebSocket, projections).
    Serve(ServeConfig),
    /// Apply database migrations and install the projections, then exit.
    Migrate,
    /// Work with the read models.
    Projections {
        #[command(subcommand)]
        command: ProjectionsCommand,
    },
    /// Exit 0 when URL answers 200 (the container health check; no curl needed).
    Healthcheck {
        #[arg(long, default_value = "http://127.0.0.1:8080/api/v1/ready")]
        url: String,
    },
    /// Manage operator API tokens.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Re-seal the keys in the database with a new key-encryption key.
    RotateKek {
        /// The key-encryption key the instances use now.
        #[arg(long)]
        from: PathBuf,
        /// The new one (32 random bytes, mode 600), e.g. `head -c 32 /dev/urandom > new.key`.
        #[arg(long)]
        to: PathBuf,
    },
    /// Load-test a running controller (see BENCHMARKS.md).
    Bench(crate::bench::BenchArgs),
    /// Print the OpenAPI document (as committed in openapi/openapi.json).
    Openapi,
    /// Run a private PostgreSQL cluster for scripts (the test suite uses it).
    EmbeddedDb {
        #[command(subcommand)]
        command: EmbeddedDbCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum ProjectionsCommand {
    /// Drop and rebuild projections from the event log (all when NAME is omitted).
    Rebuild { name: Option<String> },
    /// List projections with their checkpoints.
    Status,
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create a token and print it (the only time it is shown).
    Create {
        #[arg(long)]
        name: String,
        #[arg(long, value_enum)]
        role: crate::auth::OperatorRole,
    },
    /// Revoke the token called NAME.
    Revoke { name: String },
    /// List tokens (names and roles, never the tokens).
    List,
}

#[derive(Debug, Subcommand)]
pub enum EmbeddedDbCommand {
    /// Create (if needed) and start the cluster in DIR; prints its DATABASE_URL.
    Start {
        dir: PathBuf,
        /// Turn durability off (fsync, synchronous commit): for throwaway test clusters.
        #[arg(long)]
        fast: bool,
    },
    /// Stop the cluster in DIR.
    Stop {
        dir: PathBuf,
        /// Also delete the cluster's files (wherever they live) and DIR.
        #[arg(long)]
        remove: bool,
    },
}
