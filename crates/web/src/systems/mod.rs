//! The inventory of information systems, with Excel template, import and export.
//!
//! Its routes (pages and API) are registered here, its templates live in
//! `templates/systems/` and its strings in `i18n/<lang>/systems.txt`.

mod api;
pub(crate) mod pages;
pub(crate) mod xlsx;

use crate::auth::Access;
use crate::auth::roles::{AnyRole, SystemEditor};
use crate::routes::{Routes, Tenancy};

pub(crate) fn page_routes() -> Routes {
    let any = AnyRole::NAMES;
    let sys = SystemEditor::NAMES;
    Routes::default()
        .get("/systems", any, Tenancy::Unit, pages::list)
        .get("/systems/new", sys, Tenancy::Unit, pages::new_form)
        .post("/systems", sys, Tenancy::Unit, pages::create)
        .get(
            "/systems/export.xlsx",
            any,
            Tenancy::Unit,
            xlsx::export,
        )
        .get(
            "/systems/template.xlsx",
            any,
            Tenancy::Unit,
            xlsx::template,
        )
        .get(
            "/systems/import",
            sys,
            Tenancy::Unit,
            xlsx::import_form,
        )
        .post("/systems/import", sys, Tenancy::Unit, xlsx::import)
        .get("/systems/{id}", any, Tenancy::Unit, pages::detail)
        .get("/systems/{id}/edit", sys, Tenancy::Unit, pages::edit_form)
        .post("/systems/{id}", sys, Tenancy::Unit, pages::update)
}

pub(crate) fn api_routes(api: crate::api::Api) -> crate::api::Api {
    api::routes(api)
}
