//! Credential primitives: argon2id password hashes, random tokens, token hashes, TOTP.

use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, PasswordVerifier, phc::PasswordHash};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

pub fn hash_password(password: &str) -> Result<String, String> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| e.to_string())
}

pub fn verify_password(password: &str, hash: &str) -> bool {
    match PasswordHash::new(hash) {
        Ok(parsed) => Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// A hash to burn the same time as a real verification when the user does not exist,
/// so response time does not reveal which usernames exist.
pub fn dummy_verify(password: &str) {
    const DUMMY: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$0pV5WvYH9Xp8yXn2G0yWzqk6y6f8o1rV7oQhEJQe3Ck";
    let _ = verify_password(password, DUMMY);
}

/// Password policy: at least 10 characters, not only digits.
pub fn password_acceptable(p: &str) -> bool {
    p.chars().count() >= 10 && !p.chars().all(|c| c.is_ascii_digit())
}

/// 32 random bytes as URL-safe text (a session, CSRF or API token).
pub fn random_token() -> Result<String, String> {
    let mut buf = [0u8; 32];
    getrandom::fill(&mut buf).map_err(|e| e.to_string())?;
    Ok(khien_domain::audit::hex(&buf))
}

pub fn sha256_hex(s: &str) -> String {
    khien_domain::audit::hex(&Sha256::digest(s.as_bytes()))
}

/// Constant-time comparison for tokens.
pub fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

const B32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

pub fn base32_encode(data: &[u8]) -> String {
    let mut out = String::new();
    let (mut buf, mut bits) = (0u32, 0u32);
    for &b in data {
        buf = (buf << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(char::from(B32[((buf >> bits) & 31) as usize]));
        }
    }
    if bits > 0 {
        out.push(char::from(B32[((buf << (5 - bits)) & 31) as usize]));
    }
    out
}

pub fn base32_decode(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let (mut buf, mut bits) = (0u32, 0u32);
    for c in s.chars().filter(|c| !c.is_whitespace() && *c != '=') {
        let v = B32
            .iter()
            .position(|&x| char::from(x) == c.to_ascii_uppercase())? as u32;
        buf = (buf << 5) | v;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push(((buf >> bits) & 0xff) as u8);
        }
    }
    Some(out)
}

pub fn new_totp_secret() -> Result<String, String> {
    let mut buf = [0u8; 20];
    getrandom::fill(&mut buf).map_err(|e| e.to_string())?;
    Ok(base32_encode(&buf))
}

/// RFC 6238 TOTP (HMAC-SHA1, 30 s, 6 digits) for the step containing `unix_secs`.
pub fn totp_at(secret_b32: &str, unix_secs: i64) -> Option<String> {
    let key = base32_decode(secret_b32)?;
    let counter = u64::try_from(unix_secs.div_euclid(30)).ok()?;
    let mut mac = Hmac::<sha1::Sha1>::new_from_slice(&key).ok()?;
    mac.update(&counter.to_be_bytes());
    let h = mac.finalize().into_bytes();
    let off = usize::from(*h.last()? & 0x0f);
    let slice = h.get(off..off + 4)?;
    let code =
        (u32::from_be_bytes([slice[0], slice[1], slice[2], slice[3]]) & 0x7fff_ffff) % 1_000_000;
    Some(format!("{code:06}"))
}

/// Accepts the code of the current step or one step either side (clock drift).
pub fn totp_verify(secret_b32: &str, code: &str, unix_secs: i64) -> bool {
    let code = code.trim();
    (-1..=1).any(|d| totp_at(secret_b32, unix_secs + d * 30).is_some_and(|c| same(&c, code)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn totp_matches_rfc6238_vectors() {
        // RFC 6238 Appendix B, SHA-1 seed "12345678901234567890", last 6 digits.
        let secret = base32_encode(b"12345678901234567890");
        assert_eq!(totp_at(&secret, 59).as_deref(), Some("287082"));
        assert_eq!(totp_at(&secret, 1_111_111_109).as_deref(), Some("081804"));
        assert_eq!(totp_at(&secret, 2_000_000_000).as_deref(), Some("279037"));
        assert!(totp_verify(&secret, "287082", 59 + 30));
        assert!(!totp_verify(&secret, "287082", 59 + 90));
        assert_eq!(
            base32_decode(&secret).as_deref(),
            Some(&b"12345678901234567890"[..])
        );
    }

    #[test]
    fn passwords_hash_and_verify() {
        let h = hash_password("mật khẩu dài 2026").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("mật khẩu dài 2026", &h));
        assert!(!verify_password("mat khau dai 2026", &h));
        assert!(!verify_password("x", "not a hash"));
        assert!(!password_acceptable("1234567890"));
        assert!(password_acceptable("Khien@2026!"));
    }
}
