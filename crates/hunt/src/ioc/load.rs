//! IOC file loaders: plain text (one per line, type recognised), CSV with a
//! type column, STIX 2.x bundles (indicators with simple comparison
//! patterns joined by OR/AND) and MISP event JSON (attributes and objects).
//!
//! Plain-text files may also carry warning-list lines: `!10.0.0.0/8`,
//! `!example.com` add exclusions, `!nodefault` drops the built-in list.

use std::path::{Path, PathBuf};
use std::sync::LazyLock;

pub use super::stix::parse_stix_pattern;

use regex::Regex;
use serde_json::Value;

use super::net::Cidr;
use super::{Ioc, IocOptions, IocSet, IocType};
use crate::error::HuntError;

/// Everything read from IOC files.
#[derive(Debug, Default)]
pub struct Loaded {
    pub iocs: Vec<Ioc>,
    /// Entries that were read but not usable, with the reason.
    pub unsupported: Vec<String>,
    pub exclude_nets: Vec<Cidr>,
    pub exclude_domains: Vec<String>,
    pub no_default_warning_list: bool,
    pub(super) next_group: usize,
}

/// Loads IOC files and builds the set (warning list applied).
pub fn load_set(paths: &[PathBuf]) -> IocSet {
    let mut loaded = Loaded::default();
    let mut errors = Vec::new();
    let mut walk_errors = Vec::new();
    let files = crate::hunt::collect_inputs(paths, &mut walk_errors);
    errors.extend(walk_errors.into_iter().map(HuntError::Usage));
    for p in files {
        // Inside directories, only files that look like IOC lists.
        let explicit = paths.iter().any(|x| x == &p);
        let ext = p
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or("")
            .to_ascii_lowercase();
        if !explicit && !matches!(ext.as_str(), "json" | "txt" | "csv" | "ioc" | "stix") {
            continue;
        }
        match load_file(&p, &mut loaded) {
            Err(HuntError::Parse { path, message })
                if !explicit && message.starts_with("JSON is neither") =>
            {
                loaded
                    .unsupported
                    .push(format!("{}: {message}", path.display()));
            }
            Err(e) => errors.push(e),
            Ok(()) => {}
        }
    }
    let mut opts = if loaded.no_default_warning_list {
        IocOptions {
            exclude_nets: Vec::new(),
            exclude_domains: Vec::new(),
            exclude_filenames: Vec::new(),
        }
    } else {
        IocOptions::default()
    };
    opts.exclude_nets
        .extend(loaded.exclude_nets.iter().copied());
    opts.exclude_domains
        .extend(loaded.exclude_domains.iter().cloned());
    let mut set = IocSet::build(std::mem::take(&mut loaded.iocs), &opts);
    set.dropped.extend(loaded.unsupported);
    set.errors = errors;
    set
}

/// Reads one IOC file, recognising its format by content.
pub fn load_file(path: &Path, out: &mut Loaded) -> Result<(), HuntError> {
    let bytes = std::fs::read(path).map_err(|e| HuntError::io(path, e))?;
    let text = String::from_utf8_lossy(&bytes);
    let text = text.trim_start_matches('\u{feff}');
    let origin = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("ioc")
        .to_string();
    let t = text.trim_start();
    if t.starts_with('{') || t.starts_with('[') {
        let v: Value = serde_json::from_str(text).map_err(|e| {
            HuntError::parse(
                path,
                format!(
                    "invalid JSON at line {} column {}: {e}",
                    e.line(),
                    e.column()
                ),
            )
        })?;
        return load_json(&v, &origin, out).map_err(|m| HuntError::parse(path, m));
    }
    let first = t.lines().next().unwrap_or("").to_ascii_lowercase();
    let is_csv = path
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("csv"))
        || (first.contains(',')
            && first
                .split(',')
                .any(|c| c.trim().trim_matches('"') == "type"));
    if is_csv {
        load_csv(text, &origin, path, out)
    } else {
        load_text(text, &origin, out);
        Ok(())
    }
}

/// Reads the indicators of a parsed STIX bundle or MISP event (or list of events).
pub fn load_json(v: &Value, origin: &str, out: &mut Loaded) -> Result<(), &'static str> {
    if super::stix::is_stix(v) {
        super::stix::load_stix(v, origin, out);
        return Ok(());
    }
    if super::misp::load_misp(v, origin, out) == 0 {
        return Err("JSON is neither a STIX bundle nor a MISP event");
    }
    Ok(())
}

pub(super) fn ioc(kind: IocType, value: &str, origin: &str) -> Ioc {
    Ioc {
        kind,
        value: value.to_string(),
        origin: origin.to_string(),
        author: String::new(),
        tags: Vec::new(),
        level: "high".into(),
        group: None,
        markings: Vec::new(),
    }
}

/// Undoes common defanging: `hxxp`, `[.]`, `(.)`, `[:]`.
pub fn refang(s: &str) -> String {
    s.trim()
        .replace("[.]", ".")
        .replace("(.)", ".")
        .replace("{.}", ".")
        .replace("[:]", ":")
        .replace("hxxp", "http")
        .replace("hXXp", "http")
}

static DOMAIN: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(r"^(?i)(?:[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9])?\.)+(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})\.?$").ok()
});
static FILE_EXT: &[&str] = &[
    "exe", "dll", "sys", "ps1", "psm1", "bat", "cmd", "vbs", "vbe", "js", "jse", "hta", "scr",
    "lnk", "doc", "docx", "docm", "xls", "xlsx", "xlsm", "ppt", "pptx", "pdf", "rar", "7z", "iso",
    "img", "msi", "jar", "elf", "bin", "tmp", "dat", "cpl", "ocx", "wsf", "rtf", "apk", "dmg",
    "so", "php", "jsp", "aspx", "asp",
];

/// Recognises an indicator's type from its text.
pub fn classify(raw: &str) -> Option<(IocType, String)> {
    let v = refang(raw);
    let v = v.trim_matches(|c| c == '"' || c == '\'');
    if v.is_empty() || v.contains(char::is_whitespace) && !v.to_ascii_uppercase().starts_with("HK")
    {
        return None;
    }
    if Cidr::parse(v).is_some() {
        return Some((IocType::Cidr, v.to_string()));
    }
    let unbr = v.trim_start_matches('[').trim_end_matches(']');
    if let Ok(ip) = unbr.parse::<std::net::IpAddr>() {
        let kind = if ip.is_ipv4() {
            IocType::Ipv4
        } else {
            IocType::Ipv6
        };
        return Some((kind, ip.to_string()));
    }
    let lower = v.to_ascii_lowercase();
    if ["http://", "https://", "ftp://"]
        .iter()
        .any(|p| lower.starts_with(p))
    {
        return Some((IocType::Url, v.to_string()));
    }
    if v.bytes().all(|b| b.is_ascii_hexdigit()) {
        return match v.len() {
            32 => Some((IocType::Md5, lower)),
            40 => Some((IocType::Sha1, lower)),
            64 => Some((IocType::Sha256, lower)),
            _ => None,
        };
    }
    let upper = v.to_ascii_uppercase();
    if [
        "HKLM\\",
        "HKCU\\",
        "HKU\\",
        "HKCR\\",
        "HKEY_",
        "\\REGISTRY\\",
    ]
    .iter()
    .any(|p| upper.starts_with(p))
    {
        return Some((IocType::RegistryKey, v.to_string()));
    }
    if let Some((_, ext)) = lower.rsplit_once('.')
        && FILE_EXT.contains(&ext)
        && !lower.contains('/')
    {
        let name = v.rsplit(['\\']).next().unwrap_or(v);
        return Some((IocType::FileName, name.to_string()));
    }
    if DOMAIN.as_ref().is_some_and(|r| r.is_match(v)) {
        return Some((IocType::Domain, lower.trim_end_matches('.').to_string()));
    }
    None
}

fn load_text(text: &str, origin: &str, out: &mut Loaded) {
    for (n, line) in text.lines().enumerate() {
        let line = line.split(" #").next().unwrap_or("").trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with("//") {
            continue;
        }
        if let Some(ex) = line.strip_prefix('!') {
            let ex = ex.trim();
            if ex.eq_ignore_ascii_case("nodefault") {
                out.no_default_warning_list = true;
            } else if let Some(c) = Cidr::parse(ex) {
                out.exclude_nets.push(c);
            } else if let Ok(ip) = ex.parse::<std::net::IpAddr>() {
                out.exclude_nets.push(Cidr {
                    addr: ip,
                    prefix: if ip.is_ipv4() { 32 } else { 128 },
                });
            } else {
                out.exclude_domains.push(ex.to_ascii_lowercase());
            }
            continue;
        }
        match classify(line) {
            Some((kind, v)) => out.iocs.push(ioc(kind, &v, origin)),
            None => out.unsupported.push(format!(
                "{origin}:{}: unrecognised indicator {line:?}",
                n + 1
            )),
        }
    }
}

/// Maps a type name (CSV column, MISP attribute type) to our type.
pub fn type_from_name(name: &str) -> Option<IocType> {
    Some(match name.trim().to_ascii_lowercase().as_str() {
        "ip" | "ipv4" | "ipv4-addr" | "ip-dst" | "ip-src" | "ip-dst|port" | "ip-src|port" => {
            IocType::Ipv4
        }
        "ipv6" | "ipv6-addr" => IocType::Ipv6,
        "cidr" | "network" | "subnet" => IocType::Cidr,
        "domain" | "hostname" | "fqdn" | "domain-name" | "host" => IocType::Domain,
        "url" | "uri" => IocType::Url,
        "md5" => IocType::Md5,
        "sha1" | "sha-1" => IocType::Sha1,
        "sha256" | "sha-256" => IocType::Sha256,
        "filename" | "file" | "file-name" => IocType::FileName,
        "regkey" | "registry" | "registry-key" | "windows-registry-key" => IocType::RegistryKey,
        _ => return None,
    })
}

/// Normalises a value given its declared type (IP vs CIDR, v4 vs v6).
pub(super) fn typed(kind: IocType, raw: &str) -> Option<(IocType, String)> {
    let v = refang(raw);
    match kind {
        IocType::Ipv4 | IocType::Ipv6 | IocType::Cidr => {
            let v = v.split('|').next().unwrap_or("");
            match classify(v)? {
                (k @ (IocType::Ipv4 | IocType::Ipv6 | IocType::Cidr), v) => Some((k, v)),
                _ => None,
            }
        }
        IocType::Md5 | IocType::Sha1 | IocType::Sha256 => {
            let v = v.to_ascii_lowercase();
            match classify(&v)? {
                (k @ (IocType::Md5 | IocType::Sha1 | IocType::Sha256), v) => Some((k, v)),
                _ => None,
            }
        }
        IocType::Domain => Some((
            IocType::Domain,
            v.to_ascii_lowercase().trim_end_matches('.').to_string(),
        ))
        .filter(|(_, v)| !v.is_empty() && !v.contains(' ')),
        _ => Some((kind, v)).filter(|(_, v)| !v.is_empty()),
    }
}

fn split_csv_line(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            '"' => quoted = !quoted,
            ',' if !quoted => out.push(std::mem::take(&mut cur)),
            _ => cur.push(c),
        }
    }
    out.push(cur);
    out
}

fn load_csv(text: &str, origin: &str, path: &Path, out: &mut Loaded) -> Result<(), HuntError> {
    let mut lines = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty());
    let Some((_, header)) = lines.next() else {
        return Ok(());
    };
    let cols: Vec<String> = split_csv_line(header)
        .iter()
        .map(|c| c.trim().to_ascii_lowercase())
        .collect();
    let find = |names: &[&str]| cols.iter().position(|c| names.contains(&c.as_str()));
    let type_col = find(&["type", "ioc_type", "indicator_type", "kind"]);
    let value_col = find(&["value", "indicator", "ioc", "observable"]);
    let (Some(tc), Some(vc)) = (type_col, value_col) else {
        return Err(HuntError::parse(
            path,
            "CSV needs a header with 'type' and 'value' columns",
        ));
    };
    let tag_col = find(&["tags", "tag", "comment", "description"]);
    for (n, line) in lines {
        let row = split_csv_line(line);
        let (Some(t), Some(v)) = (row.get(tc), row.get(vc)) else {
            out.unsupported
                .push(format!("{origin}:{}: short row", n + 1));
            continue;
        };
        let parsed = match type_from_name(t) {
            Some(kind) => typed(kind, v),
            None => None,
        };
        match parsed {
            Some((kind, value)) => {
                let mut i = ioc(kind, &value, origin);
                if let Some(tag) = tag_col.and_then(|c| row.get(c)).filter(|t| !t.is_empty()) {
                    i.tags.push(tag.clone());
                }
                out.iocs.push(i);
            }
            None => out.unsupported.push(format!(
                "{origin}:{}: unsupported type {t:?} / value {v:?}",
                n + 1
            )),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn classify_types() {
        assert_eq!(classify("1.2.3.4").unwrap().0, IocType::Ipv4);
        assert_eq!(classify("10.0.0.0/8").unwrap().0, IocType::Cidr);
        assert_eq!(
            classify("evil[.]com").unwrap(),
            (IocType::Domain, "evil.com".into())
        );
        assert_eq!(classify("hxxps://evil.com/a").unwrap().0, IocType::Url);
        assert_eq!(
            classify("001DD76872D80801692FF942308C64E6").unwrap().0,
            IocType::Md5
        );
        assert_eq!(classify("mimikatz.exe").unwrap().0, IocType::FileName);
        assert_eq!(
            classify(r"HKLM\Software\Evil").unwrap().0,
            IocType::RegistryKey
        );
        assert_eq!(classify("2001:db8::1").unwrap().0, IocType::Ipv6);
        assert!(classify("not an ioc").is_none());
    }

    #[test]
    fn stix_patterns() {
        let g = parse_stix_pattern("[domain-name:value = 'a.com' OR ipv4-addr:value = '1.2.3.4']")
            .unwrap();
        assert_eq!(g.len(), 2);
        let g = parse_stix_pattern("[file:hashes.'SHA-256' = 'aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f' AND file:name = 'x.exe']").unwrap();
        assert_eq!(g.len(), 1);
        assert_eq!(g[0].len(), 2);
        assert!(parse_stix_pattern("[x509-certificate:issuer = 'CN=WEBMAIL']").is_err());
        assert!(
            parse_stix_pattern(
                "[ipv4-addr:value = '1.2.3.4'] FOLLOWEDBY [ipv4-addr:value = '5.6.7.8']"
            )
            .is_err()
        );
    }
}
