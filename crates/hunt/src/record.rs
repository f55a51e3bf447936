//! The normalised event every reader produces, and its view for Sigma.

use std::borrow::Cow;
use std::sync::Arc;

use rsigma_eval::event::{Event, EventValue};
use serde_json::{Map, Value};
use time::Timestamp;

/// Which family of log a record came from. It decides which Sigma rules
/// apply (see [`crate::sigma::logsource`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordKind {
    /// A Windows event (EVTX, or JSON in the EVTX/Winlogbeat/Wazuh shape).
    Windows,
    /// A syslog / Linux auth log line.
    Syslog,
    /// A web server access log line (Apache/Nginx/IIS).
    Web,
    /// Any other JSON object.
    Json,
}

/// One event, whatever its source format.
#[derive(Debug, Clone)]
pub struct Record {
    pub timestamp: Option<Timestamp>,
    /// File the record was read from.
    pub source: Arc<str>,
    /// EVTX EventRecordID, or the 1-based line number for text logs.
    pub record_id: u64,
    pub computer: String,
    /// Windows channel, syslog program, or web server kind.
    pub channel: String,
    pub event_id: Option<i64>,
    pub kind: RecordKind,
    /// The event's fields. Windows `EventData`/`UserData` members and the
    /// `System` fields sit at the top level; other JSON keeps its nesting
    /// (looked up by dotted path).
    pub fields: Map<String, Value>,
    /// Sigma field name -> event field name, tried when a field is absent
    /// (e.g. `Image` -> `NewProcessName` for Security 4688).
    pub aliases: &'static [(&'static str, &'static str)],
}

impl Record {
    pub fn new(source: Arc<str>, record_id: u64, kind: RecordKind) -> Self {
        Record {
            timestamp: None,
            source,
            record_id,
            computer: String::new(),
            channel: String::new(),
            event_id: None,
            kind,
            fields: Map::new(),
            aliases: &[],
        }
    }

    /// Field lookup: exact key, then dotted path, then alias, then a
    /// case-insensitive top-level key.
    pub fn get(&self, path: &str) -> Option<&Value> {
        if self.fields.len() <= SCAN_MAX {
            return self.get_scan(path);
        }
        if let Some(v) = lookup(&self.fields, path) {
            return Some(v);
        }
        for (sigma, real) in self.aliases {
            if *sigma == path
                && let Some(v) = lookup(&self.fields, real)
            {
                return Some(v);
            }
        }
        self.fields
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(path))
            .map(|(_, v)| v)
            .or_else(|| self.get_spaced(path))
    }

    /// Windows Defender (and some other providers) name their event data
    /// with spaces (`Threat Name`, `Process Name`); Sigma rules write them
    /// without (`ThreatName`), as SigmaHQ's own tooling strips them. A key
    /// with spaces matches the name written without them, case-insensitively.
    fn get_spaced(&self, path: &str) -> Option<&Value> {
        if path.contains(' ') {
            return None;
        }
        self.fields
            .iter()
            .find(|(k, _)| k.len() > path.len() && k.contains(' ') && eq_without_spaces(k, path))
            .map(|(_, v)| v)
    }

    /// [`Record::get`] for records with few fields: one pass over the keys
    /// (comparing lengths first) finds the exact key, or else remembers the
    /// first case-insensitive one. Cheaper than hashing the name, and the
    /// rules look up many names an event does not have.
    fn get_scan(&self, path: &str) -> Option<&Value> {
        let mut folded = None;
        for (k, v) in &self.fields {
            if k.len() == path.len() {
                if k == path {
                    return Some(v);
                }
                if folded.is_none() && k.eq_ignore_ascii_case(path) {
                    folded = Some(v);
                }
            }
        }
        if path.contains('.')
            && let Some(v) = lookup(&self.fields, path)
        {
            return Some(v);
        }
        for (sigma, real) in self.aliases {
            if *sigma == path
                && let Some(v) = self.fields.iter().find(|(k, _)| k == real).map(|(_, v)| v)
            {
                return Some(v);
            }
        }
        folded.or_else(|| self.get_spaced(path))
    }

    /// Calls `f(field_path, string_value)` for every string (and number)
    /// value in the record, depth first.
    pub fn visit_strings(&self, f: &mut dyn FnMut(&str, &str)) {
        let mut path = String::new();
        for (k, v) in &self.fields {
            path.clear();
            path.push_str(k);
            visit_value(&mut path, v, f, 0);
        }
    }
}

fn visit_value(path: &mut String, v: &Value, f: &mut dyn FnMut(&str, &str), depth: usize) {
    if depth > 32 {
        return;
    }
    match v {
        Value::String(s) => f(path, s),
        Value::Number(n) => f(path, &n.to_string()),
        Value::Array(items) => {
            for item in items {
                visit_value(path, item, f, depth + 1);
            }
        }
        Value::Object(map) => {
            let base = path.len();
            for (k, item) in map {
                path.truncate(base);
                path.push('.');
                path.push_str(k);
                visit_value(path, item, f, depth + 1);
            }
            path.truncate(base);
        }
        Value::Bool(_) | Value::Null => {}
    }
}

fn eq_without_spaces(spaced: &str, name: &str) -> bool {
    let mut a = spaced.bytes().filter(|b| *b != b' ');
    let mut b = name.bytes();
    loop {
        match (a.next(), b.next()) {
            (None, None) => return true,
            (Some(x), Some(y)) if x.eq_ignore_ascii_case(&y) => {}
            _ => return false,
        }
    }
}

fn lookup<'a>(fields: &'a Map<String, Value>, path: &str) -> Option<&'a Value> {
    if let Some(v) = fields.get(path) {
        return Some(v);
    }
    if !path.contains('.') {
        return None;
    }
    let mut parts = path.split('.');
    let mut cur = fields.get(parts.next()?)?;
    for part in parts {
        cur = match cur {
            Value::Object(m) => m.get(part)?,
            Value::Array(a) => a.get(part.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(cur)
}

/// Records with at most this many top-level fields are searched by a scan
/// of the keys rather than by hash (see [`Record::get`]).
const SCAN_MAX: usize = 48;

/// Sigma's view of a [`Record`].
pub struct SigmaView<'a>(pub &'a Record);

fn any_string(v: &Value, pred: &dyn Fn(&str) -> bool, depth: usize) -> bool {
    if depth > 32 {
        return false;
    }
    match v {
        Value::String(s) => pred(s),
        Value::Array(a) => a.iter().any(|x| any_string(x, pred, depth + 1)),
        Value::Object(m) => m.values().any(|x| any_string(x, pred, depth + 1)),
        _ => false,
    }
}

impl Event for SigmaView<'_> {
    fn get_field(&self, path: &str) -> Option<EventValue<'_>> {
        self.0.get(path).map(EventValue::from)
    }

    fn any_string_value(&self, pred: &dyn Fn(&str) -> bool) -> bool {
        self.0.fields.values().any(|v| any_string(v, pred, 0))
    }

    fn all_string_values(&self) -> Vec<Cow<'_, str>> {
        let mut out = Vec::new();
        for v in self.0.fields.values() {
            collect_strings(v, &mut out, 0);
        }
        out
    }

    fn to_json(&self) -> Value {
        Value::Object(self.0.fields.clone())
    }
}

fn collect_strings<'a>(v: &'a Value, out: &mut Vec<Cow<'a, str>>, depth: usize) {
    if depth > 32 {
        return;
    }
    match v {
        Value::String(s) => out.push(Cow::Borrowed(s.as_str())),
        Value::Array(a) => a.iter().for_each(|x| collect_strings(x, out, depth + 1)),
        Value::Object(m) => m.values().for_each(|x| collect_strings(x, out, depth + 1)),
        _ => {}
    }
}

/// Renders a JSON value as a plain string (strings without quotes).
pub fn value_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}
