//! Documents: the dossier overview (DOCX), the Form 08 annual report (XLSX, DOCX) and
//! the periodic reports made from live data (`periodic`: DOCX, PDF, XLSX). Every DOCX
//! also comes as PDF with `?format=pdf` (`support::pdf`).
//!
//! Its routes (pages) are registered here, its templates live in
//! `templates/reports/` and its strings in `i18n/<lang>/reports.txt`.

pub(crate) mod pages;
pub(crate) mod periodic;

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
        .get("/reports", any, Tenancy::Unit, periodic::page)
        .get("/reports/periodic.docx", any, Tenancy::Unit, periodic::docx)
        .get("/reports/periodic.xlsx", any, Tenancy::Unit, periodic::xlsx)
}
