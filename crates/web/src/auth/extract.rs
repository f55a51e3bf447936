use std::marker::PhantomData;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use khien_domain::{Principal, Role};
use khien_store::Scoped;

use super::identity::{Identity, Via};
use crate::AppState;
use crate::error::AppError;

/// A set of roles a route admits.
pub trait Access {
    const ROLES: &'static [Role];
    const NAMES: &'static [&'static str];
}

/// The browser session behind a request, when there is one.
#[derive(Debug, Clone)]
pub struct SessionCtx {
    pub id_hash: String,
    pub csrf: String,
}

/// A signed-in principal whose role is in `A`. A handler that takes `Auth<A>` cannot run
/// for anyone else: unauthenticated callers are sent to sign in (401 for the API) and
/// other roles get 403. An API token's scope is enforced here too, for every route at
/// once: a write its scope does not name is 403 whatever the role.
pub struct Auth<A: Access> {
    pub principal: Principal,
    pub session: Option<SessionCtx>,
    /// The client's address, written into the audit entries of this request's writes.
    pub client_addr: String,
    _access: PhantomData<A>,
}

impl<A: Access> Auth<A> {
    /// The store as this principal may see it: the only way handlers reach data.
    pub fn scoped<'s>(&self, state: &'s AppState) -> Scoped<'s> {
        state
            .store
            .scoped(&self.principal)
            .from_address(&self.client_addr)
    }
}

impl<A: Access + Send + Sync> FromRequestParts<AppState> for Auth<A> {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        _state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let api = parts.uri.path().starts_with("/api/");
        let identity = parts
            .extensions
            .get::<Identity>()
            .ok_or(AppError::Unauthenticated { api })?;
        let session = match &identity.via {
            Via::Session { id_hash, csrf } => Some(SessionCtx {
                id_hash: id_hash.clone(),
                csrf: csrf.clone(),
            }),
            Via::PendingTotp { .. } => return Err(AppError::Unauthenticated { api }),
            Via::Token { scope } => {
                if !scope.permits(parts.method.as_str(), parts.uri.path()) {
                    return Err(AppError::Forbidden);
                }
                None
            }
        };
        if !A::ROLES.contains(&identity.principal.role) {
            return Err(AppError::Forbidden);
        }
        Ok(Auth {
            principal: identity.principal.clone(),
            session,
            client_addr: parts
                .extensions
                .get::<crate::support::client_addr::ClientAddr>()
                .map(|c| c.0.clone())
                .unwrap_or_else(|| "local".into()),
            _access: PhantomData,
        })
    }
}
