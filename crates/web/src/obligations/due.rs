//! A unit's obligations as the engine computes them from what the platform records
//! (`khien_store::duty_facts`), with how far each status can be trusted: the page, the
//! work queue and the reminder sweep read the same lines.
//!
//! The platform records hunts, scan imports, serious fixes, assessments, drills, report
//! submissions, levels and dossiers. An obligation whose rule reads a fact not in
//! [`RECORDED`] has no trustworthy status ("no data"); one on a fixed calendar date
//! still has a trustworthy *date*, so it is announced as it comes due, but never called
//! overdue. Every fact the shipped rules read is recorded today; the distinction stays
//! for rules a province adds over facts the platform does not keep.

use std::collections::HashSet;

use khien_duties::rules::Fact;
use khien_duties::{DutyError, ObligationStatus, Status, Subject, SystemFacts, SystemId, SystemStatus, UnitFacts};
use khien_store::duty_facts::UnitDutyFacts;
use time::Date;

/// The facts fed to the engine; every other fact is unknown.
const RECORDED: &[Fact] = &[Fact::LastHunt, Fact::LastScan, Fact::LastCriticalFix, Fact::LastAssessment, Fact::LastDrill, Fact::Report];

/// Days ahead an obligation counts as due soon (the page's and the queue's horizon).
pub const DUE_SOON_DAYS: u32 = 30;

/// One obligation of a unit or of one of its systems.
#[derive(Debug, Clone)]
pub struct DueLine {
    /// The obligation's id (its label is `obligation.<id>`).
    pub obligation: String,
    pub system_id: Option<String>,
    /// The system's name, or none for the unit itself.
    pub system: Option<String>,
    pub due: Date,
    /// `ok`, `due_soon`, `overdue`, `done`, `never`, or `no_data`.
    pub status: &'static str,
    pub basis: String,
    /// The due date rests on records or on a fixed calendar date (else it is not shown).
    pub date_known: bool,
    /// For per-period rules, the occurrence's period (`2026-Q3`).
    pub period: Option<String>,
    /// The engine's own status is "due soon" (whatever the records can tell).
    engine_due_soon: bool,
}

/// How pressing a line is, for the queue and the reminders.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Urgency {
    DueSoon,
    Overdue,
}

impl DueLine {
    /// How the line stands for the compliance index: met while done or not yet due,
    /// missed when overdue or never done, not counted when the records cannot tell.
    pub fn standing(&self) -> khien_duties::compliance::Standing {
        use khien_duties::compliance::Standing;
        match self.status {
            "done" | "ok" | "due_soon" => Standing::Met,
            "overdue" | "never" => Standing::Missed,
            _ => Standing::NotCounted,
        }
    }

    /// Due soon or overdue, as far as the records tell: a status resting on recorded
    /// facts; a fixed-date report only while its date is ahead.
    pub fn urgency(&self) -> Option<Urgency> {
        match self.status {
            "overdue" => Some(Urgency::Overdue),
            "due_soon" | "never" => Some(Urgency::DueSoon),
            "no_data" if self.period.is_some() && self.engine_due_soon => Some(Urgency::DueSoon),
            _ => None,
        }
    }

    /// A periodic report's occurrence (a per-period rule), not a duty of a system.
    pub fn is_report(&self) -> bool {
        self.period.is_some()
    }

    /// What a reminder of this line is about (the unique key's subject).
    pub fn subject_key(&self, unit_id: &str) -> String {
        match &self.system_id {
            Some(s) => format!("system:{s}:{}", self.obligation),
            None => format!("unit:{unit_id}:{}", self.obligation),
        }
    }
}

fn status_key(o: &ObligationStatus) -> &'static str {
    match o.status {
        Status::Done => "done",
        _ if o.never_done => "never",
        Status::Overdue => "overdue",
        Status::DueSoon => "due_soon",
        Status::Ok => "ok",
    }
}

fn system_status(stored: &str) -> SystemStatus {
    match stored {
        "operating" => SystemStatus::Operating,
        "retired" => SystemStatus::Retired,
        "building" => SystemStatus::Building,
        _ => SystemStatus::Planned,
    }
}

/// Each obligation of `u` and its systems at `today`.
pub fn unit_obligations(
    u: &UnitDutyFacts,
    today: Date,
    province: &str,
    regime: &str,
    rules: &khien_duties::Rules,
) -> Result<Vec<DueLine>, DutyError> {
    let systems: Vec<SystemFacts> = u
        .systems
        .iter()
        .map(|s| SystemFacts {
            id: SystemId::Text(s.system_id.clone()),
            level: s.level(),
            status: system_status(&s.status),
            last_scan: s.last_scan,
            last_hunt: s.last_hunt,
            last_drill: s.last_drill,
            last_assessment: s.last_assessment,
            last_critical_fix: s.last_critical_fix,
        })
        .collect();
    // Obligations whose every fact is recorded here.
    let known: HashSet<String> = rules
        .effective(province)
        .unwrap_or_default()
        .into_iter()
        .filter(|r| r.facts().iter().all(|f| RECORDED.contains(f)))
        .map(|r| r.id.clone())
        .collect();
    let list = khien_duties::obligations_for(&UnitFacts { last_assessment: u.last_assessment, reports: u.reports.iter().map(|(kind, period, on)| khien_duties::obligations::Submission { kind: kind.clone(), period: period.clone(), submitted_on: *on }).collect() }, &systems, today, DUE_SOON_DAYS, province, regime, rules)?;
    Ok(list
        .iter()
        .map(|o| {
            let recorded = known.contains(&o.obligation);
            let system_id = match &o.subject {
                Subject::System(SystemId::Text(id)) => Some(id.clone()),
                _ => None,
            };
            DueLine {
                obligation: o.obligation.clone(),
                system: system_id.as_ref().and_then(|id| u.systems.iter().find(|s| &s.system_id == id)).map(|s| s.name.clone()),
                system_id,
                due: o.due,
                status: if recorded { status_key(o) } else { "no_data" },
                basis: o.basis.clone(),
                date_known: recorded || o.period.is_some(),
                period: o.period.clone(),
                engine_due_soon: o.status == Status::DueSoon,
            }
        })
        .collect())
}
