//! The route table: every route is registered here with the access it declares, so tests
//! can enumerate the whole router (see the tenancy test) and nothing is forgotten.

use axum::Router;
use axum::handler::Handler;
use axum::routing::{MethodRouter, get, post, put};

use crate::AppState;

/// Whose data a route touches, for the tenancy test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tenancy {
    /// No login: public pages, health, assets.
    Public,
    /// The signed-in user's own account (sessions, tokens, password).
    Own,
    /// Unit-owned data, filtered by the principal's scope.
    Unit,
}

#[derive(Debug, Clone)]
pub struct RouteInfo {
    pub method: &'static str,
    pub path: &'static str,
    /// Roles allowed (as `Role::as_str`), empty for public routes.
    pub roles: &'static [&'static str],
    pub tenancy: Tenancy,
}

pub struct Routes {
    router: Router<AppState>,
    table: Vec<RouteInfo>,
}

impl Default for Routes {
    fn default() -> Self {
        Routes {
            router: Router::new(),
            table: Vec::new(),
        }
    }
}

impl Routes {
    pub(crate) fn add(
        mut self,
        method: &'static str,
        path: &'static str,
        roles: &'static [&'static str],
        tenancy: Tenancy,
        mr: MethodRouter<AppState>,
    ) -> Self {
        self.router = self.router.route(path, mr);
        self.table.push(RouteInfo {
            method,
            path,
            roles,
            tenancy,
        });
        self
    }

    pub fn get<H: Handler<T, AppState>, T: 'static>(
        self,
        path: &'static str,
        roles: &'static [&'static str],
        tenancy: Tenancy,
        h: H,
    ) -> Self {
        self.add("GET", path, roles, tenancy, get(h))
    }

    pub fn post<H: Handler<T, AppState>, T: 'static>(
        self,
        path: &'static str,
        roles: &'static [&'static str],
        tenancy: Tenancy,
        h: H,
    ) -> Self {
        self.add("POST", path, roles, tenancy, post(h))
    }

    pub fn put<H: Handler<T, AppState>, T: 'static>(
        self,
        path: &'static str,
        roles: &'static [&'static str],
        tenancy: Tenancy,
        h: H,
    ) -> Self {
        self.add("PUT", path, roles, tenancy, put(h))
    }

    pub fn merge(mut self, other: Routes) -> Self {
        self.router = self.router.merge(other.router);
        self.table.extend(other.table);
        self
    }

    pub fn into_parts(self) -> (Router<AppState>, Vec<RouteInfo>) {
        (self.router, self.table)
    }
}
