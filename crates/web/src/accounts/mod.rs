//! Accounts: sign-in and the second factor, the own account (password, sessions, TOTP, API tokens) and user administration.
//!
//! Its routes (pages and API) are registered here, its templates live in
//! `templates/accounts/` and its strings in `i18n/<lang>/accounts.txt`.

mod api;
pub(crate) mod account;
pub(crate) mod session;
pub(crate) mod users;

use crate::auth::Access;
use crate::auth::roles::{AnyRole, ProvinceAdmin};
use crate::routes::{Routes, Tenancy};

pub(crate) fn page_routes() -> Routes {
    let admin = ProvinceAdmin::NAMES;
    let any = AnyRole::NAMES;
    Routes::default()
        .get("/login", &[], Tenancy::Public, session::login_form)
        .post("/login", &[], Tenancy::Public, session::login)
        .get("/login/totp", &[], Tenancy::Public, session::totp_form)
        .post("/login/totp", &[], Tenancy::Public, session::totp_submit)
        .post("/logout", any, Tenancy::Own, session::logout)
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
        .get("/users", admin, Tenancy::Unit, users::list)
        .post("/users", admin, Tenancy::Unit, users::create)
        .post(
            "/users/{id}/active",
            admin,
            Tenancy::Unit,
            users::set_active,
        )
}

pub(crate) fn api_routes(api: crate::api::Api) -> crate::api::Api {
    api::routes(api)
}
