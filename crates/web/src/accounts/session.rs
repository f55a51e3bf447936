//! Sign-in (password, then TOTP when enabled), throttled per account and per address,
//! and sign-out. Both factors count toward one lock, and the account's failures are
//! forgotten only once the sign-in is complete: a correct password alone does not reset
//! the count, so the six-digit code cannot be guessed in rounds of four.


use axum::Form;
use axum::extract::{FromRequestParts, State};
use axum::http::HeaderMap;
use axum::http::StatusCode;
use axum::http::header::{LOCATION, USER_AGENT};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use khien_domain::time_fmt::to_rfc3339;
use khien_domain::users::normalise_username;
use serde::Deserialize;

use crate::auth::crypto::{random_token, sha256_hex, totp_step, verify_password_off_thread};
use crate::auth::roles::AnyRole;
use crate::auth::{Auth, Identity, PRE_COOKIE, SESSION_COOKIE, Via, set_cookie};
use crate::error::{AppError, AppResult};
use crate::view::{Chrome, render};
use crate::{AppState, Metrics};

/// How long a sign-in may wait for its second factor before it has to start again.
const PENDING_TOTP_MINUTES: i64 = 10;

pub struct ClientIp(pub String);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let ip = parts
            .extensions
            .get::<crate::support::client_addr::ClientAddr>()
            .map(|c| c.0.clone())
            .unwrap_or_else(|| "local".into());
        Ok(ClientIp(ip))
    }
}

#[derive(askama::Template)]
#[template(path = "accounts/login.html")]
struct LoginPage {
    c: Chrome,
    username: String,
    error: Option<String>,
}

#[derive(askama::Template)]
#[template(path = "accounts/totp.html")]
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
    let out = c.with_pre_session_csrf(&state, &headers)?;
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

pub async fn login(
    State(state): State<AppState>,
    c: Chrome,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    Form(f): Form<LoginForm>,
) -> AppResult<Response> {
    let username = normalise_username(&f.username);
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
    let Some(attempt) = state.store.begin_sign_in(&username, &ip).await? else {
        return refuse(c, "login.throttled");
    };
    let creds = state.store.credentials(&username).await?;
    // One argon2 verification on every path (unknown and disabled accounts too), so the
    // answer's timing says nothing about which accounts exist or are enabled.
    let hash = creds.as_ref().map(|cr| cr.password_hash.clone());
    let password_ok = verify_password_off_thread(f.password.clone(), hash).await?;
    let Some(creds) = creds.filter(|cr| password_ok && cr.user.active) else {
        // The attempt stays counted: that is the failure.
        Metrics::inc(&state.metrics.login_failures);
        return refuse(c, "login.failed");
    };
    state.store.attempt_passed(attempt).await?;
    let pending = creds.totp_secret.is_some();
    if !pending {
        state.store.clear_sign_in_failures(&username).await?;
    }
    let token = random_token().map_err(AppError::Internal)?;
    let csrf = random_token().map_err(AppError::Internal)?;
    let lifetime = if pending {
        time::Duration::minutes(PENDING_TOTP_MINUTES)
    } else {
        state.config.session_idle
    };
    let expires = to_rfc3339(state.store.now() + lifetime);
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
    let p = &identity.principal;
    let Some(attempt) = state.store.begin_sign_in(&p.username, &ip).await? else {
        // Locked: this half-done sign-in ends, and a new one is locked too until the
        // window has passed.
        state.store.discard_pending_session(id_hash).await?;
        let mut out = HeaderMap::new();
        set_cookie(
            &mut out,
            SESSION_COOKIE,
            "",
            0,
            state.config.secure_cookies,
            true,
        );
        let error = Some(c.t.s("login.throttled").to_string());
        let page = LoginPage {
            c,
            username: p.username.clone(),
            error,
        };
        return Ok((StatusCode::UNAUTHORIZED, out, render(&page)?).into_response());
    };
    let secret = state
        .store
        .credentials(&p.username)
        .await?
        .and_then(|cr| cr.totp_secret);
    let now = state.store.now();
    let step = secret.and_then(|s| totp_step(&s, &f.code, now.unix_timestamp()));
    let expires = to_rfc3339(now + state.config.session_idle);
    let completed = match step {
        Some(step) => {
            state
                .store
                .complete_totp(&p.user_id, id_hash, step, &expires)
                .await?
        }
        None => false,
    };
    if !completed {
        // A wrong code, or a right one already used: the attempt stays counted.
        Metrics::inc(&state.metrics.login_failures);
        let error = Some(c.t.s("login.totp_failed").to_string());
        return Ok((StatusCode::UNAUTHORIZED, render(&TotpPage { c, error })?).into_response());
    }
    state.store.attempt_passed(attempt).await?;
    state.store.clear_sign_in_failures(&p.username).await?;
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
