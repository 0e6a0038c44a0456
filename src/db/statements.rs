//! Statements through the connection's prepared-statement cache.
//!
//! `tokio_postgres` prepares an SQL string afresh on every call: a round trip
//! to parse and describe it, then another to run it, and PostgreSQL plans it
//! each time. Pooled connections keep what they prepared
//! (`prepare_cached`), so every later call is one round trip and no parse —
//! most of the write path's PostgreSQL time under load went into parsing and
//! planning. Plain clients (tests, tools) prepare each time, as before.
//!
//! Only fixed SQL text may go through here: the cache is keyed by the text
//! and never shrinks, so SQL must never embed values.

use std::future::Future;

use tokio_postgres::types::ToSql;
use tokio_postgres::{Error, GenericClient, Row, Statement};

pub type Params<'a> = &'a [&'a (dyn ToSql + Sync)];

/// A connection or transaction to run statements on.
pub trait Db: Sync {
    type Client: GenericClient + Sync;
    fn client(&self) -> &Self::Client;
    fn prepared(&self, sql: &str) -> impl Future<Output = Result<Statement, Error>> + Send;

    fn query(&self, sql: &str, params: Params<'_>) -> impl Future<Output = Result<Vec<Row>, Error>> + Send {
        async move { self.client().query(&self.prepared(sql).await?, params).await }
    }
    fn query_one(&self, sql: &str, params: Params<'_>) -> impl Future<Output = Result<Row, Error>> + Send {
        async move { self.client().query_one(&self.prepared(sql).await?, params).await }
    }
    fn query_opt(&self, sql: &str, params: Params<'_>) -> impl Future<Output = Result<Option<Row>, Error>> + Send {
        async move { self.client().query_opt(&self.prepared(sql).await?, params).await }
    }
    fn execute(&self, sql: &str, params: Params<'_>) -> impl Future<Output = Result<u64, Error>> + Send {
        async move { self.client().execute(&self.prepared(sql).await?, params).await }
    }
}

impl Db for deadpool_postgres::ClientWrapper {
    type Client = tokio_postgres::Client;
    fn client(&self) -> &Self::Client {
        self
    }
    fn prepared(&self, sql: &str) -> impl Future<Output = Result<Statement, Error>> + Send {
        self.prepare_cached(sql)
    }
}

impl<'t> Db for deadpool_postgres::Transaction<'t> {
    type Client = tokio_postgres::Transaction<'t>;
    fn client(&self) -> &Self::Client {
        self
    }
    fn prepared(&self, sql: &str) -> impl Future<Output = Result<Statement, Error>> + Send {
        self.prepare_cached(sql)
    }
}

impl Db for tokio_postgres::Client {
    type Client = Self;
    fn client(&self) -> &Self {
        self
    }
    fn prepared(&self, sql: &str) -> impl Future<Output = Result<Statement, Error>> + Send {
        self.prepare(sql)
    }
}

impl<'t> Db for tokio_postgres::Transaction<'t> {
    type Client = Self;
    fn client(&self) -> &Self {
        self
    }
    fn prepared(&self, sql: &str) -> impl Future<Output = Result<Statement, Error>> + Send {
        self.prepare(sql)
    }
}
