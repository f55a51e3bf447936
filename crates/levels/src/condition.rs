//! The small condition language used by criteria in the regime data files.
//!
//! A condition is a set of tests on [`LevelInput`]; all tests present must hold, and
//! `any_of` adds a disjunction. Keeping the tests declarative keeps the legal criteria
//! in data/regimes/ rather than in code.

use serde::Deserialize;

use crate::input::{
    DefenceSecurityHarm, InformationType, InfrastructureScope, LevelInput, SystemType, WorksGrade,
};

/// Tests on one system; every test that is present must hold.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Condition {
    /// The system type is one of these.
    pub system_type: Option<Vec<SystemType>>,
    /// At least one of these information types is processed.
    pub information_any: Option<Vec<InformationType>>,
    /// None of these information types is processed.
    pub information_none: Option<Vec<InformationType>>,
    /// Every processed information type is one of these (an empty list passes).
    pub information_only: Option<Vec<InformationType>>,
    pub defence_security_harm: Option<Vec<DefenceSecurityHarm>>,
    pub online_public_service_level_at_least: Option<u8>,
    pub online_public_service_level_at_most: Option<u8>,
    pub handles_administrative_procedures: Option<bool>,
    pub conditional_business_service: Option<bool>,
    pub personal_data_subjects_at_least: Option<u64>,
    pub personal_data_subjects_below: Option<u64>,
    pub sensitive_data_subjects_at_least: Option<u64>,
    pub sensitive_data_subjects_below: Option<u64>,
    /// Tests on the larger of the two data-subject counts (Decree 85 "users").
    pub data_subjects_at_least: Option<u64>,
    pub data_subjects_below: Option<u64>,
    pub infrastructure_scope: Option<Vec<InfrastructureScope>>,
    pub requires_24x7: Option<bool>,
    pub national_egovernment: Option<bool>,
    pub national_important_data_store: Option<bool>,
    pub industrial_works_grade: Option<Vec<WorksGrade>>,
    /// At least one of these sub-conditions holds.
    pub any_of: Option<Vec<Condition>>,
}

fn one_of<T: PartialEq>(wanted: &Option<Vec<T>>, actual: &T) -> bool {
    wanted.as_ref().is_none_or(|w| w.contains(actual))
}

fn equals<T: PartialEq>(wanted: Option<T>, actual: T) -> bool {
    wanted.is_none_or(|w| w == actual)
}

fn at_least(bound: Option<u64>, actual: u64) -> bool {
    bound.is_none_or(|b| actual >= b)
}

fn below(bound: Option<u64>, actual: u64) -> bool {
    bound.is_none_or(|b| actual < b)
}

impl Condition {
    /// Whether `input` (its own fields, not its components) meets this condition.
    pub fn matches(&self, input: &LevelInput) -> bool {
        let type_ok = match (&self.system_type, input.system_type) {
            (None, _) => true,
            (Some(_), None) => false,
            (Some(wanted), Some(actual)) => wanted.contains(&actual),
        };
        let info_any = self
            .information_any
            .as_ref()
            .is_none_or(|w| input.processes_any(w));
        let info_none = self
            .information_none
            .as_ref()
            .is_none_or(|w| !input.processes_any(w));
        let info_only = self
            .information_only
            .as_ref()
            .is_none_or(|w| input.information.iter().all(|t| w.contains(t)));
        let ops = input.online_public_service_level;
        let ops_ok = self
            .online_public_service_level_at_least
            .is_none_or(|b| ops >= b)
            && self
                .online_public_service_level_at_most
                .is_none_or(|b| ops <= b);
        let subjects_ok = at_least(
            self.personal_data_subjects_at_least,
            input.personal_data_subjects,
        ) && below(
            self.personal_data_subjects_below,
            input.personal_data_subjects,
        ) && at_least(
            self.sensitive_data_subjects_at_least,
            input.sensitive_data_subjects,
        ) && below(
            self.sensitive_data_subjects_below,
            input.sensitive_data_subjects,
        ) && at_least(self.data_subjects_at_least, input.data_subjects())
            && below(self.data_subjects_below, input.data_subjects());
        let flags_ok = equals(
            self.handles_administrative_procedures,
            input.handles_administrative_procedures,
        ) && equals(
            self.conditional_business_service,
            input.conditional_business_service,
        ) && equals(self.requires_24x7, input.requires_24x7)
            && equals(self.national_egovernment, input.national_egovernment)
            && equals(
                self.national_important_data_store,
                input.national_important_data_store,
            );
        let enums_ok = one_of(&self.defence_security_harm, &input.defence_security_harm)
            && one_of(&self.infrastructure_scope, &input.infrastructure_scope)
            && one_of(&self.industrial_works_grade, &input.industrial_works_grade);
        let any_ok = self
            .any_of
            .as_ref()
            .is_none_or(|alts| alts.iter().any(|c| c.matches(input)));
        type_ok
            && info_any
            && info_none
            && info_only
            && ops_ok
            && subjects_ok
            && flags_ok
            && enums_ok
            && any_ok
    }

    /// True if the condition has no test at all (it would match everything).
    pub fn is_empty(&self) -> bool {
        self == &Condition::default()
    }
}
