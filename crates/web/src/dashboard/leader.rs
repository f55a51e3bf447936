//! `/leader`: the leader's one page (issue 12 item 6) — the scope at a glance, the six
//! months' events in a few figures, and the ranking's head and tail, printable as it is.
//! A leader's (the viewer role's) home page is this page.

use axum::extract::State;
use axum::response::Html;

use super::glance::{Glance, glance};
use crate::AppState;
use crate::auth::Auth;
use crate::auth::roles::AnyRole;
use crate::error::AppResult;
use crate::view::{Chrome, render};

/// Units shown at each end of the ranking.
const EACH_END: usize = 5;

/// The six months' events the page counts, by the periodic reports' metric ids.
const EVENTS: &[&str] = &["incidents", "incidents_serious", "findings_new_serious", "findings_fixed", "drills", "assessments", "trainees"];

pub struct Figure {
    pub metric: &'static str,
    pub value: i64,
}

#[derive(askama::Template)]
#[template(path = "dashboard/leader.html")]
struct LeaderPage {
    c: Chrome,
    /// "03/12/2026".
    today: String,
    /// The first day of the six months counted.
    since: String,
    glance: Glance,
    events: Vec<Figure>,
}

pub(crate) async fn render_page(state: &AppState, auth: &Auth<AnyRole>, c: Chrome) -> AppResult<Html<String>> {
    let today = state.store.today_vn();
    let glance = glance(state, auth, &c.t, EACH_END).await?;
    let events = EVENTS.iter().map(|m| Figure { metric: m, value: glance.figures.total(m) }).collect();
    let since = khien_store::period_figures::six_months_window(today).0;
    render(&LeaderPage {
        today: khien_domain::time_fmt::format_date(today),
        since: khien_domain::time_fmt::format_date(since),
        glance,
        events,
        c,
    })
}

pub async fn page(State(state): State<AppState>, auth: Auth<AnyRole>, c: Chrome) -> AppResult<Html<String>> {
    render_page(&state, &auth, c).await
}
