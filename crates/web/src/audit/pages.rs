//! The audit trail browser: filter by entity, actor and action; units see their own.

use axum::extract::{Query, RawQuery, State};
use axum::response::Html;
use khien_store::{AuditEntry, AuditFilter, Page};

use crate::AppState;
use crate::auth::Auth;
use crate::auth::roles::AnyRole;
use crate::error::AppResult;
use crate::view::{Chrome, page_href, render};

#[derive(askama::Template)]
#[template(path = "audit/audit.html")]
struct AuditPage {
    c: Chrome,
    filter: AuditFilter,
    page: Page<AuditEntry>,
    base_query: String,
}

impl AuditPage {
    fn page_link(&self, n: i64) -> String {
        page_href(&self.base_query, n)
    }
    /// The next page: by cursor (keyset) when the list has one, else by number.
    fn next_link(&self) -> String {
        crate::view::next_href(&self.base_query, &self.page)
    }
}

pub async fn page(
    State(state): State<AppState>,
    auth: Auth<AnyRole>,
    c: Chrome,
    Query(filter): Query<AuditFilter>,
    RawQuery(raw): RawQuery,
) -> AppResult<Html<String>> {
    let page = auth.scoped(&state).audit(&filter, 50).await?;
    render(&AuditPage {
        c,
        filter,
        page,
        base_query: crate::support::base_query(raw.as_deref()),
    })
}
