//! The unit tree as JSON: list, read, create, edit, move, (de)activate.

use axum::Json;
use axum::extract::{Path, State};
use khien_domain::units::UnitInput;
use khien_store::units::Unit;
use schemars::JsonSchema;
use serde::Deserialize;

use crate::api::openapi::Op;
use crate::api::{Api, ApiLang, ApiResult, api_error, created, ok, refuse};
use crate::AppState;
use crate::auth::Access;
use crate::auth::Auth;
use crate::auth::roles::{AnyRole, ProvinceAdmin, UnitEditor};
use crate::error::AppError;

pub(crate) fn routes(api: Api) -> Api {
    let any = AnyRole::NAMES;
    api.get(
        "/api/v1/units",
        any,
        list_units,
        Op::new::<UnitPage>("Units in the caller's scope, parents before children, a page at a time")
            .query::<UnitsQuery>(),
    )
    .post(
        "/api/v1/units",
        UnitEditor::NAMES,
        create_unit,
        Op::creates::<Unit>("Create a unit under a parent in scope").json::<UnitBody>(),
    )
    .get(
        "/api/v1/units/{id}",
        any,
        get_unit,
        Op::new::<Unit>("One unit"),
    )
    .put(
        "/api/v1/units/{id}",
        UnitEditor::NAMES,
        update_unit,
        Op::new::<Unit>("Edit a unit").json::<UnitInput>(),
    )
    .post(
        "/api/v1/units/{id}/move",
        ProvinceAdmin::NAMES,
        move_unit,
        Op::new::<Unit>("Move a unit (and its sub-units) under another parent").json::<MoveBody>(),
    )
    .post(
        "/api/v1/units/{id}/active",
        ProvinceAdmin::NAMES,
        set_unit_active,
        Op::new::<Unit>("Deactivate or reactivate a unit").json::<ActiveBody>(),
    )
}

/// A new unit: its fields and the parent it goes under.
#[derive(Deserialize, Default, JsonSchema)]
pub struct UnitBody {
    /// The unit it goes under (any unit in the caller's scope).
    #[serde(default)]
    #[schemars(required)]
    parent_id: String,
    #[serde(flatten)]
    input: UnitInput,
}
#[derive(Deserialize, JsonSchema)]
pub struct MoveBody {
    parent_id: String,
}
#[derive(Deserialize, JsonSchema)]
pub struct ActiveBody {
    active: bool,
}
/// Where a page of units starts, and how long it is.
#[derive(Deserialize, Default, JsonSchema)]
#[serde(default)]
pub struct UnitsQuery {
    /// The previous page's `next_after`; empty for the first page.
    after: String,
    /// Units per page: 500 when absent, at most 1,000.
    limit: i64,
}

/// A page of units; `next_after` names where the next one starts (none: the last page).
#[derive(serde::Serialize, JsonSchema)]
pub struct UnitPage {
    items: Vec<Unit>,
    next_after: Option<String>,
}

pub async fn list_units(
    State(s): State<AppState>,
    auth: Auth<AnyRole>,
    axum::extract::Query(q): axum::extract::Query<UnitsQuery>,
) -> ApiResult {
    let limit = if q.limit <= 0 { 500 } else { q.limit };
    let (items, next_after) = auth.scoped(&s).units_page(&q.after, limit).await.map_err(refuse)?;
    ok(UnitPage { items, next_after })
}
pub async fn get_unit(
    State(s): State<AppState>,
    auth: Auth<AnyRole>,
    Path(id): Path<String>,
) -> ApiResult {
    ok(auth.scoped(&s).unit(&id).await.map_err(refuse)?)
}
pub async fn create_unit(
    State(s): State<AppState>,
    auth: Auth<UnitEditor>,
    ApiLang(lang): ApiLang,
    Json(b): Json<UnitBody>,
) -> ApiResult {
    let fields = b.input.validate().map_err(|e| api_error(lang, e.into()))?;
    if fields.kind == khien_domain::units::UnitKind::Province || b.parent_id.is_empty() {
        return Err(refuse(AppError::BadRequest("err.parent_required")));
    }
    created(
        auth.scoped(&s)
            .create_unit(Some(&b.parent_id), &fields)
            .await
            .map_err(|e| api_error(lang, e))?,
    )
}
pub async fn update_unit(
    State(s): State<AppState>,
    auth: Auth<UnitEditor>,
    ApiLang(lang): ApiLang,
    Path(id): Path<String>,
    Json(input): Json<UnitInput>,
) -> ApiResult {
    let scoped = auth.scoped(&s);
    let before = scoped.unit(&id).await.map_err(refuse)?;
    let fields = input.validate().map_err(|e| api_error(lang, e.into()))?;
    if (fields.kind == khien_domain::units::UnitKind::Province)
        != (before.fields.kind == khien_domain::units::UnitKind::Province)
    {
        return Err(refuse(AppError::BadRequest("err.root_kind")));
    }
    ok(scoped
        .update_unit(&id, &fields)
        .await
        .map_err(|e| api_error(lang, e))?)
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
        .map_err(refuse)?)
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
        .map_err(refuse)?)
}
