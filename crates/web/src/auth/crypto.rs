//! Credential primitives: argon2id password hashes, random tokens, token hashes, TOTP.

use std::sync::LazyLock;

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

/// Argon2 verifications run by this process: lets a test check that a sign-in of a
/// disabled or unknown account pays for one too, without timing it.
pub static PASSWORD_VERIFICATIONS: std::sync::atomic::AtomicU64 =
    std::sync::atomic::AtomicU64::new(0);

pub fn verify_password(password: &str, hash: &str) -> bool {
    match PasswordHash::new(hash) {
        Ok(parsed) => {
            PASSWORD_VERIFICATIONS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        }
        Err(_) => false,
    }
}

/// A real hash made with the same parameters as every stored one, so verifying against
/// it costs what a real verification costs. A hard-coded hash would silently stop doing
/// so (and answer at once) the day it fails to parse or the parameters change.
static DUMMY_HASH: LazyLock<String> =
    LazyLock::new(|| hash_password("khien dummy password").unwrap_or_default());

/// Burns one verification's time: for unknown users, so the response time does not
/// reveal which usernames exist.
pub fn dummy_verify(password: &str) {
    let _ = verify_password(password, &DUMMY_HASH);
}

/// Verifies on a blocking thread (argon2 takes tens of milliseconds of CPU). With no
/// stored hash it still spends the same time, then answers `false`.
pub async fn verify_password_off_thread(
    password: String,
    hash: Option<String>,
) -> crate::error::AppResult<bool> {
    crate::support::blocking::run(move || match hash {
        Some(h) => verify_password(&password, &h),
        None => {
            dummy_verify(&password);
            false
        }
    })
    .await
}

/// Hashes on a blocking thread.
pub async fn hash_password_off_thread(password: String) -> crate::error::AppResult<String> {
    crate::support::blocking::run(move || hash_password(&password))
        .await?
        .map_err(crate::error::AppError::Internal)
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

/// The time step (30-second counter) of `code` when it is the code of the current step
/// or of one step either side (clock drift). The caller must still refuse a step that
/// is not later than the last one accepted: that is what stops a replay.
pub fn totp_step(secret_b32: &str, code: &str, unix_secs: i64) -> Option<i64> {
    let code = code.trim();
    if code.len() != 6 {
        return None;
    }
    (-1..=1).find_map(|d| {
        let at = unix_secs + d * 30;
        totp_at(secret_b32, at)
            .filter(|c| same(c, code))
            .map(|_| at.div_euclid(30))
    })
}

/// The `otpauth://` URI authenticator apps read from a QR code.
pub fn otpauth_uri(issuer: &str, account: &str, secret_b32: &str) -> String {
    let issuer = percent_encode(issuer);
    format!(
        "otpauth://totp/{issuer}:{}?secret={secret_b32}&issuer={issuer}&algorithm=SHA1&digits=6&period=30",
        percent_encode(account)
    )
}

/// Percent-encodes everything but RFC 3986's unreserved characters.
pub fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
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
        assert_eq!(totp_step(&secret, "287082", 59 + 30), Some(1));
        assert_eq!(totp_step(&secret, " 287082 ", 59), Some(1));
        assert_eq!(totp_step(&secret, "287082", 59 + 90), None);
        assert_eq!(totp_step(&secret, "2870820", 59), None);
        assert_eq!(
            otpauth_uri("Khiên", "a.b", "JBSWY3DP"),
            "otpauth://totp/Khi%C3%AAn:a.b?secret=JBSWY3DP&issuer=Khi%C3%AAn&algorithm=SHA1&digits=6&period=30"
        );
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
        assert!(
            DUMMY_HASH.starts_with("$argon2id$"),
            "the dummy hash is real"
        );
    }
}
