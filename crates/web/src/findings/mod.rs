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

/// Units whose systems have findings past their remediation deadline (open, or an
/// accepted risk whose term ended), worst first: one item per unit with its counts by
/// severity, linking the unit's overdue list. The deadlines are the remediation
/// policy's (`data/findings/remediation.toml`); this only reads them.
pub(crate) async fn work(
    state: &crate::AppState,
    auth: &crate::auth::Auth<AnyRole>,
    t: &crate::i18n::T,
    limit: usize,
) -> crate::error::AppResult<Vec<crate::work::WorkGroup>> {
    let mut g = crate::work::WorkGroup::new("work.findings_overdue", Some("/findings/overdue".into()));
    g.note = Some("work.findings_overdue_note");
    let units = auth.scoped(state).overdue_by_unit().await?;
    let total = units.len();
    for u in units.into_iter().take(limit) {
        let mut parts = Vec::new();
        for (n, key) in [(u.critical, "severity.critical"), (u.high, "severity.high"), (u.medium, "severity.medium"), (u.low, "severity.low")] {
            if n > 0 {
                parts.push(format!("{} {}", crate::view::thousands(n), t.s(key).to_lowercase()));
            }
        }
        g.push(crate::work::WorkItem {
            title: t.f("work.findings_overdue_item", &[&crate::view::thousands(u.total)]),
            href: format!("/findings?unit_id={}&overdue=1", u.unit_id),
            detail: parts.join(", "),
            unit: u.unit_name,
            late_text: Some(t.s("work.findings_overdue_late").to_string()),
            ..Default::default()
        });
    }
    g.total = i64::try_from(total).unwrap_or(i64::MAX);
    g.total_capped = false;
    Ok(vec![g])
}
