//! The audit chain: each entry's hash covers its content and the previous entry's hash,
//! so editing or deleting any row breaks every later link.

use serde::Serialize;
use sha2::{Digest, Sha256};

/// The hash of the (empty) chain before the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Everything an audit entry says, in the order it is hashed.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct AuditContent<'a> {
    pub seq: i64,
    pub at: &'a str,
    pub actor_id: &'a str,
    pub actor_name: &'a str,
    pub unit_id: &'a str,
    /// The unit's place in the tree when the entry was written. Hashed from chain
    /// format 2 on; format-1 entries (written before) leave it out of their hash.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit_path: Option<&'a str>,
    /// The client's address (behind trusted proxies, the one they forwarded). Hashed
    /// from format 3 on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_addr: Option<&'a str>,
    pub action: &'a str,
    pub entity: &'a str,
    pub entity_id: &'a str,
    pub before: &'a str,
    pub after: &'a str,
}

/// `sha256(prev_hash || 0x1f || canonical JSON of content)` as lowercase hex.
pub fn chain_hash(prev_hash: &str, content: &AuditContent<'_>) -> String {
    let mut h = Sha256::new();
    h.update(prev_hash.as_bytes());
    h.update([0x1f]);
    // Serialising a struct of strings and an integer cannot fail; an empty body would
    // still be caught by verification because it changes the hash.
    h.update(serde_json::to_vec(content).unwrap_or_default());
    hex(&h.finalize())
}

pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    s
}

/// A signed statement of the chain head, kept outside the database. Anyone who can
/// write the database can recompute every hash of the chain, but not the HMAC of a head
/// exported earlier: verification checks that the chain still holds the anchored hash
/// at the anchored sequence number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Anchor {
    pub seq: i64,
    pub hash: String,
    pub at: String,
    pub mac: String,
}

fn anchor_mac(key: &[u8], seq: i64, hash: &str, at: &str) -> Option<hmac::Hmac<Sha256>> {
    use hmac::Mac;
    let mut m = <hmac::Hmac<Sha256> as Mac>::new_from_slice(key).ok()?;
    m.update(b"khien-audit-anchor\x1f");
    m.update(seq.to_string().as_bytes());
    m.update(b"\x1f");
    m.update(hash.as_bytes());
    m.update(b"\x1f");
    m.update(at.as_bytes());
    Some(m)
}

/// Signs the head `(seq, hash)` at time `at` with the deployment's audit key.
pub fn sign_anchor(key: &[u8], seq: i64, hash: &str, at: &str) -> Option<Anchor> {
    use hmac::Mac;
    let mac = anchor_mac(key, seq, hash, at)?.finalize().into_bytes();
    Some(Anchor {
        seq,
        hash: hash.to_string(),
        at: at.to_string(),
        mac: hex(&mac),
    })
}

/// Whether the anchor was signed with `key` (constant-time comparison).
pub fn anchor_is_authentic(key: &[u8], a: &Anchor) -> bool {
    use hmac::Mac;
    let Some(m) = anchor_mac(key, a.seq, &a.hash, &a.at) else {
        return false;
    };
    let Some(mac) = unhex(&a.mac) else {
        return false;
    };
    m.verify_slice(&mac).is_ok()
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| s.get(i..i + 2).and_then(|b| u8::from_str_radix(b, 16).ok()))
        .collect()
}

/// Who may ask for a walk of the whole chain: the province's administrators (it reads
/// every unit's entries, and its report speaks for the whole province).
pub fn may_verify(role: crate::Role) -> Result<(), &'static str> {
    if role == crate::Role::ProvinceAdmin {
        Ok(())
    } else {
        Err("err.forbidden")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_anchor_is_authentic_only_with_its_key_and_content() {
        let a = sign_anchor(b"a key of the deployment, 32 bytes+", 42, "ab12", "2026-12-01T00:00:00.000000Z").unwrap();
        assert!(anchor_is_authentic(b"a key of the deployment, 32 bytes+", &a));
        assert!(!anchor_is_authentic(b"another key", &a));
        assert!(!anchor_is_authentic(b"a key of the deployment, 32 bytes+", &Anchor { seq: 43, ..a.clone() }));
        assert!(!anchor_is_authentic(b"a key of the deployment, 32 bytes+", &Anchor { hash: "ab13".into(), ..a.clone() }));
        assert!(!anchor_is_authentic(b"a key of the deployment, 32 bytes+", &Anchor { mac: "zz".into(), ..a }));
    }

    #[test]
    fn any_change_changes_the_hash() {
        let c = AuditContent {
            seq: 1,
            at: "2026-01-01T00:00:00Z",
            actor_id: "a",
            actor_name: "A",
            unit_id: "u",
            unit_path: Some("/u/"),
            client_addr: Some("203.0.113.7"),
            action: "create",
            entity: "unit",
            entity_id: "x",
            before: "",
            after: "{}",
        };
        let h1 = chain_hash(GENESIS, &c);
        assert_eq!(h1.len(), 64);
        assert_ne!(
            h1,
            chain_hash(
                GENESIS,
                &AuditContent {
                    after: "{ }",
                    ..c.clone()
                }
            )
        );
        assert_ne!(h1, chain_hash(&h1, &c));
    }
}
