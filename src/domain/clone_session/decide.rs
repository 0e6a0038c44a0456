//! The rules: command + state → events, or a rejection saying why.
//!
//! Nodes queue callbacks while the controller is away and replay them, so a
//! callback may arrive twice or late. A repeat of a callback that already took
//! effect (same content) is accepted with no new event; a contradicting one is
//! a 409. Late progress is recorded but never moves progress backwards.

use time::OffsetDateTime;
use uuid::Uuid;

use super::{
    CertificateIssued, CloneMode, CloneSession, CloneSessionEvent as E, CloneStatus, ProgressReported, ResizeMode,
    Role, SessionCreated, SessionSpec, SessionUpdated, SourceEndpoint, TransferPhase,
};
use crate::domain::disks::Device;
use crate::domain::{Rejection, check_text};

const NAME_MAX: usize = 255;

/// Certificates one role of a session may be issued: its first (at creation
/// or its first CSR) and 5 replacements. A node re-requests after a restart
/// or a lost answer; more than a few means a loop or abuse, and every
/// replaced certificate stays on the public CRL until it expires (24 h), so
/// this also bounds what one session token can add to the CRL.
pub const MAX_CERTIFICATES_PER_ROLE: u32 = 6;
const ERROR_MAX: usize = 4096;

pub fn create(
    state: &CloneSession,
    id: Uuid,
    spec: SessionSpec,
    created_by: Option<String>,
    certificates: Vec<CertificateIssued>,
    now: OffsetDateTime,
) -> Result<Vec<E>, Rejection> {
    if state.spec.is_some() {
        return Err(Rejection::Conflict(format!("clone session {id} already exists")));
    }
    let spec = check_spec(spec)?;
    let mut events = vec![E::Created(SessionCreated { id, spec, staged: None, created_by, at: now })];
    events.extend(certificates.into_iter().map(E::CertificateIssued));
    Ok(events)
}

/// Checks a spec and returns it with its device paths in canonical form
/// (`sda` → `/dev/sda`), the form the nodes are sent.
pub fn check_spec(mut spec: SessionSpec) -> Result<SessionSpec, Rejection> {
    if let Some(name) = &spec.name
        && name.chars().count() > NAME_MAX
    {
        return Err(Rejection::invalid("name", format!("must be at most {NAME_MAX} characters")));
    }
    spec.source_device = device("source_device", &spec.source_device)?;
    spec.target_device = device("target_device", &spec.target_device)?;
    match spec.clone_mode {
        CloneMode::Staged if spec.staging_backend_id.is_none() => {
            Err(Rejection::invalid("staging_backend_id", "staging_backend_id required for staged mode"))
        }
        CloneMode::Direct if spec.target_node_id.is_none() => {
            Err(Rejection::invalid("target_node_id", "target_node_id required for direct mode"))
        }
        CloneMode::Direct if spec.target_node_id == Some(spec.source_node_id) => {
            Err(Rejection::invalid("target_node_id", "source and target must be different nodes"))
        }
        // A staged restore may go back to the source node, not onto the disk it reads.
        _ if spec.target_node_id == Some(spec.source_node_id) && spec.target_device == spec.source_device => {
            Err(Rejection::invalid("target_device", "the target disk is the source disk (same node, same device)"))
        }
        _ => Ok(spec),
    }
}

/// Every session field that names a device is held to the disk routes' rule
/// ([`Device`]): a `/dev/` path of ordinary characters, nothing a shell or a
/// path walk could act on.
fn device(field: &str, value: &str) -> Result<String, Rejection> {
    Ok(Device::parse_field(field, value)?.as_str().to_owned())
}

/// The fields a PATCH may change.
#[derive(Debug, Clone, Default)]
pub struct SessionPatch {
    pub name: Option<String>,
    pub target_node_id: Option<Uuid>,
    pub target_device: Option<String>,
    pub resize_mode: Option<ResizeMode>,
}

/// A change of target hands the role to another machine, so the role's
/// credentials change with it: `target_certificate` is the certificate the
/// CA issued for the new target (direct mode; `None` without a CA or in
/// staged mode). It is recorded only when the target really changes, and it
/// supersedes the old target's certificate (which the CRL then lists). The
/// old target's token and key are replaced beside the log (the command).
pub fn update(
    state: &CloneSession,
    patch: SessionPatch,
    target_certificate: Option<CertificateIssued>,
) -> Result<Vec<E>, Rejection> {
    let spec = existing(state)?;
    if state.status != CloneStatus::Pending {
        return Err(Rejection::NotAllowed(format!("Cannot update session in {} status", state.status)));
    }
    if state.started {
        return Err(Rejection::Conflict("Cannot update a started session (POST …/start was accepted)".into()));
    }
    let mut next = spec.clone();
    let changes = SessionUpdated {
        name: patch.name.filter(|n| spec.name.as_ref() != Some(n)),
        target_node_id: patch.target_node_id.filter(|t| spec.target_node_id != Some(*t)),
        target_device: match patch.target_device {
            Some(d) => Some(device("target_device", &d)?).filter(|d| *d != spec.target_device),
            None => None,
        },
        resize_mode: patch.resize_mode.filter(|m| *m != spec.resize_mode),
    };
    changes.apply_to(&mut next);
    check_spec(next)?;
    if changes.is_empty() {
        return Ok(vec![]);
    }
    let retargeted = changes.target_node_id.is_some();
    let mut events = vec![E::Updated(changes)];
    if retargeted && spec.clone_mode == CloneMode::Direct {
        events.extend(target_certificate.filter(|c| c.role == Role::Target).map(E::CertificateIssued));
    }
    Ok(events)
}

pub fn source_ready(state: &CloneSession, endpoint: SourceEndpoint, now: OffsetDateTime) -> Result<Vec<E>, Rejection> {
    let spec = existing(state)?;
    if endpoint.size_bytes <= 0 {
        return Err(Rejection::invalid("size_bytes", "must be greater than 0"));
    }
    let endpoint = SourceEndpoint { device: device("device", &endpoint.device)?, ..endpoint };
    endpoint
        .ip
        .parse::<std::net::IpAddr>()
        .map_err(|_| Rejection::invalid("ip", format!("'{}' is not an IP address", endpoint.ip)))?;
    if state.status != CloneStatus::Pending {
        return match &state.source {
            Some(recorded) if *recorded == endpoint => Ok(vec![]),
            Some(recorded) => Err(Rejection::Conflict(format!(
                "the source already reported ready at {}:{} ({} bytes); a different report is refused",
                recorded.ip, recorded.port, recorded.size_bytes
            ))),
            None => {
                Err(Rejection::Conflict(format!("session is {}: source-ready is no longer accepted", state.status)))
            }
        };
    }
    super::decide_plan::may_serve(state, spec)?;
    let started =
        E::Started { source_node_id: spec.source_node_id, target_node_id: spec.target_node_id, requested: false };
    Ok((!state.started).then_some(started).into_iter().chain([E::SourceReady { endpoint, at: now }]).collect())
}

/// A progress report from one side of the transfer.
#[derive(Debug, Clone)]
pub struct ProgressReport {
    pub role: Role,
    pub bytes_transferred: i64,
    pub transfer_rate_bps: Option<i64>,
    pub status: Option<TransferPhase>,
    pub bytes_on_wire: Option<i64>,
}

pub fn progress(state: &CloneSession, report: ProgressReport) -> Result<Vec<E>, Rejection> {
    existing(state)?;
    if report.bytes_transferred < 0 {
        return Err(Rejection::invalid("bytes_transferred", "must be at least 0"));
    }
    if report.bytes_on_wire.is_some_and(|b| b < 0) {
        return Err(Rejection::invalid("bytes_on_wire", "must be at least 0"));
    }
    if report.transfer_rate_bps.is_some_and(|r| r < 0) {
        return Err(Rejection::invalid("transfer_rate_bps", "must be at least 0"));
    }
    match state.status {
        CloneStatus::Pending => {
            return Err(Rejection::Conflict(
                "progress refused: the source has not reported ready yet (session is pending)".into(),
            ));
        }
        status if status.is_terminal() => {
            return Err(Rejection::Conflict(format!("progress refused: session is already {status}")));
        }
        _ => {}
    }
    let total = state.bytes_total();
    if let Some(total) = total.filter(|t| report.bytes_transferred > *t) {
        return Err(Rejection::invalid(
            "bytes_transferred",
            format!("{} exceeds the disk size of {total} bytes", report.bytes_transferred),
        ));
    }
    Ok(vec![E::ProgressReported(ProgressReported {
        role: report.role,
        reported_bytes: report.bytes_transferred,
        bytes_transferred: report.bytes_transferred.max(state.bytes_transferred),
        bytes_total: total,
        transfer_rate_bps: report.transfer_rate_bps,
        status: report.status,
        bytes_on_wire: report.bytes_on_wire,
    })])
}

/// `digest`: the target's content digest (64 hex digits), if it sent one.
pub fn complete(state: &CloneSession, digest: Option<String>, now: OffsetDateTime) -> Result<Vec<E>, Rejection> {
    existing(state)?;
    super::check_staged_complete(state, digest.as_deref())?;
    if let Some(d) = &digest
        && (d.len() != 64 || !d.bytes().all(|b| b.is_ascii_hexdigit()))
    {
        return Err(Rejection::invalid("digest", "must be 64 hexadecimal digits (a BLAKE3 digest)"));
    }
    match state.status {
        CloneStatus::Completed => Ok(vec![]),
        CloneStatus::SourceReady | CloneStatus::Cloning => {
            let started = state.started_at.unwrap_or(now);
            Ok(vec![E::Completed {
                duration_seconds: (now - started).whole_seconds().max(0),
                bytes_transferred: state.bytes_total().unwrap_or(state.bytes_transferred),
                digest: digest.map(|d| d.to_ascii_lowercase()),
                at: now,
            }])
        }
        CloneStatus::Pending => Err(Rejection::Conflict(
            "complete refused: the source has not reported ready yet (session is pending)".into(),
        )),
        status => Err(Rejection::Conflict(format!("complete refused: session is already {status}"))),
    }
}

pub fn fail(state: &CloneSession, error: String, now: OffsetDateTime) -> Result<Vec<E>, Rejection> {
    existing(state)?;
    check_text("error", &error, ERROR_MAX)?;
    match state.status {
        CloneStatus::Failed if state.error.as_deref() == Some(error.as_str()) => Ok(vec![]),
        status if status.is_terminal() => {
            Err(Rejection::Conflict(format!("failed refused: session is already {status}")))
        }
        _ => Ok(vec![E::Failed { error, at: now }]),
    }
}

/// DELETE: a cloning session is cancelled (and stays visible); any other is
/// removed from the query tables.
pub fn delete(state: &CloneSession, now: OffsetDateTime) -> Result<Vec<E>, Rejection> {
    existing(state)?;
    Ok(match state.status {
        CloneStatus::Cloning => vec![E::Cancelled { at: now }],
        _ => vec![E::Deleted { at: now }],
    })
}

/// A certificate signed from a node's CSR replaces the role's current one.
pub fn reissue(state: &CloneSession, certificate: CertificateIssued) -> Result<Vec<E>, Rejection> {
    may_reissue(state, certificate.role)?;
    Ok(vec![E::CertificateIssued(certificate)])
}

/// Whether `role` may be issued another certificate; asked before signing
/// too, so a refused request costs no signature.
pub fn may_reissue(state: &CloneSession, role: Role) -> Result<(), Rejection> {
    let spec = existing(state)?;
    if spec.clone_mode != CloneMode::Direct {
        return Err(Rejection::NotAllowed("Certificates only available for direct mode sessions".into()));
    }
    if state.status.is_terminal() {
        return Err(Rejection::Conflict(format!("session is {}: no new certificates are issued", state.status)));
    }
    if state.issued[role.index()] >= MAX_CERTIFICATES_PER_ROLE {
        return Err(Rejection::Conflict(format!(
            "the {} role already has {MAX_CERTIFICATES_PER_ROLE} certificates, the most a session role is issued; \
             keep using the last one, or create a new session",
            role.as_str()
        )));
    }
    Ok(())
}

pub(super) fn existing(state: &CloneSession) -> Result<&SessionSpec, Rejection> {
    match &state.spec {
        Some(spec) if !state.deleted => Ok(spec),
        _ => Err(Rejection::NotFound("Clone session not found".into())),
    }
}

#[cfg(test)]
#[path = "decide_tests.rs"]
pub(super) mod tests;
