//! Pages without sign-in: health, metrics, language switch and the public directory of
//! incident-reporting contact points.

use std::sync::atomic::Ordering;

use axum::Extension;
use axum::extract::{Path, Query, State};
use axum::http::header::{CONTENT_TYPE, LOCATION};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use khien_store::units::ContactPoint;
use serde::Deserialize;

use crate::AppState;
use crate::auth::{LANG_COOKIE, MetricsAccess, set_cookie};
use crate::error::AppResult;
use crate::i18n::Lang;
use crate::view::{Chrome, render};

pub async fn healthz(State(state): State<AppState>) -> Response {
    match state.store.ping().await {
        Ok(()) => (StatusCode::OK, "ok").into_response(),
        Err(_) => (StatusCode::SERVICE_UNAVAILABLE, "database unavailable").into_response(),
    }
}

pub async fn metrics(
    State(state): State<AppState>,
    access: Option<Extension<MetricsAccess>>,
    headers: HeaderMap,
) -> Response {
    if access.is_some_and(|Extension(a)| !a.allows(&headers)) {
        return StatusCode::NOT_FOUND.into_response();
    }
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
    let next = local_path(&q.next).unwrap_or_else(|| "/".into());
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

/// `next` as a Location on this site, or `None`. It must be a path (one `/`, then not
/// `/` or `\\`, which browsers read as another host) with no control character, raw or
/// percent-encoded however many times: browsers drop tabs and newlines from URLs, so
/// `/%09/evil.com` would otherwise arrive as `//evil.com`. Backslashes are refused
/// anywhere, since some browsers read them as `/`. What is left is re-encoded to ASCII.
fn local_path(next: &str) -> Option<String> {
    let suspicious = |s: &str| s.chars().any(|c| c.is_control() || c == '\\');
    // Each round undoes one layer of encoding; a path still changing after a few is
    // not one a page of ours produced.
    let mut decoded = next.to_string();
    let mut settled = false;
    for _ in 0..4 {
        if suspicious(&decoded) {
            return None;
        }
        let once = percent_decode(&decoded)?;
        if once == decoded {
            settled = true;
            break;
        }
        decoded = once;
    }
    if !settled {
        return None;
    }
    let mut chars = next.chars();
    if chars.next() != Some('/') || matches!(chars.next(), Some('/' | '\\')) {
        return None;
    }
    if decoded.starts_with("//") {
        return None;
    }
    let mut out = String::with_capacity(next.len());
    for b in next.bytes() {
        if b.is_ascii_graphic() {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    Some(out)
}

/// One round of percent-decoding; `None` when the result is not UTF-8.
fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| char::from(b).to_digit(16);
        match (
            bytes[i],
            bytes.get(i + 1).copied(),
            bytes.get(i + 2).copied(),
        ) {
            (b'%', Some(h), Some(l)) if hex(h).is_some() && hex(l).is_some() => {
                let v = hex(h).unwrap_or(0) * 16 + hex(l).unwrap_or(0);
                out.push(u8::try_from(v).ok()?);
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

#[derive(askama::Template)]
#[template(path = "public/contacts.html")]
struct ContactsPage {
    c: Chrome,
    q: String,
    contacts: Vec<ContactPoint>,
    /// The provincial team's members on duty today (`/team`).
    on_duty: Vec<khien_store::team::RosterEntry>,
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
    let (on_duty, _) = state.store.team_on_duty().await?;
    render(&ContactsPage {
        c,
        q: s.q,
        contacts,
        on_duty,
    })
}

#[cfg(test)]
mod tests {
    use super::local_path;

    #[test]
    fn next_stays_on_this_site() {
        for ok in ["/", "/systems", "/systems/abc?page=2", "/units/%C4%90"] {
            assert_eq!(local_path(ok).as_deref(), Some(ok), "{ok}");
        }
        // Non-ASCII (already decoded by the query parser) is re-encoded for the header.
        assert_eq!(local_path("/tìm").as_deref(), Some("/t%C3%ACm"));
        for bad in [
            "",
            "systems",
            "//evil.com",
            "/\\evil.com",
            "/\\/evil.com",
            "/\t/evil.com",
            "/\n/evil.com",
            "/%09/evil.com",
            "/%0a/evil.com",
            "/%0D%0ALocation:x",
            "/%2509/evil.com",
            "/%252F/evil.com/..",
            "/%2F/evil.com",
            "/%5Cevil.com",
            "/x\u{7f}",
            "https://evil.com",
            "/%00",
        ] {
            assert_eq!(local_path(bad), None, "{bad:?}");
        }
    }
}
