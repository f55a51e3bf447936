//! Threat hunts in the platform: upload logs with rule and IOC sets (run as a background
//! job), browse the results and detections, record the conclusion.

use std::collections::HashMap;

use axum::extract::{Multipart, Path, Query, RawQuery, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use khien_store::hunts::{DetectionFilter, DetectionRow, FileRef, Hunt, HuntFilter, HuntReportIn};
use khien_store::systems::System;
use khien_store::{Page, StoreError};

use crate::AppState;
use crate::auth::Auth;
use crate::auth::roles::{AnyRole, HuntRunner};
use crate::error::{AppError, AppResult};
use crate::view::{Chrome, page_href, render};

#[derive(askama::Template)]
#[template(path = "hunts_list.html")]
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
        base_query: super::systems::base_query(raw.as_deref()),
    })
}

#[derive(askama::Template)]
#[template(path = "hunt_new.html")]
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

/// Stores each uploaded file (content-addressed) and describes it.
fn store_file(state: &AppState, name: &str, bytes: &[u8]) -> AppResult<FileRef> {
    let sha256 = state
        .store
        .blobs
        .put(bytes)
        .map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(FileRef {
        name: name.chars().filter(|c| !c.is_control()).take(200).collect(),
        sha256,
        size: i64::try_from(bytes.len()).unwrap_or(i64::MAX),
        count: 0,
    })
}

pub async fn create(
    State(state): State<AppState>,
    auth: Auth<HuntRunner>,
    c: Chrome,
    mut mp: Multipart,
) -> AppResult<Response> {
    let mut n = HuntReportIn::default();
    let mut text: HashMap<String, String> = HashMap::new();
    while let Ok(Some(field)) = mp.next_field().await {
        let name = field.name().unwrap_or("").to_string();
        match name.as_str() {
            "logs" | "rules" | "iocs" => {
                let filename = field.file_name().unwrap_or("tep").to_string();
                let bytes = field
                    .bytes()
                    .await
                    .map_err(|_| AppError::BadRequest("err.too_large"))?;
                if bytes.is_empty() {
                    continue;
                }
                let f = store_file(&state, &filename, &bytes)?;
                match name.as_str() {
                    "logs" => n.sources.push(f),
                    "rules" => n.rule_sets.push(f),
                    _ => n.ioc_sets.push(f),
                }
            }
            "systems" => {
                if let Ok(v) = field.text().await {
                    n.systems.push(v);
                }
            }
            _ => {
                if let Ok(v) = field.text().await {
                    text.insert(name, v);
                }
            }
        }
    }
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
#[template(path = "hunt.html")]
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
        base_query: super::systems::base_query(raw.as_deref()),
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
