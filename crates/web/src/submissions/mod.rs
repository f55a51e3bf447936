//! Periodic reports submitted in the platform (issue 12 item 3): a unit submits its
//! monthly, quarterly or annual report for a period (the kinds are the report rules in
//! force: `data/obligations/`), the department accepts or returns it, the log says how
//! late each came. A submission fulfils the report obligation of its period.
//!
//! Its routes are registered here, its template lives in `templates/submissions/` and
//! its strings in `i18n/<lang>/submissions.txt`.

use axum::extract::{Path, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use khien_domain::FieldError;
use khien_store::StoreError;
use khien_store::submissions::{NewSubmission, ReportSubmission, may_submit};

use crate::AppState;
use crate::auth::roles::{AnyRole, ProvinceAdmin, UnitEditor};
use crate::auth::{Access, Auth};
use crate::error::{AppError, AppResult};
use crate::routes::{Routes, Tenancy};
use crate::view::{Chrome, FormState, form_pairs, refusal_as_fields, render, render_refused};

pub(crate) fn page_routes() -> Routes {
    Routes::default()
        .get("/reports/submissions", AnyRole::NAMES, Tenancy::Unit, page)
        .post("/reports/submissions", UnitEditor::NAMES, Tenancy::Unit, submit)
        .post("/report-submissions/{id}/review", ProvinceAdmin::NAMES, Tenancy::Unit, review)
}

/// A report the unit may submit: its rule id, the current period and its due date.
pub struct ReportKind {
    pub id: String,
    pub current: String,
    pub due: String,
}

#[derive(askama::Template)]
#[template(path = "submissions/submissions.html")]
struct Page {
    c: Chrome,
    kinds: Vec<ReportKind>,
    list: Vec<ReportSubmission>,
    may_submit: bool,
    may_review: bool,
}

fn report_kinds(state: &AppState) -> AppResult<Vec<(ReportKind, khien_duties::rules::Rule)>> {
    let today = state.store.today_vn();
    let rules = state.config.obligation_rules.as_deref().ok_or_else(|| AppError::Internal("obligation rules did not load".into()))?;
    let mut out = Vec::new();
    for r in rules.effective(&state.config.obligations_province).map_err(|e| AppError::Internal(e.to_string()))? {
        let Some(period) = r.report_period() else { continue };
        if !r.valid_on(today) {
            continue;
        }
        let (_, _, name) = period.containing(today);
        let due = r.report_due(&name).map(khien_domain::time_fmt::format_date).unwrap_or_default();
        if !out.iter().any(|(k, _): &(ReportKind, _)| k.id == r.id) {
            out.push((ReportKind { id: r.id.clone(), current: name, due }, r.clone()));
        }
    }
    Ok(out)
}

async fn build<A: Access>(state: &AppState, auth: &Auth<A>, mut c: Chrome, refused: Option<FormState>) -> AppResult<Page> {
    if let Some(f) = refused {
        c.form = f;
    }
    let kinds = report_kinds(state)?.into_iter().map(|(k, _)| k).collect();
    let list = auth.scoped(state).report_submissions(500).await?;
    let role = auth.principal.role;
    Ok(Page { c, kinds, list, may_submit: may_submit(role), may_review: role == khien_domain::Role::ProvinceAdmin })
}

pub async fn page(State(state): State<AppState>, auth: Auth<AnyRole>, c: Chrome) -> AppResult<Html<String>> {
    render(&build(&state, &auth, c, None).await?)
}

fn invalid(field: &'static str, key: &'static str) -> StoreError {
    StoreError::Invalid(khien_domain::Invalid { errors: vec![FieldError { field, key, detail: String::new() }] })
}

pub async fn submit(State(state): State<AppState>, auth: Auth<UnitEditor>, c: Chrome, body: String) -> AppResult<Response> {
    let values = form_pairs(&body);
    let get = |k: &str| values.iter().find(|(n, _)| n == k).map(|(_, v)| v.trim().to_string()).unwrap_or_default();
    let (kind, period) = (get("report_kind"), get("period"));
    let kinds = report_kinds(&state)?;
    let result = match kinds.iter().find(|(k, _)| k.id == kind) {
        None => Err(invalid("report_kind", "submission.err_kind")),
        Some((_, rule)) => match rule.report_due(&period) {
            None => Err(invalid("period", "submission.err_period")),
            Some(due_on) => {
                let opt = |s: String| Some(s).filter(|s| !s.is_empty());
                auth.scoped(&state)
                    .submit_report(&NewSubmission { kind: &kind, period: &period, due_on, reference: opt(get("reference")), note: opt(get("note")) })
                    .await
            }
        },
    };
    match result {
        Ok(_) => Ok(Redirect::to("/reports/submissions").into_response()),
        Err(e @ (StoreError::NotFound | StoreError::Forbidden)) => Err(e.into()),
        Err(e) => {
            let errors = refusal_as_fields(e, &[("submission.err_already", "period")])?;
            render_refused(&build(&state, &auth, c, Some(FormState::refused("submission", values, errors))).await?)
        }
    }
}

pub async fn review(State(state): State<AppState>, auth: Auth<ProvinceAdmin>, c: Chrome, Path(id): Path<String>, body: String) -> AppResult<Response> {
    let values = form_pairs(&body);
    let get = |k: &str| values.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()).unwrap_or_default();
    match auth.scoped(&state).review_report(&id, get("decision") == "accept", &get("review_note")).await {
        Ok(()) => Ok(Redirect::to("/reports/submissions").into_response()),
        Err(e @ (StoreError::NotFound | StoreError::Forbidden)) => Err(e.into()),
        Err(e) => {
            let errors = refusal_as_fields(e, &[("submission.err_not_submitted", "review_note")])?;
            render_refused(&build(&state, &auth, c, Some(FormState::refused(format!("review-{id}"), values, errors))).await?)
        }
    }
}
