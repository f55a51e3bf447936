//! Windows events: the EVTX JSON shape (`Event.System` / `Event.EventData`),
//! Winlogbeat (`winlog.*`) and Wazuh (`data.win.*`) into a flat [`Record`].

use std::sync::Arc;

use serde_json::{Map, Value};

use crate::record::{Record, RecordKind};
use crate::timeparse;

/// Builds a record from an EVTX-shaped value (`{"Event": {...}}`).
/// Returns `None` when the value does not have that shape.
pub fn from_evtx_json(v: Value, source: &Arc<str>, fallback_id: u64) -> Option<Record> {
    let Value::Object(mut root) = v else {
        return None;
    };
    let Some(Value::Object(mut event)) = root.remove("Event") else {
        return None;
    };
    let mut rec = Record::new(source.clone(), fallback_id, RecordKind::Windows);
    if let Some(Value::Object(system)) = event.remove("System") {
        flatten_system(system, &mut rec);
    }
    if let Some(data) = event.remove("EventData") {
        merge_data(data, &mut rec.fields);
    }
    if let Some(Value::Object(user)) = event.remove("UserData") {
        for (_, inner) in user {
            merge_data(inner, &mut rec.fields);
        }
    }
    finish(&mut rec);
    Some(rec)
}

fn take_attributes(v: Value) -> Option<Map<String, Value>> {
    match v {
        Value::Object(mut m) => match m.remove("#attributes") {
            Some(Value::Object(a)) => Some(a),
            _ => None,
        },
        _ => None,
    }
}

fn flatten_system(system: Map<String, Value>, rec: &mut Record) {
    for (k, v) in system {
        match k.as_str() {
            "Provider" => {
                for (ak, av) in take_attributes(v).unwrap_or_default() {
                    rec.fields.insert(format!("Provider_{ak}"), av);
                }
            }
            "TimeCreated" => {
                if let Some(Value::String(t)) =
                    take_attributes(v).and_then(|mut a| a.remove("SystemTime"))
                {
                    rec.timestamp = timeparse::parse_any(&t);
                    rec.fields.insert("TimeCreated".into(), Value::String(t));
                }
            }
            "Execution" | "Security" | "Correlation" => {
                let exec = k == "Execution";
                for (ak, av) in take_attributes(v).unwrap_or_default() {
                    let key = if exec { format!("Execution_{ak}") } else { ak };
                    rec.fields.insert(key, av);
                }
            }
            _ => {
                rec.fields.insert(k, unwrap_text(v));
            }
        }
    }
    if let Some(id) = rec.fields.get("EventRecordID").and_then(as_i64) {
        rec.record_id = u64::try_from(id).unwrap_or(rec.record_id);
    }
}

/// `{"#attributes": .., "#text": x}` -> `x`.
fn unwrap_text(v: Value) -> Value {
    match v {
        Value::Object(mut m) if m.contains_key("#text") => m.remove("#text").unwrap_or(Value::Null),
        other => other,
    }
}

fn merge_data(data: Value, out: &mut Map<String, Value>) {
    let Value::Object(map) = data else {
        if !data.is_null() {
            out.insert("Data".into(), data);
        }
        return;
    };
    for (k, v) in map {
        if k == "#attributes" {
            continue;
        }
        out.insert(k, unwrap_text(v));
    }
}

pub(crate) fn as_i64(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// Sets channel/computer/event id from the flat fields and picks the alias
/// table.
fn finish(rec: &mut Record) {
    if let Some(c) = rec.fields.get("Channel").and_then(Value::as_str) {
        rec.channel = c.to_string();
    }
    if let Some(c) = rec.fields.get("Computer").and_then(Value::as_str) {
        rec.computer = c.to_string();
    }
    rec.event_id = rec.fields.get("EventID").and_then(as_i64);
    rec.aliases = aliases_for(&rec.channel, rec.event_id);
}

/// Winlogbeat (`winlog.channel`, `winlog.event_data`) and Wazuh
/// (`data.win.system`, `data.win.eventdata`) events. The original nested
/// fields stay, and the event data is also copied to the top level so that
/// Sigma field names match.
pub fn from_shipper_json(mut obj: Map<String, Value>, rec: &mut Record) -> bool {
    if let Some(Value::Object(winlog)) = obj.get("winlog") {
        let winlog = winlog.clone();
        let Some(channel) = winlog.get("channel").and_then(Value::as_str) else {
            return false;
        };
        rec.channel = channel.to_string();
        rec.event_id = winlog.get("event_id").and_then(as_i64);
        rec.computer = winlog
            .get("computer_name")
            .and_then(Value::as_str)
            .map(str::to_string)
            .unwrap_or_default();
        if let Some(Value::Object(data)) = winlog.get("event_data") {
            for (k, v) in data {
                obj.entry(k.clone()).or_insert_with(|| v.clone());
            }
        }
        if let Some(p) = winlog.get("provider_name") {
            obj.entry("Provider_Name").or_insert_with(|| p.clone());
        }
    } else if let Some(win) = obj.get("data").and_then(|d| d.get("win")).cloned() {
        let Some(system) = win.get("system") else {
            return false;
        };
        let Some(channel) = system.get("channel").and_then(Value::as_str) else {
            return false;
        };
        rec.channel = channel.to_string();
        rec.event_id = system.get("eventID").and_then(as_i64);
        rec.computer = system
            .get("computer")
            .and_then(Value::as_str)
            .map(str::to_string)
            .unwrap_or_default();
        if let Some(Value::Object(data)) = win.get("eventdata") {
            for (k, v) in data {
                obj.entry(upper_first(k)).or_insert_with(|| v.clone());
            }
        }
        if let Some(p) = system.get("providerName") {
            obj.entry("Provider_Name").or_insert_with(|| p.clone());
        }
    } else {
        return false;
    }
    obj.entry("Channel")
        .or_insert_with(|| Value::String(rec.channel.clone()));
    if let Some(id) = rec.event_id {
        obj.entry("EventID").or_insert_with(|| Value::from(id));
    }
    obj.entry("Computer")
        .or_insert_with(|| Value::String(rec.computer.clone()));
    rec.fields = obj;
    rec.kind = RecordKind::Windows;
    rec.aliases = aliases_for(&rec.channel, rec.event_id);
    true
}

fn upper_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

type Aliases = &'static [(&'static str, &'static str)];

const SEC_4688: Aliases = &[
    ("Image", "NewProcessName"),
    ("ParentImage", "ParentProcessName"),
    ("User", "SubjectUserName"),
    ("LogonId", "SubjectLogonId"),
];
const SEC_4657: Aliases = &[
    ("TargetObject", "ObjectName"),
    ("Details", "NewValue"),
    ("Image", "ProcessName"),
];
const SEC_4663: Aliases = &[("TargetFilename", "ObjectName"), ("Image", "ProcessName")];
const SEC_5156: Aliases = &[
    ("Image", "Application"),
    ("DestinationIp", "DestAddress"),
    ("DestinationPort", "DestPort"),
    ("SourceIp", "SourceAddress"),
];
const PS_CLASSIC: Aliases = &[];

/// Field mapping from Sigma's (Sysmon) names to the native names of other
/// event sources. Documented in docs/hunt.md.
pub fn aliases_for(channel: &str, event_id: Option<i64>) -> Aliases {
    if channel.eq_ignore_ascii_case("Security") {
        return match event_id {
            Some(4688) => SEC_4688,
            Some(4657) => SEC_4657,
            Some(4656 | 4663) => SEC_4663,
            Some(5156 | 5157) => SEC_5156,
            _ => &[],
        };
    }
    PS_CLASSIC
}
