//! Random tokens, keyed hashes and constant-time comparison.

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Fills `N` bytes from the operating system's CSPRNG.
///
/// The OS generator failing means the machine cannot do cryptography at all; there is no safe
/// way to continue, so this is one of the few places that panics.
pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut buf = [0u8; N];
    #[expect(
        clippy::expect_used,
        reason = "no safe fallback without an OS random source"
    )]
    getrandom::fill(&mut buf).expect("the operating system's random source failed");
    buf
}

/// A 256-bit random token, URL-safe, for cookies.
pub fn new_token() -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(random_bytes::<32>())
}

/// A 128-bit random identifier for rows.
pub fn new_id() -> String {
    hex::encode(random_bytes::<16>())
}

/// SHA-256 of a bearer token, hex: what the database stores instead of the token.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A uniformly distributed number below `bound` (rejection sampling, no modulo bias).
pub fn uniform_below(bound: u32) -> u32 {
    let zone = u32::MAX - (u32::MAX % bound);
    loop {
        let n = u32::from_le_bytes(random_bytes::<4>());
        if n < zone {
            return n % bound;
        }
    }
}

/// A six-digit one-time code, uniform over 000000–999999.
pub fn new_code() -> String {
    format!("{:06}", uniform_below(1_000_000))
}

/// Compares two byte strings in time that depends only on their lengths.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.ct_eq(b).into()
}

/// The server's secret key: keys every HMAC (codes, limit subjects).
#[derive(Clone)]
pub struct Secret(Vec<u8>);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(…)")
    }
}

impl Secret {
    /// Wraps key bytes (at least 32).
    pub fn new(bytes: Vec<u8>) -> Self {
        Secret(bytes)
    }

    /// A short public name of this key (for tokens signed with it; rotation keeps two).
    pub fn key_id(&self) -> String {
        self.mac("key-id", &[])[..8].to_string()
    }

    /// HMAC-SHA-256 over length-prefixed `parts` under a `purpose` label, hex.
    ///
    /// Length prefixes keep `("ab","c")` and `("a","bc")` apart; the purpose keeps a code's MAC
    /// from ever equalling a rate-limit key.
    pub fn mac(&self, purpose: &str, parts: &[&[u8]]) -> String {
        #[expect(clippy::expect_used, reason = "HMAC accepts keys of any length")]
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.0).expect("any key length");
        for part in std::iter::once(purpose.as_bytes()).chain(parts.iter().copied()) {
            mac.update(&(part.len() as u64).to_be_bytes());
            mac.update(part);
        }
        hex::encode(mac.finalize().into_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_256_bit_and_distinct() {
        let a = new_token();
        let b = new_token();
        assert_ne!(a, b);
        assert_eq!(a.len(), 43); // 32 bytes in unpadded base64
        assert_eq!(token_hash(&a).len(), 64);
        assert_ne!(token_hash(&a), a);
    }

    #[test]
    fn codes_are_six_digits_and_spread() {
        let mut seen_leading = [false; 10];
        for _ in 0..2_000 {
            let c = new_code();
            assert_eq!(c.len(), 6);
            assert!(c.bytes().all(|b| b.is_ascii_digit()));
            seen_leading[(c.as_bytes()[0] - b'0') as usize] = true;
        }
        assert!(
            seen_leading.iter().all(|s| *s),
            "every leading digit appears, zero included"
        );
    }

    #[test]
    fn uniform_below_stays_in_range() {
        assert!((0..1_000).all(|_| uniform_below(7) < 7));
    }

    /// Pearson's chi-square statistic of `counts` against a uniform expectation.
    fn chi_square(counts: &[u64]) -> f64 {
        let total: u64 = counts.iter().sum();
        let expected = total as f64 / counts.len() as f64;
        counts
            .iter()
            .map(|&c| (c as f64 - expected).powi(2) / expected)
            .sum()
    }

    /// Statistical, with thresholds far in the tail (a uniform generator fails them about once
    /// in 10^9 runs) while a biased one fails every time.
    #[test]
    fn codes_are_uniform() {
        const N: usize = 200_000;
        let mut per_position = [[0u64; 10]; 6];
        let mut low_three = vec![0u64; 1_000];
        for _ in 0..N {
            let code = new_code();
            for (pos, digit) in code.bytes().enumerate() {
                per_position[pos][(digit - b'0') as usize] += 1;
            }
            let n: usize = code.parse().expect("digits");
            low_three[n % 1_000] += 1;
        }
        // 9 degrees of freedom: P(chi² > 60) ≈ 4e-10.
        for (pos, counts) in per_position.iter().enumerate() {
            let x = chi_square(counts);
            assert!(x < 60.0, "digit {pos} is not uniform: chi² = {x:.1}");
        }
        // 999 degrees of freedom: mean 999, sd 44.7; 1,300 is 6.7 sd out.
        let x = chi_square(&low_three);
        assert!(x < 1_300.0, "codes mod 1000 are not uniform: chi² = {x:.1}");
    }

    /// A modulo without rejection would make values below 2^30 twice as likely as the others
    /// for this bound (a half instead of a third of all draws).
    #[test]
    fn uniform_below_has_no_modulo_bias() {
        let bound = 3 * (1u32 << 30);
        let draws = 30_000;
        let low = (0..draws)
            .filter(|_| uniform_below(bound) < (1 << 30))
            .count();
        let share = low as f64 / f64::from(draws);
        // sd of the share is 0.0027; ±0.03 is 11 sd either way, and 0.5 is far outside.
        assert!(
            (share - 1.0 / 3.0).abs() < 0.03,
            "share below 2^30 = {share:.3}"
        );
    }

    #[test]
    fn mac_is_keyed_and_length_prefixed() {
        let k = Secret::new(vec![1; 32]);
        let other = Secret::new(vec![2; 32]);
        assert_eq!(k.mac("code", &[b"a", b"bc"]), k.mac("code", &[b"a", b"bc"]));
        assert_ne!(k.mac("code", &[b"ab", b"c"]), k.mac("code", &[b"a", b"bc"]));
        assert_ne!(k.mac("code", &[b"a"]), k.mac("limit", &[b"a"]));
        assert_ne!(k.mac("code", &[b"a"]), other.mac("code", &[b"a"]));
    }

    #[test]
    fn constant_time_eq_compares() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }
}
