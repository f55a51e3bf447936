//! Awareness and training campaigns (issue 12 item 4): the campaigns of a year in scope
//! and which units had nobody complete one (`/training`), a campaign's page with its
//! participants by unit — pasted one per line, as an official copies them from the
//! attendance list — and, for a phishing simulation, how many clicked and reported.
//! Campaigns feed the periodic reports (`trainings`, `trainees`).
//!
//! Its routes are registered here, its templates live in `templates/training/` and its
//! strings in `i18n/<lang>/training.txt`.

use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use khien_domain::FieldError;
use khien_domain::training::{AUDIENCES, CampaignInput, KINDS, PHISHING, ParticipantsInput, phishing_rates};
use khien_store::StoreError;
use khien_store::training::{Campaign, TrainingParticipant, UnitTrained, may_record};

use crate::AppState;
use crate::auth::roles::{AnyRole, SystemEditor};
use crate::auth::{Access, Auth};
use crate::error::AppResult;
use crate::routes::{Routes, Tenancy};
use crate::view::{Chrome, FormState, form_pairs, refusal_as_fields, render, render_refused};

const LIST_MAX: i64 = 500;
const CAMPAIGN_FORM: &str = "campaign";
const PEOPLE_FORM: &str = "participants";

pub(crate) fn page_routes() -> Routes {
    Routes::default()
        .get("/training", AnyRole::NAMES, Tenancy::Unit, list)
        .get("/training/new", SystemEditor::NAMES, Tenancy::Unit, new_page)
        .post("/training", SystemEditor::NAMES, Tenancy::Unit, create)
        .get("/training/{id}", AnyRole::NAMES, Tenancy::Unit, detail)
        .post("/training/{id}/participants", SystemEditor::NAMES, Tenancy::Unit, add_participants)
        .post("/training/{id}/participants/{pid}/delete", SystemEditor::NAMES, Tenancy::Unit, remove_participant)
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct ListQuery {
    year: String,
}

#[derive(askama::Template)]
#[template(path = "training/list.html")]
struct ListPage {
    c: Chrome,
    year: i32,
    this_year: i32,
    campaigns: Vec<Campaign>,
    units: Vec<UnitTrained>,
    may_record: bool,
}

impl ListPage {
    fn untrained(&self) -> Vec<&UnitTrained> {
        self.units.iter().filter(|u| u.completed == 0).collect()
    }
    fn years(&self) -> Vec<i32> {
        (self.this_year - 4..=self.this_year).rev().collect()
    }
}

pub async fn list(State(state): State<AppState>, auth: Auth<AnyRole>, c: Chrome, Query(q): Query<ListQuery>) -> AppResult<Html<String>> {
    let this_year = state.store.today_vn().year();
    let year = q.year.trim().parse::<i32>().ok().filter(|y| (2000..=this_year).contains(y)).unwrap_or(this_year);
    let scoped = auth.scoped(&state);
    let campaigns = scoped.campaigns(Some(year), LIST_MAX).await?;
    let units = scoped.trained_in(year).await?;
    render(&ListPage { c, year, this_year, campaigns, units, may_record: may_record(auth.principal.role) })
}

#[derive(askama::Template)]
#[template(path = "training/new.html")]
struct NewPage {
    c: Chrome,
    input: CampaignInput,
}

impl NewPage {
    fn kinds(&self) -> &'static [&'static str] {
        &KINDS
    }
    fn audiences(&self) -> &'static [&'static str] {
        &AUDIENCES
    }
}

pub async fn new_page(State(state): State<AppState>, _auth: Auth<SystemEditor>, c: Chrome) -> AppResult<Html<String>> {
    let today = khien_domain::time_fmt::format_date(state.store.today_vn());
    render(&NewPage { c, input: CampaignInput { campaign_kind: "course".into(), audience: "all_staff".into(), held_from: today.clone(), held_to: today, ..Default::default() } })
}

pub async fn create(State(state): State<AppState>, auth: Auth<SystemEditor>, mut c: Chrome, body: String) -> AppResult<Response> {
    let input: CampaignInput = serde_urlencoded::from_str(&body).unwrap_or_default();
    let result = match input.validate(state.store.today_vn()) {
        Err(inv) => Err(StoreError::Invalid(inv)),
        Ok(f) => auth.scoped(&state).create_campaign(&auth.principal.unit_id, &f).await,
    };
    match result {
        Ok(id) => Ok(Redirect::to(&format!("/training/{id}")).into_response()),
        Err(e @ (StoreError::NotFound | StoreError::Forbidden)) => Err(e.into()),
        Err(e) => {
            c.form = FormState::refused(CAMPAIGN_FORM, vec![], refusal_as_fields(e, &[])?);
            render_refused(&NewPage { c, input })
        }
    }
}

#[derive(askama::Template)]
#[template(path = "training/detail.html")]
struct DetailPage {
    c: Chrome,
    t: Campaign,
    people: Vec<TrainingParticipant>,
    /// Units the recorder can add people of.
    units: Vec<(String, String)>,
    may_record: bool,
}

impl DetailPage {
    fn is_phishing(&self) -> bool {
        self.t.kind == PHISHING
    }
    /// "8% nhấp liên kết · 25% báo cáo", when the simulation's figures say it.
    fn rates(&self) -> Option<String> {
        let (clicked, reported) = phishing_rates(self.t.sent?, self.t.clicked, self.t.reported)?;
        let mut parts = Vec::new();
        if let Some(c) = clicked {
            parts.push(self.c.t.f("training.clicked_rate", &[&c.to_string()]));
        }
        if let Some(r) = reported {
            parts.push(self.c.t.f("training.reported_rate", &[&r.to_string()]));
        }
        (!parts.is_empty()).then(|| parts.join(" · "))
    }
}

async fn detail_view<A: Access>(state: &AppState, auth: &Auth<A>, mut c: Chrome, id: &str, refused: Option<FormState>) -> AppResult<DetailPage> {
    let scoped = auth.scoped(state);
    let (t, people) = scoped.campaign(id).await?;
    let may = may_record(auth.principal.role);
    let units = if may { scoped.units(false).await?.into_iter().map(|u| (u.id, u.fields.name)).collect() } else { Vec::new() };
    if let Some(f) = refused {
        c.form = f;
    }
    Ok(DetailPage { c, t, people, units, may_record: may })
}

pub async fn detail(State(state): State<AppState>, auth: Auth<AnyRole>, c: Chrome, Path(id): Path<String>) -> AppResult<Html<String>> {
    render(&detail_view(&state, &auth, c, &id, None).await?)
}

pub async fn add_participants(State(state): State<AppState>, auth: Auth<SystemEditor>, c: Chrome, Path(id): Path<String>, body: String) -> AppResult<Response> {
    let input: ParticipantsInput = serde_urlencoded::from_str(&body).unwrap_or_default();
    let result = match input.validate() {
        Err(inv) => Err(StoreError::Invalid(inv)),
        Ok(f) => auth.scoped(&state).add_participants(&id, &f).await,
    };
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/training/{id}#participants")).into_response()),
        Err(e @ (StoreError::NotFound | StoreError::Forbidden)) => Err(e.into()),
        Err(e) => {
            let errors: Vec<FieldError> = refusal_as_fields(e, &[])?;
            render_refused(&detail_view(&state, &auth, c, &id, Some(FormState::refused(PEOPLE_FORM, form_pairs(&body), errors))).await?)
        }
    }
}

pub async fn remove_participant(State(state): State<AppState>, auth: Auth<SystemEditor>, Path((id, pid)): Path<(String, String)>) -> AppResult<Response> {
    auth.scoped(&state).remove_participant(&id, &pid).await?;
    Ok(Redirect::to(&format!("/training/{id}#participants")).into_response())
}
