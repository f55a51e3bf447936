//! Level dossiers: a system's versions, one dossier with the steps the caller may take,
//! the workflow's transitions, the security regulation and the attached files. Who may
//! do what is the dossier policy's answer (`domain::dossiers::policy`), asked by the
//! store inside each write; these handlers only translate.

use axum::Json;
use axum::extract::{Multipart, Path, State};
use khien_domain::dossiers::{Transition, stage_deadline};
use khien_levels::load_regime;
use khien_levels::regime::ClockStep;
use khien_store::dossiers::{Attachment, Dossier, DossierEvent, TransitionData};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::api::openapi::Op;
use crate::api::{Api, ApiResult, Items, created, ok, refuse};
use crate::auth::Access;
use crate::auth::Auth;
use crate::auth::roles::{AnyRole, SystemEditor};
use crate::error::AppError;

/// Largest attachment accepted, as on the dossier page (the body limit applies first).
pub(super) const MAX_FILE: u64 = 6 * 1024 * 1024;

pub(crate) fn routes(api: Api) -> Api {
    let any = AnyRole::NAMES;
    api.get(
        "/api/v1/systems/{id}/dossiers",
        any,
        list,
        Op::new::<Items<Dossier>>("A system's dossier versions, newest first"),
    )
    .post(
        "/api/v1/systems/{id}/dossiers",
        SystemEditor::NAMES,
        create,
        Op::creates::<Dossier>(
            "Start a new dossier version from the latest determination (an unfinished earlier version is superseded)",
        ),
    )
    .get(
        "/api/v1/dossiers/{id}",
        any,
        detail,
        Op::new::<DossierDetail>(
            "One dossier with its parts, files, history, deadline and the steps the caller may take",
        ),
    )
    .put(
        "/api/v1/dossiers/{id}/regulation",
        SystemEditor::NAMES,
        regulation,
        Op::new::<Dossier>("Record the system's security regulation (needed before approval)")
            .json::<RegulationBody>(),
    )
    .get(
        "/api/v1/dossiers/{id}/files",
        any,
        files,
        Op::new::<Items<Attachment>>("A dossier's attached files"),
    )
    .post(
        "/api/v1/dossiers/{id}/files",
        any,
        attach,
        Op::creates::<Attachment>("Attach a file to a dossier part, if the policy lets the caller now")
            .multipart::<AttachForm>(),
    )
    .get(
        "/api/v1/dossiers/{id}/files/{att}",
        any,
        super::pages::download,
        Op::file("Download an attached file"),
    )
    .post(
        "/api/v1/dossiers/{id}/{action}",
        any,
        transition,
        Op::new::<Dossier>(
            "Move the dossier one step: submit, return (reason), start_appraisal, record_appraisal (appraisal_opinion), approve (decision_no, decision_date, decision_by)",
        )
        .path_param::<Transition>("action")
        .json::<TransitionData>(),
    )
}

/// A part the regime asks for at the dossier's level.
#[derive(Serialize, JsonSchema)]
pub struct Part {
    pub key: String,
    pub title: String,
    pub article: String,
}

/// A step the caller may take now.
#[derive(Serialize, JsonSchema)]
pub struct Step {
    pub transition: Transition,
    /// Set when something must be on file first (a catalogue key, e.g. `dossier.err_parts`).
    pub blocked_by: Option<&'static str>,
}

/// The legal clock of the current stage.
#[derive(Serialize, JsonSchema)]
pub struct Deadline {
    /// `validity_check`, `appraisal` or `approval`.
    pub step: &'static str,
    /// Last day of the period (yyyy-mm-dd, Vietnam).
    pub due: Option<String>,
    pub amount: Option<u32>,
    pub working_days: Option<bool>,
    pub article: Option<String>,
    pub overdue: bool,
    /// Set when the holiday calendar does not cover this year, so no date is given.
    pub unknown_year: Option<i32>,
}

#[derive(Serialize, JsonSchema)]
pub struct DossierDetail {
    #[serde(flatten)]
    pub dossier: Dossier,
    /// Who appraises and who approves (legal parties).
    pub appraiser: String,
    pub approver: String,
    pub parts: Vec<Part>,
    pub files: Vec<Attachment>,
    pub events: Vec<DossierEvent>,
    /// No deadline when no clock runs (a draft, an approved dossier).
    pub deadline: Option<Deadline>,
    pub actions: Vec<Step>,
    /// Parts the caller may attach a file to now.
    pub attachable_parts: Vec<String>,
    pub may_set_regulation: bool,
}

fn step_name(s: ClockStep) -> &'static str {
    match s {
        ClockStep::ValidityCheck => "validity_check",
        ClockStep::Appraisal => "appraisal",
        ClockStep::Approval => "approval",
    }
}

pub async fn list(
    State(state): State<AppState>,
    auth: Auth<AnyRole>,
    Path(id): Path<String>,
) -> ApiResult {
    ok(Items {
        items: auth.scoped(&state).dossiers_of(&id).await.map_err(refuse)?,
    })
}

pub async fn create(
    State(state): State<AppState>,
    auth: Auth<SystemEditor>,
    Path(id): Path<String>,
) -> ApiResult {
    let scoped = auth.scoped(&state);
    let a = scoped
        .latest_assessment(&id)
        .await
        .map_err(refuse)?
        .ok_or_else(|| refuse(AppError::BadRequest("level.err_no_assessment")))?;
    created(scoped.create_dossier(&a.id).await.map_err(refuse)?)
}

pub async fn detail(
    State(state): State<AppState>,
    auth: Auth<AnyRole>,
    Path(id): Path<String>,
) -> ApiResult {
    let scoped = auth.scoped(&state);
    let d = scoped.dossier(&id).await.map_err(refuse)?;
    let s = scoped.system(&d.system_id).await.map_err(refuse)?;
    let regime = load_regime(&d.regime).map_err(|e| refuse(AppError::Internal(e.to_string())))?;
    let authority = regime
        .authority(d.level)
        .ok_or_else(|| refuse(AppError::Internal("no authority for level".into())))?;
    let deadline = khien_domain::time_fmt::parse_iso_date(&d.stage_started)
        .map(|st| stage_deadline(regime, d.level, d.status, st, &state.config.calendar));
    let today = state.store.today_vn();
    let deadline = match deadline {
        Some(Ok(Some(dl))) => Some(Deadline {
            step: step_name(dl.step),
            due: Some(khien_domain::time_fmt::iso_date(dl.due)),
            amount: Some(dl.amount),
            working_days: Some(dl.working_days),
            overdue: dl.overdue(today),
            article: Some(dl.article),
            unknown_year: None,
        }),
        Some(Err(u)) => khien_domain::dossiers::stage_clock(d.status).map(|step| Deadline {
            step: step_name(step),
            due: None,
            amount: None,
            working_days: None,
            article: None,
            overdue: false,
            unknown_year: Some(u.year),
        }),
        _ => None,
    };
    let facts = scoped.dossier_facts(&d).await.map_err(refuse)?;
    let actor = scoped.actor_for(&s);
    ok(DossierDetail {
        appraiser: authority.appraiser.as_str().to_string(),
        approver: authority.approver.as_str().to_string(),
        parts: regime
            .dossier_for(d.level)
            .map(|p| Part {
                key: p.key.clone(),
                title: p.title.clone(),
                article: p.article.clone(),
            })
            .collect(),
        files: scoped.dossier_files(&id).await.map_err(refuse)?,
        events: scoped.dossier_events(&id).await.map_err(refuse)?,
        deadline,
        actions: facts
            .actions(actor)
            .into_iter()
            .map(|a| Step {
                transition: a.transition,
                blocked_by: a.blocked_by,
            })
            .collect(),
        attachable_parts: facts.attachable_parts(actor),
        may_set_regulation: facts.may_set_regulation(actor).is_ok(),
        dossier: d,
    })
}

pub async fn transition(
    State(state): State<AppState>,
    auth: Auth<AnyRole>,
    Path((id, action)): Path<(String, String)>,
    Json(data): Json<TransitionData>,
) -> ApiResult {
    let t = Transition::parse(&action).ok_or_else(|| refuse(AppError::NotFound))?;
    ok(auth
        .scoped(&state)
        .transition(&id, t, &data)
        .await
        .map_err(refuse)?)
}

/// The system's security regulation decision.
#[derive(Deserialize, JsonSchema)]
pub struct RegulationBody {
    /// The decision's number, e.g. `15/QĐ-STTTT` (at most 100 characters).
    pub number: String,
    /// dd/mm/yyyy or yyyy-mm-dd.
    pub date: String,
}

pub async fn regulation(
    State(state): State<AppState>,
    auth: Auth<SystemEditor>,
    Path(id): Path<String>,
    Json(b): Json<RegulationBody>,
) -> ApiResult {
    let date = khien_domain::time_fmt::parse_user_date(&b.date)
        .ok_or_else(|| refuse(AppError::BadRequest("err.date")))?;
    let number = b.number.trim();
    if number.is_empty() || number.chars().count() > 100 {
        return Err(refuse(AppError::BadRequest("dossier.err_regulation")));
    }
    ok(auth
        .scoped(&state)
        .set_regulation(&id, number, &khien_domain::time_fmt::iso_date(date))
        .await
        .map_err(refuse)?)
}

pub async fn files(
    State(state): State<AppState>,
    auth: Auth<AnyRole>,
    Path(id): Path<String>,
) -> ApiResult {
    ok(Items {
        items: auth
            .scoped(&state)
            .dossier_files(&id)
            .await
            .map_err(refuse)?,
    })
}

/// A file for one dossier part.
#[derive(JsonSchema)]
#[allow(dead_code)]
pub struct AttachForm {
    /// The part's key (see `parts` of the dossier).
    part: String,
    #[schemars(extend("contentMediaType" = "application/octet-stream"))]
    file: String,
}

pub async fn attach(
    State(state): State<AppState>,
    auth: Auth<AnyRole>,
    Path(id): Path<String>,
    mut mp: Multipart,
) -> ApiResult {
    let up = crate::support::read_upload(&state, &mut mp, &["file"], MAX_FILE)
        .await
        .map_err(refuse)?;
    let file = up.required_file("file").map_err(refuse)?;
    created(
        auth.scoped(&state)
            .attach_to_dossier(&id, &up.text("part"), file)
            .await
            .map_err(refuse)?,
    )
}
