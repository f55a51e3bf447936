//! Exchange: the incident as a STIX 2.1 bundle or a MISP event (downloads and API),
//! indicators from either imported into its observables (its IOC set), and "săn tìm
//! theo IOC của sự cố": a hunt over uploaded logs with those observables as its IOC set.

use axum::Json;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Redirect, Response};
use khien_domain::exchange::{DEFAULT_EXPORT_TLP, misp_event, stix_bundle, tlp_from_marking};
use khien_domain::incidents::{ObservableKind, Tlp};
use khien_domain::{FieldError, Invalid};
use khien_hunt::ioc::IocType;
use khien_store::hunts::{FileRef, HuntReportIn};
use khien_store::incidents::{ImportReport, ImportedIndicator};
use khien_store::{Scoped, StoreError};
use serde_json::Value;

use crate::AppState;
use crate::api::{ApiLang, ApiResult, api_error, ok, refuse};
use crate::auth::Auth;
use crate::auth::roles::{AnyRole, IncidentWorker};
use crate::error::{AppError, AppResult};
use crate::view::{Chrome, render};

/// Largest STIX bundle or MISP event read in one import.
const IMPORT_BYTES: u64 = 8 * 1024 * 1024;

/// Who the exported documents say produced them.
pub(crate) fn producer(state: &AppState) -> String {
    match state.config.province_name.trim() {
        "" => "Khiên".to_string(),
        p => format!("Khiên — {p}"),
    }
}

/// The two exchange formats, as documents and as downloads.
#[derive(Clone, Copy)]
pub(crate) enum Format {
    Stix,
    Misp,
}

impl Format {
    fn suffix(self) -> &'static str {
        match self {
            Format::Stix => "stix.json",
            Format::Misp => "misp.json",
        }
    }
    fn media_type(self) -> &'static str {
        match self {
            Format::Stix => "application/stix+json;version=2.1",
            Format::Misp => "application/json",
        }
    }
}

/// `?tlp=`: the strictest TLP an export may carry (`clear` … `red`); absent, AMBER.
#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct ExportQuery {
    tlp: String,
}

impl ExportQuery {
    fn max_tlp(&self) -> AppResult<Tlp> {
        match self.tlp.trim() {
            "" => Ok(DEFAULT_EXPORT_TLP),
            t => Tlp::parse(t).ok_or(AppError::BadRequest("exchange.err_tlp")),
        }
    }
}

/// Says how many observables an export left out for their TLP.
const LEFT_OUT_HEADER: &str = "x-khien-observables-left-out";

/// The incident (in the principal's scope) as a document shared at `max` TLP: (file
/// name, document, observables left out).
async fn document(state: &AppState, scoped: &Scoped<'_>, id: &str, format: Format, max: Tlp) -> AppResult<(String, Value, usize)> {
    let d = scoped.incident_detail(id).await?;
    let (x, left_out) = d.exchange().shared_at(max);
    let doc = render_document(state, &x, format)?;
    Ok((format!("{}.{}", d.incident.reference, format.suffix()), doc, left_out))
}

fn render_document(state: &AppState, x: &khien_domain::exchange::ExchangeIncident, format: Format) -> AppResult<Value> {
    match format {
        Format::Stix => stix_bundle(x, &producer(state)),
        Format::Misp => misp_event(x, &producer(state)),
    }
    .map_err(|e| AppError::Internal(e.to_string()))
}

async fn download(state: &AppState, auth: &Auth<AnyRole>, id: &str, format: Format, q: &ExportQuery) -> AppResult<Response> {
    let (name, doc, left_out) = document(state, &auth.scoped(state), id, format, q.max_tlp()?).await?;
    let body = serde_json::to_vec_pretty(&doc).map_err(|e| AppError::Internal(e.to_string()))?;
    Ok((
        [(CONTENT_TYPE, format.media_type().to_string()), (CONTENT_DISPOSITION, crate::support::attachment_disposition(&name)), (axum::http::HeaderName::from_static(LEFT_OUT_HEADER), left_out.to_string())],
        body,
    )
        .into_response())
}

pub async fn download_stix(State(state): State<AppState>, auth: Auth<AnyRole>, Path(id): Path<String>, Query(q): Query<ExportQuery>) -> AppResult<Response> {
    download(&state, &auth, &id, Format::Stix, &q).await
}

pub async fn download_misp(State(state): State<AppState>, auth: Auth<AnyRole>, Path(id): Path<String>, Query(q): Query<ExportQuery>) -> AppResult<Response> {
    download(&state, &auth, &id, Format::Misp, &q).await
}

pub async fn api_stix(State(state): State<AppState>, auth: Auth<AnyRole>, Path(id): Path<String>, Query(q): Query<ExportQuery>) -> ApiResult {
    let max = q.max_tlp().map_err(refuse)?;
    ok(document(&state, &auth.scoped(&state), &id, Format::Stix, max).await.map_err(refuse)?.1)
}

pub async fn api_misp(State(state): State<AppState>, auth: Auth<AnyRole>, Path(id): Path<String>, Query(q): Query<ExportQuery>) -> ApiResult {
    let max = q.max_tlp().map_err(refuse)?;
    ok(document(&state, &auth.scoped(&state), &id, Format::Misp, max).await.map_err(refuse)?.1)
}

/// The observable kind an indicator of the hunt's readers is recorded as; networks
/// and registry keys have none.
fn observable_kind(t: IocType) -> Option<ObservableKind> {
    Some(match t {
        IocType::Ipv4 | IocType::Ipv6 => ObservableKind::Ip,
        IocType::Domain => ObservableKind::Domain,
        IocType::Url => ObservableKind::Url,
        IocType::Md5 | IocType::Sha1 | IocType::Sha256 => ObservableKind::Hash,
        IocType::FileName => ObservableKind::File,
        IocType::Cidr | IocType::RegistryKey => return None,
    })
}

fn refused(field: &'static str, key: &'static str) -> StoreError {
    StoreError::Invalid(Invalid { errors: vec![FieldError { field, key, detail: String::new() }] })
}

/// Reads a STIX bundle or MISP event with the hunt's own readers (so an import takes
/// exactly what a hunt of that file would): the indicators as observables, each with
/// its TLP (its STIX marking or MISP `tlp:` tag, else `default_tlp`), and every entry
/// skipped with the reason.
pub(crate) fn read_indicators(doc: &Value, origin: &str, default_tlp: Tlp) -> Result<(Vec<ImportedIndicator>, Vec<String>), StoreError> {
    let mut loaded = khien_hunt::ioc::load::Loaded::default();
    khien_hunt::ioc::load::load_json(doc, origin, &mut loaded).map_err(|_| refused("file", "exchange.err_format"))?;
    let mut found = Vec::new();
    let mut skipped = loaded.unsupported;
    for ioc in loaded.iocs {
        match observable_kind(ioc.kind) {
            Some(kind) => found.push(ImportedIndicator {
                kind,
                tlp: ioc.markings.iter().find_map(|m| tlp_from_marking(m)).unwrap_or(default_tlp),
                value: ioc.value,
                origin: ioc.origin,
            }),
            None => skipped.push(format!("{}: {} {}: no observable kind for it", ioc.origin, ioc.kind.name(), ioc.value)),
        }
    }
    Ok((found, skipped))
}

fn parse_document(bytes: &[u8]) -> Result<Value, StoreError> {
    let text = String::from_utf8_lossy(bytes);
    serde_json::from_str(text.trim_start_matches('\u{feff}')).map_err(|_| refused("file", "exchange.err_json"))
}

async fn import(scoped: &Scoped<'_>, id: &str, bytes: &[u8], origin: &str, tlp: &str) -> Result<ImportReport, StoreError> {
    let tlp = match tlp.trim() {
        "" => Tlp::Amber,
        t => Tlp::parse(t).ok_or_else(|| refused("tlp", "err.choice"))?,
    };
    // The incident must be visible before its input is looked at.
    scoped.incident(id).await?;
    let doc = parse_document(bytes)?;
    let (found, skipped) = read_indicators(&doc, origin, tlp)?;
    scoped.import_observables(id, &found, skipped).await
}

#[derive(serde::Deserialize, Default, schemars::JsonSchema)]
#[serde(default)]
pub struct ImportQuery {
    /// The TLP of indicators that carry none (default amber).
    pub tlp: String,
}

pub async fn api_import(
    State(state): State<AppState>,
    auth: Auth<IncidentWorker>,
    ApiLang(lang): ApiLang,
    Path(id): Path<String>,
    axum::extract::Query(q): axum::extract::Query<ImportQuery>,
    Json(doc): Json<Value>,
) -> ApiResult {
    let bytes = serde_json::to_vec(&doc).map_err(|e| refuse(AppError::Internal(e.to_string())))?;
    ok(import(&auth.scoped(&state), &id, &bytes, "api", &q.tlp).await.map_err(|e| api_error(lang, e))?)
}

/// Reads a stored upload back, at most `limit` bytes.
async fn read_blob(state: &AppState, sha256: &str, limit: u64) -> AppResult<Vec<u8>> {
    use tokio::io::AsyncReadExt;
    let file = state.store.blobs.open(sha256).await.map_err(|e| AppError::Internal(format!("blob store: {e}")))?;
    let mut out = Vec::new();
    file.take(limit).read_to_end(&mut out).await.map_err(|e| AppError::Internal(format!("blob store: {e}")))?;
    Ok(out)
}

pub async fn import_page(State(state): State<AppState>, auth: Auth<IncidentWorker>, c: Chrome, Path(id): Path<String>, mut mp: Multipart) -> AppResult<Response> {
    let scoped = auth.scoped(&state);
    scoped.incident(&id).await?;
    let up = crate::support::read_upload(&state, &mut mp, &["file"], IMPORT_BYTES).await?;
    let tlp = up.text("tlp");
    let values = vec![("tlp".to_string(), tlp.clone())];
    let r = match up.file("file") {
        Some(f) => {
            let bytes = read_blob(&state, &f.sha256, IMPORT_BYTES).await?;
            import(&scoped, &id, &bytes, &f.filename, &tlp).await
        }
        None => Err(refused("file", "err.required")),
    };
    match r {
        Ok(report) => {
            let mut page = super::pages::build(&state, &auth, c, &id).await?;
            page.import = Some(report);
            Ok(render(&page)?.into_response())
        }
        Err(e) => super::pages::after(&state, &auth, c, &id, ("import", "exchange"), values, Err::<(), _>(e)).await,
    }
}

/// Starts the incident's IOC hunt: its observables as a STIX bundle (stored like an
/// uploaded IOC file) over the logs uploaded now and those chosen from earlier hunts,
/// on the systems chosen (default: the incident's affected systems).
pub async fn hunt(State(state): State<AppState>, auth: Auth<IncidentWorker>, c: Chrome, Path(id): Path<String>, mut mp: Multipart) -> AppResult<Response> {
    let scoped = auth.scoped(&state);
    let d = scoped.incident_detail(&id).await?;
    let limit = u64::try_from(state.config.max_upload_bytes).unwrap_or(u64::MAX);
    let up = crate::support::read_upload(&state, &mut mp, &["logs"], limit).await?;
    let mut values = vec![("title".to_string(), up.text("title"))];
    values.extend(up.lists.get("systems").into_iter().flatten().map(|s| ("systems".to_string(), s.clone())));
    let outcome: Result<String, StoreError> = 'queued: {
    if d.observables.is_empty() {
        break 'queued Err(refused("observables", "exchange.err_no_observables"));
    }
    let mut sources: Vec<FileRef> = up
        .files_of("logs")
        .map(|f| FileRef { name: f.filename.clone(), sha256: f.sha256.clone(), size: i64::try_from(f.size).unwrap_or(i64::MAX), count: 0 })
        .collect();
    let chosen = up.lists.get("earlier").cloned().unwrap_or_default();
    if !chosen.is_empty() {
        // Only files of hunts this principal sees: a guessed digest reaches nothing.
        let earlier = scoped.uploaded_logs(500).await?;
        for sha in &chosen {
            match earlier.iter().find(|f| &f.sha256 == sha) {
                Some(f) if !sources.iter().any(|s| s.sha256 == f.sha256) => sources.push(f.clone()),
                Some(_) => {}
                None => break 'queued Err(refused("earlier", "exchange.err_log_choice")),
            }
        }
    }
    let systems = match up.lists.get("systems") {
        Some(s) if !s.is_empty() => s.clone(),
        _ => d.systems.iter().map(|s| s.id.clone()).collect(),
    };
    let title = match up.text("title").trim() {
        "" => format!("Săn tìm theo IOC của sự cố {}", d.incident.reference),
        t => t.to_string(),
    };
    // Every observable, whatever its TLP: the IOC set stays inside the platform.
    let bundle = render_document(&state, &d.exchange(), Format::Stix)?;
    let bytes = serde_json::to_vec_pretty(&bundle).map_err(|e| AppError::Internal(e.to_string()))?;
    let name = format!("{}.{}", d.incident.reference, Format::Stix.suffix());
    let stored = state.store.blobs.put(&name, &bytes).await.map_err(|e| AppError::Internal(format!("blob store: {e}")))?;
    let iocs = FileRef { name, sha256: stored.sha256.clone(), size: i64::try_from(stored.size).unwrap_or(i64::MAX), count: i64::try_from(d.observables.len()).unwrap_or(0) };
    let n = HuntReportIn { title, systems, sources, ..Default::default() };
    scoped.queue_incident_hunt(&id, &n, iocs).await
    };
    match outcome {
        Ok(hunt) => Ok(Redirect::to(&format!("/hunts/{hunt}")).into_response()),
        Err(e) => super::pages::after(&state, &auth, c, &id, ("hunt", "exchange"), values, Err::<(), _>(e)).await,
    }
}
