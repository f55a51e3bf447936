//! Pages without sign-in: health, metrics, language switch and the public directory of
//! incident-reporting contact points.

use std::sync::atomic::Ordering;

use axum::extract::{Path, Query, State};
use axum::http::header::{CONTENT_TYPE, LOCATION};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use khien_store::units::ContactPoint;
use serde::Deserialize;

use crate::AppState;
use crate::auth::{LANG_COOKIE, set_cookie};
use crate::error::AppResult;
use crate::i18n::Lang;
use crate::view::{Chrome, render};

pub async fn healthz(State(state): State<AppState>) -> Response {
    match state.store.ping().await {
        Ok(()) => (StatusCode::OK, "ok").into_response(),
        Err(_) => (StatusCode::SERVICE_UNAVAILABLE, "database unavailable").into_response(),
    }
}

pub async fn metrics(State(state): State<AppState>) -> Response {
    let m = &state.metrics;
    let body = format!(
        "# HELP khien_http_requests_total HTTP requests received.\n# TYPE khien_http_requests_total counter\nkhien_http_requests_total {}\n\
         # HELP khien_http_responses_4xx_total Responses with a 4xx status.\n# TYPE khien_http_responses_4xx_total counter\nkhien_http_responses_4xx_total {}\n\
         # HELP khien_http_responses_5xx_total Responses with a 5xx status.\n# TYPE khien_http_responses_5xx_total counter\nkhien_http_responses_5xx_total {}\n\
         # HELP khien_login_failures_total Failed sign-in attempts.\n# TYPE khien_login_failures_total counter\nkhien_login_failures_total {}\n",
        m.requests.load(Ordering::Relaxed),
        m.responses_4xx.load(Ordering::Relaxed),
        m.responses_5xx.load(Ordering::Relaxed),
        m.login_failures.load(Ordering::Relaxed),
    );
    (
        [(CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")],
        body,
    )
        .into_response()
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct Next {
    next: String,
}

/// Sets the language cookie and returns to the page the user was on (same site only).
pub async fn switch_lang(
    State(state): State<AppState>,
    Path(code): Path<String>,
    Query(q): Query<Next>,
) -> Response {
    let lang = Lang::parse(&code).unwrap_or(Lang::Vi);
    let next = if q.next.starts_with('/') && !q.next.starts_with("//") && !q.next.contains('\\') {
        q.next
    } else {
        "/".into()
    };
    let mut headers = HeaderMap::new();
    set_cookie(
        &mut headers,
        LANG_COOKIE,
        lang.code(),
        365 * 86400,
        state.config.secure_cookies,
        false,
    );
    if let Ok(v) = next.parse() {
        headers.insert(LOCATION, v);
    }
    (StatusCode::SEE_OTHER, headers).into_response()
}

#[derive(askama::Template)]
#[template(path = "contacts.html")]
struct ContactsPage {
    c: Chrome,
    q: String,
    contacts: Vec<ContactPoint>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct Search {
    q: String,
}

pub async fn contacts(
    State(state): State<AppState>,
    c: Chrome,
    Query(s): Query<Search>,
) -> AppResult<Html<String>> {
    let contacts = state.store.contact_points(&s.q).await?;
    render(&ContactsPage {
        c,
        q: s.q,
        contacts,
    })
}
