//! Security levels: the wizard on a system, and the province view against target dates.
//!
//! Its routes (pages and API) are registered here, its templates live in
//! `templates/levels/` and its strings in `i18n/<lang>/levels.txt`.

mod api;
pub(crate) mod pages;
pub(crate) mod province;

use crate::auth::Access;
use crate::auth::roles::{AnyRole, ProvinceAdmin, SystemEditor};
use crate::routes::{Routes, Tenancy};

pub(crate) fn page_routes() -> Routes {
    let admin = ProvinceAdmin::NAMES;
    let any = AnyRole::NAMES;
    let sys = SystemEditor::NAMES;
    Routes::default()
        .get("/systems/{id}/level", any, Tenancy::Unit, pages::wizard)
        .post("/systems/{id}/level", sys, Tenancy::Unit, pages::determine)
        .post(
            "/systems/{id}/dossiers",
            sys,
            Tenancy::Unit,
            pages::new_dossier,
        )
        .get("/levels", any, Tenancy::Unit, province::page)
        .get("/levels/export.xlsx", any, Tenancy::Unit, province::export)
        .post(
            "/levels/targets",
            admin,
            Tenancy::Unit,
            province::set_targets,
        )
}

pub(crate) fn api_routes(api: crate::api::Api) -> crate::api::Api {
    api::routes(api)
}

/// The level duty in the work queue: systems in use or being built without an approved
/// level (the department's central question), linked to the filtered inventory.
pub(crate) async fn work(
    state: &crate::AppState,
    auth: &crate::auth::Auth<AnyRole>,
    t: &crate::i18n::T,
    limit: usize,
) -> crate::error::AppResult<Vec<crate::work::WorkGroup>> {
    let filter = khien_store::systems::SystemFilter {
        level: "none".into(),
        ..Default::default()
    };
    crate::work::systems_work(state, auth, filter, limit, "work.no_level", "/systems?level=none", None, |s| {
        t.label("status", s.fields.status.as_str())
    })
    .await
}
