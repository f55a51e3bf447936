//! A level dossier: its parts and attachments, the security regulation, the step the
//! viewer may take next, each stage's legal deadline, and the full history.

use axum::extract::{Multipart, Path, State};
use axum::response::{Html, Redirect, Response};
use khien_domain::dossiers::policy::Action;
use khien_domain::dossiers::{DeadlineUnknown, StageDeadline, Transition, stage_deadline};
use khien_levels::load_regime;
use khien_levels::regime::DossierPart;
use khien_store::dossiers::{Attachment, Dossier, DossierEvent, TransitionData};
use khien_store::levels::Assessment;
use khien_store::systems::System;

use crate::AppState;
use crate::auth::Auth;
use crate::auth::roles::{AnyRole, SystemEditor};
use crate::error::{AppError, AppResult};
use crate::view::{Chrome, render};

#[derive(askama::Template)]
#[template(path = "dossiers/dossier.html")]
struct DossierPage {
    c: Chrome,
    d: Dossier,
    s: System,
    a: Assessment,
    parts: Vec<DossierPart>,
    files: Vec<Attachment>,
    events: Vec<DossierEvent>,
    deadline: Result<Option<StageDeadline>, DeadlineUnknown>,
    overdue: bool,
    /// Steps the viewer may take from the current state (the dossier policy's answer).
    actions: Vec<Action>,
    /// Parts the viewer may attach a file to now.
    attachable: Vec<String>,
    may_set_regulation: bool,
    appraiser: String,
    approver: String,
}

impl DossierPage {
    fn files_of(&self, part: &str) -> Vec<&Attachment> {
        self.files.iter().filter(|f| f.part == part).collect()
    }
    fn can(&self, action: &str) -> bool {
        self.actions.iter().any(|a| a.transition.as_str() == action)
    }
    fn can_attach(&self, part: &str) -> bool {
        self.attachable.iter().any(|p| p == part)
    }
    /// What must be on file before `action` (a message), if anything.
    fn blocked(&self, action: &str) -> String {
        self.actions
            .iter()
            .find(|a| a.transition.as_str() == action)
            .and_then(|a| a.blocked_by)
            .map(|k| self.c.t.s(k).to_string())
            .unwrap_or_default()
    }
    fn has_deadline(&self) -> bool {
        !matches!(self.deadline, Ok(None))
    }
    fn due_text(&self) -> String {
        match &self.deadline {
            Ok(Some(d)) => {
                let unit = if d.working_days {
                    self.c.t.s("dossier.working_days")
                } else {
                    self.c.t.s("dossier.days")
                };
                format!(
                    "{} ({} {} · {})",
                    khien_domain::time_fmt::format_date(d.due),
                    d.amount,
                    unit,
                    d.article
                )
            }
            Ok(None) => String::new(),
            Err(u) => self
                .c
                .t
                .f("dossier.deadline_unknown", &[&u.year.to_string()]),
        }
    }
}

pub async fn page(
    State(state): State<AppState>,
    auth: Auth<AnyRole>,
    c: Chrome,
    Path(id): Path<String>,
) -> AppResult<Html<String>> {
    let scoped = auth.scoped(&state);
    let d = scoped.dossier(&id).await?;
    let s = scoped.system(&d.system_id).await?;
    let a = scoped.assessment(&d.assessment_id).await?;
    let regime = load_regime(&d.regime).map_err(|e| AppError::Internal(e.to_string()))?;
    let authority = regime
        .authority(d.level)
        .ok_or_else(|| AppError::Internal("no authority for level".into()))?;
    let calendar = &state.config.calendar;
    let deadline = match khien_domain::time_fmt::parse_iso_date(&d.stage_started) {
        Some(st) => stage_deadline(regime, d.level, d.status, st, calendar),
        None => Ok(None),
    };
    let today = state.store.today_vn();
    let overdue = matches!(&deadline, Ok(Some(dl)) if dl.overdue(today));
    let facts = scoped.dossier_facts(&d).await?;
    let actor = scoped.actor_for(&s);
    let page = DossierPage {
        appraiser: crate::levels::pages::party_name(
            &state.config.authority_names,
            &c.t,
            authority.appraiser.as_str(),
        ),
        approver: crate::levels::pages::party_name(
            &state.config.authority_names,
            &c.t,
            authority.approver.as_str(),
        ),
        parts: regime.dossier_for(d.level).cloned().collect(),
        files: scoped.dossier_files(&id).await?,
        events: scoped.dossier_events(&id).await?,
        actions: facts.actions(actor),
        attachable: facts.attachable_parts(actor),
        may_set_regulation: facts.may_set_regulation(actor).is_ok(),
        c,
        d,
        s,
        a,
        deadline,
        overdue,
    };
    render(&page)
}

pub async fn transition(
    State(state): State<AppState>,
    auth: Auth<AnyRole>,
    Path((id, action)): Path<(String, String)>,
    axum::Form(data): axum::Form<TransitionData>,
) -> AppResult<Redirect> {
    let t = Transition::parse(&action).ok_or(AppError::NotFound)?;
    auth.scoped(&state).transition(&id, t, &data).await?;
    Ok(Redirect::to(&format!("/dossiers/{id}")))
}

#[derive(serde::Deserialize)]
pub struct RegulationForm {
    #[serde(default)]
    number: String,
    #[serde(default)]
    date: String,
}

pub async fn regulation(
    State(state): State<AppState>,
    auth: Auth<SystemEditor>,
    Path(id): Path<String>,
    axum::Form(f): axum::Form<RegulationForm>,
) -> AppResult<Redirect> {
    let date =
        khien_domain::time_fmt::parse_user_date(&f.date).ok_or(AppError::BadRequest("err.date"))?;
    if f.number.trim().is_empty() || f.number.chars().count() > 100 {
        return Err(AppError::BadRequest("dossier.err_regulation"));
    }
    auth.scoped(&state)
        .set_regulation(
            &id,
            f.number.trim(),
            &khien_domain::time_fmt::iso_date(date),
        )
        .await?;
    Ok(Redirect::to(&format!("/dossiers/{id}")))
}

pub async fn attach(
    State(state): State<AppState>,
    auth: Auth<AnyRole>,
    Path(id): Path<String>,
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
    // Who may attach which part, and when, is the dossier policy's to say.
    auth.scoped(&state)
        .attach_to_dossier(&id, &up.text("part"), file)
        .await?;
    Ok(Redirect::to(&format!("/dossiers/{id}")))
}

/// Downloads an attachment of a dossier in scope; served as a download, never inline.
pub async fn download(
    State(state): State<AppState>,
    auth: Auth<AnyRole>,
    Path((id, att)): Path<(String, String)>,
) -> AppResult<Response> {
    let files = auth.scoped(&state).dossier_files(&id).await?;
    crate::support::download_attachment(&state, files, &att).await
}
