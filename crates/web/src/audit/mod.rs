//! The audit trail in the caller's scope.
//!
//! Its routes (pages and API) are registered here, its templates live in
//! `templates/audit/` and its strings in `i18n/<lang>/audit.txt`.

mod api;
pub(crate) mod pages;

use crate::auth::Access;
use crate::auth::roles::{AnyRole, ProvinceAdmin};
use crate::routes::{Routes, Tenancy};

pub(crate) fn page_routes() -> Routes {
    let any = AnyRole::NAMES;
    Routes::default()
        .get("/audit", any, Tenancy::Unit, pages::page)
        .get("/audit/export.csv", any, Tenancy::Unit, pages::export)
        .post("/audit/verify", ProvinceAdmin::NAMES, Tenancy::Unit, pages::verify)
}

pub(crate) fn api_routes(api: crate::api::Api) -> crate::api::Api {
    api::routes(api)
}
