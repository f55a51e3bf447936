//! Incident response plans and scenarios (phương án, kịch bản ứng cứu sự cố; issue 11
//! item 6): which outline a plan follows, what a draft must say before it can be
//! approved, who drafts and who approves, and when a plan is flagged — due for review,
//! or older than a change to its system (Directive 18/CT-TTg: "cập nhật kịp thời khi có
//! thay đổi"). The outlines are data (data/regimes/response-plan-outlines.toml).

use std::collections::BTreeMap;

use serde::Deserialize;
use time::{Date, Duration, OffsetDateTime};

use crate::error::{Invalid, date_field, optional_text, past_date_field, required_text};
use crate::incidents::IncidentType;
use crate::roles::Role;

/// The outlines Khiên ships; a deployment may replace them (`response_plan_outlines_file`).
pub const EMBEDDED_OUTLINES: &str = include_str!("../../../data/regimes/response-plan-outlines.toml");

/// The subject value of the provincial plan (a system plan's subject is its system id).
pub const PROVINCE_SUBJECT: &str = "province";

/// A plan due for review within this many days is flagged ahead of time.
pub const REVIEW_SOON_DAYS: i64 = 30;

/// Text limits: a section may be a few pages; a scenario's steps a page.
pub const SECTION_MAX: usize = 20_000;
pub const SCENARIO_TEXT_MAX: usize = 8_000;

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Section {
    pub id: String,
    pub title: String,
    #[serde(default)]
    pub hint: String,
    #[serde(default)]
    pub required: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Outline {
    pub id: String,
    pub name: String,
    pub basis: String,
    /// The system levels whose plans follow it.
    #[serde(default)]
    pub levels: Vec<u8>,
    /// The provincial plan follows it.
    #[serde(default)]
    pub province: bool,
    /// Who approves the provincial plan (Decision 05 Art 16: the Chairman of the
    /// provincial People's Committee).
    #[serde(default)]
    pub province_approver: Option<String>,
    #[serde(rename = "section")]
    pub sections: Vec<Section>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
struct OutlinesFile {
    outline: Vec<Outline>,
}

/// The outlines, checked: one for the provincial plan (with its approver), each level
/// 1–5 covered by exactly one, section ids unique within an outline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outlines {
    outlines: Vec<Outline>,
}

/// Whose plan: the province's, or a system's with its approved (or proposed) level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlanSubject {
    Province,
    System { level: Option<u8> },
}

impl Outlines {
    pub fn parse(text: &str) -> Result<Outlines, String> {
        let file: OutlinesFile = toml::from_str(text).map_err(|e| e.to_string())?;
        let outlines = file.outline;
        let province: Vec<&Outline> = outlines.iter().filter(|o| o.province).collect();
        match province.as_slice() {
            [one] if one.province_approver.as_deref().is_some_and(|a| !a.trim().is_empty()) => {}
            [_] => return Err("the provincial plan's outline names no `province_approver`".into()),
            _ => return Err(format!("exactly one outline must have `province = true`, found {}", province.len())),
        }
        for level in 1..=5u8 {
            let n = outlines.iter().filter(|o| o.levels.contains(&level)).count();
            if n != 1 {
                return Err(format!("level {level} must be covered by exactly one outline, found {n}"));
            }
        }
        for o in &outlines {
            if o.id.is_empty() || !o.id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                return Err(format!("outline id {:?}: letters, digits and _ only", o.id));
            }
            if o.sections.is_empty() {
                return Err(format!("outline {}: no section", o.id));
            }
            for (i, s) in o.sections.iter().enumerate() {
                if s.id.is_empty() || !s.id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                    return Err(format!("outline {}: section id {:?}: letters, digits and _ only", o.id, s.id));
                }
                if o.sections[..i].iter().any(|x| x.id == s.id) {
                    return Err(format!("outline {}: section {} twice", o.id, s.id));
                }
            }
            if outlines.iter().filter(|x| x.id == o.id).count() > 1 {
                return Err(format!("outline {} twice", o.id));
            }
        }
        Ok(Outlines { outlines })
    }

    pub fn embedded() -> Result<Outlines, String> {
        Outlines::parse(EMBEDDED_OUTLINES)
    }

    pub fn get(&self, id: &str) -> Option<&Outline> {
        self.outlines.iter().find(|o| o.id == id)
    }

    /// The outline a subject's plan must follow. A system without a level yet follows
    /// the outline of level 1 (the lightest) until its level is decided; the plan is
    /// flagged if the decided level asks for another.
    pub fn for_subject(&self, subject: PlanSubject) -> &Outline {
        let level = match subject {
            PlanSubject::Province => return self.outlines.iter().find(|o| o.province).unwrap_or(&self.outlines[0]),
            PlanSubject::System { level } => level.filter(|l| (1..=5).contains(l)).unwrap_or(1),
        };
        self.outlines.iter().find(|o| o.levels.contains(&level)).unwrap_or(&self.outlines[0])
    }
}

/// Who writes a draft: for a system, those who maintain systems; for the province, the
/// department and the response team (Decision 05 Art 16: the specialised unit drafts).
pub fn may_draft(role: Role, province_plan: bool) -> bool {
    if province_plan { matches!(role, Role::ProvinceAdmin | Role::Responder) } else { role.can_edit_systems() }
}

/// Who records an approval: for a system, the owner's manager or the department; the
/// provincial plan's approval (by the Chairman) is recorded by the department.
pub fn may_approve(role: Role, province_plan: bool) -> bool {
    if province_plan { role == Role::ProvinceAdmin } else { matches!(role, Role::ProvinceAdmin | Role::UnitManager) }
}

/// A new plan: its title (a default is proposed from the subject).
#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize)]
#[serde(default)]
pub struct NewPlanInput {
    /// A system id, or `province`.
    pub subject: String,
    pub title: String,
}

impl NewPlanInput {
    pub fn validate(&self) -> Result<(String, String), Invalid> {
        let mut e = Invalid::default();
        let subject = self.subject.trim().to_string();
        if subject.is_empty() {
            e.push("subject", "rplan.err_subject", "");
        }
        let title = required_text(&mut e, "title", &self.title, 300);
        e.into_result((subject, title))
    }
}

/// A draft's text: the outline's sections, the priority conditions, the contacts and
/// the review date. Everything may be empty while drafting; approval asks for more.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct DraftInput {
    pub sections: BTreeMap<String, String>,
    pub priorities: String,
    pub contacts: String,
    /// dd/mm/yyyy.
    pub review_on: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DraftFields {
    /// Only the outline's sections, trimmed, empty ones left out.
    pub sections: BTreeMap<String, String>,
    pub priorities: String,
    pub contacts: String,
    pub review_on: Option<Date>,
}

impl DraftInput {
    pub fn validate(&self, outline: &Outline) -> Result<DraftFields, Invalid> {
        let mut e = Invalid::default();
        let mut sections = BTreeMap::new();
        for s in &outline.sections {
            let text = self.sections.get(&s.id).map(|t| t.trim()).unwrap_or_default();
            if text.chars().count() > SECTION_MAX {
                e.push("sections", "rplan.err_section_long", s.title.clone());
            } else if !text.is_empty() {
                sections.insert(s.id.clone(), text.to_string());
            }
        }
        let priorities = optional_text(&mut e, "priorities", &self.priorities, SECTION_MAX).unwrap_or_default();
        let contacts = optional_text(&mut e, "contacts", &self.contacts, 4_000).unwrap_or_default();
        let review_on = date_field(&mut e, "review_on", &self.review_on, false);
        e.into_result(DraftFields { sections, priorities, contacts, review_on })
    }
}

/// One scenario: an incident type, the situation and the response to it.
#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize)]
#[serde(default)]
pub struct ScenarioInput {
    pub incident_type: String,
    pub title: String,
    pub situation: String,
    /// What to do (phương án xử lý).
    pub handling: String,
}

impl ScenarioInput {
    pub fn validate(&self) -> Result<(IncidentType, String, String, String), Invalid> {
        let mut e = Invalid::default();
        let kind = IncidentType::parse(&self.incident_type);
        if kind.is_none() {
            e.push("incident_type", "rplan.err_type", "");
        }
        let title = required_text(&mut e, "title", &self.title, 300);
        let situation = required_text(&mut e, "situation", &self.situation, SCENARIO_TEXT_MAX);
        let handling = required_text(&mut e, "handling", &self.handling, SCENARIO_TEXT_MAX);
        match kind {
            Some(k) if e.is_empty() => Ok((k, title, situation, handling)),
            _ => Err(e),
        }
    }
}

/// The approval as recorded from the signed decision.
#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize)]
#[serde(default)]
pub struct ApprovalInput {
    pub approver: String,
    pub decision_no: String,
    /// dd/mm/yyyy.
    pub decision_date: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApprovalFields {
    pub approver: String,
    pub decision_no: String,
    pub decision_date: Date,
}

impl ApprovalInput {
    /// The provincial plan's approver is fixed by its outline (`fixed_approver`), whatever
    /// the form says.
    pub fn validate(&self, today: Date, fixed_approver: Option<&str>) -> Result<ApprovalFields, Invalid> {
        let mut e = Invalid::default();
        let approver = match fixed_approver {
            Some(a) => a.to_string(),
            None => required_text(&mut e, "approver", &self.approver, 300),
        };
        let decision_no = required_text(&mut e, "decision_no", &self.decision_no, 100);
        let decision_date = past_date_field(&mut e, "decision_date", &self.decision_date, today);
        match decision_date {
            Some(decision_date) if e.is_empty() => Ok(ApprovalFields { approver, decision_no, decision_date }),
            _ => Err(e),
        }
    }
}

/// What a draft must hold before it can be approved, each missing piece an error: the
/// outline's required sections, the priority conditions (mandatory, Circular 20 Art
/// 12), the contacts, at least one scenario, and a review date after `today`.
pub fn approval_gaps(outline: &Outline, draft: &DraftFields, scenarios: usize, today: Date) -> Invalid {
    let mut e = Invalid::default();
    for s in outline.sections.iter().filter(|s| s.required) {
        if !draft.sections.contains_key(&s.id) {
            e.push("sections", "rplan.err_section_missing", s.title.clone());
        }
    }
    if draft.priorities.is_empty() {
        e.push("priorities", "rplan.err_priorities", "");
    }
    if draft.contacts.is_empty() {
        e.push("contacts", "rplan.err_contacts", "");
    }
    if scenarios == 0 {
        e.push("scenarios", "rplan.err_no_scenario", "");
    }
    match draft.review_on {
        None => e.push("review_on", "rplan.err_review_missing", ""),
        Some(d) if d <= today => e.push("review_on", "rplan.err_review_past", crate::time_fmt::format_date(today)),
        Some(_) => {}
    }
    e
}

/// Why a plan needs attention.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlanFlag {
    /// No version approved yet.
    NotApproved,
    /// The review date of the approved version has passed.
    ReviewOverdue { review_on: Date },
    /// The review date is within [`REVIEW_SOON_DAYS`].
    ReviewSoon { review_on: Date },
    /// The system was changed after the approved version was (its record's last change).
    SystemChanged { changed_on: Date },
    /// The system's level now asks for another outline than the plan follows.
    OutlineMismatch,
}

impl PlanFlag {
    /// An i18n key saying it.
    pub fn key(self) -> &'static str {
        match self {
            PlanFlag::NotApproved => "rplan.flag_not_approved",
            PlanFlag::ReviewOverdue { .. } => "rplan.flag_review_overdue",
            PlanFlag::ReviewSoon { .. } => "rplan.flag_review_soon",
            PlanFlag::SystemChanged { .. } => "rplan.flag_system_changed",
            PlanFlag::OutlineMismatch => "rplan.flag_outline",
        }
    }

    /// The date it is about, if any.
    pub fn date(self) -> Option<Date> {
        match self {
            PlanFlag::ReviewOverdue { review_on } | PlanFlag::ReviewSoon { review_on } => Some(review_on),
            PlanFlag::SystemChanged { changed_on } => Some(changed_on),
            PlanFlag::NotApproved | PlanFlag::OutlineMismatch => None,
        }
    }

    /// Late rather than merely worth a look.
    pub fn is_late(self) -> bool {
        matches!(self, PlanFlag::ReviewOverdue { .. } | PlanFlag::SystemChanged { .. })
    }
}

/// What the flags are computed from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanFacts {
    /// The approved version's review date and when its approval was recorded.
    pub approved: Option<(Option<Date>, OffsetDateTime)>,
    /// The system record's last change (none for the provincial plan).
    pub system_changed_at: Option<OffsetDateTime>,
    pub outline: String,
    pub expected_outline: String,
}

/// The plan's flags on `today` (the Vietnam date).
pub fn flags(f: &PlanFacts, today: Date) -> Vec<PlanFlag> {
    let mut out = Vec::new();
    match f.approved {
        None => out.push(PlanFlag::NotApproved),
        Some((review_on, approved_at)) => {
            match review_on {
                Some(d) if d < today => out.push(PlanFlag::ReviewOverdue { review_on: d }),
                Some(d) if d <= today + Duration::days(REVIEW_SOON_DAYS) => out.push(PlanFlag::ReviewSoon { review_on: d }),
                _ => {}
            }
            if let Some(changed) = f.system_changed_at.filter(|c| *c > approved_at) {
                out.push(PlanFlag::SystemChanged { changed_on: crate::time_fmt::vn_date(changed) });
            }
        }
    }
    if f.outline != f.expected_outline {
        out.push(PlanFlag::OutlineMismatch);
    }
    out
}

/// The incident types no scenario covers yet (worth a look, not a refusal).
pub fn types_without_scenario(covered: &[IncidentType]) -> Vec<IncidentType> {
    IncidentType::ALL.iter().copied().filter(|t| *t != IncidentType::Other && !covered.contains(t)).collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use time::macros::{date, datetime};

    fn outlines() -> Outlines {
        Outlines::embedded().unwrap()
    }

    #[test]
    fn levels_four_and_five_and_the_province_follow_decision_05_the_rest_circular_20() {
        let o = outlines();
        assert_eq!(o.for_subject(PlanSubject::Province).id, "qd05_appendix_ii");
        assert_eq!(o.for_subject(PlanSubject::System { level: Some(4) }).id, "qd05_appendix_ii");
        assert_eq!(o.for_subject(PlanSubject::System { level: Some(5) }).id, "qd05_appendix_ii");
        assert_eq!(o.for_subject(PlanSubject::System { level: Some(3) }).id, "tt20_appendix_iii");
        assert_eq!(o.for_subject(PlanSubject::System { level: None }).id, "tt20_appendix_iii");
        assert_eq!(o.for_subject(PlanSubject::Province).province_approver.as_deref(), Some("Chủ tịch Ủy ban nhân dân tỉnh"));
    }

    #[test]
    fn a_broken_outline_file_is_refused_with_its_reason() {
        let two_for_level_3 = EMBEDDED_OUTLINES.replace("levels = [4, 5]", "levels = [3, 4, 5]");
        assert!(Outlines::parse(&two_for_level_3).unwrap_err().contains("level 3"));
        let no_province = EMBEDDED_OUTLINES.replace("province = true", "province = false");
        assert!(Outlines::parse(&no_province).unwrap_err().contains("province = true"));
        let twice = EMBEDDED_OUTLINES.replace("id = \"forces\"", "id = \"threats\"");
        assert!(Outlines::parse(&twice).unwrap_err().contains("threats twice"));
    }

    #[test]
    fn approval_asks_for_every_required_section_the_priorities_a_scenario_and_a_future_review() {
        let o = outlines();
        let outline = o.for_subject(PlanSubject::System { level: Some(2) });
        let today = date!(2026 - 12 - 02);
        let mut input = DraftInput { review_on: "02/12/2026".into(), ..Default::default() };
        input.sections.insert("threats".into(), "  Tấn công thay đổi giao diện  ".into());
        input.sections.insert("unknown".into(), "ignored".into());
        let d = input.validate(outline).unwrap();
        assert_eq!(d.sections.len(), 1, "only the outline's sections are kept");
        assert_eq!(d.sections["threats"], "Tấn công thay đổi giao diện");
        let gaps = approval_gaps(outline, &d, 0, today);
        let missing: Vec<&str> = gaps.errors.iter().filter(|x| x.key == "rplan.err_section_missing").map(|x| x.detail.as_str()).collect();
        assert_eq!(missing.len(), 4, "{missing:?}");
        assert!(!missing.iter().any(|m| m.starts_with("Các tình huống")), "the written section is not missing");
        for f in ["priorities", "contacts", "scenarios", "review_on"] {
            assert!(gaps.errors.iter().any(|x| x.field == f), "{f}");
        }
        assert_eq!(gaps.errors.iter().find(|x| x.field == "review_on").unwrap().key, "rplan.err_review_past", "today is not a future review");
    }

    #[test]
    fn the_provincial_approver_is_the_chairman_whatever_the_form_says() {
        let today = date!(2026 - 12 - 02);
        let a = ApprovalInput { approver: "Giám đốc Sở".into(), decision_no: "123/QĐ-UBND".into(), decision_date: "01/12/2026".into() };
        assert_eq!(a.validate(today, Some("Chủ tịch Ủy ban nhân dân tỉnh")).unwrap().approver, "Chủ tịch Ủy ban nhân dân tỉnh");
        assert_eq!(a.validate(today, None).unwrap().approver, "Giám đốc Sở");
        let future = ApprovalInput { decision_date: "03/12/2026".into(), ..a };
        assert!(future.validate(today, None).unwrap_err().errors.iter().any(|e| e.field == "decision_date"));
    }

    #[test]
    fn a_plan_is_flagged_when_its_review_nears_or_passes_or_its_system_changed_after_approval() {
        let approved_at = datetime!(2026-06-01 03:00 UTC);
        let facts = |review: Date, changed: Option<OffsetDateTime>| PlanFacts {
            approved: Some((Some(review), approved_at)),
            system_changed_at: changed,
            outline: "tt20_appendix_iii".into(),
            expected_outline: "tt20_appendix_iii".into(),
        };
        let today = date!(2026 - 12 - 02);
        assert!(flags(&facts(date!(2027 - 06 - 01), None), today).is_empty());
        assert_eq!(flags(&facts(date!(2027 - 01 - 01), None), today), vec![PlanFlag::ReviewSoon { review_on: date!(2027 - 01 - 01) }]);
        assert_eq!(flags(&facts(date!(2026 - 12 - 01), None), today), vec![PlanFlag::ReviewOverdue { review_on: date!(2026 - 12 - 01) }]);
        // Changed before the approval: nothing; after (17:30 UTC is the next Vietnam day).
        assert!(flags(&facts(date!(2027 - 06 - 01), Some(datetime!(2026-05-31 10:00 UTC))), today).is_empty());
        assert_eq!(flags(&facts(date!(2027 - 06 - 01), Some(datetime!(2026-07-01 17:30 UTC))), today), vec![PlanFlag::SystemChanged { changed_on: date!(2026 - 07 - 02) }]);
        let draft_only = PlanFacts { approved: None, system_changed_at: None, outline: "tt20_appendix_iii".into(), expected_outline: "qd05_appendix_ii".into() };
        assert_eq!(flags(&draft_only, today), vec![PlanFlag::NotApproved, PlanFlag::OutlineMismatch]);
    }

    #[test]
    fn roles_draft_and_approve_as_the_law_divides_the_work() {
        assert!(may_draft(Role::UnitStaff, false) && !may_draft(Role::UnitStaff, true));
        assert!(may_draft(Role::Responder, true) && !may_draft(Role::Responder, false));
        assert!(may_approve(Role::UnitManager, false) && !may_approve(Role::UnitStaff, false));
        assert!(may_approve(Role::ProvinceAdmin, true) && !may_approve(Role::UnitManager, true) && !may_approve(Role::Responder, true));
    }

    #[test]
    fn every_type_but_other_wants_a_scenario() {
        let left = types_without_scenario(&[IncidentType::Ransomware, IncidentType::Defacement]);
        assert!(!left.contains(&IncidentType::Ransomware) && !left.contains(&IncidentType::Other));
        assert_eq!(left.len(), IncidentType::ALL.len() - 3);
    }
}
