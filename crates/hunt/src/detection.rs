//! A detection: one (event, rule) or (event, IOC) hit.

use std::sync::Arc;

use jiff::Timestamp;
use serde::Serialize;

use crate::record::Record;

/// One hit, ready for output. `rule_id` is the Sigma id (or title when the
/// rule has none) or `ioc:TYPE` for IOC hits.
#[derive(Debug, Clone, Serialize)]
pub struct Detection {
    #[serde(serialize_with = "ser_ts")]
    pub timestamp: Option<Timestamp>,
    pub source: Arc<str>,
    pub record_id: u64,
    pub computer: String,
    pub channel: String,
    pub event_id: Option<i64>,
    pub rule_id: String,
    pub rule_title: String,
    pub level: String,
    pub author: String,
    pub tags: Vec<String>,
    /// (field, value) pairs that matched.
    pub matched: Vec<(String, String)>,
    /// Sigma rule index in its [`crate::sigma::SigmaSet`] (for correlation).
    #[serde(skip)]
    pub rule_index: Option<usize>,
    /// Field values kept for correlation rules (group-by, value fields).
    #[serde(skip)]
    pub context: Vec<(String, String)>,
}

fn ser_ts<S: serde::Serializer>(t: &Option<Timestamp>, s: S) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => s.serialize_str(&crate::timeparse::format(t)),
        None => s.serialize_none(),
    }
}

impl Detection {
    /// A detection for `rec` with empty rule fields.
    pub fn for_record(rec: &Record) -> Self {
        Detection {
            timestamp: rec.timestamp,
            source: rec.source.clone(),
            record_id: rec.record_id,
            computer: rec.computer.clone(),
            channel: rec.channel.clone(),
            event_id: rec.event_id,
            rule_id: String::new(),
            rule_title: String::new(),
            level: String::new(),
            author: String::new(),
            tags: Vec::new(),
            matched: Vec::new(),
            rule_index: None,
            context: Vec::new(),
        }
    }
}

/// Level order used for sorting and summaries.
pub fn level_rank(level: &str) -> u8 {
    match level {
        "critical" => 5,
        "high" => 4,
        "medium" => 3,
        "low" => 2,
        "informational" => 1,
        _ => 0,
    }
}
