//! Units, systems, users and audit entries as JSON.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use khien_domain::systems::SystemInput;
use khien_domain::units::UnitInput;
use khien_store::systems::SystemFilter;
use khien_store::{AuditFilter, StoreError};
use serde::Deserialize;
use serde_json::json;

use super::api_error;
use crate::AppState;
use crate::auth::Auth;
use crate::auth::roles::{AnyRole, HuntRunner, ProvinceAdmin, SystemEditor, UnitEditor};
use crate::error::AppError;

type ApiResult = Result<Response, Response>;

fn ok<T: serde::Serialize>(v: T) -> ApiResult {
    Ok(Json(v).into_response())
}

fn err(e: StoreError) -> Response {
    api_error(e)
}

pub async fn list_units(State(s): State<AppState>, auth: Auth<AnyRole>) -> ApiResult {
    ok(json!({ "items": auth.scoped(&s).units(true).await.map_err(err)? }))
}

pub async fn get_unit(
    State(s): State<AppState>,
    auth: Auth<AnyRole>,
    Path(id): Path<String>,
) -> ApiResult {
    ok(auth.scoped(&s).unit(&id).await.map_err(err)?)
}

#[derive(Deserialize, Default)]
pub struct UnitBody {
    #[serde(default)]
    parent_id: String,
    #[serde(flatten)]
    input: UnitInput,
}

pub async fn create_unit(
    State(s): State<AppState>,
    auth: Auth<UnitEditor>,
    Json(b): Json<UnitBody>,
) -> ApiResult {
    let fields = b.input.validate().map_err(|e| err(e.into()))?;
    if fields.kind == khien_domain::units::UnitKind::Province || b.parent_id.is_empty() {
        return Err(AppError::BadRequest("err.parent_required").into_response());
    }
    let unit = auth
        .scoped(&s)
        .create_unit(Some(&b.parent_id), &fields)
        .await
        .map_err(err)?;
    Ok((StatusCode::CREATED, Json(unit)).into_response())
}

pub async fn update_unit(
    State(s): State<AppState>,
    auth: Auth<UnitEditor>,
    Path(id): Path<String>,
    Json(input): Json<UnitInput>,
) -> ApiResult {
    let scoped = auth.scoped(&s);
    let before = scoped.unit(&id).await.map_err(err)?;
    let fields = input.validate().map_err(|e| err(e.into()))?;
    if (fields.kind == khien_domain::units::UnitKind::Province)
        != (before.fields.kind == khien_domain::units::UnitKind::Province)
    {
        return Err(AppError::BadRequest("err.root_kind").into_response());
    }
    ok(scoped.update_unit(&id, &fields).await.map_err(err)?)
}

#[derive(Deserialize)]
pub struct MoveBody {
    parent_id: String,
}

pub async fn move_unit(
    State(s): State<AppState>,
    auth: Auth<ProvinceAdmin>,
    Path(id): Path<String>,
    Json(b): Json<MoveBody>,
) -> ApiResult {
    ok(auth
        .scoped(&s)
        .move_unit(&id, &b.parent_id)
        .await
        .map_err(err)?)
}

#[derive(Deserialize)]
pub struct ActiveBody {
    active: bool,
}

pub async fn set_unit_active(
    State(s): State<AppState>,
    auth: Auth<ProvinceAdmin>,
    Path(id): Path<String>,
    Json(b): Json<ActiveBody>,
) -> ApiResult {
    ok(auth
        .scoped(&s)
        .set_unit_active(&id, b.active)
        .await
        .map_err(err)?)
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ListQuery {
    #[serde(flatten)]
    filter: SystemFilter,
    per_page: i64,
}

pub async fn list_systems(
    State(s): State<AppState>,
    auth: Auth<AnyRole>,
    Query(q): Query<ListQuery>,
) -> ApiResult {
    let per_page = if q.per_page <= 0 {
        50
    } else {
        q.per_page.min(500)
    };
    ok(auth
        .scoped(&s)
        .systems(&q.filter, Some(per_page))
        .await
        .map_err(err)?)
}

pub async fn get_system(
    State(s): State<AppState>,
    auth: Auth<AnyRole>,
    Path(id): Path<String>,
) -> ApiResult {
    ok(auth.scoped(&s).system(&id).await.map_err(err)?)
}

pub async fn create_system(
    State(s): State<AppState>,
    auth: Auth<SystemEditor>,
    Json(input): Json<SystemInput>,
) -> ApiResult {
    let fields = input.validate().map_err(|e| err(e.into()))?;
    let scoped = auth.scoped(&s);
    let id = scoped.create_system(&fields).await.map_err(err)?;
    Ok((
        StatusCode::CREATED,
        Json(scoped.system(&id).await.map_err(err)?),
    )
        .into_response())
}

pub async fn update_system(
    State(s): State<AppState>,
    auth: Auth<SystemEditor>,
    Path(id): Path<String>,
    Json(input): Json<SystemInput>,
) -> ApiResult {
    let scoped = auth.scoped(&s);
    scoped.system(&id).await.map_err(err)?;
    let fields = input.validate().map_err(|e| err(e.into()))?;
    scoped.update_system(&id, &fields).await.map_err(err)?;
    ok(scoped.system(&id).await.map_err(err)?)
}

pub async fn list_users(State(s): State<AppState>, auth: Auth<ProvinceAdmin>) -> ApiResult {
    ok(json!({ "items": auth.scoped(&s).users().await.map_err(err)? }))
}

pub async fn list_audit(
    State(s): State<AppState>,
    auth: Auth<AnyRole>,
    Query(f): Query<AuditFilter>,
) -> ApiResult {
    ok(auth.scoped(&s).audit(&f, 100).await.map_err(err)?)
}

pub async fn list_hunts(
    State(s): State<AppState>,
    auth: Auth<AnyRole>,
    Query(f): Query<khien_store::hunts::HuntFilter>,
) -> ApiResult {
    ok(auth.scoped(&s).hunts(&f, 100).await.map_err(err)?)
}

pub async fn get_hunt(
    State(s): State<AppState>,
    auth: Auth<AnyRole>,
    Path(id): Path<String>,
) -> ApiResult {
    ok(auth.scoped(&s).hunt(&id).await.map_err(err)?)
}

pub async fn hunt_detections(
    State(s): State<AppState>,
    auth: Auth<AnyRole>,
    Path(id): Path<String>,
    Query(f): Query<khien_store::hunts::DetectionFilter>,
) -> ApiResult {
    ok(auth
        .scoped(&s)
        .hunt_detections(&id, &f, 500)
        .await
        .map_err(err)?)
}

/// A hunt run elsewhere (`khien hunt --report-to`), recorded with its result.
pub async fn report_hunt(
    State(s): State<AppState>,
    auth: Auth<HuntRunner>,
    Json(h): Json<khien_store::hunts::HuntReportIn>,
) -> ApiResult {
    let scoped = auth.scoped(&s);
    let id = scoped.record_hunt(&h).await.map_err(err)?;
    Ok((
        StatusCode::CREATED,
        Json(scoped.hunt(&id).await.map_err(err)?),
    )
        .into_response())
}
