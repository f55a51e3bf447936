//! The home dashboard: the viewer's work (and, for a unit, this month's), the scope at a
//! glance, and systems by unit, type and status drawn as server-side SVG bars.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use khien_store::stats::SystemStats;

use super::glance::{Glance, glance};
use crate::work::WorkItem;

use crate::AppState;
use crate::auth::Auth;
use crate::auth::roles::AnyRole;
use crate::error::AppResult;
use crate::view::{Chrome, render};

/// One bar of a chart: label, value and width in percent of the largest value.
pub struct Bar {
    pub label: String,
    pub value: i64,
    pub pct: i64,
    pub href: String,
}

fn bars(items: impl Iterator<Item = (String, i64, String)>) -> Vec<Bar> {
    let items: Vec<_> = items.collect();
    let max = items.iter().map(|(_, v, _)| *v).max().unwrap_or(1).max(1);
    items
        .into_iter()
        .map(|(label, value, href)| Bar {
            label,
            value,
            pct: value * 100 / max,
            href,
        })
        .collect()
}

#[derive(askama::Template)]
#[template(path = "dashboard/dashboard.html")]
struct Dashboard {
    c: Chrome,
    stats: SystemStats,
    status_kpis: Vec<Bar>,
    charts: Vec<Chart>,
    /// "Việc tháng này": for a unit's people, what falls due by the month's end.
    month: Option<MonthWork>,
    /// What the viewer must do: the page leads with it.
    groups: Vec<crate::work::WorkGroup>,
    glance: Glance,
}

/// What falls due by the end of this month (or is late), soonest first.
pub struct MonthWork {
    /// "12/2026".
    pub label: String,
    pub items: Vec<WorkItem>,
    /// Items found in all; more than `items` when the list was cut.
    pub total: usize,
}

/// Items of each kind read for the month's list (the queue itself shows fewer).
const MONTH_READ: usize = 50;
/// Items the month's list shows.
const MONTH_SHOWN: usize = 12;

/// The items of `groups` due on or before the month's last day, late first, then by date.
fn month_work(groups: &[crate::work::WorkGroup], today: time::Date) -> MonthWork {
    let last = time::Date::from_calendar_date(today.year(), today.month(), today.month().length(today.year())).unwrap_or(today);
    let mut items: Vec<WorkItem> = groups
        .iter()
        .flat_map(|g| g.items.iter())
        .filter(|i| i.is_late() || i.due.is_some_and(|d| d <= last))
        .cloned()
        .collect();
    items.sort_by_key(|i| (!i.is_late(), i.due));
    let total = items.len();
    items.truncate(MONTH_SHOWN);
    MonthWork { label: format!("{:02}/{}", u8::from(today.month()), today.year()), items, total }
}

pub struct Chart {
    pub title: String,
    pub bars: Vec<Bar>,
}

pub async fn home(
    State(state): State<AppState>,
    auth: Auth<AnyRole>,
    c: Chrome,
) -> AppResult<Response> {
    // Leadership reads; its home is the one-page summary.
    if auth.principal.role == khien_domain::Role::Viewer {
        return Ok(super::leader::render_page(&state, &auth, c).await?.into_response());
    }
    let unit_view = auth.principal.scope() != khien_domain::Scope::Province;
    let mut groups = crate::work::queue(&state, &auth, &c.t, if unit_view { MONTH_READ } else { crate::work::ON_HOME }).await?;
    let month = unit_view.then(|| month_work(&groups, state.store.today_vn()));
    for g in &mut groups {
        g.items.truncate(crate::work::ON_HOME);
    }
    let stats = auth.scoped(&state).system_stats().await?;
    let glance = glance(&state, &auth, &c.t, 3).await?;
    let t = c.t;
    let by_type = bars(stats.by_type.iter().map(|(k, n)| {
        (
            t.label("system_type", k),
            *n,
            format!("/systems?system_type={k}"),
        )
    }));
    let by_status = || {
        bars(
            stats
                .by_status
                .iter()
                .map(|(k, n)| (t.label("status", k), *n, format!("/systems?status={k}"))),
        )
    };
    let behind = bars(
        stats
            .behind_by_unit
            .iter()
            .map(|(id, name, n)| (name.clone(), *n, format!("/systems?unit_id={id}&level=none"))),
    );
    let charts = vec![
        Chart { title: t.s("dash.by_type").into(), bars: by_type },
        Chart { title: t.s("dash.by_status").into(), bars: by_status() },
        Chart { title: t.s("dash.behind_by_unit").into(), bars: behind },
    ];
    Ok(render(&Dashboard {
        c,
        status_kpis: by_status(),
        stats,
        charts,
        month,
        groups,
        glance,
    })?
    .into_response())
}
