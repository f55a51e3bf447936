//! Incident response drills (diễn tập): real-world (thực chiến, Directive 60/2021: on
//! production, no script, defined objectives) or tabletop, and what a record must say.
//! What a drill finds is a weakness (`crate::weaknesses`).

use time::Date;

use crate::error::{Invalid, optional_text, required_text};

pub const KINDS: [&str; 2] = ["real_world", "tabletop"];

#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize)]
#[serde(default)]
pub struct DrillInput {
    pub drill_kind: String,
    pub title: String,
    pub organiser: String,
    /// dd/mm/yyyy.
    pub held_from: String,
    pub held_to: String,
    pub objectives: String,
    pub participants: String,
    pub tools: String,
    /// Systems in the drill's scope (ids).
    pub systems: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DrillFields {
    pub kind: &'static str,
    pub title: String,
    pub organiser: String,
    pub held_from: Date,
    pub held_to: Date,
    pub objectives: String,
    pub participants: String,
    pub tools: String,
    pub systems: Vec<String>,
}

impl DrillInput {
    /// Every problem at once; a drill is recorded once held (not after `today`).
    pub fn validate(&self, today: Date) -> Result<DrillFields, Invalid> {
        let mut e = Invalid::default();
        let kind = KINDS.iter().copied().find(|k| *k == self.drill_kind.trim());
        if kind.is_none() {
            e.push("drill_kind", "drill.err_kind", "");
        }
        let title = required_text(&mut e, "title", &self.title, 300);
        let organiser = required_text(&mut e, "organiser", &self.organiser, 300);
        let objectives = required_text(&mut e, "objectives", &self.objectives, 4000);
        let participants = required_text(&mut e, "participants", &self.participants, 4000);
        let tools = optional_text(&mut e, "tools", &self.tools, 2000).unwrap_or_default();
        let from = crate::time_fmt::parse_user_date(&self.held_from);
        let to = crate::time_fmt::parse_user_date(&self.held_to);
        if from.is_none() {
            e.push("held_from", "drill.err_date", "");
        }
        match (from, to) {
            (_, None) => e.push("held_to", "drill.err_date", ""),
            (Some(f), Some(t)) if t < f => e.push("held_to", "drill.err_before", ""),
            (_, Some(t)) if t > today => e.push("held_to", "drill.err_future", ""),
            _ => {}
        }
        let mut systems: Vec<String> = Vec::new();
        for s in self.systems.iter().map(|s| s.trim()).filter(|s| !s.is_empty()) {
            if !systems.iter().any(|x| x == s) {
                systems.push(s.to_string());
            }
        }
        if systems.is_empty() {
            e.push("systems", "drill.err_no_system", "");
        }
        match (kind, from, to) {
            (Some(kind), Some(held_from), Some(held_to)) if e.errors.is_empty() => Ok(DrillFields {
                kind,
                title,
                organiser,
                held_from,
                held_to,
                objectives,
                participants,
                tools,
                systems,
            }),
            _ => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_drill_needs_its_kind_dates_scope_and_people() {
        let today = time::macros::date!(2026 - 12 - 02);
        let e = DrillInput { drill_kind: "x".into(), held_from: "10/11/2026".into(), held_to: "09/11/2026".into(), ..Default::default() }.validate(today).unwrap_err();
        let fields: Vec<&str> = e.errors.iter().map(|x| x.field).collect();
        for f in ["drill_kind", "title", "organiser", "objectives", "participants", "held_to", "systems"] {
            assert!(fields.contains(&f), "{f}: {fields:?}");
        }
    }
}
