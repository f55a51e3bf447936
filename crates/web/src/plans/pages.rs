//! The security plan of a system: the requirement checklist for its level, statuses,
//! evidence with validity dates, inheritance from the host, the gap list and the
//! go-live exception.

use axum::extract::{Multipart, Path, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use khien_domain::plans::ReqStatus;
use khien_store::plans::{Plan, RequirementUpdate};
use khien_store::systems::System;

use crate::AppState;
use crate::auth::Auth;
use crate::auth::roles::{AnyRole, ProvinceAdmin, SystemEditor};
use crate::error::AppResult;
use crate::view::{Chrome, render};

#[derive(askama::Template)]
#[template(path = "plans/plan.html")]
struct PlanPage {
    c: Chrome,
    s: System,
    plan: Option<Plan>,
    blockers: Vec<&'static str>,
    statuses: [ReqStatus; 4],
    today: String,
}

impl PlanPage {
    fn percent(&self) -> String {
        self.plan
            .as_ref()
            .map(|p| format!("{:.0}", p.progress.percent()))
            .unwrap_or_default()
    }
    fn expired(&self, expiry: &Option<String>) -> bool {
        expiry.as_deref().is_some_and(|e| e < self.today.as_str())
    }
}

pub async fn page(
    State(state): State<AppState>,
    auth: Auth<AnyRole>,
    c: Chrome,
    Path(id): Path<String>,
) -> AppResult<Html<String>> {
    let scoped = auth.scoped(&state);
    let s = scoped.system(&id).await?;
    let plan = scoped.plan(&id).await?;
    let blockers = scoped.go_live_blockers(&id).await?;
    let today = khien_domain::time_fmt::iso_date(
        state
            .store
            .now()
            .to_offset(khien_domain::time_fmt::VIETNAM)
            .date(),
    );
    render(&PlanPage {
        c,
        s,
        plan,
        blockers,
        statuses: ReqStatus::SETTABLE,
        today,
    })
}

pub async fn set_requirement(
    State(state): State<AppState>,
    auth: Auth<SystemEditor>,
    Path((id, key)): Path<(String, String)>,
    axum::Form(u): axum::Form<RequirementUpdate>,
) -> AppResult<Redirect> {
    auth.scoped(&state).set_requirement(&id, &key, &u).await?;
    Ok(Redirect::to(&format!("/systems/{id}/plan#req-{key}")))
}

pub async fn add_evidence(
    State(state): State<AppState>,
    auth: Auth<SystemEditor>,
    Path((id, key)): Path<(String, String)>,
    mut mp: Multipart,
) -> AppResult<Redirect> {
    let up = crate::support::read_upload(
        &state,
        &mut mp,
        &["file"],
        crate::support::upload::MAX_ATTACHMENT,
    )
    .await?;
    let file = up.required_file("file")?;
    auth.scoped(&state)
        .add_evidence(
            &id,
            &key,
            file,
            up.date("effective_date")?,
            up.date("expiry_date")?,
        )
        .await?;
    Ok(Redirect::to(&format!("/systems/{id}/plan#req-{key}")))
}

pub async fn evidence_file(
    State(state): State<AppState>,
    auth: Auth<AnyRole>,
    Path((id, att)): Path<(String, String)>,
) -> AppResult<Response> {
    let files = auth.scoped(&state).evidence_files(&id).await?;
    crate::support::download_attachment(&state, files, &att).await
}

#[derive(serde::Deserialize)]
pub struct ExceptionForm {
    #[serde(default)]
    reason: String,
}

pub async fn grant_exception(
    State(state): State<AppState>,
    auth: Auth<ProvinceAdmin>,
    Path(id): Path<String>,
    axum::Form(f): axum::Form<ExceptionForm>,
) -> AppResult<Response> {
    auth.scoped(&state)
        .grant_go_live_exception(&id, &f.reason)
        .await?;
    Ok(Redirect::to(&format!("/systems/{id}/plan")).into_response())
}
