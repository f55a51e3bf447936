//! The advisory pages: the list, the form (blank or read from a CVE JSON 5 record), an
//! advisory with the systems it reached and their answers, the answer and the reminder.

use axum::extract::{Multipart, Path, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use khien_domain::FieldError;
use khien_domain::advisories::{AdvisoryInput, RESPONSES, SEVERITIES, from_cve_record};
use khien_store::StoreError;
use khien_store::advisories::{Advisory, AdvisoryMatch, may_answer, may_issue};

use crate::AppState;
use crate::auth::{Access, Auth};
use crate::auth::roles::{AnyRole, ProvinceAdmin, SystemEditor};
use crate::error::{AppError, AppResult};
use crate::view::{Chrome, FormState, form_pairs, refusal_as_fields, render, render_refused};

/// Largest CVE record read.
const CVE_RECORD_BYTES: usize = 1024 * 1024;

#[derive(askama::Template)]
#[template(path = "advisories/list.html")]
struct ListPage {
    c: Chrome,
    advisories: Vec<Advisory>,
    may_issue: bool,
}

pub async fn list(State(state): State<AppState>, auth: Auth<AnyRole>, c: Chrome) -> AppResult<Html<String>> {
    let advisories = auth.scoped(&state).advisories(200).await?;
    render(&ListPage { may_issue: may_issue(auth.principal.role).is_ok(), c, advisories })
}

#[derive(askama::Template)]
#[template(path = "advisories/form.html")]
struct FormPage {
    c: Chrome,
    input: AdvisoryInput,
    /// What a CVE record had that the form could not take.
    notes: Vec<String>,
}

impl FormPage {
    fn severities(&self) -> &'static [&'static str] {
        &SEVERITIES
    }
}

fn form_page(mut c: Chrome, input: AdvisoryInput, notes: Vec<String>, errors: Vec<FieldError>) -> FormPage {
    c.form = FormState::refused("advisory", vec![], errors);
    FormPage { c, input, notes }
}

pub async fn new_form(State(state): State<AppState>, _auth: Auth<ProvinceAdmin>, c: Chrome) -> AppResult<Html<String>> {
    let today = khien_domain::time_fmt::format_date(state.store.today_vn());
    let input = AdvisoryInput { issued_on: today, severity: "high".into(), ..Default::default() };
    render(&form_page(c, input, Vec::new(), Vec::new()))
}

pub async fn create(State(state): State<AppState>, auth: Auth<ProvinceAdmin>, c: Chrome, body: String) -> AppResult<Response> {
    let input: AdvisoryInput = serde_urlencoded::from_str(&body).unwrap_or_default();
    let result = match input.validate(state.store.today_vn()) {
        Err(inv) => Err(StoreError::Invalid(inv)),
        Ok(f) => auth.scoped(&state).create_advisory(&f).await,
    };
    match result {
        Ok((id, _)) => Ok(Redirect::to(&format!("/advisories/{id}")).into_response()),
        Err(e) => {
            let errors = refusal_as_fields(e, &[])?;
            render_refused(&form_page(c, input, Vec::new(), errors))
        }
    }
}

/// The form, filled from an uploaded CVE JSON 5 record (nothing is saved yet).
pub async fn from_cve(State(state): State<AppState>, _auth: Auth<ProvinceAdmin>, c: Chrome, mut mp: Multipart) -> AppResult<Response> {
    let mut bytes = Vec::new();
    let bad = |_| AppError::BadRequest("advisory.err_cve_record");
    while let Some(mut field) = mp.next_field().await.map_err(bad)? {
        if field.name() != Some("record") {
            continue;
        }
        while let Some(chunk) = field.chunk().await.map_err(bad)? {
            if bytes.len() + chunk.len() > CVE_RECORD_BYTES {
                return refused_record(c, "advisory.err_cve_too_large");
            }
            bytes.extend_from_slice(&chunk);
        }
    }
    let Ok(v) = serde_json::from_slice::<serde_json::Value>(&bytes) else {
        return refused_record(c, "advisory.err_cve_record");
    };
    match from_cve_record(&v) {
        Ok((mut input, notes)) => {
            input.issued_on = khien_domain::time_fmt::format_date(state.store.today_vn());
            Ok(render(&form_page(c, input, notes, Vec::new()))?.into_response())
        }
        Err(key) => refused_record(c, key),
    }
}

fn refused_record(c: Chrome, key: &'static str) -> AppResult<Response> {
    let errors = vec![FieldError { field: "record", key, detail: String::new() }];
    render_refused(&form_page(c, AdvisoryInput::default(), Vec::new(), errors))
}

#[derive(askama::Template)]
#[template(path = "advisories/detail.html")]
struct DetailPage {
    c: Chrome,
    a: Advisory,
    matches: Vec<AdvisoryMatch>,
    may_answer: bool,
    may_issue: bool,
    pending_units: usize,
    reminded: Option<usize>,
    counts: String,
}

impl DetailPage {
    fn responses(&self) -> &'static [&'static str] {
        &RESPONSES
    }
    fn form_of(id: &str) -> String {
        format!("answer-{id}")
    }
}

async fn detail_page<A: Access>(state: &AppState, auth: &Auth<A>, c: Chrome, id: &str, reminded: Option<usize>) -> AppResult<DetailPage> {
    let (a, matches) = auth.scoped(state).advisory(id).await?;
    let mut pending: Vec<&str> = matches.iter().filter(|m| m.response == "pending").map(|m| m.unit_id.as_str()).collect();
    pending.sort_unstable();
    pending.dedup();
    let counts = c.t.f("advisory.counts", &[&crate::view::thousands(a.matched), &crate::view::thousands(a.answered)]);
    Ok(DetailPage {
        counts,
        pending_units: pending.len(),
        may_answer: may_answer(auth.principal.role).is_ok(),
        may_issue: may_issue(auth.principal.role).is_ok(),
        c,
        a,
        matches,
        reminded,
    })
}

pub async fn detail(State(state): State<AppState>, auth: Auth<AnyRole>, c: Chrome, Path(id): Path<String>) -> AppResult<Html<String>> {
    render(&detail_page(&state, &auth, c, &id, None).await?)
}

pub async fn answer(State(state): State<AppState>, auth: Auth<SystemEditor>, mut c: Chrome, Path(id): Path<String>, body: String) -> AppResult<Response> {
    let values = form_pairs(&body);
    let get = |k: &str| values.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str()).unwrap_or("");
    let advisory = get("advisory").to_string();
    match auth.scoped(&state).answer_advisory(&id, get("response"), get("note")).await {
        Ok(()) => Ok(Redirect::to(&format!("/advisories/{advisory}#answers")).into_response()),
        Err(StoreError::NotFound) => Err(AppError::NotFound),
        Err(StoreError::Forbidden) => Err(AppError::Forbidden),
        Err(e) => {
            let errors = refusal_as_fields(e, &[])?;
            c.form = FormState::refused(DetailPage::form_of(&id), values.clone(), errors);
            render_refused(&detail_page(&state, &auth, c, &advisory, None).await?)
        }
    }
}

pub async fn remind(State(state): State<AppState>, auth: Auth<ProvinceAdmin>, c: Chrome, Path(id): Path<String>) -> AppResult<Html<String>> {
    let scoped = auth.scoped(&state);
    let (a, _) = scoped.advisory(&id).await?;
    let units = scoped.mark_advisory_reminded(&id).await?;
    let t = crate::i18n::T { lang: crate::i18n::Lang::Vi };
    let deadline = khien_domain::time_fmt::display_date(&a.deadline);
    let made = crate::notifications::sweep::remind_units(
        &state.store,
        None,
        &units,
        &format!("advisory:{id}"),
        &khien_domain::time_fmt::iso_date(state.store.today_vn()),
        &format!("{} — {}", a.number, a.title),
        &t.f("advisory.remind_body", &[&a.issuer, &deadline]),
        &format!("/advisories/{id}#answers"),
        &a.deadline,
    )
    .await?;
    render(&detail_page(&state, &auth, c, &id, Some(made)).await?)
}
