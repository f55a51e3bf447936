//! Reminders (issue 12 item 2): the bell in the header with the unread count,
//! `/notifications` listing a person's reminders with "mark as read", and the sweep
//! that makes them ([`sweep`]) from the obligations and the incident reporting clocks.
//!
//! Its routes are registered here, its template lives in `templates/notifications/`
//! and its strings in `i18n/<lang>/notifications.txt`.

pub mod sweep;

use axum::extract::{Query, RawQuery, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use khien_store::Page;
use khien_store::reminders::{Reminder, ReminderFilter};

use crate::AppState;
use crate::auth::roles::AnyRole;
use crate::auth::{Access, Auth};
use crate::error::AppResult;
use crate::routes::{Routes, Tenancy};
use crate::view::{Chrome, form_pairs, page_href, render};

const PER_PAGE: i64 = 50;

pub(crate) fn page_routes() -> Routes {
    Routes::default()
        .get("/notifications", AnyRole::NAMES, Tenancy::Unit, list)
        .post("/notifications/read", AnyRole::NAMES, Tenancy::Unit, mark_read)
}

#[derive(askama::Template)]
#[template(path = "notifications/notifications.html")]
struct ListPage {
    c: Chrome,
    page: Page<Reminder>,
    filter: ReminderFilter,
    base_query: String,
}

impl ListPage {
    fn page_link(&self, n: i64) -> String {
        page_href(&self.base_query, n)
    }
    /// The deadline as written: `dd/mm/yyyy HH:MM` for an instant, `dd/mm/yyyy` for a date.
    fn due(&self, r: &Reminder) -> String {
        if r.due.contains('T') {
            self.c.datetime(&r.due)
        } else {
            khien_domain::time_fmt::display_date(&r.due)
        }
    }
}

async fn list(
    State(state): State<AppState>,
    auth: Auth<AnyRole>,
    c: Chrome,
    Query(filter): Query<ReminderFilter>,
    RawQuery(raw): RawQuery,
) -> AppResult<Html<String>> {
    let page = auth.scoped(&state).my_reminders(&filter, PER_PAGE).await?;
    render(&ListPage {
        c,
        page,
        filter,
        base_query: crate::support::base_query(raw.as_deref()),
    })
}

/// Marks the reminders named by `id` (repeated) read, or all of the viewer's when none
/// is named; only the viewer's own are ever touched.
async fn mark_read(State(state): State<AppState>, auth: Auth<AnyRole>, body: String) -> AppResult<Response> {
    let ids: Vec<String> = form_pairs(&body)
        .into_iter()
        .filter(|(k, v)| k == "id" && !v.trim().is_empty())
        .map(|(_, v)| v.trim().to_string())
        .collect();
    let all = form_pairs(&body).iter().any(|(k, v)| k == "all" && v == "1");
    if all || !ids.is_empty() {
        auth.scoped(&state).mark_reminders_read(if all { &[] } else { &ids }).await?;
    }
    Ok(Redirect::to("/notifications").into_response())
}
