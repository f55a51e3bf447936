//! A detection: one (event, rule) or (event, IOC) hit.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use time::Timestamp;

use crate::record::Record;

/// One hit, ready for output. `rule_id` is the Sigma id (or title when the
/// rule has none) or `ioc:TYPE` for IOC hits. (Its serde form is the
/// internal spill format; the output format is [`crate::output::to_json`].)
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Detection {
    #[serde(with = "crate::timeparse::opt_rfc3339")]
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
    pub rule_index: Option<usize>,
    /// Field values kept for correlation rules (group-by, value fields).
    pub context: Vec<(String, String)>,
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

/// Timeline order: time (untimed last), then source, record, rule.
pub fn timeline_cmp(a: &Detection, b: &Detection) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    match (a.timestamp, b.timestamp) {
        (Some(x), Some(y)) => x.cmp(&y),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    }
    .then_with(|| a.source.cmp(&b.source))
    .then_with(|| a.record_id.cmp(&b.record_id))
    .then_with(|| a.rule_id.cmp(&b.rule_id))
    .then_with(|| a.rule_title.cmp(&b.rule_title))
}
