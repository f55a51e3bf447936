//! Incidents and alerts as JSON: incidents in scope for everyone signed in; alerts
//! for SOC/SIEM and monitoring providers (an API token of scope `alerts`, held by the
//! provincial team), deduplicated on (source, source_ref).

use axum::Json;
use axum::extract::{Path, Query, State};
use khien_store::Page;
use khien_store::incidents::{ImportReport, Alert, AlertFilter, AlertIn, AlertReceipt, Incident, IncidentDetail, IncidentFilter, MergeIn, PromoteIn};

use crate::AppState;
use crate::api::openapi::Op;
use crate::api::{Api, ApiLang, ApiResult, api_error, created, ok, refuse};
use crate::auth::roles::{AnyRole, IncidentTeam, IncidentWorker};
use crate::auth::{Access, Auth};

pub(crate) fn routes(api: Api) -> Api {
    let any = AnyRole::NAMES;
    let team = IncidentTeam::NAMES;
    let worker = IncidentWorker::NAMES;
    api.get(
        "/api/v1/incidents",
        any,
        list_incidents,
        Op::new::<Page<Incident>>("Incidents in scope, newest first, 100 a page").query::<IncidentFilter>(),
    )
    .get(
        "/api/v1/incidents/{id}",
        any,
        get_incident,
        Op::new::<IncidentDetail>("One incident with its units, systems, observables, tasks, timeline, evidence and comments"),
    )
    .get(
        "/api/v1/incidents/{id}/stix",
        any,
        super::exchange::api_stix,
        Op::new::<serde_json::Value>("The incident and its observables as a STIX 2.1 bundle (identity, incident, observed-data, indicators, cyber observables, relationships, TLP 2.0 markings; ids stable across exports)"),
    )
    .get(
        "/api/v1/incidents/{id}/misp",
        any,
        super::exchange::api_misp,
        Op::new::<serde_json::Value>("The incident and its observables as a MISP event (attributes with category, type, to_ids; TLP tags)"),
    )
    .post(
        "/api/v1/incidents/{id}/indicators",
        worker,
        super::exchange::api_import,
        Op::new::<ImportReport>("Import the indicators of a STIX 2.x bundle or MISP event as the incident's observables: how many were added, and each one skipped with the reason")
            .query::<super::exchange::ImportQuery>()
            .json::<serde_json::Value>(),
    )
    .get(
        "/api/v1/alerts",
        team,
        list_alerts,
        Op::new::<Page<Alert>>("Alerts received, newest first, 100 a page").query::<AlertFilter>(),
    )
    .post(
        "/api/v1/alerts",
        team,
        receive_alert,
        Op::creates::<AlertReceipt>(
            "Send an alert (SOC/SIEM, monitoring provider; token scope `alerts`). The same (source, source_ref) again is counted, not stored again: 200 with deduplicated = true",
        )
        .also::<AlertReceipt>(200, "Received before: counted (seen_count, last_seen), not stored again")
        .json::<AlertIn>(),
    )
    .post(
        "/api/v1/alerts/{id}/promote",
        team,
        promote_alert,
        Op::creates::<IncidentDetail>("Promote a new alert to a new incident (its observables copied)").json::<PromoteIn>(),
    )
    .post(
        "/api/v1/alerts/{id}/merge",
        team,
        merge_alert,
        Op::new::<IncidentDetail>("Merge a new alert into an existing incident (by id or reference; its observables copied)").json::<MergeIn>(),
    )
}

pub async fn list_incidents(State(s): State<AppState>, auth: Auth<AnyRole>, Query(f): Query<IncidentFilter>) -> ApiResult {
    ok(auth.scoped(&s).incidents(&f, 100).await.map_err(refuse)?)
}

pub async fn get_incident(State(s): State<AppState>, auth: Auth<AnyRole>, Path(id): Path<String>) -> ApiResult {
    ok(auth.scoped(&s).incident_detail(&id).await.map_err(refuse)?)
}

pub async fn list_alerts(State(s): State<AppState>, auth: Auth<IncidentTeam>, Query(f): Query<AlertFilter>) -> ApiResult {
    ok(auth.scoped(&s).alerts(&f, 100).await.map_err(refuse)?)
}

pub async fn receive_alert(State(s): State<AppState>, auth: Auth<IncidentTeam>, ApiLang(lang): ApiLang, Json(a): Json<AlertIn>) -> ApiResult {
    let receipt = auth.scoped(&s).receive_alert(&a).await.map_err(|e| api_error(lang, e))?;
    if receipt.deduplicated { ok(receipt) } else { created(receipt) }
}

pub async fn promote_alert(State(s): State<AppState>, auth: Auth<IncidentTeam>, ApiLang(lang): ApiLang, Path(id): Path<String>, Json(p): Json<PromoteIn>) -> ApiResult {
    let scoped = auth.scoped(&s);
    let incident = scoped.promote_alert(&id, &p).await.map_err(|e| api_error(lang, e))?;
    created(scoped.incident_detail(&incident).await.map_err(refuse)?)
}

pub async fn merge_alert(State(s): State<AppState>, auth: Auth<IncidentTeam>, ApiLang(lang): ApiLang, Path(id): Path<String>, Json(m): Json<MergeIn>) -> ApiResult {
    let scoped = auth.scoped(&s);
    let incident = scoped.merge_alert(&id, &m).await.map_err(|e| api_error(lang, e))?;
    ok(scoped.incident_detail(&incident).await.map_err(refuse)?)
}
