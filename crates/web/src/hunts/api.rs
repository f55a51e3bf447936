//! Threat hunts as JSON, and hunts run elsewhere (`khien hunt --report-to`) recorded.

use axum::Json;
use axum::extract::{Path, Query, State};
use khien_store::hunts::{DetectionFilter, DetectionRow, Hunt, HuntFilter, HuntReportIn};
use khien_store::Page;

use crate::api::openapi::Op;
use crate::api::{Api, ApiLang, ApiResult, api_error, created, ok, refuse};
use crate::AppState;
use crate::auth::Access;
use crate::auth::Auth;
use crate::auth::roles::{AnyRole, HuntRunner};

pub(crate) fn routes(api: Api) -> Api {
    let any = AnyRole::NAMES;
    api.get(
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
