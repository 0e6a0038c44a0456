use serde_json::json;
use time::OffsetDateTime;
use uuid::Uuid;

use super::*;
use crate::domain::clone_session::{ProgressReported, Role};
use crate::event_store::codec::encode;

/// A fold that records which event (by position) each change came from.
struct Recording;

impl SessionFold for Recording {
    fn changes(&self, event: &RecordedEvent, session: Uuid, decoded: &CloneSessionEvent) -> Vec<Change> {
        let sql = match decoded {
            CloneSessionEvent::Cancelled { .. } => "cancelled",
            CloneSessionEvent::Deleted { .. } => "deleted",
            _ => return Vec::new(),
        };
        // Two changes for a deletion, to check they stay in order.
        let mut changes = vec![Change { sql, row: json!({"id": session, "pos": event.position}) }];
        if sql == "deleted" {
            changes.push(Change { sql: "after_delete", row: json!({"id": session, "pos": event.position}) });
        }
        changes
    }

    fn progress(&self, session: Uuid, merged: &MergedProgress) -> Option<Change> {
        Some(Change { sql: "progress", row: json!({"id": session, "bytes": merged.bytes, "pos": merged.position}) })
    }
}

fn recorded(position: i64, session: Uuid, event: &CloneSessionEvent) -> RecordedEvent {
    RecordedEvent::fixture(position, Category::CloneSession.stream(session), encode(event).expect("encodes"))
}

fn progress(bytes: i64, rate: Option<i64>) -> CloneSessionEvent {
    CloneSessionEvent::ProgressReported(ProgressReported {
        role: Role::Target,
        reported_bytes: bytes,
        bytes_transferred: bytes,
        bytes_total: None,
        transfer_rate_bps: rate,
        status: None,
        bytes_on_wire: None,
    })
}

fn cancelled() -> CloneSessionEvent {
    CloneSessionEvent::Cancelled { at: OffsetDateTime::UNIX_EPOCH }
}

fn deleted() -> CloneSessionEvent {
    CloneSessionEvent::Deleted { at: OffsetDateTime::UNIX_EPOCH }
}

/// (statement, row count) per level.
fn shape(levels: &[Level]) -> Vec<Vec<(&'static str, usize)>> {
    levels.iter().map(|level| level.iter().map(|(sql, rows)| (*sql, rows.len())).collect()).collect()
}

#[test]
fn the_same_change_of_many_sessions_is_one_statement() {
    let events: Vec<_> = (0..100).map(|i| recorded(i + 1, Uuid::new_v4(), &cancelled())).collect();
    let levels = levels(&events, &Recording).expect("folds");
    assert_eq!(shape(&levels), vec![vec![("cancelled", 100)]]);
}

#[test]
fn consecutive_progress_reports_of_a_session_become_one_change_with_the_latest_values() {
    let id = Uuid::new_v4();
    let events = vec![
        recorded(1, id, &progress(10, Some(5))),
        recorded(2, id, &progress(20, None)),
        recorded(3, id, &progress(30, None)),
    ];
    let levels = levels(&events, &Recording).expect("folds");
    assert_eq!(shape(&levels), vec![vec![("progress", 1)]]);
    assert_eq!(levels[0][0].1[0], json!({"id": id, "bytes": 30, "pos": 3}));
}

#[test]
fn a_sessions_changes_keep_their_order_across_levels() {
    let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
    let events = vec![
        recorded(1, a, &progress(10, None)),
        recorded(2, b, &cancelled()),
        recorded(3, a, &cancelled()),
        recorded(4, a, &progress(20, None)),
        recorded(5, b, &deleted()),
        recorded(6, a, &deleted()),
    ];
    let levels = levels(&events, &Recording).expect("folds");
    // a: progress(1), cancelled(3), progress(4), deleted(6), after_delete(6)
    // b: cancelled(2), deleted(5), after_delete(5)
    assert_eq!(
        shape(&levels),
        vec![
            vec![("progress", 1), ("cancelled", 1)],
            vec![("cancelled", 1), ("deleted", 1)],
            vec![("progress", 1), ("after_delete", 1)],
            vec![("deleted", 1)],
            vec![("after_delete", 1)],
        ]
    );
    let positions_of_a: Vec<i64> = levels
        .iter()
        .flat_map(|level| level.iter().flat_map(|(_, rows)| rows.iter()))
        .filter(|row| row["id"] == json!(a))
        .map(|row| row["pos"].as_i64().expect("pos"))
        .collect();
    assert_eq!(positions_of_a, vec![1, 3, 4, 6, 6]);
}

#[test]
fn events_of_other_streams_are_ignored() {
    let mut event = recorded(1, Uuid::new_v4(), &cancelled());
    event.stream = Category::Node.stream(Uuid::new_v4());
    assert!(levels(&[event], &Recording).expect("folds").is_empty());
}

#[test]
fn a_malformed_session_id_stops_the_fold_instead_of_folding_into_the_nil_uuid() {
    let mut event = recorded(7, Uuid::new_v4(), &cancelled());
    event.stream = "clone_session:not-a-uuid".into();
    let refused = levels(&[event], &Recording).expect_err("refused");
    assert!(matches!(refused, ProjectionError::StreamId { position: 7, .. }), "{refused}");
}

#[test]
fn timestamps_keep_their_sub_second_part() {
    let at = OffsetDateTime::UNIX_EPOCH + time::Duration::microseconds(1_500_123);
    assert_eq!(ts(&at), json!("1970-01-01T00:00:01.500123Z"));
}
