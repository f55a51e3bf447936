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
    })
}
