//! Information systems as JSON, a page at a time.

use axum::Json;
use axum::extract::{Path, Query, State};
use khien_domain::systems::SystemInput;
use khien_store::systems::{System, SystemFilter};
use khien_store::Page;
use schemars::JsonSchema;
use serde::Deserialize;

use crate::api::openapi::Op;
use crate::api::{Api, ApiLang, ApiResult, api_error, created, ok, refuse};
use crate::AppState;
use crate::auth::Access;
use crate::auth::Auth;
use crate::auth::roles::{AnyRole, SystemEditor};

pub(crate) fn routes(api: Api) -> Api {
    let any = AnyRole::NAMES;
    api.get(
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
