//! A level dossier: its parts and attachments, the security regulation, the step the
//! viewer may take next, each stage's legal deadline, and the full history.

use axum::extract::{Multipart, Path, State};
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{Html, IntoResponse, Redirect, Response};
use khien_domain::dossiers::{
    DossierStatus, StageDeadline, Transition, allowed_roles, stage_deadline,
};
use khien_levels::load_regime;
use khien_levels::regime::DossierPart;
use khien_store::dossiers::{Attachment, Dossier, DossierEvent, TransitionData};
use khien_store::levels::Assessment;
use khien_store::systems::System;

use crate::AppState;
use crate::auth::Auth;
use crate::auth::roles::{AnyRole, SystemEditor};
use crate::error::{AppError, AppResult};
use crate::view::{Chrome, render};

/// Largest attachment accepted (the request body limit applies first).
pub const MAX_FILE: usize = 6 * 1024 * 1024;

#[derive(askama::Template)]
#[template(path = "dossier.html")]
struct DossierPage {
    c: Chrome,
    d: Dossier,
    s: System,
    a: Assessment,
    parts: Vec<DossierPart>,
    files: Vec<Attachment>,
    events: Vec<DossierEvent>,
    deadline: Option<StageDeadline>,
    overdue: bool,
    /// Steps the viewer's role may take from the current state.
    actions: Vec<&'static str>,
    appraiser: String,
    approver: String,
    can_edit: bool,
}

impl DossierPage {
    fn files_of(&self, part: &str) -> Vec<&Attachment> {
        self.files.iter().filter(|f| f.part == part).collect()
    }
    fn can(&self, action: &str) -> bool {
        self.actions.contains(&action)
    }
    fn due_text(&self) -> String {
        match &self.deadline {
            Some(d) => {
                let unit = if d.working_days {
                    self.c.t.s("dossier.working_days")
                } else {
                    self.c.t.s("dossier.days")
                };
                format!(
                    "{} ({} {} · {})",
                    khien_domain::time_fmt::format_date(d.due),
                    d.amount,
                    unit,
                    d.article
                )
            }
            None => String::new(),
        }
    }
}

pub async fn page(
    State(state): State<AppState>,
    auth: Auth<AnyRole>,
    c: Chrome,
    Path(id): Path<String>,
) -> AppResult<Html<String>> {
    let scoped = auth.scoped(&state);
    let d = scoped.dossier(&id).await?;
    let s = scoped.system(&d.system_id).await?;
    let a = scoped.assessment(&d.assessment_id).await?;
    let regime = load_regime(&d.regime).map_err(|e| AppError::Internal(e.to_string()))?;
    let authority = regime
        .authority(d.level)
        .ok_or_else(|| AppError::Internal("no authority for level".into()))?;
    let calendar = &state.config.calendar;
    let started = khien_domain::time_fmt::parse_iso_date(&d.stage_started);
    let deadline = started.and_then(|st| stage_deadline(regime, d.level, d.status, st, calendar));
    let today = state
        .store
        .now()
        .to_offset(khien_domain::time_fmt::VIETNAM)
        .date();
    let overdue = deadline.as_ref().is_some_and(|dl| dl.overdue(today));
    let role = auth.principal.role;
    let actions = if d.superseded {
        vec![]
    } else {
        Transition::ALL
            .into_iter()
            .filter(|t| {
                t.from().contains(&d.status) && allowed_roles(*t, authority).contains(&role)
            })
            .map(Transition::as_str)
            .collect()
    };
    let can_edit = role.can_edit_systems()
        && matches!(d.status, DossierStatus::Draft | DossierStatus::Returned)
        && !d.superseded;
    let page = DossierPage {
        appraiser: super::levels::party_name(
            &state.config.authority_names,
            &c.t,
            authority.appraiser.as_str(),
        ),
        approver: super::levels::party_name(
            &state.config.authority_names,
            &c.t,
            authority.approver.as_str(),
        ),
        parts: regime.dossier_for(d.level).cloned().collect(),
        files: scoped.dossier_files(&id).await?,
        events: scoped.dossier_events(&id).await?,
        c,
        d,
        s,
        a,
        deadline,
        overdue,
        actions,
        can_edit,
    };
    render(&page)
}

pub async fn transition(
    State(state): State<AppState>,
    auth: Auth<AnyRole>,
    Path((id, action)): Path<(String, String)>,
    axum::Form(data): axum::Form<TransitionData>,
) -> AppResult<Redirect> {
    let t = Transition::parse(&action).ok_or(AppError::NotFound)?;
    auth.scoped(&state).transition(&id, t, &data).await?;
    Ok(Redirect::to(&format!("/dossiers/{id}")))
}

#[derive(serde::Deserialize)]
pub struct RegulationForm {
    #[serde(default)]
    number: String,
    #[serde(default)]
    date: String,
}

pub async fn regulation(
    State(state): State<AppState>,
    auth: Auth<SystemEditor>,
    Path(id): Path<String>,
    axum::Form(f): axum::Form<RegulationForm>,
) -> AppResult<Redirect> {
    let date =
        khien_domain::time_fmt::parse_user_date(&f.date).ok_or(AppError::BadRequest("err.date"))?;
    if f.number.trim().is_empty() || f.number.chars().count() > 100 {
        return Err(AppError::BadRequest("dossier.err_regulation"));
    }
    auth.scoped(&state)
        .set_regulation(
            &id,
            f.number.trim(),
            &khien_domain::time_fmt::iso_date(date),
        )
        .await?;
    Ok(Redirect::to(&format!("/dossiers/{id}")))
}

/// Reads one uploaded file and the text fields of a multipart form.
pub async fn read_upload(
    mp: &mut Multipart,
) -> AppResult<(
    Option<(String, Vec<u8>)>,
    std::collections::HashMap<String, String>,
)> {
    let mut file = None;
    let mut fields = std::collections::HashMap::new();
    while let Ok(Some(field)) = mp.next_field().await {
        let name = field.name().unwrap_or("").to_string();
        if name == "file" {
            let filename = field.file_name().unwrap_or("tep").to_string();
            let bytes = field
                .bytes()
                .await
                .map_err(|_| AppError::BadRequest("err.too_large"))?;
            if bytes.len() > MAX_FILE {
                return Err(AppError::BadRequest("err.too_large"));
            }
            if !bytes.is_empty() {
                file = Some((filename, bytes.to_vec()));
            }
        } else if let Ok(text) = field.text().await {
            fields.insert(name, text);
        }
    }
    Ok((file, fields))
}

pub async fn attach(
    State(state): State<AppState>,
    auth: Auth<AnyRole>,
    Path(id): Path<String>,
    mut mp: Multipart,
) -> AppResult<Redirect> {
    let (file, fields) = read_upload(&mut mp).await?;
    let (name, bytes) = file.ok_or(AppError::BadRequest("import.no_file"))?;
    let part = fields.get("part").cloned().unwrap_or_default();
    let scoped = auth.scoped(&state);
    // Unit editors attach the parts they prepare; the expert opinion comes from the
    // specialised unit (department roles).
    let allowed = if part == "expert_opinion" {
        auth.principal.role.is_province_wide()
    } else {
        auth.principal.role.can_edit_systems()
    };
    if !allowed {
        return Err(AppError::Forbidden);
    }
    scoped.attach_to_dossier(&id, &part, &name, &bytes).await?;
    Ok(Redirect::to(&format!("/dossiers/{id}")))
}

/// Downloads an attachment of a dossier in scope; served as a download, never inline.
pub async fn download(
    State(state): State<AppState>,
    auth: Auth<AnyRole>,
    Path((id, att)): Path<(String, String)>,
) -> AppResult<Response> {
    let scoped = auth.scoped(&state);
    let files = scoped.dossier_files(&id).await?;
    let f = files
        .into_iter()
        .find(|f| f.id == att)
        .ok_or(AppError::NotFound)?;
    let bytes = state
        .store
        .blobs
        .get(&f.sha256)
        .map_err(|_| AppError::NotFound)?;
    Ok(download_response(&f.filename, bytes))
}

pub fn download_response(filename: &str, bytes: Vec<u8>) -> Response {
    let ascii: String = filename
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded: String = filename
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_') {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    (
        [
            (CONTENT_TYPE, "application/octet-stream".to_string()),
            (
                CONTENT_DISPOSITION,
                format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}"),
            ),
        ],
        bytes,
    )
        .into_response()
}
