//! Legal duties computed from data, with `now` / `today` always given:
//!
//! - [`incident_clocks`]: the reports an incident owes and their deadlines to the
//!   second (Circular 20/2017 and Decision 05/2017, or Decree 331/2026; personal-data
//!   breach notices under Decree 13/2023 or Law 91/2025) — `khien incident deadlines`;
//! - [`rules`] and [`obligations`]: the periodic obligations of a unit and its systems
//!   (scans, hunts, drills, assessments, reports) per regime and province, with their
//!   current due date and status — `khien obligations check`;
//! - [`compliance`]: the compliance index per unit from those obligations, and ranks;
//! - [`periodic`]: the periodic report templates (which reports, periods, sections).
//!
//! Every period is counted by [`khien_levels::periods`] (Civil Code 2015 Arts 147–148)
//! on the configured holiday calendar; the two commands and the web pages call the
//! same functions.

mod cli;
pub mod compliance;
mod error;
pub mod incident_clocks;
pub mod obligations;
pub mod periodic;
pub mod rules;
pub mod text;

pub use cli::{
    IncidentCommand, ObligationsCommand, Overrides, load_clock_rules, load_rules, run_incident, run_obligations,
};
pub use error::DutyError;
pub use incident_clocks::{
    ClockRules, Due, DueAt, IncidentFacts, incident_deadlines, incident_deadlines_with,
};
pub use obligations::{
    ObligationStatus, Status, Subject, SystemFacts, SystemId, SystemStatus, UnitFacts,
    obligations_for,
};
pub use rules::Rules;

#[cfg(test)]
mod tests;
