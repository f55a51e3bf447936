//! Backup plans and restore tests (issue 12 item 4; Thái Nguyên 1880/UBND-KGVX 2024):
//! what a system's backup plan says, what a restore test records, and when an important
//! system is behind — no plan, no successful restore, or none within the period. The
//! level from which it is asked and the period are data (data/regimes/backups.toml).

use serde::Deserialize;
use time::Date;

use crate::error::{Invalid, optional_text, past_date_field, required_text};

pub const EMBEDDED_POLICY: &str = include_str!("../../../data/regimes/backups.toml");

/// How often a backup is taken.
pub const FREQUENCIES: [&str; 4] = ["daily", "weekly", "monthly", "other"];

/// How a restore test went: the data came back whole, in part, or not at all.
pub const OUTCOMES: [&str; 3] = ["succeeded", "partial", "failed"];
pub const SUCCEEDED: &str = "succeeded";

/// Ten years of retention, in days: beyond it the figure is a typing mistake.
pub const RETENTION_MAX_DAYS: i64 = 3_650;
/// A week, in minutes: a restore that took longer is a typing mistake too.
pub const DURATION_MAX_MINUTES: i64 = 10_080;

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    pub required_from_level: u8,
    pub restore_test_every_months: u32,
    pub basis: String,
}

impl Policy {
    pub fn parse(text: &str) -> Result<Policy, String> {
        let p: Policy = toml::from_str(text).map_err(|e| e.to_string())?;
        if !(1..=5).contains(&p.required_from_level) {
            return Err(format!("required_from_level {} is not a level (1–5)", p.required_from_level));
        }
        if !(1..=60).contains(&p.restore_test_every_months) {
            return Err(format!("restore_test_every_months {} is not 1–60", p.restore_test_every_months));
        }
        Ok(p)
    }

    pub fn embedded() -> Result<Policy, String> {
        Policy::parse(EMBEDDED_POLICY)
    }

    /// Whether a system at `level` (none: not yet determined) owes a plan and tests.
    pub fn required_for(&self, level: Option<u8>) -> bool {
        level.is_some_and(|l| l >= self.required_from_level)
    }

    /// The earliest day a successful restore test still counts on `today`.
    pub fn test_cutoff(&self, today: Date) -> Date {
        crate::hunts::months_before(today, self.restore_test_every_months)
    }

    /// What is behind for a system, given whether it has a plan, its last successful
    /// restore test and its last test's outcome; empty when nothing is.
    pub fn gaps(&self, today: Date, has_plan: bool, last_success: Option<Date>, last_outcome: Option<&str>) -> Vec<Gap> {
        let mut out = Vec::new();
        if !has_plan {
            out.push(Gap::NoPlan);
        }
        match last_success {
            None => out.push(Gap::NeverRestored),
            Some(d) if d < self.test_cutoff(today) => out.push(Gap::RestoreTooOld(d)),
            Some(_) => {}
        }
        if last_outcome.is_some_and(|o| o != SUCCEEDED) {
            out.push(Gap::LastTestFailed);
        }
        out
    }
}

/// Why a system's backup is not yet one to rely on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gap {
    NoPlan,
    /// No restore test ever succeeded.
    NeverRestored,
    /// The last successful one, too long ago.
    RestoreTooOld(Date),
    /// The latest test did not bring everything back.
    LastTestFailed,
}

/// The plan's form, as sent.
#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize)]
#[serde(default)]
pub struct PlanInput {
    /// What is backed up (systems, databases, files, configurations).
    pub backup_scope: String,
    pub frequency: String,
    pub retention_days: String,
    /// "on" when a copy is kept off-site or offline (out of an attacker's reach).
    pub offsite: String,
    /// How: the tool, the media, where the copies are kept.
    pub method: String,
    /// The version the form was opened on ("0": no plan yet).
    pub version: String,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PlanFields {
    pub scope: String,
    pub frequency: &'static str,
    pub retention_days: i64,
    pub offsite: bool,
    pub method: Option<String>,
    #[serde(skip)]
    pub seen_version: i64,
}

fn whole_number(e: &mut Invalid, field: &'static str, raw: &str, max: i64, required: bool) -> Option<i64> {
    let v = raw.trim();
    if v.is_empty() {
        if required {
            e.push(field, "err.required", "");
        }
        return None;
    }
    match v.parse::<i64>() {
        Ok(n) if (1..=max).contains(&n) => Some(n),
        _ => {
            e.push(field, "backup.err_number", max.to_string());
            None
        }
    }
}

impl PlanInput {
    pub fn validate(&self) -> Result<PlanFields, Invalid> {
        let mut e = Invalid::default();
        let scope = required_text(&mut e, "backup_scope", &self.backup_scope, 2_000);
        let frequency = FREQUENCIES.iter().copied().find(|f| *f == self.frequency.trim());
        if frequency.is_none() {
            e.push("frequency", "backup.err_frequency", "");
        }
        let retention = whole_number(&mut e, "retention_days", &self.retention_days, RETENTION_MAX_DAYS, true);
        let method = optional_text(&mut e, "method", &self.method, 2_000);
        let seen_version = match self.version.trim() {
            "" => Some(0),
            v => v.parse::<i64>().ok().filter(|n| *n >= 0),
        };
        if seen_version.is_none() {
            e.push("backup_scope", "backup.err_version", "");
        }
        match (frequency, retention, seen_version) {
            (Some(frequency), Some(retention_days), Some(seen_version)) if e.is_empty() => Ok(PlanFields { scope, frequency, retention_days, offsite: self.offsite == "on", method, seen_version }),
            _ => Err(e),
        }
    }
}

/// A restore test's form, as sent.
#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize)]
#[serde(default)]
pub struct RestoreTestInput {
    /// dd/mm/yyyy.
    pub tested_on: String,
    pub outcome: String,
    /// Minutes from the start of the restore to the service back.
    pub duration_minutes: String,
    /// What was restored and how it was checked.
    pub restored: String,
    pub note: String,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RestoreTestFields {
    pub tested_on: Date,
    pub outcome: &'static str,
    pub duration_minutes: Option<i64>,
    pub restored: String,
    pub note: Option<String>,
}

impl RestoreTestInput {
    pub fn validate(&self, today: Date) -> Result<RestoreTestFields, Invalid> {
        let mut e = Invalid::default();
        let tested_on = past_date_field(&mut e, "tested_on", &self.tested_on, today);
        let outcome = OUTCOMES.iter().copied().find(|o| *o == self.outcome.trim());
        if outcome.is_none() {
            e.push("outcome", "backup.err_outcome", "");
        }
        let duration_minutes = whole_number(&mut e, "duration_minutes", &self.duration_minutes, DURATION_MAX_MINUTES, false);
        let restored = required_text(&mut e, "restored", &self.restored, 2_000);
        let note = optional_text(&mut e, "note", &self.note, 2_000);
        match (tested_on, outcome) {
            (Some(tested_on), Some(outcome)) if e.is_empty() => Ok(RestoreTestFields { tested_on, outcome, duration_minutes, restored, note }),
            _ => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use time::macros::date;

    use super::*;

    #[test]
    fn the_shipped_policy_asks_level_three_up_for_a_restore_within_a_year() {
        let p = Policy::embedded().unwrap();
        assert!(p.basis.contains("1880/UBND-KGVX"));
        assert!(!p.required_for(Some(2)) && p.required_for(Some(3)) && !p.required_for(None));
        assert_eq!(p.test_cutoff(date!(2026 - 12 - 03)), date!(2025 - 12 - 03));
        assert!(Policy::parse(&EMBEDDED_POLICY.replace("= 12", "= 0")).is_err());
        assert!(Policy::parse(&EMBEDDED_POLICY.replace("required_from_level = 3", "required_from_level = 9")).is_err());
    }

    #[test]
    fn gaps_name_what_is_behind() {
        let p = Policy::embedded().unwrap();
        let today = date!(2026 - 12 - 03);
        assert_eq!(p.gaps(today, false, None, None), [Gap::NoPlan, Gap::NeverRestored]);
        // Exactly twelve months ago still counts; a day more does not.
        assert!(p.gaps(today, true, Some(date!(2025 - 12 - 03)), Some("succeeded")).is_empty());
        assert_eq!(p.gaps(today, true, Some(date!(2025 - 12 - 02)), Some("succeeded")), [Gap::RestoreTooOld(date!(2025 - 12 - 02))]);
        // A recent success does not hide that the latest test failed.
        assert_eq!(p.gaps(today, true, Some(date!(2026 - 06 - 01)), Some("failed")), [Gap::LastTestFailed]);
        assert_eq!(p.gaps(today, true, None, Some("partial")), [Gap::NeverRestored, Gap::LastTestFailed]);
    }

    #[test]
    fn a_plan_and_a_test_say_what_they_must() {
        let e = PlanInput { frequency: "hourly".into(), retention_days: "-3".into(), ..Default::default() }.validate().unwrap_err();
        let keys: Vec<_> = e.errors.iter().map(|f| (f.field, f.key)).collect();
        assert_eq!(keys, [("backup_scope", "err.required"), ("frequency", "backup.err_frequency"), ("retention_days", "backup.err_number")]);
        let f = PlanInput { backup_scope: " CSDL hồ sơ ".into(), frequency: "daily".into(), retention_days: "30".into(), offsite: "on".into(), version: "2".into(), ..Default::default() }.validate().unwrap();
        assert_eq!((f.scope.as_str(), f.retention_days, f.offsite, f.seen_version), ("CSDL hồ sơ", 30, true, 2));
        let today = date!(2026 - 12 - 03);
        let e = RestoreTestInput { tested_on: "04/12/2026".into(), outcome: "ok".into(), duration_minutes: "99999".into(), ..Default::default() }.validate(today).unwrap_err();
        let keys: Vec<_> = e.errors.iter().map(|f| f.key).collect();
        assert_eq!(keys, ["err.date_future", "backup.err_outcome", "backup.err_number", "err.required"]);
        let t = RestoreTestInput { tested_on: "02/12/2026".into(), outcome: "partial".into(), duration_minutes: "95".into(), restored: "CSDL".into(), note: String::new() }.validate(today).unwrap();
        assert_eq!((t.outcome, t.duration_minutes, t.note), ("partial", Some(95), None));
    }
}
