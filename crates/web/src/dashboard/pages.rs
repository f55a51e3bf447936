//! The home dashboard: systems by unit, type and status, drawn as server-side SVG bars.

use axum::extract::State;
use axum::response::Html;
use khien_store::stats::SystemStats;

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
    /// What the viewer must do: the page leads with it.
    groups: Vec<crate::work::WorkGroup>,
    /// The duties of the last six months at a glance: share of the systems in use.
    coverage: Vec<Meter>,
    /// Counts that should be zero: serious findings past due, incidents open.
    alarms: Vec<Bar>,
}

/// A share of the systems in use that meet a duty, drawn as a meter.
pub struct Meter {
    pub id: &'static str,
    pub label: String,
    pub done: i64,
    pub of: i64,
    /// Percent, whole.
    pub pct: i64,
    pub href: String,
}

/// The six months' duties of the viewer's scope (levels approved, scanned, hunted) and
/// what is late or open, from the same figures as the periodic reports.
fn glance(f: &khien_store::period_figures::PeriodFigures, t: &crate::i18n::T) -> (Vec<Meter>, Vec<Bar>) {
    let of = f.total("systems_in_use");
    let meter = |id: &'static str, key: &str, metric: &str, href: &str| {
        let done = f.total(metric).min(of);
        Meter { id, label: t.s(key).into(), done, of, pct: if of > 0 { done * 100 / of } else { 0 }, href: href.into() }
    };
    let coverage = vec![
        meter("glance-approved", "dash.glance_approved", "systems_approved", "/systems?level=none"),
        meter("glance-scanned", "dash.glance_scanned", "systems_scanned", "/obligations"),
        meter("glance-hunted", "dash.glance_hunted", "systems_hunted", "/obligations"),
    ];
    let alarms = vec![
        Bar { label: t.s("dash.glance_overdue").into(), value: f.total("findings_open_overdue_serious"), pct: 0, href: "/findings?overdue=1".into() },
        Bar { label: t.s("dash.glance_incidents").into(), value: f.total("incidents_open"), pct: 0, href: "/incidents".into() },
    ];
    (coverage, alarms)
}

pub struct Chart {
    pub title: String,
    pub bars: Vec<Bar>,
}

pub async fn home(
    State(state): State<AppState>,
    auth: Auth<AnyRole>,
    c: Chrome,
) -> AppResult<Html<String>> {
    let groups = crate::work::queue(&state, &auth, &c.t, crate::work::ON_HOME).await?;
    let stats = auth.scoped(&state).system_stats().await?;
    let six = auth.scoped(&state).last_six_months(state.store.today_vn()).await?;
    let (coverage, alarms) = glance(&six, &c.t);
    let t = c.t;
    let by_type = bars(stats.by_type.iter().map(|(k, n)| {
        (
            t.label("system_type", k),
            *n,
            format!("/systems?system_type={k}"),
        )
    }));
    let by_status = bars(
        stats
            .by_status
            .iter()
            .map(|(k, n)| (t.label("status", k), *n, format!("/systems?status={k}"))),
    );
    let behind = bars(
        stats
            .behind_by_unit
            .iter()
            .map(|(id, name, n)| (name.clone(), *n, format!("/systems?unit_id={id}&level=none"))),
    );
    let charts = vec![
        Chart {
            title: t.s("dash.by_type").into(),
            bars: by_type,
        },
        Chart {
            title: t.s("dash.by_status").into(),
            bars: bars(
                stats
                    .by_status
                    .iter()
                    .map(|(k, n)| (t.label("status", k), *n, format!("/systems?status={k}"))),
            ),
        },
        Chart {
            title: t.s("dash.behind_by_unit").into(),
            bars: behind,
        },
    ];
    render(&Dashboard {
        c,
        stats,
        status_kpis: by_status,
        charts,
        groups,
        coverage,
        alarms,
    })
}
