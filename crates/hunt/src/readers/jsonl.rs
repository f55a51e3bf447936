//! JSON input: JSON Lines, or one JSON document (object, array of objects,
//! or concatenated objects). EVTX-shaped, Winlogbeat and Wazuh events become
//! Windows records; anything else is a generic record addressed by dotted
//! paths.

use std::fs::File;
use std::io::BufReader;
use std::path::Path;
use std::sync::Arc;

use serde_json::{Map, Value};

use super::windows::{aliases_for, as_i64, from_evtx_json, from_shipper_json};
use super::{ReadStats, for_each_line};
use crate::error::HuntError;
use crate::record::{Record, RecordKind};
use crate::timeparse;

pub fn read(path: &Path, sink: &mut dyn FnMut(Record)) -> Result<ReadStats, HuntError> {
    let source: Arc<str> = Arc::from(path.display().to_string());
    let mut stats = ReadStats::default();
    // Line mode when the first non-empty line is a whole JSON value.
    let line_mode = first_line_is_json(path)?;
    if line_mode {
        for_each_line(path, |n, line| {
            if line.trim().is_empty() {
                return;
            }
            match serde_json::from_str::<Value>(line) {
                Ok(v) => emit(v, &source, n, &mut stats, sink),
                Err(e) => stats.skip(|| format!("{source}:{n}: invalid JSON: {e}")),
            }
        })?;
        return Ok(stats);
    }
    let file = File::open(path).map_err(|e| HuntError::io(path, e))?;
    let mut reader = BufReader::with_capacity(1 << 16, file);
    let is_array =
        skip_bom_and_space(&mut reader).map_err(|e| HuntError::io(path, e))? == Some(b'[');
    let mut n = 0u64;
    if is_array {
        // Elements are handed over one at a time: a huge array is never
        // held in memory.
        let mut de = serde_json::Deserializer::from_reader(reader);
        let mut each = |v: Value| {
            n += 1;
            emit(v, &source, n, &mut stats, sink);
        };
        if let Err(e) = serde::de::DeserializeSeed::deserialize(ArrayElements(&mut each), &mut de) {
            stats.skip(|| format!("{source}:{}: invalid JSON: {e}", e.line()));
        }
        return Ok(stats);
    }
    for item in serde_json::Deserializer::from_reader(reader).into_iter::<Value>() {
        match item {
            Ok(v) => {
                n += 1;
                emit(v, &source, n, &mut stats, sink);
            }
            Err(e) => {
                stats.skip(|| format!("{source}:{}: invalid JSON: {e}", e.line()));
                break;
            }
        }
    }
    Ok(stats)
}

/// Skips a UTF-8 BOM and leading white space; returns the next byte.
fn skip_bom_and_space(r: &mut BufReader<File>) -> std::io::Result<Option<u8>> {
    use std::io::BufRead;
    let mut first = true;
    loop {
        let buf = r.fill_buf()?;
        if buf.is_empty() {
            return Ok(None);
        }
        if first && buf.starts_with(b"\xEF\xBB\xBF") {
            r.consume(3);
            first = false;
            continue;
        }
        first = false;
        let ws = buf.iter().take_while(|b| b.is_ascii_whitespace()).count();
        if ws < buf.len() {
            let next = buf[ws];
            r.consume(ws);
            return Ok(Some(next));
        }
        let len = buf.len();
        r.consume(len);
    }
}

/// Streams the elements of a top-level JSON array to a callback.
struct ArrayElements<'a>(&'a mut dyn FnMut(Value));

impl<'de> serde::de::DeserializeSeed<'de> for ArrayElements<'_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> serde::de::Visitor<'de> for ArrayElements<'_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON array")
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(v) = seq.next_element::<Value>()? {
            (self.0)(v);
        }
        Ok(())
    }
}

fn first_line_is_json(path: &Path) -> Result<bool, HuntError> {
    use std::io::BufRead;
    let file = File::open(path).map_err(|e| HuntError::io(path, e))?;
    let mut reader = BufReader::new(file);
    let mut buf = Vec::new();
    for _ in 0..64 {
        buf.clear();
        // Bounded: a one-line multi-GB document must not be read here.
        match std::io::Read::take(&mut reader, super::MAX_LINE as u64).read_until(b'\n', &mut buf) {
            Ok(0) => return Ok(false),
            Ok(_) => {}
            Err(_) => return Ok(false),
        }
        if buf.len() >= super::MAX_LINE && !buf.ends_with(b"\n") {
            return Ok(false);
        }
        let Ok(line) = std::str::from_utf8(&buf) else {
            return Ok(false);
        };
        let t = line.trim().trim_start_matches('\u{feff}');
        if t.is_empty() {
            continue;
        }
        return Ok(t.starts_with('{') && serde_json::from_str::<Value>(t).is_ok());
    }
    Ok(false)
}

fn emit(v: Value, source: &Arc<str>, n: u64, stats: &mut ReadStats, sink: &mut dyn FnMut(Record)) {
    match to_record(v, source, n) {
        Some(r) => {
            stats.events += 1;
            sink(r);
        }
        None => stats.skip(|| format!("{source}:{n}: not a JSON object")),
    }
}

const TIME_KEYS: &[&str] = &[
    "@timestamp",
    "timestamp",
    "TimeCreated",
    "UtcTime",
    "EventTime",
    "time",
    "eventTime",
    "date",
    "ts",
];
const HOST_KEYS: &[&str] = &[
    "Computer",
    "hostname",
    "host.name",
    "host",
    "agent.name",
    "Hostname",
];

/// Converts one parsed JSON value into a record.
pub fn to_record(v: Value, source: &Arc<str>, n: u64) -> Option<Record> {
    if v.get("Event").and_then(|e| e.get("System")).is_some() {
        return from_evtx_json(v, source, n);
    }
    let Value::Object(obj) = v else {
        return None;
    };
    let mut rec = Record::new(source.clone(), n, RecordKind::Json);
    let shipper =
        obj.contains_key("winlog") || obj.get("data").is_some_and(|d| d.get("win").is_some());
    if !(shipper && from_shipper_json(obj.clone(), &mut rec)) {
        generic(obj, &mut rec);
    }
    if rec.timestamp.is_none() {
        rec.timestamp = TIME_KEYS
            .iter()
            .find_map(|k| {
                rec.get(k)
                    .map(crate::record::value_text)
                    .and_then(|t| timeparse::parse_any(&t))
            })
            .or_else(|| {
                rec.get("winlog.time_created")
                    .and_then(Value::as_str)
                    .and_then(timeparse::parse_any)
            });
    }
    if rec.computer.is_empty() {
        rec.computer = HOST_KEYS
            .iter()
            .find_map(|k| rec.get(k).and_then(Value::as_str).map(str::to_string))
            .unwrap_or_default();
    }
    Some(rec)
}

fn generic(obj: Map<String, Value>, rec: &mut Record) {
    rec.fields = obj;
    // Flat Windows events (NXLog, Sysmon-as-JSON) carry Channel + EventID.
    let channel = rec
        .fields
        .get("Channel")
        .and_then(Value::as_str)
        .map(str::to_string);
    let eid = rec.fields.get("EventID").and_then(as_i64);
    if let (Some(c), Some(id)) = (channel, eid) {
        rec.kind = RecordKind::Windows;
        rec.aliases = aliases_for(&c, Some(id));
        rec.channel = c;
        rec.event_id = Some(id);
        if let Some(t) = rec.fields.get("TimeCreated").and_then(|t| {
            t.as_str().map(str::to_string).or_else(|| {
                t.pointer("/#attributes/SystemTime")
                    .and_then(Value::as_str)
                    .map(str::to_string)
            })
        }) {
            rec.timestamp = timeparse::parse_any(&t);
        }
    } else {
        rec.channel = ["log.file.path", "source", "program", "type"]
            .iter()
            .find_map(|k| rec.get(k).and_then(Value::as_str).map(str::to_string))
            .unwrap_or_default();
        rec.event_id = rec.get("EventID").and_then(as_i64);
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use serde_json::json;

    fn rec(v: Value) -> Record {
        to_record(v, &Arc::from("t.json"), 7).unwrap()
    }

    #[test]
    fn shapes() {
        let wlb = rec(json!({
            "@timestamp": "2024-05-01T10:00:00.000Z",
            "host": {"name": "ws1"},
            "winlog": {"channel": "Microsoft-Windows-Sysmon/Operational", "event_id": 1, "computer_name": "ws1.corp",
                       "event_data": {"Image": "C:\\x\\cmd.exe", "CommandLine": "cmd /c whoami"}}
        }));
        assert_eq!(wlb.kind, RecordKind::Windows);
        assert_eq!(wlb.event_id, Some(1));
        assert_eq!(wlb.computer, "ws1.corp");
        assert_eq!(
            wlb.get("Image").and_then(Value::as_str),
            Some("C:\\x\\cmd.exe")
        );
        assert_eq!(
            wlb.get("winlog.event_data.CommandLine")
                .and_then(Value::as_str),
            Some("cmd /c whoami")
        );
        assert_eq!(
            crate::timeparse::format(&wlb.timestamp.unwrap()),
            "2024-05-01T10:00:00Z"
        );

        let wazuh = rec(json!({
            "timestamp": "2024-05-01T10:00:00.000+0000",
            "agent": {"name": "dc1"},
            "data": {"win": {"system": {"channel": "Security", "eventID": "4688", "computer": "dc1.corp"},
                             "eventdata": {"newProcessName": "C:\\Windows\\System32\\whoami.exe"}}}
        }));
        assert_eq!(wazuh.kind, RecordKind::Windows);
        assert_eq!(wazuh.event_id, Some(4688));
        assert_eq!(
            wazuh.get("Image").and_then(Value::as_str),
            Some("C:\\Windows\\System32\\whoami.exe")
        );

        let flat = rec(
            json!({"Channel": "Security", "EventID": 4624, "Computer": "dc1", "TargetUserName": "bob"}),
        );
        assert_eq!(flat.kind, RecordKind::Windows);
        assert_eq!(flat.computer, "dc1");

        let generic = rec(
            json!({"ts": 1714557600, "hostname": "web1", "http": {"request": {"method": "GET"}}}),
        );
        assert_eq!(generic.kind, RecordKind::Json);
        assert_eq!(generic.computer, "web1");
        assert_eq!(
            generic.get("http.request.method").and_then(Value::as_str),
            Some("GET")
        );
        assert_eq!(
            crate::timeparse::format(&generic.timestamp.unwrap()),
            "2024-05-01T10:00:00Z"
        );
    }
}

#[cfg(test)]
mod file_tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn array_document_with_bom_is_streamed() {
        let p = std::env::temp_dir().join(format!("khien-jsonl-{}.json", std::process::id()));
        std::fs::write(
            &p,
            "\u{feff}\n  [\n {\"a\": 1},\n {\"b\": {\"c\": 2}},\n 7\n]\n",
        )
        .unwrap();
        let mut got = Vec::new();
        let st = read(&p, &mut |r| got.push(r.record_id)).unwrap();
        assert_eq!(got, vec![1, 2]);
        assert_eq!(st.skipped, 1);
        std::fs::write(&p, "{\"a\": 1}\n{\"a\":\n 2}\n").unwrap();
        let mut n = 0;
        let st = read(&p, &mut |_| n += 1).unwrap();
        // Line mode (the first line is a whole value): broken lines are skipped.
        assert_eq!((n, st.skipped), (1, 2));
        let _ = std::fs::remove_file(&p);
    }
}
