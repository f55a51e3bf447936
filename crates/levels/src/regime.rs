//! Regimes as data: one TOML file per regime under data/regimes/, embedded in the
//! binary and parsed at first use.

use std::sync::LazyLock;

use serde::Deserialize;
use time::Date;

use crate::catalogue::{Catalogue, load_catalogue};
use crate::condition::Condition;
use crate::dates::{de_date, de_opt_date};
use crate::error::LevelError;
use crate::roles::Role;
use crate::working_days::{Calendar, add_days, add_working_days};

/// Embedded regime files: (file name, text).
const REGIME_FILES: &[(&str, &str)] = &[
    (
        "nd85-2016.toml",
        include_str!("../../../data/regimes/nd85-2016.toml"),
    ),
    (
        "nd331-2026.toml",
        include_str!("../../../data/regimes/nd331-2026.toml"),
    ),
];

/// A legal instrument the regime is built from.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Instrument {
    /// Official number, e.g. "Nghị định 85/2016/NĐ-CP".
    pub code: String,
    pub title: String,
    #[serde(default, deserialize_with = "de_opt_date")]
    pub effective_from: Option<Date>,
    /// False where the text is known only from secondary sources.
    #[serde(default = "yes")]
    pub verified: bool,
    #[serde(default)]
    pub note: String,
}

fn yes() -> bool {
    true
}

/// How a criterion is evaluated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Evaluation {
    /// From the input fields, through `when`.
    #[default]
    Automatic,
    /// Needs a decision the input cannot express (Prime Minister's decision, the
    /// not-yet-issued risk framework); listed for completeness, never fired by the engine.
    Manual,
}

/// One level criterion, citing its article.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Criterion {
    /// Stable id within the regime, e.g. "9.2.c".
    pub id: String,
    pub level: u8,
    /// Citation, e.g. "Điều 9 khoản 2 điểm c Nghị định 85/2016/NĐ-CP".
    pub article: String,
    /// Vietnamese summary of the criterion (own wording, not the legal text).
    pub text: String,
    #[serde(default)]
    pub evaluation: Evaluation,
    #[serde(default)]
    pub when: Condition,
    /// Why the criterion is encoded this way, where the law leaves room.
    #[serde(default)]
    pub note: String,
}

/// Who prepares, gives an expert opinion on, appraises and approves a dossier.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Authority {
    pub levels: Vec<u8>,
    pub dossier_by: Role,
    #[serde(default)]
    pub expert_opinion: Option<Role>,
    pub appraiser: Role,
    pub approver: Role,
    /// Who approves the security plan when that differs from the level approver (level 5).
    #[serde(default)]
    pub plan_approver: Option<Role>,
    pub article: String,
    #[serde(default)]
    pub exceptions: Vec<AuthorityException>,
    #[serde(default)]
    pub note: String,
}

/// A special appraiser for some systems (military, cipher, the ministry's own).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthorityException {
    pub appraiser: Role,
    pub applies_to: String,
    pub article: String,
}

/// A step of the procedure with a legal time limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClockStep {
    /// Answer to an incomplete or invalid dossier.
    ValidityCheck,
    Appraisal,
    Approval,
}

/// Unit of a time limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DayUnit {
    /// Calendar days ("ngày"); ends on the next working day if the last day is off.
    Days,
    /// Working days ("ngày làm việc").
    WorkingDays,
}

/// A legal time limit.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Clock {
    pub step: ClockStep,
    pub levels: Vec<u8>,
    pub amount: u32,
    pub unit: DayUnit,
    /// What starts the clock (Vietnamese).
    pub starts: String,
    pub article: String,
}

impl Clock {
    /// The last day of the period started on `start`.
    pub fn deadline(&self, start: Date, calendar: &Calendar) -> Result<Date, LevelError> {
        match self.unit {
            DayUnit::Days => add_days(start, self.amount, calendar),
            DayUnit::WorkingDays => add_working_days(start, self.amount, calendar),
        }
    }
}

/// One part of the level-proposal dossier.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DossierPart {
    pub key: String,
    pub title: String,
    pub article: String,
    /// Levels that need this part.
    pub levels: Vec<u8>,
    /// Required contents (Circular 12 Art 8 / Decree 331 Art 22).
    #[serde(default)]
    pub contents: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RegimeFile {
    id: String,
    title: String,
    #[serde(deserialize_with = "de_date")]
    valid_from: Date,
    #[serde(default, deserialize_with = "de_opt_date")]
    valid_until: Option<Date>,
    instruments: Vec<Instrument>,
    catalogue: String,
    #[serde(default)]
    notes: Vec<String>,
    criteria: Vec<Criterion>,
    fallback: Vec<Criterion>,
    authorities: Vec<Authority>,
    clocks: Vec<Clock>,
    dossier: Vec<DossierPart>,
}

/// A regime: the rules for determining, appraising and approving security levels.
#[derive(Debug, Clone, PartialEq)]
pub struct Regime {
    pub id: String,
    pub title: String,
    /// First day new dossiers follow this regime.
    pub valid_from: Date,
    /// Last day new dossiers follow this regime (None = still in force).
    pub valid_until: Option<Date>,
    pub instruments: Vec<Instrument>,
    pub notes: Vec<String>,
    pub criteria: Vec<Criterion>,
    /// Rules applied only when a system meets no criterion (documented in level-input.md).
    pub fallback: Vec<Criterion>,
    pub authorities: Vec<Authority>,
    pub clocks: Vec<Clock>,
    pub dossier: Vec<DossierPart>,
    pub catalogue: Catalogue,
}

impl Regime {
    /// Whether new dossiers dated `date` follow this regime.
    pub fn in_force_on(&self, date: Date) -> bool {
        date >= self.valid_from && self.valid_until.is_none_or(|end| date <= end)
    }

    /// The authority row for a level.
    /// How people name the regime: its decree's number ("Nghị định 85/2016/NĐ-CP"),
    /// else its first instrument's, else the title. Ids never reach the UI.
    pub fn short_title(&self) -> &str {
        self.instruments
            .iter()
            .find(|i| i.code.starts_with("Nghị định"))
            .or(self.instruments.first())
            .map_or(self.title.as_str(), |i| i.code.as_str())
    }

    pub fn authority(&self, level: u8) -> Option<&Authority> {
        self.authorities.iter().find(|a| a.levels.contains(&level))
    }

    /// The time limit of a step for a level, if the regime sets one.
    pub fn clock(&self, step: ClockStep, level: u8) -> Option<&Clock> {
        self.clocks
            .iter()
            .find(|c| c.step == step && c.levels.contains(&level))
    }

    /// Dossier parts needed at a level.
    pub fn dossier_for(&self, level: u8) -> impl Iterator<Item = &DossierPart> {
        self.dossier
            .iter()
            .filter(move |p| p.levels.contains(&level))
    }
}

fn parse_regime(file: &str, text: &str) -> Result<Regime, LevelError> {
    let data_err = |message: String| LevelError::Data {
        file: file.into(),
        message,
    };
    let f: RegimeFile = toml::from_str(text).map_err(|e| data_err(e.to_string()))?;
    let catalogue = load_catalogue(&f.catalogue)?;
    Ok(Regime {
        id: f.id,
        title: f.title,
        valid_from: f.valid_from,
        valid_until: f.valid_until,
        instruments: f.instruments,
        notes: f.notes,
        criteria: f.criteria,
        fallback: f.fallback,
        authorities: f.authorities,
        clocks: f.clocks,
        dossier: f.dossier,
        catalogue,
    })
}

static REGIMES: LazyLock<Result<Vec<Regime>, LevelError>> = LazyLock::new(|| {
    REGIME_FILES
        .iter()
        .map(|(file, text)| parse_regime(file, text))
        .collect()
});

/// All regimes, oldest first.
pub fn all_regimes() -> Result<&'static [Regime], LevelError> {
    REGIMES.as_deref().map_err(Clone::clone)
}

/// The regime with this id (`nd85-2016`, `nd331-2026`).
pub fn load_regime(id: &str) -> Result<&'static Regime, LevelError> {
    let regimes = all_regimes()?;
    regimes.iter().find(|r| r.id == id).ok_or_else(|| {
        let known: Vec<&str> = regimes.iter().map(|r| r.id.as_str()).collect();
        LevelError::UnknownRegime(id.to_string(), known.join(", "))
    })
}

/// The regime new dossiers follow on `date`, if any.
pub fn regime_in_force(date: Date) -> Result<Option<&'static Regime>, LevelError> {
    Ok(all_regimes()?.iter().rev().find(|r| r.in_force_on(date)))
}
