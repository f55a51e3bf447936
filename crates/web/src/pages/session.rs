//! Sign-in (password, then TOTP when enabled), throttled per account and per address,
//! and sign-out.

use std::net::SocketAddr;

use axum::Form;
use axum::extract::{ConnectInfo, FromRequestParts, State};
use axum::http::HeaderMap;
use axum::http::StatusCode;
use axum::http::header::{LOCATION, USER_AGENT};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use khien_domain::time_fmt::to_rfc3339;
use serde::Deserialize;

use crate::auth::crypto::{dummy_verify, random_token, sha256_hex, totp_verify, verify_password};
use crate::auth::roles::AnyRole;
use crate::auth::{Auth, Identity, PRE_COOKIE, SESSION_COOKIE, Via, cookie, set_cookie};
use crate::error::{AppError, AppResult};
use crate::view::{Chrome, render};
use crate::{AppState, Metrics};

/// Failures allowed per account and per address within the window.
const MAX_FAILURES_PER_USER: i64 = 5;
const MAX_FAILURES_PER_IP: i64 = 30;
const WINDOW_SECS: i64 = 15 * 60;

pub struct ClientIp(pub String);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let ip = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip().to_string())
            .unwrap_or_else(|| "local".into());
        Ok(ClientIp(ip))
    }
}

#[derive(askama::Template)]
#[template(path = "login.html")]
struct LoginPage {
    c: Chrome,
    username: String,
    error: Option<String>,
}

#[derive(askama::Template)]
#[template(path = "totp.html")]
struct TotpPage {
    c: Chrome,
    error: Option<String>,
}

fn see_other(to: &str, headers: HeaderMap) -> Response {
    let mut headers = headers;
    if let Ok(v) = to.parse() {
        headers.insert(LOCATION, v);
    }
    (StatusCode::SEE_OTHER, headers).into_response()
}

pub async fn login_form(
    State(state): State<AppState>,
    mut c: Chrome,
    headers: HeaderMap,
) -> AppResult<Response> {
    let mut out = HeaderMap::new();
    if c.csrf.is_empty() || cookie(&headers, PRE_COOKIE).is_none() {
        c.csrf = random_token().map_err(AppError::Internal)?;
        set_cookie(
            &mut out,
            PRE_COOKIE,
            &c.csrf,
            3600,
            state.config.secure_cookies,
            true,
        );
    }
    Ok((
        out,
        render(&LoginPage {
            c,
            username: String::new(),
            error: None,
        })?,
    )
        .into_response())
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
}

async fn throttled(state: &AppState, keys: &[String]) -> AppResult<bool> {
    let user = state
        .store
        .login_failures_since(&keys[0], WINDOW_SECS)
        .await?;
    let ip = state
        .store
        .login_failures_since(&keys[1], WINDOW_SECS)
        .await?;
    Ok(user >= MAX_FAILURES_PER_USER || ip >= MAX_FAILURES_PER_IP)
}

async fn fail(state: &AppState, keys: &[String]) -> AppResult<()> {
    Metrics::inc(&state.metrics.login_failures);
    state.store.record_login_failure(keys).await?;
    Ok(())
}

pub async fn login(
    State(state): State<AppState>,
    c: Chrome,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    Form(f): Form<LoginForm>,
) -> AppResult<Response> {
    let username = f.username.trim().to_lowercase();
    let keys = [format!("user:{username}"), format!("ip:{ip}")];
    let refuse = |c: Chrome, key: &str| -> AppResult<Response> {
        let error = Some(c.t.s(key).to_string());
        Ok((
            StatusCode::UNAUTHORIZED,
            render(&LoginPage {
                c,
                username: f.username.clone(),
                error,
            })?,
        )
            .into_response())
    };
    if throttled(&state, &keys).await? {
        fail(&state, &keys).await?;
        return refuse(c, "login.throttled");
    }
    let creds = state.store.credentials(&username).await?;
    let ok = match &creds {
        Some(cr) => cr.user.active && verify_password(&f.password, &cr.password_hash),
        None => {
            dummy_verify(&f.password);
            false
        }
    };
    let Some(creds) = creds.filter(|_| ok) else {
        fail(&state, &keys).await?;
        return refuse(c, "login.failed");
    };
    state.store.clear_login_failures(&keys[0]).await?;
    let token = random_token().map_err(AppError::Internal)?;
    let csrf = random_token().map_err(AppError::Internal)?;
    let pending = creds.totp_secret.is_some();
    let expires = to_rfc3339(state.store.now() + state.config.session_idle);
    let ua = headers.get(USER_AGENT).and_then(|v| v.to_str().ok());
    state
        .store
        .create_session(
            &creds.user.id,
            &sha256_hex(&token),
            &csrf,
            pending,
            &expires,
            Some(&ip),
            ua,
        )
        .await?;
    let mut out = HeaderMap::new();
    let max_age = state.config.session_idle.whole_seconds();
    set_cookie(
        &mut out,
        SESSION_COOKIE,
        &token,
        max_age,
        state.config.secure_cookies,
        true,
    );
    set_cookie(
        &mut out,
        PRE_COOKIE,
        "",
        0,
        state.config.secure_cookies,
        true,
    );
    Ok(see_other(if pending { "/login/totp" } else { "/" }, out))
}

fn pending(identity: Option<&Identity>) -> Option<(&Identity, &str)> {
    match identity {
        Some(
            i @ Identity {
                via: Via::PendingTotp { id_hash, .. },
                ..
            },
        ) => Some((i, id_hash.as_str())),
        _ => None,
    }
}

pub async fn totp_form(c: Chrome, parts: axum::http::Extensions) -> AppResult<Response> {
    if pending(parts.get::<Identity>()).is_none() {
        return Ok(see_other("/login", HeaderMap::new()));
    }
    Ok(render(&TotpPage { c, error: None })?.into_response())
}

#[derive(Deserialize)]
pub struct TotpForm {
    #[serde(default)]
    code: String,
}

pub async fn totp_submit(
    State(state): State<AppState>,
    c: Chrome,
    ClientIp(ip): ClientIp,
    ext: axum::http::Extensions,
    Form(f): Form<TotpForm>,
) -> AppResult<Response> {
    let Some((identity, id_hash)) = pending(ext.get::<Identity>()) else {
        return Ok(see_other("/login", HeaderMap::new()));
    };
    let keys = [
        format!("user:{}", identity.principal.username),
        format!("ip:{ip}"),
    ];
    let secret = state
        .store
        .credentials(&identity.principal.username)
        .await?
        .and_then(|cr| cr.totp_secret);
    let now = state.store.now().unix_timestamp();
    let ok =
        !throttled(&state, &keys).await? && secret.is_some_and(|s| totp_verify(&s, &f.code, now));
    if !ok {
        fail(&state, &keys).await?;
        let error = Some(c.t.s("login.totp_failed").to_string());
        return Ok((StatusCode::UNAUTHORIZED, render(&TotpPage { c, error })?).into_response());
    }
    state.store.complete_totp(id_hash).await?;
    Ok(see_other("/", HeaderMap::new()))
}

pub async fn logout(State(state): State<AppState>, auth: Auth<AnyRole>) -> AppResult<Response> {
    if let Some(s) = &auth.session {
        state
            .store
            .end_session(&auth.principal.user_id, &s.id_hash)
            .await?;
    }
    let mut out = HeaderMap::new();
    set_cookie(
        &mut out,
        SESSION_COOKIE,
        "",
        0,
        state.config.secure_cookies,
        true,
    );
    Ok(see_other("/login", out))
}
