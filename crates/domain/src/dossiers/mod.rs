//! The level-dossier workflow (hồ sơ đề xuất cấp độ): states, who may move a dossier
//! between them, and the legal clock of each stage. Who may act comes from the regime's
//! authorities (Decree 85 Art 12; Decree 331 Arts 18, 20), mapped to platform roles here.

use khien_levels::regime::{Authority, ClockStep, Regime};
use khien_levels::{Calendar, Role as LegalRole};
use serde::{Deserialize, Serialize};
use time::Date;

use crate::roles::Role;

pub mod policy;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[derive(schemars::JsonSchema)]
pub enum DossierStatus {
    Draft,
    Submitted,
    Returned,
    UnderAppraisal,
    Appraised,
    Approved,
}

impl DossierStatus {
    pub const ALL: [DossierStatus; 6] = [
        DossierStatus::Draft,
        DossierStatus::Submitted,
        DossierStatus::Returned,
        DossierStatus::UnderAppraisal,
        DossierStatus::Appraised,
        DossierStatus::Approved,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DossierStatus::Draft => "draft",
            DossierStatus::Submitted => "submitted",
            DossierStatus::Returned => "returned",
            DossierStatus::UnderAppraisal => "under_appraisal",
            DossierStatus::Appraised => "appraised",
            DossierStatus::Approved => "approved",
        }
    }

    pub fn parse(s: &str) -> Option<DossierStatus> {
        DossierStatus::ALL.into_iter().find(|v| v.as_str() == s)
    }

    /// Still moving through the procedure (not a draft, not finished).
    pub fn is_pending(self) -> bool {
        matches!(
            self,
            DossierStatus::Submitted | DossierStatus::UnderAppraisal | DossierStatus::Appraised
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[derive(schemars::JsonSchema)]
pub enum Transition {
    /// The owner's or operator's unit sends the dossier for appraisal.
    Submit,
    /// The appraiser sends it back with reasons (invalid or incomplete).
    Return,
    /// The appraiser accepts a valid dossier and starts appraising (for levels 4–5: the
    /// dossier has gone to the ministry).
    StartAppraisal,
    /// The appraisal opinion is recorded (for levels 4–5: the ministry's, as received).
    RecordAppraisal,
    /// The approval decision is recorded (number, date, approver).
    Approve,
}

impl Transition {
    pub const ALL: [Transition; 5] = [
        Transition::Submit,
        Transition::Return,
        Transition::StartAppraisal,
        Transition::RecordAppraisal,
        Transition::Approve,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Transition::Submit => "submit",
            Transition::Return => "return",
            Transition::StartAppraisal => "start_appraisal",
            Transition::RecordAppraisal => "record_appraisal",
            Transition::Approve => "approve",
        }
    }

    pub fn parse(s: &str) -> Option<Transition> {
        Transition::ALL.into_iter().find(|t| t.as_str() == s)
    }

    pub fn from(self) -> &'static [DossierStatus] {
        match self {
            Transition::Submit => &[DossierStatus::Draft, DossierStatus::Returned],
            Transition::Return => &[DossierStatus::Submitted, DossierStatus::UnderAppraisal],
            Transition::StartAppraisal => &[DossierStatus::Submitted],
            Transition::RecordAppraisal => &[DossierStatus::UnderAppraisal],
            Transition::Approve => &[DossierStatus::Appraised],
        }
    }

    pub fn to(self) -> DossierStatus {
        match self {
            Transition::Submit => DossierStatus::Submitted,
            Transition::Return => DossierStatus::Returned,
            Transition::StartAppraisal => DossierStatus::UnderAppraisal,
            Transition::RecordAppraisal => DossierStatus::Appraised,
            Transition::Approve => DossierStatus::Approved,
        }
    }
}

/// Platform roles that act for a legal role. The province's specialised unit is the
/// department (its inspectors appraise, its administrators record decisions); decisions
/// of the owner (the provincial People's Committee), a ministry or the Prime Minister are
/// recorded by a province administrator, never by the unit that made the dossier.
fn acting_roles(legal: LegalRole, appraising: bool) -> &'static [Role] {
    match (legal, appraising) {
        (LegalRole::SpecialisedUnit, true) => &[Role::Inspector, Role::ProvinceAdmin],
        _ => &[Role::ProvinceAdmin],
    }
}

/// Which platform roles may make `t` for a dossier under `authority`.
pub fn allowed_roles(t: Transition, authority: &Authority) -> &'static [Role] {
    match t {
        // The unit's leadership submits; its IT staff prepare the draft.
        Transition::Submit => &[Role::UnitManager, Role::ProvinceAdmin],
        Transition::Return | Transition::StartAppraisal | Transition::RecordAppraisal => {
            acting_roles(authority.appraiser, true)
        }
        Transition::Approve => acting_roles(authority.approver, false),
    }
}

/// Why a transition is refused (an i18n key).
pub fn check_transition(
    t: Transition,
    status: DossierStatus,
    role: Role,
    authority: &Authority,
) -> Result<(), &'static str> {
    if !t.from().contains(&status) {
        return Err("dossier.err_state");
    }
    if !allowed_roles(t, authority).contains(&role) {
        return Err("dossier.err_role");
    }
    Ok(())
}

/// The legal clock running in a stage, and when it started.
pub fn stage_clock(status: DossierStatus) -> Option<ClockStep> {
    match status {
        DossierStatus::Submitted => Some(ClockStep::ValidityCheck),
        DossierStatus::UnderAppraisal => Some(ClockStep::Appraisal),
        DossierStatus::Appraised => Some(ClockStep::Approval),
        _ => None,
    }
}

/// A stage whose clock runs but whose deadline cannot be computed: the holiday
/// calendar does not cover the year. Shown as such, never as "no deadline".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeadlineUnknown {
    pub year: i32,
}

/// The deadline of the current stage: `Ok(None)` when no clock runs (a draft, an
/// approved dossier, or a level the regime sets no clock for).
/// A submitted dossier under a regime without a validity-check clock runs on the
/// appraisal clock from submission (Decree 85 counts from receipt of the dossier).
pub fn stage_deadline(
    regime: &Regime,
    level: u8,
    status: DossierStatus,
    stage_started: Date,
    calendar: &Calendar,
) -> Result<Option<StageDeadline>, DeadlineUnknown> {
    let Some(step) = stage_clock(status) else {
        return Ok(None);
    };
    let Some(clock) = regime.clock(step, level).or_else(|| match step {
        ClockStep::ValidityCheck => regime.clock(ClockStep::Appraisal, level),
        _ => None,
    }) else {
        return Ok(None);
    };
    let due = clock.deadline(stage_started, calendar).map_err(|e| match e {
        khien_levels::LevelError::YearNotConfigured(year) => DeadlineUnknown { year },
        _ => DeadlineUnknown {
            year: stage_started.year(),
        },
    })?;
    Ok(Some(StageDeadline {
        step: clock.step,
        due,
        amount: clock.amount,
        working_days: matches!(clock.unit, khien_levels::regime::DayUnit::WorkingDays),
        article: clock.article.clone(),
    }))
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StageDeadline {
    pub step: ClockStep,
    pub due: Date,
    pub amount: u32,
    pub working_days: bool,
    pub article: String,
}

impl StageDeadline {
    /// Overdue once `today` is past the last day of the period.
    pub fn overdue(&self, today: Date) -> bool {
        today > self.due
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use khien_levels::load_regime;
    use time::macros::date;

    fn cal() -> &'static Calendar {
        Calendar::vietnam().unwrap()
    }

    #[test]
    fn appraisal_deadline_skips_tet_and_weekends() {
        let nd331 = load_regime("nd331-2026").unwrap();
        // Appraisal of a level-3 dossier accepted on Friday 13/02/2026, the last working
        // day before Tết Bính Ngọ (16–20/02 off): 15 working days end on Friday 13/03,
        // a week later than without the holiday.
        let d = stage_deadline(
            nd331,
            3,
            DossierStatus::UnderAppraisal,
            date!(2026 - 02 - 13),
            cal(),
        ).unwrap().unwrap();
        assert_eq!(d.due, date!(2026 - 03 - 13));
        assert!(d.working_days && d.amount == 15);
        assert!(!d.overdue(date!(2026 - 03 - 13)));
        assert!(d.overdue(date!(2026 - 03 - 14)));
        // Level 4–5: 25 working days; the 5-working-day validity check on submission.
        assert_eq!(
            stage_deadline(
                nd331,
                4,
                DossierStatus::UnderAppraisal,
                date!(2026 - 02 - 13),
                cal()
            ).unwrap().unwrap()
            .due,
            date!(2026 - 03 - 27)
        );
        let v = stage_deadline(
            nd331,
            3,
            DossierStatus::Submitted,
            date!(2026 - 02 - 12),
            cal(),
        ).unwrap().unwrap();
        // Submitted Thursday 12/02: Friday 13/02 is day 1, then Tết, then 23–26/02.
        assert_eq!(
            (v.step, v.due),
            (ClockStep::ValidityCheck, date!(2026 - 02 - 26))
        );
        // Approval: 7 working days from Wednesday 29/04/2026 skip 30/04, 01/05 and the weekend.
        assert_eq!(
            stage_deadline(
                nd331,
                3,
                DossierStatus::Appraised,
                date!(2026 - 04 - 29),
                cal()
            ).unwrap().unwrap()
            .due,
            date!(2026 - 05 - 12)
        );
        // No clock in a draft or once approved.
        assert!(
            stage_deadline(nd331, 3, DossierStatus::Draft, date!(2026 - 02 - 13), cal()).unwrap().is_none()
        );
        assert!(
            stage_deadline(
                nd331,
                3,
                DossierStatus::Approved,
                date!(2026 - 02 - 13),
                cal()
            ).unwrap().is_none()
        );
    }

    #[test]
    fn a_year_without_a_holiday_list_is_an_unknown_deadline_not_none() {
        let nd331 = load_regime("nd331-2026").unwrap();
        assert_eq!(
            stage_deadline(nd331, 3, DossierStatus::UnderAppraisal, date!(2031 - 03 - 02), cal()),
            Err(DeadlineUnknown { year: 2031 })
        );
    }

    #[test]
    fn decree_85_counts_calendar_days_for_appraisal() {
        let nd85 = load_regime("nd85-2016").unwrap();
        // 15 days from Wednesday 11/02/2026 end on Thursday 26/02 (calendar days; the end
        // is not a day off, so it stays).
        let d = stage_deadline(
            nd85,
            3,
            DossierStatus::UnderAppraisal,
            date!(2026 - 02 - 11),
            cal(),
        ).unwrap().unwrap();
        assert!(!d.working_days);
        assert_eq!(d.due, date!(2026 - 02 - 26));
        // Decree 85 has no validity-check clock: a submitted dossier runs on the appraisal one.
        assert_eq!(
            stage_deadline(
                nd85,
                3,
                DossierStatus::Submitted,
                date!(2026 - 02 - 11),
                cal()
            ).unwrap().unwrap()
            .step,
            ClockStep::Appraisal
        );
    }

    #[test]
    fn only_the_regimes_parties_may_move_a_dossier() {
        let nd85 = load_regime("nd85-2016").unwrap();
        let l3 = nd85.authority(3).unwrap();
        let l5 = nd85.authority(5).unwrap();
        use DossierStatus::*;
        assert_eq!(
            check_transition(Transition::Submit, Draft, Role::UnitManager, l3),
            Ok(())
        );
        assert_eq!(
            check_transition(Transition::Submit, Draft, Role::UnitStaff, l3),
            Err("dossier.err_role")
        );
        assert_eq!(
            check_transition(Transition::StartAppraisal, Submitted, Role::Inspector, l3),
            Ok(())
        );
        assert_eq!(
            check_transition(Transition::StartAppraisal, Submitted, Role::UnitManager, l3),
            Err("dossier.err_role")
        );
        assert_eq!(
            check_transition(
                Transition::RecordAppraisal,
                UnderAppraisal,
                Role::Inspector,
                l3
            ),
            Ok(())
        );
        assert_eq!(
            check_transition(Transition::Approve, Appraised, Role::Inspector, l3),
            Err("dossier.err_role"),
            "the owner's decision is recorded by an administrator"
        );
        assert_eq!(
            check_transition(Transition::Approve, Appraised, Role::UnitManager, l3),
            Err("dossier.err_role")
        );
        assert_eq!(
            check_transition(Transition::Approve, Appraised, Role::ProvinceAdmin, l3),
            Ok(())
        );
        assert_eq!(
            check_transition(Transition::Approve, Submitted, Role::ProvinceAdmin, l3),
            Err("dossier.err_state")
        );
        // Level 5: the ministry appraises; only an administrator records its appraisal.
        assert_eq!(
            check_transition(
                Transition::RecordAppraisal,
                UnderAppraisal,
                Role::Inspector,
                l5
            ),
            Err("dossier.err_role")
        );
        assert_eq!(
            check_transition(
                Transition::RecordAppraisal,
                UnderAppraisal,
                Role::ProvinceAdmin,
                l5
            ),
            Ok(())
        );
        assert_eq!(
            check_transition(Transition::Submit, Returned, Role::UnitManager, l3),
            Ok(())
        );
    }
}
