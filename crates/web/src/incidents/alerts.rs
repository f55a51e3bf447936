//! The alert queue of the provincial team: alerts from SOC/SIEM and monitoring
//! providers, deduplicated on (source, source reference), promoted to a new incident,
//! merged into one, or ignored.

use axum::extract::{Path, Query, RawQuery, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use khien_domain::incidents::AlertState;
use khien_store::incidents::{Alert, AlertFilter, MergeIn, PromoteIn};
use khien_store::{Page, StoreError};

use crate::AppState;
use crate::auth::Auth;
use crate::auth::roles::IncidentTeam;
use crate::error::AppResult;
use crate::view::{Chrome, FormState, form_pairs, page_href, refusal_as_fields, render, render_refused};

#[derive(askama::Template)]
#[template(path = "incidents/alerts.html")]
struct ListPage {
    c: Chrome,
    page: Page<Alert>,
    filter: AlertFilter,
    base_query: String,
}

impl ListPage {
    fn page_link(&self, n: i64) -> String {
        page_href(&self.base_query, n)
    }
    fn next_link(&self) -> String {
        crate::view::next_href(&self.base_query, &self.page)
    }
    fn states(&self) -> &'static [AlertState] {
        AlertState::ALL
    }
    fn is_new(a: &Alert) -> bool {
        a.state == AlertState::New
    }
}

async fn list_page(state: &AppState, auth: &Auth<IncidentTeam>, c: Chrome, filter: AlertFilter, raw: Option<&str>) -> AppResult<ListPage> {
    let page = auth.scoped(state).alerts(&filter, 50).await?;
    Ok(ListPage {
        c,
        page,
        filter,
        base_query: crate::support::base_query(raw),
    })
}

pub async fn list(
    State(state): State<AppState>,
    auth: Auth<IncidentTeam>,
    c: Chrome,
    Query(filter): Query<AlertFilter>,
    RawQuery(raw): RawQuery,
) -> AppResult<Html<String>> {
    render(&list_page(&state, &auth, c, filter, raw.as_deref()).await?)
}

/// Back to the incident the alert went into, or the queue again with the refusal.
async fn after(state: &AppState, auth: &Auth<IncidentTeam>, mut c: Chrome, form: String, values: Vec<(String, String)>, r: Result<Option<String>, StoreError>) -> AppResult<Response> {
    match r {
        Ok(Some(incident)) => Ok(Redirect::to(&format!("/incidents/{incident}")).into_response()),
        Ok(None) => Ok(Redirect::to("/alerts").into_response()),
        Err(e) => {
            let errors = refusal_as_fields(e, &[])?;
            c.form = FormState::refused(form, values, errors);
            render_refused(&list_page(state, auth, c, AlertFilter::default(), None).await?)
        }
    }
}

pub async fn promote(State(state): State<AppState>, auth: Auth<IncidentTeam>, c: Chrome, Path(id): Path<String>, body: String) -> AppResult<Response> {
    let p: PromoteIn = crate::view::parse_form(&body)?;
    let r = auth.scoped(&state).promote_alert(&id, &p).await.map(Some);
    after(&state, &auth, c, format!("alert-{id}"), form_pairs(&body), r).await
}

pub async fn merge(State(state): State<AppState>, auth: Auth<IncidentTeam>, c: Chrome, Path(id): Path<String>, body: String) -> AppResult<Response> {
    let m: MergeIn = crate::view::parse_form(&body)?;
    let r = auth.scoped(&state).merge_alert(&id, &m).await.map(Some);
    after(&state, &auth, c, format!("alert-{id}"), form_pairs(&body), r).await
}

pub async fn ignore(State(state): State<AppState>, auth: Auth<IncidentTeam>, c: Chrome, Path(id): Path<String>) -> AppResult<Response> {
    let r = auth.scoped(&state).ignore_alert(&id).await.map(|()| None);
    after(&state, &auth, c, format!("alert-{id}"), vec![], r).await
}
