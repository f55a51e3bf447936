//! `/ranking` (the league table with its trend and chart), `/ranking/{id}` (one unit's
//! score taken apart into its obligations) and `/ranking.docx` (the printable table).

use axum::extract::{Path, State};
use axum::response::{Html, Response};
use khien_docs::league::{LeagueRow, LeagueTable, league_docx as render_league};

use super::{compute, quarter_label};
use crate::AppState;
use crate::auth::Auth;
use crate::auth::roles::AnyRole;
use crate::error::AppResult;
use crate::obligations::DutyContext;
use crate::reports::pages as docs;
use crate::view::{Chrome, render};

/// A point of the province's trend: the mean score of the units scored that quarter.
pub struct TrendPoint {
    pub label: String,
    /// "87,5".
    pub score: String,
    /// SVG coordinates in a 100 × 40 box.
    pub x: u32,
    pub y: u32,
}

/// One row as the page writes it.
pub struct RowView {
    pub unit_id: String,
    pub name: String,
    pub rank: String,
    /// "87,5", none without a score.
    pub score: Option<String>,
    /// The bar's width (0–100).
    pub bar: u32,
    pub met: u32,
    pub counted: u32,
    pub missed: usize,
    pub not_counted: usize,
    pub history: Vec<String>,
    /// `up`, `down`, `same` against the last quarter stored, or empty.
    pub change: &'static str,
    pub failed: bool,
}

#[derive(askama::Template)]
#[template(path = "ranking/ranking.html")]
struct RankingPage {
    c: Chrome,
    intro: String,
    capped: bool,
    rows: Vec<RowView>,
    quarter_labels: Vec<String>,
    trend: Vec<TrendPoint>,
    trend_line: String,
}

fn pct(p: Option<u32>) -> String {
    p.map(|p| format!("{},{}", p / 10, p % 10)).unwrap_or_else(|| "—".into())
}

fn change(history: &[Option<u32>], now: Option<u32>) -> &'static str {
    match (history.last().copied().flatten(), now) {
        (Some(before), Some(now)) if now > before => "up",
        (Some(before), Some(now)) if now < before => "down",
        (Some(_), Some(_)) => "same",
        _ => "",
    }
}

fn mean(values: impl Iterator<Item = u32>) -> Option<u32> {
    let (sum, n) = values.fold((0u64, 0u64), |(s, n), v| (s + u64::from(v), n + 1));
    (n > 0).then(|| u32::try_from((sum + n / 2) / n).unwrap_or(0))
}

pub async fn ranking(State(state): State<AppState>, auth: Auth<AnyRole>, c: Chrome) -> AppResult<Html<String>> {
    let r = compute(&state, &auth).await?;
    // The trend: each stored quarter's mean, then today's.
    let mut points: Vec<(String, u32)> = Vec::new();
    for (i, q) in r.quarters.iter().enumerate() {
        if let Some(m) = mean(r.rows.iter().filter_map(|row| row.history.get(i).copied().flatten())) {
            points.push((quarter_label(q), m));
        }
    }
    if let Some(m) = mean(r.rows.iter().filter_map(|row| row.score.permille)) {
        points.push((format!("{} ({})", quarter_label(&r.current), c.t.s("ranking.today")), m));
    }
    let n = points.len().max(2) - 1;
    let trend: Vec<TrendPoint> = points
        .into_iter()
        .enumerate()
        .map(|(i, (label, permille))| TrendPoint {
            label,
            score: pct(Some(permille)),
            x: u32::try_from(5 + i * 90 / n).unwrap_or(0),
            y: 38 - permille * 36 / 1000,
        })
        .collect();
    let trend_line = trend.iter().map(|p| format!("{},{}", p.x, p.y)).collect::<Vec<_>>().join(" ");
    let scored = r.rows.iter().filter(|x| x.score.permille.is_some()).count();
    let intro = c.t.f(
        "ranking.intro",
        &[
            &crate::view::thousands(i64::try_from(scored).unwrap_or(i64::MAX)),
            &crate::view::thousands(i64::try_from(r.rows.len()).unwrap_or(i64::MAX)),
            &khien_domain::time_fmt::format_date(r.today),
            &quarter_label(&r.current),
        ],
    );
    let rows = r
        .rows
        .iter()
        .map(|row| RowView {
            unit_id: row.unit_id.clone(),
            name: row.name.clone(),
            rank: row.rank.map(|k| k.to_string()).unwrap_or_else(|| "—".into()),
            score: row.score.percent_text(),
            bar: row.score.permille.unwrap_or(0) / 10,
            met: row.score.met,
            counted: row.score.counted,
            missed: row.score.lines_missed,
            not_counted: row.score.lines_not_counted,
            history: row.history.iter().map(|h| pct(*h)).collect(),
            change: change(&row.history, row.score.permille),
            failed: row.failed,
        })
        .collect();
    render(&RankingPage {
        intro,
        capped: r.capped,
        rows,
        quarter_labels: r.quarters.iter().map(|q| quarter_label(q)).collect(),
        trend,
        trend_line,
        c,
    })
}

pub struct UnitLine {
    pub obligation: String,
    pub system: Option<String>,
    pub system_id: Option<String>,
    pub due: Option<String>,
    pub status: &'static str,
    pub weight: u32,
    pub standing: &'static str,
}

#[derive(askama::Template)]
#[template(path = "ranking/unit.html")]
struct UnitPage {
    c: Chrome,
    unit_id: String,
    name: String,
    score: Option<String>,
    weights_text: String,
    lines: Vec<UnitLine>,
    failed: bool,
}

pub async fn unit(State(state): State<AppState>, auth: Auth<AnyRole>, c: Chrome, Path(id): Path<String>) -> AppResult<Html<String>> {
    let today = state.store.today_vn();
    let ctx = DutyContext::new(state.config.obligation_rules.as_deref(), &state.config.obligations_province, today)?;
    let u = auth.scoped(&state).duty_facts_of_unit(&id).await?;
    let scored = ctx.score(&u, &state.config.compliance_weights);
    let (score, lines, failed) = match scored {
        Some((s, lines)) => {
            let out = lines
                .into_iter()
                .zip(s.lines.iter())
                .map(|(l, sl)| UnitLine {
                    due: l.date_known.then(|| khien_domain::time_fmt::format_date(l.due)),
                    obligation: l.obligation,
                    system: l.system,
                    system_id: l.system_id,
                    status: l.status,
                    weight: sl.weight,
                    standing: sl.standing.as_str(),
                })
                .collect();
            (s, out, false)
        }
        None => (Default::default(), Vec::new(), true),
    };
    let mut lines = lines;
    // Missed first: what to fix to climb.
    let order = |s: &str| match s {
        "missed" => 0,
        "met" => 1,
        _ => 2,
    };
    lines.sort_by_key(|l| order(l.standing));
    render(&UnitPage {
        weights_text: c.t.f("ranking.weights_met", &[&score.met.to_string(), &score.counted.to_string()]),
        c,
        unit_id: u.unit_id,
        name: u.name,
        score: score.percent_text(),
        lines,
        failed,
    })
}

pub async fn league_docx(State(state): State<AppState>, auth: Auth<AnyRole>, as_pdf: docs::AsPdf) -> AppResult<Response> {
    let r = compute(&state, &auth).await?;
    let issued = docs::issued_by(&state, &auth.principal.unit_id, vec!["Các cơ quan, đơn vị;".into(), "Lưu: VT.".into()]).await?;
    let place = issued.place.clone();
    let scope = if auth.principal.role.is_province_wide() {
        format!("các cơ quan, đơn vị trên địa bàn tỉnh {place}")
    } else {
        format!("các đơn vị thuộc {}", issued.unit.fields.name)
    };
    let table = LeagueTable {
        header: issued.header,
        scope,
        period: quarter_label(&r.current),
        as_of: r.today,
        rows: r
            .rows
            .iter()
            .map(|row| LeagueRow {
                rank: row.rank,
                unit: row.name.clone(),
                score: row.score.percent_text(),
                obligations_met: row.score.lines_met,
                obligations_missed: row.score.lines_missed,
                obligations_not_counted: row.score.lines_not_counted,
            })
            .collect(),
        method: crate::i18n::T { lang: crate::i18n::Lang::Vi }.s("ranking.method").to_string(),
        signature: issued.signature,
    };
    let name = format!("xep-hang-tuan-thu-{}.docx", r.current.to_lowercase());
    docs::document(&state, as_pdf, move || render_league(&table), &name).await
}
