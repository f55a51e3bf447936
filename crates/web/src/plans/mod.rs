//! The security plan by level: requirement statuses, evidence, the go-live exception.
//!
//! Its routes (pages and API) are registered here, its templates live in
//! `templates/plans/` and its strings in `i18n/<lang>/plans.txt`.

mod api;
pub(crate) mod pages;
mod sheet;

use crate::auth::Access;
use crate::auth::roles::{AnyRole, ProvinceAdmin, SystemEditor};
use crate::routes::{Routes, Tenancy};

pub(crate) fn page_routes() -> Routes {
    let admin = ProvinceAdmin::NAMES;
    let any = AnyRole::NAMES;
    let sys = SystemEditor::NAMES;
    Routes::default()
        .get("/systems/{id}/plan", any, Tenancy::Unit, pages::page)
        .get("/systems/{id}/plan.xlsx", any, Tenancy::Unit, sheet::export)
        .post("/systems/{id}/plan-import", sys, Tenancy::Unit, sheet::import)
        .post("/systems/{id}/plan-bulk", sys, Tenancy::Unit, pages::bulk)
        .post(
            "/systems/{id}/plan/{key}",
            sys,
            Tenancy::Unit,
            pages::set_requirement,
        )
        .post(
            "/systems/{id}/plan/{key}/evidence",
            sys,
            Tenancy::Unit,
            pages::add_evidence,
        )
        .get(
            "/systems/{id}/evidence/{att}",
            any,
            Tenancy::Unit,
            pages::evidence_file,
        )
        .post(
            "/systems/{id}/go-live-exception",
            admin,
            Tenancy::Unit,
            pages::grant_exception,
        )
}

pub(crate) fn api_routes(api: crate::api::Api) -> crate::api::Api {
    api::routes(api)
}

/// Plan requirements past their due date in the work queue, one item per system.
pub(crate) async fn work(
    state: &crate::AppState,
    auth: &crate::auth::Auth<AnyRole>,
    t: &crate::i18n::T,
    limit: usize,
) -> crate::error::AppResult<Vec<crate::work::WorkGroup>> {
    let today = state.store.today_vn();
    let (total, items) = auth.scoped(state).overdue_plans(today, limit as i64).await?;
    let mut g = crate::work::WorkGroup::new("work.plan_late", None);
    g.total = total;
    g.items = items
        .into_iter()
        .map(|p| {
            let due = khien_domain::time_fmt::parse_iso_date(&p.earliest_due);
            crate::work::WorkItem {
                href: format!("/systems/{}/plan", p.system_id),
                detail: t.f("work.plan_late_detail", &[&p.requirements.to_string()]),
                title: p.system_name,
                unit: p.owner_unit_name,
                reason: None,
                days_late: due.map_or(0, |d| (today - d).whole_days().max(0)),
                due,
                party: None,
                ..Default::default()
            }
        })
        .collect();
    Ok(vec![g])
}
