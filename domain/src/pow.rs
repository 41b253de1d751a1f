//! The slider's proof-of-work: find `n` below a bound with SHA-256(salt ‖ id ‖ n) = target.
//!
//! The server picks `n` uniformly and sends only the target, so the browser must scan; the
//! server checks an answer with one hash. Shared so both sides hash exactly the same bytes.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// A challenge as the browser gets it: the signed token to send back, and the search.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Puzzle {
    pub token: String,
    pub id: String,
    pub salt: String,
    /// Find `n < bound` with `digest(salt, id, n) == target`.
    pub target: String,
    pub bound: u32,
    /// Keyboard and tap answers also find `n < extra_bound` for `digest(salt, id + "+", n)`.
    pub extra_target: String,
    pub extra_bound: u32,
}

/// SHA-256(salt ‖ id ‖ n as 4 little-endian bytes), hex.
pub fn digest(salt: &str, id: &str, n: u32) -> String {
    let mut h = Sha256::new();
    h.update(salt.as_bytes());
    h.update(id.as_bytes());
    h.update(n.to_le_bytes());
    let out = h.finalize();
    let mut hex = String::with_capacity(64);
    for b in out {
        hex.push(char::from(b"0123456789abcdef"[usize::from(b >> 4)]));
        hex.push(char::from(b"0123456789abcdef"[usize::from(b & 15)]));
    }
    hex
}

/// Scans `from..to` for the `n` whose digest is `target` (one slice of the search, so a
/// browser can search between frames).
pub fn search(salt: &str, id: &str, target: &str, from: u32, to: u32) -> Option<u32> {
    let mut prefix = Sha256::new();
    prefix.update(salt.as_bytes());
    prefix.update(id.as_bytes());
    let mut want = [0u8; 32];
    for (i, byte) in want.iter_mut().enumerate() {
        *byte = u8::from_str_radix(target.get(i * 2..i * 2 + 2)?, 16).ok()?;
    }
    (from..to).find(|n| {
        let mut h = prefix.clone();
        h.update(n.to_le_bytes());
        h.finalize().as_slice() == want
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_finds_what_digest_made() {
        let target = digest("salt", "id", 12_345);
        assert_eq!(search("salt", "id", &target, 0, 20_000), Some(12_345));
        assert_eq!(search("salt", "id", &target, 0, 12_345), None);
        assert_eq!(search("salt", "other", &target, 0, 20_000), None);
        assert_eq!(search("salt", "id", "not hex", 0, 10), None);
    }
}
