//! The security plan by level: requirement statuses, evidence, the go-live exception.
//!
//! Its routes (pages and API) are registered here, its templates live in
//! `templates/plans/` and its strings in `i18n/<lang>/plans.txt`.

mod api;
pub(crate) mod pages;

use crate::auth::Access;
use crate::auth::roles::{AnyRole, ProvinceAdmin, SystemEditor};
use crate::routes::{Routes, Tenancy};

pub(crate) fn page_routes() -> Routes {
    let admin = ProvinceAdmin::NAMES;
    let any = AnyRole::NAMES;
    let sys = SystemEditor::NAMES;
    Routes::default()
        .get("/systems/{id}/plan", any, Tenancy::Unit, pages::page)
        .post(
            "/systems/{id}/plan/{key}",
            sys,
            Tenancy::Unit,
            pages::set_requirement,
        )
        .post(
            "/systems/{id}/plan/{key}/evidence",
            sys,
            Tenancy::Unit,
            pages::add_evidence,
        )
        .get(
            "/systems/{id}/evidence/{att}",
            any,
            Tenancy::Unit,
            pages::evidence_file,
        )
        .post(
            "/systems/{id}/go-live-exception",
            admin,
            Tenancy::Unit,
            pages::grant_exception,
        )
}

pub(crate) fn api_routes(api: crate::api::Api) -> crate::api::Api {
    api::routes(api)
}
