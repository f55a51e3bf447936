//! The risk register (issue 12 item 4; "quản lý rủi ro", Decree 85/2016 Art 20.2.c): a
//! risk of a unit or of one of its systems, rated on the usual 5×5 matrix (likelihood ×
//! impact), with its treatment, who owns it and by when; and when it is behind — a high
//! or critical risk with no treatment decided, or a treatment past its date. The decree
//! names no matrix: the bands are Khiên's and are recorded in docs/decisions.md.

use time::Date;

use crate::error::{Invalid, date_field, optional_text, required_text};

/// The state of a risk: identified, being treated, accepted (with who accepted it),
/// closed (treated or gone).
pub const STATUSES: [&str; 4] = ["open", "treating", "accepted", "closed"];
/// How it is treated.
pub const TREATMENTS: [&str; 4] = ["mitigate", "transfer", "avoid", "accept"];

/// The band of a score (likelihood × impact, 1–25).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Band {
    Low,
    Medium,
    High,
    Critical,
}

impl Band {
    /// 1–4 low, 5–9 medium, 10–16 high, 20–25 critical (a 5×5 matrix has no 17–19).
    pub fn of(score: i64) -> Band {
        match score {
            ..=4 => Band::Low,
            5..=9 => Band::Medium,
            10..=16 => Band::High,
            _ => Band::Critical,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Band::Low => "low",
            Band::Medium => "medium",
            Band::High => "high",
            Band::Critical => "critical",
        }
    }
}

/// Why a risk is behind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gap {
    /// High or critical, still only identified: no treatment decided.
    Untreated,
    /// Its treatment was due on this day and the risk is not closed.
    TreatmentLate(Date),
}

/// What is behind for a risk, empty when nothing is.
pub fn gaps(today: Date, score: i64, status: &str, due_on: Option<Date>) -> Vec<Gap> {
    let mut out = Vec::new();
    if status == "open" && Band::of(score) >= Band::High {
        out.push(Gap::Untreated);
    }
    if let Some(d) = due_on
        && d < today
        && matches!(status, "open" | "treating")
    {
        out.push(Gap::TreatmentLate(d));
    }
    out
}

/// The risk's form, as sent.
#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize)]
#[serde(default)]
pub struct RiskInput {
    /// Empty: a risk of the unit as a whole.
    pub system_id: String,
    pub title: String,
    /// The threat, the weakness it would exploit, what would happen.
    pub description: String,
    pub likelihood: String,
    pub impact: String,
    pub status: String,
    pub treatment: String,
    pub treatment_plan: String,
    /// Who owns it (a person or a post).
    pub owner: String,
    /// dd/mm/yyyy: when the treatment is to be done.
    pub due_on: String,
    /// Who accepted it, when accepted (a leader).
    pub accepted_by: String,
    /// The version the form was opened on (empty: a new risk).
    pub version: String,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RiskFields {
    pub system_id: Option<String>,
    pub title: String,
    pub description: String,
    pub likelihood: i64,
    pub impact: i64,
    pub status: &'static str,
    pub treatment: Option<&'static str>,
    pub treatment_plan: Option<String>,
    pub owner: Option<String>,
    pub due_on: Option<Date>,
    pub accepted_by: Option<String>,
    #[serde(skip)]
    pub seen_version: i64,
}

fn rating(e: &mut Invalid, field: &'static str, raw: &str) -> Option<i64> {
    match raw.trim().parse::<i64>() {
        Ok(n) if (1..=5).contains(&n) => Some(n),
        _ => {
            e.push(field, "risk.err_rating", "");
            None
        }
    }
}

impl RiskInput {
    pub fn validate(&self) -> Result<RiskFields, Invalid> {
        let mut e = Invalid::default();
        let title = required_text(&mut e, "title", &self.title, 300);
        let description = required_text(&mut e, "description", &self.description, 4_000);
        let likelihood = rating(&mut e, "likelihood", &self.likelihood);
        let impact = rating(&mut e, "impact", &self.impact);
        let status = STATUSES.iter().copied().find(|s| *s == self.status.trim());
        if status.is_none() {
            e.push("status", "risk.err_status", "");
        }
        let treatment = match self.treatment.trim() {
            "" => None,
            t => {
                let found = TREATMENTS.iter().copied().find(|x| *x == t);
                if found.is_none() {
                    e.push("treatment", "risk.err_treatment", "");
                }
                found
            }
        };
        let treatment_plan = optional_text(&mut e, "treatment_plan", &self.treatment_plan, 4_000);
        let owner = optional_text(&mut e, "owner", &self.owner, 200);
        let due_on = date_field(&mut e, "due_on", &self.due_on, false);
        let accepted_by = optional_text(&mut e, "accepted_by", &self.accepted_by, 200);
        // Being treated means someone decided how, who and by when; accepted means a
        // named person took the risk on.
        if status == Some("treating") {
            if treatment.is_none() || treatment_plan.is_none() {
                e.push("treatment_plan", "risk.err_treating_plan", "");
            }
            if owner.is_none() {
                e.push("owner", "risk.err_treating_owner", "");
            }
            if due_on.is_none() {
                e.push("due_on", "risk.err_treating_due", "");
            }
        }
        if status == Some("accepted") && accepted_by.is_none() {
            e.push("accepted_by", "risk.err_accepted_by", "");
        }
        let seen_version = match self.version.trim() {
            "" => Some(0),
            v => v.parse::<i64>().ok().filter(|n| *n >= 0),
        };
        if seen_version.is_none() {
            e.push("title", "risk.err_version", "");
        }
        let system_id = Some(self.system_id.trim().to_string()).filter(|s| !s.is_empty());
        match (likelihood, impact, status, seen_version) {
            (Some(likelihood), Some(impact), Some(status), Some(seen_version)) if e.is_empty() => {
                Ok(RiskFields { system_id, title, description, likelihood, impact, status, treatment, treatment_plan, owner, due_on, accepted_by, seen_version })
            }
            _ => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use time::macros::date;

    use super::*;

    #[test]
    fn bands_follow_the_five_by_five_matrix() {
        assert_eq!([1, 4, 5, 9, 10, 16, 20, 25].map(|s| Band::of(s).code()), ["low", "low", "medium", "medium", "high", "high", "critical", "critical"]);
    }

    #[test]
    fn a_high_risk_left_open_or_a_late_treatment_is_behind() {
        let today = date!(2026 - 12 - 03);
        assert_eq!(gaps(today, 12, "open", None), [Gap::Untreated]);
        assert!(gaps(today, 9, "open", None).is_empty(), "a medium risk may wait");
        assert!(gaps(today, 20, "treating", Some(today)).is_empty(), "due today is not late");
        assert_eq!(gaps(today, 20, "treating", Some(date!(2026 - 12 - 02))), [Gap::TreatmentLate(date!(2026 - 12 - 02))]);
        assert!(gaps(today, 25, "accepted", Some(date!(2020 - 01 - 01))).is_empty());
        assert!(gaps(today, 25, "closed", None).is_empty());
    }

    #[test]
    fn treating_needs_a_plan_an_owner_and_a_date_and_accepting_a_name() {
        let base = RiskInput { title: "Lộ lọt dữ liệu hồ sơ".into(), description: "Cổng quản trị mở ra Internet".into(), likelihood: "4".into(), impact: "5".into(), status: "treating".into(), ..Default::default() };
        let keys: Vec<_> = base.validate().unwrap_err().errors.iter().map(|f| f.key).collect();
        assert_eq!(keys, ["risk.err_treating_plan", "risk.err_treating_owner", "risk.err_treating_due"]);
        let accepted = RiskInput { status: "accepted".into(), ..base.clone() };
        assert_eq!(accepted.validate().unwrap_err().errors[0].key, "risk.err_accepted_by");
        let bad = RiskInput { likelihood: "6".into(), impact: "x".into(), status: "open".into(), ..base.clone() };
        assert_eq!(bad.validate().unwrap_err().errors.iter().map(|f| f.field).collect::<Vec<_>>(), ["likelihood", "impact"]);
        let ok = RiskInput { treatment: "mitigate".into(), treatment_plan: "Đóng cổng, dùng VPN".into(), owner: "Trưởng phòng CNTT".into(), due_on: "31/12/2026".into(), ..base }.validate().unwrap();
        assert_eq!((ok.likelihood * ok.impact, ok.treatment, ok.system_id), (20, Some("mitigate"), None));
    }
}
