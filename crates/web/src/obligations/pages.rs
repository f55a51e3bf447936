//! `/obligations`: for each unit in scope (a unit sees its own subtree, the department
//! every unit, a page at a time), each obligation with its due date and status.
//!
//! The platform records hunts, levels and dossiers, not yet scans, drills, assessments
//! or report submissions. An obligation whose rule reads a fact the platform does not
//! record is shown as "no data": its computed status would be a guess ("never done")
//! dressed up as an answer. A fixed report date is still shown, since it does not
//! depend on any fact.

use std::collections::HashSet;

use axum::extract::{Query, State};
use axum::response::Html;
use khien_duties::rules::Fact;
use khien_duties::{DutyError, ObligationStatus, Status, Subject, SystemFacts, SystemId, SystemStatus, UnitFacts};
use khien_store::duty_facts::UnitDutyFacts;

use crate::AppState;
use crate::auth::Auth;
use crate::auth::roles::AnyRole;
use crate::error::AppResult;
use crate::view::{Chrome, render};

/// Units per page.
const UNITS_PER_PAGE: i64 = 20;

/// The facts this page feeds the engine; every other fact is unknown here.
const RECORDED: &[Fact] = &[Fact::LastHunt];

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

fn status_key(o: &ObligationStatus) -> &'static str {
    match o.status {
        Status::Done => "done",
        _ if o.never_done => "never",
        Status::Overdue => "overdue",
        Status::DueSoon => "due_soon",
        Status::Ok => "ok",
    }
}

fn system_status(stored: &str) -> SystemStatus {
    match stored {
        "operating" => SystemStatus::Operating,
        "retired" => SystemStatus::Retired,
        "building" => SystemStatus::Building,
        _ => SystemStatus::Planned,
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
    let systems: Vec<SystemFacts> = u
        .systems
        .iter()
        .map(|s| SystemFacts {
            id: SystemId::Text(s.system_id.clone()),
            level: s.level(),
            status: system_status(&s.status),
            last_scan: None,
            last_hunt: s.last_hunt,
            last_drill: None,
            last_assessment: None,
            last_critical_fix: None,
        })
        .collect();
    // Obligations whose every fact is recorded here.
    let known: HashSet<String> = rules
        .effective(province)
        .unwrap_or_default()
        .into_iter()
        .filter(|r| r.facts().iter().all(|f| RECORDED.contains(f)))
        .map(|r| r.id.clone())
        .collect();
    let computed = khien_duties::obligations_for(&UnitFacts::default(), &systems, today, 30, province, regime, rules);
    let (lines, error) = match computed {
        Ok(list) => (
            list.iter()
                .map(|o| {
                    let recorded = known.contains(&o.obligation);
                    let system_id = match &o.subject {
                        Subject::System(SystemId::Text(id)) => Some(id.clone()),
                        _ => None,
                    };
                    Line {
                        obligation: o.obligation.clone(),
                        system: system_id.as_ref().and_then(|id| u.systems.iter().find(|s| &s.system_id == id)).map(|s| s.name.clone()),
                        system_id,
                        due: (recorded || o.period.is_some()).then(|| khien_domain::time_fmt::format_date(o.due)),
                        status: if recorded { status_key(o) } else { "no_data" },
                        basis: o.basis.clone(),
                    }
                })
                .collect(),
            None,
        ),
        Err(DutyError::Calendar(khien_levels::LevelError::YearNotConfigured(y))) => {
            (Vec::new(), Some(c.t.f("obligations.year_missing", &[&y.to_string()])))
        }
        Err(e) => (Vec::new(), Some(e.to_string())),
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
    let today = state.store.now().to_offset(khien_domain::time_fmt::VIETNAM).date();
    let rules = state
        .config
        .obligation_rules
        .clone()
        .ok_or_else(|| crate::error::AppError::Internal("obligation rules did not load".into()))?;
    let province = state.config.obligations_province.as_str();
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
        .map(|u| block(u, &c, today, province, &regime.id, &rules))
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
