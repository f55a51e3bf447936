//! Documents: the dossier overview (DOCX) and the Form 08 annual report (XLSX, DOCX).
//!
//! Its routes (pages) are registered here, its templates live in
//! `templates/reports/` and its strings in `i18n/<lang>/reports.txt`.

pub(crate) mod pages;

use crate::auth::Access;
use crate::auth::roles::AnyRole;
use crate::routes::{Routes, Tenancy};

pub(crate) fn page_routes() -> Routes {
    let any = AnyRole::NAMES;
    Routes::default()
        .get(
            "/dossiers/{id}/overview.docx",
            any,
            Tenancy::Unit,
            pages::dossier_overview,
        )
        .get(
            "/reports/annual.xlsx",
            any,
            Tenancy::Unit,
            pages::annual_xlsx,
        )
        .get(
            "/reports/annual.docx",
            any,
            Tenancy::Unit,
            pages::annual_docx,
        )
}
