//! User accounts as JSON (province administrators).

use axum::extract::State;
use khien_store::accounts::User;

use crate::api::openapi::Op;
use crate::api::{Api, ApiResult, Items, ok, refuse};
use crate::AppState;
use crate::auth::Access;
use crate::auth::Auth;
use crate::auth::roles::ProvinceAdmin;

pub(crate) fn routes(api: Api) -> Api {
    api.get(
        "/api/v1/users",
        ProvinceAdmin::NAMES,
        list_users,
        Op::new::<Items<User>>("Users (province administrators)"),
    )
}

pub async fn list_users(State(s): State<AppState>, auth: Auth<ProvinceAdmin>) -> ApiResult {
    ok(Items {
        items: auth.scoped(&s).users().await.map_err(refuse)?,
    })
}
