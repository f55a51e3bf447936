//! The reminder sweep (job `reminder_sweep`, one a Vietnam day): what is due in 7
//! days, in 1 day or overdue — the obligations of every unit and the reports of every
//! incident still to send — becomes a reminder for each person responsible, with its
//! e-mail in the outbox; the department's administrators get a weekly digest.
//!
//! Who is responsible: for a unit's obligations (and its systems'), the unit's
//! managers and IT staff; for an incident's reports, the reporting unit's managers and
//! IT staff, or the provincial response team for incidents no unit reported.
//!
//! Every reminder has a unique key (person, subject, kind, occurrence, stage), so the
//! sweep can run any number of times, on any number of workers, and create each
//! reminder once. The occurrence is the deadline itself: a periodic duty's next due
//! date, or an incident deadline moved by a corrected fact, is reminded afresh. The
//! clock is the store's (`now` injected); nothing here reads the wall clock.

use std::collections::HashMap;
use std::sync::Arc;

use khien_domain::time_fmt::{format_date, iso_date, vn_date};
use khien_store::Store;
use khien_store::reminders::{MailIn, NewReminder, Person};
use serde::Serialize;
use time::OffsetDateTime;

use crate::i18n::{Lang, T};
use crate::incidents::deadlines::{Countdown, pressing_reports};
use crate::obligations::due::Urgency;
use crate::obligations::{DutyContext, line_title};

/// What the sweep counts with: the same rules and calendar as the pages.
#[derive(Clone)]
pub struct SweepConfig {
    pub calendar: Arc<khien_levels::Calendar>,
    pub clock_rules: Arc<khien_duties::ClockRules>,
    pub obligation_rules: Arc<khien_duties::Rules>,
    pub province: String,
    pub compliance_weights: Arc<khien_duties::compliance::Weights>,
    /// The address people open Khiên at (`https://khien.example.gov.vn`), put before
    /// the links in e-mails; none: the e-mails give the page's path.
    pub base_url: Option<String>,
}

impl std::fmt::Debug for SweepConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SweepConfig").field("province", &self.province).field("base_url", &self.base_url).finish_non_exhaustive()
    }
}

impl SweepConfig {
    /// The web server's configuration (`None` if its rules failed to load).
    pub fn from_web(c: &crate::WebConfig) -> Option<SweepConfig> {
        Some(SweepConfig {
            calendar: c.calendar.clone(),
            clock_rules: c.clock_rules.clone()?,
            obligation_rules: c.obligation_rules.clone()?,
            province: c.obligations_province.clone(),
            compliance_weights: c.compliance_weights.clone(),
            base_url: None,
        })
    }
}

/// What one sweep did.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct SweepReport {
    pub units: usize,
    pub incidents: usize,
    pub obligations_due: usize,
    pub obligations_overdue: usize,
    pub reports_due: usize,
    pub reports_overdue: usize,
    /// Reminders created by this sweep (those of an earlier sweep are not counted).
    pub reminders_created: usize,
    /// Units whose compliance score was written into the current quarter.
    pub scores_recorded: usize,
}

/// Units read per page, incidents per page.
const UNITS_PAGE: i64 = 200;
const INCIDENTS_PAGE: i64 = 500;

/// Who acts on a unit's duties.
const UNIT_ROLES: &[&str] = &["unit_manager", "unit_staff"];
/// Who reports incidents no unit reported.
const TEAM_ROLES: &[&str] = &["responder"];
/// Who gets the weekly digest.
const DIGEST_ROLES: &[&str] = &["province_admin"];

/// A reminder someone asked for by hand (the department reminding the units that have
/// not answered an advisory): one per person of `UNIT_ROLES` in each unit, with its
/// e-mail queued; `occurrence` keeps it to one per subject and day. Returns how many
/// were new.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn remind_units(
    store: &Store,
    base_url: Option<&str>,
    units: &[(String, String)],
    subject: &str,
    occurrence: &str,
    title: &str,
    body: &str,
    href: &str,
    due: &str,
) -> Result<usize, khien_store::StoreError> {
    let compose = Composer { t: T { lang: Lang::Vi }, base_url };
    let ids: Vec<String> = units.iter().map(|u| u.0.clone()).collect();
    if ids.is_empty() {
        return Ok(0);
    }
    let mut batch = Vec::new();
    for p in store.people_to_remind(&ids, UNIT_ROLES).await? {
        let unit = units.iter().find(|u| u.0 == p.unit_id).cloned();
        batch.push(compose.reminder(&p, "advisory", subject.to_string(), occurrence.to_string(), "remind", unit, title.to_string(), body.to_string(), href.to_string(), due.to_string()));
    }
    store.add_reminders(&batch).await
}

/// The stage of a deadline `days_left` days ahead (negative: past), if it is one
/// people are reminded at.
fn stage(days_left: i64, overdue: bool) -> Option<&'static str> {
    if overdue {
        Some("overdue")
    } else if days_left <= 1 {
        Some("1d")
    } else if days_left <= 7 {
        Some("7d")
    } else {
        None
    }
}

struct Composer<'a> {
    t: T,
    base_url: Option<&'a str>,
}

impl Composer<'_> {
    #[allow(clippy::too_many_arguments)]
    fn reminder(&self, p: &Person, kind: &str, subject: String, occurrence: String, stage: &str, unit: Option<(String, String)>, title: String, body: String, href: String, due: String) -> NewReminder {
        let link = match self.base_url {
            Some(b) => format!("{}{href}", b.trim_end_matches('/')),
            None => href.clone(),
        };
        let mail = p.email.as_ref().map(|to| MailIn {
            to: to.clone(),
            subject: format!("[Khiên] {} — {}", self.t.label("reminder_stage", stage), title),
            body: format!("{title}\n\n{body}\n\n{link}\n\n-- \n{}\n", self.t.s("reminder.mail_footer")),
        });
        NewReminder {
            user_id: p.user_id.clone(),
            kind: kind.to_string(),
            subject,
            occurrence,
            stage: stage.to_string(),
            unit,
            title,
            body,
            href,
            due,
            mail,
        }
    }
}

/// Runs one sweep at the store's `now`.
pub async fn sweep(store: &Store, cfg: &SweepConfig) -> Result<SweepReport, khien_store::StoreError> {
    let now = store.now();
    let today = vn_date(now);
    let compose = Composer { t: T { lang: Lang::Vi }, base_url: cfg.base_url.as_deref() };
    let t = &compose.t;
    let mut report = SweepReport::default();
    let sys = store.as_system();

    // The obligations of every unit, a page of units at a time.
    if let Ok(ctx) = DutyContext::new(Some(cfg.obligation_rules.as_ref()), &cfg.province, today) {
        let mut after = String::new();
        let mut scores = Vec::new();
        loop {
            let (units, next) = sys.duty_facts_page(&after, UNITS_PAGE).await?;
            report.units += units.len();
            for u in &units {
                if let Some((s, lines)) = ctx.score(u, &cfg.compliance_weights) {
                    let overdue: Vec<_> = lines.iter().filter(|l| l.urgency() == Some(Urgency::Overdue)).collect();
                    let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
                    scores.push(khien_store::compliance::QuarterScore {
                        unit_id: u.unit_id.clone(),
                        score_permille: s.permille,
                        met_weight: s.met,
                        counted_weight: s.counted,
                        not_counted: count(s.lines_not_counted),
                        overdue_obligations: count(overdue.len()),
                        overdue_reports: count(overdue.iter().filter(|l| l.is_report()).count()),
                    });
                }
            }
            let ids: Vec<String> = units.iter().map(|u| u.unit_id.clone()).collect();
            let mut people: HashMap<String, Vec<Person>> = HashMap::new();
            if !ids.is_empty() {
                for p in store.people_to_remind(&ids, UNIT_ROLES).await? {
                    people.entry(p.unit_id.clone()).or_default().push(p);
                }
            }
            let mut batch = Vec::new();
            for u in &units {
                for (l, urgency) in ctx.pressing(u) {
                    let overdue = urgency == Urgency::Overdue;
                    if overdue {
                        report.obligations_overdue += 1;
                    } else if (l.due - today).whole_days() <= 7 {
                        report.obligations_due += 1;
                    }
                    let Some(stage) = stage((l.due - today).whole_days(), overdue) else {
                        continue;
                    };
                    let title = line_title(t, &l);
                    let body = t.f("reminder.obligation_body", &[&t.label("obligation_status", l.status), &format_date(l.due), &l.basis]);
                    for p in people.get(&u.unit_id).into_iter().flatten() {
                        batch.push(compose.reminder(
                            p,
                            "obligation",
                            l.subject_key(&u.unit_id),
                            // A duty never done is due "today" every day: one
                            // reminder, not one a day.
                            if l.status == "never" { "never".to_string() } else { iso_date(l.due) },
                            stage,
                            Some((u.unit_id.clone(), u.path.clone())),
                            title.clone(),
                            body.clone(),
                            format!("/obligations#unit-{}", u.unit_id),
                            iso_date(l.due),
                        ));
                    }
                }
            }
            report.reminders_created += store.add_reminders(&batch).await?;
            match next {
                Some(n) => after = n,
                None => break,
            }
        }
        // Today's scores stand for the quarter until the next sweep: the quarter's last
        // sweep leaves its final score for the ranking's trend.
        report.scores_recorded = store.record_compliance_scores(&crate::ranking::quarter_of(today), today, &scores).await?;
    }

    // The reports of every incident still to send.
    let team = store.people_to_remind(&[], TEAM_ROLES).await?;
    let mut after = String::new();
    loop {
        let (incidents, next) = sys.incidents_to_report(true, &after, INCIDENTS_PAGE).await?;
        report.incidents += incidents.len();
        let ids: Vec<String> = incidents.iter().filter_map(|x| x.incident.unit_id.clone()).collect();
        let mut people: HashMap<String, Vec<Person>> = HashMap::new();
        if !ids.is_empty() {
            for p in store.people_to_remind(&ids, UNIT_ROLES).await? {
                people.entry(p.unit_id.clone()).or_default().push(p);
            }
        }
        let mut batch = Vec::new();
        for x in &incidents {
            let i = &x.incident;
            for (r, at) in pressing_reports(x, &cfg.clock_rules, &cfg.calendar, now) {
                let left = Countdown::at(at, now);
                if left.overdue {
                    report.reports_overdue += 1;
                } else {
                    report.reports_due += 1;
                }
                let Some(stage) = stage(left.days + i64::from(left.hours > 0 || left.minutes > 0), left.overdue) else {
                    continue;
                };
                let kind = t.label("report_kind", &r.kind);
                let due_text = r.due_text().unwrap_or_else(|| t.s("incident.due_immediately").to_string());
                let title = format!("{kind} — {} {}", i.reference, i.title);
                let body = t.f("reminder.incident_body", &[&kind, &i.reference, &due_text, &left.text(t)]);
                let unit = i.unit_id.clone().zip(i.unit_path.clone());
                let to = match &i.unit_id {
                    Some(u) => people.get(u).map(Vec::as_slice).unwrap_or_default(),
                    None => team.as_slice(),
                };
                for p in to {
                    batch.push(compose.reminder(
                        p,
                        "incident_report",
                        format!("incident:{}:{}", i.id, r.kind),
                        khien_domain::time_fmt::to_rfc3339(at),
                        stage,
                        unit.clone(),
                        title.clone(),
                        body.clone(),
                        format!("/incidents/{}#deadlines", i.id),
                        khien_domain::time_fmt::to_rfc3339(at),
                    ));
                }
            }
        }
        report.reminders_created += store.add_reminders(&batch).await?;
        match next {
            Some(n) => after = n,
            None => break,
        }
    }

    // The department's weekly digest, once per ISO week (the week's first sweep).
    let (year, week, _) = today.to_iso_week_date();
    let week_key = format!("{year}-W{week:02}");
    let counts = [report.obligations_overdue, report.obligations_due, report.reports_overdue, report.reports_due].map(|n| n.to_string());
    let title = t.f("reminder.digest_title", &[&week_key]);
    let body = t.f("reminder.digest_body", &[&counts[0], &counts[1], &counts[2], &counts[3], &format_date(today)]);
    let digest: Vec<NewReminder> = store
        .people_to_remind(&[], DIGEST_ROLES)
        .await?
        .iter()
        .map(|p| compose.reminder(p, "digest", "province".into(), week_key.clone(), "weekly", None, title.clone(), body.clone(), "/work".into(), String::new()))
        .collect();
    report.reminders_created += store.add_reminders(&digest).await?;
    Ok(report)
}

/// The key that makes the sweep one a Vietnam day (see `Store::schedule_once`).
pub fn sweep_key(now: OffsetDateTime) -> String {
    format!("{}:{}", khien_store::reminders::SWEEP_JOB_KIND, iso_date(vn_date(now)))
}
