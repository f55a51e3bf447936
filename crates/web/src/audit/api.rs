//! The audit trail as JSON, in the caller's scope.

use axum::extract::{Query, State};
use khien_store::{AuditEntry, AuditFilter, Page};

use crate::api::openapi::Op;
use crate::api::{Api, ApiResult, ok, refuse};
use crate::AppState;
use crate::auth::Access;
use crate::auth::Auth;
use crate::auth::roles::AnyRole;

pub(crate) fn routes(api: Api) -> Api {
    let any = AnyRole::NAMES;
    api.get(
        "/api/v1/audit",
        any,
        list_audit,
        Op::new::<Page<AuditEntry>>("Audit entries in scope, newest first, 100 a page")
            .query::<AuditFilter>(),
    )
}

pub async fn list_audit(
    State(s): State<AppState>,
    auth: Auth<AnyRole>,
    Query(f): Query<AuditFilter>,
) -> ApiResult {
    ok(auth.scoped(&s).audit(&f, 100).await.map_err(refuse)?)
}
