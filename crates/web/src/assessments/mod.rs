//! Security assessments (kiểm tra, đánh giá): a system's (before go-live, periodic) on
//! `/systems/{id}/assessments`, a unit's on `/units/{id}/assessments`. Recorded here,
//! they feed the obligations (`system_assessment`, `unit_assessment`), the compliance
//! index and Form 08's column 12. What an assessment found is recorded on
//! `/assessments/{id}`, each weakness a tracked finding on its system
//! (`crate::weaknesses`), as a drill's are.
//!
//! Its routes are registered here, its template lives in `templates/assessments/` and
//! its strings in `i18n/<lang>/assessments.txt`.

use axum::extract::{Path, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use khien_domain::FieldError;
use khien_domain::assessments::{AssessmentInput, SYSTEM_KINDS};
use khien_store::StoreError;
use khien_store::assessments::Assessment;
use khien_store::systems::SystemRef;
use khien_store::weaknesses::Weakness;
use khien_domain::weaknesses::{Origin, SEVERITIES, WeaknessInput};

use crate::AppState;
use crate::auth::roles::{AnyRole, SystemEditor};
use crate::auth::{Access, Auth};
use crate::error::AppResult;
use crate::routes::{Routes, Tenancy};
use crate::view::{Chrome, FormState, form_pairs, refusal_as_fields, render, render_refused};

pub(crate) fn page_routes() -> Routes {
    Routes::default()
        .get("/systems/{id}/assessments", AnyRole::NAMES, Tenancy::Unit, system_page)
        .post("/systems/{id}/assessments", SystemEditor::NAMES, Tenancy::Unit, system_record)
        .get("/units/{id}/assessments", AnyRole::NAMES, Tenancy::Unit, unit_page)
        .post("/units/{id}/assessments", SystemEditor::NAMES, Tenancy::Unit, unit_record)
        .get("/assessments/{id}", AnyRole::NAMES, Tenancy::Unit, detail)
        .post("/assessments/{id}/weaknesses", SystemEditor::NAMES, Tenancy::Unit, add_weakness)
}

#[derive(askama::Template)]
#[template(path = "assessments/assessments.html")]
struct Page {
    c: Chrome,
    /// `/systems/<id>` or `/units/<id>`.
    base: String,
    name: String,
    for_system: bool,
    list: Vec<Assessment>,
    input: AssessmentInput,
    may_record: bool,
}

impl Page {
    fn kinds(&self) -> &'static [&'static str] {
        &SYSTEM_KINDS
    }
}

async fn page<A: Access>(state: &AppState, auth: &Auth<A>, mut c: Chrome, system: Option<&str>, unit: &str, input: AssessmentInput, errors: Vec<FieldError>) -> AppResult<Page> {
    let scoped = auth.scoped(state);
    let (base, name, list) = match system {
        Some(id) => {
            let s = scoped.system(id).await?;
            (format!("/systems/{id}"), s.fields.name, scoped.system_security_assessments(id).await?)
        }
        None => {
            let u = scoped.unit(unit).await?;
            (format!("/units/{unit}"), u.fields.name, scoped.unit_security_assessments(unit).await?)
        }
    };
    c.form = FormState::refused("assessment", vec![], errors);
    let role = auth.principal.role;
    Ok(Page { c, base, name, for_system: system.is_some(), list, input, may_record: role.can_edit_systems() })
}

fn blank(state: &AppState) -> AssessmentInput {
    AssessmentInput { assessment_kind: "periodic".into(), performed_on: khien_domain::time_fmt::format_date(state.store.today_vn()), ..Default::default() }
}

pub async fn system_page(State(state): State<AppState>, auth: Auth<AnyRole>, c: Chrome, Path(id): Path<String>) -> AppResult<Html<String>> {
    render(&page(&state, &auth, c, Some(&id), "", blank(&state), Vec::new()).await?)
}

pub async fn unit_page(State(state): State<AppState>, auth: Auth<AnyRole>, c: Chrome, Path(id): Path<String>) -> AppResult<Html<String>> {
    render(&page(&state, &auth, c, None, &id, blank(&state), Vec::new()).await?)
}

async fn record(state: &AppState, auth: &Auth<SystemEditor>, c: Chrome, system: Option<&str>, unit: &str, body: &str) -> AppResult<Response> {
    let input: AssessmentInput = serde_urlencoded::from_str(body).unwrap_or_default();
    let result = match input.validate(state.store.today_vn(), system.is_some()) {
        Err(inv) => Err(StoreError::Invalid(inv)),
        Ok(f) => auth.scoped(state).record_security_assessment(system, unit, &f).await,
    };
    let back = match system {
        Some(id) => format!("/systems/{id}/assessments"),
        None => format!("/units/{unit}/assessments"),
    };
    match result {
        Ok(_) => Ok(Redirect::to(&back).into_response()),
        Err(e @ (StoreError::NotFound | StoreError::Forbidden)) => Err(e.into()),
        Err(e) => {
            let errors = refusal_as_fields(e, &[])?;
            render_refused(&page(state, auth, c, system, unit, input, errors).await?)
        }
    }
}

pub async fn system_record(State(state): State<AppState>, auth: Auth<SystemEditor>, c: Chrome, Path(id): Path<String>, body: String) -> AppResult<Response> {
    record(&state, &auth, c, Some(&id), "", &body).await
}

pub async fn unit_record(State(state): State<AppState>, auth: Auth<SystemEditor>, c: Chrome, Path(id): Path<String>, body: String) -> AppResult<Response> {
    record(&state, &auth, c, None, &id, &body).await
}

#[derive(askama::Template)]
#[template(path = "assessments/detail.html")]
struct DetailPage {
    c: Chrome,
    a: Assessment,
    /// `/systems/<id>` or `/units/<id>`, and its name.
    base: String,
    name: String,
    systems: Vec<SystemRef>,
    weaknesses: Vec<Weakness>,
    may_record: bool,
}

impl DetailPage {
    fn severities(&self) -> &'static [&'static str] {
        &SEVERITIES
    }

    /// (recorded, found) when the assessment said it found more issues than are
    /// recorded as weaknesses: the page says the rest have no deadline yet.
    fn weaknesses_missing(&self) -> Option<(i64, i64)> {
        let recorded = i64::try_from(self.weaknesses.len()).unwrap_or(i64::MAX);
        self.a.findings.filter(|found| *found > recorded).map(|found| (recorded, found))
    }
}

async fn detail_page<A: Access>(state: &AppState, auth: &Auth<A>, mut c: Chrome, id: &str, refused: Option<FormState>) -> AppResult<DetailPage> {
    let scoped = auth.scoped(state);
    let (a, systems, weaknesses) = scoped.security_assessment(id).await?;
    let (base, name) = match (&a.system_id, systems.first()) {
        (Some(s), Some(sys)) => (format!("/systems/{s}"), sys.name.clone()),
        _ => (format!("/units/{}", a.unit_id), scoped.unit(&a.unit_id).await?.fields.name),
    };
    if let Some(f) = refused {
        c.form = f;
    }
    Ok(DetailPage { may_record: auth.principal.role.can_edit_systems(), c, a, base, name, systems, weaknesses })
}

pub async fn detail(State(state): State<AppState>, auth: Auth<AnyRole>, c: Chrome, Path(id): Path<String>) -> AppResult<Html<String>> {
    render(&detail_page(&state, &auth, c, &id, None).await?)
}

/// A weakness the assessment found becomes a finding on the assessed system (or one of
/// the assessed unit's systems).
pub async fn add_weakness(State(state): State<AppState>, auth: Auth<SystemEditor>, c: Chrome, Path(id): Path<String>, body: String) -> AppResult<Response> {
    let values = form_pairs(&body);
    let w: WeaknessInput = serde_urlencoded::from_str(&body).unwrap_or_default();
    let scoped = auth.scoped(&state);
    let (a, systems, _) = scoped.security_assessment(&id).await?;
    let source = format!("{}, {}", a.performer, khien_domain::time_fmt::display_date(&a.performed_on));
    let result: Result<String, StoreError> = async {
        let import = crate::weaknesses::queue_as_finding(&state, &auth, &w, systems.iter().any(|s| s.id == w.system_id), Origin::Assessment, &source).await?;
        scoped.link_assessment_weakness(&id, &w.system_id, &import, w.title.trim(), w.severity.trim()).await
    }
    .await;
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/assessments/{id}#weaknesses")).into_response()),
        Err(e @ (StoreError::NotFound | StoreError::Forbidden)) => Err(e.into()),
        Err(e) => {
            let errors = refusal_as_fields(e, &[])?;
            render_refused(&detail_page(&state, &auth, c, &id, Some(FormState::refused("weakness", values, errors))).await?)
        }
    }
}
