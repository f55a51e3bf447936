//! Findings as JSON, and reports pushed by scanners (`POST /api/v1/systems/{id}/scans`
//! with a token of the `imports` scope).

use axum::Json;
use axum::extract::{FromRequest, Multipart, Path, Query, Request, State};
use khien_store::Page;
use khien_store::findings::{Finding, FindingFilter, FindingRow, NewScanImport, OverdueByUnit, ScanImport};
use schemars::JsonSchema;
use serde::Deserialize;

use crate::AppState;
use crate::api::openapi::Op;
use crate::api::{Api, ApiResult, Items, created, ok, refuse};
use crate::auth::Access;
use crate::auth::Auth;
use crate::auth::roles::{AnyRole, SystemEditor};
use crate::error::AppError;

pub(crate) fn routes(api: Api) -> Api {
    let any = AnyRole::NAMES;
    api.post(
        "/api/v1/systems/{id}/scans",
        SystemEditor::NAMES,
        push_report,
        Op::creates::<ScanImport>(
            "Import a scanner report into a system (runs as a job): multipart with the file in `report`, or the file itself as the body with `tool`, `full_scope` and `name` in the query",
        )
        .query::<ReportQuery>()
        .multipart::<ReportForm>(),
    )
    .get(
        "/api/v1/systems/{id}/scans",
        any,
        system_scans,
        Op::new::<Items<ScanImport>>("A system's latest 50 imports, newest first"),
    )
    .get(
        "/api/v1/scans/{id}",
        any,
        get_scan,
        Op::new::<ScanImport>("One import: tool, file, state, counts"),
    )
    .get(
        "/api/v1/findings",
        any,
        list_findings,
        Op::new::<Page<FindingRow>>("Findings in scope, worst first then nearest deadline, 200 a page (keyset: `after`)").query::<FindingFilter>(),
    )
    .get(
        "/api/v1/findings/overdue",
        any,
        overdue,
        Op::new::<Items<OverdueByUnit>>("Open findings past their deadline, per owner unit"),
    )
    .get(
        "/api/v1/findings/{id}",
        any,
        get_finding,
        Op::new::<Finding>("One finding with the scanner's detail and its history"),
    )
    .post(
        "/api/v1/findings/{id}/status",
        SystemEditor::NAMES,
        set_status,
        Op::new::<Finding>("Decide a finding's status: open, fixed or false_positive (reason), accepted_risk (reason, approver, expires)").json::<StatusBody>(),
    )
}

/// How a report sent as the raw body is read.
#[derive(Deserialize, Default, JsonSchema)]
#[serde(default)]
pub struct ReportQuery {
    /// The tool (`nessus_xml`, `zap_xml`, …); empty: recognised from the content.
    pub tool: String,
    /// `true`: the scan covered the whole system (what it no longer reports is fixed).
    pub full_scope: bool,
    /// The file's name, for the record.
    pub name: String,
}

/// A report sent as `multipart/form-data`.
#[derive(Deserialize, Default, JsonSchema)]
#[serde(default)]
pub struct ReportForm {
    /// The report file.
    pub report: String,
    pub tool: String,
    /// `1`: full scope.
    pub full_scope: String,
}

#[derive(Deserialize, Default, JsonSchema)]
#[serde(default)]
pub struct StatusBody {
    /// open | fixed | accepted_risk | false_positive
    pub status: String,
    pub reason: String,
    /// Accepted risk: who approved it.
    pub approver: String,
    /// Accepted risk: its last day (yyyy-mm-dd or dd/mm/yyyy).
    pub expires: String,
}

pub async fn push_report(
    State(s): State<AppState>,
    auth: Auth<SystemEditor>,
    Path(id): Path<String>,
    Query(q): Query<ReportQuery>,
    req: Request,
) -> ApiResult {
    let limit = u64::try_from(s.config.max_upload_bytes).unwrap_or(u64::MAX);
    let multipart = req
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    let (file, tool, full_scope) = if multipart {
        let mut mp = Multipart::from_request(req, &s).await.map_err(|_| refuse(AppError::BadRequest("err.bad_request")))?;
        let up = crate::support::read_upload(&s, &mut mp, &["report"], limit).await.map_err(refuse)?;
        let full = matches!(up.text("full_scope").as_str(), "1" | "true");
        (up.file("report").cloned(), up.text("tool"), full)
    } else {
        (stream_body(&s, req, limit, &q.name).await.map_err(refuse)?, q.tool, q.full_scope)
    };
    let file = file.ok_or_else(|| refuse(AppError::BadRequest("import.no_file")))?;
    let scoped = auth.scoped(&s);
    let import = scoped
        .queue_scan_import(&NewScanImport {
            system_id: id,
            file_name: file.filename.clone(),
            file_sha256: file.sha256.clone(),
            file_size: i64::try_from(file.size).unwrap_or(i64::MAX),
            tool,
            full_scope,
        })
        .await
        .map_err(refuse)?;
    created(scoped.scan_import(&import).await.map_err(refuse)?)
}

/// A raw request body streamed into the blob store (`None` when empty).
async fn stream_body(s: &AppState, req: Request, limit: u64, name: &str) -> Result<Option<khien_store::StoredFile>, AppError> {
    use futures_util::StreamExt;
    let mut w = s.store.blobs.writer(limit).await.map_err(|e| AppError::Internal(e.to_string()))?;
    let mut body = req.into_body().into_data_stream();
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|_| AppError::PayloadTooLarge)?;
        w.write(&chunk).await.map_err(|e| match e {
            khien_store::UploadError::TooLarge(_) => AppError::PayloadTooLarge,
            khien_store::UploadError::Io(e) => AppError::Internal(e.to_string()),
        })?;
    }
    if w.size() == 0 {
        return Ok(None);
    }
    let name = if name.trim().is_empty() { "report" } else { name.trim() };
    Ok(Some(w.finish(name).await.map_err(|e| AppError::Internal(e.to_string()))?))
}

pub async fn system_scans(State(s): State<AppState>, auth: Auth<AnyRole>, Path(id): Path<String>) -> ApiResult {
    let items = auth.scoped(&s).scan_imports_of(&id, 50).await.map_err(refuse)?;
    ok(Items { items })
}

pub async fn get_scan(State(s): State<AppState>, auth: Auth<AnyRole>, Path(id): Path<String>) -> ApiResult {
    ok(auth.scoped(&s).scan_import(&id).await.map_err(refuse)?)
}

pub async fn list_findings(State(s): State<AppState>, auth: Auth<AnyRole>, Query(f): Query<FindingFilter>) -> ApiResult {
    ok(auth.scoped(&s).findings(&f, 200).await.map_err(refuse)?)
}

pub async fn overdue(State(s): State<AppState>, auth: Auth<AnyRole>) -> ApiResult {
    ok(Items { items: auth.scoped(&s).overdue_by_unit().await.map_err(refuse)? })
}

pub async fn get_finding(State(s): State<AppState>, auth: Auth<AnyRole>, Path(id): Path<String>) -> ApiResult {
    ok(auth.scoped(&s).finding(&id).await.map_err(refuse)?)
}

pub async fn set_status(State(s): State<AppState>, auth: Auth<SystemEditor>, Path(id): Path<String>, Json(b): Json<StatusBody>) -> ApiResult {
    let form = super::pages::StatusForm { status: b.status, reason: b.reason, approver: b.approver, expires: b.expires };
    let change = form.change().map_err(|e| refuse(AppError::BadRequest(e.key)))?;
    let scoped = auth.scoped(&s);
    scoped.set_finding_status(&id, &change).await.map_err(refuse)?;
    ok(scoped.finding(&id).await.map_err(refuse)?)
}
