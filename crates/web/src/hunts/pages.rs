//! Threat hunts in the platform: upload logs with rule and IOC sets (run as a background
//! job), browse the results and detections, record the conclusion.

use axum::extract::{Multipart, Path, Query, RawQuery, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use khien_store::hunts::{DetectionFilter, DetectionRow, FileRef, Hunt, HuntFilter, HuntReportIn};
use khien_store::systems::System;
use khien_store::{Page, StoreError};

use crate::AppState;
use crate::auth::Auth;
use crate::auth::roles::{AnyRole, HuntRunner};
use crate::error::AppResult;
use crate::view::{Chrome, page_href, render};

#[derive(askama::Template)]
#[template(path = "hunts/hunts_list.html")]
struct ListPage {
    c: Chrome,
    page: Page<Hunt>,
    filter: HuntFilter,
    base_query: String,
}

impl ListPage {
    fn page_link(&self, n: i64) -> String {
        page_href(&self.base_query, n)
    }
    /// The next page: by cursor (keyset) when the list has one, else by number.
    fn next_link(&self) -> String {
        match &self.page.next_after {
            Some(after) => crate::view::after_href(&self.base_query, self.page.page + 1, after),
            None => page_href(&self.base_query, self.page.page + 1),
        }
    }
}

pub async fn list(
    State(state): State<AppState>,
    auth: Auth<AnyRole>,
    c: Chrome,
    Query(filter): Query<HuntFilter>,
    RawQuery(raw): RawQuery,
) -> AppResult<Html<String>> {
    let page = auth.scoped(&state).hunts(&filter, 25).await?;
    render(&ListPage {
        c,
        page,
        filter,
        base_query: crate::support::base_query(raw.as_deref()),
    })
}

#[derive(askama::Template)]
#[template(path = "hunts/hunt_new.html")]
struct NewPage {
    c: Chrome,
    systems: Vec<System>,
    error: Option<String>,
}

async fn new_page(
    state: &AppState,
    auth: &Auth<HuntRunner>,
    c: Chrome,
    error: Option<String>,
) -> AppResult<NewPage> {
    let systems = auth
        .scoped(state)
        .systems(&Default::default(), None)
        .await?
        .items;
    Ok(NewPage { c, systems, error })
}

pub async fn new_form(
    State(state): State<AppState>,
    auth: Auth<HuntRunner>,
    c: Chrome,
) -> AppResult<Html<String>> {
    render(&new_page(&state, &auth, c, None).await?)
}

fn file_ref(f: &khien_store::StoredFile) -> FileRef {
    FileRef {
        name: f.filename.clone(),
        sha256: f.sha256.clone(),
        size: i64::try_from(f.size).unwrap_or(i64::MAX),
        count: 0,
    }
}

pub async fn create(
    State(state): State<AppState>,
    auth: Auth<HuntRunner>,
    c: Chrome,
    mut mp: Multipart,
) -> AppResult<Response> {
    // Logs stream to the blob store as they arrive; the route's body limit bounds them.
    let limit = u64::try_from(state.config.max_upload_bytes).unwrap_or(u64::MAX);
    let up = crate::support::read_upload(&state, &mut mp, &["logs", "rules", "iocs"], limit)
        .await?;
    let mut n = HuntReportIn {
        sources: up.files_of("logs").map(file_ref).collect(),
        rule_sets: up.files_of("rules").map(file_ref).collect(),
        ioc_sets: up.files_of("iocs").map(file_ref).collect(),
        systems: up.lists.get("systems").cloned().unwrap_or_default(),
        ..HuntReportIn::default()
    };
    let text = &up.fields;
    n.title = text.get("title").cloned().unwrap_or_default();
    n.period_from = text.get("period_from").cloned();
    n.period_to = text.get("period_to").cloned();
    let builtin = text.get("builtin").is_some_and(|v| v == "1");
    match auth.scoped(&state).queue_hunt(&n, builtin).await {
        Ok(id) => Ok(Redirect::to(&format!("/hunts/{id}")).into_response()),
        Err(StoreError::Conflict(key)) => {
            let msg = c.t.s(key).to_string();
            Ok((
                axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                render(&new_page(&state, &auth, c, Some(msg)).await?)?,
            )
                .into_response())
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(askama::Template)]
#[template(path = "hunts/hunt.html")]
struct DetailPage {
    c: Chrome,
    h: Hunt,
    detections: Page<DetectionRow>,
    filter: DetectionFilter,
    base_query: String,
}

impl DetailPage {
    fn page_link(&self, n: i64) -> String {
        page_href(&self.base_query, n)
    }
    fn matched(d: &DetectionRow) -> String {
        match &d.matched {
            serde_json::Value::Object(m) => m
                .iter()
                .map(|(k, v)| {
                    format!(
                        "{k}={}",
                        v.as_str()
                            .map(String::from)
                            .unwrap_or_else(|| v.to_string())
                    )
                })
                .collect::<Vec<_>>()
                .join("; "),
            other => other.to_string(),
        }
    }
    fn running(&self) -> bool {
        matches!(self.h.status.as_str(), "queued" | "running")
    }
}

pub async fn detail(
    State(state): State<AppState>,
    auth: Auth<AnyRole>,
    c: Chrome,
    Path(id): Path<String>,
    Query(filter): Query<DetectionFilter>,
    RawQuery(raw): RawQuery,
) -> AppResult<Html<String>> {
    let scoped = auth.scoped(&state);
    let h = scoped.hunt(&id).await?;
    let detections = scoped.hunt_detections(&id, &filter, 100).await?;
    render(&DetailPage {
        c,
        h,
        detections,
        filter,
        base_query: crate::support::base_query(raw.as_deref()),
    })
}

#[derive(serde::Deserialize)]
pub struct ConclusionForm {
    #[serde(default)]
    conclusion: String,
    #[serde(default)]
    note: String,
}

pub async fn conclude(
    State(state): State<AppState>,
    auth: Auth<HuntRunner>,
    Path(id): Path<String>,
    axum::Form(f): axum::Form<ConclusionForm>,
) -> AppResult<Redirect> {
    auth.scoped(&state)
        .conclude_hunt(&id, &f.conclusion, &f.note)
        .await?;
    Ok(Redirect::to(&format!("/hunts/{id}")))
}
