//! The unit tree: browse, create, edit, move, deactivate.

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use khien_domain::FieldError;
use khien_domain::units::{UnitInput, UnitKind};
use khien_store::StoreError;
use khien_store::audit::AuditEntry;
use khien_store::units::Unit;
use serde::Deserialize;

use crate::AppState;
use crate::auth::Auth;
use crate::auth::roles::{AnyRole, ProvinceAdmin, UnitEditor};
use crate::error::{AppError, AppResult};
use crate::view::{Chrome, FormState, refusal_as_fields, render, render_refused};

#[derive(askama::Template)]
#[template(path = "units/units_tree.html")]
struct TreePage {
    c: Chrome,
    units: Vec<Unit>,
    show_inactive: bool,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct TreeQuery {
    inactive: String,
}

pub async fn tree(
    State(state): State<AppState>,
    auth: Auth<AnyRole>,
    c: Chrome,
    Query(q): Query<TreeQuery>,
) -> AppResult<Html<String>> {
    let show_inactive = q.inactive == "1";
    let units = auth.scoped(&state).units(show_inactive).await?;
    render(&TreePage {
        c,
        units,
        show_inactive,
    })
}

#[derive(askama::Template)]
#[template(path = "units/unit_detail.html")]
struct DetailPage {
    c: Chrome,
    unit: Unit,
    parent: Option<Unit>,
    children: Vec<Unit>,
    /// Possible new parents (for the move form; province admins only).
    move_targets: Vec<Unit>,
    history: Vec<AuditEntry>,
    people: crate::view::People,
    error: Option<String>,
}

async fn detail_page(
    state: &AppState,
    auth: &Auth<AnyRole>,
    c: Chrome,
    id: &str,
    error: Option<String>,
) -> AppResult<DetailPage> {
    let scoped = auth.scoped(state);
    let unit = scoped.unit(id).await?;
    let all = scoped.units(true).await?;
    let parent = match &unit.parent_id {
        Some(p) => all.iter().find(|u| &u.id == p).cloned(),
        None => None,
    };
    let children = all
        .iter()
        .filter(|u| u.parent_id.as_deref() == Some(id))
        .cloned()
        .collect();
    let move_targets = if c.is_admin() {
        all.iter()
            .filter(|u| !u.path.starts_with(&unit.path) && u.active)
            .cloned()
            .collect()
    } else {
        Vec::new()
    };
    let history = scoped.history("unit", id).await?;
    let names: Vec<&str> = history.iter().map(|h| h.actor_name.as_str()).collect();
    let people = crate::view::People::of(&scoped, &names).await?;
    Ok(DetailPage {
        c,
        unit,
        parent,
        children,
        move_targets,
        history,
        people,
        error,
    })
}

pub async fn detail(
    State(state): State<AppState>,
    auth: Auth<AnyRole>,
    c: Chrome,
    Path(id): Path<String>,
) -> AppResult<Html<String>> {
    render(&detail_page(&state, &auth, c, &id, None).await?)
}

#[derive(askama::Template)]
#[template(path = "units/unit_form.html")]
struct FormPage {
    c: Chrome,
    /// `None` when creating.
    unit_id: Option<String>,
    parent_id: String,
    parents: Vec<Unit>,
    input: UnitInput,
    kinds: Vec<&'static str>,
}

fn kinds(auth_is_admin: bool) -> Vec<&'static str> {
    UnitKind::ALL
        .iter()
        .filter(|k| auth_is_admin || **k != UnitKind::Province)
        .map(|k| k.as_str())
        .collect()
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct NewQuery {
    parent: String,
}

pub async fn new_form(
    State(state): State<AppState>,
    auth: Auth<UnitEditor>,
    c: Chrome,
    Query(q): Query<NewQuery>,
) -> AppResult<Html<String>> {
    let parents = auth.scoped(&state).units(false).await?;
    let input = UnitInput {
        kind: "department".into(),
        ..Default::default()
    };
    let kinds = kinds(c.is_admin());
    render(&FormPage {
        c,
        unit_id: None,
        parent_id: q.parent,
        parents,
        input,
        kinds,
    })
}

#[derive(Deserialize, Default)]
pub struct UnitForm {
    #[serde(default)]
    parent_id: String,
    #[serde(flatten)]
    input: UnitInput,
}

async fn form_error(
    state: &AppState,
    auth: &Auth<UnitEditor>,
    c: Chrome,
    unit_id: Option<String>,
    form: UnitForm,
    errors: Vec<FieldError>,
) -> AppResult<Response> {
    let parents = auth.scoped(state).units(false).await?;
    let kinds = kinds(c.is_admin());
    let mut c = c;
    // The typed values are the form's own input; only the messages travel in `c.form`.
    c.form = FormState::refused("unit", vec![], errors);
    render_refused(&FormPage {
        c,
        unit_id,
        parent_id: form.parent_id,
        parents,
        input: form.input,
        kinds,
    })
}

fn conflict_as_field(e: StoreError) -> Result<Vec<FieldError>, AppError> {
    refusal_as_fields(e, &[("err.unit_code_taken", "code")])
}

pub async fn create(
    State(state): State<AppState>,
    auth: Auth<UnitEditor>,
    c: Chrome,
    Form(form): Form<UnitForm>,
) -> AppResult<Response> {
    let fields = match form.input.validate() {
        Ok(f) => f,
        Err(inv) => return form_error(&state, &auth, c, None, form, inv.errors).await,
    };
    if fields.kind == UnitKind::Province && !c.is_admin() {
        return Err(AppError::Forbidden);
    }
    let parent = Some(form.parent_id.as_str()).filter(|p| !p.is_empty());
    if parent.is_none() {
        return form_error(
            &state,
            &auth,
            c,
            None,
            form,
            vec![FieldError {
                field: "parent_id",
                key: "err.required",
                detail: String::new(),
            }],
        )
        .await;
    }
    match auth.scoped(&state).create_unit(parent, &fields).await {
        Ok(u) => Ok(Redirect::to(&format!("/units/{}", u.id)).into_response()),
        Err(StoreError::NotFound) => Err(AppError::NotFound),
        Err(e) => {
            let errors = conflict_as_field(e)?;
            form_error(&state, &auth, c, None, form, errors).await
        }
    }
}

pub async fn edit_form(
    State(state): State<AppState>,
    auth: Auth<UnitEditor>,
    c: Chrome,
    Path(id): Path<String>,
) -> AppResult<Html<String>> {
    let scoped = auth.scoped(&state);
    let unit = scoped.unit(&id).await?;
    let input = UnitInput::from(&unit.fields);
    let kinds = kinds(c.is_admin() || unit.fields.kind == UnitKind::Province);
    render(&FormPage {
        c,
        unit_id: Some(unit.id),
        parent_id: unit.parent_id.unwrap_or_default(),
        parents: vec![],
        input,
        kinds,
    })
}

pub async fn update(
    State(state): State<AppState>,
    auth: Auth<UnitEditor>,
    c: Chrome,
    Path(id): Path<String>,
    Form(form): Form<UnitForm>,
) -> AppResult<Response> {
    let scoped = auth.scoped(&state);
    let before = scoped.unit(&id).await?;
    let fields = match form.input.validate() {
        Ok(f) => f,
        Err(inv) => return form_error(&state, &auth, c, Some(id), form, inv.errors).await,
    };
    if fields.kind == UnitKind::Province && before.fields.kind != UnitKind::Province {
        return Err(AppError::Forbidden);
    }
    match scoped.update_unit(&id, &fields).await {
        Ok(_) => Ok(Redirect::to(&format!("/units/{id}")).into_response()),
        Err(StoreError::NotFound) => Err(AppError::NotFound),
        Err(e) => {
            let errors = conflict_as_field(e)?;
            form_error(&state, &auth, c, Some(id), form, errors).await
        }
    }
}

#[derive(Deserialize)]
pub struct MoveForm {
    #[serde(default)]
    parent_id: String,
}

pub async fn move_unit(
    State(state): State<AppState>,
    auth: Auth<ProvinceAdmin>,
    Path(id): Path<String>,
    Form(f): Form<MoveForm>,
) -> AppResult<Redirect> {
    auth.scoped(&state).move_unit(&id, &f.parent_id).await?;
    Ok(Redirect::to(&format!("/units/{id}")))
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
    auth.scoped(&state)
        .set_unit_active(&id, f.active == "1")
        .await?;
    Ok(Redirect::to(&format!("/units/{id}")))
}
