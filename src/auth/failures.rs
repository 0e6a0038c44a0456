//! A trail of failed authentications: one warning per refused token, naming
//! the token by its public part (`pbo_<id>`, `pbn_<session>_<role>`,
//! `pbk_<node>`), never its secret, and rate-limited so that a flood of bad
//! tokens cannot flood the log: at most [`LINES_PER_WINDOW`] lines per
//! [`WINDOW`], then one line with the count of those left out.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::Response;

/// How long one allowance of log lines lasts.
pub const WINDOW: Duration = Duration::from_secs(10);
/// Lines logged per [`WINDOW`]; the rest are counted.
pub const LINES_PER_WINDOW: u32 = 20;

/// A fixed-window counter of log lines.
pub struct Limiter {
    state: Mutex<(Instant, u32, u64)>,
}

impl Limiter {
    pub fn new(now: Instant) -> Self {
        Self { state: Mutex::new((now, 0, 0)) }
    }

    /// Whether to log an event at `now`, and how many were left out in the
    /// window that just ended (to be reported once, with this line).
    pub fn admit(&self, now: Instant) -> (bool, u64) {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let (start, lines, suppressed) = &mut *state;
        let mut left_out = 0;
        if now.duration_since(*start) >= WINDOW {
            left_out = std::mem::take(suppressed);
            *start = now;
            *lines = 0;
        }
        if *lines < LINES_PER_WINDOW {
            *lines += 1;
            (true, left_out)
        } else {
            *suppressed += 1;
            (false, left_out)
        }
    }
}

/// The part of a bearer token that names it: the prefix, the id and (for a
/// session token) the role before the secret, when the id is a UUID;
/// `unrecognised` for anything else (which could be a secret, e.g. the
/// bootstrap admin token, and is never logged).
pub fn public_part(token: &str) -> String {
    let parts: Vec<&str> = token.split('_').collect();
    let id_ok = |id: &str| id.len() == 32 && uuid::Uuid::try_parse(id).is_ok();
    match parts.as_slice() {
        [kind @ ("pbo" | "pbk"), id, _secret] if id_ok(id) => format!("{kind}_{id}"),
        [kind @ "pbn", id, role @ ("source" | "target"), _secret] if id_ok(id) => format!("{kind}_{id}_{role}"),
        _ => "unrecognised".to_owned(),
    }
}

/// Middleware: logs every 401 answer with the token it refused.
pub async fn log_refusals(request: Request, next: Next) -> Response {
    static LIMITER: std::sync::LazyLock<Limiter> = std::sync::LazyLock::new(|| Limiter::new(Instant::now()));
    let token = super::bearer(request.headers()).map(public_part);
    let path = request.uri().path().to_owned();
    let method = request.method().clone();
    let response = next.run(request).await;
    if response.status() == StatusCode::UNAUTHORIZED {
        let (log, left_out) = LIMITER.admit(Instant::now());
        if left_out > 0 {
            tracing::warn!(left_out, "failed authentications not logged in the last window");
        }
        if log {
            let token = token.as_deref().unwrap_or("none");
            tracing::warn!(%method, path, token, "authentication failed");
        }
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_named_by_their_public_part_only() {
        let id = "0123456789abcdef0123456789abcdef";
        assert_eq!(public_part(&format!("pbo_{id}_secret")), format!("pbo_{id}"));
        assert_eq!(public_part(&format!("pbn_{id}_source_secret")), format!("pbn_{id}_source"));
        assert_eq!(public_part(&format!("pbk_{id}_secret")), format!("pbk_{id}"));
        assert_eq!(public_part("a-bootstrap-secret"), "unrecognised");
        assert_eq!(public_part("pbo_looks_likeatoken"), "unrecognised", "no UUID: may be a secret");
        assert_eq!(public_part(&format!("pbn_{id}_middle_secret")), "unrecognised");
    }

    #[test]
    fn lines_beyond_the_allowance_are_counted_and_reported_once() {
        let start = Instant::now();
        let limiter = Limiter::new(start);
        let logged = (0..LINES_PER_WINDOW + 5).filter(|_| limiter.admit(start).0).count();
        assert_eq!(logged, LINES_PER_WINDOW as usize);
        assert_eq!(limiter.admit(start + WINDOW), (true, 5));
        assert_eq!(limiter.admit(start + WINDOW).1, 0, "reported once");
    }
}
