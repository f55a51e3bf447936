//! The rule library's pages: the sets and their rules (filtered), one rule's text, the
//! import, and the switches.

use axum::extract::{Multipart, Path, Query, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use khien_store::Page;
use khien_store::StoreError;
use khien_store::rules::{Imported, LibraryRule, RuleFilter, RuleSet, RuleSetIn};
use tokio::io::AsyncReadExt;

use super::release::{self, Release};
use crate::AppState;
use crate::auth::Auth;
use crate::auth::roles::{AnyRole, ProvinceAdmin};
use crate::error::{AppError, AppResult};
use crate::view::{Chrome, page_href, render};

/// What the last import did, shown above the library.
enum Notice {
    Imported(RuleSet),
    Again(RuleSet),
    Error(String),
}

#[derive(askama::Template)]
#[template(path = "rules/rules.html")]
struct LibraryPage {
    c: Chrome,
    sets: Vec<RuleSet>,
    rules: Page<LibraryRule>,
    filter: RuleFilter,
    products: Vec<String>,
    levels: &'static [&'static str],
    base_query: String,
    notice: Option<Notice>,
    /// Where the switches send the browser back to (this page with its filters).
    back: String,
}

impl LibraryPage {
    fn page_link(&self, n: i64) -> String {
        page_href(&self.base_query, n)
    }
    fn set_label(s: &RuleSet) -> String {
        if s.version.is_empty() {
            s.name.clone()
        } else {
            format!("{} {}", s.name, s.version)
        }
    }
    fn logsource(r: &LibraryRule) -> String {
        [&r.product, &r.category, &r.service]
            .iter()
            .filter(|v| !v.is_empty())
            .map(|v| v.as_str())
            .collect::<Vec<_>>()
            .join(" / ")
    }
    fn imported_text(&self, s: &RuleSet) -> String {
        self.c.t.f(
            "rules.imported",
            &[&Self::set_label(s), &s.rules_loaded.to_string(), &s.rules_skipped.to_string()],
        )
    }
    fn again_text(&self, s: &RuleSet) -> String {
        self.c.t.f(
            "rules.again",
            &[&Self::set_label(s), &self.c.datetime(&s.imported_at)],
        )
    }
}

async fn library_page(
    state: &AppState,
    auth_scoped: khien_store::Scoped<'_>,
    c: Chrome,
    filter: RuleFilter,
    raw: Option<&str>,
    notice: Option<Notice>,
) -> AppResult<LibraryPage> {
    let sets = auth_scoped.rule_sets().await?;
    let rules = auth_scoped.library_rules(&filter, 50).await?;
    let products = auth_scoped.library_products().await?;
    let _ = state;
    let base_query = crate::support::base_query(raw);
    let back = match raw.filter(|q| !q.is_empty()) {
        Some(q) => format!("/rules?{q}"),
        None => "/rules".into(),
    };
    Ok(LibraryPage {
        c,
        sets,
        rules,
        filter,
        products,
        levels: &khien_domain::rules::LEVELS,
        base_query,
        notice,
        back,
    })
}

pub async fn library(
    State(state): State<AppState>,
    auth: Auth<AnyRole>,
    c: Chrome,
    Query(filter): Query<RuleFilter>,
    RawQuery(raw): RawQuery,
) -> AppResult<Html<String>> {
    let scoped = auth.scoped(&state);
    render(&library_page(&state, scoped, c, filter, raw.as_deref(), None).await?)
}

/// Reads a small uploaded rule file from the blob store, at most a rule file's limit.
async fn read_blob(state: &AppState, sha: &str) -> AppResult<Vec<u8>> {
    let reader = state
        .store
        .blobs
        .open(sha)
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?;
    let mut out = Vec::new();
    reader
        .take(release::LIMITS.max_entry_uncompressed + 1)
        .read_to_end(&mut out)
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(out)
}

/// The release in an upload: one zip, or rule files (a folder). Refusals are i18n keys.
async fn release_of(state: &AppState, up: &crate::support::upload::Upload) -> AppResult<Result<(Release, String, String), &'static str>> {
    let files: Vec<&khien_store::StoredFile> = up.files_of("files").collect();
    let Some(first) = files.first() else {
        return Ok(Err("rules.err_no_file"));
    };
    let mut zips = Vec::new();
    let mut release = Release::default();
    for f in &files {
        let bytes = read_blob(state, &f.sha256).await?;
        if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06") {
            zips.push(*f);
            continue;
        }
        if u64::try_from(bytes.len()).unwrap_or(u64::MAX) > release::LIMITS.max_entry_uncompressed {
            return Ok(Err("rules.err_bomb"));
        }
        if let Err(key) = release.add(&f.filename, bytes) {
            return Ok(Err(key));
        }
    }
    match (zips.as_slice(), release.files.is_empty()) {
        ([], _) => {
            // A folder: its name is the top folder the browser sent, else the first file's.
            let top = first.filename.split(['/', '\\']).next().unwrap_or("").to_string();
            Ok(Ok((release, top, String::new())))
        }
        ([zip], true) => {
            let dir = state
                .store
                .blobs
                .scratch_dir("rules")
                .map_err(|e| AppError::Internal(e.to_string()))?;
            let path = dir.join("release.zip");
            let copied = state.store.blobs.copy_to(&zip.sha256, &path).await;
            let read = match copied {
                Ok(_) => {
                    let p = path.clone();
                    crate::support::blocking::run(move || release::read_zip(&p)).await
                }
                Err(e) => Err(AppError::Internal(e.to_string())),
            };
            let _ = std::fs::remove_dir_all(&dir);
            Ok(read?.map(|r| (r, zip.filename.clone(), zip.sha256.clone())))
        }
        _ => Ok(Err("rules.err_one_zip")),
    }
}

pub async fn import(
    State(state): State<AppState>,
    auth: Auth<ProvinceAdmin>,
    c: Chrome,
    mut mp: Multipart,
) -> AppResult<Response> {
    let limit = u64::try_from(state.config.max_upload_bytes).unwrap_or(u64::MAX);
    let up = crate::support::read_upload(&state, &mut mp, &["files"], limit).await?;
    let scoped = auth.scoped(&state);
    let fail = |c: Chrome, key: &'static str| {
        let msg = c.t.s(key).to_string();
        (c, Notice::Error(msg))
    };
    let (c, notice) = match release_of(&state, &up).await? {
        Err(key) => fail(c, key),
        Ok((release, source_name, source_sha256)) if release.files.is_empty() => {
            let _ = (source_name, source_sha256);
            fail(c, "rules.err_empty")
        }
        Ok((release, source_name, source_sha256)) => {
            let typed_version = khien_domain::rules::label(&up.text("version"));
            let version = Some(typed_version)
                .filter(|v| !v.is_empty())
                .or_else(|| release.version.clone())
                .or_else(|| khien_domain::rules::version_from_name(&source_name))
                .unwrap_or_default();
            let typed_name = khien_domain::rules::label(&up.text("name"));
            let name = Some(typed_name)
                .filter(|n| !n.is_empty())
                .unwrap_or_else(|| khien_domain::rules::name_from_file(&source_name));
            // Parsing and compiling every rule is CPU work on untrusted input.
            let files = crate::support::blocking::run(move || release::judge(release)).await?;
            let set = RuleSetIn {
                name,
                version,
                source_name,
                source_sha256,
                files,
            };
            match scoped.import_rule_set(&set).await {
                Ok(Imported::New(s)) => (c, Notice::Imported(s)),
                Ok(Imported::Again(s)) => (c, Notice::Again(s)),
                Err(StoreError::Conflict(key)) => fail(c, key),
                Err(e) => return Err(e.into()),
            }
        }
    };
    let status = match notice {
        Notice::Error(_) => StatusCode::UNPROCESSABLE_ENTITY,
        _ => StatusCode::OK,
    };
    let page = library_page(&state, auth.scoped(&state), c, RuleFilter::default(), None, Some(notice)).await?;
    Ok((status, render(&page)?).into_response())
}

#[derive(askama::Template)]
#[template(path = "rules/rule.html")]
struct RulePage {
    c: Chrome,
    r: LibraryRule,
    text: String,
    set: RuleSet,
}

pub async fn rule(
    State(state): State<AppState>,
    auth: Auth<AnyRole>,
    c: Chrome,
    Path(id): Path<String>,
) -> AppResult<Html<String>> {
    let scoped = auth.scoped(&state);
    let (r, text) = scoped.library_rule(&id).await?;
    let set = scoped.rule_set(&r.set_id).await?;
    render(&RulePage { c, r, text, set })
}

#[derive(serde::Deserialize)]
pub struct EnabledForm {
    #[serde(default)]
    enabled: String,
    #[serde(default)]
    back: String,
}

/// Back to the library page the switch was on (only ever a path of it).
fn back_to(back: &str, fallback: &str) -> Redirect {
    if back.starts_with("/rules") && !back.starts_with("//") {
        Redirect::to(back)
    } else {
        Redirect::to(fallback)
    }
}

pub async fn rule_enabled(
    State(state): State<AppState>,
    auth: Auth<ProvinceAdmin>,
    Path(id): Path<String>,
    axum::Form(f): axum::Form<EnabledForm>,
) -> AppResult<Redirect> {
    auth.scoped(&state)
        .set_rule_enabled(&id, f.enabled == "1")
        .await?;
    Ok(back_to(&f.back, &format!("/rules/{id}")))
}

pub async fn set_enabled(
    State(state): State<AppState>,
    auth: Auth<ProvinceAdmin>,
    Path(id): Path<String>,
    axum::Form(f): axum::Form<EnabledForm>,
) -> AppResult<Redirect> {
    auth.scoped(&state)
        .set_rule_set_enabled(&id, f.enabled == "1")
        .await?;
    Ok(back_to(&f.back, "/rules"))
}
