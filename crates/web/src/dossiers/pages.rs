//! A level dossier: its parts and attachments, the security regulation, the step the
//! viewer may take next, each stage's legal deadline, and the full history.

use axum::extract::{Multipart, Path, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use khien_domain::Invalid;
use khien_domain::dossiers::policy::{self, Action, Relation, TransitionInput};
use khien_domain::dossiers::{DeadlineUnknown, DossierStatus, StageDeadline, Transition, stage_deadline};
use khien_levels::load_regime;
use khien_levels::regime::DossierPart;
use khien_store::dossiers::{Attachment, Dossier, DossierEvent, TransitionData};
use khien_store::levels::Assessment;
use khien_store::systems::System;

use crate::AppState;
use crate::auth::{Access, Auth};
use crate::auth::roles::{AnyRole, SystemEditor};
use crate::error::{AppError, AppResult};
use crate::view::{Chrome, FormState, People, form_pairs, refusal_as_fields, render, render_refused};

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
    /// Parts the viewer may attach a file to now (step documents included).
    attachable: Vec<String>,
    may_set_regulation: bool,
    appraiser: String,
    approver: String,
    /// Printed name of the regime ("Nghị định 85/2016/NĐ-CP"), never its id.
    regime_name: String,
    /// The viewer prepares this dossier but another role sends it on (unit staff): the
    /// page says who does.
    prepares_only: bool,
    /// The viewer may submit it now: the page says it waits for them.
    waiting_for_viewer: bool,
    people: People,
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
    /// The file picker's filter (the server checks again).
    fn accept(&self) -> String {
        policy::ATTACHMENT_TYPES
            .iter()
            .map(|e| format!(".{e}"))
            .collect::<Vec<_>>()
            .join(",")
    }
    /// The step documents worth showing: those on file or attachable now.
    fn step_documents(&self) -> Vec<&'static str> {
        policy::STEP_DOCUMENTS
            .iter()
            .map(|(k, _)| *k)
            .filter(|k| self.can_attach(k) || !self.files_of(k).is_empty())
            .collect()
    }
    fn may_remove(&self, part: &str) -> bool {
        self.can_attach(part)
    }
    /// Who acted, as people read it: name and position; "Hệ thống" for the platform.
    fn actor(&self, username: &str) -> String {
        self.people.label(&self.c.t, username)
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

/// The dossier page as `c` asks for it (with a refused form's input when `c.form` has
/// one).
async fn build<A: Access>(state: &AppState, auth: &Auth<A>, c: Chrome, id: &str) -> AppResult<DossierPage> {
    let scoped = auth.scoped(state);
    let d = scoped.dossier(id).await?;
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
    let actions = facts.actions(actor);
    let mut attachable = facts.attachable_parts(actor);
    attachable.extend(facts.attachable_step_documents(actor).into_iter().map(String::from));
    let open = matches!(d.status, DossierStatus::Draft | DossierStatus::Returned) && !d.superseded;
    let waiting_for_viewer = open
        && actions
            .iter()
            .any(|x| x.transition == Transition::Submit && x.blocked_by.is_none());
    let prepares_only = open
        && actor.relation == Relation::Owner
        && !actions.iter().any(|x| x.transition == Transition::Submit)
        && facts.may_set_regulation(actor).is_ok();
    let files = scoped.dossier_files(id).await?;
    let events = scoped.dossier_events(id).await?;
    let names: Vec<&str> = files
        .iter()
        .map(|f| f.uploaded_by.as_str())
        .chain(events.iter().map(|e| e.actor_name.as_str()))
        .collect();
    let people = People::of(&scoped, &names).await?;
    Ok(DossierPage {
        people,
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
        regime_name: regime.short_title().to_string(),
        parts: regime.dossier_for(d.level).cloned().collect(),
        files,
        events,
        actions,
        attachable,
        may_set_regulation: facts.may_set_regulation(actor).is_ok(),
        prepares_only,
        waiting_for_viewer,
        c,
        d,
        s,
        a,
        deadline,
        overdue,
    })
}

pub async fn page(
    State(state): State<AppState>,
    auth: Auth<AnyRole>,
    c: Chrome,
    Path(id): Path<String>,
) -> AppResult<Html<String>> {
    render(&build(&state, &auth, c, &id).await?)
}

/// The dossier page again with what `form` carried and why it was refused (422).
async fn refused_page<A: Access>(
    state: &AppState,
    auth: &Auth<A>,
    mut c: Chrome,
    id: &str,
    form: &str,
    values: Vec<(String, String)>,
    e: khien_store::StoreError,
) -> AppResult<Response> {
    let errors = refusal_as_fields(e, &[])?;
    c.form = FormState::refused(form, values, errors);
    render_refused(&build(state, auth, c, id).await?)
}

/// Steps whose consequences are hard to take back: the page asks once more.
fn needs_confirmation(t: Transition) -> bool {
    matches!(t, Transition::Submit | Transition::Return | Transition::Approve)
}

#[derive(askama::Template)]
#[template(path = "dossiers/confirm.html")]
struct ConfirmPage {
    c: Chrome,
    d: Dossier,
    s: System,
    action: &'static str,
    /// What the step will do, in words (who receives the dossier, what is recorded).
    consequence: String,
    /// The fields to send again with the confirmation.
    values: Vec<(String, String)>,
}

pub async fn transition(
    State(state): State<AppState>,
    auth: Auth<AnyRole>,
    c: Chrome,
    Path((id, action)): Path<(String, String)>,
    body: String,
) -> AppResult<Response> {
    let t = Transition::parse(&action).ok_or(AppError::NotFound)?;
    let values = form_pairs(&body);
    let data: TransitionData = crate::view::parse_form(&body)?;
    let confirmed = values.iter().any(|(k, v)| k == "confirmed" && v == "1");
    let scoped = auth.scoped(&state);
    if needs_confirmation(t) && !confirmed {
        // Ask before acting, but only for a step that would be taken: a refusal or a
        // missing field comes back on the dossier page first. The write checks again.
        let d = scoped.dossier(&id).await?;
        let s = scoped.system(&d.system_id).await?;
        let facts = scoped.dossier_facts(&d).await?;
        let input = TransitionInput {
            reason: &data.reason,
            appraisal_opinion: &data.appraisal_opinion,
            decision_no: &data.decision_no,
            decision_by: &data.decision_by,
            decision_date: &data.decision_date,
        };
        let problem = match facts.check(scoped.actor_for(&s), t) {
            Err(r) if r.forbidden => return Err(AppError::Forbidden),
            Err(r) => Some(khien_store::StoreError::Conflict(r.key)),
            Ok(()) => policy::check_input(t, &input, state.store.today_vn())
                .err()
                .map(khien_store::StoreError::Invalid),
        };
        if let Some(e) = problem {
            return refused_page(&state, &auth, c, &id, t.as_str(), values, e).await;
        }
        let page = build(&state, &auth, c, &id).await?;
        let consequence = consequence(&page, t, &data);
        let confirm = ConfirmPage {
            c: page.c,
            d: page.d,
            s: page.s,
            action: t.as_str(),
            consequence,
            values,
        };
        return Ok(render(&confirm)?.into_response());
    }
    match scoped.transition(&id, t, &data).await {
        Ok(_) => Ok(Redirect::to(&format!("/dossiers/{id}")).into_response()),
        Err(e) => refused_page(&state, &auth, c, &id, t.as_str(), values, e).await,
    }
}

impl ConfirmPage {
    fn step_name(&self) -> String {
        self.c.t.s(&format!("dossier.act_{}", self.action)).to_string()
    }
}

/// What a step does, said with the parties' names.
fn consequence(page: &DossierPage, t: Transition, data: &TransitionData) -> String {
    let tr = &page.c.t;
    match t {
        Transition::Submit => tr.f("dossier.confirm_submit", &[&page.appraiser, &page.approver]),
        Transition::Return => tr.f(
            "dossier.confirm_return",
            &[&page.s.owner_unit_name, data.reason.trim()],
        ),
        _ => tr.f(
            "dossier.confirm_approve",
            &[
                data.decision_no.trim(),
                data.decision_date.trim(),
                data.decision_by.trim(),
                &page.d.level.to_string(),
            ],
        ),
    }
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
    c: Chrome,
    Path(id): Path<String>,
    body: String,
) -> AppResult<Response> {
    let values = form_pairs(&body);
    let f: RegulationForm = crate::view::parse_form(&body)?;
    let mut e = Invalid::default();
    let number = khien_domain::error::required_text(&mut e, "number", &f.number, 100);
    let date = khien_domain::error::past_date_field(&mut e, "date", &f.date, state.store.today_vn());
    let result = match date {
        Some(date) if e.is_empty() => auth
            .scoped(&state)
            .set_regulation(&id, &number, &khien_domain::time_fmt::iso_date(date))
            .await
            .map(|_| ()),
        _ => Err(khien_store::StoreError::Invalid(e)),
    };
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/dossiers/{id}")).into_response()),
        Err(e) => refused_page(&state, &auth, c, &id, "regulation", values, e).await,
    }
}

pub async fn attach(
    State(state): State<AppState>,
    auth: Auth<AnyRole>,
    c: Chrome,
    Path(id): Path<String>,
    mut mp: Multipart,
) -> AppResult<Response> {
    let up = crate::support::read_upload(
        &state,
        &mut mp,
        &["file"],
        crate::support::upload::MAX_ATTACHMENT,
    )
    .await?;
    let part = up.text("part");
    let values = vec![("part".to_string(), part.clone())];
    let form = format!("attach-{part}");
    let Some(file) = up.file("file") else {
        let mut e = Invalid::default();
        e.push("file", "dossier.err_no_file", "");
        return refused_page(&state, &auth, c, &id, &form, values, e.into()).await;
    };
    // Who may attach which part, and when, is the dossier policy's to say.
    match auth.scoped(&state).attach_to_dossier(&id, &part, file).await {
        Ok(_) => Ok(Redirect::to(&format!("/dossiers/{id}")).into_response()),
        Err(e) => refused_page(&state, &auth, c, &id, &form, values, e).await,
    }
}

/// Removes a file attached by mistake, while its part may still be attached to.
pub async fn remove_file(
    State(state): State<AppState>,
    auth: Auth<AnyRole>,
    Path((id, att)): Path<(String, String)>,
) -> AppResult<Redirect> {
    auth.scoped(&state).remove_dossier_file(&id, &att).await?;
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

