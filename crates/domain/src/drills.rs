//! Incident response drills (diễn tập): real-world (thực chiến, Directive 60/2021: on
//! production, no script, defined objectives) or tabletop; what a record must say, and
//! a weakness found, which becomes a tracked finding on its system.

use time::Date;

use crate::error::{Invalid, optional_text, required_text};

pub const KINDS: [&str; 2] = ["real_world", "tabletop"];
pub const WEAKNESS_SEVERITIES: [&str; 4] = ["critical", "high", "medium", "low"];

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

#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize)]
#[serde(default)]
pub struct WeaknessInput {
    pub system_id: String,
    pub severity: String,
    pub title: String,
    pub description: String,
}

impl WeaknessInput {
    pub fn validate(&self) -> Result<(), Invalid> {
        let mut e = Invalid::default();
        if self.system_id.trim().is_empty() {
            e.push("system_id", "drill.err_weakness_system", "");
        }
        if !WEAKNESS_SEVERITIES.contains(&self.severity.trim()) {
            e.push("severity", "drill.err_severity", "");
        }
        required_text(&mut e, "title", &self.title, 300);
        optional_text(&mut e, "description", &self.description, 4000);
        if e.errors.is_empty() { Ok(()) } else { Err(e) }
    }

    /// The weakness as a one-row report in the documented generic CSV (docs/import.md),
    /// so it becomes a finding through the import path: fingerprint, deadline by
    /// severity and level, history and statuses like any other.
    pub fn as_generic_csv(&self, drill_title: &str) -> String {
        let q = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
        let description = if self.description.trim().is_empty() { format!("Phát hiện qua diễn tập: {drill_title}") } else { format!("{} (diễn tập: {drill_title})", self.description.trim()) };
        format!("title,severity,description,host\n{},{},{},{}\n", q(self.title.trim()), self.severity.trim(), q(&description), q("diễn tập"))
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

    #[test]
    fn a_weakness_is_a_quoted_generic_csv_row() {
        let w = WeaknessInput { system_id: "s".into(), severity: "high".into(), title: "Mật khẩu \"mặc định\", chưa đổi".into(), description: String::new() };
        assert!(w.validate().is_ok());
        let csv = w.as_generic_csv("Diễn tập 2026");
        assert_eq!(csv.lines().nth(1).unwrap(), "\"Mật khẩu \"\"mặc định\"\", chưa đổi\",high,\"Phát hiện qua diễn tập: Diễn tập 2026\",\"diễn tập\"");
    }
}
