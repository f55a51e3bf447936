//! Backup plans and restore tests of important systems (issue 12 item 4; Thái Nguyên
//! 1880/UBND-KGVX 2024): the overview of which operating systems have a plan and a
//! recent successful restore, each system's page with its plan and its tests, a line on
//! the system page, and the systems behind in the work queue.
//!
//! Its routes are registered here, its templates live in `templates/backups/` and its
//! strings in `i18n/<lang>/backups.txt`.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use khien_domain::backups::{FREQUENCIES, Gap, OUTCOMES, PlanInput, Policy, RestoreTestInput};
use khien_domain::time_fmt::format_date;
use khien_store::StoreError;
use khien_store::backups::{BackupFilter, RestoreTest, SystemBackup, may_record};

use crate::AppState;
use crate::auth::roles::{AnyRole, SystemEditor};
use crate::auth::{Access, Auth};
use crate::error::{AppError, AppResult};
use crate::i18n::T;
use crate::routes::{Routes, Tenancy};
use crate::view::{Chrome, FormState, form_pairs, refusal_as_fields, render, render_refused};
use crate::work::{WorkGroup, WorkItem};

const OVERVIEW_MAX: i64 = 1_000;
const PLAN_FORM: &str = "backup-plan";
const TEST_FORM: &str = "restore-test";

pub(crate) fn page_routes() -> Routes {
    Routes::default()
        .get("/backups", AnyRole::NAMES, Tenancy::Unit, overview)
        .get("/systems/{id}/backup", AnyRole::NAMES, Tenancy::Unit, system_page)
        .post("/systems/{id}/backup/plan", SystemEditor::NAMES, Tenancy::Unit, save_plan)
        .post("/systems/{id}/backup/tests", SystemEditor::NAMES, Tenancy::Unit, add_test)
}

fn policy(state: &AppState) -> AppResult<Arc<Policy>> {
    state.config.backup_policy.clone().ok_or(AppError::Missing("backup.err_policy"))
}

/// What is behind, as people read it.
fn gap_text(t: &T, g: Gap) -> String {
    match g {
        Gap::NoPlan => t.s("backup.gap_no_plan").to_string(),
        Gap::NeverRestored => t.s("backup.gap_never").to_string(),
        Gap::RestoreTooOld(d) => t.f("backup.gap_old", &[&format_date(d)]),
        Gap::LastTestFailed => t.s("backup.gap_failed").to_string(),
    }
}

fn gaps_of(policy: &Policy, today: time::Date, s: &SystemBackup) -> Vec<Gap> {
    policy.gaps(today, s.plan.is_some(), s.last_success, s.last_test.as_ref().map(|(_, o)| o.as_str()))
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct OverviewQuery {
    /// `required` (default), `behind` or `all`.
    show: String,
}

/// A system as the overview shows it: with its gaps in words.
pub struct Row {
    pub sys: SystemBackup,
    pub required: bool,
    pub gaps: Vec<String>,
}

#[derive(askama::Template)]
#[template(path = "backups/overview.html")]
struct OverviewPage {
    c: Chrome,
    policy: Arc<Policy>,
    show: &'static str,
    matched: i64,
    rows: Vec<Row>,
    behind: usize,
}

pub async fn overview(State(state): State<AppState>, auth: Auth<AnyRole>, c: Chrome, Query(q): Query<OverviewQuery>) -> AppResult<Html<String>> {
    let policy = policy(&state)?;
    let (show, filter) = match q.show.as_str() {
        "all" => ("all", BackupFilter::All),
        "behind" => ("behind", BackupFilter::RequiredBehind),
        _ => ("required", BackupFilter::Required),
    };
    let today = state.store.today_vn();
    let (matched, systems) = auth.scoped(&state).backup_overview(&policy, filter, today, OVERVIEW_MAX).await?;
    let rows: Vec<Row> = systems
        .into_iter()
        .map(|s| {
            let required = policy.required_for(s.level);
            let gaps = gaps_of(&policy, today, &s).into_iter().map(|g| gap_text(&c.t, g)).collect();
            Row { sys: s, required, gaps }
        })
        .collect();
    let behind = rows.iter().filter(|r| r.required && !r.gaps.is_empty()).count();
    render(&OverviewPage { c, policy, show, matched, rows, behind })
}

#[derive(askama::Template)]
#[template(path = "backups/system.html")]
struct SystemPage {
    c: Chrome,
    policy: Arc<Policy>,
    sys: SystemBackup,
    tests: Vec<RestoreTest>,
    gaps: Vec<String>,
    may_record: bool,
}

impl SystemPage {
    fn frequencies(&self) -> &'static [&'static str] {
        &FREQUENCIES
    }
    fn outcomes(&self) -> &'static [&'static str] {
        &OUTCOMES
    }
    fn required(&self) -> bool {
        self.policy.required_for(self.sys.level)
    }
    /// A plan field: as typed when the plan form was refused, else as recorded.
    fn plan_value(&self, field: &str) -> String {
        let stored = match (field, &self.sys.plan) {
            (_, None) => String::new(),
            ("backup_scope", Some(p)) => p.scope.clone(),
            ("frequency", Some(p)) => p.frequency.clone(),
            ("retention_days", Some(p)) => p.retention_days.to_string(),
            ("offsite", Some(p)) => if p.offsite { "on".into() } else { String::new() },
            ("method", Some(p)) => p.method.clone().unwrap_or_default(),
            ("version", Some(p)) => p.version.to_string(),
            (_, Some(_)) => String::new(),
        };
        let stored = if field == "version" && stored.is_empty() { "0".to_string() } else { stored };
        // An unticked box is absent from a refused form: it was not ticked.
        if field == "offsite" && self.c.refused(PLAN_FORM) {
            return self.c.value(PLAN_FORM, field, "");
        }
        self.c.value(PLAN_FORM, field, &stored)
    }
}

async fn system_view<A: Access>(state: &AppState, auth: &Auth<A>, mut c: Chrome, id: &str, form: Option<FormState>) -> AppResult<SystemPage> {
    if let Some(f) = form {
        c.form = f;
    }
    let policy = policy(state)?;
    let scoped = auth.scoped(state);
    let sys = scoped.backup_of(id).await?;
    let tests = scoped.restore_tests(&sys.system_id).await?;
    let gaps = gaps_of(&policy, state.store.today_vn(), &sys).into_iter().map(|g| gap_text(&c.t, g)).collect();
    Ok(SystemPage { policy, sys, tests, gaps, may_record: may_record(auth.principal.role), c })
}

pub async fn system_page(State(state): State<AppState>, auth: Auth<AnyRole>, c: Chrome, Path(id): Path<String>) -> AppResult<Html<String>> {
    render(&system_view(&state, &auth, c, &id, None).await?)
}

/// After a write on a system's backup page: done, back to `anchor`; refused, the page
/// again with `form` kept and its messages.
async fn after_write<A: Access>(state: &AppState, auth: &Auth<A>, c: Chrome, id: &str, (form, anchor): (&str, &str), body: &str, result: Result<(), StoreError>) -> AppResult<Response> {
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/systems/{id}/backup#{anchor}")).into_response()),
        Err(e @ (StoreError::NotFound | StoreError::Forbidden)) => Err(e.into()),
        Err(e) => {
            let errors = refusal_as_fields(e, &[])?;
            render_refused(&system_view(state, auth, c, id, Some(FormState::refused(form, form_pairs(body), errors))).await?)
        }
    }
}

pub async fn save_plan(State(state): State<AppState>, auth: Auth<SystemEditor>, c: Chrome, Path(id): Path<String>, body: String) -> AppResult<Response> {
    let input: PlanInput = serde_urlencoded::from_str(&body).unwrap_or_default();
    let result = match input.validate() {
        Err(inv) => Err(StoreError::Invalid(inv)),
        Ok(f) => auth.scoped(&state).save_backup_plan(&id, &f).await,
    };
    after_write(&state, &auth, c, &id, (PLAN_FORM, "backup-plan"), &body, result).await
}

pub async fn add_test(State(state): State<AppState>, auth: Auth<SystemEditor>, c: Chrome, Path(id): Path<String>, body: String) -> AppResult<Response> {
    let input: RestoreTestInput = serde_urlencoded::from_str(&body).unwrap_or_default();
    let result = match input.validate(state.store.today_vn()) {
        Err(inv) => Err(StoreError::Invalid(inv)),
        Ok(f) => auth.scoped(&state).record_restore_test(&id, &f).await.map(|_| ()),
    };
    after_write(&state, &auth, c, &id, (TEST_FORM, "restore-tests"), &body, result).await
}

/// The system page's line: what is behind, or the last successful restore.
pub(crate) async fn summary_of(state: &AppState, scoped: &khien_store::Scoped<'_>, t: &T, system_id: &str) -> AppResult<Option<(String, bool)>> {
    let Some(policy) = state.config.backup_policy.as_ref() else {
        return Ok(None);
    };
    let sys = scoped.backup_of(system_id).await?;
    let gaps = gaps_of(policy, state.store.today_vn(), &sys);
    let text = if gaps.is_empty() {
        t.f("backup.summary_ok", &[&sys.last_success.map(format_date).unwrap_or_default()])
    } else {
        gaps.iter().map(|g| gap_text(t, *g)).collect::<Vec<_>>().join(" · ")
    };
    Ok(Some((text, !gaps.is_empty() && policy.required_for(sys.level))))
}

/// Important operating systems without a plan or a recent successful restore, for
/// those who record them.
pub(crate) async fn work(state: &AppState, auth: &Auth<AnyRole>, t: &T, limit: usize) -> AppResult<Vec<WorkGroup>> {
    let (true, Some(policy)) = (may_record(auth.principal.role), state.config.backup_policy.clone()) else {
        return Ok(Vec::new());
    };
    let today = state.store.today_vn();
    let cap = i64::try_from(limit).unwrap_or(50).max(1);
    let (n, systems) = auth.scoped(state).backup_overview(&policy, BackupFilter::RequiredBehind, today, cap).await?;
    let mut g = WorkGroup::new("backup.work_behind", Some("/backups?show=behind".into()));
    g.note = Some("backup.work_note");
    for s in systems {
        let gaps: Vec<String> = gaps_of(&policy, today, &s).into_iter().map(|x| gap_text(t, x)).collect();
        g.push(WorkItem {
            title: s.name.clone(),
            href: format!("/systems/{}/backup", s.system_id),
            detail: gaps.join(" · "),
            unit: s.unit_name.clone(),
            ..Default::default()
        });
    }
    g.total = n;
    Ok(vec![g])
}
