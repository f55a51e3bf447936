//! Exchange with other response teams: an incident and its observables as a STIX 2.1
//! bundle and as a MISP event (issue 11 item 5).
//!
//! Pure: the incident comes in as plain values, JSON goes out. Every id is a UUIDv5 of
//! one of our ids (cyber observables: of their identifying properties, as STIX 2.1 §2.9
//! asks), so exporting the same incident twice gives the same document and a receiver
//! updates objects instead of piling up copies.

use std::net::IpAddr;

use serde_json::{Value, json};
use sha1::{Digest, Sha1};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::incidents::{ObservableKind, Severity, Status, Tlp};

/// The namespace of Khiên's own STIX and MISP ids (random, fixed forever: changing it
/// would give every exported object a new identity).
const KHIEN_NAMESPACE: [u8; 16] = [
    0x29, 0x7b, 0x5c, 0x1d, 0x58, 0xc3, 0x49, 0x76, 0xa9, 0x94, 0x1e, 0x29, 0x41, 0xf8, 0xf6, 0x07,
];

/// STIX 2.1 §2.9: the namespace of deterministic cyber-observable ids.
const STIX_SCO_NAMESPACE: [u8; 16] = [
    0x00, 0xab, 0xed, 0xb4, 0xaa, 0x42, 0x46, 0x6c, 0x9c, 0x01, 0xfe, 0xd2, 0x33, 0x15, 0xa9, 0xb7,
];

/// When the producer identity was first described: fixed, so its id and version never
/// move between exports.
const IDENTITY_CREATED: &str = "2026-01-01T00:00:00.000Z";

/// The incident as exchanged: what may leave the platform about it.
#[derive(Debug, Clone)]
pub struct ExchangeIncident {
    pub id: String,
    pub reference: String,
    pub title: String,
    pub description: String,
    /// RFC 3339 (stored UTC text).
    pub detected_at: String,
    pub created_at: String,
    pub updated_at: String,
    pub severity: Severity,
    pub status: Status,
    pub observables: Vec<ExchangeObservable>,
}

#[derive(Debug, Clone)]
pub struct ExchangeObservable {
    pub id: String,
    pub kind: ObservableKind,
    /// Normalised as stored (`normalise_observable`).
    pub value: String,
    pub tlp: Tlp,
    pub note: String,
    pub created_at: String,
}

/// A timestamp that could not be read (stored data is RFC 3339; anything else is a bug
/// upstream, reported rather than exported wrong).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not an RFC 3339 timestamp: {0}")]
pub struct BadTimestamp(pub String);

/// RFC 4122 version 5 (SHA-1, name-based) UUID of `name` in `namespace`.
pub fn uuid_v5(namespace: &[u8; 16], name: &str) -> String {
    let mut h = Sha1::new();
    h.update(namespace);
    h.update(name.as_bytes());
    let digest = h.finalize();
    let mut b = [0u8; 16];
    b.copy_from_slice(&digest[..16]);
    b[6] = (b[6] & 0x0f) | 0x50;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex = crate::audit::hex(&b);
    format!("{}-{}-{}-{}-{}", &hex[0..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..32])
}

fn our_id(kind: &str, name: &str) -> String {
    format!("{kind}--{}", uuid_v5(&KHIEN_NAMESPACE, &format!("{kind}/{name}")))
}

fn parse_time(s: &str) -> Result<OffsetDateTime, BadTimestamp> {
    OffsetDateTime::parse(s.trim(), &Rfc3339).map_err(|_| BadTimestamp(s.to_string()))
}

/// STIX timestamps: UTC, `Z`, to the millisecond (§3.2 asks created/modified to be).
fn stix_time(s: &str) -> Result<String, BadTimestamp> {
    let t = parse_time(s)?.to_offset(time::UtcOffset::UTC);
    Ok(format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.millisecond()
    ))
}

/// The TLP 2.0 marking definitions published with the STIX TLP 2.0 extension: fixed
/// ids every STIX tool knows.
const TLP_EXTENSION: &str = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d";

pub fn tlp_marking_id(tlp: Tlp) -> &'static str {
    match tlp {
        Tlp::Clear => "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
        Tlp::Green => "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
        Tlp::Amber => "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
        Tlp::AmberStrict => "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
        Tlp::Red => "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
    }
}

/// `amber+strict`, the TLP 2.0 label as STIX and MISP write it.
pub fn tlp_label(tlp: Tlp) -> &'static str {
    match tlp {
        Tlp::Clear => "clear",
        Tlp::Green => "green",
        Tlp::Amber => "amber",
        Tlp::AmberStrict => "amber+strict",
        Tlp::Red => "red",
    }
}

/// The TLP named by a STIX marking id (2.0 ids, and the 1.0 ids STIX 2.1 itself
/// defines) or a MISP tag (`tlp:amber`, `tlp:white`).
pub fn tlp_from_marking(marking: &str) -> Option<Tlp> {
    let m = marking.trim().to_ascii_lowercase();
    if let Some(t) = Tlp::ALL.iter().copied().find(|t| tlp_marking_id(*t) == m) {
        return Some(t);
    }
    match m.as_str() {
        "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9" | "tlp:white" | "tlp:clear" => Some(Tlp::Clear),
        "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da" | "tlp:green" => Some(Tlp::Green),
        "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82" | "tlp:amber" => Some(Tlp::Amber),
        "tlp:amber+strict" => Some(Tlp::AmberStrict),
        "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed" | "tlp:red" => Some(Tlp::Red),
        _ => None,
    }
}

fn tlp_definition(tlp: Tlp) -> Value {
    json!({
        "type": "marking-definition",
        "spec_version": "2.1",
        "id": tlp_marking_id(tlp),
        "created": "2022-10-01T00:00:00.000Z",
        "name": format!("TLP:{}", tlp_label(tlp).to_ascii_uppercase()),
        "extensions": { TLP_EXTENSION: { "extension_type": "property-extension", "tlp_2_0": tlp_label(tlp) } },
    })
}

/// A string in a STIX pattern: quotes and backslashes escaped (§9.3).
fn pattern_string(s: &str) -> String {
    format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'"))
}

/// A JSON string as RFC 8785 writes it (serde_json's escaping is the same for strings).
fn jcs(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_default()
}

/// The hash algorithm of a hex digest by its length (as `normalise_observable` admits).
fn hash_algorithm(hex: &str) -> &'static str {
    match hex.len() {
        32 => "MD5",
        40 => "SHA-1",
        128 => "SHA-512",
        _ => "SHA-256",
    }
}

/// The last component of a path (`C:\Windows\x.exe` → `x.exe`).
fn file_name(v: &str) -> &str {
    v.rsplit(['/', '\\']).next().filter(|n| !n.is_empty()).unwrap_or(v)
}

/// One observable as a STIX cyber observable: (the SCO, its indicator pattern). The
/// SCO id is the §2.9 UUIDv5 of its identifying properties in RFC 8785 form.
fn sco(o: &ExchangeObservable) -> (Value, String) {
    let (kind, props, ident, pattern) = match o.kind {
        ObservableKind::Ip => {
            let t = if o.value.parse::<IpAddr>().is_ok_and(|ip| ip.is_ipv6()) { "ipv6-addr" } else { "ipv4-addr" };
            (t, json!({ "value": o.value }), format!("{{\"value\":{}}}", jcs(&o.value)), format!("[{t}:value = {}]", pattern_string(&o.value)))
        }
        ObservableKind::Domain => (
            "domain-name",
            json!({ "value": o.value }),
            format!("{{\"value\":{}}}", jcs(&o.value)),
            format!("[domain-name:value = {}]", pattern_string(&o.value)),
        ),
        ObservableKind::Url => (
            "url",
            json!({ "value": o.value }),
            format!("{{\"value\":{}}}", jcs(&o.value)),
            format!("[url:value = {}]", pattern_string(&o.value)),
        ),
        ObservableKind::Hash => {
            let alg = hash_algorithm(&o.value);
            (
                "file",
                json!({ "hashes": { alg: o.value } }),
                format!("{{\"hashes\":{{{}:{}}}}}", jcs(alg), jcs(&o.value)),
                format!("[file:hashes.{} = {}]", pattern_string(alg), pattern_string(&o.value)),
            )
        }
        ObservableKind::File => {
            let name = file_name(&o.value);
            (
                "file",
                json!({ "name": name }),
                format!("{{\"name\":{}}}", jcs(name)),
                format!("[file:name = {}]", pattern_string(name)),
            )
        }
        ObservableKind::Account => (
            "user-account",
            json!({ "account_login": o.value }),
            format!("{{\"account_login\":{}}}", jcs(&o.value)),
            format!("[user-account:account_login = {}]", pattern_string(&o.value)),
        ),
    };
    let mut obj = json!({
        "type": kind,
        "spec_version": "2.1",
        "id": format!("{kind}--{}", uuid_v5(&STIX_SCO_NAMESPACE, &ident)),
        "object_marking_refs": [tlp_marking_id(o.tlp)],
    });
    if let (Value::Object(m), Value::Object(p)) = (&mut obj, props) {
        m.extend(p);
    }
    (obj, pattern)
}

/// How far a TLP level lets an observable travel, widest first: CLEAR (0) to RED (4).
pub fn tlp_rank(t: Tlp) -> u8 {
    match t {
        Tlp::Clear => 0,
        Tlp::Green => 1,
        Tlp::Amber => 2,
        Tlp::AmberStrict => 3,
        Tlp::Red => 4,
    }
}

/// The TLP an export is shared at unless the user chooses: AMBER — the recipients'
/// organisations may act on it; AMBER+STRICT (the recipient's organisation only) and RED
/// (named recipients only) stay out of a file that leaves the platform.
pub const DEFAULT_EXPORT_TLP: Tlp = Tlp::Amber;

impl ExchangeIncident {
    /// The incident with only the observables that may be shared at `max` (their TLP no
    /// stricter), and how many were left out.
    pub fn shared_at(&self, max: Tlp) -> (ExchangeIncident, usize) {
        let mut out = self.clone();
        out.observables.retain(|o| tlp_rank(o.tlp) <= tlp_rank(max));
        let left_out = self.observables.len() - out.observables.len();
        (out, left_out)
    }
}

/// The incident and its observables as a STIX 2.1 bundle: the producer `identity`, a
/// `report` for the incident (its reference, title, description, status and severity)
/// referring to everything else, and for each observable its cyber observable, an
/// `observed-data` that saw it and an `indicator` with its pattern, `based-on` the
/// observation. A `report`, not an `incident`: STIX 2.1's incident is a stub the
/// official bundle schema does not admit. Every object carries its TLP 2.0 marking (the
/// observable's own; the report TLP:AMBER, the producer TLP:CLEAR) and the marking
/// definitions used are in the bundle.
pub fn stix_bundle(i: &ExchangeIncident, producer: &str) -> Result<Value, BadTimestamp> {
    let identity = our_id("identity", producer);
    let report = our_id("report", &i.id);
    let (created, modified) = (stix_time(&i.created_at)?, stix_time(&i.updated_at)?);
    let mut used = vec![Tlp::Clear, Tlp::Amber];
    let mut objects = vec![json!({
        "type": "identity", "spec_version": "2.1", "id": identity,
        "created": IDENTITY_CREATED, "modified": IDENTITY_CREATED,
        "name": producer, "identity_class": "organization",
        "object_marking_refs": [tlp_marking_id(Tlp::Clear)],
    })];
    let mut refs: Vec<Value> = Vec::new();
    for o in &i.observables {
        if !used.contains(&o.tlp) {
            used.push(o.tlp);
        }
        let marking = tlp_marking_id(o.tlp);
        let at = stix_time(&o.created_at)?;
        let (sco, pattern) = sco(o);
        let sco_id = sco.get("id").cloned().unwrap_or(Value::Null);
        let observed = our_id("observed-data", &o.id);
        let indicator = our_id("indicator", &o.id);
        let based_on = our_id("relationship", &format!("{}/based-on", o.id));
        let mut ind = json!({
            "type": "indicator", "spec_version": "2.1", "id": indicator,
            "created_by_ref": identity, "created": at, "modified": at,
            "name": format!("{} {}", o.kind.as_str(), o.value),
            "pattern": pattern, "pattern_type": "stix", "pattern_version": "2.1",
            "valid_from": at, "object_marking_refs": [marking],
        });
        if !o.note.trim().is_empty()
            && let Value::Object(m) = &mut ind
        {
            m.insert("description".into(), Value::String(o.note.clone()));
        }
        refs.extend([sco_id.clone(), Value::String(observed.clone()), Value::String(indicator.clone()), Value::String(based_on.clone())]);
        objects.push(sco);
        objects.push(json!({
            "type": "observed-data", "spec_version": "2.1", "id": observed,
            "created_by_ref": identity, "created": at, "modified": at,
            "first_observed": at, "last_observed": at, "number_observed": 1,
            "object_refs": [sco_id], "object_marking_refs": [marking],
        }));
        objects.push(ind);
        objects.push(json!({
            "type": "relationship", "spec_version": "2.1", "id": based_on,
            "created_by_ref": identity, "created": at, "modified": at,
            "relationship_type": "based-on", "source_ref": indicator, "target_ref": observed,
            "object_marking_refs": [marking],
        }));
    }
    // A report needs at least one object: an incident without observables refers to
    // its producer only.
    if refs.is_empty() {
        refs.push(Value::String(identity.clone()));
    }
    objects.insert(1, json!({
        "type": "report", "spec_version": "2.1", "id": report,
        "created_by_ref": identity, "created": created, "modified": modified,
        "name": format!("{}: {}", i.reference, i.title),
        "description": i.description,
        "report_types": ["observed-data", "indicator"],
        "published": modified,
        "object_refs": refs,
        "external_references": [{ "source_name": "khien", "external_id": i.reference }],
        "labels": [format!("status:{}", i.status.as_str()), format!("severity:{}", i.severity.as_str())],
        "object_marking_refs": [tlp_marking_id(Tlp::Amber)],
    }));
    used.sort_by_key(|t| Tlp::ALL.iter().position(|x| x == t));
    objects.extend(used.into_iter().map(tlp_definition));
    Ok(json!({ "type": "bundle", "id": our_id("bundle", &i.id), "objects": objects }))
}

/// MISP's (type, category, to_ids) for an observable. An account is MISP's
/// `target-user` (the account attacked or used), not an IDS signature.
pub fn misp_type(o: &ExchangeObservable) -> (&'static str, &'static str, bool) {
    match o.kind {
        ObservableKind::Ip => ("ip-dst", "Network activity", true),
        ObservableKind::Domain => ("domain", "Network activity", true),
        ObservableKind::Url => ("url", "Network activity", true),
        ObservableKind::Hash => (
            match o.value.len() {
                32 => "md5",
                40 => "sha1",
                128 => "sha512",
                _ => "sha256",
            },
            "Payload delivery",
            true,
        ),
        ObservableKind::File => ("filename", "Payload delivery", true),
        ObservableKind::Account => ("target-user", "Targeting data", false),
    }
}

fn epoch(s: &str) -> Result<String, BadTimestamp> {
    Ok(parse_time(s)?.unix_timestamp().to_string())
}

/// The incident as a MISP event (`{"Event": …}`, the shape MISP's API and feeds
/// use): threat level from the severity (serious → 1 high, else 2 medium), analysis
/// from the status (0 initial, 1 ongoing, 2 completed), distribution 0 (this
/// organisation only: the receiver widens it), the event tagged TLP:AMBER and each
/// attribute tagged with its observable's TLP.
pub fn misp_event(i: &ExchangeIncident, producer: &str) -> Result<Value, BadTimestamp> {
    let detected = parse_time(&i.detected_at)?.to_offset(crate::time_fmt::VIETNAM);
    let analysis = match i.status {
        Status::Reported | Status::Verified => "0",
        Status::Responding | Status::Contained => "1",
        Status::Recovered | Status::Closed => "2",
    };
    let mut attributes = Vec::new();
    for o in &i.observables {
        let (t, category, to_ids) = misp_type(o);
        attributes.push(json!({
            "uuid": uuid_v5(&KHIEN_NAMESPACE, &format!("misp-attribute/{}", o.id)),
            "type": t, "category": category, "to_ids": to_ids, "value": o.value,
            "comment": o.note, "timestamp": epoch(&o.created_at)?,
            "distribution": "5", "disable_correlation": false,
            "Tag": [{ "name": format!("tlp:{}", tlp_label(o.tlp)) }],
        }));
    }
    Ok(json!({ "Event": {
        "uuid": uuid_v5(&KHIEN_NAMESPACE, &format!("misp-event/{}", i.id)),
        "info": format!("{}: {}", i.reference, i.title),
        "date": format!("{:04}-{:02}-{:02}", detected.year(), u8::from(detected.month()), detected.day()),
        "threat_level_id": if i.severity == Severity::Serious { "1" } else { "2" },
        "analysis": analysis,
        "distribution": "0",
        "published": false,
        "timestamp": epoch(&i.updated_at)?,
        "Orgc": { "name": producer, "uuid": uuid_v5(&KHIEN_NAMESPACE, &format!("organisation/{producer}")) },
        "Tag": [{ "name": "tlp:amber" }],
        "Attribute": attributes,
    }}))
}

#[cfg(test)]
mod tlp_tests {
    use super::*;

    #[test]
    fn an_export_keeps_only_what_its_tlp_allows() {
        let o = |id: &str, tlp| ExchangeObservable { id: id.into(), kind: ObservableKind::Ip, value: "203.0.113.7".into(), tlp, note: String::new(), created_at: String::new() };
        let i = ExchangeIncident { id: "i".into(), reference: "SC-1".into(), title: "t".into(), description: String::new(), detected_at: String::new(), created_at: String::new(), updated_at: String::new(), severity: Severity::Normal, status: Status::Reported, observables: vec![o("a", Tlp::Clear), o("b", Tlp::Amber), o("c", Tlp::AmberStrict), o("d", Tlp::Red)] };
        let ids = |x: &ExchangeIncident| x.observables.iter().map(|o| o.id.clone()).collect::<Vec<_>>();
        let (shared, left) = i.shared_at(DEFAULT_EXPORT_TLP);
        assert_eq!((ids(&shared), left), (vec!["a".to_string(), "b".to_string()], 2));
        let (shared, left) = i.shared_at(Tlp::Red);
        assert_eq!((shared.observables.len(), left), (4, 0));
        let (shared, left) = i.shared_at(Tlp::Clear);
        assert_eq!((ids(&shared), left), (vec!["a".to_string()], 3));
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn uuid_v5_matches_rfc_4122_vectors() {
        // Python's uuid.uuid5(uuid.NAMESPACE_DNS, "python.org").
        let dns = [0x6b, 0xa7, 0xb8, 0x10, 0x9d, 0xad, 0x11, 0xd1, 0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8];
        assert_eq!(uuid_v5(&dns, "python.org"), "886313e1-3b8a-5372-9b90-0c9aee199e5d");
    }

    #[test]
    fn sco_ids_follow_stix_section_2_9() {
        // Python's uuid.uuid5(00abedb4-…, '{"value":"example.com"}'): an independent
        // UUIDv5 over the RFC 8785 form of the identifying property.
        let o = ExchangeObservable {
            id: "o1".into(),
            kind: ObservableKind::Domain,
            value: "example.com".into(),
            tlp: Tlp::Green,
            note: String::new(),
            created_at: "2026-01-01T00:00:00Z".into(),
        };
        let (v, pattern) = sco(&o);
        assert_eq!(v["id"], "domain-name--bedb4899-d24b-5401-bc86-8f6b4cc18ec7");
        assert_eq!(pattern, "[domain-name:value = 'example.com']");
    }

    #[test]
    fn patterns_escape_quotes_and_backslashes() {
        assert_eq!(pattern_string(r"C:\a'b"), r"'C:\\a\'b'");
        assert_eq!(file_name(r"C:\Windows\evil.exe"), "evil.exe");
        assert_eq!(tlp_from_marking("TLP:WHITE"), Some(Tlp::Clear));
        assert_eq!(tlp_from_marking(tlp_marking_id(Tlp::AmberStrict)), Some(Tlp::AmberStrict));
    }
}
