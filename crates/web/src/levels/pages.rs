//! Level determination on the system page: the wizard asks what the inventory does not
//! know, shows the proposed level with every criterion that fired, who appraises and who
//! approves, and starts a dossier from it.

use axum::extract::{Path, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use khien_domain::dossiers::DossierStatus;
use khien_levels::{LevelInput, RoleNames, all_regimes, classify};
use khien_store::dossiers::Dossier;
use khien_store::levels::Assessment;
use khien_store::systems::System;

use crate::AppState;
use crate::auth::Auth;
use crate::auth::roles::{AnyRole, SystemEditor};
use crate::error::{AppError, AppResult};
use crate::i18n::{Lang, T};
use crate::view::{Chrome, render};

/// Display name of a legal party (appraiser, approver) in the user's language; the
/// names are configuration (`data/regimes/roles.toml`), since ministries get renamed.
pub fn party_name(names: &RoleNames, t: &T, role: &str) -> String {
    let Ok(r) =
        serde_json::from_value::<khien_levels::Role>(serde_json::Value::String(role.to_string()))
    else {
        return role.to_string();
    };
    match t.lang {
        Lang::Vi => names.vi(r).to_string(),
        Lang::En => names.en(r).to_string(),
    }
}

#[derive(askama::Template)]
#[template(path = "levels/system_level.html")]
struct LevelPage {
    c: Chrome,
    s: System,
    regimes: Vec<(String, String)>,
    answers: LevelInput,
    regime: String,
    assessment: Option<Assessment>,
    dossiers: Vec<Dossier>,
    redetermine: bool,
    names: std::sync::Arc<RoleNames>,
    people: crate::view::People,
}

impl LevelPage {
    fn party(&self, role: &str) -> String {
        party_name(&self.names, &self.c.t, role)
    }
    fn harm_is(&self, v: &str) -> bool {
        same_code(&self.answers.defence_security_harm, v)
    }
    fn scope_is(&self, v: &str) -> bool {
        same_code(&self.answers.infrastructure_scope, v)
    }
    fn grade_is(&self, v: &str) -> bool {
        same_code(&self.answers.industrial_works_grade, v)
    }
    fn open_dossier(&self) -> Option<&Dossier> {
        self.dossiers
            .iter()
            .find(|d| !d.superseded && d.status != DossierStatus::Approved)
    }
}

/// Whether an engine enum serialises to the code `v` (the form's option value).
fn same_code<E: serde::Serialize>(e: &E, v: &str) -> bool {
    serde_json::to_value(e)
        .ok()
        .is_some_and(|x| x.as_str() == Some(v))
}

fn regimes() -> Vec<(String, String)> {
    all_regimes()
        .map(|rs| rs.iter().map(|r| (r.id.clone(), r.title.clone())).collect())
        .unwrap_or_default()
}

fn default_regime(state: &AppState) -> String {
    khien_levels::regime_in_force(state.store.now().date())
        .ok()
        .flatten()
        .map(|r| r.id.clone())
        .unwrap_or_else(|| "nd331-2026".into())
}

async fn page(
    state: &AppState,
    auth_scoped: khien_store::Scoped<'_>,
    c: Chrome,
    id: &str,
) -> AppResult<LevelPage> {
    let s = auth_scoped.system(id).await?;
    let assessment = auth_scoped.latest_assessment(id).await?;
    let dossiers = auth_scoped.dossiers_of(id).await?;
    let approved = dossiers
        .iter()
        .find(|d| d.status == DossierStatus::Approved && !d.superseded);
    let redetermine = match approved {
        Some(d) => auth_scoped
            .assessment(&d.assessment_id)
            .await
            .map(|a| khien_domain::levels::classification_changed(&a.input, &s.fields))
            .unwrap_or(false),
        None => false,
    };
    // The form starts from the last answers given, or the regime in force today.
    let (regime, answers) = match &assessment {
        Some(a) => (a.regime.clone(), a.input.clone()),
        None => (default_regime(state), LevelInput::default()),
    };
    let creators: Vec<&str> = assessment.iter().map(|a| a.created_by.as_str()).collect();
    let people = crate::view::People::of(&auth_scoped, &creators).await?;
    Ok(LevelPage {
        people,
        c,
        s,
        regimes: regimes(),
        answers,
        regime,
        assessment,
        dossiers,
        redetermine,
        names: state.config.authority_names.clone(),
    })
}

pub async fn wizard(
    State(state): State<AppState>,
    auth: Auth<AnyRole>,
    c: Chrome,
    Path(id): Path<String>,
) -> AppResult<Html<String>> {
    render(&page(&state, auth.scoped(&state), c, &id).await?)
}

/// Reads the wizard's answers. Checkboxes and selects arrive as text; an unknown value
/// is refused by the engine's own deserialiser (`deny_unknown_fields`, closed enums).
fn answers_from_form(body: &str) -> Result<(String, LevelInput), String> {
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_str(body).map_err(|e| e.to_string())?;
    let mut obj = serde_json::Map::new();
    let mut regime = String::new();
    for (k, v) in pairs {
        let value = match k.as_str() {
            "regime" => {
                regime = v;
                continue;
            }
            "online_public_service_level" => serde_json::json!(
                v.parse::<u8>()
                    .map_err(|_| "online_public_service_level".to_string())?
            ),
            "conditional_business_service"
            | "national_egovernment"
            | "national_important_data_store" => serde_json::json!(v == "1"),
            "defence_security_harm" | "infrastructure_scope" | "industrial_works_grade" => {
                serde_json::json!(v)
            }
            _ => continue,
        };
        obj.insert(k, value);
    }
    let input: LevelInput =
        serde_json::from_value(serde_json::Value::Object(obj)).map_err(|e| e.to_string())?;
    Ok((regime, input))
}

pub async fn determine(
    State(state): State<AppState>,
    auth: Auth<SystemEditor>,
    Path(id): Path<String>,
    body: String,
) -> AppResult<Response> {
    let scoped = auth.scoped(&state);
    let s = scoped.system(&id).await?;
    let (regime, answers) = match answers_from_form(&body) {
        Ok(a) => a,
        Err(_) => return Err(AppError::BadRequest("level.err_input")),
    };
    if !regimes().iter().any(|(r, _)| *r == regime) {
        return Err(AppError::BadRequest("level.err_input"));
    }
    let input = khien_domain::levels::level_input(&regime, &s.fields, &answers);
    let d = classify(&input).map_err(|_| AppError::BadRequest("level.err_input"))?;
    scoped.record_assessment(&id, &input, &d).await?;
    Ok(Redirect::to(&format!("/systems/{id}/level")).into_response())
}

pub async fn new_dossier(
    State(state): State<AppState>,
    auth: Auth<SystemEditor>,
    Path(id): Path<String>,
) -> AppResult<Redirect> {
    let scoped = auth.scoped(&state);
    let a = scoped
        .latest_assessment(&id)
        .await?
        .ok_or(AppError::BadRequest("level.err_no_assessment"))?;
    let d = scoped.create_dossier(&a.id).await?;
    Ok(Redirect::to(&format!("/dossiers/{}", d.id)))
}
