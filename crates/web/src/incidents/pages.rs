//! The incident pages: the list, the staff report form, and the incident page with
//! its forms (status, observables, tasks, timeline, affected systems, evidence and
//! custody, comments, sharing). A refused form comes back on its page with what was
//! typed and why (422).

use axum::extract::{Multipart, Path, Query, RawQuery, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use khien_domain::FieldError;
use khien_domain::incidents::{
    self as rules, Actor, CustodyAction, DetectionSource, IncidentInput, IncidentType, ObservableKind, PersonalDataImpact,
    Relation, Severity, Status, TaskState, Tlp,
};
use khien_store::incidents::{Assignee, AffectedUnit, Incident, IncidentDetail, IncidentFilter, ObservableIn, TaskIn, TimelineIn};
use khien_store::systems::System;
use khien_store::units::Unit;
use khien_store::{Page, StoreError};

use super::deadlines::{ReportDue, owed_kinds, report_deadlines};
use crate::AppState;
use crate::auth::roles::{AnyRole, IncidentTeam, IncidentWorker};
use crate::auth::{Access, Auth};
use crate::error::{AppError, AppResult};
use crate::view::{Chrome, FormState, People, form_pairs, page_href, refusal_as_fields, render, render_refused};

const PER_PAGE: i64 = 25;

#[derive(askama::Template)]
#[template(path = "incidents/incidents_list.html")]
struct ListPage {
    c: Chrome,
    page: Page<Incident>,
    filter: IncidentFilter,
    units: Vec<Unit>,
    base_query: String,
}

impl ListPage {
    fn page_link(&self, n: i64) -> String {
        page_href(&self.base_query, n)
    }
    fn next_link(&self) -> String {
        crate::view::next_href(&self.base_query, &self.page)
    }
    fn statuses(&self) -> &'static [Status] {
        Status::ALL
    }
    fn severities(&self) -> &'static [Severity] {
        Severity::ALL
    }
}

pub async fn list(
    State(state): State<AppState>,
    auth: Auth<AnyRole>,
    c: Chrome,
    Query(filter): Query<IncidentFilter>,
    RawQuery(raw): RawQuery,
) -> AppResult<Html<String>> {
    let scoped = auth.scoped(&state);
    let page = scoped.incidents(&filter, PER_PAGE).await?;
    let units = scoped.unit_choices(&filter.unit_id).await?;
    render(&ListPage {
        c,
        page,
        filter,
        units,
        base_query: crate::support::base_query(raw.as_deref()),
    })
}

#[derive(askama::Template)]
#[template(path = "incidents/incident_new.html")]
struct NewPage {
    c: Chrome,
    input: IncidentInput,
    systems: Vec<System>,
}

impl NewPage {
    fn types(&self) -> &'static [IncidentType] {
        IncidentType::ALL
    }
    fn sources(&self) -> &'static [DetectionSource] {
        DetectionSource::ALL
    }
    fn severities(&self) -> &'static [Severity] {
        Severity::ALL
    }
    fn impacts(&self) -> &'static [PersonalDataImpact] {
        PersonalDataImpact::ALL
    }
    fn regimes(&self) -> &'static [&'static str] {
        &rules::REGIMES
    }
    fn has_system(&self, id: &str) -> bool {
        self.input.systems.iter().any(|s| s == id)
    }
    fn ticked(v: &str) -> bool {
        v == "1"
    }
}

async fn new_page(state: &AppState, auth: &Auth<IncidentWorker>, mut c: Chrome, input: IncidentInput, errors: Vec<FieldError>) -> AppResult<NewPage> {
    // The typed values are the form's own input; only the messages travel in `c.form`.
    c.form = FormState::refused("incident", vec![], errors);
    let systems = auth.scoped(state).systems(&Default::default(), None).await?.items;
    Ok(NewPage { c, input, systems })
}

pub async fn new_form(State(state): State<AppState>, auth: Auth<IncidentWorker>, c: Chrome) -> AppResult<Html<String>> {
    let input = IncidentInput {
        detected_at: rules::local_minute_text(state.store.now()),
        reporter_name: auth.principal.display_name.clone(),
        ..Default::default()
    };
    render(&new_page(&state, &auth, c, input, vec![]).await?)
}

/// The staff form's body (systems repeat, once per ticked box).
fn incident_input_from_form(body: &str) -> IncidentInput {
    let mut input = IncidentInput::default();
    for (k, v) in form_pairs(body) {
        let slot = match k.as_str() {
            "title" => &mut input.title,
            "description" => &mut input.description,
            "detected_at" => &mut input.detected_at,
            "reporter_name" => &mut input.reporter_name,
            "reporter_contact" => &mut input.reporter_contact,
            "source" => &mut input.source,
            "incident_type" => &mut input.incident_type,
            "severity" => &mut input.severity,
            "beyond_capacity" => &mut input.beyond_capacity,
            "national_security_signs" => &mut input.national_security_signs,
            "serious_interruption" => &mut input.serious_interruption,
            "pd_impact" => &mut input.pd_impact,
            "pd_subjects" => &mut input.pd_subjects,
            "pd_confirmed_at" => &mut input.pd_confirmed_at,
            "regime" => &mut input.regime,
            "systems" => {
                input.systems.push(v);
                continue;
            }
            _ => continue,
        };
        *slot = v;
    }
    input
}

pub async fn create(State(state): State<AppState>, auth: Auth<IncidentWorker>, c: Chrome, body: String) -> AppResult<Response> {
    let input = incident_input_from_form(&body);
    let result = match input.validate(state.store.now()) {
        Err(inv) => Err(StoreError::Invalid(inv)),
        Ok(fields) => auth.scoped(&state).create_incident(&fields).await,
    };
    match result {
        Ok(id) => Ok(Redirect::to(&format!("/incidents/{id}")).into_response()),
        Err(e) => {
            let errors = refusal_as_fields(e, &[])?;
            render_refused(&new_page(&state, &auth, c, input, errors).await?)
        }
    }
}

#[derive(askama::Template)]
#[template(path = "incidents/incident.html")]
pub(super) struct DetailPage {
    c: Chrome,
    d: IncidentDetail,
    actor: Actor,
    next: Vec<Status>,
    assignees: Vec<Assignee>,
    /// Systems this principal may add as affected.
    systems: Vec<(String, String)>,
    share_units: Vec<AffectedUnit>,
    deadlines: Vec<ReportDue>,
    /// Why the deadlines could not be computed (a year the holiday calendar lacks).
    deadlines_error: Option<String>,
    people: People,
    /// Hunts started from the incident with its observables as the IOC set.
    hunts: Vec<khien_store::incidents::IncidentHunt>,
    /// Logs of earlier hunts a new IOC hunt may run on again.
    earlier_logs: Vec<khien_store::hunts::FileRef>,
    /// What an import just did (shown once, on the page it returns).
    pub(super) import: Option<khien_store::incidents::ImportReport>,
}

impl DetailPage {
    fn may_work(&self) -> bool {
        rules::may_work(self.actor).is_ok()
    }
    fn may_comment(&self) -> bool {
        rules::may_comment(self.actor).is_ok()
    }
    fn may_share(&self) -> bool {
        rules::may_share(self.actor).is_ok()
    }
    fn shared_only(&self) -> bool {
        self.actor.relation == Relation::Shared
    }
    fn kinds(&self) -> &'static [ObservableKind] {
        ObservableKind::ALL
    }
    fn tlps(&self) -> &'static [Tlp] {
        Tlp::ALL
    }
    fn task_states(&self) -> &'static [TaskState] {
        TaskState::ALL
    }
    fn custody_actions(&self) -> Vec<CustodyAction> {
        CustodyAction::ALL.iter().copied().filter(|a| *a != CustodyAction::Collected).collect()
    }
    /// A closing straight from "reported" or "verified" needs a reason on record.
    fn needs_reason(&self, to: &Status) -> bool {
        *to == Status::Closed && matches!(self.d.incident.status, Status::Reported | Status::Verified)
    }
    fn who(&self, username: &str) -> String {
        self.people.label(&self.c.t, username)
    }
    fn size(n: &i64) -> String {
        crate::view::thousands(*n)
    }
    /// The name of the "sent" form of a report kind (its values and errors).
    fn sent_form(kind: &str) -> String {
        format!("report-{kind}")
    }
}

/// The incident's reports with their deadlines, or why they could not be computed.
pub(crate) async fn deadlines_of<A: Access>(state: &AppState, auth: &Auth<A>, t: &crate::i18n::T, i: &Incident) -> AppResult<(Vec<ReportDue>, Option<String>)> {
    let sent = auth.scoped(state).reports_sent(&i.id).await?;
    let Some(rules) = state.config.clock_rules.as_deref() else {
        return Ok((Vec::new(), Some(t.s("incident.deadlines_unavailable").to_string())));
    };
    Ok(match report_deadlines(i, &sent, rules, &state.config.calendar, state.store.now()) {
        Ok(list) => (list, None),
        Err(khien_duties::DutyError::Calendar(khien_levels::LevelError::YearNotConfigured(y))) => {
            (Vec::new(), Some(t.f("incident.deadlines_year_missing", &[&y.to_string()])))
        }
        Err(e) => (Vec::new(), Some(e.to_string())),
    })
}

pub(super) async fn build<A: Access>(state: &AppState, auth: &Auth<A>, c: Chrome, id: &str) -> AppResult<DetailPage> {
    let scoped = auth.scoped(state);
    let d = scoped.incident_detail(id).await?;
    let actor = scoped.incident_actor(&d.incident).await?;
    let next = rules::next_statuses(actor, d.incident.status);
    let assignees = if rules::may_work(actor).is_ok() { scoped.incident_assignees(id).await? } else { Vec::new() };
    let systems = if rules::may_work(actor).is_ok() {
        scoped
            .systems(&Default::default(), None)
            .await?
            .items
            .into_iter()
            .filter(|s| !d.systems.iter().any(|x| x.id == s.id))
            .map(|s| (s.id, s.fields.name))
            .collect()
    } else {
        Vec::new()
    };
    let share_units = if rules::may_share(actor).is_ok() {
        scoped
            .share_choices()
            .await?
            .into_iter()
            .filter(|u| !d.shares.iter().any(|s| s.unit_id == u.id) && !d.units.iter().any(|x| x.id == u.id) && Some(&u.id) != d.incident.unit_id.as_ref())
            .collect()
    } else {
        Vec::new()
    };
    let (deadlines, deadlines_error) = deadlines_of(state, auth, &c.t, &d.incident).await?;
    let mut names: Vec<&str> = vec![d.incident.created_by.as_str()];
    names.extend(d.comments.iter().map(|x| x.created_by.as_str()));
    names.extend(d.timeline.iter().map(|x| x.created_by.as_str()));
    names.extend(d.evidence.iter().flat_map(|e| e.custody.iter().map(|x| x.actor.as_str())));
    names.extend(d.shares.iter().map(|x| x.shared_by.as_str()));
    names.extend(deadlines.iter().filter_map(|r| r.sent.as_ref()).map(|s| s.sent_by.as_str()));
    let people = People::of(&scoped, &names).await?;
    let hunts = scoped.incident_hunts(id).await?;
    let earlier_logs = if rules::may_work(actor).is_ok() { scoped.uploaded_logs(50).await? } else { Vec::new() };
    Ok(DetailPage {
        c,
        d,
        actor,
        next,
        assignees,
        systems,
        share_units,
        deadlines,
        deadlines_error,
        people,
        hunts,
        earlier_logs,
        import: None,
    })
}

pub async fn detail(State(state): State<AppState>, auth: Auth<AnyRole>, c: Chrome, Path(id): Path<String>) -> AppResult<Html<String>> {
    render(&build(&state, &auth, c, &id).await?)
}

/// The outcome of one of the page's forms (`form`, shown at `anchor`): back to the
/// page there, or the page again with that form refused (422).
pub(super) async fn after<A: Access, T>(
    state: &AppState,
    auth: &Auth<A>,
    mut c: Chrome,
    id: &str,
    (form, anchor): (&str, &str),
    values: Vec<(String, String)>,
    result: Result<T, StoreError>,
) -> AppResult<Response> {
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/incidents/{id}#{anchor}")).into_response()),
        Err(StoreError::NotFound) => Err(AppError::NotFound),
        Err(StoreError::Forbidden) => Err(AppError::Forbidden),
        Err(e) => {
            let errors = refusal_as_fields(e, &[])?;
            c.form = FormState::refused(form, values, errors);
            render_refused(&build(state, auth, c, id).await?)
        }
    }
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct StatusForm {
    to: String,
    note: String,
}

pub async fn transition(State(state): State<AppState>, auth: Auth<IncidentWorker>, c: Chrome, Path(id): Path<String>, body: String) -> AppResult<Response> {
    let f: StatusForm = crate::view::parse_form(&body)?;
    let r = auth.scoped(&state).transition_incident(&id, &f.to, &f.note).await;
    after(&state, &auth, c, &id, ("status", "status"), form_pairs(&body), r).await
}

pub async fn add_observable(State(state): State<AppState>, auth: Auth<IncidentWorker>, c: Chrome, Path(id): Path<String>, body: String) -> AppResult<Response> {
    let f: ObservableIn = crate::view::parse_form(&body)?;
    let r = auth.scoped(&state).add_observable(&id, &f).await;
    after(&state, &auth, c, &id, ("observable", "observables"), form_pairs(&body), r).await
}

pub async fn add_task(State(state): State<AppState>, auth: Auth<IncidentWorker>, c: Chrome, Path(id): Path<String>, body: String) -> AppResult<Response> {
    let f: TaskIn = crate::view::parse_form(&body)?;
    let r = auth.scoped(&state).add_task(&id, &f).await;
    after(&state, &auth, c, &id, ("task", "tasks"), form_pairs(&body), r).await
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct TaskStateForm {
    state: String,
}

pub async fn task_state(
    State(state): State<AppState>,
    auth: Auth<IncidentWorker>,
    c: Chrome,
    Path((id, task)): Path<(String, String)>,
    body: String,
) -> AppResult<Response> {
    let f: TaskStateForm = crate::view::parse_form(&body)?;
    let r = auth.scoped(&state).set_task_state(&id, &task, &f.state).await;
    after(&state, &auth, c, &id, ("task_state", "tasks"), form_pairs(&body), r).await
}

pub async fn add_timeline(State(state): State<AppState>, auth: Auth<IncidentWorker>, c: Chrome, Path(id): Path<String>, body: String) -> AppResult<Response> {
    let f: TimelineIn = crate::view::parse_form(&body)?;
    let r = auth.scoped(&state).add_timeline(&id, &f).await;
    after(&state, &auth, c, &id, ("timeline", "timeline"), form_pairs(&body), r).await
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct SystemForm {
    system_id: String,
}

pub async fn add_system(State(state): State<AppState>, auth: Auth<IncidentWorker>, c: Chrome, Path(id): Path<String>, body: String) -> AppResult<Response> {
    let f: SystemForm = crate::view::parse_form(&body)?;
    let r = auth.scoped(&state).add_affected_system(&id, &f.system_id).await;
    after(&state, &auth, c, &id, ("system", "affected"), form_pairs(&body), r).await
}

pub async fn add_evidence(State(state): State<AppState>, auth: Auth<IncidentWorker>, c: Chrome, Path(id): Path<String>, mut mp: Multipart) -> AppResult<Response> {
    // The incident must be visible before anything is stored for it.
    auth.scoped(&state).incident(&id).await?;
    let limit = u64::try_from(state.config.max_body_bytes).unwrap_or(u64::MAX);
    let up = crate::support::read_upload(&state, &mut mp, &["file"], limit).await?;
    let description = up.text("description");
    let values = vec![("description".to_string(), description.clone())];
    let r = match up.file("file") {
        Some(file) => auth.scoped(&state).add_evidence_file(&id, file, &description).await,
        None => Err(StoreError::Invalid(khien_domain::Invalid {
            errors: vec![FieldError { field: "file", key: "err.required", detail: String::new() }],
        })),
    };
    after(&state, &auth, c, &id, ("evidence", "evidence"), values, r).await
}

pub async fn download_evidence(State(state): State<AppState>, auth: Auth<AnyRole>, Path((id, att)): Path<(String, String)>) -> AppResult<Response> {
    let (name, sha256, size) = auth.scoped(&state).evidence_file(&id, &att).await?;
    crate::support::download(&state, &sha256, &name, u64::try_from(size).ok()).await
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct CustodyForm {
    action: String,
    note: String,
}

pub async fn add_custody(
    State(state): State<AppState>,
    auth: Auth<IncidentWorker>,
    c: Chrome,
    Path((id, att)): Path<(String, String)>,
    body: String,
) -> AppResult<Response> {
    let f: CustodyForm = crate::view::parse_form(&body)?;
    let r = auth.scoped(&state).add_custody(&id, &att, &f.action, &f.note).await;
    after(&state, &auth, c, &id, (&format!("custody-{att}"), "evidence"), form_pairs(&body), r).await
}

/// A report recorded as sent: its kind must be one the incident owes now.
pub async fn report_sent(State(state): State<AppState>, auth: Auth<IncidentWorker>, c: Chrome, Path(id): Path<String>, body: String) -> AppResult<Response> {
    let f: khien_domain::incidents::ReportSentInput = crate::view::parse_form(&body)?;
    let incident = auth.scoped(&state).incident(&id).await?;
    let (owed, _) = deadlines_of(&state, &auth, &c.t, &incident).await?;
    let r = auth.scoped(&state).record_report_sent(&id, &f, &owed_kinds(&owed)).await;
    let form = DetailPage::sent_form(f.kind.trim());
    after(&state, &auth, c, &id, (&form, "deadlines"), form_pairs(&body), r).await
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct CommentForm {
    body: String,
}

pub async fn add_comment(State(state): State<AppState>, auth: Auth<IncidentWorker>, c: Chrome, Path(id): Path<String>, body: String) -> AppResult<Response> {
    let f: CommentForm = crate::view::parse_form(&body)?;
    let r = auth.scoped(&state).add_comment(&id, &f.body).await;
    after(&state, &auth, c, &id, ("comment", "comments"), form_pairs(&body), r).await
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct ShareForm {
    unit_id: String,
}

pub async fn share(State(state): State<AppState>, auth: Auth<IncidentTeam>, c: Chrome, Path(id): Path<String>, body: String) -> AppResult<Response> {
    let f: ShareForm = crate::view::parse_form(&body)?;
    let r = auth.scoped(&state).share_incident(&id, &f.unit_id).await;
    after(&state, &auth, c, &id, ("share", "shares"), form_pairs(&body), r).await
}
