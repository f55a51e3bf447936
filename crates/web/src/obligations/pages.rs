//! `/obligations`: for each unit in scope (a unit sees its own subtree, the department
//! every unit, a page at a time), each obligation with its due date and status.
//!
//! The platform records hunts, scan imports, serious fixes, assessments, drills, report
//! submissions, levels and dossiers. An obligation whose rule reads a fact the platform does not
//! record is shown as "no data": its computed status would be a guess ("never done")
//! dressed up as an answer. A fixed report date is still shown, since it does not
//! depend on any fact.

use axum::extract::{Query, State};
use axum::response::Html;
use khien_duties::DutyError;
use khien_store::duty_facts::UnitDutyFacts;

use super::due::unit_obligations;
use crate::AppState;
use crate::auth::Auth;
use crate::auth::roles::AnyRole;
use crate::error::AppResult;
use crate::view::{Chrome, render};

/// Units per page.
const UNITS_PER_PAGE: i64 = 20;

#[derive(serde::Deserialize, Default)]
pub struct Params {
    #[serde(default)]
    after: String,
    #[serde(default)]
    page: Option<i64>,
}

pub struct Line {
    /// The obligation's id (its label is `obligation.<id>`).
    pub obligation: String,
    /// The system's name, or none for the unit itself.
    pub system: Option<String>,
    pub system_id: Option<String>,
    /// `dd/mm/yyyy`, or none when it depends on facts not recorded.
    pub due: Option<String>,
    /// `ok`, `due_soon`, `overdue`, `done`, `never`, or `no_data`.
    pub status: &'static str,
    pub basis: String,
}

pub struct UnitBlock {
    pub unit_id: String,
    pub name: String,
    pub lines: Vec<Line>,
    /// Why the unit's obligations could not be computed (a year missing from the
    /// holiday calendar), shown instead of them.
    pub error: Option<String>,
}

#[derive(askama::Template)]
#[template(path = "obligations/obligations.html")]
struct ObligationsPage {
    c: Chrome,
    intro: String,
    units: Vec<UnitBlock>,
    next: Option<String>,
    first_page: bool,
}

/// Why a unit's obligations could not be computed, as the page says it.
pub(crate) fn duty_error(t: &crate::i18n::T, e: &DutyError) -> String {
    match e {
        DutyError::Calendar(khien_levels::LevelError::YearNotConfigured(y)) => t.f("obligations.year_missing", &[&y.to_string()]),
        e => e.to_string(),
    }
}

fn block(
    u: UnitDutyFacts,
    c: &Chrome,
    today: time::Date,
    province: &str,
    regime: &str,
    rules: &khien_duties::Rules,
) -> UnitBlock {
    let (lines, error) = match unit_obligations(&u, today, province, regime, rules) {
        Ok(list) => (
            list.into_iter()
                .map(|l| Line {
                    due: l.date_known.then(|| khien_domain::time_fmt::format_date(l.due)),
                    obligation: l.obligation,
                    system: l.system,
                    system_id: l.system_id,
                    status: l.status,
                    basis: l.basis,
                })
                .collect(),
            None,
        ),
        Err(e) => (Vec::new(), Some(duty_error(&c.t, &e))),
    };
    UnitBlock {
        unit_id: u.unit_id,
        name: u.name,
        lines,
        error,
    }
}

pub async fn page(
    State(state): State<AppState>,
    auth: Auth<AnyRole>,
    c: Chrome,
    Query(p): Query<Params>,
) -> AppResult<Html<String>> {
    let today = state.store.today_vn();
    let ctx = super::DutyContext::new(state.config.obligation_rules.as_deref(), &state.config.obligations_province, today)?;
    let (rules, province) = (ctx.rules, ctx.province);
    let regime = khien_levels::regime_in_force(today)
        .ok()
        .flatten()
        .ok_or_else(|| crate::error::AppError::Internal("no regime in force".into()))?;
    let (units, next_after) = auth
        .scoped(&state)
        .duty_facts_page(&p.after, UNITS_PER_PAGE)
        .await?;
    let units: Vec<UnitBlock> = units
        .into_iter()
        .map(|u| block(u, &c, today, province, &ctx.regime, rules))
        .collect();
    let page_no = p.page.unwrap_or(1).max(1);
    let intro = c.t.f(
        "obligations.intro",
        &[
            rules.province_name(province).unwrap_or(province),
            regime.short_title(),
            &khien_domain::time_fmt::format_date(today),
        ],
    );
    render(&ObligationsPage {
        intro,
        units,
        next: next_after.map(|a| crate::view::after_href("", page_no + 1, &a)),
        first_page: p.after.is_empty(),
        c,
    })
}
