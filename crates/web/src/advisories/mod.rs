//! Advisories from the authorities (issue 10 item 5): the department enters one (or
//! reads it from a CVE JSON 5 record), Khiên finds every system whose components it
//! names, each affected unit answers for its systems, the department sees who has
//! answered and reminds those who have not.
//!
//! Its routes are registered here, its templates live in `templates/advisories/` and its
//! strings in `i18n/<lang>/advisories.txt`. The matching rule is
//! `khien_domain::advisories`; storage `khien_store::advisories`.

mod pages;

use crate::AppState;
use crate::auth::roles::{AnyRole, ProvinceAdmin, SystemEditor};
use crate::auth::{Access, Auth};
use crate::error::AppResult;
use crate::i18n::T;
use crate::routes::{Routes, Tenancy};
use crate::work::{WorkGroup, WorkItem};

pub(crate) fn page_routes() -> Routes {
    let admin = ProvinceAdmin::NAMES;
    Routes::default()
        .get("/advisories", AnyRole::NAMES, Tenancy::Unit, pages::list)
        .get("/advisories/new", admin, Tenancy::Unit, pages::new_form)
        .post("/advisories", admin, Tenancy::Unit, pages::create)
        .post("/advisories/from-cve", admin, Tenancy::Unit, pages::from_cve)
        .get("/advisories/{id}", AnyRole::NAMES, Tenancy::Unit, pages::detail)
        .post("/advisories/{id}/remind", admin, Tenancy::Unit, pages::remind)
        .post("/advisory-matches/{id}/answer", SystemEditor::NAMES, Tenancy::Unit, pages::answer)
}

/// Answers the viewer's units owe, nearest deadline first.
pub(crate) async fn work(state: &AppState, auth: &Auth<AnyRole>, t: &T, limit: usize) -> AppResult<Vec<WorkGroup>> {
    let mut g = WorkGroup::new("work.advisories", Some("/advisories".into()));
    g.note = Some("work.advisories_note");
    let (items, total) = auth.scoped(state).pending_advisories(i64::try_from(limit).unwrap_or(50)).await?;
    let today = state.store.today_vn();
    for p in items {
        let due = khien_domain::time_fmt::parse_iso_date(&p.deadline);
        g.push(WorkItem {
            title: format!("{} — {}", p.number, p.title),
            href: format!("/advisories/{}#answers", p.advisory_id),
            detail: format!("{} · {}", p.system_name, t.label("severity", &p.severity)),
            unit: p.unit_name,
            due,
            days_late: due.map_or(0, |d| (today - d).whole_days().max(0)),
            ..Default::default()
        });
    }
    g.total = total;
    Ok(vec![g])
}
