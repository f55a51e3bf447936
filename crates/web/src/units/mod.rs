//! The unit tree and its contact points.
//!
//! Its routes (pages and API) are registered here, its templates live in
//! `templates/units/` and its strings in `i18n/<lang>/units.txt`.

mod api;
pub(crate) mod pages;

use crate::auth::Access;
use crate::auth::roles::{AnyRole, ProvinceAdmin, UnitEditor};
use crate::routes::{Routes, Tenancy};

pub(crate) fn page_routes() -> Routes {
    let admin = ProvinceAdmin::NAMES;
    let any = AnyRole::NAMES;
    let unit = UnitEditor::NAMES;
    Routes::default()
        .get("/units", any, Tenancy::Unit, pages::tree)
        .get("/units/new", unit, Tenancy::Unit, pages::new_form)
        .post("/units", unit, Tenancy::Unit, pages::create)
        .get("/units/{id}", any, Tenancy::Unit, pages::detail)
        .get("/units/{id}/edit", unit, Tenancy::Unit, pages::edit_form)
        .post("/units/{id}", unit, Tenancy::Unit, pages::update)
        .post("/units/{id}/move", admin, Tenancy::Unit, pages::move_unit)
        .post(
            "/units/{id}/active",
            admin,
            Tenancy::Unit,
            pages::set_active,
        )
}

pub(crate) fn api_routes(api: crate::api::Api) -> crate::api::Api {
    api::routes(api)
}
