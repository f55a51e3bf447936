//! The JSON API under `/api/v1`, for scanners, SIEMs and scripts. Authenticated with
//! bearer tokens (or a browser session plus `X-CSRF-Token`); same scope as the UI.

mod openapi;
mod records;

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use khien_store::StoreError;
use serde_json::json;

use crate::auth::Access;
use crate::auth::roles::{AnyRole, HuntRunner, ProvinceAdmin, SystemEditor, UnitEditor};
use crate::error::AppError;
use crate::i18n::{Lang, T};
use crate::routes::{Routes, Tenancy};
use crate::view::field_message;

pub use openapi::openapi_document;

pub fn routes() -> Routes {
    let any = AnyRole::NAMES;
    Routes::default()
        .get("/api/v1/openapi.json", &[], Tenancy::Public, openapi::serve)
        .get("/api/v1/units", any, Tenancy::Unit, records::list_units)
        .post(
            "/api/v1/units",
            UnitEditor::NAMES,
            Tenancy::Unit,
            records::create_unit,
        )
        .get("/api/v1/units/{id}", any, Tenancy::Unit, records::get_unit)
        .put(
            "/api/v1/units/{id}",
            UnitEditor::NAMES,
            Tenancy::Unit,
            records::update_unit,
        )
        .post(
            "/api/v1/units/{id}/move",
            ProvinceAdmin::NAMES,
            Tenancy::Unit,
            records::move_unit,
        )
        .post(
            "/api/v1/units/{id}/active",
            ProvinceAdmin::NAMES,
            Tenancy::Unit,
            records::set_unit_active,
        )
        .get("/api/v1/systems", any, Tenancy::Unit, records::list_systems)
        .post(
            "/api/v1/systems",
            SystemEditor::NAMES,
            Tenancy::Unit,
            records::create_system,
        )
        .get(
            "/api/v1/systems/{id}",
            any,
            Tenancy::Unit,
            records::get_system,
        )
        .put(
            "/api/v1/systems/{id}",
            SystemEditor::NAMES,
            Tenancy::Unit,
            records::update_system,
        )
        .get("/api/v1/hunts", any, Tenancy::Unit, records::list_hunts)
        .post(
            "/api/v1/hunts",
            HuntRunner::NAMES,
            Tenancy::Unit,
            records::report_hunt,
        )
        .get("/api/v1/hunts/{id}", any, Tenancy::Unit, records::get_hunt)
        .get(
            "/api/v1/hunts/{id}/detections",
            any,
            Tenancy::Unit,
            records::hunt_detections,
        )
        .get(
            "/api/v1/users",
            ProvinceAdmin::NAMES,
            Tenancy::Unit,
            records::list_users,
        )
        .get("/api/v1/audit", any, Tenancy::Unit, records::list_audit)
}

/// Store errors as API responses; validation errors list every field.
pub(crate) fn api_error(e: StoreError) -> Response {
    match e {
        StoreError::Invalid(inv) => {
            let t = T { lang: Lang::En };
            let errors: Vec<_> = inv
                .errors
                .iter()
                .map(
                    |f| json!({ "field": f.field, "code": f.key, "message": field_message(&t, f) }),
                )
                .collect();
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                Json(json!({ "error": "invalid", "errors": errors })),
            )
                .into_response()
        }
        other => AppError::from(other).into_response(),
    }
}
