//! Who is asking, and may they: identity resolution (session cookie or API token), the
//! CSRF check for every state-changing request, and role-typed extractors.

pub mod crypto;
mod csrf;
mod extract;
mod identity;

pub use csrf::csrf_guard;
pub use extract::{Access, Auth, SessionCtx};
pub use identity::{
    DatabaseUnavailable, Identity, LANG_COOKIE, PRE_COOKIE, SESSION_COOKIE, Via, cookie,
    resolve_identity, set_cookie,
};

/// Who may read `/metrics`: anyone when no token is configured (a scraper on a trusted
/// network), otherwise only a request with `Authorization: Bearer <token>`; everyone
/// else is told there is nothing there (404), so the endpoint is not even confirmed.
/// Attached to the router as an `Extension` by whoever serves it.
#[derive(Debug, Clone, Default)]
pub struct MetricsAccess {
    token: Option<String>,
}

impl MetricsAccess {
    /// An empty token means none (an unset environment variable often arrives as "").
    pub fn new(token: Option<String>) -> MetricsAccess {
        MetricsAccess {
            token: token.filter(|t| !t.trim().is_empty()),
        }
    }

    pub fn allows(&self, headers: &axum::http::HeaderMap) -> bool {
        let Some(expected) = &self.token else {
            return true;
        };
        headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            // Hashed first so the comparison takes the same time whatever the length.
            .is_some_and(|t| {
                crypto::same(&crypto::sha256_hex(t.trim()), &crypto::sha256_hex(expected))
            })
    }
}

/// Role sets that routes declare. Each is both a type (for the extractor) and a list
/// (for the route table).
pub mod roles {
    use super::Access;
    use khien_domain::Role;

    macro_rules! access {
        ($name:ident, $($role:ident),+) => {
            pub struct $name;
            impl Access for $name {
                const ROLES: &'static [Role] = &[$(Role::$role),+];
                const NAMES: &'static [&'static str] = &[$(Role::$role.as_str()),+];
            }
        };
    }

    access!(
        AnyRole,
        ProvinceAdmin,
        Inspector,
        Responder,
        UnitManager,
        UnitStaff,
        Viewer
    );
    access!(SystemEditor, ProvinceAdmin, UnitManager, UnitStaff);
    access!(UnitEditor, ProvinceAdmin, UnitManager);
    access!(ProvinceAdmin, ProvinceAdmin);
    // Who runs and concludes threat hunts: the response team and the units' IT people.
    access!(HuntRunner, ProvinceAdmin, Responder, UnitManager, UnitStaff);
    // Who reports and works on incidents (khien_domain::incidents::may_report).
    access!(IncidentWorker, ProvinceAdmin, Responder, UnitManager, UnitStaff);
    // The provincial response team: alerts, sharing (khien_domain::incidents::is_team).
    access!(IncidentTeam, ProvinceAdmin, Responder);
    // Who records the approval of an incident response plan (khien_domain::response_plans::may_approve).
    access!(PlanApprover, ProvinceAdmin, UnitManager);
}
