//! The signed-in user's own account: password, sessions, second factor, API tokens.

use axum::Form;
use axum::extract::{Path, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use khien_store::accounts::{ApiToken, SessionInfo};
use serde::Deserialize;

use crate::AppState;
use crate::auth::Auth;
use crate::auth::crypto::{
    hash_password, new_totp_secret, password_acceptable, random_token, sha256_hex, totp_verify,
    verify_password,
};
use crate::auth::roles::AnyRole;
use crate::error::{AppError, AppResult};
use crate::view::{Chrome, render};

#[derive(askama::Template)]
#[template(path = "account.html")]
struct AccountPage {
    c: Chrome,
    username: String,
    sessions: Vec<SessionInfo>,
    current_session: String,
    tokens: Vec<ApiToken>,
    totp_enabled: bool,
    /// A freshly proposed secret for enrolment (shown once, confirmed with a code).
    totp_secret: String,
    new_token: Option<String>,
    message: Option<String>,
    error: Option<String>,
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
    let totp_secret = if creds.totp_secret.is_some() {
        String::new()
    } else {
        new_totp_secret().map_err(AppError::Internal)?
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
        totp_enabled: creds.totp_secret.is_some(),
        totp_secret,
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
    Form(f): Form<PasswordForm>,
) -> AppResult<Response> {
    let creds = state
        .store
        .credentials(&auth.principal.username)
        .await?
        .ok_or(AppError::NotFound)?;
    let problem = if !verify_password(&f.current, &creds.password_hash) {
        Some("account.wrong_password")
    } else if f.new != f.confirm {
        Some("account.mismatch")
    } else if !password_acceptable(&f.new) {
        Some("account.weak_password")
    } else {
        None
    };
    if let Some(key) = problem {
        return refuse(&state, &auth, c, key).await;
    }
    let hash = hash_password(&f.new).map_err(AppError::Internal)?;
    let keep = auth.session.as_ref().map(|s| s.id_hash.as_str());
    state
        .store
        .set_password(&auth.principal.user_id, &hash, keep)
        .await?;
    let msg = c.t.s("account.password_changed").to_string();
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
    secret: String,
    #[serde(default)]
    code: String,
}

/// Enrols a second factor: the user proves their authenticator has the secret.
pub async fn enable_totp(
    State(state): State<AppState>,
    auth: Auth<AnyRole>,
    c: Chrome,
    Form(f): Form<TotpEnable>,
) -> AppResult<Response> {
    let now = state.store.now().unix_timestamp();
    if f.secret.len() < 16 || !totp_verify(&f.secret, &f.code, now) {
        return refuse(&state, &auth, c, "account.totp_bad_code").await;
    }
    state
        .store
        .set_totp(&auth.principal.user_id, Some(f.secret.trim()))
        .await?;
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
    Form(f): Form<ConfirmPassword>,
) -> AppResult<Response> {
    let creds = state
        .store
        .credentials(&auth.principal.username)
        .await?
        .ok_or(AppError::NotFound)?;
    if !verify_password(&f.password, &creds.password_hash) {
        return refuse(&state, &auth, c, "account.wrong_password").await;
    }
    state.store.set_totp(&auth.principal.user_id, None).await?;
    Ok(Redirect::to("/account").into_response())
}

#[derive(Deserialize)]
pub struct TokenForm {
    #[serde(default)]
    name: String,
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
    let token = format!("khien_{}", random_token().map_err(AppError::Internal)?);
    state
        .store
        .create_api_token(&auth.principal.user_id, name, &sha256_hex(&token))
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
