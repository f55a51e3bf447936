//! Public pages: health, metrics, assets, the language switch and the incident contact directory.
//!
//! Its routes (pages) are registered here, its templates live in
//! `templates/public/` and its strings in `i18n/<lang>/public.txt`.

pub(crate) mod pages;

use crate::routes::{Routes, Tenancy};

pub(crate) fn page_routes() -> Routes {
    Routes::default()
        .get("/healthz", &[], Tenancy::Public, pages::healthz)
        .get("/metrics", &[], Tenancy::Public, pages::metrics)
        .get("/assets/{name}", &[], Tenancy::Public, crate::assets::asset)
        .get("/lang/{code}", &[], Tenancy::Public, pages::switch_lang)
        .get("/contacts", &[], Tenancy::Public, pages::contacts)
}
