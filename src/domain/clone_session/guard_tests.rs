//! Given a session / when its events / then the claim changes; and the size rule.

use time::OffsetDateTime;
use uuid::Uuid;

use super::*;
use crate::domain::clone_session::fixtures::direct_spec;
use crate::domain::clone_session::{SessionCreated, SessionUpdated};
use crate::event_store::Aggregate;

const GIB: i64 = 1 << 30;

fn spec(resize_mode: ResizeMode) -> SessionSpec {
    SessionSpec { name: None, resize_mode, ..direct_spec() }
}

fn created() -> E {
    E::Created(SessionCreated {
        id: Uuid::from_u128(9),
        spec: spec(ResizeMode::None),
        staged: None,
        created_by: None,
        at: at(),
    })
}

fn at() -> OffsetDateTime {
    OffsetDateTime::UNIX_EPOCH
}

fn given(events: &[E]) -> CloneSession {
    let mut state = CloneSession::default();
    events.iter().for_each(|e| state.apply(e));
    state
}

fn summary(changes: &[ClaimChange]) -> Vec<(String, ClaimAction)> {
    changes.iter().map(|c| (c.key.clone(), c.action)).collect()
}

#[test]
fn a_smaller_target_is_refused_with_both_sizes() {
    let sizes = DiskSizes { source: Some(2_000_398_934_016), target: Some(500_107_862_016) };
    let err = check_fits(&spec(ResizeMode::None), sizes).expect_err("refused");
    assert_eq!(
        err,
        Rejection::Conflict(format!(
            "target /dev/sdb on node {} (465.8 GiB, 500107862016 bytes) is smaller than source /dev/sda on node {} \
             (1863.0 GiB, 2000398934016 bytes); use resize_mode shrink_source with a plan, or a larger target",
            Uuid::from_u128(2),
            Uuid::from_u128(1)
        ))
    );
    assert!(check_fits(&spec(ResizeMode::GrowTarget), sizes).is_err(), "growing does not make it fit");
}

#[test]
fn shrink_source_an_equal_or_larger_target_and_unknown_sizes_pass() {
    let smaller = DiskSizes { source: Some(2 * GIB), target: Some(GIB) };
    assert_eq!(check_fits(&spec(ResizeMode::ShrinkSource), smaller), Ok(()));
    for sizes in [
        DiskSizes { source: Some(GIB), target: Some(GIB) },
        DiskSizes { source: Some(GIB), target: Some(2 * GIB) },
        DiskSizes { source: None, target: Some(GIB) },
        DiskSizes { source: Some(2 * GIB), target: None },
    ] {
        assert_eq!(check_fits(&spec(ResizeMode::None), sizes), Ok(()), "{sizes:?}");
    }
}

#[test]
fn creation_claims_the_target_and_the_end_releases_it() {
    let id = Uuid::from_u128(9);
    let key = format!("clone_target/{}", Uuid::from_u128(2));
    let claims = target_claims(&CloneSession::default(), id, &[created()]);
    assert_eq!(summary(&claims), [(key.clone(), ClaimAction::Claim)]);
    assert_eq!(claims[0].owner, id.to_string());
    for end in [
        E::Completed { duration_seconds: 1, bytes_transferred: 1, digest: None, at: at() },
        E::Failed { error: "x".into(), at: at() },
        E::Cancelled { at: at() },
        E::Deleted { at: at() },
    ] {
        let released = target_claims(&given(&[created()]), id, &[end]);
        assert_eq!(summary(&released), [(key.clone(), ClaimAction::Release)]);
    }
}

#[test]
fn a_retarget_moves_the_claim_and_a_rename_leaves_it() {
    let id = Uuid::from_u128(9);
    let moved = E::Updated(SessionUpdated {
        name: None,
        target_node_id: Some(Uuid::from_u128(3)),
        target_device: None,
        resize_mode: None,
    });
    assert_eq!(
        summary(&target_claims(&given(&[created()]), id, &[moved])),
        [
            (format!("clone_target/{}", Uuid::from_u128(2)), ClaimAction::Release),
            (format!("clone_target/{}", Uuid::from_u128(3)), ClaimAction::Claim)
        ]
    );
    let renamed = E::Updated(SessionUpdated {
        name: Some("n".into()),
        target_node_id: None,
        target_device: None,
        resize_mode: None,
    });
    assert!(target_claims(&given(&[created()]), id, &[renamed]).is_empty());
}
