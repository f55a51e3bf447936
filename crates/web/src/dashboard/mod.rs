//! The home page and the leader's one page (`/leader`).
//!
//! Its routes (pages) are registered here, its templates live in
//! `templates/dashboard/` and its strings in `i18n/<lang>/dashboard.txt`.

pub(crate) mod glance;
mod leader;
pub(crate) mod pages;

use crate::auth::Access;
use crate::auth::roles::AnyRole;
use crate::routes::{Routes, Tenancy};

pub(crate) fn page_routes() -> Routes {
    let any = AnyRole::NAMES;
    Routes::default()
        .get("/", any, Tenancy::Unit, pages::home)
        .get("/leader", any, Tenancy::Unit, leader::page)
}
