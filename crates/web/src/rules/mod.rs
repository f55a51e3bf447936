//! The rule library: Sigma rule sets imported by the province administrator (a SigmaHQ
//! release as a zip or a folder, or any rule files), their rules loaded or skipped
//! with reasons, and enabling or disabling them. Every hunt uses the enabled rules.
//!
//! Its routes are registered here, its templates live in `templates/rules/` and its
//! strings in `i18n/<lang>/rules.txt`.

pub(crate) mod pages;
mod release;

use crate::auth::Access;
use crate::auth::roles::{AnyRole, ProvinceAdmin};
use crate::routes::{Routes, Tenancy};

pub(crate) fn page_routes() -> Routes {
    let any = AnyRole::NAMES;
    let admin = ProvinceAdmin::NAMES;
    Routes::default()
        .get("/rules", any, Tenancy::Unit, pages::library)
        .post("/rules/import", admin, Tenancy::Unit, pages::import)
        .get("/rules/{id}", any, Tenancy::Unit, pages::rule)
        .post("/rules/{id}/enabled", admin, Tenancy::Unit, pages::rule_enabled)
        .post("/rules/sets/{id}/enabled", admin, Tenancy::Unit, pages::set_enabled)
}
