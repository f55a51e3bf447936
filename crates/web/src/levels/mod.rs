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
