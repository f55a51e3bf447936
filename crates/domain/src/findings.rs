//! Scanner findings: severities, statuses and who may move a finding between them, and
//! the remediation deadlines (data/findings/remediation.toml). Plain functions over
//! plain values: `today` is always a parameter.

use std::collections::BTreeMap;

use serde::Deserialize;
use time::Date;

use crate::Role;

/// Our severity scale, most severe first (the order of every list).
pub const SEVERITIES: [&str; 5] = ["critical", "high", "medium", "low", "info"];

/// A severity's rank for ordering and comparisons (critical 4 … info 0); unknown words
/// rank as info.
pub fn severity_rank(code: &str) -> i16 {
    match code {
        "critical" => 4,
        "high" => 3,
        "medium" => 2,
        "low" => 1,
        _ => 0,
    }
}

/// Critical and high: fixing one raises the system's "săn tìm sau khắc phục" duty
/// (Directive 18/2022: hunt at once for earlier compromise after a serious fix).
pub fn is_serious(severity: &str) -> bool {
    severity_rank(severity) >= 3
}

/// A finding's statuses. `open` is the only one with a running deadline.
pub const STATUSES: [&str; 4] = ["open", "fixed", "accepted_risk", "false_positive"];

/// The stored due date of a finding without a deadline (info), so that keyset paging
/// orders by a value that is never NULL.
pub const NO_DUE: &str = "9999-12-31";

/// The longest an accepted risk may run before it must be decided again.
pub const MAX_RISK_DAYS: i64 = 366;

/// What a status change asks for.
#[derive(Debug, Clone, Default)]
pub struct StatusChange<'a> {
    pub to: &'a str,
    pub reason: &'a str,
    /// Accepted risk: who approved it (a name and position, as written on the decision).
    pub approver: &'a str,
    /// Accepted risk: the last day it holds (Vietnam date); it reopens the day after.
    pub expires: Option<Date>,
}

/// Whether `role` may move a finding from `from` as `change` asks, on `today`; the
/// refusal is a catalogue key. Accepting a risk is a manager's decision; marking a false
/// positive, fixed or open again is the work of whoever maintains the system.
pub fn may_change_status(role: Role, from: &str, change: &StatusChange<'_>, today: Date) -> Result<(), &'static str> {
    let editor = role.can_edit_systems();
    let manager = matches!(role, Role::ProvinceAdmin | Role::UnitManager);
    if !editor {
        return Err("err.forbidden");
    }
    if !STATUSES.contains(&change.to) || !STATUSES.contains(&from) {
        return Err("finding.err_status");
    }
    if from == change.to {
        return Err("finding.err_same_status");
    }
    let reason = change.reason.trim();
    match change.to {
        "accepted_risk" => {
            if !manager {
                return Err("err.forbidden");
            }
            if from != "open" {
                return Err("finding.err_accept_open_only");
            }
            if reason.is_empty() || change.approver.trim().is_empty() {
                return Err("finding.err_risk_fields");
            }
            match change.expires {
                None => return Err("finding.err_risk_expiry"),
                Some(d) if d <= today || (d - today).whole_days() > MAX_RISK_DAYS => {
                    return Err("finding.err_risk_expiry");
                }
                Some(_) => {}
            }
        }
        "false_positive" | "fixed" if reason.is_empty() => return Err("finding.err_reason"),
        _ => {}
    }
    Ok(())
}

/// An accepted risk whose last day has passed is open again (the store writes it at the
/// next import or sweep, and every read already shows it open).
pub fn risk_expired(status: &str, expires_on: Option<&str>, today: Date) -> bool {
    status == "accepted_risk"
        && expires_on
            .and_then(crate::time_fmt::parse_iso_date)
            .is_some_and(|d| d < today)
}

/// Days to remediate per severity, by default and per security level.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemediationPolicy {
    pub version: String,
    pub source: String,
    default: Window,
    levels: BTreeMap<u8, Window>,
    kev_days: Option<u32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
struct Window {
    critical: u32,
    high: u32,
    medium: u32,
    low: u32,
}

impl Window {
    fn days(&self, severity: &str) -> Option<u32> {
        match severity {
            "critical" => Some(self.critical),
            "high" => Some(self.high),
            "medium" => Some(self.medium),
            "low" => Some(self.low),
            _ => None,
        }
    }

    fn shortest(&self) -> u32 {
        self.critical.min(self.high).min(self.medium).min(self.low)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PolicyFile {
    #[serde(default)]
    version: String,
    #[serde(default)]
    source: String,
    default: Window,
    #[serde(default)]
    level: BTreeMap<String, Window>,
    kev_days: Option<u32>,
}

/// The embedded default (DefectDojo's 7/30/90/120 days; halved for levels 4 and 5).
pub const DEFAULT_POLICY_TOML: &str = include_str!("../../../data/findings/remediation.toml");

/// The longest window a policy may set (a typo of 7000 days is refused).
const MAX_DAYS: u32 = 3650;

impl RemediationPolicy {
    pub fn from_toml(text: &str) -> Result<RemediationPolicy, String> {
        let f: PolicyFile = toml::from_str(text).map_err(|e| e.to_string())?;
        let mut levels = BTreeMap::new();
        for (k, w) in f.level {
            let level: u8 = k
                .parse()
                .ok()
                .filter(|l| (1..=5).contains(l))
                .ok_or_else(|| format!("level.{k}: a level is 1 to 5"))?;
            levels.insert(level, w);
        }
        for w in std::iter::once(&f.default).chain(levels.values()) {
            if [w.critical, w.high, w.medium, w.low].iter().any(|d| *d == 0 || *d > MAX_DAYS) {
                return Err(format!("every window is 1 to {MAX_DAYS} days"));
            }
        }
        if f.kev_days.is_some_and(|d| d == 0 || d > MAX_DAYS) {
            return Err(format!("kev_days is 1 to {MAX_DAYS}"));
        }
        Ok(RemediationPolicy {
            version: f.version,
            source: f.source,
            default: f.default,
            levels,
            kev_days: f.kev_days,
        })
    }

    /// The embedded default policy.
    pub fn embedded() -> RemediationPolicy {
        match RemediationPolicy::from_toml(DEFAULT_POLICY_TOML) {
            Ok(p) => p,
            // The embedded file is tested below; this is DefectDojo's table, should it
            // ever fail to parse.
            Err(_) => RemediationPolicy {
                version: String::new(),
                source: String::new(),
                default: Window {
                    critical: 7,
                    high: 30,
                    medium: 90,
                    low: 120,
                },
                levels: BTreeMap::new(),
                kev_days: None,
            },
        }
    }

    fn window(&self, level: u8) -> &Window {
        self.levels.get(&level).unwrap_or(&self.default)
    }

    /// Days to remediate a finding of `severity` on a system of `level` (0: not yet
    /// determined), KEV-listed or not; `None`: no deadline (info, not KEV-listed).
    pub fn days(&self, severity: &str, level: u8, kev: bool) -> Option<u32> {
        let w = self.window(level);
        let own = w.days(severity);
        if kev {
            let kev_days = self.kev_days.unwrap_or_else(|| w.shortest());
            return Some(own.map_or(kev_days, |d| d.min(kev_days)));
        }
        own
    }

    /// The last day to remediate, counted in calendar days from the Vietnam date the
    /// finding was first seen.
    pub fn due(&self, first_seen: Date, severity: &str, level: u8, kev: bool) -> Option<Date> {
        let days = self.days(severity, level, kev)?;
        first_seen.checked_add(time::Duration::days(i64::from(days)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn embedded_policy_is_defectdojos_with_stricter_high_levels() {
        let p = RemediationPolicy::embedded();
        assert_eq!(p.version, "2026-01");
        for (sev, days) in [("critical", 7), ("high", 30), ("medium", 90), ("low", 120)] {
            assert_eq!(p.days(sev, 0, false), Some(days));
            assert_eq!(p.days(sev, 3, false), Some(days));
        }
        assert_eq!(p.days("info", 3, false), None);
        assert_eq!(p.days("critical", 4, false), Some(3));
        assert_eq!(p.days("low", 5, false), Some(60));
        // KEV-listed: the shortest window of the table, whatever the severity.
        assert_eq!(p.days("low", 3, true), Some(7));
        assert_eq!(p.days("info", 4, true), Some(3));
        assert_eq!(p.due(date!(2026 - 12 - 28), "critical", 2, false), Some(date!(2027 - 01 - 04)));
    }

    #[test]
    fn bad_policies_are_refused() {
        assert!(RemediationPolicy::from_toml("[default]\ncritical = 7\nhigh = 30\nmedium = 90\n").is_err());
        assert!(RemediationPolicy::from_toml("[default]\ncritical = 0\nhigh = 30\nmedium = 90\nlow = 1\n").is_err());
        assert!(RemediationPolicy::from_toml("[default]\ncritical = 7\nhigh = 30\nmedium = 90\nlow = 120\n[level.9]\ncritical = 1\nhigh = 1\nmedium = 1\nlow = 1\n").is_err());
        let p = RemediationPolicy::from_toml("kev_days = 2\n[default]\ncritical = 7\nhigh = 30\nmedium = 90\nlow = 120\n").unwrap();
        assert_eq!(p.days("high", 1, true), Some(2));
    }

    #[test]
    fn status_changes_follow_the_roles_and_the_fields() {
        let today = date!(2026 - 12 - 02);
        let accept = StatusChange {
            to: "accepted_risk",
            reason: "Hệ thống cũ, thay thế trong quý 1",
            approver: "Giám đốc Sở",
            expires: Some(date!(2027 - 03 - 31)),
        };
        assert_eq!(may_change_status(Role::UnitManager, "open", &accept, today), Ok(()));
        assert_eq!(may_change_status(Role::UnitStaff, "open", &accept, today), Err("err.forbidden"));
        assert_eq!(may_change_status(Role::Inspector, "open", &accept, today), Err("err.forbidden"));
        assert_eq!(may_change_status(Role::UnitManager, "fixed", &accept, today), Err("finding.err_accept_open_only"));
        let past = StatusChange { expires: Some(today), ..accept.clone() };
        assert_eq!(may_change_status(Role::UnitManager, "open", &past, today), Err("finding.err_risk_expiry"));
        let far = StatusChange { expires: Some(date!(2028 - 12 - 31)), ..accept.clone() };
        assert_eq!(may_change_status(Role::UnitManager, "open", &far, today), Err("finding.err_risk_expiry"));
        let no_approver = StatusChange { approver: " ", ..accept };
        assert_eq!(may_change_status(Role::UnitManager, "open", &no_approver, today), Err("finding.err_risk_fields"));
        let fp = StatusChange { to: "false_positive", ..Default::default() };
        assert_eq!(may_change_status(Role::UnitStaff, "open", &fp, today), Err("finding.err_reason"));
        let fp = StatusChange { to: "false_positive", reason: "Cổng đóng bởi tường lửa", ..Default::default() };
        assert_eq!(may_change_status(Role::UnitStaff, "open", &fp, today), Ok(()));
        assert_eq!(may_change_status(Role::UnitStaff, "false_positive", &fp, today), Err("finding.err_same_status"));
        let reopen = StatusChange { to: "open", ..Default::default() };
        assert_eq!(may_change_status(Role::UnitStaff, "false_positive", &reopen, today), Ok(()));
        assert_eq!(may_change_status(Role::UnitStaff, "open", &StatusChange { to: "deleted", ..Default::default() }, today), Err("finding.err_status"));
    }

    #[test]
    fn an_accepted_risk_expires_the_day_after_its_last_day() {
        let last = Some("2027-03-31");
        assert!(!risk_expired("accepted_risk", last, date!(2027 - 03 - 31)));
        assert!(risk_expired("accepted_risk", last, date!(2027 - 04 - 01)));
        assert!(!risk_expired("open", last, date!(2027 - 04 - 01)));
        assert!(!risk_expired("accepted_risk", None, date!(2027 - 04 - 01)));
        assert!(is_serious("high") && is_serious("critical") && !is_serious("medium"));
    }
}
