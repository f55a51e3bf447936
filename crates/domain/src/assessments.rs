//! Security assessments (kiểm tra, đánh giá an toàn thông tin) as they are recorded: of
//! a system before it goes live or periodically (Decree 85 Art 20.2.c; Decree 331), or
//! of a unit as a whole. What a record must say, and what counts as a date.

use time::Date;

use crate::error::{Invalid, optional_text, required_text};

/// Kinds for a system, and the one for a unit.
pub const SYSTEM_KINDS: [&str; 2] = ["before_go_live", "periodic"];
pub const UNIT_KIND: &str = "unit";

/// The form, as sent.
#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize)]
#[serde(default)]
pub struct AssessmentInput {
    pub assessment_kind: String,
    /// dd/mm/yyyy.
    pub performed_on: String,
    /// Who assessed: the organisation (a licensed provider, or the unit's own team).
    pub performer: String,
    /// The provider's licence for security services, when it has one.
    pub licence_no: String,
    pub scope: String,
    /// The conclusion, as the report states it.
    pub result: String,
    /// Findings the report lists (a number; empty when not counted).
    pub findings: String,
}

/// A validated record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssessmentFields {
    pub kind: &'static str,
    pub performed_on: Date,
    pub performer: String,
    pub licence_no: Option<String>,
    pub scope: String,
    pub result: String,
    pub findings: Option<i64>,
}

impl AssessmentInput {
    /// Every problem at once. `for_system`: the kinds of a system, else the unit's.
    pub fn validate(&self, today: Date, for_system: bool) -> Result<AssessmentFields, Invalid> {
        let mut e = Invalid::default();
        let kind = if for_system {
            SYSTEM_KINDS.iter().copied().find(|k| *k == self.assessment_kind.trim())
        } else {
            Some(UNIT_KIND)
        };
        if kind.is_none() {
            e.push("assessment_kind", "assessment.err_kind", "");
        }
        let performed_on = crate::time_fmt::parse_user_date(&self.performed_on);
        match performed_on {
            None => e.push("performed_on", "assessment.err_date", ""),
            Some(d) if d > today => e.push("performed_on", "assessment.err_future", ""),
            _ => {}
        }
        let performer = required_text(&mut e, "performer", &self.performer, 300);
        let licence_no = optional_text(&mut e, "licence_no", &self.licence_no, 100);
        let scope = required_text(&mut e, "scope", &self.scope, 2000);
        let result = required_text(&mut e, "result", &self.result, 4000);
        let raw: String = self.findings.chars().filter(|c| !matches!(c, '.' | ',' | ' ')).collect();
        let findings = if raw.is_empty() {
            None
        } else {
            match raw.parse::<i64>() {
                Ok(n) if (0..=1_000_000).contains(&n) => Some(n),
                _ => {
                    e.push("findings", "assessment.err_findings", "");
                    None
                }
            }
        };
        match (kind, performed_on) {
            (Some(kind), Some(performed_on)) if e.errors.is_empty() => {
                Ok(AssessmentFields { kind, performed_on, performer, licence_no, scope, result, findings })
            }
            _ => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_needs_who_what_and_a_past_date() {
        let today = time::macros::date!(2026 - 12 - 02);
        let e = AssessmentInput { assessment_kind: "yearly".into(), performed_on: "03/12/2026".into(), findings: "nhiều".into(), ..Default::default() }
            .validate(today, true)
            .unwrap_err();
        let fields: Vec<&str> = e.errors.iter().map(|x| x.field).collect();
        for f in ["assessment_kind", "performed_on", "performer", "scope", "result", "findings"] {
            assert!(fields.contains(&f), "{f}: {fields:?}");
        }
        let ok = AssessmentInput { assessment_kind: "ignored for a unit".into(), performed_on: "15/11/2026".into(), performer: "Công ty ATTT".into(), scope: "Toàn đơn vị".into(), result: "Đạt".into(), findings: "1.204".into(), ..Default::default() }
            .validate(today, false)
            .unwrap();
        assert_eq!((ok.kind, ok.findings), ("unit", Some(1204)));
    }
}
