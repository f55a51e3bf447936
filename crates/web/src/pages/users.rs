//! User administration (province administrators).

use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use khien_domain::Role;
use khien_store::StoreError;
use khien_store::accounts::{NewUser, User};
use khien_store::units::Unit;
use serde::Deserialize;

use crate::AppState;
use crate::auth::Auth;
use crate::auth::crypto::{hash_password, password_acceptable};
use crate::auth::roles::ProvinceAdmin;
use crate::error::{AppError, AppResult};
use crate::view::{Chrome, render};

#[derive(askama::Template)]
#[template(path = "users.html")]
struct UsersPage {
    c: Chrome,
    users: Vec<User>,
    units: Vec<Unit>,
    roles: [Role; 6],
    form: UserForm,
    error: Option<String>,
}

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct UserForm {
    username: String,
    display_name: String,
    email: String,
    role: String,
    unit_id: String,
    password: String,
}

async fn page(
    state: &AppState,
    auth: &Auth<ProvinceAdmin>,
    c: Chrome,
    form: UserForm,
    error: Option<String>,
) -> AppResult<UsersPage> {
    let scoped = auth.scoped(state);
    Ok(UsersPage {
        c,
        users: scoped.users().await?,
        units: scoped.units(false).await?,
        roles: Role::ALL,
        form: UserForm {
            password: String::new(),
            ..form
        },
        error,
    })
}

pub async fn list(
    State(state): State<AppState>,
    auth: Auth<ProvinceAdmin>,
    c: Chrome,
) -> AppResult<Html<String>> {
    render(
        &page(
            &state,
            &auth,
            c,
            UserForm {
                role: "unit_staff".into(),
                ..Default::default()
            },
            None,
        )
        .await?,
    )
}

/// A username: 3–40 characters of a–z, 0–9, `.`, `_`, `-`.
pub fn valid_username(u: &str) -> bool {
    (3..=40).contains(&u.len())
        && u.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'))
}

pub async fn create(
    State(state): State<AppState>,
    auth: Auth<ProvinceAdmin>,
    c: Chrome,
    Form(f): Form<UserForm>,
) -> AppResult<Response> {
    let username = f.username.trim().to_lowercase();
    let role = Role::parse(&f.role);
    let problem = if !valid_username(&username) {
        Some("users.bad_username")
    } else if f.display_name.trim().is_empty() || f.display_name.chars().count() > 120 {
        Some("users.bad_name")
    } else if role.is_none() {
        Some("err.choice")
    } else if !password_acceptable(&f.password) {
        Some("account.weak_password")
    } else {
        None
    };
    let outcome = match (problem, role) {
        (None, Some(role)) => {
            let hash = hash_password(&f.password).map_err(AppError::Internal)?;
            let email = Some(f.email.trim().to_string()).filter(|e| !e.is_empty());
            let new = NewUser {
                username,
                display_name: f.display_name.trim().to_string(),
                email,
                password_hash: hash,
                role,
                unit_id: f.unit_id.clone(),
            };
            match auth.scoped(&state).create_user(new).await {
                Ok(_) => return Ok(Redirect::to("/users").into_response()),
                Err(StoreError::Conflict(k)) => k,
                Err(StoreError::NotFound) => "err.unit_scope",
                Err(e) => return Err(e.into()),
            }
        }
        _ => problem.unwrap_or("err.invalid"),
    };
    let msg = c.t.s(outcome).to_string();
    Ok((
        StatusCode::UNPROCESSABLE_ENTITY,
        render(&page(&state, &auth, c, f, Some(msg)).await?)?,
    )
        .into_response())
}

#[derive(Deserialize)]
pub struct ActiveForm {
    #[serde(default)]
    active: String,
}

pub async fn set_active(
    State(state): State<AppState>,
    auth: Auth<ProvinceAdmin>,
    Path(id): Path<String>,
    Form(f): Form<ActiveForm>,
) -> AppResult<Redirect> {
    if id == auth.principal.user_id {
        return Err(AppError::BadRequest("users.self_disable"));
    }
    auth.scoped(&state)
        .set_user_active(&id, f.active == "1")
        .await?;
    Ok(Redirect::to("/users"))
}
