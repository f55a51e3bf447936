//! The legal reporting clocks of an incident (issue 11 item 3): which reports a regime
//! asks for, and when each is due, computed to the second in Vietnam time.
//!
//! The reports, their conditions, periods and legal basis are data
//! (data/regimes/incident-clocks.toml, embedded; a deployment may replace the file, see
//! [`ClockRules::from_toml`]). Periods are counted by [`khien_levels::periods`]. The
//! facts carry every instant; nothing here reads the clock.

use std::sync::LazyLock;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use khien_levels::Calendar;
use khien_levels::periods::{after_hours, end_of_days};

use crate::error::DutyError;
use crate::text::{de_instant, de_opt_instant, format_instant};

const CLOCKS_TOML: &str = include_str!("../../../data/regimes/incident-clocks.toml");
const CLOCKS_FILE: &str = "incident-clocks.toml";

/// What is known about an incident, as `khien incident deadlines` reads it (every field
/// but `regime` and `detected_at` may be absent: false / not yet).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IncidentFacts {
    /// `nd85-2016` (Decision 05/2017, Circular 20/2017, Decree 13/2023) or `nd331-2026`
    /// (Decree 331/2026, Law 91/2025).
    pub regime: String,
    /// When the incident was detected (any offset; its Vietnam date starts day periods).
    #[serde(deserialize_with = "de_instant")]
    pub detected_at: OffsetDateTime,
    /// The operating unit judges the incident beyond its capacity to handle.
    #[serde(default, deserialize_with = "de_flag")]
    pub beyond_capacity: bool,
    /// A serious incident (sự cố nghiêm trọng).
    #[serde(default, deserialize_with = "de_flag")]
    pub serious: bool,
    /// Signs of harm to national security, public order or social safety.
    #[serde(default, deserialize_with = "de_flag")]
    pub national_security_signs: bool,
    /// The system's operation is seriously interrupted.
    #[serde(default, deserialize_with = "de_flag")]
    pub serious_interruption: bool,
    /// When a personal-data breach was confirmed (none: no breach known).
    #[serde(default, deserialize_with = "de_opt_instant")]
    pub personal_data_breach_confirmed_at: Option<OffsetDateTime>,
    /// When the response ended (none: still responding).
    #[serde(default, deserialize_with = "de_opt_instant")]
    pub response_ended_at: Option<OffsetDateTime>,
}

fn de_flag<'de, D: serde::Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    Ok(Option::<bool>::deserialize(d)?.unwrap_or(false))
}

/// When a report is due.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DueAt {
    /// At this instant (shown in UTC+7).
    At(OffsetDateTime),
    /// At once ("ngay"): no period.
    Immediately,
    /// Owed without a fixed deadline, or its clock has not started (the response has
    /// not ended yet).
    Unset,
}

/// One report an incident owes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Due {
    /// `notification`, `initial_report`, `closure_report`, `immediate_report`,
    /// `initial_notice`, `report`, `personal_data_breach_notice`.
    pub kind: String,
    pub due: DueAt,
    /// "Điều … khoản … <văn bản>".
    pub basis: String,
    /// The deadline moved past a holiday the calendar only estimates (`certain =
    /// false`): confirm the year's official notice.
    pub provisional: bool,
}

/// The facts a report's condition may name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Fact {
    BeyondCapacity,
    Serious,
    NationalSecuritySigns,
    SeriousInterruption,
    PersonalDataBreachConfirmed,
}

/// The instants a clock may start from (named as the input fields are).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
enum Start {
    #[serde(rename = "detected_at")]
    Detection,
    #[serde(rename = "response_ended_at")]
    ResponseEnd,
    #[serde(rename = "personal_data_breach_confirmed_at")]
    BreachConfirmation,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
enum DueWord {
    Immediately,
    None,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
enum Period {
    Word(DueWord),
    Hours { hours: u32 },
    Days { days: u32 },
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
struct ReportRule {
    kind: String,
    when_any: Vec<Fact>,
    from: Start,
    due: Period,
    basis: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
struct RegimeClocks {
    id: String,
    reports: Vec<ReportRule>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ClocksFile {
    regimes: Vec<RegimeClocks>,
}

/// The reports of every regime, loaded from data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClockRules {
    regimes: Vec<RegimeClocks>,
}

/// Longest period a rule may state (a year): a typo in hours should not build a
/// deadline in another century.
const MAX_HOURS: u32 = 24 * 366;
const MAX_DAYS: u32 = 366;

static EMBEDDED: LazyLock<Result<ClockRules, DutyError>> =
    LazyLock::new(|| ClockRules::from_toml(CLOCKS_TOML, CLOCKS_FILE));

impl ClockRules {
    /// The rules shipped in data/regimes/incident-clocks.toml.
    pub fn embedded() -> Result<&'static ClockRules, DutyError> {
        EMBEDDED.as_ref().map_err(Clone::clone)
    }

    /// Rules from a file of the same shape (`file` names it in errors). Every regime
    /// must be one the level regimes know, listed once, with distinct report kinds.
    pub fn from_toml(text: &str, file: &str) -> Result<ClockRules, DutyError> {
        let parsed: ClocksFile =
            toml::from_str(text).map_err(|e| DutyError::data(file, e.to_string()))?;
        let mut seen = Vec::new();
        for r in &parsed.regimes {
            khien_levels::load_regime(&r.id).map_err(|e| DutyError::data(file, e.to_string()))?;
            if seen.contains(&r.id.as_str()) {
                return Err(DutyError::data(
                    file,
                    format!("regime {} listed twice", r.id),
                ));
            }
            seen.push(r.id.as_str());
            let mut kinds = Vec::new();
            for rule in &r.reports {
                if rule.kind.trim().is_empty() || rule.basis.trim().is_empty() {
                    return Err(DutyError::data(
                        file,
                        format!("{}: a report without kind or basis", r.id),
                    ));
                }
                if kinds.contains(&rule.kind.as_str()) {
                    return Err(DutyError::data(
                        file,
                        format!("{}: report {} listed twice", r.id, rule.kind),
                    ));
                }
                kinds.push(rule.kind.as_str());
                let too_long = match rule.due {
                    Period::Hours { hours } => hours > MAX_HOURS,
                    Period::Days { days } => days > MAX_DAYS,
                    Period::Word(_) => false,
                };
                if too_long {
                    return Err(DutyError::data(
                        file,
                        format!("{}: {} has a period longer than a year", r.id, rule.kind),
                    ));
                }
            }
        }
        Ok(ClockRules {
            regimes: parsed.regimes,
        })
    }

    fn regime(&self, id: &str) -> Result<&RegimeClocks, DutyError> {
        self.regimes.iter().find(|r| r.id == id).ok_or_else(|| {
            let known: Vec<&str> = self.regimes.iter().map(|r| r.id.as_str()).collect();
            DutyError::UnknownRegime(id.to_string(), known.join(", "))
        })
    }
}

impl IncidentFacts {
    /// Parse the JSON input of `khien incident deadlines`, checking that the instants
    /// are in order.
    pub fn from_json(text: &str) -> Result<IncidentFacts, DutyError> {
        let facts: IncidentFacts =
            serde_json::from_str(text).map_err(|e| DutyError::InvalidInput(e.to_string()))?;
        if facts
            .response_ended_at
            .is_some_and(|end| end < facts.detected_at)
        {
            return Err(DutyError::InvalidInput(
                "response_ended_at is before detected_at".into(),
            ));
        }
        Ok(facts)
    }

    fn holds(&self, fact: Fact) -> bool {
        match fact {
            Fact::BeyondCapacity => self.beyond_capacity,
            Fact::Serious => self.serious,
            Fact::NationalSecuritySigns => self.national_security_signs,
            Fact::SeriousInterruption => self.serious_interruption,
            Fact::PersonalDataBreachConfirmed => self.personal_data_breach_confirmed_at.is_some(),
        }
    }

    fn instant(&self, start: Start) -> Option<OffsetDateTime> {
        match start {
            Start::Detection => Some(self.detected_at),
            Start::ResponseEnd => self.response_ended_at,
            Start::BreachConfirmation => self.personal_data_breach_confirmed_at,
        }
    }
}

/// The reports an incident owes under its regime with the shipped rules, in the order
/// the rules list them.
pub fn incident_deadlines(
    facts: &IncidentFacts,
    calendar: &Calendar,
) -> Result<Vec<Due>, DutyError> {
    incident_deadlines_with(facts, ClockRules::embedded()?, calendar)
}

/// [`incident_deadlines`] with the given rules.
pub fn incident_deadlines_with(
    facts: &IncidentFacts,
    rules: &ClockRules,
    calendar: &Calendar,
) -> Result<Vec<Due>, DutyError> {
    let regime = rules.regime(&facts.regime)?;
    let mut out = Vec::new();
    for rule in &regime.reports {
        if !rule.when_any.is_empty() && !rule.when_any.iter().any(|f| facts.holds(*f)) {
            continue;
        }
        let start = facts.instant(rule.from);
        let (due, provisional) = match (rule.due, start) {
            (Period::Word(DueWord::Immediately), _) => (DueAt::Immediately, false),
            (Period::Word(DueWord::None), _) | (_, None) => (DueAt::Unset, false),
            (Period::Hours { hours }, Some(at)) => (DueAt::At(after_hours(at, hours)?), false),
            (Period::Days { days }, Some(at)) => {
                let (end, provisional) = end_of_days(at, days, calendar)?;
                (DueAt::At(end), provisional)
            }
        };
        out.push(Due {
            kind: rule.kind.clone(),
            due,
            basis: rule.basis.clone(),
            provisional,
        });
    }
    Ok(out)
}

#[derive(Serialize)]
struct ReportOut<'a> {
    kind: &'a str,
    due: Option<String>,
    basis: &'a str,
}

#[derive(Serialize)]
struct DeadlinesOut<'a> {
    regime: &'a str,
    reports: Vec<ReportOut<'a>>,
}

/// The JSON `khien incident deadlines` prints:
/// `{"regime": …, "reports": [{"kind", "due", "basis"}]}` with `due` an RFC 3339
/// instant in +07:00, `"immediately"` or `null`.
pub fn deadlines_json(regime: &str, dues: &[Due]) -> Result<String, DutyError> {
    let out = DeadlinesOut {
        regime,
        reports: dues
            .iter()
            .map(|d| ReportOut {
                kind: &d.kind,
                due: match d.due {
                    DueAt::At(t) => Some(format_instant(t)),
                    DueAt::Immediately => Some("immediately".into()),
                    DueAt::Unset => None,
                },
                basis: &d.basis,
            })
            .collect(),
    };
    serde_json::to_string_pretty(&out).map_err(|e| DutyError::InvalidInput(e.to_string()))
}
