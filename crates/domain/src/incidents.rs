//! Incident response (ứng cứu sự cố): the incident's vocabulary (type, severity, status,
//! detection source, personal-data impact, TLP, observables), what a new incident must
//! carry, and who may move it through its status machine. Decision 05/2017 Arts 9, 11
//! and 14, Circular 20/2017 Arts 9 and 11 (Form 03's detection methods), Decree 331/2026
//! Art 31.2.d; see docs/domain.md §4 and §10.
//!
//! Pure functions over plain values: no IO, and `now` is always a parameter.

use std::net::IpAddr;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::error::{Invalid, optional_text, required_text};
use crate::roles::Role;

/// Declares a closed set of values stored and sent as snake_case text, with
/// `ALL`, `as_str` and `parse` (unknown text is `None`, never a default).
macro_rules! vocabulary {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($(#[$vm])* $variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub const fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            pub fn parse(s: &str) -> Option<$name> {
                $name::ALL.iter().copied().find(|v| v.as_str() == s.trim())
            }
        }
    };
}

vocabulary!(
    /// The incident type taxonomy of the national reporting system (Circular 20/2017 as
    /// implemented in the VNCERT portal; docs/domain.md §4.2).
    IncidentType {
        /// Tấn công từ chối dịch vụ.
        DenialOfService => "denial_of_service",
        /// Tấn công giả mạo (lừa đảo, phishing).
        Phishing => "phishing",
        /// Tấn công sử dụng mã độc.
        Malware => "malware",
        /// Truy cập trái phép, chiếm quyền điều khiển.
        UnauthorisedAccess => "unauthorised_access",
        /// Thay đổi giao diện.
        Defacement => "defacement",
        /// Mã hóa phần mềm, dữ liệu, thiết bị (ransomware).
        Ransomware => "ransomware",
        /// Phá hoại thông tin, dữ liệu, phần mềm.
        Destruction => "destruction",
        /// Nghe trộm, gián điệp, lấy cắp thông tin, dữ liệu.
        DataTheft => "data_theft",
        /// Tấn công tổng hợp.
        Combined => "combined",
        Other => "other",
    }
);

vocabulary!(
    /// Decision 05/2017 Art 9: "serious" only when a level 4–5 or national critical
    /// system suffers one of the listed harms *and* its owner cannot handle it alone;
    /// every other incident is "normal" (handled under Circular 20/2017). Decree 331
    /// also uses "serious" (the 24-hour initial notice); its own definition is not yet
    /// issued, so the same word is kept and the 2026 triggers are separate flags.
    Severity {
        Normal => "normal",
        Serious => "serious",
    }
);

/// Decision 05/2017 Art 9 as a rule: both conditions must hold.
pub fn serious_under_decision05(
    highest_level: Option<u8>,
    national_critical: bool,
    qualifying_harm: bool,
    beyond_capacity: bool,
) -> Severity {
    let system_qualifies = national_critical || highest_level.is_some_and(|l| l >= 4);
    if system_qualifies && qualifying_harm && beyond_capacity {
        Severity::Serious
    } else {
        Severity::Normal
    }
}

vocabulary!(
    /// Where the incident lives in its response (Decision 05 Art 14, Circular 20 Art 11
    /// and Appendix II: receive and verify → respond and contain → eradicate and
    /// restore → wrap up).
    Status {
        /// Received, not yet verified (a public report, an alert, a staff report).
        Reported => "reported",
        /// Verified and classified by the response team.
        Verified => "verified",
        Responding => "responding",
        Contained => "contained",
        /// Eradicated and restored: the response has ended (the closure-report clock).
        Recovered => "recovered",
        Closed => "closed",
    }
);

vocabulary!(
    /// How the incident was detected (Circular 20 Form 03's methods, plus the ways
    /// Khiên itself receives incidents).
    DetectionSource {
        Ids => "ids",
        LogReview => "log_review",
        /// Notified by another party (the national coordinator, a provider, the police).
        Notified => "notified",
        /// A monitoring service or SIEM (an alert through the API).
        Monitoring => "monitoring",
        /// A citizen or enterprise through the public form.
        PublicReport => "public_report",
        /// A threat hunt concluded "suspicious".
        Hunt => "hunt",
        Other => "other",
    }
);

vocabulary!(
    /// Personal data affected (Decree 13/2023; Law 91/2025 + Decree 356/2025).
    PersonalDataImpact {
        None => "none",
        Basic => "basic",
        Sensitive => "sensitive",
    }
);

vocabulary!(
    /// Traffic Light Protocol 2.0: how far an observable may be shared.
    Tlp {
        Clear => "clear",
        Green => "green",
        Amber => "amber",
        AmberStrict => "amber_strict",
        Red => "red",
    }
);

vocabulary!(
    ObservableKind {
        Ip => "ip",
        Domain => "domain",
        Url => "url",
        /// MD5, SHA-1, SHA-256 or SHA-512, hex.
        Hash => "hash",
        /// A file name or path.
        File => "file",
        /// A user account (name, e-mail, SID).
        Account => "account",
    }
);

vocabulary!(
    TaskState {
        Open => "open",
        InProgress => "in_progress",
        Done => "done",
        Cancelled => "cancelled",
    }
);

vocabulary!(
    /// One link of an evidence file's chain of custody.
    CustodyAction {
        /// Collected and uploaded (recorded with the upload itself).
        Collected => "collected",
        Transferred => "transferred",
        Analysed => "analysed",
        Sealed => "sealed",
        Returned => "returned",
    }
);

vocabulary!(
    /// An alert from a SOC/SIEM or monitoring provider.
    AlertState {
        New => "new",
        /// Became a new incident.
        Promoted => "promoted",
        /// Joined an existing incident.
        Merged => "merged",
        Ignored => "ignored",
    }
);

/// The regimes an incident may be reported under (the legal clocks differ).
pub const REGIMES: [&str; 2] = ["nd85-2016", "nd331-2026"];

/// The regime in force on a Vietnamese date, from the regime files' validity dates
/// (Decree 331/2026 from 19/08/2026); Decree 85/2016 when none says so.
pub fn regime_on(date: time::Date) -> &'static str {
    match khien_levels::regime_in_force(date) {
        Ok(Some(r)) => REGIMES.iter().copied().find(|id| *id == r.id).unwrap_or(REGIMES[0]),
        _ => REGIMES[0],
    }
}

/// The reference of the `seq`-th incident of `year`: `SC-2026-000123`.
pub fn reference(year: i32, seq: i64) -> String {
    format!("SC-{year}-{seq:06}")
}

/// A reference as a person types it (case and spaces forgiven), or `None`.
pub fn parse_reference(raw: &str) -> Option<String> {
    let r = raw.trim().to_ascii_uppercase();
    let rest = r.strip_prefix("SC-")?;
    let (year, seq) = rest.split_once('-')?;
    let ok = year.len() == 4
        && year.bytes().all(|b| b.is_ascii_digit())
        && (6..=9).contains(&seq.len())
        && seq.bytes().all(|b| b.is_ascii_digit());
    ok.then_some(r)
}

// ---------------------------------------------------------------------------------
// Who may do what.

/// How a principal stands to one incident.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Relation {
    /// The provincial response team and the department: every incident.
    Team,
    /// The creating unit or an affected unit (in the principal's subtree).
    Involved,
    /// A unit the incident was explicitly shared with: reads and comments.
    Shared,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Actor {
    pub role: Role,
    pub relation: Relation,
}

/// Roles that handle incidents at all (reports, tasks, evidence); inspectors and
/// leaders read.
fn handles(role: Role) -> bool {
    matches!(
        role,
        Role::ProvinceAdmin | Role::Responder | Role::UnitManager | Role::UnitStaff
    )
}

/// The provincial team's roles: verify, classify, close, share, take alerts.
pub fn is_team(role: Role) -> bool {
    matches!(role, Role::ProvinceAdmin | Role::Responder)
}

/// May report a new incident through the staff form.
pub fn may_report(role: Role) -> Result<(), &'static str> {
    if handles(role) { Ok(()) } else { Err("err.forbidden") }
}

/// May work on the incident: observables, tasks, timeline, evidence, affected systems.
pub fn may_work(a: Actor) -> Result<(), &'static str> {
    if handles(a.role) && a.relation != Relation::Shared {
        Ok(())
    } else {
        Err("err.forbidden")
    }
}

/// May comment: whoever handles incidents and sees this one (a shared unit too).
pub fn may_comment(a: Actor) -> Result<(), &'static str> {
    if handles(a.role) { Ok(()) } else { Err("err.forbidden") }
}

/// Sharing with another unit is the team's act (recorded in the audit trail).
pub fn may_share(a: Actor) -> Result<(), &'static str> {
    if is_team(a.role) && a.relation == Relation::Team {
        Ok(())
    } else {
        Err("err.forbidden")
    }
}

/// Whether `from → to` is a step of the machine at all (whoever asks).
pub fn is_transition(from: Status, to: Status) -> bool {
    use Status::*;
    matches!(
        (from, to),
        (Reported, Verified)
            | (Verified, Responding)
            | (Responding, Contained)
            | (Contained, Recovered)
            | (Recovered, Closed)
            // Not an incident after all (a false positive, a duplicate): closed unworked.
            | (Reported, Closed)
            | (Verified, Closed)
            // Containment failed, or the system was compromised again.
            | (Contained, Responding)
            | (Recovered, Responding)
    )
}

/// Who may make a step: the team any step of the machine; the creating and affected
/// units the steps of their own response (responding → contained → recovered, and back
/// to responding). Verifying (Decision 05 Art 12: the specialised unit verifies and
/// classifies) and closing (Circular 20 Art 9: recorded closed once the closure report
/// is in) are the team's. A closing without working the incident needs a reason.
pub fn may_transition(a: Actor, from: Status, to: Status, note: &str) -> Result<(), &'static str> {
    use Status::*;
    if !is_transition(from, to) {
        return Err("incident.err_transition");
    }
    let unit_step = matches!(
        (from, to),
        (Verified, Responding) | (Responding, Contained) | (Contained, Recovered) | (Contained, Responding) | (Recovered, Responding)
    );
    let allowed = match a.relation {
        Relation::Team => is_team(a.role),
        Relation::Involved => handles(a.role) && (is_team(a.role) || unit_step),
        Relation::Shared => false,
    };
    if !allowed {
        return Err("err.forbidden");
    }
    if to == Closed && matches!(from, Reported | Verified) && note.trim().chars().count() < 5 {
        return Err("incident.err_close_reason");
    }
    Ok(())
}

/// The statuses `a` may move the incident to from `from` (the buttons on its page).
pub fn next_statuses(a: Actor, from: Status) -> Vec<Status> {
    Status::ALL
        .iter()
        .copied()
        .filter(|to| {
            // The reason is asked for on the page; here only the right to the step.
            may_transition(a, from, *to, "lý do đủ dài").is_ok()
        })
        .collect()
}

/// An alert may be promoted, merged or ignored only while it is new.
pub fn may_take_alert(state: AlertState) -> Result<(), &'static str> {
    if state == AlertState::New {
        Ok(())
    } else {
        Err("alert.err_taken")
    }
}

// ---------------------------------------------------------------------------------
// Observables.

pub const OBSERVABLE_MAX: usize = 2048;

/// An observable's value checked and written one way, so the same IOC entered twice
/// (`Evil.COM.` and `evil.com`) is one. The error is a catalogue key.
pub fn normalise_observable(kind: ObservableKind, raw: &str) -> Result<String, &'static str> {
    let v = raw.trim();
    if v.is_empty() {
        return Err("err.required");
    }
    if v.chars().count() > OBSERVABLE_MAX || v.chars().any(char::is_control) {
        return Err("observable.err_value");
    }
    let bad = |_| "observable.err_value";
    match kind {
        ObservableKind::Ip => {
            // `[.]` defanging is how IOCs travel in reports and e-mails.
            let plain = v.replace("[.]", ".").replace("[:]", ":");
            let ip: IpAddr = plain.parse().map_err(bad)?;
            Ok(match ip {
                IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
                v4 => v4,
            }
            .to_string())
        }
        ObservableKind::Domain => normalise_domain(&v.replace("[.]", ".")).ok_or("observable.err_value"),
        ObservableKind::Url => normalise_url(v).ok_or("observable.err_value"),
        ObservableKind::Hash => {
            let h = v.to_ascii_lowercase();
            let h = h.split_once(['=', ':']).map_or(h.as_str(), |(_, x)| x).trim().to_string();
            if matches!(h.len(), 32 | 40 | 64 | 128) && h.bytes().all(|b| b.is_ascii_hexdigit()) {
                Ok(h)
            } else {
                Err("observable.err_value")
            }
        }
        ObservableKind::File => {
            if v.chars().count() > 1024 { Err("observable.err_value") } else { Ok(v.to_string()) }
        }
        ObservableKind::Account => {
            if v.chars().count() > 256 { Err("observable.err_value") } else { Ok(v.to_string()) }
        }
    }
}

/// A host name: letters (any script, lowercased), digits and hyphens in dot-separated
/// labels of at most 63 characters, at least two labels, at most 253 in all; a final
/// dot is dropped.
fn normalise_domain(raw: &str) -> Option<String> {
    let d = raw.trim().trim_end_matches('.').to_lowercase();
    if d.is_empty() || d.len() > 253 || d.parse::<IpAddr>().is_ok() {
        return None;
    }
    let labels: Vec<&str> = d.split('.').collect();
    let label_ok = |l: &&str| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.chars().all(|c| c.is_alphanumeric() || c == '-' || c == '_')
    };
    (labels.len() >= 2 && labels.iter().all(label_ok)).then_some(d)
}

/// A URL with a scheme and a host: the scheme and host are lowercased (they are case
/// insensitive), the rest is kept as given. `hxxp` defanging is undone.
fn normalise_url(raw: &str) -> Option<String> {
    let v = raw.trim().replace("[.]", ".");
    let (scheme, rest) = v.split_once("://")?;
    let scheme = match scheme.to_ascii_lowercase().as_str() {
        "hxxp" => "http".to_string(),
        "hxxps" => "https".to_string(),
        s if !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.')) => s.to_string(),
        _ => return None,
    };
    if rest.chars().any(char::is_whitespace) {
        return None;
    }
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    if host_port.is_empty() {
        return None;
    }
    let userinfo = &authority[..authority.len() - host_port.len()];
    Some(format!("{scheme}://{userinfo}{}{tail}", host_port.to_lowercase()))
}

/// The observables a hunt detection names in its matched fields: addresses (any
/// field whose value is an IP, loopback and unspecified left out), accounts (fields
/// named like a user), files (image and file-name fields) and hashes (Sysmon's
/// `SHA256=…,MD5=…` lists). Values that do not normalise are left out: a detection is
/// evidence, not input to correct.
pub fn observables_in_detection(matched: &serde_json::Value) -> Vec<(ObservableKind, String)> {
    let mut out: Vec<(ObservableKind, String)> = Vec::new();
    let mut push = |k: ObservableKind, v: &str| {
        if let Ok(n) = normalise_observable(k, v)
            && !out.iter().any(|(ok, ov)| *ok == k && *ov == n)
        {
            out.push((k, n));
        }
    };
    let serde_json::Value::Object(fields) = matched else {
        return Vec::new();
    };
    for (key, value) in fields.iter().take(100) {
        let Some(v) = value.as_str() else { continue };
        let k = key.to_ascii_lowercase();
        if let Ok(ip) = v.trim().parse::<IpAddr>() {
            if !ip.is_loopback() && !ip.is_unspecified() {
                push(ObservableKind::Ip, v);
            }
        } else if k.contains("hash") {
            for part in v.split(',') {
                push(ObservableKind::Hash, part);
            }
        } else if k.contains("user") && !matches!(v.trim(), "-" | "") {
            push(ObservableKind::Account, v);
        } else if k == "image" || k.ends_with("filename") || k == "targetfilename" || k == "imageloaded" {
            push(ObservableKind::File, v);
        }
    }
    out
}

// ---------------------------------------------------------------------------------
// Times.

/// A detection time as people type it, in Vietnam time, to the minute:
/// `dd/mm/yyyy HH:MM`, or the browser's `yyyy-mm-ddTHH:MM`. Returns the instant (UTC).
pub fn parse_local_minute(raw: &str) -> Option<OffsetDateTime> {
    let v = raw.trim();
    let (date, clock) = v.split_once(['T', ' '])?;
    let date = crate::time_fmt::parse_user_date(date)?;
    let (h, m) = clock.trim().split_once(':')?;
    let hour: u8 = h.trim().parse().ok()?;
    let minute: u8 = m.trim().get(..2).unwrap_or(m.trim()).parse().ok()?;
    let t = time::Time::from_hms(hour, minute, 0).ok()?;
    Some(date.with_time(t).assume_offset(crate::time_fmt::VIETNAM))
}

/// An instant cut to its minute (detection times are recorded to the minute).
pub fn to_minute(t: OffsetDateTime) -> OffsetDateTime {
    t.replace_second(0)
        .and_then(|t| t.replace_nanosecond(0))
        .unwrap_or(t)
}

/// `dd/mm/yyyy HH:MM` in Vietnam time, what the form shows back.
pub fn local_minute_text(t: OffsetDateTime) -> String {
    let fmt = time::macros::format_description!("[day]/[month]/[year] [hour]:[minute]");
    t.to_offset(crate::time_fmt::VIETNAM).format(&fmt).unwrap_or_default()
}

/// A time that records something already seen: parsed, to the minute, and not later
/// than `now`'s minute.
fn past_minute(e: &mut Invalid, field: &'static str, raw: &str, now: OffsetDateTime, required: bool) -> Option<OffsetDateTime> {
    if raw.trim().is_empty() {
        if required {
            e.push(field, "err.required", "");
        }
        return None;
    }
    match parse_local_minute(raw) {
        None => {
            e.push(field, "incident.err_datetime", "");
            None
        }
        Some(t) if t > to_minute(now) => {
            e.push(field, "incident.err_future", local_minute_text(now));
            None
        }
        Some(t) => Some(t),
    }
}

// ---------------------------------------------------------------------------------
// A new incident.

pub const TITLE_MAX: usize = 300;
pub const DESCRIPTION_MAX: usize = 20_000;

/// What the staff form (or the API) sends, as typed.
#[derive(Debug, Clone, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default)]
pub struct IncidentInput {
    pub title: String,
    pub description: String,
    /// `dd/mm/yyyy HH:MM` (Vietnam time) or `yyyy-mm-ddTHH:MM`.
    pub detected_at: String,
    pub reporter_name: String,
    pub reporter_contact: String,
    pub source: String,
    pub incident_type: String,
    pub severity: String,
    /// `1` when the incident is beyond the unit's capacity (Circular 20 Art 9.2).
    pub beyond_capacity: String,
    /// `1`: signs of harm to national security or public order (Decree 331 Art 31.2.d).
    pub national_security_signs: String,
    /// `1`: the system is seriously interrupted (Decree 331 Art 31.2.d).
    pub serious_interruption: String,
    pub pd_impact: String,
    pub pd_subjects: String,
    /// When a personal-data breach was confirmed (its own 72-hour clock).
    pub pd_confirmed_at: String,
    /// Empty: the regime in force on the detection date.
    pub regime: String,
    /// Affected systems (ids).
    pub systems: Vec<String>,
}

/// A validated incident.
#[derive(Debug, Clone, PartialEq)]
pub struct IncidentFields {
    pub title: String,
    pub description: String,
    pub detected_at: OffsetDateTime,
    pub reporter_name: String,
    pub reporter_contact: Option<String>,
    pub source: DetectionSource,
    pub incident_type: IncidentType,
    pub severity: Severity,
    pub beyond_capacity: bool,
    pub national_security_signs: bool,
    pub serious_interruption: bool,
    pub pd_impact: PersonalDataImpact,
    pub pd_subjects: Option<i64>,
    pub pd_confirmed_at: Option<OffsetDateTime>,
    pub regime: &'static str,
    pub systems: Vec<String>,
}

fn flag(v: &str) -> bool {
    matches!(v.trim(), "1" | "true" | "on" | "yes")
}

fn choice<T: Copy>(e: &mut Invalid, field: &'static str, raw: &str, parse: fn(&str) -> Option<T>, default: Option<T>) -> Option<T> {
    if raw.trim().is_empty()
        && let Some(d) = default
    {
        return Some(d);
    }
    let v = parse(raw);
    if v.is_none() {
        e.push(field, "err.choice", raw.trim().chars().take(60).collect::<String>());
    }
    v
}

/// The personal-data part: an impact, and a count of data subjects (unknown allowed)
/// only when there is one.
fn personal_data(e: &mut Invalid, impact: &str, subjects: &str) -> (PersonalDataImpact, Option<i64>) {
    let impact = choice(e, "pd_impact", impact, PersonalDataImpact::parse, Some(PersonalDataImpact::None))
        .unwrap_or(PersonalDataImpact::None);
    let raw: String = subjects.chars().filter(|c| !matches!(c, '.' | ',' | ' ')).collect();
    let subjects = if raw.is_empty() {
        None
    } else {
        match raw.parse::<i64>() {
            Ok(n) if (0..=1_000_000_000).contains(&n) => Some(n),
            _ => {
                e.push("pd_subjects", "incident.err_subjects", "");
                None
            }
        }
    };
    if impact == PersonalDataImpact::None && subjects.is_some_and(|n| n > 0) {
        e.push("pd_subjects", "incident.err_subjects_without_impact", "");
    }
    (impact, subjects)
}

impl IncidentInput {
    /// Every problem at once. `now` bounds the detection time (not in the future).
    pub fn validate(&self, now: OffsetDateTime) -> Result<IncidentFields, Invalid> {
        let mut e = Invalid::default();
        let title = required_text(&mut e, "title", &self.title, TITLE_MAX);
        let description = optional_text(&mut e, "description", &self.description, DESCRIPTION_MAX).unwrap_or_default();
        let detected_at = past_minute(&mut e, "detected_at", &self.detected_at, now, true);
        let reporter_name = required_text(&mut e, "reporter_name", &self.reporter_name, 200);
        let reporter_contact = optional_text(&mut e, "reporter_contact", &self.reporter_contact, 300);
        let source = choice(&mut e, "source", &self.source, DetectionSource::parse, None);
        let incident_type = choice(&mut e, "incident_type", &self.incident_type, IncidentType::parse, None);
        let severity = choice(&mut e, "severity", &self.severity, Severity::parse, Some(Severity::Normal));
        let (pd_impact, pd_subjects) = personal_data(&mut e, &self.pd_impact, &self.pd_subjects);
        let pd_confirmed_at = past_minute(&mut e, "pd_confirmed_at", &self.pd_confirmed_at, now, false);
        if pd_confirmed_at.is_some() && pd_impact == PersonalDataImpact::None {
            e.push("pd_confirmed_at", "incident.err_subjects_without_impact", "");
        }
        let regime = if self.regime.trim().is_empty() {
            detected_at.map(|t| regime_on(crate::time_fmt::vn_date(t)))
        } else {
            let r = REGIMES.iter().copied().find(|r| *r == self.regime.trim());
            if r.is_none() {
                e.push("regime", "err.choice", self.regime.trim().chars().take(40).collect::<String>());
            }
            r
        };
        let mut systems: Vec<String> = self.systems.iter().map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect();
        systems.sort();
        systems.dedup();
        if systems.len() > 100 {
            e.push("systems", "err.too_long", "100");
        }
        match (detected_at, source, incident_type, severity, regime) {
            (Some(detected_at), Some(source), Some(incident_type), Some(severity), Some(regime)) if e.is_empty() => Ok(IncidentFields {
                title,
                description,
                detected_at,
                reporter_name,
                reporter_contact,
                source,
                incident_type,
                severity,
                beyond_capacity: flag(&self.beyond_capacity),
                national_security_signs: flag(&self.national_security_signs),
                serious_interruption: flag(&self.serious_interruption),
                pd_impact,
                pd_subjects,
                pd_confirmed_at,
                regime,
                systems,
            }),
            _ => Err(e),
        }
    }
}

// ---------------------------------------------------------------------------------
// A report from the public.

/// What a citizen or enterprise sends through the public form.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct PublicReportInput {
    pub name: String,
    /// An e-mail address or a phone number to be reached at.
    pub contact: String,
    /// The website, service or agency affected.
    pub affected: String,
    pub description: String,
    /// When it was noticed (optional; `dd/mm/yyyy HH:MM`).
    pub noticed_at: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PublicReport {
    pub name: String,
    pub contact: String,
    pub affected: String,
    pub description: String,
    pub noticed_at: Option<OffsetDateTime>,
}

pub const PUBLIC_TEXT_MAX: usize = 5_000;

impl PublicReportInput {
    pub fn validate(&self, now: OffsetDateTime) -> Result<PublicReport, Invalid> {
        let mut e = Invalid::default();
        let name = required_text(&mut e, "name", &self.name, 200);
        let contact = required_text(&mut e, "contact", &self.contact, 200);
        if !contact.is_empty() && !contact.contains('@') && contact.chars().filter(char::is_ascii_digit).count() < 8 {
            e.push("contact", "report.err_contact", "");
        }
        let affected = required_text(&mut e, "affected", &self.affected, 500);
        let description = required_text(&mut e, "description", &self.description, PUBLIC_TEXT_MAX);
        let noticed_at = past_minute(&mut e, "noticed_at", &self.noticed_at, now, false);
        e.into_result(PublicReport {
            name,
            contact,
            affected,
            description,
            noticed_at,
        })
    }
}

/// A follow-up code as the reporter types it back: letters and digits only, upper
/// case (`abcd-efgh …` is `ABCDEFGH…`). Both the stored hash and the lookup use it.
pub fn follow_up_key(raw: &str) -> String {
    raw.chars()
        .filter(char::is_ascii_alphanumeric)
        .take(64)
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// Public reports each address may send per hour (the store counts across processes).
pub const PUBLIC_REPORTS_PER_HOUR: i64 = 5;
/// A person takes longer than this to fill the public form; a script does not.
pub const PUBLIC_FORM_MIN_SECS: i64 = 3;
/// A form older than this is stale (its token expired): reload it.
pub const PUBLIC_FORM_MAX_SECS: i64 = 6 * 3600;

/// Why a filled public form is refused before its content is even read: the hidden
/// field a person never sees was filled (a bot), or it came back faster than a person
/// types, or its token is from too long ago. `issued_at` is what the signed token says.
pub fn public_form_gate(honeypot: &str, issued_at: Option<i64>, now_unix: i64) -> Result<(), &'static str> {
    if !honeypot.trim().is_empty() {
        return Err("report.err_spam");
    }
    let Some(issued) = issued_at else {
        return Err("report.err_stale");
    };
    let age = now_unix - issued;
    if age < PUBLIC_FORM_MIN_SECS {
        return Err("report.err_too_fast");
    }
    if age > PUBLIC_FORM_MAX_SECS {
        return Err("report.err_stale");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    const TEAM: Actor = Actor { role: Role::Responder, relation: Relation::Team };
    const UNIT: Actor = Actor { role: Role::UnitStaff, relation: Relation::Involved };

    #[test]
    fn the_status_machine_has_its_steps_and_its_owners() {
        use Status::*;
        assert_eq!(may_transition(TEAM, Reported, Verified, ""), Ok(()));
        assert_eq!(may_transition(UNIT, Reported, Verified, ""), Err("err.forbidden"));
        assert_eq!(may_transition(UNIT, Verified, Responding, ""), Ok(()));
        assert_eq!(may_transition(UNIT, Contained, Recovered, ""), Ok(()));
        assert_eq!(may_transition(UNIT, Recovered, Closed, ""), Err("err.forbidden"));
        assert_eq!(may_transition(TEAM, Recovered, Closed, ""), Ok(()));
        assert_eq!(may_transition(TEAM, Reported, Responding, ""), Err("incident.err_transition"));
        assert_eq!(may_transition(TEAM, Closed, Reported, ""), Err("incident.err_transition"));
        assert_eq!(may_transition(TEAM, Reported, Closed, ""), Err("incident.err_close_reason"));
        assert_eq!(may_transition(TEAM, Reported, Closed, "Trùng báo cáo SC-2026-000001"), Ok(()));
        let viewer = Actor { role: Role::Viewer, relation: Relation::Team };
        assert_eq!(may_transition(viewer, Reported, Verified, ""), Err("err.forbidden"));
        let shared = Actor { role: Role::UnitManager, relation: Relation::Shared };
        assert_eq!(may_transition(shared, Verified, Responding, ""), Err("err.forbidden"));
        assert!(may_comment(shared).is_ok() && may_work(shared).is_err());
        assert_eq!(next_statuses(UNIT, Contained), vec![Responding, Recovered]);
        assert_eq!(next_statuses(TEAM, Reported), vec![Verified, Closed]);
        assert!(next_statuses(TEAM, Closed).is_empty());
        // Every step the machine knows leaves from a status that is not closed.
        for from in Status::ALL {
            for to in Status::ALL {
                if is_transition(*from, *to) {
                    assert_ne!(*from, Closed);
                    assert_ne!(from, to);
                }
            }
        }
    }

    #[test]
    fn decision05_needs_a_high_level_system_a_harm_and_no_capacity() {
        assert_eq!(serious_under_decision05(Some(4), false, true, true), Severity::Serious);
        assert_eq!(serious_under_decision05(Some(3), false, true, true), Severity::Normal);
        assert_eq!(serious_under_decision05(None, true, true, true), Severity::Serious);
        assert_eq!(serious_under_decision05(Some(5), false, true, false), Severity::Normal);
        assert_eq!(serious_under_decision05(Some(5), false, false, true), Severity::Normal);
    }

    #[test]
    fn observables_are_checked_and_written_one_way() {
        use ObservableKind::*;
        assert_eq!(normalise_observable(Ip, " 203.0.113[.]7 ").as_deref(), Ok("203.0.113.7"));
        assert_eq!(normalise_observable(Ip, "::ffff:198.51.100.1").as_deref(), Ok("198.51.100.1"));
        assert_eq!(normalise_observable(Ip, "2001:DB8::1").as_deref(), Ok("2001:db8::1"));
        assert!(normalise_observable(Ip, "300.1.1.1").is_err());
        assert_eq!(normalise_observable(Domain, "Evil.EXAMPLE.com.").as_deref(), Ok("evil.example.com"));
        assert_eq!(normalise_observable(Domain, "cổngdịchvụ.vn").as_deref(), Ok("cổngdịchvụ.vn"));
        for bad in ["localhost", "a..b", "-a.com", "a b.com", "10.0.0.1"] {
            assert!(normalise_observable(Domain, bad).is_err(), "{bad}");
        }
        assert_eq!(
            normalise_observable(Url, "hxxps://Evil.Example[.]com/Login?a=B").as_deref(),
            Ok("https://evil.example.com/Login?a=B")
        );
        assert!(normalise_observable(Url, "evil.example.com/login").is_err());
        assert!(normalise_observable(Url, "http:// x").is_err());
        let sha = "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855";
        assert_eq!(normalise_observable(Hash, sha).unwrap(), sha.to_lowercase());
        assert_eq!(normalise_observable(Hash, &format!("SHA256={sha}")).unwrap(), sha.to_lowercase());
        assert!(normalise_observable(Hash, "abc123").is_err());
        assert!(normalise_observable(File, "a\u{0}b").is_err());
        assert!(normalise_observable(Account, "   ").is_err());
        assert!(normalise_observable(File, &"x".repeat(5000)).is_err());
    }

    #[test]
    fn a_new_incident_is_checked_whole() {
        let now = datetime!(2026-12-02 03:00 UTC); // 10:00 in Vietnam
        let ok = IncidentInput {
            title: "Trang cổng thông tin bị thay đổi giao diện".into(),
            detected_at: "02/12/2026 09:41".into(),
            reporter_name: "Nguyễn Văn An".into(),
            source: "log_review".into(),
            incident_type: "defacement".into(),
            pd_impact: "basic".into(),
            pd_subjects: "12.000".into(),
            systems: vec!["b".into(), "a".into(), "a".into()],
            ..Default::default()
        };
        let f = ok.validate(now).unwrap();
        assert_eq!(f.detected_at, datetime!(2026-12-02 02:41 UTC));
        assert_eq!(f.regime, "nd331-2026");
        assert_eq!(f.severity, Severity::Normal);
        assert_eq!(f.pd_subjects, Some(12_000));
        assert_eq!(f.systems, ["a", "b"]);
        let browser = IncidentInput { detected_at: "2026-08-18T23:59".into(), ..ok.clone() };
        assert_eq!(browser.validate(now).unwrap().regime, "nd85-2016");
        let future = IncidentInput { detected_at: "02/12/2026 10:01".into(), ..ok.clone() };
        assert_eq!(future.validate(now).unwrap_err().errors[0].key, "incident.err_future");
        let bad = IncidentInput {
            title: " ".into(),
            detected_at: "32/12/2026 09:00".into(),
            source: "psychic".into(),
            pd_impact: "none".into(),
            pd_subjects: "5".into(),
            ..ok
        };
        let keys: Vec<_> = bad.validate(now).unwrap_err().errors.iter().map(|e| (e.field, e.key)).collect();
        assert_eq!(
            keys,
            [
                ("title", "err.required"),
                ("detected_at", "incident.err_datetime"),
                ("source", "err.choice"),
                ("pd_subjects", "incident.err_subjects_without_impact"),
            ]
        );
    }

    #[test]
    fn a_detection_names_its_observables() {
        let m = serde_json::json!({
            "IpAddress": "203.0.113.9",
            "SourceIp": "127.0.0.1",
            "TargetUserName": "quantri",
            "SubjectUserName": "-",
            "Image": "C:\\Users\\Public\\svch0st.exe",
            "Hashes": "MD5=0CC175B9C0F1B6A831C399E269772661,SHA256=CA978112CA1BBDCAFAC231B39A23DC4DA786EFF8147C4E72B9807785AFEE48BB",
            "EventID": 4625
        });
        let got = observables_in_detection(&m);
        assert!(got.contains(&(ObservableKind::Ip, "203.0.113.9".into())));
        assert!(!got.iter().any(|(_, v)| v == "127.0.0.1"));
        assert!(got.contains(&(ObservableKind::Account, "quantri".into())));
        assert!(!got.iter().any(|(_, v)| v == "-"));
        assert!(got.contains(&(ObservableKind::File, "C:\\Users\\Public\\svch0st.exe".into())));
        assert!(got.contains(&(ObservableKind::Hash, "0cc175b9c0f1b6a831c399e269772661".into())));
        assert_eq!(got.len(), 5);
        assert!(observables_in_detection(&serde_json::json!("x")).is_empty());
    }

    #[test]
    fn references_and_the_public_gate() {
        assert_eq!(reference(2026, 123), "SC-2026-000123");
        assert_eq!(parse_reference(" sc-2026-000123 ").as_deref(), Some("SC-2026-000123"));
        assert_eq!(parse_reference("SC-26-1"), None);
        assert_eq!(parse_reference("SC-2026-00012x"), None);
        assert_eq!(public_form_gate("", Some(100), 110), Ok(()));
        assert_eq!(public_form_gate("http://spam", Some(100), 110), Err("report.err_spam"));
        assert_eq!(public_form_gate("", Some(100), 101), Err("report.err_too_fast"));
        assert_eq!(public_form_gate("", None, 101), Err("report.err_stale"));
        assert_eq!(public_form_gate("", Some(100), 100 + PUBLIC_FORM_MAX_SECS + 1), Err("report.err_stale"));
        let now = datetime!(2026-12-02 03:00 UTC);
        let r = PublicReportInput {
            name: "Trần Thị B".into(),
            contact: "0912 345 678".into(),
            affected: "https://dichvucong.example.gov.vn".into(),
            description: "Trang bị chèn quảng cáo cờ bạc".into(),
            ..Default::default()
        };
        assert!(r.validate(now).is_ok());
        let no_way_back = PublicReportInput { contact: "gọi tôi".into(), ..r };
        assert_eq!(no_way_back.validate(now).unwrap_err().errors[0].key, "report.err_contact");
    }
}

// ---------------------------------------------------------------------------------
// A report the incident owed, recorded as sent.

/// What the "report sent" form sends, as typed.
#[derive(Debug, Clone, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default)]
pub struct ReportSentInput {
    /// The report's kind, one of those the incident owes.
    pub kind: String,
    /// `dd/mm/yyyy HH:MM` (Vietnam time); empty: now.
    pub sent_at: String,
    /// The dispatch's number or the message's reference (optional).
    pub reference: String,
    /// To whom it went.
    pub recipient: String,
}

/// A checked [`ReportSentInput`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportSent {
    pub kind: String,
    pub sent_at: OffsetDateTime,
    pub reference: String,
    pub recipient: String,
}

impl ReportSentInput {
    /// Checks the form against the kinds the incident owes (`owed`) and its detection:
    /// a report is sent after the incident was detected and not in the future.
    pub fn validate(&self, now: OffsetDateTime, detected_at: OffsetDateTime, owed: &[&str]) -> Result<ReportSent, Invalid> {
        let mut e = Invalid::default();
        let kind = self.kind.trim();
        if !owed.contains(&kind) {
            e.push("report_kind", "incident.err_report_kind", "");
        }
        let sent_at = if self.sent_at.trim().is_empty() {
            Some(to_minute(now))
        } else {
            past_minute(&mut e, "sent_at", &self.sent_at, now, true)
        };
        if let Some(t) = sent_at
            && t < to_minute(detected_at)
        {
            e.push("sent_at", "incident.err_sent_before_detection", local_minute_text(detected_at));
        }
        let recipient = crate::error::required_text(&mut e, "recipient", &self.recipient, 300);
        let reference = crate::error::optional_text(&mut e, "reference", &self.reference, 200).unwrap_or_default();
        match (sent_at, e.is_empty()) {
            (Some(sent_at), true) => Ok(ReportSent {
                kind: kind.to_string(),
                sent_at,
                reference,
                recipient,
            }),
            _ => Err(e),
        }
    }
}

#[cfg(test)]
mod report_sent_tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn a_sent_report_names_an_owed_kind_a_recipient_and_a_time_after_detection() {
        let now = datetime!(2026-08-14 10:00 +7);
        let detected = datetime!(2026-08-14 08:00 +7);
        let ok = ReportSentInput {
            kind: "notification".into(),
            sent_at: "14/08/2026 09:30".into(),
            reference: "12/BC-STTTT".into(),
            recipient: "Cục An toàn thông tin".into(),
        };
        let sent = ok.validate(now, detected, &["notification"]).unwrap();
        assert_eq!(sent.sent_at, datetime!(2026-08-14 09:30 +7));
        let keys = |i: ReportSentInput| i.validate(now, detected, &["notification"]).unwrap_err().errors.iter().map(|e| (e.field, e.key)).collect::<Vec<_>>();
        assert_eq!(keys(ReportSentInput { kind: "closure_report".into(), ..ok.clone() }), vec![("report_kind", "incident.err_report_kind")]);
        assert_eq!(keys(ReportSentInput { sent_at: "14/08/2026 07:59".into(), ..ok.clone() }), vec![("sent_at", "incident.err_sent_before_detection")]);
        assert_eq!(keys(ReportSentInput { sent_at: "14/08/2026 10:01".into(), ..ok.clone() }), vec![("sent_at", "incident.err_future")]);
        assert_eq!(keys(ReportSentInput { recipient: " ".into(), ..ok.clone() }), vec![("recipient", "err.required")]);
        // Empty: now.
        let at_now = ReportSentInput { sent_at: String::new(), ..ok }.validate(now, detected, &["notification"]).unwrap();
        assert_eq!(at_now.sent_at, now);
    }
}
