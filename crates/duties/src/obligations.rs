//! The obligation engine (issue 12 item 1): for a unit and its systems, each
//! obligation's current due date and status on `today` (injected), from the rules of
//! the unit's province and regime ([`crate::rules`]).
//!
//! Status: `done` when the current occurrence is fulfilled; otherwise `overdue` when
//! due < today, `due_soon` when due ≤ today + due_soon_days, else `ok`. Only operating
//! systems owe anything (planned, being built or retired ones owe nothing).

use serde::{Deserialize, Serialize};
use time::{Date, Duration};

use khien_levels::periods::{last_day_after_days, last_day_after_months};

use crate::error::DutyError;
use crate::rules::{Cadence, Fact, Rule, Rules, SubjectKind};
use crate::text::{de_date, de_opt_date, format_date};

/// A system's identifier as the input gives it (a number or a string), echoed back.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(untagged)]
pub enum SystemId {
    Number(u64),
    Text(String),
}

/// A system's lifecycle stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SystemStatus {
    #[serde(alias = "planning")]
    Planned,
    Building,
    Operating,
    Retired,
}

/// One report the unit submitted.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Submission {
    /// The report's obligation id (`quarterly_report`, `monthly_report`, …).
    pub kind: String,
    /// The period it covers: `2026-08`, `2026-Q3` or `2026`.
    pub period: String,
    #[serde(deserialize_with = "de_date")]
    pub submitted_on: Date,
}

/// What is known about the unit itself (absent dates: never).
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UnitFacts {
    /// The last organisation-wide assessment.
    #[serde(default, deserialize_with = "de_opt_date")]
    pub last_assessment: Option<Date>,
    #[serde(default)]
    pub reports: Vec<Submission>,
}

/// What is known about one system (absent dates: never).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SystemFacts {
    pub id: SystemId,
    /// Approved (or proposed) security level 1–5; none: not determined yet, so rules for
    /// given levels do not bind it.
    #[serde(default)]
    pub level: Option<u8>,
    pub status: SystemStatus,
    #[serde(default, deserialize_with = "de_opt_date")]
    pub last_scan: Option<Date>,
    #[serde(default, deserialize_with = "de_opt_date")]
    pub last_hunt: Option<Date>,
    #[serde(default, deserialize_with = "de_opt_date")]
    pub last_drill: Option<Date>,
    #[serde(default, deserialize_with = "de_opt_date")]
    pub last_assessment: Option<Date>,
    /// The last fix of a critical or high finding.
    #[serde(default, deserialize_with = "de_opt_date")]
    pub last_critical_fix: Option<Date>,
}

impl SystemFacts {
    fn fact(&self, f: Fact) -> Option<Date> {
        match f {
            Fact::LastScan => self.last_scan,
            Fact::LastHunt => self.last_hunt,
            Fact::LastDrill => self.last_drill,
            Fact::LastAssessment => self.last_assessment,
            Fact::LastCriticalFix => self.last_critical_fix,
            Fact::Report => None,
        }
    }
}

/// Who owes an obligation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subject {
    Unit,
    System(SystemId),
}

/// Where an obligation stands on `today`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Ok,
    DueSoon,
    Overdue,
    Done,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::DueSoon => "due_soon",
            Status::Overdue => "overdue",
            Status::Done => "done",
        }
    }
}

/// One obligation of one subject.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObligationStatus {
    pub obligation: String,
    pub subject: Subject,
    pub due: Date,
    pub status: Status,
    pub basis: String,
    /// For per-period rules, the occurrence's period (`2026-Q3`).
    pub period: Option<String>,
    /// No fact was ever recorded (due today because it was never done).
    pub never_done: bool,
    /// The due date moved past a holiday the calendar only estimates.
    pub provisional: bool,
}

fn status(due: Date, today: Date, due_soon_days: u32, done: bool) -> Status {
    if done {
        Status::Done
    } else if due < today {
        Status::Overdue
    } else if today
        .checked_add(Duration::days(i64::from(due_soon_days)))
        .is_none_or(|horizon| due <= horizon)
    {
        Status::DueSoon
    } else {
        Status::Ok
    }
}

struct Computed {
    due: Date,
    done: bool,
    period: Option<String>,
    never_done: bool,
    provisional: bool,
}

/// One rule for one subject, or `None` when it does not bind it on `today`.
fn compute(
    rule: &Rule,
    fact: &dyn Fn(Fact) -> Option<Date>,
    unit: &UnitFacts,
    today: Date,
    rules: &Rules,
) -> Result<Option<Computed>, DutyError> {
    let calendar = rules.calendar();
    match &rule.cadence {
        Cadence::Rolling { every_months, last } => {
            if !rule.valid_on(today) {
                return Ok(None);
            }
            Ok(Some(match fact(*last) {
                Some(d) => {
                    let end = last_day_after_months(d, *every_months, calendar)?;
                    Computed {
                        due: end.date,
                        done: false,
                        period: None,
                        never_done: false,
                        provisional: end.provisional,
                    }
                }
                None => Computed {
                    due: today,
                    done: false,
                    period: None,
                    never_done: true,
                    provisional: false,
                },
            }))
        }
        Cadence::PerPeriod { fact: f, .. } => {
            let Some((first, last, due, name)) = rule.occurrence(today) else {
                return Ok(None);
            };
            if !rule.valid_on(due) {
                return Ok(None);
            }
            let done = match f {
                Fact::Report => unit
                    .reports
                    .iter()
                    .any(|s| s.kind == rule.id && s.period == name),
                other => fact(*other).is_some_and(|d| first <= d && d <= last),
            };
            Ok(Some(Computed {
                due,
                done,
                period: Some(name),
                never_done: false,
                provisional: false,
            }))
        }
        Cadence::AfterEvent {
            event,
            fact: f,
            due_after_days,
        } => {
            let Some(at) = fact(*event) else {
                return Ok(None);
            };
            if !rule.valid_on(today) {
                return Ok(None);
            }
            let end = last_day_after_days(at, *due_after_days, calendar)?;
            Ok(Some(Computed {
                due: end.date,
                done: fact(*f).is_some_and(|d| d >= at),
                period: None,
                never_done: false,
                provisional: end.provisional,
            }))
        }
    }
}

/// Every obligation of a unit and its systems on `today` under `province`'s rules and
/// `regime`: for each rule binding the province (in rule order), the unit, or each
/// operating system of a covered level in input order. A system owes nothing unless it
/// is operating.
pub fn obligations_for(
    unit: &UnitFacts,
    systems: &[SystemFacts],
    today: Date,
    due_soon_days: u32,
    province: &str,
    regime: &str,
    rules: &Rules,
) -> Result<Vec<ObligationStatus>, DutyError> {
    khien_levels::load_regime(regime).map_err(|e| match e {
        khien_levels::LevelError::UnknownRegime(id, known) => DutyError::UnknownRegime(id, known),
        other => DutyError::Calendar(other),
    })?;
    let mut out = Vec::new();
    for rule in rules.effective(province)? {
        let Some(basis) = rule.basis.get(regime) else {
            continue;
        };
        let mut push = |subject: Subject, c: Computed| {
            out.push(ObligationStatus {
                obligation: rule.id.clone(),
                subject,
                due: c.due,
                status: status(c.due, today, due_soon_days, c.done),
                basis: basis.clone(),
                period: c.period,
                never_done: c.never_done,
                provisional: c.provisional,
            });
        };
        match rule.subject {
            SubjectKind::Unit => {
                let fact = |f: Fact| match f {
                    Fact::LastAssessment => unit.last_assessment,
                    _ => None,
                };
                if let Some(c) = compute(rule, &fact, unit, today, rules)? {
                    push(Subject::Unit, c);
                }
            }
            SubjectKind::System => {
                for s in systems {
                    if s.status != SystemStatus::Operating || !rule.covers_level(s.level) {
                        continue;
                    }
                    if let Some(c) = compute(rule, &|f| s.fact(f), unit, today, rules)? {
                        push(Subject::System(s.id.clone()), c);
                    }
                }
            }
        }
    }
    Ok(out)
}

/// The input of `khien obligations check`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckInput {
    pub regime: String,
    pub province: String,
    #[serde(deserialize_with = "de_date")]
    pub today: Date,
    /// Days ahead that count as "due soon" (default 30, at most 3660).
    #[serde(default = "default_due_soon")]
    pub due_soon_days: u32,
    #[serde(default)]
    pub unit: UnitFacts,
    #[serde(default)]
    pub systems: Vec<SystemFacts>,
}

fn default_due_soon() -> u32 {
    30
}

/// Most systems one input may list (a national inventory is 50,000).
pub const MAX_SYSTEMS: usize = 200_000;

impl CheckInput {
    /// Parse and check the JSON input: known report kinds with well-formed periods,
    /// levels 1–5, distinct system ids, and no fact dated after `today`.
    pub fn from_json(text: &str, rules: &Rules) -> Result<CheckInput, DutyError> {
        let input: CheckInput =
            serde_json::from_str(text).map_err(|e| DutyError::InvalidInput(e.to_string()))?;
        input.check(rules)?;
        Ok(input)
    }

    fn check(&self, rules: &Rules) -> Result<(), DutyError> {
        let bad = |m: String| Err(DutyError::InvalidInput(m));
        if self.due_soon_days > 3660 {
            return bad("due_soon_days must be at most 3660".into());
        }
        if self.systems.len() > MAX_SYSTEMS {
            return bad(format!("more than {MAX_SYSTEMS} systems"));
        }
        let future = |what: &str, d: Option<Date>| match d {
            Some(d) if d > self.today => Err(DutyError::InvalidInput(format!(
                "{what} {} is after today {}",
                format_date(d),
                format_date(self.today)
            ))),
            _ => Ok(()),
        };
        future("unit.last_assessment", self.unit.last_assessment)?;
        for r in &self.unit.reports {
            let Some(kind) = rules.report_period(&r.kind) else {
                return bad(format!("unknown report kind {:?}", r.kind));
            };
            if !kind.is_name(&r.period) {
                return bad(format!(
                    "{} period {:?} is not {}",
                    r.kind,
                    r.period,
                    kind.example()
                ));
            }
            future(&format!("{} submitted_on", r.kind), Some(r.submitted_on))?;
        }
        let mut ids = std::collections::HashSet::new();
        for s in &self.systems {
            let id = match &s.id {
                SystemId::Number(n) => n.to_string(),
                SystemId::Text(t) => t.clone(),
            };
            if let Some(l) = s.level
                && !(1..=5).contains(&l)
            {
                return bad(format!("system {id}: level {l} is not 1–5"));
            }
            if !ids.insert(id.clone()) {
                return bad(format!("system {id} listed twice"));
            }
            for (what, d) in [
                ("last_scan", s.last_scan),
                ("last_hunt", s.last_hunt),
                ("last_drill", s.last_drill),
                ("last_assessment", s.last_assessment),
                ("last_critical_fix", s.last_critical_fix),
            ] {
                future(&format!("system {id}: {what}"), d)?;
            }
        }
        Ok(())
    }
}

#[derive(Serialize)]
#[serde(untagged)]
enum SubjectOut<'a> {
    Unit(&'static str),
    System(&'a SystemId),
}

#[derive(Serialize)]
struct ObligationOut<'a> {
    obligation: &'a str,
    subject: SubjectOut<'a>,
    due: String,
    status: Status,
    basis: &'a str,
}

#[derive(Serialize)]
struct CheckOut<'a> {
    obligations: Vec<ObligationOut<'a>>,
}

/// The JSON `khien obligations check` prints: `{"obligations": [{"obligation",
/// "subject", "due", "status", "basis"}]}`.
pub fn obligations_json(list: &[ObligationStatus]) -> Result<String, DutyError> {
    let out = CheckOut {
        obligations: list
            .iter()
            .map(|o| ObligationOut {
                obligation: &o.obligation,
                subject: match &o.subject {
                    Subject::Unit => SubjectOut::Unit("unit"),
                    Subject::System(id) => SubjectOut::System(id),
                },
                due: format_date(o.due),
                status: o.status,
                basis: &o.basis,
            })
            .collect(),
    };
    serde_json::to_string_pretty(&out).map_err(|e| DutyError::InvalidInput(e.to_string()))
}
