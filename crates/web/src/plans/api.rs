//! A system's security plan: the requirement checklist with statuses (own or inherited
//! from the host), evidence files and the go-live gate, through the store's plan methods.

use axum::Json;
use axum::extract::{Multipart, Path, State};
use khien_store::dossiers::Attachment;
use khien_store::plans::{Plan, PlanItem, RequirementUpdate};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::api::openapi::Op;
use crate::api::{Api, ApiResult, created, ok, refuse};
use crate::auth::Access;
use crate::auth::Auth;
use crate::auth::roles::{AnyRole, ProvinceAdmin, SystemEditor};
use crate::error::AppError;

pub(crate) fn routes(api: Api) -> Api {
    api.get(
        "/api/v1/systems/{id}/plan",
        AnyRole::NAMES,
        plan,
        Op::new::<PlanView>("A system's security plan and what blocks its going live"),
    )
    .put(
        "/api/v1/systems/{id}/plan/{key}",
        SystemEditor::NAMES,
        set_requirement,
        Op::new::<PlanItem>("Set the status of one requirement of the plan")
            .json::<RequirementUpdate>(),
    )
    .post(
        "/api/v1/systems/{id}/plan/{key}/evidence",
        SystemEditor::NAMES,
        add_evidence,
        Op::creates::<Attachment>("Add evidence for a requirement, with its validity dates")
            .multipart::<EvidenceForm>(),
    )
    .get(
        "/api/v1/systems/{id}/evidence/{att}",
        AnyRole::NAMES,
        super::pages::evidence_file,
        Op::file("Download an evidence file"),
    )
    .post(
        "/api/v1/systems/{id}/go-live-exception",
        ProvinceAdmin::NAMES,
        grant_exception,
        Op::new::<PlanView>(
            "Let a system go live before its level is approved or its plan complete, with the reason on record",
        )
        .json::<ExceptionBody>(),
    )
}

#[derive(Serialize, JsonSchema)]
pub struct PlanView {
    /// Absent until the system's level has been determined.
    pub plan: Option<Plan>,
    /// Why the system may not be set to operating now (catalogue keys); empty when it may.
    pub go_live_blockers: Vec<&'static str>,
}

async fn plan_view(scoped: &khien_store::Scoped<'_>, id: &str) -> ApiResult {
    let plan = scoped.plan(id).await.map_err(refuse)?;
    let go_live_blockers = scoped.go_live_blockers(id).await.map_err(refuse)?;
    ok(PlanView {
        plan,
        go_live_blockers,
    })
}

pub async fn plan(
    State(state): State<AppState>,
    auth: Auth<AnyRole>,
    Path(id): Path<String>,
) -> ApiResult {
    plan_view(&auth.scoped(&state), &id).await
}

pub async fn set_requirement(
    State(state): State<AppState>,
    auth: Auth<SystemEditor>,
    Path((id, key)): Path<(String, String)>,
    Json(u): Json<RequirementUpdate>,
) -> ApiResult {
    let scoped = auth.scoped(&state);
    scoped
        .set_requirement(&id, &key, &u)
        .await
        .map_err(refuse)?;
    let item = scoped
        .plan(&id)
        .await
        .map_err(refuse)?
        .and_then(|p| p.items.into_iter().find(|i| i.key == key))
        .ok_or_else(|| refuse(AppError::NotFound))?;
    ok(item)
}

/// Evidence for one requirement.
#[derive(JsonSchema)]
#[allow(dead_code)]
pub struct EvidenceForm {
    #[schemars(extend("contentMediaType" = "application/octet-stream"))]
    file: String,
    /// Valid from (dd/mm/yyyy or yyyy-mm-dd).
    effective_date: Option<String>,
    /// Valid until (dd/mm/yyyy or yyyy-mm-dd).
    expiry_date: Option<String>,
}

pub async fn add_evidence(
    State(state): State<AppState>,
    auth: Auth<SystemEditor>,
    Path((id, key)): Path<(String, String)>,
    mut mp: Multipart,
) -> ApiResult {
    let up = crate::support::read_upload(
        &state,
        &mut mp,
        &["file"],
        crate::support::upload::MAX_ATTACHMENT,
    )
    .await
    .map_err(refuse)?;
    let file = up.required_file("file").map_err(refuse)?;
    created(
        auth.scoped(&state)
            .add_evidence(
                &id,
                &key,
                file,
                up.date("effective_date").map_err(refuse)?,
                up.date("expiry_date").map_err(refuse)?,
            )
            .await
            .map_err(refuse)?,
    )
}

#[derive(Deserialize, JsonSchema)]
pub struct ExceptionBody {
    /// Why the system may go live now (at least 10 characters).
    pub reason: String,
}

pub async fn grant_exception(
    State(state): State<AppState>,
    auth: Auth<ProvinceAdmin>,
    Path(id): Path<String>,
    Json(b): Json<ExceptionBody>,
) -> ApiResult {
    let scoped = auth.scoped(&state);
    scoped
        .grant_go_live_exception(&id, &b.reason)
        .await
        .map_err(refuse)?;
    plan_view(&scoped, &id).await
}
