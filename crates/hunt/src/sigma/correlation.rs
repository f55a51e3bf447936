//! Sigma correlation rules (`event_count`, `value_count`, `temporal`,
//! `temporal_ordered`), evaluated after the hunt over the time-ordered
//! detections of the rules they reference. Sliding windows; a correlation
//! fires when its condition is first met in a window, and the window for
//! that group then starts afresh.

use std::collections::{HashMap, VecDeque};

use rsigma_parser::{ConditionOperator, CorrelationCondition, CorrelationRule, CorrelationType};
use time::Timestamp;

use super::RuleMeta;
use crate::detection::Detection;
use crate::timeparse;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    EventCount,
    ValueCount,
    Temporal,
    TemporalOrdered,
}

/// A field a base rule must keep: (rule index, stored name, event field).
pub type Capture = (usize, String, String);

/// A correlation ready to run.
#[derive(Debug, Clone)]
pub struct Correlation {
    pub meta: RuleMeta,
    kind: Kind,
    /// Referenced base rules (indices into `SigmaSet::metas`), in order.
    pub rules: Vec<usize>,
    group_by: Vec<String>,
    span_secs: i64,
    predicates: Vec<(ConditionOperator, u64)>,
    field: Option<String>,
    /// Whether the referenced rules still report their own matches.
    pub generate: bool,
}

/// Context key under which base-rule detections keep a field's value.
pub fn field_key(name: &str) -> String {
    name.to_string()
}

impl Correlation {
    /// Builds from the parsed rule. `resolve` maps a rule reference (id or
    /// name) to the indices of the loaded rules it names.
    pub fn new(
        c: &CorrelationRule,
        meta: RuleMeta,
        resolve: &dyn Fn(&str) -> Vec<usize>,
    ) -> Result<(Correlation, Vec<Capture>), String> {
        let kind = match c.correlation_type {
            CorrelationType::EventCount => Kind::EventCount,
            CorrelationType::ValueCount => Kind::ValueCount,
            CorrelationType::Temporal => Kind::Temporal,
            CorrelationType::TemporalOrdered => Kind::TemporalOrdered,
            other => return Err(format!("correlation type {} not supported", other.as_str())),
        };
        let (predicates, field) = match &c.condition {
            CorrelationCondition::Threshold {
                predicates, field, ..
            } => (
                predicates.clone(),
                field.as_ref().and_then(|f| f.first().cloned()),
            ),
            CorrelationCondition::Extended(_)
                if matches!(kind, Kind::Temporal | Kind::TemporalOrdered) =>
            {
                return Err(
                    "extended boolean conditions in temporal correlations not supported".into(),
                );
            }
            CorrelationCondition::Extended(_) => {
                return Err("extended condition not supported".into());
            }
        };
        let has_lower = predicates.iter().any(|(op, _)| {
            matches!(
                op,
                ConditionOperator::Gt | ConditionOperator::Gte | ConditionOperator::Eq
            )
        });
        if !matches!(kind, Kind::Temporal | Kind::TemporalOrdered) && !has_lower {
            return Err("conditions with only an upper bound (lt/lte/neq) not supported".into());
        }
        if kind == Kind::ValueCount && field.is_none() {
            return Err("value_count needs condition.field".into());
        }
        let mut rules = Vec::new();
        for r in &c.rules {
            let found = resolve(r);
            if found.is_empty() {
                return Err(format!(
                    "referenced rule {r} not loaded (or is a correlation)"
                ));
            }
            rules.extend(found);
        }
        // Fields each base rule must keep: (rule, stored name, event field).
        let mut captures = Vec::new();
        let mut wanted: Vec<String> = c.group_by.clone();
        if let Some(f) = &field {
            wanted.push(f.clone());
        }
        for name in &wanted {
            let alias = c.aliases.iter().find(|a| &a.alias == name);
            for r in &c.rules {
                let event_field = alias
                    .and_then(|a| a.mapping.get(r))
                    .cloned()
                    .unwrap_or_else(|| name.clone());
                for idx in resolve(r) {
                    captures.push((idx, field_key(name), event_field.clone()));
                }
            }
        }
        let span_secs = i64::try_from(c.timespan.seconds).unwrap_or(i64::MAX);
        Ok((
            Correlation {
                meta,
                kind,
                rules,
                group_by: c.group_by.clone(),
                span_secs,
                predicates,
                field,
                generate: c.generate,
            },
            captures,
        ))
    }

    fn holds(&self, n: u64) -> bool {
        self.predicates.iter().all(|(op, v)| match op {
            ConditionOperator::Lt => n < *v,
            ConditionOperator::Lte => n <= *v,
            ConditionOperator::Gt => n > *v,
            ConditionOperator::Gte => n >= *v,
            ConditionOperator::Eq => n == *v,
            ConditionOperator::Neq => n != *v,
        })
    }

    /// Feeds one detection (in timeline order); returns a hit when the
    /// correlation fires on it.
    pub fn feed(&self, state: &mut CorrState, d: &Detection) -> Option<Detection> {
        let (Some(t), Some(idx)) = (d.timestamp, d.rule_index) else {
            return None;
        };
        if !self.rules.contains(&idx) {
            return None;
        }
        let ctx = |name: &str| -> String {
            d.context
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
                .unwrap_or_default()
        };
        let key: Vec<String> = self.group_by.iter().map(|g| ctx(g)).collect();
        let value = self.field.as_deref().map(ctx).unwrap_or_default();
        let w = state.windows.entry(key.clone()).or_default();
        w.push_back((t, idx, value));
        let oldest = timeparse::checked_add_secs(t, -self.span_secs).unwrap_or(t);
        while w.front().is_some_and(|(ft, _, _)| *ft < oldest) {
            w.pop_front();
        }
        let (fired, count) = match self.kind {
            Kind::EventCount => (self.holds(w.len() as u64), w.len() as u64),
            Kind::ValueCount => {
                let mut vals: Vec<&str> = w
                    .iter()
                    .map(|(_, _, v)| v.as_str())
                    .filter(|v| !v.is_empty())
                    .collect();
                vals.sort_unstable();
                vals.dedup();
                (self.holds(vals.len() as u64), vals.len() as u64)
            }
            Kind::Temporal => {
                let all = self.rules.iter().all(|r| w.iter().any(|(_, i, _)| i == r));
                (all, w.len() as u64)
            }
            Kind::TemporalOrdered => {
                let mut next = 0;
                for (_, i, _) in w.iter() {
                    if self.rules.get(next) == Some(i) {
                        next += 1;
                    }
                }
                (next == self.rules.len(), w.len() as u64)
            }
        };
        if !fired {
            return None;
        }
        w.clear();
        let mut hit = d.clone();
        hit.rule_id = self.meta.id.clone();
        hit.rule_title = self.meta.title.clone();
        hit.level = self.meta.level.clone();
        hit.author = self.meta.author.clone();
        hit.tags = self.meta.tags.clone();
        hit.rule_index = None;
        hit.context = Vec::new();
        hit.matched = self.group_by.iter().cloned().zip(key).collect();
        hit.matched.push(("count".into(), count.to_string()));
        if let Some(f) = &self.field {
            hit.matched.push(("field".into(), f.clone()));
        }
        Some(hit)
    }
}

/// Open windows of one correlation, per group.
#[derive(Debug, Default)]
pub struct CorrState {
    windows: HashMap<Vec<String>, VecDeque<(Timestamp, usize, String)>>,
}
