use std::path::PathBuf;

use rcgen::SignatureAlgorithm;

use super::CaError;

/// The spec's `CASettings`, validated at start-up.
#[derive(Debug, Clone)]
pub struct CaSettings {
    pub enabled: bool,
    pub cert_dir: PathBuf,
    pub ca_validity_years: u32,
    pub session_cert_validity_hours: u32,
    pub key_algorithm: String,
    pub key_size: u32,
}

impl CaSettings {
    /// The signature algorithm the settings ask for, or why it cannot be honoured.
    ///
    /// ring (our only crypto backend) cannot generate RSA keys, so RSA is refused
    /// here, loudly, rather than silently replaced by ECDSA.
    pub fn algorithm(&self) -> Result<&'static SignatureAlgorithm, CaError> {
        match (self.key_algorithm.to_ascii_uppercase().as_str(), self.key_size) {
            ("ECDSA", 256) => Ok(&rcgen::PKCS_ECDSA_P256_SHA256),
            ("ECDSA", 384) => Ok(&rcgen::PKCS_ECDSA_P384_SHA384),
            ("ECDSA", size) => Err(CaError::Config(format!(
                "key_size {size} is not supported for ECDSA; use 256 (P-256) or 384 (P-384)"
            ))),
            ("RSA", _) => Err(CaError::Config(
                "key_algorithm RSA cannot be honoured: the CA generates keys with ring, which has no RSA key \
                 generation; use key_algorithm=ECDSA with key_size=256"
                    .into(),
            )),
            (other, _) => Err(CaError::Config(format!("unknown key_algorithm '{other}'; use ECDSA"))),
        }
    }

    pub fn validate(&self) -> Result<(), CaError> {
        self.algorithm()?;
        if self.ca_validity_years == 0 || self.ca_validity_years > 30 {
            return Err(CaError::Config(
                "ca_validity_years must be between 1 and 30".into(),
            ));
        }
        if self.session_cert_validity_hours == 0 || self.session_cert_validity_hours > 24 * 30 {
            return Err(CaError::Config(
                "session_cert_validity_hours must be between 1 and 720".into(),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(alg: &str, size: u32) -> CaSettings {
        CaSettings {
            enabled: true,
            cert_dir: PathBuf::from("/nonexistent"),
            ca_validity_years: 10,
            session_cert_validity_hours: 24,
            key_algorithm: alg.into(),
            key_size: size,
        }
    }

    #[test]
    fn rsa_is_refused_with_a_reason() {
        let err = settings("RSA", 2048)
            .validate()
            .expect_err("refused")
            .to_string();
        assert!(err.contains("ring"), "{err}");
    }

    #[test]
    fn ecdsa_p256_is_the_default_that_works() {
        assert!(settings("ECDSA", 256).validate().is_ok());
        assert!(settings("ecdsa", 521).validate().is_err());
    }
}
