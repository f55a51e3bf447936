//! Third parties and the ICT supply chain (issue 12 item 4; Directive 18/CT-TTg 2022):
//! a party that builds, runs, hosts or protects a unit's systems, tied to those
//! systems, with its contract's security clauses and its reviews; and when it is
//! behind — a required clause missing, never reviewed or not within the period, the
//! last review unsatisfactory, or the contract ended while it still serves a system.
//! The clauses and the period are data (data/regimes/vendors.toml).

use serde::Deserialize;
use time::Date;

use crate::error::{Invalid, date_field, optional_text, past_date_field, required_text};

pub const EMBEDDED_POLICY: &str = include_str!("../../../data/regimes/vendors.toml");

/// What the party does for the unit.
pub const SERVICES: [&str; 7] = ["development", "operation", "hosting", "security_service", "assessment", "software", "telecom"];

/// How a review found the party.
pub const OUTCOMES: [&str; 3] = ["satisfactory", "issues", "unsatisfactory"];

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Clause {
    pub key: String,
    pub title: String,
    pub required: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    pub review_every_months: u32,
    pub basis: String,
    pub clauses: Vec<Clause>,
}

impl Policy {
    pub fn parse(text: &str) -> Result<Policy, String> {
        let p: Policy = toml::from_str(text).map_err(|e| e.to_string())?;
        if !(1..=60).contains(&p.review_every_months) {
            return Err(format!("review_every_months {} is not 1–60", p.review_every_months));
        }
        if p.clauses.is_empty() {
            return Err("no clause".into());
        }
        for (i, c) in p.clauses.iter().enumerate() {
            if c.key.is_empty() || !c.key.chars().all(|ch| ch.is_ascii_lowercase() || ch == '_') {
                return Err(format!("clause key {:?}: lowercase letters and _ only", c.key));
            }
            if p.clauses[..i].iter().any(|o| o.key == c.key) {
                return Err(format!("clause {} twice", c.key));
            }
            if c.title.trim().is_empty() {
                return Err(format!("clause {} has no title", c.key));
            }
        }
        Ok(p)
    }

    pub fn embedded() -> Result<Policy, String> {
        Policy::parse(EMBEDDED_POLICY)
    }

    /// The earliest day a review still counts on `today`.
    pub fn review_cutoff(&self, today: Date) -> Date {
        crate::hunts::months_before(today, self.review_every_months)
    }

    /// The required clauses a contract with `present` lacks, in the policy's order.
    pub fn missing_clauses<'a>(&'a self, present: &[String]) -> Vec<&'a Clause> {
        self.clauses.iter().filter(|c| c.required && !present.contains(&c.key)).collect()
    }

    /// What is behind for a party, empty when nothing is. `serves_systems`: it is tied
    /// to a system not retired (an ended contract matters only then).
    pub fn gaps(&self, today: Date, v: &Standing<'_>) -> Vec<Gap> {
        let mut out = Vec::new();
        let missing = self.missing_clauses(v.clauses).len();
        if missing > 0 {
            out.push(Gap::MissingClauses(missing));
        }
        match v.last_review {
            None => out.push(Gap::NeverReviewed),
            Some((d, _)) if d < self.review_cutoff(today) => out.push(Gap::ReviewTooOld(d)),
            Some(_) => {}
        }
        if v.last_review.is_some_and(|(_, o)| o == "unsatisfactory") {
            out.push(Gap::LastReviewUnsatisfactory);
        }
        if let Some(end) = v.contract_to
            && end < today
            && v.serves_systems
        {
            out.push(Gap::ContractEnded(end));
        }
        out
    }
}

/// What the gaps of a party are computed from.
#[derive(Debug, Clone, Copy)]
pub struct Standing<'a> {
    pub clauses: &'a [String],
    pub contract_to: Option<Date>,
    pub last_review: Option<(Date, &'a str)>,
    pub serves_systems: bool,
}

/// Why a party is not yet under control.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gap {
    /// This many required clauses are not in the contract.
    MissingClauses(usize),
    NeverReviewed,
    ReviewTooOld(Date),
    LastReviewUnsatisfactory,
    /// The contract ended on this day, and the party still serves a system.
    ContractEnded(Date),
}

/// The party's form, as sent. `clauses` and `systems` are the ticked boxes (repeated
/// form keys), collected by the page.
#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize)]
#[serde(default)]
pub struct VendorInput {
    pub name: String,
    pub tax_code: String,
    pub service: String,
    pub contact: String,
    pub contract_no: String,
    /// dd/mm/yyyy.
    pub contract_from: String,
    pub contract_to: String,
    pub note: String,
    /// The version the form was opened on ("0" or empty: a new party).
    pub version: String,
    #[serde(skip)]
    pub clauses: Vec<String>,
    #[serde(skip)]
    pub systems: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct VendorFields {
    pub name: String,
    pub tax_code: Option<String>,
    pub service: &'static str,
    pub contact: Option<String>,
    pub contract_no: Option<String>,
    pub contract_from: Option<Date>,
    pub contract_to: Option<Date>,
    pub note: Option<String>,
    /// Keys of the policy's clauses, in the policy's order.
    pub clauses: Vec<String>,
    /// Distinct system ids.
    pub systems: Vec<String>,
    #[serde(skip)]
    pub seen_version: i64,
}

/// At most this many systems per party: beyond it the form was not filled by hand.
pub const SYSTEMS_MAX: usize = 200;

impl VendorInput {
    pub fn validate(&self, policy: &Policy) -> Result<VendorFields, Invalid> {
        let mut e = Invalid::default();
        let name = required_text(&mut e, "name", &self.name, 300);
        let tax_code = optional_text(&mut e, "tax_code", &self.tax_code, 20);
        if tax_code.as_deref().is_some_and(|t| !(t.len() == 10 || t.len() == 14) || !t.chars().all(|c| c.is_ascii_digit() || c == '-')) {
            e.push("tax_code", "vendor.err_tax_code", "");
        }
        let service = SERVICES.iter().copied().find(|s| *s == self.service.trim());
        if service.is_none() {
            e.push("service", "vendor.err_service", "");
        }
        let contact = optional_text(&mut e, "contact", &self.contact, 500);
        let contract_no = optional_text(&mut e, "contract_no", &self.contract_no, 100);
        let contract_from = date_field(&mut e, "contract_from", &self.contract_from, false);
        let contract_to = date_field(&mut e, "contract_to", &self.contract_to, false);
        if let (Some(a), Some(b)) = (contract_from, contract_to)
            && b < a
        {
            e.push("contract_to", "vendor.err_contract_order", "");
        }
        let note = optional_text(&mut e, "note", &self.note, 2_000);
        let mut clauses = Vec::new();
        for raw in &self.clauses {
            if !policy.clauses.iter().any(|c| c.key == raw.trim()) {
                e.push("clauses", "vendor.err_clause", raw.trim().chars().take(40).collect::<String>());
            }
        }
        for c in &policy.clauses {
            if self.clauses.iter().any(|k| k.trim() == c.key) {
                clauses.push(c.key.clone());
            }
        }
        let mut systems: Vec<String> = Vec::new();
        for s in self.systems.iter().map(|s| s.trim()).filter(|s| !s.is_empty()) {
            if !systems.iter().any(|x| x == s) {
                systems.push(s.to_string());
            }
        }
        if systems.len() > SYSTEMS_MAX {
            e.push("serves", "vendor.err_systems_max", SYSTEMS_MAX.to_string());
        }
        let seen_version = match self.version.trim() {
            "" => Some(0),
            v => v.parse::<i64>().ok().filter(|n| *n >= 0),
        };
        if seen_version.is_none() {
            e.push("name", "vendor.err_version", "");
        }
        match (service, seen_version) {
            (Some(service), Some(seen_version)) if e.is_empty() => Ok(VendorFields { name, tax_code, service, contact, contract_no, contract_from, contract_to, note, clauses, systems, seen_version }),
            _ => Err(e),
        }
    }
}

/// A review's form, as sent.
#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize)]
#[serde(default)]
pub struct ReviewInput {
    /// dd/mm/yyyy.
    pub reviewed_on: String,
    pub outcome: String,
    /// What was checked, what was found.
    pub summary: String,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ReviewFields {
    pub reviewed_on: Date,
    pub outcome: &'static str,
    pub summary: String,
}

impl ReviewInput {
    pub fn validate(&self, today: Date) -> Result<ReviewFields, Invalid> {
        let mut e = Invalid::default();
        let reviewed_on = past_date_field(&mut e, "reviewed_on", &self.reviewed_on, today);
        let outcome = OUTCOMES.iter().copied().find(|o| *o == self.outcome.trim());
        if outcome.is_none() {
            e.push("outcome", "vendor.err_outcome", "");
        }
        let summary = required_text(&mut e, "summary", &self.summary, 2_000);
        match (reviewed_on, outcome) {
            (Some(reviewed_on), Some(outcome)) if e.is_empty() => Ok(ReviewFields { reviewed_on, outcome, summary }),
            _ => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use time::macros::date;

    use super::*;

    #[test]
    fn the_shipped_policy_has_six_required_clauses_and_a_yearly_review() {
        let p = Policy::embedded().unwrap();
        assert!(p.basis.contains("18/CT-TTg"));
        assert_eq!(p.clauses.iter().filter(|c| c.required).count(), 6);
        assert_eq!(p.review_cutoff(date!(2026 - 12 - 03)), date!(2025 - 12 - 03));
        assert!(Policy::parse(&EMBEDDED_POLICY.replace("key = \"staff\"", "key = \"confidentiality\"")).unwrap_err().contains("twice"));
        assert!(Policy::parse(&EMBEDDED_POLICY.replace("review_every_months = 12", "review_every_months = 0")).is_err());
    }

    #[test]
    fn gaps_name_what_is_behind() {
        let p = Policy::embedded().unwrap();
        let today = date!(2026 - 12 - 03);
        let all: Vec<String> = p.clauses.iter().filter(|c| c.required).map(|c| c.key.clone()).collect();
        let ok = Standing { clauses: &all, contract_to: Some(date!(2027 - 12 - 31)), last_review: Some((date!(2025 - 12 - 03), "satisfactory")), serves_systems: true };
        assert!(p.gaps(today, &ok).is_empty(), "a review exactly twelve months ago still counts");
        let few = vec!["confidentiality".to_string()];
        let behind = Standing { clauses: &few, contract_to: Some(date!(2026 - 12 - 02)), last_review: Some((date!(2025 - 12 - 02), "unsatisfactory")), serves_systems: true };
        assert_eq!(p.gaps(today, &behind), [Gap::MissingClauses(5), Gap::ReviewTooOld(date!(2025 - 12 - 02)), Gap::LastReviewUnsatisfactory, Gap::ContractEnded(date!(2026 - 12 - 02))]);
        // An ended contract with no system left to serve is history, not a gap.
        let ended = Standing { serves_systems: false, last_review: None, ..ok };
        assert_eq!(p.gaps(today, &Standing { contract_to: Some(date!(2020 - 01 - 01)), ..ended }), [Gap::NeverReviewed]);
    }

    #[test]
    fn a_party_says_what_it_must() {
        let p = Policy::embedded().unwrap();
        let input = VendorInput { tax_code: "12AB".into(), service: "x".into(), contract_from: "01/02/2026".into(), contract_to: "31/01/2026".into(), clauses: vec!["bribery".into()], ..Default::default() };
        let e = input.validate(&p).unwrap_err();
        let keys: Vec<_> = e.errors.iter().map(|f| (f.field, f.key)).collect();
        assert_eq!(keys, [("name", "err.required"), ("tax_code", "vendor.err_tax_code"), ("service", "vendor.err_service"), ("contract_to", "vendor.err_contract_order"), ("clauses", "vendor.err_clause")]);
        let input = VendorInput {
            name: " Công ty CP Phần mềm Thử ".into(),
            tax_code: "0101234567".into(),
            service: "operation".into(),
            clauses: vec!["data_return".into(), "confidentiality".into(), "data_return".into()],
            systems: vec!["s1".into(), " s1 ".into(), "s2".into()],
            version: "3".into(),
            ..Default::default()
        };
        let f = input.validate(&p).unwrap();
        assert_eq!((f.name.as_str(), f.clauses.as_slice(), f.systems.as_slice(), f.seen_version), ("Công ty CP Phần mềm Thử", &["confidentiality".to_string(), "data_return".to_string()][..], &["s1".to_string(), "s2".to_string()][..], 3));
        let r = ReviewInput { reviewed_on: "04/12/2026".into(), outcome: "fine".into(), summary: String::new() }.validate(date!(2026 - 12 - 03)).unwrap_err();
        assert_eq!(r.errors.iter().map(|f| f.key).collect::<Vec<_>>(), ["err.date_future", "vendor.err_outcome", "err.required"]);
    }
}
