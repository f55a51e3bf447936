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

/// Builds a record straight from the JSON text of an EVTX record, without
/// building the whole document as a `Value` first. Gives the same record as
/// [`from_evtx_json`] on the parsed value (`System` comes before
/// `EventData`/`UserData` in every EVTX record). `Ok(None)` when there is no
/// `Event` object.
pub fn from_evtx_json_bytes(
    json: &[u8],
    source: &Arc<str>,
    fallback_id: u64,
) -> Result<Option<Record>, serde_json::Error> {
    let mut rec = Record::new(source.clone(), fallback_id, RecordKind::Windows);
    let mut de = serde_json::Deserializer::from_slice(json);
    let found = serde::de::DeserializeSeed::deserialize(fast::Root(&mut rec), &mut de)?;
    de.end()?;
    if !found {
        return Ok(None);
    }
    finish(&mut rec);
    Ok(Some(rec))
}

/// Streaming visitors for [`from_evtx_json_bytes`].
mod fast {
    use std::fmt;

    use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};
    use serde_json::Value;

    use super::unwrap_text;
    use crate::record::Record;
    use crate::timeparse;

    /// A map key, borrowed from the input when it has no escapes.
    pub(super) enum Key<'de> {
        B(&'de str),
        O(String),
    }
    impl Key<'_> {
        fn as_str(&self) -> &str {
            match self {
                Key::B(s) => s,
                Key::O(s) => s,
            }
        }
        fn into_string(self) -> String {
            match self {
                Key::B(s) => s.to_string(),
                Key::O(s) => s,
            }
        }
    }
    struct KeySeed;
    impl<'de> DeserializeSeed<'de> for KeySeed {
        type Value = Key<'de>;
        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Key<'de>, D::Error> {
            d.deserialize_str(KeySeed)
        }
    }
    impl<'de> Visitor<'de> for KeySeed {
        type Value = Key<'de>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a string key")
        }
        fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Key<'de>, E> {
            Ok(Key::B(v))
        }
        fn visit_str<E>(self, v: &str) -> Result<Key<'de>, E> {
            Ok(Key::O(v.to_string()))
        }
        fn visit_string<E>(self, v: String) -> Result<Key<'de>, E> {
            Ok(Key::O(v))
        }
    }

    /// Calls `f` for every map entry, with the key; anything that is not
    /// a map is ignored.
    struct Entries<F>(F);
    impl<'de, F> DeserializeSeed<'de> for Entries<F>
    where
        F: FnMut(Key<'de>, &mut dyn ErasedValue<'de>) -> Result<(), String>,
    {
        type Value = ();
        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
            d.deserialize_any(self)
        }
    }
    impl<'de, F> Visitor<'de> for Entries<F>
    where
        F: FnMut(Key<'de>, &mut dyn ErasedValue<'de>) -> Result<(), String>,
    {
        type Value = ();
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("any value")
        }
        fn visit_map<A: MapAccess<'de>>(mut self, mut map: A) -> Result<(), A::Error> {
            while let Some(k) = map.next_key_seed(KeySeed)? {
                let mut slot = Slot {
                    map: &mut map,
                    err: None,
                    taken: false,
                };
                let r = (self.0)(k, &mut slot);
                if let Some(e) = slot.err {
                    return Err(e);
                }
                if let Err(msg) = r {
                    return Err(serde::de::Error::custom(msg));
                }
                if !slot.taken {
                    map.next_value::<IgnoredAny>()?;
                }
            }
            Ok(())
        }
        fn visit_bool<E>(self, _: bool) -> Result<(), E> {
            Ok(())
        }
        fn visit_i64<E>(self, _: i64) -> Result<(), E> {
            Ok(())
        }
        fn visit_u64<E>(self, _: u64) -> Result<(), E> {
            Ok(())
        }
        fn visit_f64<E>(self, _: f64) -> Result<(), E> {
            Ok(())
        }
        fn visit_str<E>(self, _: &str) -> Result<(), E> {
            Ok(())
        }
        fn visit_unit<E>(self) -> Result<(), E> {
            Ok(())
        }
        fn visit_none<E>(self) -> Result<(), E> {
            Ok(())
        }
        fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
            while seq.next_element::<IgnoredAny>()?.is_some() {}
            Ok(())
        }
    }

    /// The value of the current map entry, to be read in one of three ways.
    pub(super) trait ErasedValue<'de> {
        fn value(&mut self) -> Option<Value>;
        fn entries(
            &mut self,
            f: &mut dyn FnMut(Key<'de>, &mut dyn ErasedValue<'de>) -> Result<(), String>,
        );
        /// A map is streamed to `f`; anything else is returned.
        fn map_or_value(
            &mut self,
            f: &mut dyn FnMut(Key<'de>, &mut dyn ErasedValue<'de>) -> Result<(), String>,
        ) -> Option<Value>;
    }
    struct Slot<'a, A, E> {
        map: &'a mut A,
        err: Option<E>,
        taken: bool,
    }
    impl<'de, A: MapAccess<'de>> Slot<'_, A, A::Error> {
        fn take<T>(&mut self, r: Result<T, A::Error>) -> Option<T> {
            self.taken = true;
            match r {
                Ok(v) => Some(v),
                Err(e) => {
                    self.err.get_or_insert(e);
                    None
                }
            }
        }
    }
    impl<'de, A: MapAccess<'de>> ErasedValue<'de> for Slot<'_, A, A::Error> {
        fn value(&mut self) -> Option<Value> {
            if self.taken {
                return None;
            }
            let r = self.map.next_value::<Value>();
            self.take(r)
        }
        fn entries(
            &mut self,
            f: &mut dyn FnMut(Key<'de>, &mut dyn ErasedValue<'de>) -> Result<(), String>,
        ) {
            if self.taken {
                return;
            }
            let r = self.map.next_value_seed(Entries(f));
            self.take(r);
        }
        fn map_or_value(
            &mut self,
            f: &mut dyn FnMut(Key<'de>, &mut dyn ErasedValue<'de>) -> Result<(), String>,
        ) -> Option<Value> {
            if self.taken {
                return None;
            }
            let r = self.map.next_value_seed(MapOrValue(f));
            self.take(r).flatten()
        }
    }

    /// Streams a map to the callback (returns `None`), or returns any other
    /// value.
    struct MapOrValue<F>(F);
    impl<'de, F> DeserializeSeed<'de> for MapOrValue<F>
    where
        F: FnMut(Key<'de>, &mut dyn ErasedValue<'de>) -> Result<(), String>,
    {
        type Value = Option<Value>;
        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Option<Value>, D::Error> {
            d.deserialize_any(self)
        }
    }
    impl<'de, F> Visitor<'de> for MapOrValue<F>
    where
        F: FnMut(Key<'de>, &mut dyn ErasedValue<'de>) -> Result<(), String>,
    {
        type Value = Option<Value>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("any value")
        }
        fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Option<Value>, A::Error> {
            Entries(self.0).visit_map(map).map(|()| None)
        }
        fn visit_bool<E>(self, v: bool) -> Result<Option<Value>, E> {
            Ok(Some(Value::Bool(v)))
        }
        fn visit_i64<E>(self, v: i64) -> Result<Option<Value>, E> {
            Ok(Some(Value::from(v)))
        }
        fn visit_u64<E>(self, v: u64) -> Result<Option<Value>, E> {
            Ok(Some(Value::from(v)))
        }
        fn visit_f64<E>(self, v: f64) -> Result<Option<Value>, E> {
            Ok(Some(Value::from(v)))
        }
        fn visit_str<E>(self, v: &str) -> Result<Option<Value>, E> {
            Ok(Some(Value::String(v.to_string())))
        }
        fn visit_string<E>(self, v: String) -> Result<Option<Value>, E> {
            Ok(Some(Value::String(v)))
        }
        fn visit_unit<E>(self) -> Result<Option<Value>, E> {
            Ok(Some(Value::Null))
        }
        fn visit_none<E>(self) -> Result<Option<Value>, E> {
            Ok(Some(Value::Null))
        }
        fn visit_seq<A: serde::de::SeqAccess<'de>>(
            self,
            seq: A,
        ) -> Result<Option<Value>, A::Error> {
            use serde::Deserialize;
            Value::deserialize(serde::de::value::SeqAccessDeserializer::new(seq)).map(Some)
        }
    }

    /// `{"#attributes": {..}}`: calls `f` for each attribute.
    fn attributes<'de>(v: &mut dyn ErasedValue<'de>, f: &mut dyn FnMut(Key<'de>, Value)) {
        v.entries(&mut |k, inner| {
            if k.as_str() == "#attributes" {
                inner.entries(&mut |ak, av| {
                    if let Some(val) = av.value() {
                        f(ak, val);
                    }
                    Ok(())
                });
            }
            Ok(())
        });
    }

    fn merge_data<'de>(v: &mut dyn ErasedValue<'de>, rec: &mut Record) {
        let fields = &mut rec.fields;
        let other = v.map_or_value(&mut |k, inner| {
            if k.as_str() != "#attributes"
                && let Some(val) = inner.value()
            {
                fields.insert(k.into_string(), unwrap_text(val));
            }
            Ok(())
        });
        if let Some(data) = other
            && !data.is_null()
        {
            rec.fields.insert("Data".into(), data);
        }
    }

    fn system<'de>(v: &mut dyn ErasedValue<'de>, rec: &mut Record) {
        v.entries(&mut |k, inner| {
            match k.as_str() {
                "Provider" => attributes(inner, &mut |ak, av| {
                    rec.fields.insert(format!("Provider_{}", ak.as_str()), av);
                }),
                "TimeCreated" => {
                    let mut t = None;
                    attributes(inner, &mut |ak, av| {
                        if ak.as_str() == "SystemTime" {
                            t = Some(av);
                        }
                    });
                    if let Some(Value::String(t)) = t {
                        rec.timestamp = timeparse::parse_any(&t);
                        rec.fields.insert("TimeCreated".into(), Value::String(t));
                    }
                }
                "Execution" => attributes(inner, &mut |ak, av| {
                    rec.fields.insert(format!("Execution_{}", ak.as_str()), av);
                }),
                "Security" | "Correlation" => attributes(inner, &mut |ak, av| {
                    rec.fields.insert(ak.into_string(), av);
                }),
                _ => {
                    if let Some(val) = inner.value() {
                        rec.fields.insert(k.into_string(), unwrap_text(val));
                    }
                }
            }
            Ok(())
        });
        if let Some(id) = rec.fields.get("EventRecordID").and_then(super::as_i64) {
            rec.record_id = u64::try_from(id).unwrap_or(rec.record_id);
        }
    }

    /// The document: finds `Event` and reads it into the record. Returns
    /// whether there was an `Event` object.
    pub(super) struct Root<'r>(pub &'r mut Record);
    impl<'de> DeserializeSeed<'de> for Root<'_> {
        type Value = bool;
        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<bool, D::Error> {
            let rec = self.0;
            let mut found = false;
            Entries(|k: Key<'de>, ev: &mut dyn ErasedValue<'de>| {
                if k.as_str() != "Event" {
                    return Ok(());
                }
                let is_map = ev
                    .map_or_value(&mut |k, part| {
                        match k.as_str() {
                            "System" => system(part, rec),
                            "EventData" => merge_data(part, rec),
                            "UserData" => part.entries(&mut |_, inner| {
                                merge_data(inner, rec);
                                Ok(())
                            }),
                            _ => {}
                        }
                        Ok(())
                    })
                    .is_none();
                found |= is_map;
                Ok(())
            })
            .deserialize(d)?;
            Ok(found)
        }
    }
}
