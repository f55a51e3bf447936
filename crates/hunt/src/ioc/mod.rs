//! IOC sweeps: indicators from text, CSV, STIX 2.1 and MISP files, matched
//! anywhere in an event's string fields.
//!
//! Literal indicators (domains, URLs, hashes, IPs, file names, registry
//! keys) are compiled into one case-insensitive Aho-Corasick automaton and
//! checked at token boundaries; CIDR blocks are checked against every IP
//! literal found in the event.

pub mod load;
mod misp;
pub mod net;
mod stix;

use std::collections::HashMap;
use std::net::IpAddr;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};

use crate::detection::Detection;
use crate::record::Record;
use net::Cidr;

/// Indicator types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IocType {
    Ipv4,
    Ipv6,
    Cidr,
    Domain,
    Url,
    Md5,
    Sha1,
    Sha256,
    FileName,
    RegistryKey,
}

impl IocType {
    pub fn name(self) -> &'static str {
        match self {
            IocType::Ipv4 => "ipv4",
            IocType::Ipv6 => "ipv6",
            IocType::Cidr => "cidr",
            IocType::Domain => "domain",
            IocType::Url => "url",
            IocType::Md5 => "md5",
            IocType::Sha1 => "sha1",
            IocType::Sha256 => "sha256",
            IocType::FileName => "filename",
            IocType::RegistryKey => "registry",
        }
    }
}

/// One indicator.
#[derive(Debug, Clone)]
pub struct Ioc {
    pub kind: IocType,
    pub value: String,
    /// Where it came from (file, STIX indicator name, MISP event info).
    pub origin: String,
    /// Author to credit (STIX `created_by_ref` identity, MISP org).
    pub author: String,
    pub tags: Vec<String>,
    pub level: String,
    /// STIX `AND` group: all members must match in the same event.
    pub group: Option<usize>,
    /// Data markings as the source wrote them (STIX `object_marking_refs`, MISP `tlp:`
    /// tags), for whoever imports the indicator with its sharing limits.
    pub markings: Vec<String>,
}

/// Options for building an IOC set.
#[derive(Debug, Clone)]
pub struct IocOptions {
    /// Networks whose IOCs are dropped (warning list).
    pub exclude_nets: Vec<Cidr>,
    /// Domains (and subdomains) whose IOCs are dropped.
    pub exclude_domains: Vec<String>,
    /// File names (case-insensitive) whose IOCs are dropped.
    pub exclude_filenames: Vec<String>,
}

impl Default for IocOptions {
    fn default() -> Self {
        IocOptions {
            exclude_nets: net::DEFAULT_WARNING_NETS
                .iter()
                .filter_map(|s| Cidr::parse(s))
                .collect(),
            exclude_domains: net::DEFAULT_WARNING_DOMAINS
                .iter()
                .map(|s| s.to_string())
                .collect(),
            exclude_filenames: net::DEFAULT_WARNING_FILENAMES
                .iter()
                .map(|s| s.to_string())
                .collect(),
        }
    }
}

/// A compiled IOC set.
#[derive(Default)]
pub struct IocSet {
    pub iocs: Vec<Ioc>,
    ac: Option<AhoCorasick>,
    /// Pattern index -> IOC index.
    pattern_ioc: Vec<usize>,
    cidrs: Vec<(Cidr, usize)>,
    /// Group id -> number of members.
    groups: HashMap<usize, usize>,
    /// Indicators dropped by the warning list or not understood.
    pub dropped: Vec<String>,
    pub errors: Vec<crate::error::HuntError>,
}

impl IocSet {
    /// Compiles a list of indicators.
    pub fn build(iocs: Vec<Ioc>, opts: &IocOptions) -> IocSet {
        let mut set = IocSet::default();
        let mut patterns: Vec<String> = Vec::new();
        let mut seen: HashMap<(IocType, String, Option<usize>), usize> = HashMap::new();
        for ioc in iocs {
            if let Some(why) = warning_listed(&ioc, opts) {
                set.dropped.push(format!(
                    "{} {} ({}): {why}",
                    ioc.kind.name(),
                    ioc.value,
                    ioc.origin
                ));
                continue;
            }
            let key = (ioc.kind, ioc.value.to_ascii_lowercase(), ioc.group);
            if seen.contains_key(&key) {
                continue;
            }
            let idx = set.iocs.len();
            seen.insert(key, idx);
            if let Some(g) = ioc.group {
                *set.groups.entry(g).or_default() += 1;
            }
            match ioc.kind {
                IocType::Cidr => {
                    if let Some(c) = Cidr::parse(&ioc.value) {
                        set.cidrs.push((c, idx));
                    }
                }
                IocType::FileName => {
                    for v in filename_forms(&ioc.value) {
                        patterns.push(v);
                        set.pattern_ioc.push(idx);
                    }
                }
                IocType::RegistryKey => {
                    for v in registry_forms(&ioc.value) {
                        patterns.push(v);
                        set.pattern_ioc.push(idx);
                    }
                }
                _ => {
                    patterns.push(ioc.value.clone());
                    set.pattern_ioc.push(idx);
                }
            }
            set.iocs.push(ioc);
        }
        if !patterns.is_empty() {
            set.ac = AhoCorasickBuilder::new()
                .ascii_case_insensitive(true)
                .match_kind(MatchKind::Standard)
                .kind(Some(AhoCorasickKind::DFA))
                .build(&patterns)
                .or_else(|_| {
                    AhoCorasickBuilder::new()
                        .ascii_case_insensitive(true)
                        .match_kind(MatchKind::Standard)
                        .build(&patterns)
                })
                .ok();
        }
        set
    }

    pub fn len(&self) -> usize {
        self.iocs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.iocs.is_empty()
    }

    /// Pushes one detection per IOC found in `rec`.
    pub fn evaluate(&self, rec: &Record, out: &mut Vec<Detection>) {
        let mut hits: Vec<(usize, String, String)> = Vec::new();
        let mut ips = Vec::new();
        rec.visit_strings(&mut |field, value| {
            if let Some(ac) = &self.ac {
                for m in ac.find_overlapping_iter(value) {
                    let Some(&idx) = self.pattern_ioc.get(m.pattern().as_usize()) else {
                        continue;
                    };
                    let Some(ioc) = self.iocs.get(idx) else {
                        continue;
                    };
                    if boundary_ok(ioc.kind, value.as_bytes(), m.start(), m.end()) {
                        hits.push((idx, field.to_string(), value.to_string()));
                    }
                }
            }
            if !self.cidrs.is_empty() {
                ips.clear();
                net::find_ips(value, &mut ips);
                for ip in &ips {
                    for (c, idx) in &self.cidrs {
                        if c.contains(ip) {
                            hits.push((*idx, field.to_string(), value.to_string()));
                        }
                    }
                }
            }
        });
        if hits.is_empty() {
            return;
        }
        hits.sort_by_key(|h| h.0);
        // AND groups: every member must be present.
        let mut group_hits: HashMap<usize, Vec<usize>> = HashMap::new();
        for (idx, _, _) in &hits {
            if let Some(g) = self.iocs.get(*idx).and_then(|i| i.group) {
                let v = group_hits.entry(g).or_default();
                if !v.contains(idx) {
                    v.push(*idx);
                }
            }
        }
        let mut i = 0;
        while i < hits.len() {
            let idx = hits[i].0;
            let mut j = i;
            let mut matched: Vec<(String, String)> = Vec::new();
            while j < hits.len() && hits[j].0 == idx {
                let pair = (hits[j].1.clone(), hits[j].2.clone());
                if !matched.contains(&pair) {
                    matched.push(pair);
                }
                j += 1;
            }
            i = j;
            let Some(ioc) = self.iocs.get(idx) else {
                continue;
            };
            if let Some(g) = ioc.group {
                let need = self.groups.get(&g).copied().unwrap_or(0);
                if group_hits.get(&g).map_or(0, Vec::len) < need {
                    continue;
                }
            }
            let mut d = Detection::for_record(rec);
            d.rule_id = format!("ioc:{}", ioc.kind.name());
            d.rule_title = format!("IOC {} {} ({})", ioc.kind.name(), ioc.value, ioc.origin);
            d.level = ioc.level.clone();
            d.author = ioc.author.clone();
            d.tags = ioc.tags.clone();
            d.matched = matched;
            out.push(d);
        }
    }
}

/// A file path written with an environment variable (`%WINDIR%\System32\x.exe`,
/// as MISP events often do) never appears like that in logs, which hold the
/// expanded path (`C:\Windows\System32\x.exe`, `\SystemRoot\System32\...`):
/// the path after the variable is matched as well, wherever it sits.
fn filename_forms(v: &str) -> Vec<String> {
    let mut out = vec![v.to_string()];
    if let Some(rest) = v.strip_prefix('%')
        && let Some(close) = rest.find('%')
    {
        let tail = &rest[close + 1..];
        if tail.starts_with(['\\', '/']) && tail.len() > 1 {
            out.push(tail.to_string());
        }
    }
    out
}

/// Sysmon writes `HKLM\...`/`HKU\...`, Security 4657 `\REGISTRY\MACHINE\...`.
fn registry_forms(v: &str) -> Vec<String> {
    let mut out = vec![v.to_string()];
    let upper = v.to_ascii_uppercase();
    let swaps = [
        ("HKEY_LOCAL_MACHINE\\", "HKLM\\"),
        ("HKEY_CURRENT_USER\\", "HKCU\\"),
        ("HKEY_USERS\\", "HKU\\"),
        ("HKEY_CLASSES_ROOT\\", "HKCR\\"),
        ("HKLM\\", "\\REGISTRY\\MACHINE\\"),
        ("HKEY_LOCAL_MACHINE\\", "\\REGISTRY\\MACHINE\\"),
        ("HKU\\", "\\REGISTRY\\USER\\"),
    ];
    for (long, short) in swaps {
        if upper.starts_with(long) {
            out.push(format!("{short}{}", &v[long.len()..]));
        }
    }
    // HKCU keys appear under the user's SID in Sysmon (HKU\S-1-...\Software).
    for prefix in ["HKCU\\", "HKEY_CURRENT_USER\\"] {
        if upper.starts_with(prefix) {
            out.push(v[prefix.len()..].to_string());
        }
    }
    out
}

fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

fn is_host_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-'
}

/// Token-boundary checks per type, so `evil.com` does not match
/// `notevil.com` and an MD5 does not match inside a SHA-256.
fn boundary_ok(kind: IocType, s: &[u8], start: usize, end: usize) -> bool {
    let before = start.checked_sub(1).and_then(|i| s.get(i)).copied();
    let after = s.get(end).copied();
    match kind {
        IocType::Md5 | IocType::Sha1 | IocType::Sha256 => {
            !before.is_some_and(|b| b.is_ascii_alphanumeric())
                && !after.is_some_and(|b| b.is_ascii_alphanumeric())
        }
        IocType::Ipv4 | IocType::Ipv6 => {
            let bad =
                |b: u8| b.is_ascii_hexdigit() || b == b':' || b == b'.' && kind == IocType::Ipv6;
            let before_ok = !before.is_some_and(|b| {
                b.is_ascii_digit() || b == b'.' || (kind == IocType::Ipv6 && bad(b))
            });
            let after_digit =
                after.is_some_and(|b| b.is_ascii_digit() || (kind == IocType::Ipv6 && bad(b)));
            let after_dot_digit =
                after == Some(b'.') && s.get(end + 1).is_some_and(|b| b.is_ascii_digit());
            before_ok && !after_digit && !after_dot_digit
        }
        IocType::Domain => {
            // Subdomains match: the character before may be a '.' label
            // separator, but not part of a longer label.
            let before_ok = match before {
                None => true,
                Some(b'.') => start >= 2 && s.get(start - 2).is_some_and(|b| is_host_char(*b)),
                Some(b) => !is_host_char(b),
            };
            let after_ok = match after {
                None => true,
                Some(b'.') => !s.get(end + 1).is_some_and(|b| is_host_char(*b)),
                Some(b) => !is_host_char(b),
            };
            before_ok && after_ok
        }
        IocType::FileName => {
            // A pattern that starts with a separator (the tail of a path) is
            // at a boundary wherever it starts.
            let leading_sep = s.get(start).is_some_and(|b| matches!(b, b'\\' | b'/'));
            let before_ok = leading_sep || before.is_none_or(|b| {
                matches!(
                    b,
                    b'\\' | b'/' | b' ' | b'"' | b'\'' | b'=' | b':' | b'>' | b'\t' | b','
                )
            });
            let after_ok = after.is_none_or(|b| !(is_word(b) || b == b'.' || b == b'-'));
            before_ok && after_ok
        }
        IocType::RegistryKey => after.is_none_or(|b| b == b'\\' || !is_word(b)),
        IocType::Url | IocType::Cidr => true,
    }
}

/// Why an indicator is on the warning list, if it is.
fn warning_listed(ioc: &Ioc, opts: &IocOptions) -> Option<String> {
    match ioc.kind {
        IocType::Ipv4 | IocType::Ipv6 => {
            let ip: IpAddr = ioc.value.parse().ok()?;
            opts.exclude_nets
                .iter()
                .find(|n| n.contains(&ip))
                .map(|n| format!("in warning-list range {n}"))
        }
        IocType::Cidr => {
            let c = Cidr::parse(&ioc.value)?;
            opts.exclude_nets
                .iter()
                .find(|n| n.overlaps(&c))
                .map(|n| format!("overlaps warning-list range {n}"))
        }
        IocType::Domain => {
            let v = ioc.value.to_ascii_lowercase();
            opts.exclude_domains
                .iter()
                .find(|d| v == **d || v.ends_with(&format!(".{d}")))
                .map(|d| format!("warning-list domain {d}"))
        }
        IocType::FileName => {
            let v = ioc.value.to_ascii_lowercase();
            opts.exclude_filenames
                .iter()
                .find(|f| v == **f)
                .map(|f| format!("warning-list file name {f}"))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::record::RecordKind;
    use serde_json::Value;
    use std::sync::Arc;

    fn ioc(kind: IocType, v: &str) -> Ioc {
        Ioc {
            kind,
            value: v.into(),
            origin: "t".into(),
            author: String::new(),
            tags: vec![],
            level: "high".into(),
            group: None,
            markings: vec![],
        }
    }

    fn hits(set: &IocSet, text: &str) -> Vec<String> {
        let mut r = Record::new(Arc::from("x"), 1, RecordKind::Json);
        r.fields.insert("msg".into(), Value::String(text.into()));
        let mut out = Vec::new();
        set.evaluate(&r, &mut out);
        out.into_iter().map(|d| d.rule_title).collect()
    }

    #[test]
    fn boundaries() {
        let set = IocSet::build(
            vec![
                ioc(IocType::Domain, "evil.com"),
                ioc(IocType::Md5, "001dd76872d80801692ff942308c64e6"),
                ioc(IocType::Ipv4, "1.2.3.4"),
                ioc(IocType::Cidr, "223.166.0.0/15"),
                ioc(IocType::Ipv4, "10.1.1.1"),
                ioc(IocType::FileName, "mimikatz.exe"),
            ],
            &IocOptions::default(),
        );
        assert_eq!(set.len(), 5, "{:?}", set.dropped);
        assert_eq!(hits(&set, "GET http://a.b.EVIL.com/x").len(), 1);
        assert!(hits(&set, "notevil.com").is_empty());
        assert!(hits(&set, "evil.com.au").is_empty());
        assert_eq!(hits(&set, "hash 001DD76872D80801692FF942308C64E6").len(), 1);
        assert!(hits(&set, "001dd76872d80801692ff942308c64e6ab").is_empty());
        assert!(hits(&set, "11.2.3.45").is_empty());
        assert_eq!(hits(&set, "src=1.2.3.4:80").len(), 1);
        assert_eq!(hits(&set, "from 223.167.9.9 port").len(), 1);
        assert_eq!(hits(&set, r"C:\tools\Mimikatz.exe").len(), 1);
        assert!(hits(&set, r"C:\tools\notmimikatz.exe").is_empty());
    }
}
