//! MISP event JSON: attributes and object attributes marked `to_ids`.

use serde_json::Value;

use super::IocType;
use super::load::{Loaded, ioc, type_from_name, typed};

fn truthy(v: Option<&Value>) -> bool {
    match v {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => s == "1" || s.eq_ignore_ascii_case("true"),
        Some(Value::Number(n)) => n.as_i64() == Some(1),
        _ => false,
    }
}

/// Returns the number of MISP events found.
pub(super) fn load_misp(v: &Value, origin: &str, out: &mut Loaded) -> usize {
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
                        // The attribute's own TLP tag, else the event's.
                        i.markings = tlp_tags(a).or_else(|| tlp_tags(ev)).unwrap_or_default();
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

/// The `tlp:` tags of an event or attribute, if it has any.
fn tlp_tags(v: &Value) -> Option<Vec<String>> {
    let t: Vec<String> = v
        .get("Tag")?
        .as_array()?
        .iter()
        .filter_map(|t| t.get("name")?.as_str())
        .filter(|n| n.to_ascii_lowercase().starts_with("tlp:"))
        .map(str::to_string)
        .collect();
    (!t.is_empty()).then_some(t)
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
