//! Units, systems, hunts, users and audit entries as JSON.

use axum::Json;
use axum::extract::{Path, Query, State};
use khien_domain::systems::SystemInput;
use khien_domain::units::UnitInput;
use khien_store::hunts::{DetectionFilter, DetectionRow, Hunt, HuntFilter, HuntReportIn};
use khien_store::systems::{System, SystemFilter};
use khien_store::units::Unit;
use khien_store::{AuditFilter, Page};
use schemars::JsonSchema;
use serde::Deserialize;

use super::openapi::Op;
use super::{Api, ApiLang, ApiResult, Items, api_error, created, ok, refuse};
use crate::AppState;
use crate::auth::Access;
use crate::auth::Auth;
use crate::auth::roles::{AnyRole, HuntRunner, ProvinceAdmin, SystemEditor, UnitEditor};
use crate::error::AppError;

pub(super) fn routes(api: Api) -> Api {
    let any = AnyRole::NAMES;
    api.get(
        "/api/v1/units",
        any,
        list_units,
        Op::new::<Items<Unit>>("Units in the caller's scope, in tree order"),
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
    .get(
        "/api/v1/systems",
        any,
        list_systems,
        Op::new::<Page<System>>("Information systems in scope, a page at a time")
            .query::<SystemFilter>()
            .query::<PerPage>(),
    )
    .post(
        "/api/v1/systems",
        SystemEditor::NAMES,
        create_system,
        Op::creates::<System>("Declare an information system").json::<SystemInput>(),
    )
    .get(
        "/api/v1/systems/{id}",
        any,
        get_system,
        Op::new::<System>("One information system with its components"),
    )
    .put(
        "/api/v1/systems/{id}",
        SystemEditor::NAMES,
        update_system,
        Op::new::<System>("Edit an information system").json::<SystemInput>(),
    )
    .get(
        "/api/v1/hunts",
        any,
        list_hunts,
        Op::new::<Page<Hunt>>("Threat hunts in scope, 100 a page").query::<HuntFilter>(),
    )
    .post(
        "/api/v1/hunts",
        HuntRunner::NAMES,
        report_hunt,
        Op::creates::<Hunt>(
            "Record a hunt run elsewhere (khien hunt --report-to), with its detections",
        )
        .json::<HuntReportIn>(),
    )
    .get(
        "/api/v1/hunts/{id}",
        any,
        get_hunt,
        Op::new::<Hunt>("One hunt with its summary"),
    )
    .get(
        "/api/v1/hunts/{id}/detections",
        any,
        hunt_detections,
        Op::new::<Page<DetectionRow>>("A hunt's detections, 500 a page").query::<DetectionFilter>(),
    )
    .get(
        "/api/v1/users",
        ProvinceAdmin::NAMES,
        list_users,
        Op::new::<Items<UserDoc>>("Users (province administrators)"),
    )
    .get(
        "/api/v1/audit",
        any,
        list_audit,
        Op::new::<Page<AuditEntryDoc>>("Audit entries in scope, newest first, 100 a page")
            .query::<AuditFilterDoc>(),
    )
}

pub async fn list_units(State(s): State<AppState>, auth: Auth<AnyRole>) -> ApiResult {
    ok(Items {
        items: auth.scoped(&s).units(true).await.map_err(refuse)?,
    })
}

pub async fn get_unit(
    State(s): State<AppState>,
    auth: Auth<AnyRole>,
    Path(id): Path<String>,
) -> ApiResult {
    ok(auth.scoped(&s).unit(&id).await.map_err(refuse)?)
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

#[derive(Deserialize, JsonSchema)]
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
        .map_err(refuse)?)
}

#[derive(Deserialize, JsonSchema)]
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
        .map_err(refuse)?)
}

// A query type of its own rather than a field next to a `#[serde(flatten)]`ed filter:
// serde_urlencoded hands flattened fields over as strings, so any numeric field (`page`)
// made every request a 400.
/// Page size of the systems list.
#[derive(Deserialize, Default, JsonSchema)]
#[serde(default)]
pub struct PerPage {
    /// Systems per page: 50 when absent, at most 500.
    per_page: i64,
}

pub async fn list_systems(
    State(s): State<AppState>,
    auth: Auth<AnyRole>,
    Query(filter): Query<SystemFilter>,
    Query(size): Query<PerPage>,
) -> ApiResult {
    let per_page = if size.per_page <= 0 {
        50
    } else {
        size.per_page.min(500)
    };
    ok(auth
        .scoped(&s)
        .systems(&filter, Some(per_page))
        .await
        .map_err(refuse)?)
}

pub async fn get_system(
    State(s): State<AppState>,
    auth: Auth<AnyRole>,
    Path(id): Path<String>,
) -> ApiResult {
    ok(auth.scoped(&s).system(&id).await.map_err(refuse)?)
}

pub async fn create_system(
    State(s): State<AppState>,
    auth: Auth<SystemEditor>,
    ApiLang(lang): ApiLang,
    Json(input): Json<SystemInput>,
) -> ApiResult {
    let fields = input.validate().map_err(|e| api_error(lang, e.into()))?;
    let scoped = auth.scoped(&s);
    let id = scoped
        .create_system(&fields)
        .await
        .map_err(|e| api_error(lang, e))?;
    created(scoped.system(&id).await.map_err(refuse)?)
}

pub async fn update_system(
    State(s): State<AppState>,
    auth: Auth<SystemEditor>,
    ApiLang(lang): ApiLang,
    Path(id): Path<String>,
    Json(input): Json<SystemInput>,
) -> ApiResult {
    let scoped = auth.scoped(&s);
    scoped.system(&id).await.map_err(refuse)?;
    let fields = input.validate().map_err(|e| api_error(lang, e.into()))?;
    scoped
        .update_system(&id, &fields)
        .await
        .map_err(|e| api_error(lang, e))?;
    ok(scoped.system(&id).await.map_err(refuse)?)
}

pub async fn list_users(State(s): State<AppState>, auth: Auth<ProvinceAdmin>) -> ApiResult {
    ok(Items {
        items: auth.scoped(&s).users().await.map_err(refuse)?,
    })
}

pub async fn list_audit(
    State(s): State<AppState>,
    auth: Auth<AnyRole>,
    Query(f): Query<AuditFilter>,
) -> ApiResult {
    ok(auth.scoped(&s).audit(&f, 100).await.map_err(refuse)?)
}

pub async fn list_hunts(
    State(s): State<AppState>,
    auth: Auth<AnyRole>,
    Query(f): Query<HuntFilter>,
) -> ApiResult {
    ok(auth.scoped(&s).hunts(&f, 100).await.map_err(refuse)?)
}

pub async fn get_hunt(
    State(s): State<AppState>,
    auth: Auth<AnyRole>,
    Path(id): Path<String>,
) -> ApiResult {
    ok(auth.scoped(&s).hunt(&id).await.map_err(refuse)?)
}

pub async fn hunt_detections(
    State(s): State<AppState>,
    auth: Auth<AnyRole>,
    Path(id): Path<String>,
    Query(f): Query<DetectionFilter>,
) -> ApiResult {
    ok(auth
        .scoped(&s)
        .hunt_detections(&id, &f, 500)
        .await
        .map_err(refuse)?)
}

/// A hunt run elsewhere (`khien hunt --report-to`), recorded with its result.
pub async fn report_hunt(
    State(s): State<AppState>,
    auth: Auth<HuntRunner>,
    ApiLang(lang): ApiLang,
    Json(h): Json<HuntReportIn>,
) -> ApiResult {
    let scoped = auth.scoped(&s);
    let id = scoped
        .record_hunt(&h)
        .await
        .map_err(|e| api_error(lang, e))?;
    created(scoped.hunt(&id).await.map_err(refuse)?)
}

// Schema-only twins of three store types whose files this module does not own
// (`accounts.rs`, `audit.rs`): they describe what `User`, `AuditEntry` and `AuditFilter`
// serialise and read. The response test validates real bodies against them strictly
// (an undeclared field fails), so a field added to the store type without a line here
// fails the build's tests. Replace each by `#[derive(JsonSchema)]` on the store type.

/// A user account.
#[derive(JsonSchema)]
#[schemars(rename = "User")]
#[allow(dead_code)]
pub struct UserDoc {
    id: String,
    username: String,
    display_name: String,
    email: Option<String>,
    role: khien_domain::Role,
    unit_id: String,
    unit_name: String,
    active: bool,
    totp_enabled: bool,
    created_at: String,
}

/// One link of the audit hash chain.
#[derive(JsonSchema)]
#[schemars(rename = "AuditEntry")]
#[allow(dead_code)]
pub struct AuditEntryDoc {
    seq: i64,
    at: String,
    actor_id: String,
    actor_name: String,
    unit_id: String,
    unit_path: String,
    /// 1: written before the unit path was hashed; 2: the path is under the hash.
    hash_version: i64,
    action: String,
    entity: String,
    entity_id: String,
    /// The object before the change, as JSON text.
    before: String,
    /// The object after the change, as JSON text.
    after: String,
    prev_hash: String,
    hash: String,
}

#[derive(Default, serde::Serialize, JsonSchema)]
#[serde(default)]
#[allow(dead_code)]
pub struct AuditFilterDoc {
    entity: String,
    entity_id: String,
    actor: String,
    action: String,
    page: i64,
}
