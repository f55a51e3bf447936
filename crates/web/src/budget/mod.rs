//! Budget lines and the security share (issue 12 item 4): each IT or
//! digital-transformation plan, programme or project a unit records, with its total and
//! the amount for network information security, checked against the minimum share in
//! force when it was approved (10%, Directive 14/CT-TTg; 15%, Law 116/2025 from
//! 01/07/2026 — data/regimes/budget-share.toml). Lines short of it are in the work queue.
//!
//! Its routes are registered here, its template lives in `templates/budget/` and its
//! strings in `i18n/<lang>/budget.txt`.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use khien_domain::FieldError;
use khien_domain::budget::{BudgetInput, KINDS, Share, Thresholds, check, per_mille};
use khien_domain::time_fmt::{format_date, parse_iso_date};
use khien_store::StoreError;
use khien_store::budget::{BudgetLine, may_record};

use crate::AppState;
use crate::auth::roles::{AnyRole, SystemEditor};
use crate::auth::{Access, Auth};
use crate::error::{AppError, AppResult};
use crate::i18n::T;
use crate::routes::{Routes, Tenancy};
use crate::view::{Chrome, FormState, form_pairs, refusal_as_fields, render, render_refused, thousands};
use crate::work::{WorkGroup, WorkItem};

pub(crate) fn page_routes() -> Routes {
    Routes::default()
        .get("/budget", AnyRole::NAMES, Tenancy::Unit, page)
        .post("/budget", SystemEditor::NAMES, Tenancy::Unit, create)
        .post("/budget/{id}/delete", SystemEditor::NAMES, Tenancy::Unit, remove)
}

fn thresholds(state: &AppState) -> AppResult<Arc<Thresholds>> {
    state.config.budget_thresholds.clone().ok_or(AppError::Missing("budget.err_thresholds"))
}

/// A line as the page shows it: amounts grouped, the share, what was required and why.
pub struct Row {
    pub line: BudgetLine,
    pub total: String,
    pub security: String,
    /// "12,5%".
    pub share: String,
    /// "15%" and its basis, or none (approved before any threshold).
    pub required: Option<(String, String)>,
    /// Short by this many đồng, grouped.
    pub shortfall: Option<String>,
}

fn percent(per_mille: i64) -> String {
    if per_mille % 10 == 0 { format!("{}%", per_mille / 10) } else { format!("{},{}%", per_mille / 10, per_mille % 10) }
}

fn row(thresholds: &Thresholds, line: BudgetLine) -> Row {
    let binding = parse_iso_date(&line.approved_on).and_then(|d| thresholds.binding(d));
    let shortfall = match check(line.total, line.security, binding.map(|t| t.min_percent)) {
        Share::Short { shortfall } => Some(thousands(shortfall)),
        Share::Met | Share::NotBound => None,
    };
    Row {
        total: thousands(line.total),
        security: thousands(line.security),
        share: percent(per_mille(line.total, line.security)),
        required: binding.map(|t| (format!("{}%", t.min_percent), t.basis.clone())),
        shortfall,
        line,
    }
}

#[derive(askama::Template)]
#[template(path = "budget/list.html")]
struct Page {
    c: Chrome,
    rows: Vec<Row>,
    /// Sums over the lines shown, and how many are short.
    sum_total: String,
    sum_security: String,
    sum_share: String,
    short: usize,
    may_record: bool,
    units: Vec<(String, String)>,
    input: BudgetInput,
    unit_id: String,
}

impl Page {
    fn kinds(&self) -> &'static [&'static str] {
        &KINDS
    }
}

async fn build<A: Access>(state: &AppState, auth: &Auth<A>, mut c: Chrome, input: BudgetInput, unit_id: String, errors: Vec<FieldError>) -> AppResult<Page> {
    c.form = FormState::refused("budget", vec![], errors);
    let thresholds = thresholds(state)?;
    let scoped = auth.scoped(state);
    let lines = scoped.budget_lines(2_000).await?;
    let (total, security) = lines.iter().fold((0i64, 0i64), |(t, s), l| (t.saturating_add(l.total), s.saturating_add(l.security)));
    let rows: Vec<Row> = lines.into_iter().map(|l| row(&thresholds, l)).collect();
    let may = may_record(auth.principal.role);
    let units = if may { scoped.units(false).await?.into_iter().map(|u| (u.id, u.fields.name)).collect() } else { Vec::new() };
    Ok(Page {
        short: rows.iter().filter(|r| r.shortfall.is_some()).count(),
        sum_total: thousands(total),
        sum_security: thousands(security),
        sum_share: percent(per_mille(total, security)),
        rows,
        may_record: may,
        units,
        unit_id: if unit_id.is_empty() { auth.principal.unit_id.clone() } else { unit_id },
        input,
        c,
    })
}

pub async fn page(State(state): State<AppState>, auth: Auth<AnyRole>, c: Chrome) -> AppResult<Html<String>> {
    let input = BudgetInput { budget_kind: "project".into(), ..Default::default() };
    render(&build(&state, &auth, c, input, String::new(), Vec::new()).await?)
}

pub async fn create(State(state): State<AppState>, auth: Auth<SystemEditor>, c: Chrome, body: String) -> AppResult<Response> {
    let input: BudgetInput = serde_urlencoded::from_str(&body).unwrap_or_default();
    let unit_id = form_pairs(&body).into_iter().find(|(k, _)| k == "unit_id").map(|(_, v)| v).unwrap_or_default();
    let result = match input.validate(state.store.today_vn()) {
        Err(inv) => Err(StoreError::Invalid(inv)),
        Ok(f) => auth.scoped(&state).record_budget_line(&unit_id, &f).await,
    };
    match result {
        Ok(_) => Ok(Redirect::to("/budget#budget-lines").into_response()),
        Err(e @ (StoreError::NotFound | StoreError::Forbidden)) => Err(e.into()),
        Err(e) => {
            let errors = refusal_as_fields(e, &[])?;
            render_refused(&build(&state, &auth, c, input, unit_id, errors).await?)
        }
    }
}

pub async fn remove(State(state): State<AppState>, auth: Auth<SystemEditor>, Path(id): Path<String>) -> AppResult<Response> {
    auth.scoped(&state).remove_budget_line(&id).await?;
    Ok(Redirect::to("/budget#budget-lines").into_response())
}

/// Lines short of their minimum share, for those who record them: raise the security
/// amount, or record the adjusted plan.
pub(crate) async fn work(state: &AppState, auth: &Auth<AnyRole>, t: &T, limit: usize) -> AppResult<Vec<WorkGroup>> {
    let (true, Some(thresholds)) = (may_record(auth.principal.role), state.config.budget_thresholds.clone()) else {
        return Ok(Vec::new());
    };
    let mut g = WorkGroup::new("budget.work_short", Some("/budget".into()));
    g.note = Some("budget.work_note");
    for l in auth.scoped(state).budget_lines(2_000).await? {
        let r = row(&thresholds, l);
        let (Some(shortfall), Some((required, _))) = (&r.shortfall, &r.required) else {
            continue;
        };
        g.push(WorkItem {
            title: r.line.title.clone(),
            href: "/budget#budget-lines".into(),
            detail: t.f("budget.work_detail", &[&r.share, required, shortfall]),
            unit: r.line.unit_name.clone(),
            reason: Some(format!("{} · {}", r.line.decision_no, parse_iso_date(&r.line.approved_on).map(format_date).unwrap_or_default())),
            ..Default::default()
        });
    }
    g.items.truncate(limit);
    Ok(vec![g])
}
