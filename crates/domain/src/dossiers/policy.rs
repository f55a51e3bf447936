//! Who may do what to a level dossier, and what must be on file first: the one place
//! this is decided. The store loads the facts inside the write transaction and asks
//! here; pages and the API render the same answers. Who approves and appraises each
//! level comes from the regime data (`data/regimes/<regime>.toml`, `[[authority]]`);
//! which parts each level needs comes from the same file (`[[dossier_part]]`).

use khien_levels::regime::Regime;

use super::{DossierStatus, Transition, allowed_roles};
use crate::error::{Invalid, past_date_field, required_text};
use crate::roles::Role;

/// The part only the specialised unit (the department) supplies.
pub const EXPERT_OPINION: &str = "expert_opinion";

/// Papers that travel with a step rather than make up the dossier: the owner's cover
/// letter asking for appraisal (công văn đề nghị thẩm định) with the submission, the
/// appraiser's document with its result, the signed decision with the approval. Each
/// is attached by whoever takes its step, before or just after taking it, and never
/// blocks the step (the platform records paper that exists elsewhere).
pub const STEP_DOCUMENTS: [(&str, Transition); 3] = [
    ("cover_letter", Transition::Submit),
    ("appraisal_document", Transition::RecordAppraisal),
    ("signed_decision", Transition::Approve),
];

/// The step a step document belongs to.
pub fn step_of(part: &str) -> Option<Transition> {
    STEP_DOCUMENTS
        .iter()
        .find(|(k, _)| *k == part)
        .map(|(_, t)| *t)
}

/// How the acting principal stands to the dossier's system.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Relation {
    /// A department role: province-wide.
    Province,
    /// A member of the owner unit's subtree: the unit that declares the level.
    Owner,
    /// Only of the operating unit: runs the system, does not declare its level.
    Operator,
}

/// Who is acting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Actor {
    pub role: Role,
    pub relation: Relation,
}

impl Actor {
    /// May prepare the owner's dossier (draft parts, regulation, a new version).
    fn prepares(self) -> bool {
        match self.relation {
            Relation::Owner => self.role.can_edit_systems(),
            Relation::Province => self.role == Role::ProvinceAdmin,
            Relation::Operator => false,
        }
    }
}

/// Everything the rules look at, loaded by the store in the write's transaction.
#[derive(Debug, Clone)]
pub struct DossierFacts<'a> {
    pub regime: &'a Regime,
    pub level: u8,
    pub status: DossierStatus,
    pub superseded: bool,
    /// Part keys that have at least one file.
    pub attached: Vec<String>,
    pub regulation_on_file: bool,
}

/// What a transition brings with it (already trimmed by the caller or not).
#[derive(Debug, Clone, Default)]
pub struct TransitionInput<'a> {
    pub reason: &'a str,
    pub appraisal_opinion: &'a str,
    pub decision_no: &'a str,
    pub decision_by: &'a str,
    /// As typed (`dd/mm/yyyy`).
    pub decision_date: &'a str,
}

/// Why something is refused: an i18n key, and whether it is the actor's right (403)
/// rather than the dossier's state (409).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refusal {
    pub key: &'static str,
    pub forbidden: bool,
}

const fn state(key: &'static str) -> Refusal {
    Refusal {
        key,
        forbidden: false,
    }
}

const FORBIDDEN: Refusal = Refusal {
    key: "dossier.err_role",
    forbidden: true,
};

impl DossierFacts<'_> {
    fn required(&self, expert: bool) -> impl Iterator<Item = &str> {
        self.regime
            .dossier_for(self.level)
            .map(|p| p.key.as_str())
            .filter(move |k| (*k == EXPERT_OPINION) == expert)
    }

    fn missing(&self, expert: bool) -> bool {
        self.required(expert)
            .any(|k| !self.attached.iter().any(|a| a == k))
    }

    fn is_part(&self, part: &str) -> bool {
        self.regime.dossier_for(self.level).any(|p| p.key == part)
    }

    /// The step itself: state and role, not what it must carry.
    fn step(&self, actor: Actor, t: Transition) -> Result<(), Refusal> {
        if self.superseded {
            return Err(state("dossier.err_locked"));
        }
        if !t.from().contains(&self.status) {
            return Err(state("dossier.err_state"));
        }
        let authority = self
            .regime
            .authority(self.level)
            .ok_or(state("dossier.err_regime"))?;
        if !allowed_roles(t, authority).contains(&actor.role) {
            return Err(FORBIDDEN);
        }
        // The owner's leadership submits its own dossier, not the operator's.
        if t == Transition::Submit && actor.relation == Relation::Operator {
            return Err(FORBIDDEN);
        }
        Ok(())
    }

    /// What must be on file before the step (independent of the form's input).
    fn preconditions(&self, t: Transition) -> Result<(), Refusal> {
        match t {
            Transition::Submit if self.missing(false) => Err(state("dossier.err_parts")),
            Transition::StartAppraisal if self.missing(true) => Err(state("dossier.err_expert")),
            Transition::Approve if !self.regulation_on_file => {
                Err(state("dossier.err_regulation"))
            }
            _ => Ok(()),
        }
    }

    /// Whether `actor` may make transition `t` now: the step, and what must be on file.
    /// What the form carries is [`check_input`]'s.
    pub fn check(&self, actor: Actor, t: Transition) -> Result<(), Refusal> {
        self.step(actor, t)?;
        self.preconditions(t)
    }

    /// The steps `actor` may take from here, each with what still blocks it (shown
    /// next to the button rather than hiding it).
    pub fn actions(&self, actor: Actor) -> Vec<Action> {
        Transition::ALL
            .into_iter()
            .filter(|t| self.step(actor, *t).is_ok())
            .map(|t| Action {
                transition: t,
                blocked_by: self.preconditions(t).err().map(|r| r.key),
            })
            .collect()
    }

    /// Whether `actor` may attach a file to `part` now.
    pub fn may_attach(&self, actor: Actor, part: &str) -> Result<(), Refusal> {
        if let Some(t) = step_of(part) {
            return self.may_attach_for_step(actor, t);
        }
        if !self.is_part(part) {
            return Err(state("dossier.err_part"));
        }
        if self.superseded {
            return Err(state("dossier.err_locked"));
        }
        if part == EXPERT_OPINION {
            // The specialised unit's opinion, while it checks the submitted dossier
            // (before a level 4–5 appraisal starts).
            if !matches!(actor.role, Role::Inspector | Role::ProvinceAdmin) {
                return Err(FORBIDDEN);
            }
            if self.status != DossierStatus::Submitted {
                return Err(state("dossier.err_locked"));
            }
            return Ok(());
        }
        if !actor.prepares() {
            return Err(FORBIDDEN);
        }
        if !self.editable() {
            return Err(state("dossier.err_locked"));
        }
        Ok(())
    }

    /// A step's document: the step's roles, while the step may be taken or right after.
    fn may_attach_for_step(&self, actor: Actor, t: Transition) -> Result<(), Refusal> {
        if self.superseded {
            return Err(state("dossier.err_locked"));
        }
        let authority = self
            .regime
            .authority(self.level)
            .ok_or(state("dossier.err_regime"))?;
        if !allowed_roles(t, authority).contains(&actor.role)
            || (t == Transition::Submit && actor.relation == Relation::Operator)
        {
            return Err(FORBIDDEN);
        }
        if !t.from().contains(&self.status) && self.status != t.to() {
            return Err(state("dossier.err_locked"));
        }
        Ok(())
    }

    /// Step documents `actor` may attach now.
    pub fn attachable_step_documents(&self, actor: Actor) -> Vec<&'static str> {
        STEP_DOCUMENTS
            .iter()
            .filter(|(k, _)| self.may_attach(actor, k).is_ok())
            .map(|(k, _)| *k)
            .collect()
    }

    /// The owner prepares its parts while the dossier is with it.
    fn editable(&self) -> bool {
        matches!(self.status, DossierStatus::Draft | DossierStatus::Returned)
    }

    /// Whether `actor` may record the system's security regulation (needed before
    /// approval, so also while the dossier is being appraised).
    pub fn may_set_regulation(&self, actor: Actor) -> Result<(), Refusal> {
        if !actor.prepares() {
            return Err(FORBIDDEN);
        }
        if self.superseded || self.status == DossierStatus::Approved {
            return Err(state("dossier.err_locked"));
        }
        Ok(())
    }

    /// Parts `actor` may attach now (for the upload controls).
    pub fn attachable_parts(&self, actor: Actor) -> Vec<String> {
        self.regime
            .dossier_for(self.level)
            .filter(|p| self.may_attach(actor, &p.key).is_ok())
            .map(|p| p.key.clone())
            .collect()
    }
}

/// What transition `t` must carry, by field: a return its reason, an appraisal its
/// opinion, an approval the decision's number, signer and a real date not after `today`
/// (a decision is recorded once it is signed).
pub fn check_input(t: Transition, input: &TransitionInput<'_>, today: time::Date) -> Result<(), Invalid> {
    let mut e = Invalid::default();
    match t {
        Transition::Return => {
            required_text(&mut e, "reason", input.reason, 2000);
        }
        Transition::RecordAppraisal => {
            required_text(&mut e, "appraisal_opinion", input.appraisal_opinion, 4000);
        }
        Transition::Approve => {
            required_text(&mut e, "decision_no", input.decision_no, 100);
            past_date_field(&mut e, "decision_date", input.decision_date, today);
            required_text(&mut e, "decision_by", input.decision_by, 200);
        }
        _ => {}
    }
    e.into_result(())
}

/// File types a dossier part may be: documents, spreadsheets and scans of signed papers.
/// Anything else (programs, scripts, web pages) is refused at upload.
pub const ATTACHMENT_TYPES: &[&str] = &[
    "pdf", "doc", "docx", "odt", "rtf", "xls", "xlsx", "ods", "jpg", "jpeg", "png", "zip",
];

/// Whether `filename` has one of the [`ATTACHMENT_TYPES`] (by its extension, any case).
pub fn check_attachment_type(filename: &str) -> Result<(), Invalid> {
    let ext = filename
        .rsplit_once('.')
        .map(|(_, e)| e.trim().to_ascii_lowercase())
        .unwrap_or_default();
    let mut e = Invalid::default();
    if !ATTACHMENT_TYPES.contains(&ext.as_str()) {
        e.push("file", "dossier.err_file_type", ATTACHMENT_TYPES.join(", "));
    }
    e.into_result(())
}

/// Whether `actor` may start a new dossier version for a system.
pub fn may_create(actor: Actor) -> Result<(), Refusal> {
    if actor.prepares() { Ok(()) } else { Err(FORBIDDEN) }
}

/// One step offered to the viewer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Action {
    pub transition: Transition,
    /// Set when something must be on file first (an i18n key).
    pub blocked_by: Option<&'static str>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use khien_levels::load_regime;

    fn facts(regime: &str, level: u8, status: DossierStatus, attached: &[&str]) -> DossierFacts<'static> {
        DossierFacts {
            regime: load_regime(regime).unwrap(),
            level,
            status,
            superseded: false,
            attached: attached.iter().map(|s| s.to_string()).collect(),
            regulation_on_file: false,
        }
    }

    const fn who(role: Role, relation: Relation) -> Actor {
        Actor { role, relation }
    }

    #[test]
    fn the_expert_opinion_comes_from_the_department_while_submitted() {
        let f = facts("nd85-2016", 4, DossierStatus::Submitted, &[]);
        assert_eq!(f.may_attach(who(Role::Inspector, Relation::Province), EXPERT_OPINION), Ok(()));
        assert_eq!(
            f.may_attach(who(Role::Responder, Relation::Province), EXPERT_OPINION),
            Err(FORBIDDEN),
            "a responder is not the specialised unit"
        );
        assert_eq!(
            f.may_attach(who(Role::UnitManager, Relation::Owner), EXPERT_OPINION),
            Err(FORBIDDEN)
        );
        let appraising = facts("nd85-2016", 4, DossierStatus::UnderAppraisal, &[]);
        assert_eq!(
            appraising
                .may_attach(who(Role::Inspector, Relation::Province), EXPERT_OPINION)
                .map_err(|r| r.key),
            Err("dossier.err_locked")
        );
    }

    #[test]
    fn the_operator_neither_edits_nor_submits_the_owners_dossier() {
        let all: Vec<&str> = load_regime("nd85-2016")
            .unwrap()
            .dossier_for(3)
            .map(|p| p.key.as_str())
            .filter(|k| *k != EXPERT_OPINION)
            .collect();
        let f = facts("nd85-2016", 3, DossierStatus::Draft, &all);
        let manager = who(Role::UnitManager, Relation::Owner);
        let operator = who(Role::UnitManager, Relation::Operator);
        let part = all[0];
        assert_eq!(f.may_attach(manager, part), Ok(()));
        assert_eq!(f.may_attach(operator, part), Err(FORBIDDEN));
        assert_eq!(f.check(manager, Transition::Submit), Ok(()));
        assert_eq!(
            f.check(operator, Transition::Submit),
            Err(FORBIDDEN)
        );
        assert_eq!(may_create(operator), Err(FORBIDDEN));
        assert_eq!(may_create(who(Role::UnitStaff, Relation::Owner)), Ok(()));
        assert_eq!(may_create(who(Role::Inspector, Relation::Province)), Err(FORBIDDEN));
        // Staff prepare but do not submit.
        let staff = who(Role::UnitStaff, Relation::Owner);
        assert!(f.actions(staff).is_empty());
        assert_eq!(
            f.actions(manager),
            vec![Action { transition: Transition::Submit, blocked_by: None }]
        );
    }

    #[test]
    fn offered_steps_say_what_is_missing() {
        let f = facts("nd85-2016", 3, DossierStatus::Draft, &[]);
        let manager = who(Role::UnitManager, Relation::Owner);
        assert_eq!(
            f.actions(manager),
            vec![Action { transition: Transition::Submit, blocked_by: Some("dossier.err_parts") }]
        );
        assert_eq!(
            f.check(manager, Transition::Submit).map_err(|r| r.key),
            Err("dossier.err_parts")
        );
        let mut appraised = facts("nd85-2016", 3, DossierStatus::Appraised, &[]);
        let admin = who(Role::ProvinceAdmin, Relation::Province);
        assert_eq!(
            appraised.check(admin, Transition::Approve).map_err(|r| r.key),
            Err("dossier.err_regulation")
        );
        appraised.regulation_on_file = true;
        assert_eq!(appraised.check(admin, Transition::Approve), Ok(()));
        appraised.superseded = true;
        assert!(appraised.actions(admin).is_empty());
    }

    #[test]
    fn step_documents_go_with_their_step() {
        let draft = facts("nd85-2016", 3, DossierStatus::Draft, &[]);
        let manager = who(Role::UnitManager, Relation::Owner);
        let admin = who(Role::ProvinceAdmin, Relation::Province);
        let inspector = who(Role::Inspector, Relation::Province);
        assert_eq!(draft.may_attach(manager, "cover_letter"), Ok(()));
        assert_eq!(draft.may_attach(who(Role::UnitStaff, Relation::Owner), "cover_letter"), Err(FORBIDDEN));
        assert_eq!(draft.may_attach(manager, "signed_decision"), Err(FORBIDDEN));
        let submitted = facts("nd85-2016", 3, DossierStatus::Submitted, &[]);
        assert_eq!(submitted.may_attach(manager, "cover_letter"), Ok(()), "just after submitting");
        let appraising = facts("nd85-2016", 3, DossierStatus::UnderAppraisal, &[]);
        assert_eq!(appraising.may_attach(inspector, "appraisal_document"), Ok(()));
        assert_eq!(
            appraising.may_attach(manager, "cover_letter").map_err(|r| r.key),
            Err("dossier.err_locked")
        );
        let approved = facts("nd85-2016", 3, DossierStatus::Approved, &[]);
        assert_eq!(approved.may_attach(admin, "signed_decision"), Ok(()));
        assert_eq!(approved.attachable_step_documents(admin), vec!["signed_decision"]);
    }

    #[test]
    fn parts_are_documents() {
        assert!(check_attachment_type("Thuyet minh.PDF").is_ok());
        assert!(check_attachment_type("so-do.docx").is_ok());
        for bad in ["setup.exe", "trang.html", "khong-co-duoi", "a.pdf.js"] {
            assert!(check_attachment_type(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_decision_needs_a_real_past_date_and_says_which_field_is_wrong() {
        let today = time::macros::date!(2026 - 03 - 10);
        let fields = |input: &TransitionInput<'_>| {
            check_input(Transition::Approve, input, today)
                .err()
                .map(|e| e.errors.iter().map(|f| (f.field, f.key)).collect::<Vec<_>>())
        };
        let mut input = TransitionInput {
            decision_no: "12/QĐ-UBND",
            decision_by: "UBND tỉnh",
            decision_date: "10/03/2026",
            ..Default::default()
        };
        assert_eq!(fields(&input), None);
        input.decision_date = "29/02/2026";
        assert_eq!(fields(&input), Some(vec![("decision_date", "err.date")]));
        input.decision_date = "11/03/2026";
        assert_eq!(fields(&input), Some(vec![("decision_date", "err.date_future")]));
        input.decision_no = " ";
        input.decision_date = "";
        assert_eq!(
            fields(&input),
            Some(vec![("decision_no", "err.required"), ("decision_date", "err.required")])
        );
        let no_reason = check_input(Transition::Return, &TransitionInput::default(), today);
        assert_eq!(no_reason.err().map(|e| e.errors[0].field), Some("reason"));
    }
}
