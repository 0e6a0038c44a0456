//! Log-position cursors a client hands back: `?from=` on the WebSocket and
//! `?after=` and `?before=` on `/events` (and any future one goes through here).
//!
//! A cursor is a position the server gave out, so it lies between 0 and the
//! log's head. One beyond the head cannot have come from this log (a typo, a
//! restored database, another installation); accepting it would silently
//! skip every event written between the real head and the cursor, so it is
//! refused with 422 naming the parameter.
//!
//! No race: the head is read from the log itself, after the request arrived.
//! Every position a client can hold was committed before it sent the
//! request, and appends are serialised, so the head read now is at least that
//! position. The hub's published position or a projection checkpoint would
//! not do: they trail the log, and a client may hold a position from
//! `/events` or from another instance.

use crate::db::Db;
use crate::error::ApiError;
use crate::event_store::read::head;

/// Refuses a negative cursor (before reading anything).
pub fn not_negative(param: &str, cursor: i64) -> Result<i64, ApiError> {
    if cursor < 0 {
        return Err(ApiError::invalid(param, "must be at least 0"));
    }
    Ok(cursor)
}

/// Refuses a cursor beyond the log's head; the head itself is fine.
pub async fn within_log(conn: &impl Db, param: &str, cursor: i64) -> Result<(), ApiError> {
    if cursor == 0 {
        return Ok(());
    }
    let head = head(conn).await?;
    if cursor > head {
        return Err(ApiError::invalid(
            param,
            format!("position {cursor} is past the log's head ({head}); resume from a position this server gave out"),
        ));
    }
    Ok(())
}
