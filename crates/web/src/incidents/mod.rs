//! Incident response: intake (the staff form, the public report form, alerts from
//! SOC/SIEM, suspicious hunts), the incident page with its parts, the alert queue.
//!
//! Its routes (pages and API) are registered here, its templates live in
//! `templates/incidents/` and its strings in `i18n/<lang>/incidents.txt`.

mod alerts;
mod api;
pub(crate) mod deadlines;
mod exchange;
pub(crate) mod pages;
mod public;

use crate::auth::Access;
use crate::auth::roles::{AnyRole, IncidentTeam, IncidentWorker};
use crate::routes::{Routes, Tenancy};

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
