//! Content hashes (SHA-256): how evidence files (photos, documents) are referenced, and how a
//! sealed inspection target list commits to its content.
//!
//! Evidence is stored by content hash (the store keeps the bytes, the log keeps the hash), so a
//! photo cannot be swapped after upload without the hash in the log no longer matching it.
//! Hashing bytes is pure computation; reading the file is the caller's business.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fmt;

/// Why a content hash was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("content hash {value:?}: {why}")]
pub struct HashError {
    /// The refused text.
    pub value: String,
    /// Why.
    pub why: &'static str,
}

/// A SHA-256 digest as 64 lower-case hexadecimal digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ContentHash(String);

impl ContentHash {
    /// Parse 64 hexadecimal digits (upper case is accepted and lowered, so one file has one
    /// spelling).
    pub fn parse(s: &str) -> Result<ContentHash, HashError> {
        let t = s.trim();
        let err = |why| HashError {
            value: t.to_owned(),
            why,
        };
        if t.len() != 64 {
            return Err(err("a SHA-256 hash is 64 hexadecimal digits"));
        }
        if !t.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(err("only hexadecimal digits 0-9 a-f"));
        }
        Ok(ContentHash(t.to_ascii_lowercase()))
    }

    /// The SHA-256 of `bytes`.
    pub fn of(bytes: &[u8]) -> ContentHash {
        ContentHash(hex(&Sha256::digest(bytes)))
    }

    /// The hash as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Lower-case hexadecimal of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    const D: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(char::from(D[usize::from(b >> 4)]));
        s.push(char::from(D[usize::from(b & 15)]));
    }
    s
}

impl fmt::Display for ContentHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for ContentHash {
    type Error = HashError;
    fn try_from(s: String) -> Result<Self, HashError> {
        ContentHash::parse(&s)
    }
}

impl From<ContentHash> for String {
    fn from(v: ContentHash) -> String {
        v.0
    }
}

impl std::str::FromStr for ContentHash {
    type Err = HashError;
    fn from_str(s: &str) -> Result<Self, HashError> {
        ContentHash::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_digests_and_parsing() {
        // FIPS 180-2 test vector "abc".
        let h = ContentHash::of(b"abc");
        assert_eq!(
            h.as_str(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(ContentHash::parse(&h.as_str().to_uppercase()).unwrap(), h);
        assert!(ContentHash::parse("abc").is_err());
        assert!(ContentHash::parse(&"g".repeat(64)).is_err());
        let j: ContentHash = serde_json::from_str(&format!("\"{h}\"")).unwrap();
        assert_eq!(j, h);
    }
}
