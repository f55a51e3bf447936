//! STIX 2.x bundles: indicators with simple comparison patterns joined by
//! OR/AND (`[ipv4-addr:value = '1.2.3.4' OR domain-name:value = 'x']`).

use std::sync::LazyLock;

use regex::Regex;
use serde_json::Value;

use super::IocType;
use super::load::{Loaded, ioc, typed};

pub(super) fn is_stix(v: &Value) -> bool {
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

pub(super) fn load_stix(v: &Value, origin: &str, out: &mut Loaded) {
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
        let markings: Vec<String> = o
            .get("object_marking_refs")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).map(str::to_string).collect())
            .unwrap_or_default();
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
                        i.markings = markings.clone();
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
