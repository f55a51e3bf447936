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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_change_changes_the_hash() {
        let c = AuditContent {
            seq: 1,
            at: "2026-01-01T00:00:00Z",
            actor_id: "a",
            actor_name: "A",
            unit_id: "u",
            unit_path: Some("/u/"),
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
