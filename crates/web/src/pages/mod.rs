//! Server-rendered pages, one module per capability. The core flows work without
//! JavaScript.

mod account;
mod audit;
mod dashboard;
mod dossiers;
mod hunts;
mod levels;
mod plans;
mod province;
mod public;
mod reports;
mod session;
mod systems;
mod systems_xlsx;
mod units;
mod users;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};

use crate::AppState;
use crate::auth::Access;
use crate::auth::roles::{AnyRole, HuntRunner, ProvinceAdmin, SystemEditor, UnitEditor};
use crate::error::ErrorInfo;
use crate::i18n::{Lang, T};
use crate::routes::{Routes, Tenancy};

pub fn routes() -> Routes {
    let any = AnyRole::NAMES;
    let sys = SystemEditor::NAMES;
    let unit = UnitEditor::NAMES;
    let admin = ProvinceAdmin::NAMES;
    let hunter = HuntRunner::NAMES;
    Routes::default()
        .get("/healthz", &[], Tenancy::Public, public::healthz)
        .get("/metrics", &[], Tenancy::Public, public::metrics)
        .get("/assets/{name}", &[], Tenancy::Public, crate::assets::asset)
        .get("/lang/{code}", &[], Tenancy::Public, public::switch_lang)
        .get("/contacts", &[], Tenancy::Public, public::contacts)
        .get("/login", &[], Tenancy::Public, session::login_form)
        .post("/login", &[], Tenancy::Public, session::login)
        .get("/login/totp", &[], Tenancy::Public, session::totp_form)
        .post("/login/totp", &[], Tenancy::Public, session::totp_submit)
        .post("/logout", any, Tenancy::Own, session::logout)
        .get("/", any, Tenancy::Unit, dashboard::home)
        .get("/account", any, Tenancy::Own, account::page)
        .post(
            "/account/password",
            any,
            Tenancy::Own,
            account::change_password,
        )
        .post(
            "/account/sessions/{id}/revoke",
            any,
            Tenancy::Own,
            account::revoke_session,
        )
        .post("/account/totp", any, Tenancy::Own, account::enable_totp)
        .post(
            "/account/totp/disable",
            any,
            Tenancy::Own,
            account::disable_totp,
        )
        .post("/account/tokens", any, Tenancy::Own, account::create_token)
        .post(
            "/account/tokens/{id}/revoke",
            any,
            Tenancy::Own,
            account::revoke_token,
        )
        .get("/units", any, Tenancy::Unit, units::tree)
        .get("/units/new", unit, Tenancy::Unit, units::new_form)
        .post("/units", unit, Tenancy::Unit, units::create)
        .get("/units/{id}", any, Tenancy::Unit, units::detail)
        .get("/units/{id}/edit", unit, Tenancy::Unit, units::edit_form)
        .post("/units/{id}", unit, Tenancy::Unit, units::update)
        .post("/units/{id}/move", admin, Tenancy::Unit, units::move_unit)
        .post(
            "/units/{id}/active",
            admin,
            Tenancy::Unit,
            units::set_active,
        )
        .get("/systems", any, Tenancy::Unit, systems::list)
        .get("/systems/new", sys, Tenancy::Unit, systems::new_form)
        .post("/systems", sys, Tenancy::Unit, systems::create)
        .get(
            "/systems/export.xlsx",
            any,
            Tenancy::Unit,
            systems_xlsx::export,
        )
        .get(
            "/systems/template.xlsx",
            any,
            Tenancy::Unit,
            systems_xlsx::template,
        )
        .get(
            "/systems/import",
            sys,
            Tenancy::Unit,
            systems_xlsx::import_form,
        )
        .post("/systems/import", sys, Tenancy::Unit, systems_xlsx::import)
        .get("/systems/{id}", any, Tenancy::Unit, systems::detail)
        .get("/systems/{id}/edit", sys, Tenancy::Unit, systems::edit_form)
        .post("/systems/{id}", sys, Tenancy::Unit, systems::update)
        .get("/systems/{id}/level", any, Tenancy::Unit, levels::wizard)
        .post("/systems/{id}/level", sys, Tenancy::Unit, levels::determine)
        .post(
            "/systems/{id}/dossiers",
            sys,
            Tenancy::Unit,
            levels::new_dossier,
        )
        .get("/systems/{id}/plan", any, Tenancy::Unit, plans::page)
        .post(
            "/systems/{id}/plan/{key}",
            sys,
            Tenancy::Unit,
            plans::set_requirement,
        )
        .post(
            "/systems/{id}/plan/{key}/evidence",
            sys,
            Tenancy::Unit,
            plans::add_evidence,
        )
        .get(
            "/systems/{id}/evidence/{att}",
            any,
            Tenancy::Unit,
            plans::evidence_file,
        )
        .post(
            "/systems/{id}/go-live-exception",
            admin,
            Tenancy::Unit,
            plans::grant_exception,
        )
        .get("/dossiers/{id}", any, Tenancy::Unit, dossiers::page)
        .post("/dossiers/{id}/files", any, Tenancy::Unit, dossiers::attach)
        .get(
            "/dossiers/{id}/files/{att}",
            any,
            Tenancy::Unit,
            dossiers::download,
        )
        .post(
            "/dossiers/{id}/regulation",
            sys,
            Tenancy::Unit,
            dossiers::regulation,
        )
        .post(
            "/dossiers/{id}/{action}",
            any,
            Tenancy::Unit,
            dossiers::transition,
        )
        .get(
            "/dossiers/{id}/overview.docx",
            any,
            Tenancy::Unit,
            reports::dossier_overview,
        )
        .get(
            "/reports/annual.xlsx",
            any,
            Tenancy::Unit,
            reports::annual_xlsx,
        )
        .get(
            "/reports/annual.docx",
            any,
            Tenancy::Unit,
            reports::annual_docx,
        )
        .get("/hunts", any, Tenancy::Unit, hunts::list)
        .get("/hunts/new", hunter, Tenancy::Unit, hunts::new_form)
        .post("/hunts", hunter, Tenancy::Unit, hunts::create)
        .get("/hunts/{id}", any, Tenancy::Unit, hunts::detail)
        .post(
            "/hunts/{id}/conclusion",
            hunter,
            Tenancy::Unit,
            hunts::conclude,
        )
        .get("/levels", any, Tenancy::Unit, province::page)
        .post(
            "/levels/targets",
            admin,
            Tenancy::Unit,
            province::set_targets,
        )
        .get("/audit", any, Tenancy::Unit, audit::page)
        .get("/users", admin, Tenancy::Unit, users::list)
        .post("/users", admin, Tenancy::Unit, users::create)
        .post(
            "/users/{id}/active",
            admin,
            Tenancy::Unit,
            users::set_active,
        )
}

#[derive(askama::Template)]
#[template(path = "error.html")]
struct ErrorPage {
    t: T,
    status: u16,
    code: &'static str,
    message: String,
}

/// Turns bare error responses into a page in the request's language (HTML routes) or a
/// JSON body (the API). One place, so every error looks the same.
pub async fn render_errors(State(_): State<AppState>, req: Request, next: Next) -> Response {
    let lang = req.extensions().get::<Lang>().copied().unwrap_or(Lang::Vi);
    let api = req.uri().path().starts_with("/api/");
    let resp = next.run(req).await;
    let status = resp.status();
    let info = resp
        .extensions()
        .get::<ErrorInfo>()
        .cloned()
        .or_else(|| match status.as_u16() {
            404 => Some(ErrorInfo {
                code: "not_found",
                key: "err.not_found",
            }),
            405 => Some(ErrorInfo {
                code: "method_not_allowed",
                key: "err.method",
            }),
            413 => Some(ErrorInfo {
                code: "payload_too_large",
                key: "err.too_large",
            }),
            415 | 422 | 400 => Some(ErrorInfo {
                code: "bad_request",
                key: "err.bad_request",
            }),
            408 => Some(ErrorInfo {
                code: "timeout",
                key: "err.timeout",
            }),
            500 => Some(ErrorInfo {
                code: "internal",
                key: "err.internal",
            }),
            _ => None,
        });
    let Some(info) = info else { return resp };
    if resp
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .is_some_and(|v| {
            v.as_bytes().starts_with(b"text/html") || v.as_bytes().starts_with(b"application/json")
        })
    {
        return resp;
    }
    let t = T { lang };
    if api {
        // `key` is the refusal's stable code (its catalogue key); `message` is in the
        // caller's language.
        let body = serde_json::json!({ "error": info.code, "key": info.key, "message": t.s(info.key) });
        return (status, axum::Json(body)).into_response();
    }
    let page = ErrorPage {
        t,
        status: status.as_u16(),
        code: info.code,
        message: t.s(info.key).to_string(),
    };
    match askama::Template::render(&page) {
        Ok(html) => (status, Html(html)).into_response(),
        Err(_) => status.into_response(),
    }
}
