//! Level dossiers: parts and attachments, the regulation, the steps the policy offers.
//!
//! Its routes (pages and API) are registered here, its templates live in
//! `templates/dossiers/` and its strings in `i18n/<lang>/dossiers.txt`.

mod api;
pub(crate) mod pages;
pub(crate) mod queue;

use crate::auth::Access;
use crate::auth::roles::{AnyRole, SystemEditor};
use crate::routes::{Routes, Tenancy};

pub(crate) fn page_routes() -> Routes {
    let any = AnyRole::NAMES;
    let sys = SystemEditor::NAMES;
    Routes::default()
        .get("/dossiers", any, Tenancy::Unit, queue::waiting)
        .get("/dossiers/{id}", any, Tenancy::Unit, pages::page)
        .post("/dossiers/{id}/files", any, Tenancy::Unit, pages::attach)
        .get(
            "/dossiers/{id}/files/{att}",
            any,
            Tenancy::Unit,
            pages::download,
        )
        .post(
            "/dossiers/{id}/files/{att}/delete",
            any,
            Tenancy::Unit,
            pages::remove_file,
        )
        .post(
            "/dossiers/{id}/regulation",
            sys,
            Tenancy::Unit,
            pages::regulation,
        )
        .post(
            "/dossiers/{id}/{action}",
            any,
            Tenancy::Unit,
            pages::transition,
        )
}

pub(crate) fn api_routes(api: crate::api::Api) -> crate::api::Api {
    api::routes(api)
}
