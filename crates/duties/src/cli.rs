//! `khien incident deadlines` and `khien obligations check`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use khien_levels::Calendar;

use crate::error::DutyError;
use crate::incident_clocks::{ClockRules, IncidentFacts, deadlines_json, incident_deadlines_with};
use crate::obligations::{CheckInput, obligations_for, obligations_json};
use crate::rules::Rules;
use crate::text::read_input;

// The binary mounts these as `Incident { #[command(subcommand)] cmd: IncidentCommand }`.
/// Incidents: the legal reporting clocks.
#[derive(Debug, Clone, clap::Subcommand)]
pub enum IncidentCommand {
    /// Print the reports an incident described in a JSON file owes and when each is due
    /// (see docs/deadlines.md).
    Deadlines {
        /// Input JSON file ("-" reads standard input).
        file: PathBuf,
    },
}

/// Periodic obligations of a unit and its systems.
#[derive(Debug, Clone, clap::Subcommand)]
pub enum ObligationsCommand {
    /// Print each obligation's due date and status for the facts in a JSON file (see
    /// docs/deadlines.md).
    Check {
        /// Input JSON file ("-" reads standard input).
        file: PathBuf,
        /// A directory of rule files replacing data/obligations/ (default: the
        /// configured `obligation_rules_dir`, else the shipped rules).
        #[arg(long)]
        rules: Option<PathBuf>,
    },
}

/// Deployment data the commands count with: the holiday calendar (`holidays_file`), and
/// the rule overrides (`incident_clocks_file`, `obligation_rules_dir`).
#[derive(Debug, Clone)]
pub struct Overrides {
    pub calendar: Calendar,
    pub incident_clocks_file: Option<PathBuf>,
    pub obligation_rules_dir: Option<PathBuf>,
}

/// Load the incident clocks: `file` if given (`incident_clocks_file`), else the shipped
/// ones — what `khien incident deadlines` and the incident pages count with.
pub fn load_clock_rules(file: Option<&Path>) -> Result<ClockRules, DutyError> {
    match file {
        None => ClockRules::embedded().cloned(),
        Some(p) => ClockRules::from_toml(&read_input(p)?, &p.display().to_string()),
    }
}

/// Load the obligation rules: `dir` if given, else the shipped ones, counted with
/// `calendar`.
pub fn load_rules(dir: Option<&Path>, calendar: Calendar) -> Result<Rules, DutyError> {
    let rules = match dir {
        Some(d) => Rules::from_dir(d)?,
        None => Rules::embedded()?,
    };
    Ok(rules.with_calendar(calendar))
}

fn incident(cmd: IncidentCommand, o: &Overrides) -> Result<String, DutyError> {
    let IncidentCommand::Deadlines { file } = cmd;
    let rules = load_clock_rules(o.incident_clocks_file.as_deref())?;
    let facts = IncidentFacts::from_json(&read_input(&file)?)?;
    let dues = incident_deadlines_with(&facts, &rules, &o.calendar)?;
    for d in dues.iter().filter(|d| d.provisional) {
        eprintln!(
            "note: {} is due after a holiday the calendar only estimates; check that year's official notice",
            d.kind
        );
    }
    deadlines_json(&facts.regime, &dues)
}

fn obligations(cmd: ObligationsCommand, o: &Overrides) -> Result<String, DutyError> {
    let ObligationsCommand::Check { file, rules } = cmd;
    let dir = rules.or_else(|| o.obligation_rules_dir.clone());
    let rules = load_rules(dir.as_deref(), o.calendar.clone())?;
    let input = CheckInput::from_json(&read_input(&file)?, &rules)?;
    let list = obligations_for(
        &input.unit,
        &input.systems,
        input.today,
        input.due_soon_days,
        &input.province,
        &input.regime,
        &rules,
    )?;
    if list.iter().any(|l| l.provisional) {
        eprintln!("note: some due dates moved past holidays the calendar only estimates");
    }
    obligations_json(&list)
}

fn finish(result: Result<String, DutyError>) -> ExitCode {
    match result {
        Ok(json) => {
            println!("{json}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error [{}]: {e}", e.code());
            if e.is_input_error() {
                ExitCode::from(2)
            } else {
                ExitCode::FAILURE
            }
        }
    }
}

/// Run `khien incident …`. Exit codes: 0 success (JSON on stdout), 2 bad input, 1 a rule
/// or calendar problem (e.g. a year the holiday calendar does not list).
pub fn run_incident(cmd: IncidentCommand, overrides: &Overrides) -> ExitCode {
    finish(incident(cmd, overrides))
}

/// Run `khien obligations …` (exit codes as [`run_incident`]).
pub fn run_obligations(cmd: ObligationsCommand, overrides: &Overrides) -> ExitCode {
    finish(obligations(cmd, overrides))
}
