//! Level determinations of a system: the wizard's questions as JSON, classified by the
//! regime's engine and recorded by the same store method as the page.

use axum::Json;
use axum::extract::{Path, State};
use khien_levels::input::{DefenceSecurityHarm, InfrastructureScope, WorksGrade};
use khien_levels::{LevelInput, all_regimes, classify};
use khien_store::levels::Assessment;
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Serialize};

use crate::api::openapi::Op;
use crate::api::{Api, ApiResult, created, ok, refuse};
use crate::AppState;
use crate::auth::Access;
use crate::auth::Auth;
use crate::auth::roles::{AnyRole, SystemEditor};
use crate::error::AppError;

pub(crate) fn routes(api: Api) -> Api {
    api.get(
        "/api/v1/systems/{id}/level",
        AnyRole::NAMES,
        current,
        Op::new::<LevelView>("A system's latest level determination and the regimes to choose from"),
    )
    .post(
        "/api/v1/systems/{id}/level",
        SystemEditor::NAMES,
        determine,
        Op::creates::<Assessment>(
            "Determine a system's level: classify the answers with what the inventory holds, and record it",
        )
        .json::<LevelAnswers>(),
    )
}

#[derive(Serialize, JsonSchema)]
pub struct RegimeRef {
    pub id: String,
    pub title: String,
}

#[derive(Serialize, JsonSchema)]
pub struct LevelView {
    /// The latest determination, if the level has been determined.
    pub assessment: Option<Assessment>,
    pub regimes: Vec<RegimeRef>,
    /// The regime new determinations fall under today.
    pub regime_in_force: Option<String>,
}

fn regime_ids(_: &mut SchemaGenerator) -> Schema {
    let ids: Vec<String> = all_regimes()
        .map(|rs| rs.iter().map(|r| r.id.clone()).collect())
        .unwrap_or_default();
    json_schema!({ "type": "string", "enum": ids })
}

/// What the wizard asks: everything else (type, information, data subjects,
/// administrative procedures, 24/7) comes from the system's record, so the two cannot
/// disagree. Unknown fields are refused, so a typo never silently lowers a level.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LevelAnswers {
    #[schemars(schema_with = "regime_ids")]
    pub regime: String,
    #[serde(default)]
    pub defence_security_harm: DefenceSecurityHarm,
    /// Online public service level, 0 (none) to 4 (Decree 85 only).
    #[serde(default)]
    #[schemars(range(max = 4))]
    pub online_public_service_level: u8,
    #[serde(default)]
    pub conditional_business_service: bool,
    #[serde(default)]
    pub national_egovernment: bool,
    #[serde(default)]
    pub national_important_data_store: bool,
    #[serde(default)]
    pub infrastructure_scope: InfrastructureScope,
    #[serde(default)]
    pub industrial_works_grade: WorksGrade,
}

pub async fn current(
    State(state): State<AppState>,
    auth: Auth<AnyRole>,
    Path(id): Path<String>,
) -> ApiResult {
    let assessment = auth
        .scoped(&state)
        .latest_assessment(&id)
        .await
        .map_err(refuse)?;
    let regimes = all_regimes()
        .map(|rs| {
            rs.iter()
                .map(|r| RegimeRef {
                    id: r.id.clone(),
                    title: r.title.clone(),
                })
                .collect()
        })
        .unwrap_or_default();
    let regime_in_force = khien_levels::regime_in_force(state.store.today_vn())
        .ok()
        .flatten()
        .map(|r| r.id.clone());
    ok(LevelView {
        assessment,
        regimes,
        regime_in_force,
    })
}

pub async fn determine(
    State(state): State<AppState>,
    auth: Auth<SystemEditor>,
    Path(id): Path<String>,
    Json(a): Json<LevelAnswers>,
) -> ApiResult {
    let scoped = auth.scoped(&state);
    let s = scoped.system(&id).await.map_err(refuse)?;
    let bad = || refuse(AppError::BadRequest("level.err_input"));
    let known = all_regimes().is_ok_and(|rs| rs.iter().any(|r| r.id == a.regime));
    if !known || a.online_public_service_level > 4 {
        return Err(bad());
    }
    let answers = LevelInput {
        defence_security_harm: a.defence_security_harm,
        online_public_service_level: a.online_public_service_level,
        conditional_business_service: a.conditional_business_service,
        national_egovernment: a.national_egovernment,
        national_important_data_store: a.national_important_data_store,
        infrastructure_scope: a.infrastructure_scope,
        industrial_works_grade: a.industrial_works_grade,
        ..LevelInput::default()
    };
    let input = khien_domain::levels::level_input(&a.regime, &s.fields, &answers);
    let d = classify(&input).map_err(|_| bad())?;
    created(
        scoped
            .record_assessment(&id, &input, &d)
            .await
            .map_err(refuse)?,
    )
}
