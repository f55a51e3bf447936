//! Web server access logs: Apache/Nginx common and combined (CLF), and IIS
//! W3C extended (header-driven `#Fields:`). Field names follow Sigma's
//! `webserver` taxonomy (`c-ip`, `cs-method`, `cs-uri-stem`, `cs-uri-query`,
//! `sc-status`, `cs-user-agent`, `cs-referer`, ...).

use std::path::Path;
use std::sync::{Arc, LazyLock};

use regex::Regex;
use serde_json::{Map, Value};

use super::{ReadStats, for_each_line};
use crate::error::HuntError;
use crate::record::{Record, RecordKind};
use crate::timeparse;

static CLF: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(r#"^(\S+) (\S+) (\S+) \[([^\]]+)\] "(.*?)" (\d{3}|-) (\d+|-)(?: "((?:[^"\\]|\\.)*)" "((?:[^"\\]|\\.)*)")?"#).ok()
});

/// Parses a common/combined log line into its fields.
pub fn parse_clf_line(line: &str) -> Option<Map<String, Value>> {
    let c = CLF.as_ref()?.captures(line)?;
    let mut f = Map::new();
    let mut put = |k: &str, v: Option<&str>| {
        if let Some(v) = v.filter(|v| !v.is_empty() && *v != "-") {
            f.insert(k.into(), Value::String(v.into()));
        }
    };
    put("c-ip", c.get(1).map(|m| m.as_str()));
    put("cs-username", c.get(3).map(|m| m.as_str()));
    put("date", c.get(4).map(|m| m.as_str()));
    let request = c.get(5).map_or("", |m| m.as_str());
    put("request", Some(request));
    let mut parts = request.splitn(3, ' ');
    let (method, uri, version) = (parts.next(), parts.next(), parts.next());
    if uri.is_some() {
        put("cs-method", method);
        put("cs-version", version);
        split_uri(uri.unwrap_or(""), &mut put);
    }
    put("sc-status", c.get(6).map(|m| m.as_str()));
    put("sc-bytes", c.get(7).map(|m| m.as_str()));
    put("cs-referer", c.get(8).map(|m| m.as_str()));
    put("cs-user-agent", c.get(9).map(|m| m.as_str()));
    put("c-useragent", c.get(9).map(|m| m.as_str()));
    Some(f)
}

fn split_uri(uri: &str, put: &mut dyn FnMut(&str, Option<&str>)) {
    put("c-uri", Some(uri));
    match uri.split_once('?') {
        Some((stem, q)) => {
            put("cs-uri-stem", Some(stem));
            put("cs-uri-query", Some(q));
        }
        None => put("cs-uri-stem", Some(uri)),
    }
}

pub fn read(path: &Path, sink: &mut dyn FnMut(Record)) -> Result<ReadStats, HuntError> {
    let source: Arc<str> = Arc::from(path.display().to_string());
    let mut stats = ReadStats::default();
    let mut iis_fields: Option<Vec<String>> = None;
    for_each_line(path, |n, line| {
        if line.trim().is_empty() {
            return;
        }
        if let Some(h) = line.strip_prefix("#Fields:") {
            iis_fields = Some(h.split_whitespace().map(iis_name).collect());
            return;
        }
        if line.starts_with('#') {
            return;
        }
        let parsed = match &iis_fields {
            Some(names) => parse_iis_line(names, line, &source, n),
            None => parse_clf_line(line).map(|f| clf_record(f, &source, n)),
        };
        match parsed {
            Some(r) => {
                stats.events += 1;
                sink(r);
            }
            None => stats.skip(|| format!("{source}:{n}: not an access log line")),
        }
    })?;
    Ok(stats)
}

fn clf_record(f: Map<String, Value>, source: &Arc<str>, n: u64) -> Record {
    let mut rec = Record::new(source.clone(), n, RecordKind::Web);
    rec.timestamp = f
        .get("date")
        .and_then(Value::as_str)
        .and_then(timeparse::parse_clf);
    rec.channel = "access".into();
    rec.fields = f;
    rec
}

/// IIS names with Sigma's spelling: `cs(User-Agent)` -> `cs-user-agent`.
fn iis_name(raw: &str) -> String {
    match raw {
        "cs(User-Agent)" => "cs-user-agent".into(),
        "cs(Referer)" => "cs-referer".into(),
        "cs(Cookie)" => "cs-cookie".into(),
        "cs-host" | "cs(Host)" => "cs-host".into(),
        other => other.to_string(),
    }
}

fn parse_iis_line(names: &[String], line: &str, source: &Arc<str>, n: u64) -> Option<Record> {
    let values: Vec<&str> = line.split(' ').collect();
    if values.len() != names.len() {
        return None;
    }
    let mut rec = Record::new(source.clone(), n, RecordKind::Web);
    let mut f = Map::new();
    for (k, v) in names.iter().zip(values) {
        if v == "-" {
            continue;
        }
        let v = if k == "cs-user-agent" {
            v.replace('+', " ")
        } else {
            v.to_string()
        };
        f.insert(k.clone(), Value::String(v));
    }
    if let (Some(d), Some(t)) = (
        f.get("date").and_then(Value::as_str),
        f.get("time").and_then(Value::as_str),
    ) {
        rec.timestamp = timeparse::parse_any(&format!("{d} {t}"));
    }
    let stem = f.get("cs-uri-stem").and_then(Value::as_str).unwrap_or("");
    let uri = match f.get("cs-uri-query").and_then(Value::as_str) {
        Some(q) => format!("{stem}?{q}"),
        None => stem.to_string(),
    };
    f.insert("c-uri".into(), Value::String(uri));
    if let Some(ua) = f.get("cs-user-agent").cloned() {
        f.insert("c-useragent".into(), ua);
    }
    rec.computer = f
        .get("s-computername")
        .or_else(|| f.get("s-ip"))
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    rec.channel = "iis".into();
    rec.fields = f;
    Some(rec)
}
