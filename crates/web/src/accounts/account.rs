//! The signed-in user's own account: password, sessions, second factor, API tokens.

use axum::Form;
use axum::extract::{Path, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use khien_domain::users::{TOKEN_DAYS_DEFAULT, TokenScope, password_problem, token_days};
use khien_store::StoreError;
use khien_store::accounts::{ApiToken, NewApiToken, SessionInfo};
use serde::Deserialize;

use super::session::ClientIp;
use crate::AppState;
use crate::auth::Auth;
use crate::auth::crypto::{
    hash_password_off_thread, new_totp_secret, otpauth_uri, random_token, sha256_hex, totp_step,
    verify_password_off_thread,
};
use crate::auth::roles::AnyRole;
use crate::error::{AppError, AppResult};
use crate::view::{Chrome, render};

/// Lifetimes offered when creating a token, in days.
const TOKEN_DAYS_CHOICES: [i64; 4] = [30, 90, 180, 365];

#[derive(askama::Template)]
#[template(path = "accounts/account.html")]
struct AccountPage {
    c: Chrome,
    username: String,
    sessions: Vec<SessionInfo>,
    current_session: String,
    tokens: Vec<ApiToken>,
    now: String,
    scopes: [TokenScope; 4],
    day_choices: [i64; 4],
    default_days: i64,
    totp_enabled: bool,
    /// The secret proposed for enrolment, grouped for typing by hand.
    totp_secret: String,
    /// The same secret as an `otpauth://` QR code (inline SVG made here, no user text).
    totp_qr: String,
    new_token: Option<String>,
    message: Option<String>,
    error: Option<String>,
}

/// The otpauth URI drawn as an inline SVG QR code.
fn qr_svg(uri: &str) -> AppResult<String> {
    let code =
        qrcode::QrCode::new(uri.as_bytes()).map_err(|e| AppError::Internal(e.to_string()))?;
    let svg = code
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(200, 200)
        .quiet_zone(true)
        .build();
    // Inline in HTML the XML prologue is noise; keep from `<svg` on, labelled for
    // screen readers.
    let start = svg.find("<svg").unwrap_or(0);
    Ok(svg[start..].replacen(
        "<svg ",
        "<svg role=\"img\" aria-label=\"QR\" id=\"totp-qr\" ",
        1,
    ))
}

async fn account_page(
    state: &AppState,
    auth: &Auth<AnyRole>,
    c: Chrome,
    message: Option<String>,
    error: Option<String>,
    new_token: Option<String>,
) -> AppResult<Html<String>> {
    let p = &auth.principal;
    let creds = state
        .store
        .credentials(&p.username)
        .await?
        .ok_or(AppError::NotFound)?;
    let totp_enabled = creds.totp_secret.is_some();
    // The server proposes the secret and keeps it with this session until a code
    // confirms it; the page only shows it.
    let (totp_secret, totp_qr) = match (&auth.session, totp_enabled) {
        (Some(s), false) => {
            let fresh = new_totp_secret().map_err(AppError::Internal)?;
            let secret = state.store.totp_enrolment(&s.id_hash, &fresh).await?;
            let qr = qr_svg(&otpauth_uri("Khiên", &p.username, &secret))?;
            let grouped = secret
                .as_bytes()
                .chunks(4)
                .map(|g| String::from_utf8_lossy(g).into_owned())
                .collect::<Vec<_>>()
                .join(" ");
            (grouped, qr)
        }
        _ => (String::new(), String::new()),
    };
    render(&AccountPage {
        username: p.username.clone(),
        sessions: state.store.sessions_of(&p.user_id).await?,
        current_session: auth
            .session
            .as_ref()
            .map(|s| s.id_hash.clone())
            .unwrap_or_default(),
        tokens: state.store.api_tokens_of(&p.user_id).await?,
        now: state.store.now_text(),
        scopes: TokenScope::ALL,
        day_choices: TOKEN_DAYS_CHOICES,
        default_days: TOKEN_DAYS_DEFAULT,
        totp_enabled,
        totp_secret,
        totp_qr,
        new_token,
        message,
        error,
        c,
    })
}

/// The account page again, with the problem shown and a 400 status.
async fn refuse(
    state: &AppState,
    auth: &Auth<AnyRole>,
    c: Chrome,
    key: &str,
) -> AppResult<Response> {
    let msg = c.t.s(key).to_string();
    Ok((
        axum::http::StatusCode::BAD_REQUEST,
        account_page(state, auth, c, None, Some(msg), None).await?,
    )
        .into_response())
}

/// Asks for the password again before a sensitive change. Counted like a sign-in, so a
/// session left open on someone's desk cannot be used to guess the password. `Err`
/// carries the catalogue key to show.
async fn confirm_password(
    state: &AppState,
    auth: &Auth<AnyRole>,
    ip: &str,
    password: &str,
) -> AppResult<Result<(), &'static str>> {
    let username = &auth.principal.username;
    let Some(attempt) = state.store.begin_sign_in(username, ip).await? else {
        return Ok(Err("login.throttled"));
    };
    let hash = state
        .store
        .credentials(username)
        .await?
        .map(|cr| cr.password_hash);
    if !verify_password_off_thread(password.to_string(), hash).await? {
        return Ok(Err("account.wrong_password"));
    }
    state.store.attempt_passed(attempt).await?;
    Ok(Ok(()))
}

pub async fn page(
    State(state): State<AppState>,
    auth: Auth<AnyRole>,
    c: Chrome,
) -> AppResult<Html<String>> {
    account_page(&state, &auth, c, None, None, None).await
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    current: String,
    #[serde(default)]
    new: String,
    #[serde(default)]
    confirm: String,
}

pub async fn change_password(
    State(state): State<AppState>,
    auth: Auth<AnyRole>,
    c: Chrome,
    ClientIp(ip): ClientIp,
    Form(f): Form<PasswordForm>,
) -> AppResult<Response> {
    let problem = if let Err(key) = confirm_password(&state, &auth, &ip, &f.current).await? {
        Some(key)
    } else if f.new != f.confirm {
        Some("account.mismatch")
    } else {
        password_problem(&f.new, &auth.principal.username)
    };
    if let Some(key) = problem {
        return refuse(&state, &auth, c, key).await;
    }
    let hash = hash_password_off_thread(f.new).await?;
    let keep = auth.session.as_ref().map(|s| s.id_hash.as_str());
    state
        .store
        .set_password(&auth.principal.user_id, &hash, keep)
        .await?;
    let msg = c.t.s("account.password_changed_all").to_string();
    Ok(account_page(&state, &auth, c, Some(msg), None, None)
        .await?
        .into_response())
}

pub async fn revoke_session(
    State(state): State<AppState>,
    auth: Auth<AnyRole>,
    Path(id): Path<String>,
) -> AppResult<Redirect> {
    if !state
        .store
        .end_session(&auth.principal.user_id, &id)
        .await?
    {
        return Err(AppError::NotFound);
    }
    Ok(Redirect::to("/account"))
}

#[derive(Deserialize)]
pub struct TotpEnable {
    #[serde(default)]
    code: String,
}

/// Enrols a second factor: one valid code proves the authenticator holds the secret
/// this session was shown. That code's time step is spent, so it cannot sign in later.
pub async fn enable_totp(
    State(state): State<AppState>,
    auth: Auth<AnyRole>,
    c: Chrome,
    Form(f): Form<TotpEnable>,
) -> AppResult<Response> {
    let secret = match &auth.session {
        Some(s) => state.store.pending_totp_secret(&s.id_hash).await?,
        None => None,
    };
    let now = state.store.now().unix_timestamp();
    let Some((secret, step)) =
        secret.and_then(|s| totp_step(&s, &f.code, now).map(|step| (s, step)))
    else {
        return refuse(&state, &auth, c, "account.totp_bad_code").await;
    };
    match state
        .store
        .enable_totp(&auth.principal.user_id, &secret, step)
        .await
    {
        Ok(()) => {}
        // Already on (another tab confirmed first): the page says so.
        Err(StoreError::Conflict(_)) => return Ok(Redirect::to("/account").into_response()),
        Err(e) => return Err(e.into()),
    }
    let msg = c.t.s("account.totp_enabled").to_string();
    Ok(account_page(&state, &auth, c, Some(msg), None, None)
        .await?
        .into_response())
}

#[derive(Deserialize)]
pub struct ConfirmPassword {
    #[serde(default)]
    password: String,
}

pub async fn disable_totp(
    State(state): State<AppState>,
    auth: Auth<AnyRole>,
    c: Chrome,
    ClientIp(ip): ClientIp,
    Form(f): Form<ConfirmPassword>,
) -> AppResult<Response> {
    if let Err(key) = confirm_password(&state, &auth, &ip, &f.password).await? {
        return refuse(&state, &auth, c, key).await;
    }
    state.store.disable_totp(&auth.principal.user_id).await?;
    Ok(Redirect::to("/account").into_response())
}

#[derive(Deserialize)]
pub struct TokenForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    scope: String,
    #[serde(default)]
    days: String,
}

/// Creates an API token; its value is shown once and only its hash is stored.
pub async fn create_token(
    State(state): State<AppState>,
    auth: Auth<AnyRole>,
    c: Chrome,
    Form(f): Form<TokenForm>,
) -> AppResult<Response> {
    let name = f.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return refuse(&state, &auth, c, "account.token_name").await;
    }
    // Left out, a token gets the least power: reading.
    let scope = match f.scope.trim() {
        "" => Some(TokenScope::Read),
        s => TokenScope::parse(s),
    };
    let Some(scope) = scope else {
        return refuse(&state, &auth, c, "account.token_scope").await;
    };
    let days = match token_days(&f.days) {
        Ok(d) => d,
        Err(key) => return refuse(&state, &auth, c, key).await,
    };
    let token = format!("khien_{}", random_token().map_err(AppError::Internal)?);
    state
        .store
        .create_api_token(
            &auth.principal.user_id,
            &NewApiToken {
                name: name.to_string(),
                token_hash: sha256_hex(&token),
                scope,
                days,
            },
        )
        .await?;
    Ok(account_page(&state, &auth, c, None, None, Some(token))
        .await?
        .into_response())
}

pub async fn revoke_token(
    State(state): State<AppState>,
    auth: Auth<AnyRole>,
    Path(id): Path<String>,
) -> AppResult<Redirect> {
    if !state
        .store
        .revoke_api_token(&auth.principal.user_id, &id)
        .await?
    {
        return Err(AppError::NotFound);
    }
    Ok(Redirect::to("/account"))
}
