//! Threat hunts: uploads run as jobs, results, detections, the conclusion.
//!
//! Its routes (pages and API) are registered here, its templates live in
//! `templates/hunts/` and its strings in `i18n/<lang>/hunts.txt`.

mod api;
pub(crate) mod pages;

use crate::auth::Access;
use crate::auth::roles::{AnyRole, HuntRunner};
use crate::routes::{Routes, Tenancy};

pub(crate) fn page_routes() -> Routes {
    let any = AnyRole::NAMES;
    let hunter = HuntRunner::NAMES;
    Routes::default()
        .get("/hunts", any, Tenancy::Unit, pages::list)
        .get("/hunts/new", hunter, Tenancy::Unit, pages::new_form)
        .post("/hunts", hunter, Tenancy::Unit, pages::create)
        .get("/hunts/{id}", any, Tenancy::Unit, pages::detail)
        .post("/hunts/{id}/cancel", hunter, Tenancy::Unit, pages::cancel)
        .post(
            "/hunts/{id}/conclusion",
            hunter,
            Tenancy::Unit,
            pages::conclude,
        )
}

pub(crate) fn api_routes(api: crate::api::Api) -> crate::api::Api {
    api::routes(api)
}

/// The 6-monthly hunt duty in the work queue: operating systems without a hunt that
/// counts (full coverage) in the last 6 months, linked to the filtered inventory.
pub(crate) async fn work(
    state: &crate::AppState,
    auth: &crate::auth::Auth<AnyRole>,
    t: &crate::i18n::T,
    limit: usize,
) -> crate::error::AppResult<Vec<crate::work::WorkGroup>> {
    let filter = khien_store::systems::SystemFilter {
        hunt: "stale".into(),
        status: "operating".into(),
        ..Default::default()
    };
    let note = Some("work.hunt_stale_detail");
    crate::work::systems_work(state, auth, filter, limit, "work.hunt_stale", "/systems?hunt=stale", note, |s| {
        t.label("system_type", s.fields.system_type.as_str())
    })
    .await
}
