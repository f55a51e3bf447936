//! User administration (province administrators).

use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use khien_domain::users::UserInput;
use khien_domain::{FieldError, Role};
use khien_store::StoreError;
use khien_store::accounts::{NewUser, User};
use khien_store::units::Unit;
use serde::Deserialize;

use crate::AppState;
use crate::auth::Auth;
use crate::auth::crypto::hash_password_off_thread;
use crate::auth::roles::ProvinceAdmin;
use crate::error::{AppError, AppResult};
use crate::view::{Chrome, FormState, refusal_as_fields, render};

#[derive(askama::Template)]
#[template(path = "accounts/users.html")]
struct UsersPage {
    c: Chrome,
    users: Vec<User>,
    units: Vec<Unit>,
    roles: [Role; 6],
    form: UserForm,
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
    errors: Vec<FieldError>,
) -> AppResult<UsersPage> {
    let scoped = auth.scoped(state);
    let mut c = c;
    // The typed values are the form's own (never the password); messages go in `c.form`.
    c.form = FormState::refused("user", vec![], errors);
    Ok(UsersPage {
        c,
        users: scoped.users().await?,
        units: scoped.units(false).await?,
        roles: Role::ALL,
        form: UserForm {
            password: String::new(),
            ..form
        },
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
            Vec::new(),
        )
        .await?,
    )
}

pub async fn create(
    State(state): State<AppState>,
    auth: Auth<ProvinceAdmin>,
    c: Chrome,
    Form(f): Form<UserForm>,
) -> AppResult<Response> {
    let input = UserInput {
        username: f.username.clone(),
        display_name: f.display_name.clone(),
        email: f.email.clone(),
        role: f.role.clone(),
        password: f.password.clone(),
    };
    let problems = match input.validate() {
        Ok(fields) => {
            let new = NewUser {
                username: fields.username,
                display_name: fields.display_name,
                email: fields.email,
                password_hash: hash_password_off_thread(f.password.clone()).await?,
                role: fields.role,
                unit_id: f.unit_id.clone(),
            };
            match auth.scoped(&state).create_user(new).await {
                Ok(_) => return Ok(Redirect::to("/users").into_response()),
                Err(StoreError::NotFound) => vec![FieldError {
                    field: "unit_id",
                    key: "err.unit_scope",
                    detail: String::new(),
                }],
                Err(e) => refusal_as_fields(e, &[("err.username_taken", "username")])?,
            }
        }
        Err(inv) => inv.errors,
    };
    Ok((
        StatusCode::UNPROCESSABLE_ENTITY,
        render(&page(&state, &auth, c, f, problems).await?)?,
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
