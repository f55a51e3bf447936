//! IOC file loaders: plain text (one per line, type recognised), CSV with a
//! type column, STIX 2.x bundles (indicators with simple comparison
//! patterns joined by OR/AND) and MISP event JSON (attributes and objects).
//!
//! Plain-text files may also carry warning-list lines: `!10.0.0.0/8`,
//! `!example.com` add exclusions, `!nodefault` drops the built-in list.

use std::path::{Path, PathBuf};
use std::sync::LazyLock;

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
    next_group: usize,
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
        if is_stix(&v) {
            load_stix(&v, &origin, out);
            return Ok(());
        }
        if load_misp(&v, &origin, out) == 0 {
            return Err(HuntError::parse(
                path,
                "JSON is neither a STIX bundle nor a MISP event",
            ));
        }
        return Ok(());
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

fn ioc(kind: IocType, value: &str, origin: &str) -> Ioc {
    Ioc {
        kind,
        value: value.to_string(),
        origin: origin.to_string(),
        author: String::new(),
        tags: Vec::new(),
        level: "high".into(),
        group: None,
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
fn typed(kind: IocType, raw: &str) -> Option<(IocType, String)> {
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

fn is_stix(v: &Value) -> bool {
    v.get("type").and_then(Value::as_str) == Some("bundle")
        || v.get("spec_version").is_some()
        || v.get("id")
            .and_then(Value::as_str)
            .is_some_and(|i| i.contains("--"))
        || v.get("type").and_then(Value::as_str) == Some("indicator")
        || v.get("objects").is_some_and(Value::is_array)
}

static STIX_CMP: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(r"([a-z0-9-]+):([A-Za-z0-9_.'\-\[\]*]+)\s*(=|!=|>=|<=|>|<|LIKE|MATCHES|IN|ISSUBSET|ISSUPERSET)\s*'((?:[^'\\]|\\.)*)'").ok()
});

/// STIX object path -> our type.
fn stix_path_type(object: &str, prop: &str) -> Option<IocType> {
    let prop = prop.replace('\'', "").to_ascii_lowercase();
    Some(match (object, prop.as_str()) {
        ("ipv4-addr", "value") => IocType::Ipv4,
        ("ipv6-addr", "value") => IocType::Ipv6,
        ("domain-name", "value") => IocType::Domain,
        ("url", "value") => IocType::Url,
        ("file", "name") => IocType::FileName,
        ("file", p) if p.starts_with("hashes.") => match &p[7..] {
            "md5" => IocType::Md5,
            "sha-1" | "sha1" => IocType::Sha1,
            "sha-256" | "sha256" => IocType::Sha256,
            _ => return None,
        },
        ("windows-registry-key", "key") => IocType::RegistryKey,
        _ => return None,
    })
}

fn load_stix(v: &Value, origin: &str, out: &mut Loaded) {
    let objects: Vec<&Value> = match v.get("objects").and_then(Value::as_array) {
        Some(a) => a.iter().collect(),
        None => vec![v],
    };
    let identities: std::collections::HashMap<&str, &str> = objects
        .iter()
        .filter(|o| o.get("type").and_then(Value::as_str) == Some("identity"))
        .filter_map(|o| Some((o.get("id")?.as_str()?, o.get("name")?.as_str()?)))
        .collect();
    for o in objects {
        if o.get("type").and_then(Value::as_str) != Some("indicator") {
            continue;
        }
        let id = o.get("id").and_then(Value::as_str).unwrap_or("indicator");
        let name = o.get("name").and_then(Value::as_str).unwrap_or(id);
        let Some(pattern) = o.get("pattern").and_then(Value::as_str) else {
            continue;
        };
        if o.get("pattern_type")
            .and_then(Value::as_str)
            .is_some_and(|t| t != "stix")
        {
            out.unsupported
                .push(format!("{origin}: {name}: pattern_type is not stix"));
            continue;
        }
        let author = o
            .get("created_by_ref")
            .and_then(Value::as_str)
            .and_then(|r| identities.get(r).copied())
            .unwrap_or("")
            .to_string();
        let mut tags: Vec<String> = Vec::new();
        for key in ["labels", "indicator_types"] {
            if let Some(a) = o.get(key).and_then(Value::as_array) {
                tags.extend(a.iter().filter_map(Value::as_str).map(str::to_string));
            }
        }
        match parse_stix_pattern(pattern) {
            Ok(groups) => {
                let label = format!("{origin}: {name}");
                for group in groups {
                    let gid = if group.len() > 1 {
                        out.next_group += 1;
                        Some(out.next_group)
                    } else {
                        None
                    };
                    for (kind, value) in group {
                        let mut i = ioc(kind, &value, &label);
                        i.author = author.clone();
                        i.tags = tags.clone();
                        i.group = gid;
                        out.iocs.push(i);
                    }
                }
            }
            Err(why) => out.unsupported.push(format!("{origin}: {name}: {why}")),
        }
    }
}

/// Parses `[a:b = 'x' OR c:d = 'y'] AND [...]` into OR-of-AND groups.
pub fn parse_stix_pattern(p: &str) -> Result<Vec<Vec<(IocType, String)>>, String> {
    for q in ["FOLLOWEDBY", "WITHIN", "REPEATS", "START ", " STOP "] {
        if p.contains(q) {
            return Err(format!("qualifier/operator {} not supported", q.trim()));
        }
    }
    let re = STIX_CMP.as_ref().ok_or("pattern regex unavailable")?;
    let mut groups: Vec<Vec<(IocType, String)>> = vec![Vec::new()];
    let mut last_end = 0;
    let mut any = false;
    for c in re.captures_iter(p) {
        let (Some(m), Some(obj), Some(prop), Some(op), Some(val)) =
            (c.get(0), c.get(1), c.get(2), c.get(3), c.get(4))
        else {
            continue;
        };
        let between = &p[last_end..m.start()];
        if any && between.contains(" OR ") {
            groups.push(Vec::new());
        } else if any && !between.contains(" AND ") {
            return Err("unsupported pattern structure".into());
        }
        if between.contains(" NOT ") || op.as_str() != "=" {
            return Err(format!("operator {} not supported", op.as_str()));
        }
        let kind = stix_path_type(obj.as_str(), prop.as_str()).ok_or_else(|| {
            format!(
                "object path {}:{} not supported",
                obj.as_str(),
                prop.as_str()
            )
        })?;
        let value = val.as_str().replace("\\'", "'").replace("\\\\", "\\");
        let (kind, value) = typed(kind, &value).ok_or_else(|| format!("bad value {value:?}"))?;
        if let Some(g) = groups.last_mut() {
            g.push((kind, value));
        }
        any = true;
        last_end = m.end();
    }
    if !any {
        return Err("no comparison found".into());
    }
    Ok(groups.into_iter().filter(|g| !g.is_empty()).collect())
}

fn truthy(v: Option<&Value>) -> bool {
    match v {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => s == "1" || s.eq_ignore_ascii_case("true"),
        Some(Value::Number(n)) => n.as_i64() == Some(1),
        _ => false,
    }
}

/// Returns the number of MISP events found.
fn load_misp(v: &Value, origin: &str, out: &mut Loaded) -> usize {
    let mut events: Vec<&Value> = Vec::new();
    collect_misp_events(v, &mut events, 0);
    let found = events.len();
    for ev in events {
        let info = ev
            .get("info")
            .and_then(Value::as_str)
            .unwrap_or("MISP event");
        let label = format!("{origin}: {info}");
        let author = ev
            .pointer("/Orgc/name")
            .or_else(|| ev.pointer("/Org/name"))
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let tags: Vec<String> = ev
            .get("Tag")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|t| t.get("name")?.as_str().map(str::to_string))
                    .take(10)
                    .collect()
            })
            .unwrap_or_default();
        let mut attrs: Vec<&Value> = ev
            .get("Attribute")
            .and_then(Value::as_array)
            .map(|a| a.iter().collect())
            .unwrap_or_default();
        if let Some(objs) = ev.get("Object").and_then(Value::as_array) {
            for o in objs {
                if let Some(a) = o.get("Attribute").and_then(Value::as_array) {
                    attrs.extend(a.iter());
                }
            }
        }
        for a in attrs {
            let t = a.get("type").and_then(Value::as_str).unwrap_or("");
            let val = a.get("value").and_then(Value::as_str).unwrap_or("");
            if !truthy(a.get("to_ids")) {
                out.unsupported
                    .push(format!("{label}: {t} {val:?}: to_ids is false"));
                continue;
            }
            let parts: Vec<(IocType, &str)> = match t {
                "domain|ip" => {
                    let (d, ip) = val.split_once('|').unwrap_or((val, ""));
                    vec![(IocType::Domain, d), (IocType::Ipv4, ip)]
                }
                "filename|md5" | "filename|sha1" | "filename|sha256" | "malware-sample" => {
                    let (f, h) = val.split_once('|').unwrap_or((val, ""));
                    let hk = match t.rsplit('|').next() {
                        Some("sha1") => IocType::Sha1,
                        Some("sha256") => IocType::Sha256,
                        _ => IocType::Md5,
                    };
                    vec![(IocType::FileName, f), (hk, h)]
                }
                "regkey|value" => vec![(IocType::RegistryKey, val.split('|').next().unwrap_or(""))],
                "uri" => Vec::new(),
                other => match type_from_name(other) {
                    Some(k) => vec![(k, val)],
                    None => Vec::new(),
                },
            };
            if parts.is_empty() {
                out.unsupported
                    .push(format!("{label}: attribute type {t} not supported"));
            }
            for (kind, value) in parts {
                match typed(kind, value) {
                    Some((kind, value)) => {
                        let mut i = ioc(kind, &value, &label);
                        i.author = author.clone();
                        i.tags = tags.clone();
                        out.iocs.push(i);
                    }
                    None => out
                        .unsupported
                        .push(format!("{label}: bad {t} value {value:?}")),
                }
            }
        }
    }
    found
}

fn collect_misp_events<'a>(v: &'a Value, out: &mut Vec<&'a Value>, depth: usize) {
    if depth > 4 {
        return;
    }
    match v {
        Value::Object(m) => {
            if let Some(ev) = m.get("Event") {
                out.push(ev);
            } else if let Some(r) = m.get("response") {
                collect_misp_events(r, out, depth + 1);
            } else if m.contains_key("Attribute")
                || m.contains_key("Object")
                || (m.contains_key("info")
                    && (m.contains_key("Tag") || m.contains_key("threat_level_id")))
            {
                out.push(v);
            }
        }
        Value::Array(a) => a
            .iter()
            .for_each(|x| collect_misp_events(x, out, depth + 1)),
        _ => {}
    }
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
