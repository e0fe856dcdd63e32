//! Secrets at rest: values the hub must keep but nobody may read from its database — a
//! job's secret parameters and connection string until the job ends, a template's secret
//! defaults, a schedule's secret values, notification credentials — are sealed with
//! XChaCha20-Poly1305 (a random 24-byte nonce per value) before any store writes them.
//!
//! The key is `security.encryption_key` (any string of at least 32 characters, usually
//! `${GREENROOM_ENCRYPTION_KEY}`), or, when that is not set, derived from
//! `security.jwt_secret`. Either way it goes through HKDF-SHA256, so the sealing key is never
//! the JWT key itself. Every hub replica must have the same one; changing it makes what was
//! sealed with the old one unreadable (the hub then says which record it cannot open).

use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use sha2::Sha256;

/// The prefix of a sealed value: format version and the key's id.
const VERSION: &str = "sealed1";

/// Seals and opens values with the hub's at-rest key.
pub struct Sealer {
    cipher: XChaCha20Poly1305,
    /// A short fingerprint of the key, stored with each value, so a value sealed with
    /// another key is named as such instead of failing as "corrupt".
    key_id: String,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sealer")
            .field("key_id", &self.key_id)
            .finish()
    }
}

/// Why a sealed value could not be opened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SealError {
    #[error("not a sealed value")]
    Malformed,
    #[error("sealed with another key ({0}); was security.encryption_key or jwt_secret changed?")]
    OtherKey(String),
    #[error("the sealed value does not authenticate (altered or damaged)")]
    Tampered,
}

impl Sealer {
    /// The sealer for this key material (the configured encryption key, or the JWT secret).
    pub fn new(key_material: &[u8]) -> Self {
        let hk = hkdf::Hkdf::<Sha256>::new(Some(b"greenroom at-rest"), key_material);
        let mut key = [0u8; 32];
        hk.expand(b"sealing key v1", &mut key)
            .expect("32 bytes is a valid HKDF-SHA256 output length");
        let mut id = [0u8; 4];
        hk.expand(b"key id v1", &mut id)
            .expect("4 bytes is a valid HKDF-SHA256 output length");
        Self {
            cipher: XChaCha20Poly1305::new(&key.into()),
            key_id: hex::encode(id),
        }
    }

    /// A sealer with a fixed key, for tests.
    pub fn for_tests() -> Self {
        Self::new(b"greenroom test key, never used outside tests")
    }

    /// `sealed1:<key id>:<base64 of nonce and ciphertext>`.
    pub fn seal(&self, plain: &[u8]) -> String {
        use base64::Engine as _;
        let nonce_bytes: [u8; 24] = rand::random();
        let nonce = XNonce::from(nonce_bytes);
        let ct = self
            .cipher
            .encrypt(&nonce, plain)
            .expect("XChaCha20-Poly1305 encryption of an in-memory buffer cannot fail");
        let mut out = nonce_bytes.to_vec();
        out.extend_from_slice(&ct);
        format!(
            "{VERSION}:{}:{}",
            self.key_id,
            base64::engine::general_purpose::STANDARD_NO_PAD.encode(out)
        )
    }

    pub fn open(&self, sealed: &str) -> Result<Vec<u8>, SealError> {
        use base64::Engine as _;
        let mut parts = sealed.splitn(3, ':');
        let (Some(VERSION), Some(id), Some(body)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(SealError::Malformed);
        };
        if id != self.key_id {
            return Err(SealError::OtherKey(id.to_string()));
        }
        let raw = base64::engine::general_purpose::STANDARD_NO_PAD
            .decode(body)
            .map_err(|_| SealError::Malformed)?;
        if raw.len() < 24 {
            return Err(SealError::Malformed);
        }
        let (nonce, ct) = raw.split_at(24);
        let nonce = XNonce::from_slice(nonce);
        self.cipher
            .decrypt(nonce, ct)
            .map_err(|_| SealError::Tampered)
    }

    pub fn seal_json(&self, v: &serde_json::Value) -> String {
        self.seal(v.to_string().as_bytes())
    }

    pub fn open_json(&self, sealed: &str) -> Result<serde_json::Value, SealError> {
        serde_json::from_slice(&self.open(sealed)?).map_err(|_| SealError::Malformed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_round_trip_and_never_appear_in_clear() {
        let s = Sealer::new(b"k".repeat(32).as_slice());
        let sealed = s.seal(b"hunter2-the-password");
        assert!(!sealed.contains("hunter2"));
        assert_eq!(s.open(&sealed).unwrap(), b"hunter2-the-password");
        assert_ne!(sealed, s.seal(b"hunter2-the-password"), "nonces differ");
    }

    #[test]
    fn another_key_or_an_altered_value_is_refused_by_name() {
        let a = Sealer::new(b"a".repeat(32).as_slice());
        let b = Sealer::new(b"b".repeat(32).as_slice());
        let sealed = a.seal(b"x");
        assert!(matches!(b.open(&sealed), Err(SealError::OtherKey(_))));
        // Flip one character in the middle of the ciphertext.
        let mut bad: Vec<char> = sealed.chars().collect();
        let i = bad.len() - 10;
        bad[i] = if bad[i] == 'A' { 'B' } else { 'A' };
        let bad: String = bad.into_iter().collect();
        assert_eq!(a.open(&bad), Err(SealError::Tampered));
        assert_eq!(a.open("plain text"), Err(SealError::Malformed));
    }
}
