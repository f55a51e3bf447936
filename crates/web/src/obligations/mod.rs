//! Periodic obligations of each unit and its systems (issue 12 item 1): the engine of
//! `khien obligations check` over the facts the platform records.
//!
//! Its routes are registered here, its template lives in `templates/obligations/` and
//! its strings in `i18n/<lang>/obligations.txt`.

mod pages;

use crate::auth::Access;
use crate::auth::roles::AnyRole;
use crate::routes::{Routes, Tenancy};

pub(crate) fn page_routes() -> Routes {
    Routes::default().get("/obligations", AnyRole::NAMES, Tenancy::Unit, pages::page)
}
