//! Streaming JSON: serde visitors that hand each element of an array to a callback as
//! soon as it is parsed, so a report is never held whole. A callback's stop (the sink
//! failed, the findings limit) travels out through `slot`.

use std::fmt;
use std::io::BufRead;

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use crate::guard::Guarded;
use crate::{Flow, ImportError, Step};

const STOP: &str = "khien-scan: stopped by the reader";

pub(crate) type Slot = Option<Flow>;

pub(crate) fn stop<E: de::Error>(slot: &mut Slot, flow: Flow) -> E {
    *slot = Some(flow);
    E::custom(STOP)
}

/// Runs a seed over the whole input.
pub(crate) fn drive<R: BufRead, S>(input: &mut Guarded<R>, seed: S) -> Result<(), serde_json::Error>
where
    S: for<'de> DeserializeSeed<'de, Value = ()>,
{
    let mut de = serde_json::Deserializer::from_reader(input);
    seed.deserialize(&mut de)?;
    de.end()
}

/// Turns serde's result and the stop slot into ours.
pub(crate) fn outcome(res: Result<(), serde_json::Error>, slot: Slot, expected: &'static str) -> Step {
    match (res, slot) {
        (_, Some(flow)) => Err(flow),
        (Ok(()), None) => Ok(()),
        (Err(e), None) if e.is_io() => Err(ImportError::from_io(std::io::Error::from(e)).into()),
        // An empty file: no findings, not an error.
        (Err(e), None) if e.is_eof() && e.line() <= 1 && e.column() == 0 => Ok(()),
        (Err(e), None) => Err(ImportError::malformed(expected, e).into()),
    }
}

/// Each element of an array (or nothing for `null`) as a [`Value`].
pub(crate) struct Each<'a, F> {
    pub f: &'a mut F,
    pub slot: &'a mut Slot,
}

impl<'de, F: FnMut(Value) -> Step> DeserializeSeed<'de> for Each<'_, F> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de, F: FnMut(Value) -> Step> Visitor<'de> for Each<'_, F> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array")
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_none<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(v) = seq.next_element::<Value>()? {
            if let Err(flow) = (self.f)(v) {
                return Err(stop(self.slot, flow));
            }
        }
        Ok(())
    }
}

/// A map whose keys are dispatched to a handler; unknown keys are skipped unparsed.
pub(crate) trait Keys<'de> {
    /// Reads the value of `key` from `map` (it must consume it); false to ignore it.
    fn key<A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<bool, A::Error>;
    /// The map closed.
    fn done<E: de::Error>(&mut self) -> Result<(), E> {
        Ok(())
    }
}

pub(crate) struct MapOf<'a, K>(pub &'a mut K, pub &'static str);

impl<'de, K: Keys<'de>> DeserializeSeed<'de> for MapOf<'_, K> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de, K: Keys<'de>> Visitor<'de> for MapOf<'_, K> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.1)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(k) = map.next_key::<String>()? {
            if !self.0.key(&k, &mut map)? {
                map.next_value::<IgnoredAny>()?;
            }
        }
        self.0.done()
    }
}

// ------------------------------------------------------------ Value helpers

/// A string field, trimmed; numbers are written out; `None` when absent or blank.
pub(crate) fn s(v: &Value, key: &str) -> Option<String> {
    match v.get(key)? {
        Value::String(t) => crate::util::opt(t),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

pub(crate) fn text(v: &Value, key: &str) -> String {
    s(v, key).unwrap_or_default()
}

/// A path of keys.
pub(crate) fn at<'v>(v: &'v Value, path: &[&str]) -> Option<&'v Value> {
    path.iter().try_fold(v, |v, k| v.get(k))
}

pub(crate) fn f64_of(v: Option<&Value>) -> Option<f64> {
    match v? {
        Value::Number(n) => n.as_f64(),
        Value::String(t) => t.trim().parse().ok(),
        _ => None,
    }
    .filter(|x: &f64| x.is_finite() && (0.0..=10.0).contains(x))
}

/// Strings of a value that is a string, a list of strings, or a comma list.
pub(crate) fn strings(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::String(t)) => t
            .split(',')
            .filter_map(crate::util::opt)
            .collect(),
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(|x| match x {
                Value::String(t) => crate::util::opt(t),
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            })
            .collect(),
        Some(Value::Number(n)) => vec![n.to_string()],
        _ => Vec::new(),
    }
}
