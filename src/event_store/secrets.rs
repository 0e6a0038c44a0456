//! Writing the secret operations of an append batch: runs of the same kind of
//! operation become one statement (a batch of session creations is one
//! insert, not six per session), and the order of the runs is kept. The
//! statements are prepared first, then sent together: a batch mixing
//! creations and deletions is one round trip, not one per run.

use std::collections::HashMap;

use tokio_postgres::types::ToSql;
use tokio_postgres::{Error, GenericClient, Statement};

use crate::db::Db;

use super::SecretOp;

/// Applies `ops` in order, one statement per run of the same kind (a rename
/// is a statement of its own), all sent in one round trip.
pub async fn apply(tx: &impl Db, ops: &[&SecretOp]) -> Result<(), Error> {
    prepare(tx, ops).await?.execute(tx.client()).await
}

/// The statements of `ops`, prepared on `tx`'s connection.
pub async fn prepare<'a>(tx: &impl Db, ops: &[&'a SecretOp]) -> Result<Prepared<'a>, Error> {
    let runs: Vec<Run<'a>> =
        ops.chunk_by(|a, b| std::mem::discriminant(*a) == std::mem::discriminant(*b)).flat_map(Run::of).collect();
    let mut statements = Vec::with_capacity(runs.len());
    for run in &runs {
        statements.push(tx.prepared(run.sql()).await?);
    }
    Ok(Prepared { runs, statements })
}

/// Secret statements ready to run.
pub struct Prepared<'a> {
    runs: Vec<Run<'a>>,
    statements: Vec<Statement>,
}

impl Prepared<'_> {
    /// Runs every statement, in order: all are queued on the first poll, so
    /// a statement polled after this one (a pipelined `COMMIT`) runs after them.
    pub async fn execute(&self, client: &impl GenericClient) -> Result<(), Error> {
        let params: Vec<Vec<&(dyn ToSql + Sync)>> = self.runs.iter().map(Run::params).collect();
        let executions =
            self.statements.iter().zip(&params).map(|(statement, params)| client.execute(statement, params));
        futures::future::try_join_all(executions).await.map(drop)
    }
}

/// One statement's operations, as its column arrays.
enum Run<'a> {
    Put { owners: Vec<&'a str>, kinds: Vec<&'a str>, values: Vec<&'a [u8]> },
    Delete { owners: Vec<&'a str>, kinds: Vec<&'a str> },
    DeleteOwners { owners: Vec<&'a str> },
    Rename { owner: &'a str, kind: &'a str, to: &'a str },
}

impl<'a> Run<'a> {
    /// The statements of `ops`, operations of one kind.
    fn of(ops: &[&'a SecretOp]) -> Vec<Self> {
        match ops[0] {
            SecretOp::Put { .. } => vec![Self::put(ops)],
            SecretOp::Delete { .. } => {
                let (owners, kinds) = ops
                    .iter()
                    .filter_map(|op| match op {
                        SecretOp::Delete { owner, kind } => Some((owner.as_str(), kind.as_str())),
                        _ => None,
                    })
                    .unzip();
                vec![Self::Delete { owners, kinds }]
            }
            SecretOp::DeleteOwner { .. } => {
                let owners = ops
                    .iter()
                    .filter_map(|op| match op {
                        SecretOp::DeleteOwner { owner } => Some(owner.as_str()),
                        _ => None,
                    })
                    .collect();
                vec![Self::DeleteOwners { owners }]
            }
            SecretOp::Rename { .. } => ops
                .iter()
                .filter_map(|op| match op {
                    SecretOp::Rename { owner, kind, to } => Some(Self::Rename { owner, kind, to }),
                    _ => None,
                })
                .collect(),
        }
    }

    /// One INSERT may not touch a row twice: the last put of a key wins, as
    /// it would have one statement at a time.
    fn put(ops: &[&'a SecretOp]) -> Self {
        let mut latest: HashMap<(&str, &str), &[u8]> = HashMap::new();
        let mut order = Vec::new();
        for op in ops {
            if let SecretOp::Put { owner, kind, value } = op
                && latest.insert((owner, kind), value).is_none()
            {
                order.push((owner.as_str(), kind.as_str()));
            }
        }
        let values = order.iter().map(|key| latest[key]).collect();
        let (owners, kinds) = order.into_iter().unzip();
        Self::Put { owners, kinds, values }
    }

    fn sql(&self) -> &'static str {
        match self {
            Self::Put { .. } => {
                "INSERT INTO secrets (owner, kind, value) SELECT * FROM unnest($1::text[], $2::text[], $3::bytea[])
                 ON CONFLICT (owner, kind) DO UPDATE SET value = EXCLUDED.value, created_at = now()"
            }
            Self::Delete { .. } => {
                "DELETE FROM secrets s USING unnest($1::text[], $2::text[]) AS d(owner, kind)
                 WHERE s.owner = d.owner AND s.kind = d.kind"
            }
            Self::DeleteOwners { .. } => "DELETE FROM secrets WHERE owner = ANY($1)",
            Self::Rename { .. } => "UPDATE secrets SET kind = $3 WHERE owner = $1 AND kind = $2",
        }
    }

    fn params(&self) -> Vec<&(dyn ToSql + Sync)> {
        match self {
            Self::Put { owners, kinds, values } => vec![owners, kinds, values],
            Self::Delete { owners, kinds } => vec![owners, kinds],
            Self::DeleteOwners { owners } => vec![owners],
            Self::Rename { owner, kind, to } => vec![owner, kind, to],
        }
    }
}
