//! Open dossiers as work: the "waiting for me" list (`/dossiers`) and the dossiers'
//! part of the work queue on every home page — who must act, the stage's legal
//! deadline and the days late, from the same policy as the dossier page.

use axum::extract::State;
use axum::response::Html;
use khien_domain::dossiers::{DossierStatus, Transition, stage_deadline};
use khien_levels::load_regime;
use time::Date;

use crate::AppState;
use crate::auth::Auth;
use crate::auth::roles::AnyRole;
use crate::error::AppResult;
use crate::i18n::T;
use crate::view::{Chrome, render};
use crate::work::{WorkGroup, WorkItem};

/// One open dossier in scope, as the lists show it.
pub struct WaitingRow {
    pub id: String,
    pub version: i64,
    pub level: u8,
    pub status: DossierStatus,
    pub system_name: String,
    pub owner_unit_name: String,
    pub since: String,
    /// The step the viewer may take now, if nothing blocks it.
    pub step: Option<Transition>,
    /// What blocks the viewer's step (a catalogue key), or that the viewer only
    /// prepares it (staff).
    pub note: Option<&'static str>,
    /// Why it was returned, when it was.
    pub return_reason: Option<String>,
    /// The current stage's legal deadline, when a clock runs and the calendar covers it.
    pub due: Option<Date>,
    /// Days past `due` (0 when not late).
    pub days_late: i64,
    /// Who must act now: the owner unit, the appraiser or the approver, as configured.
    pub party: String,
}

impl WaitingRow {
    /// A row the viewer acts on or prepares.
    pub fn for_viewer(&self) -> bool {
        self.step.is_some() || self.note.is_some()
    }
}

#[derive(askama::Template)]
#[template(path = "dossiers/waiting.html")]
struct WaitingPage {
    c: Chrome,
    rows: Vec<WaitingRow>,
}

/// Most dossiers the lists read; oldest stage first.
const WAITING_LIMIT: i64 = 500;

/// Every open dossier in scope (at most [`WAITING_LIMIT`]), with the viewer's step.
pub(crate) async fn open_rows(state: &AppState, auth: &Auth<AnyRole>, t: &T) -> AppResult<Vec<WaitingRow>> {
    let scoped = auth.scoped(state);
    let open = [
        DossierStatus::Draft,
        DossierStatus::Returned,
        DossierStatus::Submitted,
        DossierStatus::UnderAppraisal,
        DossierStatus::Appraised,
    ];
    let today = state.store.today_vn();
    let names = &state.config.authority_names;
    let mut rows = Vec::new();
    for o in scoped.open_dossiers(&open, WAITING_LIMIT).await? {
        let (facts, actor) = scoped.open_facts(&o)?;
        let actions = facts.actions(actor);
        // The step forward before "return", which is always open to the appraiser.
        let ready = actions
            .iter()
            .filter(|a| a.blocked_by.is_none())
            .min_by_key(|a| a.transition == Transition::Return);
        let (step, note) = match (ready, actions.first()) {
            (Some(a), _) => (Some(a.transition), None),
            (None, Some(a)) => (None, a.blocked_by),
            (None, None)
                if facts.may_set_regulation(actor).is_ok()
                    && matches!(o.dossier.status, DossierStatus::Draft | DossierStatus::Returned) =>
            {
                (None, Some("dossier.manager_submits_short"))
            }
            (None, None) => (None, None),
        };
        let d = &o.dossier;
        let regime = load_regime(&d.regime).ok();
        let due = regime.and_then(|r| {
            let started = khien_domain::time_fmt::parse_iso_date(&d.stage_started)?;
            stage_deadline(r, d.level, d.status, started, &state.config.calendar)
                .ok()
                .flatten()
                .map(|dl| dl.due)
        });
        let authority = regime.and_then(|r| r.authority(d.level));
        let party = match (d.status, authority) {
            (DossierStatus::Submitted | DossierStatus::UnderAppraisal, Some(a)) => {
                crate::levels::pages::party_name(names, t, a.appraiser.as_str())
            }
            (DossierStatus::Appraised, Some(a)) => {
                crate::levels::pages::party_name(names, t, a.approver.as_str())
            }
            _ => o.owner_unit_name.clone(),
        };
        rows.push(WaitingRow {
            id: d.id.clone(),
            version: d.version,
            level: d.level,
            status: d.status,
            system_name: o.system_name,
            owner_unit_name: o.owner_unit_name,
            since: d.stage_started.clone(),
            step,
            note,
            return_reason: (d.status == DossierStatus::Returned)
                .then(|| d.return_reason.clone())
                .flatten()
                .filter(|r| !r.trim().is_empty()),
            due,
            days_late: due.map_or(0, |due| (today - due).whole_days().max(0)),
            party,
        });
    }
    Ok(rows)
}

/// The dossiers waiting for the viewer: a step the policy gives them now, or a draft
/// they prepare for their manager.
pub async fn waiting(
    State(state): State<AppState>,
    auth: Auth<AnyRole>,
    c: Chrome,
) -> AppResult<Html<String>> {
    let mut rows: Vec<WaitingRow> = open_rows(&state, &auth, &c.t)
        .await?
        .into_iter()
        .filter(WaitingRow::for_viewer)
        .collect();
    // Ready steps first, then what is blocked or prepared.
    rows.sort_by_key(|r| r.step.is_none());
    render(&WaitingPage { c, rows })
}

/// The dossiers' part of the work queue: steps the viewer takes now, drafts the viewer
/// prepares, and — for those who follow the province — stages past their deadline,
/// with who must act.
pub(crate) async fn work(state: &AppState, auth: &Auth<AnyRole>, t: &T) -> AppResult<Vec<WorkGroup>> {
    let rows = open_rows(state, auth, t).await?;
    let item = |r: &WaitingRow, what: String| WorkItem {
        title: r.system_name.clone(),
        href: format!("/dossiers/{}", r.id),
        detail: what,
        unit: r.owner_unit_name.clone(),
        reason: r.return_reason.clone(),
        due: r.due,
        days_late: r.days_late,
        party: Some(r.party.clone()),
        ..Default::default()
    };
    let mut ready = WorkGroup::new("work.dossiers_ready", Some("/dossiers".into()));
    let mut prepare = WorkGroup::new("work.dossiers_prepare", Some("/dossiers".into()));
    let mut blocked = WorkGroup::new("work.dossiers_blocked", Some("/dossiers".into()));
    let mut late = WorkGroup::new("work.dossiers_late", Some("/levels".into()));
    for r in &rows {
        let stage = t.label("dossier_status", r.status.as_str());
        if let Some(step) = r.step {
            let what = format!("{} · {}", t.s(&format!("dossier.act_{}", step.as_str())), stage);
            ready.push(item(r, what));
        } else if let Some(note) = r.note {
            let group = if note == "dossier.manager_submits_short" { &mut prepare } else { &mut blocked };
            group.push(item(r, format!("{} · {}", stage, t.s(note))));
        } else if r.days_late > 0 {
            late.push(item(r, stage));
        }
    }
    late.items.sort_by_key(|i| std::cmp::Reverse(i.days_late));
    Ok(vec![ready, prepare, blocked, late])
}
