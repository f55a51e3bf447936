//! "Việc cần làm": the work queue every home page leads with, and `/work` in full.
//!
//! Each capability posts what someone must do through one function listed in
//! [`SOURCES`]; each reads within the viewer's scope and answers groups of items (what,
//! where, until when, who must act). Nothing here decides a rule: the dossier policy,
//! the plan's due dates, the level duty and the hunt cadence stay with their
//! capabilities. Computed on read, so a queue is never stale after a change.

use axum::extract::State;
use axum::response::Html;
use time::Date;

use crate::AppState;
use crate::auth::{Access, Auth};
use crate::auth::roles::AnyRole;
use crate::error::AppResult;
use crate::i18n::T;
use crate::routes::{Routes, Tenancy};
use crate::view::{Chrome, render};

/// One thing someone must do.
#[derive(Default, Clone)]
pub struct WorkItem {
    pub title: String,
    pub href: String,
    /// What to do, or the stage it is in.
    pub detail: String,
    pub unit: String,
    /// Why it came back (a returned dossier's reason), shown as given.
    pub reason: Option<String>,
    pub due: Option<Date>,
    /// Days past `due` (0 when not late).
    pub days_late: i64,
    /// Who must act, when it is not the viewer.
    pub party: Option<String>,
    /// A deadline to the minute, as written ("14/08/2026 10:00"), shown instead of
    /// `due` (incident reports count in hours).
    pub due_text: Option<String>,
    /// How late, as written ("quá hạn 3 giờ 5 phút"), shown instead of the days late.
    pub late_text: Option<String>,
}

impl WorkItem {
    pub fn is_late(&self) -> bool {
        self.days_late > 0 || self.late_text.is_some()
    }
}

/// Items of one kind: a heading (an i18n key), how many in all, the first few, and the
/// list behind them.
pub struct WorkGroup {
    pub key: &'static str,
    pub total: i64,
    /// `total` is a lower bound (the count stopped at the list's cap).
    pub total_capped: bool,
    pub items: Vec<WorkItem>,
    pub list_href: Option<String>,
    /// Said once under the heading (the duty's basis), an i18n key.
    pub note: Option<&'static str>,
}

impl WorkGroup {
    pub fn new(key: &'static str, list_href: Option<String>) -> WorkGroup {
        WorkGroup {
            key,
            total: 0,
            total_capped: false,
            items: vec![],
            list_href,
            note: None,
        }
    }
    pub fn push(&mut self, item: WorkItem) {
        self.total += 1;
        self.items.push(item);
    }
    /// Counts an item and keeps it while fewer than `limit` are kept: for a source that
    /// finds what is behind by reading its records rather than by a counted query.
    pub fn offer(&mut self, item: WorkItem, limit: usize) {
        self.total += 1;
        if self.items.len() < limit {
            self.items.push(item);
        }
    }
    /// The group's element id ("work-dossiers_ready"), for links and tests.
    pub fn dom_id(&self) -> String {
        self.key.replace('.', "-")
    }
    /// Items past their deadline.
    pub fn late(&self) -> usize {
        self.items.iter().filter(|i| i.is_late()).count()
    }
}

/// A group of systems from an inventory query: the first page is the group's items,
/// its count the group's total, the filtered inventory the list behind it.
pub fn systems_group(
    key: &'static str,
    page: khien_store::Page<khien_store::systems::System>,
    list_href: String,
    detail: impl Fn(&khien_store::systems::System) -> String,
) -> WorkGroup {
    WorkGroup {
        key,
        total: page.total,
        total_capped: page.total_capped,
        items: page
            .items
            .iter()
            .map(|s| WorkItem {
                title: s.fields.name.clone(),
                href: format!("/systems/{}", s.id),
                detail: detail(s),
                unit: s.owner_unit_name.clone(),
                reason: None,
                due: None,
                days_late: 0,
                party: None,
                ..Default::default()
            })
            .collect(),
        list_href: Some(list_href),
        note: None,
    }
}

/// A capability's group of systems: the inventory filtered as `filter` asks, its first
/// `limit` systems, each described by `detail`, linked to the same filtered list.
#[allow(clippy::too_many_arguments)]
pub async fn systems_work(
    state: &AppState,
    auth: &Auth<AnyRole>,
    filter: khien_store::systems::SystemFilter,
    limit: usize,
    key: &'static str,
    list_href: &str,
    note: Option<&'static str>,
    detail: impl Fn(&khien_store::systems::System) -> String,
) -> AppResult<Vec<WorkGroup>> {
    let page = auth.scoped(state).systems(&filter, Some(limit as i64)).await?;
    let mut g = systems_group(key, page, list_href.to_string(), detail);
    g.note = note;
    Ok(vec![g])
}

/// How many items of each group the home page shows, and `/work`.
pub const ON_HOME: usize = 5;
pub const ON_LIST: usize = 50;

type Source = for<'a> fn(
    &'a AppState,
    &'a Auth<AnyRole>,
    &'a T,
    usize,
) -> std::pin::Pin<Box<dyn Future<Output = AppResult<Vec<WorkGroup>>> + Send + 'a>>;

/// Every capability that posts work, in the order the queue shows it.
const SOURCES: &[Source] = &[
    |s, a, t, _| Box::pin(crate::dossiers::queue::work(s, a, t)),
    |s, a, t, n| Box::pin(crate::plans::work(s, a, t, n)),
    |s, a, t, n| Box::pin(crate::levels::work(s, a, t, n)),
    |s, a, t, n| Box::pin(crate::hunts::work(s, a, t, n)),
    |s, a, t, n| Box::pin(crate::incidents::work(s, a, t, n)),
    |s, a, t, n| Box::pin(crate::obligations::work(s, a, t, n)),
    |s, a, t, n| Box::pin(crate::findings::work(s, a, t, n)),
    |s, a, t, n| Box::pin(crate::advisories::work(s, a, t, n)),
    |s, a, t, n| Box::pin(crate::response_plans::work(s, a, t, n)),
    |s, a, t, n| Box::pin(crate::budget::work(s, a, t, n)),
    |s, a, t, n| Box::pin(crate::protection::work(s, a, t, n)),
    |s, a, t, n| Box::pin(crate::backups::work(s, a, t, n)),
    |s, a, t, n| Box::pin(crate::vendors::work(s, a, t, n)),
    |s, a, t, n| Box::pin(crate::risks::work(s, a, t, n)),
];

/// The viewer's queue: non-empty groups, each cut to `per_group` items.
pub async fn queue(state: &AppState, auth: &Auth<AnyRole>, t: &T, per_group: usize) -> AppResult<Vec<WorkGroup>> {
    let mut out = Vec::new();
    for source in SOURCES {
        for mut g in source(state, auth, t, per_group).await? {
            if g.total > 0 {
                g.items.truncate(per_group);
                out.push(g);
            }
        }
    }
    Ok(out)
}

#[derive(askama::Template)]
#[template(path = "work/work.html")]
struct WorkPage {
    c: Chrome,
    groups: Vec<WorkGroup>,
}

pub async fn page(
    State(state): State<AppState>,
    auth: Auth<AnyRole>,
    c: Chrome,
) -> AppResult<Html<String>> {
    let groups = queue(&state, &auth, &c.t, ON_LIST).await?;
    render(&WorkPage { c, groups })
}

pub(crate) fn page_routes() -> Routes {
    Routes::default().get("/work", AnyRole::NAMES, Tenancy::Unit, page)
}
