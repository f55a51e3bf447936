//! Findings pages: a system's scanner imports and the upload form, an import's result,
//! the findings list with its filters, a finding with its history and the status form,
//! the overdue view per unit, the CSV export.

use axum::extract::{Multipart, Path, Query, RawQuery, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use khien_domain::FieldError;
use khien_domain::findings::StatusChange;
use khien_store::Page;
use khien_store::findings::{Finding, FindingFilter, FindingRow, NewScanImport, OverdueByUnit, ScanImport};
use khien_store::systems::System;

use crate::AppState;
use crate::auth::Auth;
use crate::auth::roles::{AnyRole, ProvinceAdmin, SystemEditor};
use crate::error::AppResult;
use crate::view::{Chrome, FormState, form_pairs, refusal_as_fields, render, render_refused};

/// The tools a user may name (the content decides when none is named).
pub(crate) fn tool_codes() -> Vec<&'static str> {
    khien_scan::Tool::ALL.iter().map(|t| t.code()).collect()
}

#[derive(askama::Template)]
#[template(path = "findings/scans.html")]
struct ScansPage {
    c: Chrome,
    s: System,
    imports: Vec<ScanImport>,
    tools: Vec<&'static str>,
}

async fn scans_page(scoped: &khien_store::Scoped<'_>, c: Chrome, id: &str) -> AppResult<ScansPage> {
    let s = scoped.system(id).await?;
    let imports = scoped.scan_imports_of(id, 20).await?;
    Ok(ScansPage { c, s, imports, tools: tool_codes() })
}

pub async fn scans(State(state): State<AppState>, auth: Auth<AnyRole>, c: Chrome, Path(id): Path<String>) -> AppResult<Html<String>> {
    render(&scans_page(&auth.scoped(&state), c, &id).await?)
}

/// A report uploaded on the system's scans page: streamed to the blob store, queued as
/// an import job; the page comes back (422) with what was chosen when it is refused.
pub async fn upload(
    State(state): State<AppState>,
    auth: Auth<SystemEditor>,
    mut c: Chrome,
    Path(id): Path<String>,
    mut mp: Multipart,
) -> AppResult<Response> {
    let limit = u64::try_from(state.config.max_upload_bytes).unwrap_or(u64::MAX);
    let up = crate::support::read_upload(&state, &mut mp, &["report"], limit).await?;
    let values: Vec<(String, String)> = ["tool", "full_scope"]
        .iter()
        .map(|k| (k.to_string(), up.text(k)))
        .collect();
    let n = NewScanImport {
        system_id: id.clone(),
        file_name: up.file("report").map(|f| f.filename.clone()).unwrap_or_default(),
        file_sha256: up.file("report").map(|f| f.sha256.clone()).unwrap_or_default(),
        file_size: up.file("report").map_or(0, |f| i64::try_from(f.size).unwrap_or(i64::MAX)),
        tool: up.text("tool"),
        full_scope: up.text("full_scope") == "1",
    };
    let refusal = match auth.scoped(&state).queue_scan_import(&n).await {
        Ok(import) => return Ok(Redirect::to(&format!("/scans/{import}")).into_response()),
        Err(e) => e,
    };
    let errors = refusal_as_fields(refusal, &[("import.no_file", "report"), ("finding.err_tool", "tool")])?;
    c.form = FormState::refused("scan", values, errors);
    render_refused(&scans_page(&auth.scoped(&state), c, &id).await?)
}

#[derive(askama::Template)]
#[template(path = "findings/scan.html")]
struct ScanPage {
    c: Chrome,
    i: ScanImport,
    job: Option<khien_store::jobs::Job>,
}

impl ScanPage {
    fn running(&self) -> bool {
        matches!(self.i.state.as_str(), "queued" | "running")
    }
    fn progress(&self) -> i16 {
        self.job.as_ref().map_or(0, |j| j.progress)
    }
    fn skipped(&self) -> Vec<(String, i64)> {
        self.i.skipped.iter().map(|(k, v)| (k.clone(), *v)).collect()
    }
}

pub async fn scan(State(state): State<AppState>, auth: Auth<AnyRole>, c: Chrome, Path(id): Path<String>) -> AppResult<Html<String>> {
    let i = auth.scoped(&state).scan_import(&id).await?;
    // The import is in scope (read above), so its job may be shown.
    let job = state.store.job_of(khien_store::findings::JOB_KIND, &id).await?;
    render(&ScanPage { c, i, job })
}

#[derive(askama::Template)]
#[template(path = "findings/findings_list.html")]
struct ListPage {
    c: Chrome,
    page: Page<FindingRow>,
    filter: FindingFilter,
    base_query: String,
    tools: Vec<&'static str>,
    units: Vec<khien_store::units::Unit>,
}

impl ListPage {
    fn next_link(&self) -> String {
        crate::view::next_href(&self.base_query, &self.page)
    }
    fn export_link(&self) -> String {
        if self.base_query.is_empty() {
            "/findings/export.csv".into()
        } else {
            format!("/findings/export.csv?{}", self.base_query)
        }
    }
}

pub async fn list(
    State(state): State<AppState>,
    auth: Auth<AnyRole>,
    c: Chrome,
    Query(filter): Query<FindingFilter>,
    RawQuery(raw): RawQuery,
) -> AppResult<Html<String>> {
    let scoped = auth.scoped(&state);
    let page = scoped.findings(&filter, 50).await?;
    let units = scoped.unit_choices(&filter.unit_id).await?;
    render(&ListPage {
        c,
        page,
        filter,
        base_query: crate::support::base_query(raw.as_deref()),
        tools: tool_codes(),
        units,
    })
}

#[derive(askama::Template)]
#[template(path = "findings/overdue.html")]
struct OverduePage {
    c: Chrome,
    rows: Vec<OverdueByUnit>,
}

pub async fn overdue(State(state): State<AppState>, auth: Auth<AnyRole>, c: Chrome) -> AppResult<Html<String>> {
    let rows = auth.scoped(&state).overdue_by_unit().await?;
    render(&OverduePage { c, rows })
}

#[derive(askama::Template)]
#[template(path = "findings/finding.html")]
struct DetailPage {
    c: Chrome,
    f: Finding,
    can_decide: bool,
    statuses: [&'static str; 4],
}

async fn detail_page(scoped: &khien_store::Scoped<'_>, c: Chrome, id: &str) -> AppResult<DetailPage> {
    let f = scoped.finding(id).await?;
    let can_decide = scoped.principal.role.can_edit_systems();
    Ok(DetailPage { c, f, can_decide, statuses: khien_domain::findings::STATUSES })
}

pub async fn detail(State(state): State<AppState>, auth: Auth<AnyRole>, c: Chrome, Path(id): Path<String>) -> AppResult<Html<String>> {
    render(&detail_page(&auth.scoped(&state), c, &id).await?)
}

/// The status form's fields.
#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct StatusForm {
    pub status: String,
    pub reason: String,
    pub approver: String,
    /// dd/mm/yyyy (or ISO): the accepted risk's last day.
    pub expires: String,
}

impl StatusForm {
    /// The change asked for; a date that cannot be read is the form's error.
    pub fn change(&self) -> Result<StatusChange<'_>, FieldError> {
        let expires = match self.expires.trim() {
            "" => None,
            s => Some(khien_domain::time_fmt::parse_user_date(s).ok_or(FieldError { field: "expires", key: "err.date", detail: String::new() })?),
        };
        Ok(StatusChange { to: self.status.trim(), reason: &self.reason, approver: &self.approver, expires })
    }
}

pub async fn set_status(
    State(state): State<AppState>,
    auth: Auth<SystemEditor>,
    mut c: Chrome,
    Path(id): Path<String>,
    body: String,
) -> AppResult<Response> {
    let values = form_pairs(&body);
    let form: StatusForm = crate::view::parse_form(&body)?;
    let errors = match form.change() {
        Err(e) => vec![e],
        Ok(change) => match auth.scoped(&state).set_finding_status(&id, &change).await {
            Ok(()) => return Ok(Redirect::to(&format!("/findings/{id}")).into_response()),
            Err(e) => refusal_as_fields(e, &[("finding.err_risk_expiry", "expires"), ("finding.err_reason", "reason")])?,
        },
    };
    c.form = FormState::refused("status", values, errors);
    render_refused(&detail_page(&auth.scoped(&state), c, &id).await?)
}

#[derive(askama::Template)]
#[template(path = "findings/kev.html")]
struct KevPage {
    c: Chrome,
    versions: Vec<khien_store::kev::KevVersion>,
    /// What the newest version added over the one before.
    added: Vec<khien_store::kev::KevAdded>,
    /// The last load's counts, after a load.
    loaded: Option<khien_store::kev::KevLoad>,
    error: Option<String>,
}

async fn kev_page(scoped: &khien_store::Scoped<'_>, c: Chrome, loaded: Option<khien_store::kev::KevLoad>, error: Option<String>) -> AppResult<KevPage> {
    let versions = scoped.kev_versions().await?;
    let added = match versions.first() {
        Some(v) => scoped.kev_added(&v.id).await?,
        None => Vec::new(),
    };
    Ok(KevPage { c, versions, added, loaded, error })
}

pub async fn kev(State(state): State<AppState>, auth: Auth<AnyRole>, c: Chrome) -> AppResult<Html<String>> {
    render(&kev_page(&auth.scoped(&state), c, None, None).await?)
}

/// A KEV catalogue version uploaded by the department (the JSON feed).
pub async fn load_kev(State(state): State<AppState>, auth: Auth<ProvinceAdmin>, c: Chrome, mut mp: Multipart) -> AppResult<Response> {
    let up = crate::support::read_upload(&state, &mut mp, &["catalogue"], khien_scan::kev::MAX_KEV_BYTES as u64).await?;
    let scoped = auth.scoped(&state);
    let refused = |key: &str| Some(c.t.s(key).to_string());
    let (loaded, error) = match up.file("catalogue") {
        None => (None, refused("import.no_file")),
        Some(f) => {
            let bytes = crate::support::read_stored(&state, &f.sha256).await?;
            match khien_scan::kev::parse_kev(&bytes) {
                Err(e) => (None, Some(format!("{} {e}", c.t.s("kev.err_file")))),
                Ok(cat) => match scoped.load_kev(&cat, &f.sha256, &f.filename).await {
                    Ok(l) => (Some(l), None),
                    Err(khien_store::StoreError::Conflict(k)) => (None, refused(k)),
                    Err(e) => return Err(e.into()),
                },
            }
        }
    };
    let status = if error.is_some() { axum::http::StatusCode::UNPROCESSABLE_ENTITY } else { axum::http::StatusCode::OK };
    Ok((status, render(&kev_page(&scoped, c, loaded, error).await?)?).into_response())
}

/// CSV of the filtered findings, streamed a page at a time (keyset), so an export of a
/// province's findings never sits in memory.
pub async fn export_csv(State(state): State<AppState>, auth: Auth<AnyRole>, Query(filter): Query<FindingFilter>) -> AppResult<Response> {
    use tokio::io::AsyncWriteExt;
    // Refuse before the first byte when the filter cannot be read at all.
    auth.scoped(&state).findings(&filter, 1).await?;
    let (mut tx, rx) = tokio::io::duplex(64 * 1024);
    let principal = auth.principal.clone();
    tokio::spawn(async move {
        let scoped = state.store.scoped(&principal);
        let mut f = filter;
        // Excel opens UTF-8 CSV as such only with the byte-order mark.
        let mut out = String::from("\u{feff}id,system,severity,status,title,rule_id,cves,host,port,location,first_seen,last_seen,due_on,overdue,kev,kev_date_added,kev_ransomware\r\n");
        loop {
            let page = match scoped.findings(&f, 1000).await {
                Ok(p) => p,
                Err(e) => {
                    tracing::warn!(error = %e, "findings export stopped");
                    return;
                }
            };
            for r in &page.items {
                let cells = [
                    r.id.clone(),
                    r.system_name.clone(),
                    r.severity.clone(),
                    r.effective_status.clone(),
                    r.title.clone(),
                    r.rule_id.clone(),
                    r.cves.join(" "),
                    r.host.clone(),
                    r.port.map(|p| p.to_string()).unwrap_or_default(),
                    r.location.clone(),
                    r.first_seen.clone(),
                    r.last_seen.clone(),
                    r.due_on.clone().unwrap_or_default(),
                    u8::from(r.overdue).to_string(),
                    u8::from(r.kev).to_string(),
                    r.kev_date_added.clone().unwrap_or_default(),
                    u8::from(r.kev_ransomware).to_string(),
                ];
                out.push_str(&cells.iter().map(|c| csv_cell(c)).collect::<Vec<_>>().join(","));
                out.push_str("\r\n");
            }
            if tx.write_all(out.as_bytes()).await.is_err() {
                return;
            }
            out.clear();
            match page.next_after {
                Some(after) => f.after = after,
                None => return,
            }
        }
    });
    let body = axum::body::Body::from_stream(tokio_util::io::ReaderStream::new(rx));
    Ok((
        [
            (axum::http::header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (axum::http::header::CONTENT_DISPOSITION, "attachment; filename=\"findings.csv\""),
        ],
        body,
    )
        .into_response())
}

/// One CSV cell (RFC 4180), with formula-leading text neutralised for spreadsheets.
fn csv_cell(v: &str) -> String {
    let v = if v.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{v}") } else { v.to_string() };
    if v.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", v.replace('"', "\"\""))
    } else {
        v
    }
}

#[cfg(test)]
mod tests {
    use super::csv_cell;

    #[test]
    fn csv_cells_are_quoted_and_formulas_defused() {
        assert_eq!(csv_cell("a,b"), "\"a,b\"");
        assert_eq!(csv_cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_cell("=HYPERLINK(1)"), "'=HYPERLINK(1)");
        assert_eq!(csv_cell("Lỗ hổng"), "Lỗ hổng");
    }
}

