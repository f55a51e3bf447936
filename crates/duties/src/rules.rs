//! Obligation rules as data (data/obligations/*.toml): one file of national rules
//! (`default.toml`) and one per province adding to it or replacing rules by id. The
//! shipped files are embedded at build time; [`Rules::from_dir`] reads a directory of
//! the same shape, so the department edits rules and their windows without a release.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;
use time::{Date, Month};

use khien_levels::Calendar;

use crate::error::DutyError;
use crate::text::de_opt_date;

/// The shipped rule files, by file name.
const EMBEDDED_FILES: &[(&str, &str)] = &[
    (
        "default.toml",
        include_str!("../../../data/obligations/default.toml"),
    ),
    (
        "kon-tum.toml",
        include_str!("../../../data/obligations/kon-tum.toml"),
    ),
    (
        "thai-nguyen.toml",
        include_str!("../../../data/obligations/thai-nguyen.toml"),
    ),
    (
        "ha-tinh.toml",
        include_str!("../../../data/obligations/ha-tinh.toml"),
    ),
    (
        "dak-lak.toml",
        include_str!("../../../data/obligations/dak-lak.toml"),
    ),
];

/// The national rules' province id.
pub const DEFAULT_PROVINCE: &str = "default";

/// Rule files a directory may hold, at most (a misconfigured path should not read a
/// whole disk).
const MAX_FILES: usize = 200;
const MAX_FILE_BYTES: u64 = 1024 * 1024;

/// Who owes an obligation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SubjectKind {
    /// Each operating system (optionally only some levels).
    System,
    /// The unit itself.
    Unit,
}

/// A dated fact the input may carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Fact {
    LastScan,
    LastHunt,
    LastDrill,
    LastAssessment,
    LastCriticalFix,
    /// A submitted report of the rule's id naming the occurrence's period.
    Report,
}

/// A calendar period of per-period rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PeriodKind {
    Month,
    Quarter,
    Year,
}

impl PeriodKind {
    pub fn months(self) -> u8 {
        match self {
            PeriodKind::Month => 1,
            PeriodKind::Quarter => 3,
            PeriodKind::Year => 12,
        }
    }

    /// The period containing `date`: its first day, last day and name (`2026-08`,
    /// `2026-Q3`, `2026`).
    pub fn containing(self, date: Date) -> (Date, Date, String) {
        let m = u8::from(date.month());
        let len = self.months();
        let first_month = (m - 1) / len * len + 1;
        let last_month = first_month + len - 1;
        let y = date.year();
        let first = month_day(y, first_month, 1);
        let last_m = Month::try_from(last_month).unwrap_or(Month::December);
        let last = month_day(y, last_month, last_m.length(y));
        let name = match self {
            PeriodKind::Month => format!("{y:04}-{first_month:02}"),
            PeriodKind::Quarter => format!("{y:04}-Q{}", (first_month - 1) / 3 + 1),
            PeriodKind::Year => format!("{y:04}"),
        };
        (first, last, name)
    }

    /// Whether `name` is a well-formed name of this kind of period.
    pub fn is_name(self, name: &str) -> bool {
        let b = name.as_bytes();
        let year_ok = b.len() >= 4 && b[..4].iter().all(u8::is_ascii_digit);
        match self {
            PeriodKind::Year => b.len() == 4 && year_ok,
            PeriodKind::Quarter => {
                b.len() == 7 && year_ok && &b[4..6] == b"-Q" && (b'1'..=b'4').contains(&b[6])
            }
            PeriodKind::Month => {
                b.len() == 7
                    && year_ok
                    && b[4] == b'-'
                    && name[5..].parse::<u8>().is_ok_and(|m| (1..=12).contains(&m))
                    && b[5..].iter().all(u8::is_ascii_digit)
            }
        }
    }

    pub fn example(self) -> &'static str {
        match self {
            PeriodKind::Month => "YYYY-MM, e.g. 2026-08",
            PeriodKind::Quarter => "YYYY-Qn, e.g. 2026-Q3",
            PeriodKind::Year => "YYYY, e.g. 2026",
        }
    }
}

fn month_day(year: i32, month: u8, day: u8) -> Date {
    Month::try_from(month)
        .ok()
        .and_then(|m| Date::from_calendar_date(year, m, day).ok())
        .unwrap_or(Date::MIN)
}

/// How an obligation recurs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cadence {
    /// Due `every_months` after the last `last` fact (Civil Code Art 148 months, moved
    /// to a working day); due today when there is none.
    Rolling { every_months: u32, last: Fact },
    /// One occurrence per period, due on a fixed date (never moved), fulfilled by a
    /// fact dated within the period or a report naming it.
    PerPeriod {
        period: PeriodKind,
        due_month: u8,
        due_day: u8,
        fact: Fact,
    },
    /// Owed once `event` exists: due that day plus `due_after_days` (a Civil Code day
    /// period); done when `fact` is dated on or after the event.
    AfterEvent {
        event: Fact,
        fact: Fact,
        due_after_days: u32,
    },
}

/// The citation of a rule, for every regime or per regime.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
enum BasisFile {
    All(String),
    PerRegime(BTreeMap<String, String>),
}

/// One obligation rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    pub id: String,
    pub subject: SubjectKind,
    /// Levels of systems it applies to (`None`: every level, and systems without one).
    pub levels: Option<Vec<u8>>,
    pub cadence: Cadence,
    /// Citation per regime id; a regime not listed is not bound by the rule.
    pub basis: BTreeMap<String, String>,
    pub valid_from: Option<Date>,
    pub valid_to: Option<Date>,
}

impl Rule {
    /// Whether the rule binds a system of this level.
    pub fn covers_level(&self, level: Option<u8>) -> bool {
        match (&self.levels, level) {
            (None, _) => true,
            (Some(ls), Some(l)) => ls.contains(&l),
            (Some(_), None) => false,
        }
    }

    /// The facts the rule reads: a page that does not record some of them must not show
    /// the rule's answer as if it were known.
    pub fn facts(&self) -> Vec<Fact> {
        match &self.cadence {
            Cadence::Rolling { last, .. } => vec![*last],
            Cadence::PerPeriod { fact, .. } => vec![*fact],
            Cadence::AfterEvent { event, fact, .. } => vec![*event, *fact],
        }
    }

    /// Whether `date` is inside the rule's validity window.
    pub fn valid_on(&self, date: Date) -> bool {
        self.valid_from.is_none_or(|f| f <= date) && self.valid_to.is_none_or(|t| date <= t)
    }

    /// For a report (a per-period rule fulfilled by a submission): its kind of period.
    pub fn report_period(&self) -> Option<PeriodKind> {
        match self.cadence {
            Cadence::PerPeriod { period, fact: Fact::Report, .. } => Some(period),
            _ => None,
        }
    }

    /// The due date of the report for the period named `name` (`2026-08`, `2026-Q3`,
    /// `2026`), none when the name is not of this rule's kind of period.
    pub fn report_due(&self, name: &str) -> Option<Date> {
        let period = self.report_period()?;
        if !period.is_name(name) {
            return None;
        }
        let year: i32 = name.get(..4)?.parse().ok()?;
        let first_month: u8 = match period {
            PeriodKind::Year => 1,
            PeriodKind::Month => name.get(5..)?.parse().ok()?,
            PeriodKind::Quarter => (name.get(6..)?.parse::<u8>().ok()? - 1) * 3 + 1,
        };
        self.occurrence(month_day(year, first_month, 1)).map(|(_, _, due, _)| due)
    }

    /// The fixed due date of the per-period occurrence containing `date`.
    pub(crate) fn occurrence(&self, date: Date) -> Option<(Date, Date, Date, String)> {
        let Cadence::PerPeriod {
            period,
            due_month,
            due_day,
            ..
        } = self.cadence
        else {
            return None;
        };
        let (first, last, name) = period.containing(date);
        let month = u8::from(first.month()) + due_month - 1;
        let due =
            Date::from_calendar_date(first.year(), Month::try_from(month).ok()?, due_day).ok()?;
        Some((first, last, due, name))
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleFile {
    id: String,
    subject: SubjectKind,
    #[serde(default)]
    levels: Option<Vec<u8>>,
    cadence: String,
    #[serde(default)]
    every_months: Option<u32>,
    #[serde(default)]
    last: Option<Fact>,
    #[serde(default)]
    period: Option<PeriodKind>,
    #[serde(default)]
    due_month: Option<u8>,
    #[serde(default)]
    due_day: Option<u8>,
    #[serde(default)]
    fact: Option<Fact>,
    #[serde(default)]
    event: Option<Fact>,
    #[serde(default)]
    due_after_days: Option<u32>,
    basis: BasisFile,
    #[serde(default, deserialize_with = "de_opt_date")]
    valid_from: Option<Date>,
    #[serde(default, deserialize_with = "de_opt_date")]
    valid_to: Option<Date>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ProvinceFile {
    province: String,
    name: String,
    rules: Vec<RuleFile>,
}

/// One province's rule file, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Province {
    pub id: String,
    pub name: String,
    pub rules: Vec<Rule>,
}

/// Every rule file: the national rules and each province's.
#[derive(Debug, Clone, PartialEq)]
pub struct Rules {
    default: Province,
    provinces: Vec<Province>,
    calendar: Calendar,
}

const MAX_MONTHS: u32 = 120;
const MAX_DAYS: u32 = 366;

fn rule_from_file(r: RuleFile, regimes: &[&str], file: &str) -> Result<Rule, DutyError> {
    let at = |m: &str| DutyError::data(file, format!("rule {}: {m}", r.id));
    if r.id.trim().is_empty()
        || !r
            .id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b == b'_' || b.is_ascii_digit())
    {
        return Err(DutyError::data(
            file,
            format!("rule id {:?}: lower-case letters, digits and _ only", r.id),
        ));
    }
    if let Some(ls) = &r.levels {
        if ls.is_empty() || ls.iter().any(|l| !(1..=5).contains(l)) {
            return Err(at("levels must be a non-empty list of 1–5"));
        }
        if r.subject == SubjectKind::Unit {
            return Err(at("levels only apply to systems"));
        }
    }
    let unit_fact = |f: Fact| matches!(f, Fact::LastAssessment | Fact::Report);
    let fits = |f: Fact| match r.subject {
        SubjectKind::Unit => unit_fact(f),
        SubjectKind::System => f != Fact::Report,
    };
    let extra = |names: &[(&str, bool)]| -> Result<(), DutyError> {
        match names.iter().find(|(_, present)| *present) {
            Some((n, _)) => Err(at(&format!(
                "`{n}` does not belong to cadence {}",
                r.cadence
            ))),
            None => Ok(()),
        }
    };
    let cadence = match r.cadence.as_str() {
        "rolling" => {
            extra(&[
                ("period", r.period.is_some()),
                ("due_month", r.due_month.is_some()),
                ("due_day", r.due_day.is_some()),
                ("fact", r.fact.is_some()),
                ("event", r.event.is_some()),
                ("due_after_days", r.due_after_days.is_some()),
            ])?;
            let every_months = r
                .every_months
                .ok_or_else(|| at("rolling needs every_months"))?;
            if every_months == 0 || every_months > MAX_MONTHS {
                return Err(at("every_months must be 1–120"));
            }
            let last = r.last.ok_or_else(|| at("rolling needs last"))?;
            if last == Fact::Report || !fits(last) {
                return Err(at("last names a fact this subject does not have"));
            }
            Cadence::Rolling { every_months, last }
        }
        "per_period" => {
            extra(&[
                ("every_months", r.every_months.is_some()),
                ("last", r.last.is_some()),
                ("event", r.event.is_some()),
                ("due_after_days", r.due_after_days.is_some()),
            ])?;
            let period = r.period.ok_or_else(|| at("per_period needs period"))?;
            let due_month = r
                .due_month
                .ok_or_else(|| at("per_period needs due_month"))?;
            let due_day = r.due_day.ok_or_else(|| at("per_period needs due_day"))?;
            if due_month == 0 || due_month > period.months() {
                return Err(at(&format!(
                    "due_month must be 1–{} for a {:?}",
                    period.months(),
                    period
                )));
            }
            // The day must exist in that month of every period of every year (29/02 would
            // not), so an occurrence always has a due date.
            for start in (1..=12u8).step_by(usize::from(period.months())) {
                let month = Month::try_from(start + due_month - 1).map_err(|_| at("bad month"))?;
                if due_day == 0 || due_day > month.length(2025) {
                    return Err(at(&format!(
                        "due_day {due_day} does not exist in every {month}"
                    )));
                }
            }
            let fact = r.fact.ok_or_else(|| at("per_period needs fact"))?;
            if !fits(fact) || fact == Fact::LastCriticalFix {
                return Err(at("fact names a fact this subject does not have"));
            }
            Cadence::PerPeriod {
                period,
                due_month,
                due_day,
                fact,
            }
        }
        "after_event" => {
            extra(&[
                ("every_months", r.every_months.is_some()),
                ("last", r.last.is_some()),
                ("period", r.period.is_some()),
                ("due_month", r.due_month.is_some()),
                ("due_day", r.due_day.is_some()),
            ])?;
            let event = r.event.ok_or_else(|| at("after_event needs event"))?;
            let fact = r.fact.ok_or_else(|| at("after_event needs fact"))?;
            let due_after_days = r.due_after_days.unwrap_or(0);
            if due_after_days > MAX_DAYS {
                return Err(at("due_after_days must be at most 366"));
            }
            if [event, fact]
                .iter()
                .any(|f| *f == Fact::Report || !fits(*f))
            {
                return Err(at("event and fact must be dated facts of this subject"));
            }
            Cadence::AfterEvent {
                event,
                fact,
                due_after_days,
            }
        }
        other => {
            return Err(at(&format!(
                "cadence {other:?}: rolling, per_period or after_event"
            )));
        }
    };
    let basis = match r.basis {
        BasisFile::All(text) => regimes
            .iter()
            .map(|g| (g.to_string(), text.clone()))
            .collect(),
        BasisFile::PerRegime(map) => map,
    };
    if basis.is_empty() || basis.values().any(|b| b.trim().is_empty()) {
        return Err(at("basis must cite at least one regime, none empty"));
    }
    if let Some(unknown) = basis.keys().find(|k| !regimes.contains(&k.as_str())) {
        return Err(at(&format!(
            "basis names unknown regime {unknown} (known: {})",
            regimes.join(", ")
        )));
    }
    if let (Some(f), Some(t)) = (r.valid_from, r.valid_to)
        && t < f
    {
        return Err(at("valid_to is before valid_from"));
    }
    Ok(Rule {
        id: r.id,
        subject: r.subject,
        levels: r.levels,
        cadence,
        basis,
        valid_from: r.valid_from,
        valid_to: r.valid_to,
    })
}

fn province_from_toml(text: &str, file: &str, regimes: &[&str]) -> Result<Province, DutyError> {
    let parsed: ProvinceFile =
        toml::from_str(text).map_err(|e| DutyError::data(file, e.to_string()))?;
    let id = parsed.province;
    if id.is_empty()
        || !id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b == b'-' || b.is_ascii_digit())
    {
        return Err(DutyError::data(
            file,
            format!("province id {id:?}: lower-case letters, digits and - only"),
        ));
    }
    let rules = parsed
        .rules
        .into_iter()
        .map(|r| rule_from_file(r, regimes, file))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Province {
        id,
        name: parsed.name,
        rules,
    })
}

/// Two rules of one id that could bind the same subject on the same day under the
/// same regime would give two answers.
fn check_no_overlap(rules: &[Rule], file: &str) -> Result<(), DutyError> {
    for (i, a) in rules.iter().enumerate() {
        for b in &rules[i + 1..] {
            if a.id != b.id {
                continue;
            }
            if a.subject != b.subject {
                return Err(DutyError::data(
                    file,
                    format!("rule {} is both for systems and for the unit", a.id),
                ));
            }
            let regimes = a.basis.keys().any(|k| b.basis.contains_key(k));
            let levels = match (&a.levels, &b.levels) {
                (Some(x), Some(y)) => x.iter().any(|l| y.contains(l)),
                _ => true,
            };
            let dates = a
                .valid_from
                .is_none_or(|f| b.valid_to.is_none_or(|t| f <= t))
                && b.valid_from
                    .is_none_or(|f| a.valid_to.is_none_or(|t| f <= t));
            if regimes && levels && dates {
                return Err(DutyError::data(
                    file,
                    format!(
                        "two rules {} bind the same systems under the same regime on the same days",
                        a.id
                    ),
                ));
            }
        }
    }
    Ok(())
}

impl Rules {
    /// The rules shipped in data/obligations/, with the embedded holiday calendar.
    pub fn embedded() -> Result<Rules, DutyError> {
        Rules::from_files(
            EMBEDDED_FILES
                .iter()
                .map(|(n, t)| (n.to_string(), t.to_string())),
        )
    }

    /// Every `*.toml` file of `dir`, a complete replacement of data/obligations/ (copy
    /// that directory and edit it): `default.toml` is required, each other file is one
    /// province. Uses the embedded holiday calendar unless [`Rules::with_calendar`].
    pub fn from_dir(dir: &Path) -> Result<Rules, DutyError> {
        let io = |p: &Path, e: std::io::Error| DutyError::Io {
            path: p.display().to_string(),
            message: e.to_string(),
        };
        let mut files = Vec::new();
        for entry in std::fs::read_dir(dir).map_err(|e| io(dir, e))? {
            let path = entry.map_err(|e| io(dir, e))?.path();
            if path.extension().and_then(|e| e.to_str()) != Some("toml") || !path.is_file() {
                continue;
            }
            if files.len() == MAX_FILES {
                return Err(DutyError::data(
                    &dir.display().to_string(),
                    format!("more than {MAX_FILES} rule files"),
                ));
            }
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let mut text = String::new();
            std::io::Read::read_to_string(
                &mut std::io::Read::take(
                    std::fs::File::open(&path).map_err(|e| io(&path, e))?,
                    MAX_FILE_BYTES + 1,
                ),
                &mut text,
            )
            .map_err(|e| io(&path, e))?;
            if text.len() as u64 > MAX_FILE_BYTES {
                return Err(DutyError::data(&name, "larger than 1 MiB"));
            }
            files.push((name, text));
        }
        files.sort();
        Rules::from_files(files)
    }

    fn from_files(files: impl IntoIterator<Item = (String, String)>) -> Result<Rules, DutyError> {
        let regimes_owned: Vec<String> = khien_levels::all_regimes()?
            .iter()
            .map(|r| r.id.clone())
            .collect();
        let regimes: Vec<&str> = regimes_owned.iter().map(String::as_str).collect();
        let mut default = None;
        let mut provinces: Vec<Province> = Vec::new();
        for (name, text) in files {
            let p = province_from_toml(&text, &name, &regimes)?;
            if format!("{}.toml", p.id) != name {
                return Err(DutyError::data(
                    &name,
                    format!("declares province {:?}: name the file {}.toml", p.id, p.id),
                ));
            }
            check_no_overlap(&p.rules, &name)?;
            if p.id == DEFAULT_PROVINCE {
                default = Some(p);
            } else {
                provinces.push(p);
            }
        }
        let default = default.ok_or_else(|| {
            DutyError::data("default.toml", "missing: the national rules are required")
        })?;
        let rules = Rules {
            default,
            provinces,
            calendar: khien_levels::Calendar::vietnam()?.clone(),
        };
        // Every report kind must mean one kind of period wherever it appears, so a
        // submission's period can be checked.
        let mut periods: BTreeMap<&str, PeriodKind> = BTreeMap::new();
        for p in std::iter::once(&rules.default).chain(&rules.provinces) {
            for r in &p.rules {
                if let Cadence::PerPeriod {
                    period,
                    fact: Fact::Report,
                    ..
                } = r.cadence
                    && periods
                        .insert(&r.id, period)
                        .is_some_and(|old| old != period)
                {
                    return Err(DutyError::data(
                        &format!("{}.toml", p.id),
                        format!("report {} has two kinds of period", r.id),
                    ));
                }
            }
        }
        Ok(rules)
    }

    /// Count periods with this calendar (e.g. the deployment's `holidays_file`).
    pub fn with_calendar(mut self, calendar: Calendar) -> Rules {
        self.calendar = calendar;
        self
    }

    pub fn calendar(&self) -> &Calendar {
        &self.calendar
    }

    /// The display name of a province's rule file.
    pub fn province_name(&self, id: &str) -> Option<&str> {
        std::iter::once(&self.default)
            .chain(&self.provinces)
            .find(|p| p.id == id)
            .map(|p| p.name.as_str())
    }

    /// Province ids with rules, `default` first.
    pub fn province_ids(&self) -> Vec<&str> {
        std::iter::once(self.default.id.as_str())
            .chain(self.provinces.iter().map(|p| p.id.as_str()))
            .collect()
    }

    /// The rules binding `province` under any regime: the national rules in their
    /// order, each id the province redefines replaced in place by the province's rules
    /// of that id, then the province's other rules.
    pub fn effective(&self, province: &str) -> Result<Vec<&Rule>, DutyError> {
        if province == DEFAULT_PROVINCE {
            return Ok(self.default.rules.iter().collect());
        }
        let p = self
            .provinces
            .iter()
            .find(|p| p.id == province)
            .ok_or_else(|| {
                DutyError::UnknownProvince(province.to_string(), self.province_ids().join(", "))
            })?;
        let own = |id: &str| p.rules.iter().any(|r| r.id == id);
        let mut out: Vec<&Rule> = Vec::new();
        for r in &self.default.rules {
            if !own(&r.id) {
                out.push(r);
            } else if !out.iter().any(|o| o.id == r.id) {
                out.extend(p.rules.iter().filter(|x| x.id == r.id));
            }
        }
        out.extend(
            p.rules
                .iter()
                .filter(|r| !self.default.rules.iter().any(|d| d.id == r.id)),
        );
        Ok(out)
    }

    /// The kind of period a report id names, in any province's rules.
    pub fn report_period(&self, kind: &str) -> Option<PeriodKind> {
        std::iter::once(&self.default)
            .chain(&self.provinces)
            .flat_map(|p| &p.rules)
            .find_map(|r| match r.cadence {
                Cadence::PerPeriod {
                    period,
                    fact: Fact::Report,
                    ..
                } if r.id == kind => Some(period),
                _ => None,
            })
    }
}
