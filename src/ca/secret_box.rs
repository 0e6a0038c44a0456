//! AES-256-GCM sealing of secrets kept in the database (private keys). The
//! master key that seals them lives in the database too, itself sealed with
//! the key-encryption key every instance is given (see [`super::keys`]), so a
//! database dump alone reveals no private key.

use std::path::Path;

use ring::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use ring::rand::{SecureRandom, SystemRandom};

use super::{CaError, files};

pub struct SecretBox {
    key: LessSafeKey,
    rng: SystemRandom,
}

impl SecretBox {
    /// Loads a key file (32 bytes, mode 600), creating it when absent.
    pub fn load_or_create(path: &Path) -> Result<Self, CaError> {
        if !path.exists() {
            if let Some(dir) = path.parent() {
                files::ensure_private_dir(dir)?;
            }
            files::write_private(path, &random_key()?)?;
        }
        Self::load(path)
    }

    /// Loads a key file that must exist: 32 bytes, mode 600.
    pub fn load(path: &Path) -> Result<Self, CaError> {
        Self::from_key(&files::read_private(path)?)
            .map_err(|_| CaError::Config(format!("{} must hold exactly 32 bytes", path.display())))
    }

    /// A box for a raw 32-byte key.
    pub fn from_key(key: &[u8]) -> Result<Self, CaError> {
        let unbound = UnboundKey::new(&AES_256_GCM, key)
            .map_err(|_| CaError::Config("a sealing key must be exactly 32 bytes".into()))?;
        Ok(Self { key: LessSafeKey::new(unbound), rng: SystemRandom::new() })
    }

    /// Encrypts `plaintext`, binding it to `context` (e.g. the owner and kind),
    /// so a sealed value copied to another row does not open.
    pub fn seal(&self, context: &str, plaintext: &[u8]) -> Result<Vec<u8>, CaError> {
        let mut nonce = [0u8; NONCE_LEN];
        self.rng.fill(&mut nonce).map_err(|_| CaError::Config("the system RNG failed".into()))?;
        let mut sealed = plaintext.to_vec();
        self.key
            .seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::from(context.as_bytes()), &mut sealed)
            .map_err(|_| CaError::Unseal)?;
        let mut out = nonce.to_vec();
        out.extend(sealed);
        Ok(out)
    }

    pub fn open(&self, context: &str, sealed: &[u8]) -> Result<Vec<u8>, CaError> {
        if sealed.len() < NONCE_LEN {
            return Err(CaError::Unseal);
        }
        let (nonce, body) = sealed.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| CaError::Unseal)?;
        let mut body = body.to_vec();
        let plain =
            self.key.open_in_place(nonce, Aad::from(context.as_bytes()), &mut body).map_err(|_| CaError::Unseal)?;
        Ok(plain.to_vec())
    }
}

/// 32 random bytes: a fresh AES-256 key.
pub fn random_key() -> Result<[u8; 32], CaError> {
    let mut key = [0u8; 32];
    SystemRandom::new().fill(&mut key).map_err(|_| CaError::Config("the system RNG failed".into()))?;
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_secrets_open_only_in_their_context() {
        let dir = std::env::temp_dir().join(format!("pureboot-box-{}", uuid::Uuid::new_v4()));
        let path = dir.join("master.key");
        let secret_box = SecretBox::load_or_create(&path).expect("creates key");
        let sealed = secret_box.seal("a", b"-----BEGIN PRIVATE KEY-----").expect("seals");
        assert!(!sealed.windows(5).any(|w| w == b"BEGIN"));
        assert_eq!(secret_box.open("a", &sealed).expect("opens"), b"-----BEGIN PRIVATE KEY-----");
        assert!(secret_box.open("b", &sealed).is_err());
        let reloaded = SecretBox::load_or_create(&path).expect("reloads");
        assert_eq!(reloaded.open("a", &sealed).expect("same key"), b"-----BEGIN PRIVATE KEY-----");
        let _ = std::fs::remove_dir_all(dir);
    }
}
