//! The public incident report (no sign-in), linked from /contacts, and the
//! reporter's follow-up. Spam is kept out without third parties: a field people never
//! see (a bot fills it), a signed timestamp (a person takes seconds to fill the form; a
//! stale form is reloaded), size limits on every field, and a per-address counter in
//! the database, so several server processes count together.

use axum::Extension;
use axum::extract::State;
use axum::http::header::CACHE_CONTROL;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use hmac::{Hmac, Mac};
use khien_domain::FieldError;
use khien_domain::incidents::{self as rules, PublicReportInput};
use khien_store::StoreError;
use khien_store::incidents::PublicStatus;
use sha2::Sha256;

use crate::AppState;
use crate::error::{AppError, AppResult};
use crate::support::client_addr::ClientAddr;
use crate::view::{Chrome, FormState, form_pairs};

#[derive(askama::Template)]
#[template(path = "incidents/report.html")]
struct ReportPage {
    c: Chrome,
    input: PublicReportInput,
    /// The signed timestamp of this rendering of the form.
    token: String,
}

#[derive(askama::Template)]
#[template(path = "incidents/report_done.html")]
struct DonePage {
    c: Chrome,
    reference: String,
    code: String,
}

#[derive(askama::Template)]
#[template(path = "incidents/report_status.html")]
struct StatusPage {
    c: Chrome,
    reference: String,
    found: Option<PublicStatus>,
}

/// The form key, shared by every process (the first to start stores it).
async fn form_key(state: &AppState) -> AppResult<String> {
    let candidate = crate::auth::crypto::random_token().map_err(AppError::Internal)?;
    Ok(state.store.form_key(&candidate).await?)
}

fn signature(key: &str, issued: i64) -> String {
    match Hmac::<Sha256>::new_from_slice(key.as_bytes()) {
        Ok(mut mac) => {
            mac.update(b"public-report:");
            mac.update(issued.to_string().as_bytes());
            khien_domain::audit::hex(&mac.finalize().into_bytes())
        }
        Err(_) => String::new(),
    }
}

fn sign(key: &str, issued: i64) -> String {
    format!("{issued}.{}", signature(key, issued))
}

/// When the form carrying `token` was rendered, if the token is ours.
fn issued_at(key: &str, token: &str) -> Option<i64> {
    let (issued, sig) = token.trim().split_once('.')?;
    let issued: i64 = issued.parse().ok()?;
    let expected = signature(key, issued);
    (!expected.is_empty() && crate::auth::crypto::same(sig, &expected)).then_some(issued)
}

fn no_store(mut resp: Response) -> Response {
    resp.headers_mut().insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

async fn report_page(state: &AppState, c: Chrome, input: PublicReportInput) -> AppResult<ReportPage> {
    let key = form_key(state).await?;
    let token = sign(&key, state.store.now().unix_timestamp());
    Ok(ReportPage { c, input, token })
}

pub async fn form(State(state): State<AppState>, mut c: Chrome, headers: HeaderMap) -> AppResult<Response> {
    let cookies = c.with_pre_session_csrf(&state, &headers)?;
    let page = report_page(&state, c, PublicReportInput::default()).await?;
    Ok(no_store((cookies, crate::view::render(&page)?).into_response()))
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct ReportForm {
    name: String,
    contact: String,
    affected: String,
    description: String,
    noticed_at: String,
    /// The field people never see.
    website: String,
    form_token: String,
}

/// The form again with its messages (on top when `field` is empty), at `status`.
async fn refused(state: &AppState, mut c: Chrome, input: PublicReportInput, errors: Vec<FieldError>, status: StatusCode) -> AppResult<Response> {
    c.form = FormState::refused("report", vec![], errors);
    let page = report_page(state, c, input).await?;
    Ok(no_store((status, crate::view::render(&page)?).into_response()))
}

fn whole_form(key: &'static str) -> Vec<FieldError> {
    vec![FieldError { field: "", key, detail: String::new() }]
}

pub async fn submit(State(state): State<AppState>, c: Chrome, addr: Option<Extension<ClientAddr>>, body: String) -> AppResult<Response> {
    let f: ReportForm = crate::view::parse_form(&body)?;
    let input = PublicReportInput {
        name: f.name,
        contact: f.contact,
        affected: f.affected,
        description: f.description,
        noticed_at: f.noticed_at,
    };
    let now = state.store.now();
    let key = form_key(&state).await?;
    if let Err(why) = rules::public_form_gate(&f.website, issued_at(&key, &f.form_token), now.unix_timestamp()) {
        return refused(&state, c, input, whole_form(why), StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    let report = match input.validate(now) {
        Ok(r) => r,
        Err(inv) => return refused(&state, c, input, inv.errors, StatusCode::UNPROCESSABLE_ENTITY).await,
    };
    let addr = addr.map(|Extension(a)| a.0).unwrap_or_else(|| "local".into());
    if !state.store.count_public_submission(&addr).await? {
        return refused(&state, c, input, whole_form("report.err_rate"), StatusCode::TOO_MANY_REQUESTS).await;
    }
    let code = follow_up_code()?;
    let reference = state.store.file_public_report(&report, &code, &addr).await?;
    Ok(no_store(crate::view::render(&DonePage { c, reference, code })?.into_response()))
}

/// 80 random bits, as four groups of four base32 letters: easy to copy by hand.
fn follow_up_code() -> AppResult<String> {
    let mut buf = [0u8; 10];
    getrandom::fill(&mut buf).map_err(|e| AppError::Internal(e.to_string()))?;
    let raw = crate::auth::crypto::base32_encode(&buf);
    let groups: Vec<String> = raw.as_bytes().chunks(4).map(|g| String::from_utf8_lossy(g).into_owned()).collect();
    Ok(groups.join("-"))
}

pub async fn status_form(State(state): State<AppState>, mut c: Chrome, headers: HeaderMap) -> AppResult<Response> {
    let cookies = c.with_pre_session_csrf(&state, &headers)?;
    Ok((cookies, crate::view::render(&StatusPage { c, reference: String::new(), found: None })?).into_response())
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct StatusForm {
    reference: String,
    code: String,
}

/// The status for the reference and code given; a wrong pair (or an unknown
/// reference) is one refusal, so the answer says nothing about which was wrong.
pub async fn status(State(state): State<AppState>, mut c: Chrome, body: String) -> AppResult<Response> {
    let f: StatusForm = crate::view::parse_form(&body)?;
    let found = match state.store.public_status(&f.reference, &f.code).await {
        Ok(found) => found,
        Err(StoreError::NotFound) => None,
        Err(e) => return Err(e.into()),
    };
    let reference = f.reference.trim().chars().take(40).collect();
    if found.is_none() {
        let values = form_pairs(&body).into_iter().filter(|(k, _)| k == "reference").collect();
        c.form = FormState::refused("status", values, whole_form("report.err_not_found"));
        let page = crate::view::render(&StatusPage { c, reference, found })?;
        return Ok(no_store((StatusCode::UNPROCESSABLE_ENTITY, page).into_response()));
    }
    Ok(no_store(crate::view::render(&StatusPage { c, reference, found })?.into_response()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_form_token_is_ours_or_nothing() {
        let t = sign("khoá", 1_764_600_000);
        assert_eq!(issued_at("khoá", &t), Some(1_764_600_000));
        assert_eq!(issued_at("khoá khác", &t), None);
        let forged = t.replacen("1764600000", "1764500000", 1);
        assert_eq!(issued_at("khoá", &forged), None);
        assert_eq!(issued_at("khoá", "rác"), None);
        let code = follow_up_code().unwrap();
        assert_eq!(code.len(), 19);
        assert_eq!(rules::follow_up_key(&code.to_lowercase()).len(), 16);
    }
}
