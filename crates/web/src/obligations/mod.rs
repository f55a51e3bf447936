//! Periodic obligations of each unit and its systems (issue 12 item 1): the engine of
//! `khien obligations check` over the facts the platform records.
//!
//! Its routes are registered here, its template lives in `templates/obligations/` and
//! its strings in `i18n/<lang>/obligations.txt`. What is due soon or overdue goes into
//! the work queue ([`work`]) and the reminders (`crate::notifications`).

pub(crate) mod due;
mod pages;

use khien_store::duty_facts::UnitDutyFacts;

use crate::AppState;
use crate::auth::roles::AnyRole;
use crate::auth::{Access, Auth};
use crate::error::{AppError, AppResult};
use crate::i18n::T;
use crate::routes::{Routes, Tenancy};
use crate::work::{WorkGroup, WorkItem};
use due::{DueLine, Urgency};

pub(crate) fn page_routes() -> Routes {
    Routes::default().get("/obligations", AnyRole::NAMES, Tenancy::Unit, pages::page)
}

/// Units whose obligations the work queue computes at most (one page of the facts).
const QUEUE_UNITS: i64 = 200;

/// What the engine counts with today: the rules, the province, the regime in force.
pub(crate) struct DutyContext<'a> {
    pub rules: &'a khien_duties::Rules,
    pub province: &'a str,
    pub regime: String,
    pub today: time::Date,
}

impl<'a> DutyContext<'a> {
    pub(crate) fn new(rules: Option<&'a khien_duties::Rules>, province: &'a str, today: time::Date) -> AppResult<DutyContext<'a>> {
        let rules = rules.ok_or_else(|| AppError::Internal("obligation rules did not load".into()))?;
        let regime = khien_levels::regime_in_force(today)
            .ok()
            .flatten()
            .ok_or_else(|| AppError::Internal("no regime in force".into()))?;
        Ok(DutyContext { rules, province, regime: regime.id.clone(), today })
    }

    /// The unit's compliance score (none when its obligations cannot be computed: a
    /// year missing from the calendar), with the lines it was made from.
    pub(crate) fn score(&self, u: &UnitDutyFacts, weights: &khien_duties::compliance::Weights) -> Option<(khien_duties::compliance::UnitScore, Vec<DueLine>)> {
        let lines = due::unit_obligations(u, self.today, self.province, &self.regime, self.rules).ok()?;
        let score = khien_duties::compliance::score(lines.iter().map(|l| (l.obligation.clone(), l.system_id.clone(), l.standing())), weights);
        Some((score, lines))
    }

    /// The unit's lines that are due soon or overdue, with their urgency (none when
    /// the unit's obligations cannot be computed: the page says why).
    pub(crate) fn pressing(&self, u: &UnitDutyFacts) -> Vec<(DueLine, Urgency)> {
        due::unit_obligations(u, self.today, self.province, &self.regime, self.rules)
            .unwrap_or_default()
            .into_iter()
            .filter_map(|l| l.urgency().map(|u| (l, u)))
            .collect()
    }
}

/// The title of an obligation line: the obligation, and the system it is of.
pub(crate) fn line_title(t: &T, l: &DueLine) -> String {
    let what = t.label("obligation", &l.obligation);
    match &l.system {
        Some(s) => format!("{what} — {s}"),
        None => what,
    }
}

/// The obligations of the viewer's units (their subtree; the province for the
/// department) that are due soon or overdue, overdue first, linked to `/obligations`.
pub(crate) async fn work(state: &AppState, auth: &Auth<AnyRole>, t: &T, _limit: usize) -> AppResult<Vec<WorkGroup>> {
    let ctx = DutyContext::new(state.config.obligation_rules.as_deref(), &state.config.obligations_province, state.store.today_vn())?;
    let (units, next) = auth.scoped(state).duty_facts_page("", QUEUE_UNITS).await?;
    let mut lines: Vec<(DueLine, Urgency, String, String)> = Vec::new();
    for u in &units {
        for (l, urgency) in ctx.pressing(u) {
            lines.push((l, urgency, u.unit_id.clone(), u.name.clone()));
        }
    }
    lines.sort_by_key(|(l, urgency, _, _)| (*urgency != Urgency::Overdue, l.due));
    let mut g = WorkGroup::new("work.obligations", Some("/obligations".into()));
    g.note = Some("work.obligations_note");
    for (l, urgency, unit_id, unit_name) in lines {
        let days_late = if urgency == Urgency::Overdue { (ctx.today - l.due).whole_days().max(1) } else { 0 };
        g.push(WorkItem {
            title: line_title(t, &l),
            href: format!("/obligations#unit-{unit_id}"),
            detail: t.label("obligation_status", l.status),
            unit: unit_name,
            due: Some(l.due),
            days_late,
            ..Default::default()
        });
    }
    // Units past the first page were not looked at: the count is a lower bound.
    g.total_capped = next.is_some();
    Ok(vec![g])
}
