//! The JSON API under `/api/v1`, for scanners, SIEMs, scripts and national platforms.
//! Authenticated with bearer tokens (or a browser session plus `X-CSRF-Token`); same
//! scope and the same store methods as the UI, so the rules are the UI's rules.
//!
//! Each capability registers its routes together with their documentation ([`Api`]),
//! so a route cannot exist without its entry in the OpenAPI document.

pub mod openapi;

use std::convert::Infallible;

use axum::Json;
use axum::extract::FromRequestParts;
use axum::handler::Handler;
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use khien_store::StoreError;
use schemars::JsonSchema;
use serde::Serialize;

use crate::error::AppError;
use crate::i18n::{Lang, T};
use crate::routes::{Routes, Tenancy};
use crate::view::field_message;

use openapi::Op;
pub use openapi::openapi_document;

/// Every API route, for the application's route table.
pub fn routes() -> Routes {
    table().routes
}

/// The API routes with their documentation, in registration order.
pub(crate) fn docs() -> Vec<(&'static str, &'static str, Op)> {
    table().docs
}

fn table() -> Api {
    let api = Api {
        routes: Routes::default(),
        docs: Vec::new(),
    }
    .get(
        "/api/v1/openapi.json",
        &[],
        openapi::serve,
        openapi::self_doc(),
    );
    // Each capability documents and registers its own API routes.
    [
        crate::units::api_routes,
        crate::systems::api_routes,
        crate::hunts::api_routes,
        crate::incidents::api_routes,
        crate::findings::api_routes,
        crate::accounts::api_routes,
        crate::audit::api_routes,
        crate::levels::api_routes,
        crate::dossiers::api_routes,
        crate::plans::api_routes,
    ]
    .into_iter()
    .fold(api, |api, register| register(api))
}

/// Registers a route in the route table and its operation in the document at once.
pub(crate) struct Api {
    routes: Routes,
    docs: Vec<(&'static str, &'static str, Op)>,
}

impl Api {
    fn tenancy(roles: &[&str]) -> Tenancy {
        if roles.is_empty() {
            Tenancy::Public
        } else {
            Tenancy::Unit
        }
    }

    fn add(
        mut self,
        method: &'static str,
        path: &'static str,
        roles: &'static [&'static str],
        mr: axum::routing::MethodRouter<crate::AppState>,
        op: Op,
    ) -> Self {
        self.routes = self
            .routes
            .add(method, path, roles, Self::tenancy(roles), mr);
        self.docs.push((method, path, op));
        self
    }

    pub(crate) fn get<H: Handler<X, crate::AppState>, X: 'static>(
        self,
        path: &'static str,
        roles: &'static [&'static str],
        h: H,
        op: Op,
    ) -> Self {
        self.add("GET", path, roles, axum::routing::get(h), op)
    }

    pub(crate) fn post<H: Handler<X, crate::AppState>, X: 'static>(
        self,
        path: &'static str,
        roles: &'static [&'static str],
        h: H,
        op: Op,
    ) -> Self {
        self.add("POST", path, roles, axum::routing::post(h), op)
    }

    pub(crate) fn put<H: Handler<X, crate::AppState>, X: 'static>(
        self,
        path: &'static str,
        roles: &'static [&'static str],
        h: H,
        op: Op,
    ) -> Self {
        self.add("PUT", path, roles, axum::routing::put(h), op)
    }
}

/// A list answered whole (no paging).
#[derive(Debug, Serialize, JsonSchema)]
#[schemars(rename = "{T}List")]
pub struct Items<T> {
    pub items: Vec<T>,
}

// `pages::render_errors` writes this body for errors without one of their own, and
// `api_error` for invalid input; the document describes both with this type.
/// The body of every refusal.
#[derive(Debug, Serialize, JsonSchema)]
#[schemars(rename = "Error")]
pub struct ApiError {
    /// The kind of refusal: `unauthenticated`, `forbidden`, `not_found`, `bad_request`,
    /// `conflict`, `invalid`, `payload_too_large`, …
    pub error: String,
    /// The refusal's catalogue key, stable for each reason (`dossier.err_parts`): what
    /// a program should branch on.
    pub key: String,
    /// The refusal in the caller's language (the `khien_lang` cookie; Vietnamese by
    /// default).
    pub message: String,
    /// For `invalid`: every field that was refused.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldRefusal>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct FieldRefusal {
    pub field: String,
    /// The field's catalogue key (`err.required`, `err.email`, …).
    pub code: String,
    pub message: String,
}

/// The caller's language, as the identity layer resolved it.
pub(crate) struct ApiLang(pub Lang);

impl<S: Send + Sync> FromRequestParts<S> for ApiLang {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ApiLang(
            parts.extensions.get::<Lang>().copied().unwrap_or(Lang::Vi),
        ))
    }
}

/// A refusal, already a response; boxed so every handler's `Result` stays small.
pub(crate) struct Refused(Box<Response>);

impl IntoResponse for Refused {
    fn into_response(self) -> Response {
        *self.0
    }
}

/// Store errors as API responses; validation errors list every field, in the caller's
/// language. Everything else goes through `AppError`, whose body the error layer adds.
pub(crate) fn api_error(lang: Lang, e: StoreError) -> Refused {
    match e {
        StoreError::Invalid(inv) => {
            let t = T { lang };
            let body = ApiError {
                error: "invalid".into(),
                key: "err.invalid".into(),
                message: t.s("err.invalid").to_string(),
                errors: inv
                    .errors
                    .iter()
                    .map(|f| FieldRefusal {
                        field: f.field.to_string(),
                        code: f.key.to_string(),
                        message: field_message(&t, f),
                    })
                    .collect(),
            };
            Refused(Box::new(
                (StatusCode::UNPROCESSABLE_ENTITY, Json(body)).into_response(),
            ))
        }
        other => refuse(other),
    }
}

pub(crate) type ApiResult = Result<Response, Refused>;

pub(crate) fn ok<V: Serialize>(v: V) -> ApiResult {
    Ok(Json(v).into_response())
}

pub(crate) fn created<V: Serialize>(v: V) -> ApiResult {
    Ok((StatusCode::CREATED, Json(v)).into_response())
}

/// Refusals that are not about a field (a state, a right, a missing object).
pub(crate) fn refuse(e: impl Into<AppError>) -> Refused {
    Refused(Box::new(e.into().into_response()))
}
