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
        crate::view::next_href(&self.base_query, &self.page)
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
    /// The library's enabled sets (each with its enabled rule files).
    library: Vec<khien_store::rules::RuleSet>,
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
    let library = auth.scoped(state).enabled_rule_sets().await?;
    Ok(NewPage {
        c,
        systems,
        error,
        library,
    })
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
    // The form sends `library=0` then, when ticked, `library=1` (the last one counts);
    // a client that does not say gets the library, as every hunt does by default.
    let library = text.get("library").is_none_or(|v| v == "1");
    match auth
        .scoped(&state)
        .queue_hunt_with(&n, builtin, library)
        .await
    {
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
    /// The job that runs (or ran) an uploaded hunt: attempts, worker, cancel.
    job: Option<khien_store::jobs::Job>,
    detections: Page<DetectionRow>,
    filter: DetectionFilter,
    base_query: String,
    /// The computers among the detections, for the filter's choices.
    computers: Vec<String>,
    /// The library rule sets (and versions) the hunt used.
    library: Option<khien_store::rules::LibraryUse>,
}

impl DetailPage {
    /// (file, why) for every file the hunt did not really check.
    fn gaps(&self) -> Vec<(String, &'static str)> {
        let Some(s) = &self.h.summary else {
            return Vec::new();
        };
        s.coverage
            .iter()
            .flat_map(|f| f.gaps(s.iocs_loaded).into_iter().map(|g| (f.name.clone(), g)))
            .collect()
    }
    /// The file a detection came from, by name: hunts recorded before names were
    /// kept stored the worker's scratch path (`…/logs/003-name`).
    fn source_name(d: &DetectionRow) -> String {
        let last = d.source.rsplit(['/', '\\']).next().unwrap_or(&d.source);
        match last.split_once('-') {
            Some((n, rest)) if d.source.contains('/') && n.len() == 3 && n.bytes().all(|b| b.is_ascii_digit()) => rest.to_string(),
            _ => last.to_string(),
        }
    }
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
    let computers = scoped.hunt_computers(&id).await?;
    let library = scoped.hunt_library(&id).await?;
    // The hunt is in scope (read above), so its job may be shown.
    let job = state.store.job_of(khien_store::hunts::JOB_KIND, &id).await?;
    render(&DetailPage {
        c,
        h,
        job,
        detections,
        filter,
        base_query: crate::support::base_query(raw.as_deref()),
        computers,
        library,
    })
}

pub async fn cancel(
    State(state): State<AppState>,
    auth: Auth<HuntRunner>,
    Path(id): Path<String>,
) -> AppResult<Redirect> {
    auth.scoped(&state).cancel_hunt(&id).await?;
    Ok(Redirect::to(&format!("/hunts/{id}")))
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
    // A suspicious conclusion opened an incident: the responder goes on there.
    let opened = auth
        .scoped(&state)
        .conclude_hunt(&id, &f.conclusion, &f.note)
        .await?;
    Ok(Redirect::to(&match opened {
        Some(incident) => format!("/incidents/{incident}"),
        None => format!("/hunts/{id}"),
    }))
}
