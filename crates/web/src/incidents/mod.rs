//! Incident response: intake (the staff form, the public report form, alerts from
//! SOC/SIEM, suspicious hunts), the incident page with its parts, the alert queue.
//!
//! Its routes (pages and API) are registered here, its templates live in
//! `templates/incidents/` and its strings in `i18n/<lang>/incidents.txt`.

mod alerts;
mod api;
pub(crate) mod deadlines;
mod documents;
mod exchange;
pub(crate) mod pages;
mod public;

use crate::AppState;
use crate::auth::roles::{AnyRole, IncidentTeam, IncidentWorker};
use crate::auth::{Access, Auth};
use crate::error::AppResult;
use crate::i18n::T;
use crate::routes::{Routes, Tenancy};
use crate::work::{WorkGroup, WorkItem};

pub(crate) fn page_routes() -> Routes {
    let any = AnyRole::NAMES;
    let worker = IncidentWorker::NAMES;
    let team = IncidentTeam::NAMES;
    Routes::default()
        .get("/incidents", any, Tenancy::Unit, pages::list)
        .get("/incidents/new", worker, Tenancy::Unit, pages::new_form)
        .post("/incidents", worker, Tenancy::Unit, pages::create)
        .get("/incidents/{id}", any, Tenancy::Unit, pages::detail)
        .post("/incidents/{id}/status", worker, Tenancy::Unit, pages::transition)
        .post("/incidents/{id}/observables", worker, Tenancy::Unit, pages::add_observable)
        .post("/incidents/{id}/tasks", worker, Tenancy::Unit, pages::add_task)
        .post("/incidents/{id}/tasks/{task}/state", worker, Tenancy::Unit, pages::task_state)
        .post("/incidents/{id}/timeline", worker, Tenancy::Unit, pages::add_timeline)
        .post("/incidents/{id}/systems", worker, Tenancy::Unit, pages::add_system)
        .post("/incidents/{id}/evidence", worker, Tenancy::Unit, pages::add_evidence)
        .get("/incidents/{id}/evidence/{att}", any, Tenancy::Unit, pages::download_evidence)
        .post("/incidents/{id}/evidence/{att}/custody", worker, Tenancy::Unit, pages::add_custody)
        .post("/incidents/{id}/comments", worker, Tenancy::Unit, pages::add_comment)
        .post("/incidents/{id}/reports", worker, Tenancy::Unit, pages::report_sent)
        .get("/incidents/{id}/document", any, Tenancy::Unit, documents::report_docx)
        .post("/incidents/{id}/shares", team, Tenancy::Unit, pages::share)
        .get("/incidents/{id}/stix", any, Tenancy::Unit, exchange::download_stix)
        .get("/incidents/{id}/misp", any, Tenancy::Unit, exchange::download_misp)
        .post("/incidents/{id}/indicators", worker, Tenancy::Unit, exchange::import_page)
        .post("/incidents/{id}/hunt", worker, Tenancy::Unit, exchange::hunt)
        .get("/alerts", team, Tenancy::Unit, alerts::list)
        .post("/alerts/{id}/promote", team, Tenancy::Unit, alerts::promote)
        .post("/alerts/{id}/merge", team, Tenancy::Unit, alerts::merge)
        .post("/alerts/{id}/ignore", team, Tenancy::Unit, alerts::ignore)
        .get("/report", &[], Tenancy::Public, public::form)
        .post("/report", &[], Tenancy::Public, public::submit)
        .get("/report/status", &[], Tenancy::Public, public::status_form)
        .post("/report/status", &[], Tenancy::Public, public::status)
}

pub(crate) fn api_routes(api: crate::api::Api) -> crate::api::Api {
    api::routes(api)
}

/// Incidents looked at for the work queue at most (newest first; the count says when
/// there were more).
const QUEUE_INCIDENTS: i64 = 500;

/// Reports due within a week or overdue, for the incidents the viewer's side must
/// report: a unit's people those their subtree reported; the provincial team those
/// without a reporting unit (from the public, from alerts). Each item names the
/// report, its deadline to the minute and the time left or past.
pub(crate) async fn work(state: &AppState, auth: &Auth<AnyRole>, t: &T, _limit: usize) -> AppResult<Vec<WorkGroup>> {
    let mut g = WorkGroup::new("work.incident_reports", Some("/incidents".into()));
    g.note = Some("work.incident_reports_note");
    let province_wide = auth.principal.role.is_province_wide();
    let Some(rules) = state.config.clock_rules.as_deref() else {
        return Ok(vec![g]);
    };
    if province_wide && !IncidentTeam::ROLES.contains(&auth.principal.role) {
        return Ok(vec![g]);
    }
    let now = state.store.now();
    let (incidents, next) = auth.scoped(state).incidents_to_report(false, "", QUEUE_INCIDENTS).await?;
    let mut items: Vec<(time::OffsetDateTime, WorkItem)> = Vec::new();
    for x in &incidents {
        for (r, at) in deadlines::pressing_reports(x, rules, &state.config.calendar, now) {
            let left = deadlines::Countdown::at(at, now);
            let i = &x.incident;
            items.push((
                at,
                WorkItem {
                    title: format!("{} {}", i.reference, i.title),
                    href: format!("/incidents/{}#deadlines", i.id),
                    detail: if left.overdue { t.label("report_kind", &r.kind) } else { format!("{} · {}", t.label("report_kind", &r.kind), left.text(t)) },
                    unit: i.unit_name.clone().unwrap_or_else(|| t.s("work.provincial_team").to_string()),
                    due_text: Some(r.due_text().unwrap_or_else(|| t.s("incident.due_immediately").to_string())),
                    late_text: left.overdue.then(|| left.text(t)),
                    days_late: left.days_late(),
                    ..Default::default()
                },
            ));
        }
    }
    items.sort_by_key(|(at, _)| *at);
    for (_, item) in items {
        g.push(item);
    }
    g.total_capped = next.is_some();
    Ok(vec![g])
}
