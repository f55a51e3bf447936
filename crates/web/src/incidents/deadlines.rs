//! Where an incident's legal reporting deadlines come from (issue 11, item 3: the
//! clocks of Decision 05/2017 + Circular 20/2017 and of Decree 331/2026, and the
//! personal-data breach notice). The incident page lists what [`report_deadlines`]
//! returns under "Thời hạn báo cáo"; the work queue and the reminder sweep read the
//! same list. The clock engine is `khien_duties`, called with the incident's
//! [`DeadlineFacts`] (the input `khien incident deadlines` reads) and the configured
//! rules and calendar (`incident_clocks_file`, `holidays_file`), as the command does.

use khien_duties::{ClockRules, DueAt, DutyError, IncidentFacts};
use khien_levels::Calendar;
use khien_store::incidents::{DeadlineFacts, Incident, ReportSent};
use time::OffsetDateTime;

use crate::i18n::T;

/// One report the incident owes, as the page shows it.
#[derive(Debug, Clone)]
pub struct ReportDue {
    /// The report's kind (`notification`, `initial_report`, `initial_notice`, …).
    pub kind: String,
    pub due: DueAt,
    /// "Điều … khoản … <văn bản>".
    pub basis: String,
    /// The deadline moved past a holiday the calendar only estimates.
    pub provisional: bool,
    /// The report as recorded sent, if it was.
    pub sent: Option<ReportSent>,
    /// Where the clock stands at `now`; none when sent or without a deadline.
    pub left: Option<Countdown>,
}

impl ReportDue {
    /// The deadline as the page writes it: `dd/mm/yyyy HH:MM` in Vietnam time.
    pub fn due_text(&self) -> Option<String> {
        match self.due {
            DueAt::At(t) => Some(khien_domain::incidents::local_minute_text(t)),
            _ => None,
        }
    }

    /// The instant lateness counts from: the deadline, or detection for a report
    /// owed at once.
    pub fn due_instant(&self, detected_at: OffsetDateTime) -> Option<OffsetDateTime> {
        match self.due {
            DueAt::At(t) => Some(t),
            DueAt::Immediately => Some(detected_at),
            DueAt::Unset => None,
        }
    }

    pub fn immediately(&self) -> bool {
        self.due == DueAt::Immediately
    }

    /// Sent after its deadline: by how much ("trễ 3 giờ 5 phút"), none when on time.
    pub fn sent_late(&self, t: &T) -> Option<String> {
        let (DueAt::At(due), Some(s)) = (self.due, &self.sent) else {
            return None;
        };
        let sent = khien_domain::time_fmt::parse_rfc3339(&s.sent_at)?;
        (sent > due).then(|| Countdown::between(due, sent).late_text(t))
    }
}

/// The time between `now` and a deadline, to the minute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Countdown {
    pub overdue: bool,
    pub days: i64,
    pub hours: i64,
    pub minutes: i64,
}

impl Countdown {
    /// From `due` to `now`: overdue when `now` is past it.
    pub fn at(due: OffsetDateTime, now: OffsetDateTime) -> Countdown {
        let overdue = now > due;
        let mut c = Countdown::between(now.min(due), now.max(due));
        c.overdue = overdue;
        c
    }

    fn between(from: OffsetDateTime, to: OffsetDateTime) -> Countdown {
        let minutes = (to - from).whole_minutes().max(0);
        Countdown {
            overdue: false,
            days: minutes / (24 * 60),
            hours: minutes / 60 % 24,
            minutes: minutes % 60,
        }
    }

    /// Whole days past the deadline, rounded up (0 when not late).
    pub fn days_late(&self) -> i64 {
        if !self.overdue {
            return 0;
        }
        self.days + i64::from(self.hours > 0 || self.minutes > 0)
    }

    /// "còn 5 giờ 12 phút", "còn 2 ngày 3 giờ", "quá hạn 2 ngày", "quá hạn 40 phút".
    pub fn text(&self, t: &T) -> String {
        if self.overdue {
            format!("{} {}", t.s("incident.overdue_by"), self.amount(t, true))
        } else {
            format!("{} {}", t.s("incident.time_left"), self.amount(t, false))
        }
    }

    fn late_text(&self, t: &T) -> String {
        format!("{} {}", t.s("incident.sent_late_by"), self.amount(t, false))
    }

    /// Days only when late by a day or more (the lateness that matters), days and
    /// hours ahead of a deadline, hours and minutes within the last day.
    fn amount(&self, t: &T, overdue: bool) -> String {
        let n = |v: i64| v.to_string();
        if self.days > 0 && overdue {
            t.f("incident.n_days", &[&n(self.days)])
        } else if self.days > 0 {
            t.f("incident.n_days_hours", &[&n(self.days), &n(self.hours)])
        } else if self.hours > 0 {
            t.f("incident.n_hours_minutes", &[&n(self.hours), &n(self.minutes)])
        } else {
            t.f("incident.n_minutes", &[&n(self.minutes)])
        }
    }
}

fn instant(field: &str, v: &str) -> Result<OffsetDateTime, DutyError> {
    khien_domain::time_fmt::parse_rfc3339(v).ok_or_else(|| DutyError::InvalidInput(format!("{field}: {v:?} is not an RFC 3339 instant")))
}

/// The engine's input for the stored facts.
pub fn engine_facts(f: &DeadlineFacts) -> Result<IncidentFacts, DutyError> {
    Ok(IncidentFacts {
        regime: f.regime.clone(),
        detected_at: instant("detected_at", &f.detected_at)?,
        beyond_capacity: f.beyond_capacity,
        serious: f.serious,
        national_security_signs: f.national_security_signs,
        serious_interruption: f.serious_interruption,
        personal_data_breach_confirmed_at: f.personal_data_breach_confirmed_at.as_deref().map(|v| instant("personal_data_breach_confirmed_at", v)).transpose()?,
        response_ended_at: f.response_ended_at.as_deref().map(|v| instant("response_ended_at", v)).transpose()?,
    })
}

/// The deadlines of `incident`'s reports at `now`, each with the record of its
/// sending (from `sent`) and, while unsent, the time left or past.
pub fn report_deadlines(
    incident: &Incident,
    sent: &[ReportSent],
    rules: &ClockRules,
    calendar: &Calendar,
    now: OffsetDateTime,
) -> Result<Vec<ReportDue>, DutyError> {
    let facts = engine_facts(&incident.deadline_facts())?;
    let dues = khien_duties::incident_deadlines_with(&facts, rules, calendar)?;
    Ok(dues
        .into_iter()
        .map(|d| {
            let sent = sent.iter().find(|s| s.kind == d.kind).cloned();
            let left = match (d.due, &sent) {
                (_, Some(_)) | (DueAt::Unset, _) => None,
                (DueAt::At(t), None) => Some(Countdown::at(t, now)),
                (DueAt::Immediately, None) => Some(Countdown::at(facts.detected_at, now)),
            };
            ReportDue {
                kind: d.kind,
                due: d.due,
                basis: d.basis,
                provisional: d.provisional,
                sent,
                left,
            }
        })
        .collect())
}

/// Kinds the incident owes under the configured clocks (what a "sent" record may name).
pub fn owed_kinds(list: &[ReportDue]) -> Vec<&str> {
    list.iter().map(|d| d.kind.as_str()).collect()
}

/// How far ahead an unsent report counts as due soon (the queue; the reminders warn
/// 7 days and 1 day ahead).
pub const DUE_SOON: time::Duration = time::Duration::days(7);

/// The reports of an incident still to send whose deadline is within [`DUE_SOON`] of
/// `now` or past (a report owed at once counts from detection), earliest first, each
/// with the instant it is due. Nothing when its deadlines cannot be computed (the
/// incident page says why).
pub fn pressing_reports(
    x: &khien_store::incidents::IncidentToReport,
    rules: &ClockRules,
    calendar: &Calendar,
    now: OffsetDateTime,
) -> Vec<(ReportDue, OffsetDateTime)> {
    let Some(detected) = khien_domain::time_fmt::parse_rfc3339(&x.incident.detected_at) else {
        return Vec::new();
    };
    let sent: Vec<ReportSent> = x
        .sent
        .iter()
        .map(|kind| ReportSent {
            id: String::new(),
            kind: kind.clone(),
            sent_at: String::new(),
            reference: String::new(),
            recipient: String::new(),
            sent_by: String::new(),
            created_at: String::new(),
        })
        .collect();
    let mut out: Vec<(ReportDue, OffsetDateTime)> = report_deadlines(&x.incident, &sent, rules, calendar, now)
        .unwrap_or_default()
        .into_iter()
        .filter(|r| r.sent.is_none())
        .filter_map(|r| r.due_instant(detected).map(|at| (r, at)))
        .filter(|(_, at)| *at - now <= DUE_SOON)
        .collect();
    out.sort_by_key(|(_, at)| *at);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Lang;
    use time::macros::datetime;

    #[test]
    fn the_countdown_reads_as_people_say_it() {
        let t = T { lang: Lang::Vi };
        let due = datetime!(2026-08-15 10:00 +7);
        assert_eq!(Countdown::at(due, datetime!(2026-08-15 04:48 +7)).text(&t), "còn 5 giờ 12 phút");
        assert_eq!(Countdown::at(due, datetime!(2026-08-13 07:00 +7)).text(&t), "còn 2 ngày 3 giờ");
        let late = Countdown::at(due, datetime!(2026-08-17 11:30 +7));
        assert_eq!(late.text(&t), "quá hạn 2 ngày");
        assert_eq!(late.days_late(), 3);
        assert_eq!(Countdown::at(due, datetime!(2026-08-15 10:40 +7)).text(&t), "quá hạn 40 phút");
        assert_eq!(Countdown::at(due, due).days_late(), 0);
    }
}
