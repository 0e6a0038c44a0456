//! The certificate revocation list: every session certificate whose session
//! ended (or that a CSR replaced) and that has not expired yet.

use std::sync::Mutex;
use std::time::Instant;

use rcgen::{CertificateRevocationListParams, KeyIdMethod, RevocationReason, RevokedCertParams, SerialNumber};
use time::{Duration, OffsetDateTime};

use super::{CaError, CertificateAuthority};

/// How long a CRL is valid; clients fetch a fresh one before then.
const CRL_VALIDITY: Duration = Duration::hours(1);

/// A cached CRL is signed again after this long even if nothing was revoked,
/// so every CRL served has at least half its validity left.
const RESIGN_AFTER: std::time::Duration = std::time::Duration::from_secs(30 * 60);

/// The last signed CRL, kept until the certificate tables move (their
/// revision, `projections::certificates::revision`) or it is half-way to its
/// `nextUpdate`. The endpoint is public: without the cache every request cost
/// a signature and a scan of every unexpired certificate.
#[derive(Default)]
pub struct CrlCache(Mutex<Option<SignedCrl>>);

struct SignedCrl {
    revision: i64,
    signed_at: Instant,
    der: Vec<u8>,
}

impl CrlCache {
    /// The cached DER if it was signed at `revision` and is still fresh at `now`.
    pub fn get(&self, revision: i64, now: Instant) -> Option<Vec<u8>> {
        let cached = self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        cached
            .as_ref()
            .filter(|c| c.revision == revision && now.saturating_duration_since(c.signed_at) < RESIGN_AFTER)
            .map(|c| c.der.clone())
    }

    /// Keeps `der`, signed at `revision`, unless a newer revision is cached
    /// (a slow request must not put back an older CRL).
    pub fn store(&self, revision: i64, signed_at: Instant, der: Vec<u8>) {
        let mut cached = self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if cached.as_ref().is_none_or(|c| c.revision <= revision) {
            *cached = Some(SignedCrl { revision, signed_at, der });
        }
    }
}

pub struct Revoked {
    /// Hex serial, as recorded in the `certificate_issued` event.
    pub serial: String,
    pub revoked_at: OffsetDateTime,
    /// True when a newer certificate for the same role replaced it.
    pub superseded: bool,
}

impl CertificateAuthority {
    /// A DER CRL signed by the CA; `number` must grow with every change.
    pub fn crl(&self, revoked: &[Revoked], number: u64) -> Result<Vec<u8>, CaError> {
        let now = OffsetDateTime::now_utc();
        let params = CertificateRevocationListParams {
            this_update: now,
            next_update: now + CRL_VALIDITY,
            crl_number: SerialNumber::from_slice(&number.to_be_bytes()),
            issuing_distribution_point: None,
            revoked_certs: revoked.iter().filter_map(entry).collect(),
            key_identifier_method: KeyIdMethod::Sha256,
        };
        Ok(params.signed_by(&self.issuer)?.der().to_vec())
    }
}

fn entry(revoked: &Revoked) -> Option<RevokedCertParams> {
    let serial = (0..revoked.serial.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(revoked.serial.get(i..i + 2)?, 16).ok())
        .collect::<Option<Vec<u8>>>()?;
    Some(RevokedCertParams {
        serial_number: SerialNumber::from_slice(&serial),
        revocation_time: revoked.revoked_at,
        reason_code: Some(if revoked.superseded {
            RevocationReason::Superseded
        } else {
            RevocationReason::CessationOfOperation
        }),
        invalidity_date: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cached_crl_serves_its_revision_until_half_its_validity() {
        let cache = CrlCache::default();
        let t0 = Instant::now();
        assert_eq!(cache.get(5, t0), None);
        cache.store(5, t0, vec![1]);
        assert_eq!(cache.get(5, t0 + RESIGN_AFTER / 2), Some(vec![1]));
        assert_eq!(cache.get(6, t0), None, "a revocation moved the revision");
        assert_eq!(cache.get(5, t0 + RESIGN_AFTER), None, "signed again before it goes stale");
        cache.store(7, t0, vec![2]);
        cache.store(6, t0, vec![3]);
        assert_eq!(cache.get(7, t0), Some(vec![2]), "an older revision never replaces a newer one");
    }
}
