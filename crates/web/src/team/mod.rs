//! The provincial incident response team (issue 11 item 7): members with their unit,
//! role, skills, certifications and 24/7 number, the duty roster, the Directive 18 rule
//! of at least five security experts, and the contact point's 24-hour change rule. The
//! member on duty today is shown on the public /contacts.
//!
//! Its routes are registered here, its template lives in `templates/team/` and its
//! strings in `i18n/<lang>/team.txt`.

use axum::extract::State;
use axum::response::{Html, IntoResponse, Redirect, Response};
use khien_domain::team::{CONTACT_CHANGE_HOURS, EXPERTS_BASIS, EXPERTS_REQUIRED, MemberInput, RosterInput, TEAM_ROLES};
use khien_store::StoreError;
use khien_store::team::{RosterEntry, TeamMember, may_manage};

use crate::AppState;
use crate::auth::roles::{AnyRole, IncidentTeam};
use crate::auth::{Access, Auth};
use crate::error::AppResult;
use crate::routes::{Routes, Tenancy};
use crate::view::{Chrome, FormState, form_pairs, refusal_as_fields, render, render_refused};

pub(crate) fn page_routes() -> Routes {
    Routes::default()
        .get("/team", AnyRole::NAMES, Tenancy::Unit, page)
        .post("/team/members", IncidentTeam::NAMES, Tenancy::Unit, add_member)
        .post("/team/roster", IncidentTeam::NAMES, Tenancy::Unit, add_roster)
}

#[derive(askama::Template)]
#[template(path = "team/team.html")]
struct Page {
    c: Chrome,
    members: Vec<TeamMember>,
    roster: Vec<RosterEntry>,
    experts: usize,
    experts_note: String,
    /// When the team last changed, and the deadline to notify the change.
    changed: Option<String>,
    units: Vec<(String, String)>,
    may_manage: bool,
}

impl Page {
    fn roles(&self) -> &'static [&'static str] {
        &TEAM_ROLES
    }
    fn enough_experts(&self) -> bool {
        self.experts >= EXPERTS_REQUIRED
    }
}

async fn build<A: Access>(state: &AppState, auth: &Auth<A>, mut c: Chrome, refused: Option<FormState>) -> AppResult<Page> {
    if let Some(f) = refused {
        c.form = f;
    }
    let scoped = auth.scoped(state);
    let members = scoped.team_members().await?;
    let roster = scoped.team_roster().await?;
    let experts = members.iter().filter(|m| m.expert).count();
    let experts_note = c.t.f("team.experts", &[&experts.to_string(), &EXPERTS_REQUIRED.to_string(), EXPERTS_BASIS]);
    let changed = members
        .iter()
        .filter_map(|m| khien_domain::time_fmt::parse_rfc3339(&m.updated_at))
        .max()
        .map(|t| {
            let at = khien_domain::incidents::local_minute_text(t);
            let by = khien_domain::incidents::local_minute_text(t + time::Duration::hours(CONTACT_CHANGE_HOURS));
            c.t.f("team.changed", &[&at, &by])
        });
    let may = may_manage(auth.principal.role);
    let units = if may { state.store.as_system().units(false).await?.into_iter().map(|u| (u.id, u.fields.name)).collect() } else { Vec::new() };
    Ok(Page { c, members, roster, experts, experts_note, changed, units, may_manage: may })
}

pub async fn page(State(state): State<AppState>, auth: Auth<AnyRole>, c: Chrome) -> AppResult<Html<String>> {
    render(&build(&state, &auth, c, None).await?)
}

pub async fn add_member(State(state): State<AppState>, auth: Auth<IncidentTeam>, c: Chrome, body: String) -> AppResult<Response> {
    let values = form_pairs(&body);
    let input: MemberInput = serde_urlencoded::from_str(&body).unwrap_or_default();
    let result = match input.validate() {
        Err(inv) => Err(StoreError::Invalid(inv)),
        Ok(f) => auth.scoped(&state).add_team_member(&f).await,
    };
    match result {
        Ok(_) => Ok(Redirect::to("/team").into_response()),
        Err(e @ StoreError::Forbidden) => Err(e.into()),
        Err(e) => {
            let errors = refusal_as_fields(e, &[])?;
            render_refused(&build(&state, &auth, c, Some(FormState::refused("member", values, errors))).await?)
        }
    }
}

pub async fn add_roster(State(state): State<AppState>, auth: Auth<IncidentTeam>, c: Chrome, body: String) -> AppResult<Response> {
    let values = form_pairs(&body);
    let input: RosterInput = serde_urlencoded::from_str(&body).unwrap_or_default();
    let result = match input.validate() {
        Err(inv) => Err(StoreError::Invalid(inv)),
        Ok((member, from, to)) => auth.scoped(&state).add_roster_entry(&member, from, to).await,
    };
    match result {
        Ok(_) => Ok(Redirect::to("/team#roster").into_response()),
        Err(e @ StoreError::Forbidden) => Err(e.into()),
        Err(e) => {
            let errors = refusal_as_fields(e, &[])?;
            render_refused(&build(&state, &auth, c, Some(FormState::refused("roster", values, errors))).await?)
        }
    }
}
