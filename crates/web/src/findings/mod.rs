//! Vulnerability management: scanner reports imported into a system (a job), the
//! findings deduplicated across rescans, their deadlines and status decisions, the
//! overdue view and the CSV export.
//!
//! Its routes (pages and API) are registered here, its templates live in
//! `templates/findings/` and its strings in `i18n/<lang>/findings.txt`.

mod api;
pub(crate) mod pages;

use crate::auth::Access;
use crate::auth::roles::{AnyRole, ProvinceAdmin, SystemEditor};
use crate::routes::{Routes, Tenancy};

pub(crate) fn page_routes() -> Routes {
    let any = AnyRole::NAMES;
    let editor = SystemEditor::NAMES;
    Routes::default()
        .get("/systems/{id}/scans", any, Tenancy::Unit, pages::scans)
        .post("/systems/{id}/scans", editor, Tenancy::Unit, pages::upload)
        .get("/scans/{id}", any, Tenancy::Unit, pages::scan)
        .get("/findings", any, Tenancy::Unit, pages::list)
        .get("/findings/overdue", any, Tenancy::Unit, pages::overdue)
        .get("/findings/export.csv", any, Tenancy::Unit, pages::export_csv)
        .get("/findings/{id}", any, Tenancy::Unit, pages::detail)
        .post("/findings/{id}/status", editor, Tenancy::Unit, pages::set_status)
        .get("/kev", any, Tenancy::Unit, pages::kev)
        .post("/kev", ProvinceAdmin::NAMES, Tenancy::Unit, pages::load_kev)
}

pub(crate) fn api_routes(api: crate::api::Api) -> crate::api::Api {
    api::routes(api)
}

/// Whether a POST to `path` carries a scanner report (the large-body limit applies).
pub(crate) fn is_report_upload(path: &str) -> bool {
    path.strip_suffix("/scans")
        .is_some_and(|p| p.starts_with("/systems/") || p.starts_with("/api/v1/systems/"))
}
