//! The risk register (issue 12 item 4; "quản lý rủi ro", Decree 85/2016 Art 20.2.c):
//! the risks of the units and systems in scope with the 5×5 matrix of those still to be
//! dealt with (`/risks`), a risk's page with its treatment, a line on the system page,
//! and the risks behind (high or critical left untreated, treatment late) in the work
//! queue.
//!
//! Its routes are registered here, its templates live in `templates/risks/` and its
//! strings in `i18n/<lang>/risks.txt`.

use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use khien_domain::FieldError;
use khien_domain::risks::{Band, Gap, RiskInput, STATUSES, TREATMENTS, gaps};
use khien_domain::time_fmt::{display_date, format_date};
use khien_store::StoreError;
use khien_store::risks::{Risk, RiskQuery, may_record};
use khien_store::systems::{SystemFilter, SystemRef};

use crate::AppState;
use crate::auth::roles::{AnyRole, SystemEditor};
use crate::auth::{Access, Auth};
use crate::error::AppResult;
use crate::i18n::T;
use crate::routes::{Routes, Tenancy};
use crate::view::{Chrome, FormState, form_pairs, refusal_as_fields, render, render_refused};
use crate::work::{WorkGroup, WorkItem};

const LIST_MAX: i64 = 1_000;
const SYSTEMS_OFFERED: i64 = 500;
const RISK_FORM: &str = "risk";

pub(crate) fn page_routes() -> Routes {
    Routes::default()
        .get("/risks", AnyRole::NAMES, Tenancy::Unit, list)
        .get("/risks/new", SystemEditor::NAMES, Tenancy::Unit, new_page)
        .post("/risks", SystemEditor::NAMES, Tenancy::Unit, create)
        .get("/risks/{id}", AnyRole::NAMES, Tenancy::Unit, detail)
        .post("/risks/{id}", SystemEditor::NAMES, Tenancy::Unit, update)
}

fn gap_text(t: &T, g: Gap) -> String {
    match g {
        Gap::Untreated => t.s("risk.gap_untreated").to_string(),
        Gap::TreatmentLate(d) => t.f("risk.gap_late", &[&format_date(d)]),
    }
}

fn gaps_of(t: &T, today: time::Date, r: &Risk) -> Vec<String> {
    gaps(today, r.score, &r.status, r.due()).into_iter().map(|g| gap_text(t, g)).collect()
}

/// The CSS class and label key of a score's band.
fn band(score: i64) -> &'static str {
    Band::of(score).code()
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct ListQuery {
    /// `open` (default: open and being treated) or `all`.
    show: String,
    system_id: String,
}

/// A cell of the drawn matrix: impact, count, band.
type MatrixCell = (i64, i64, &'static str);

pub struct Row {
    pub r: Risk,
    pub gaps: Vec<String>,
}

#[derive(askama::Template)]
#[template(path = "risks/list.html")]
struct ListPage {
    c: Chrome,
    show: &'static str,
    system: Option<SystemRef>,
    matched: i64,
    rows: Vec<Row>,
    behind: usize,
    /// Unsettled risks by `[likelihood-1][impact-1]`.
    matrix: [[i64; 5]; 5],
    may_record: bool,
}

impl ListPage {
    fn band(&self, score: &i64) -> &'static str {
        band(*score)
    }
    /// The matrix's rows from likelihood 5 down to 1, each `(likelihood, [(impact,
    /// count, band)])`, as it is drawn.
    fn matrix_rows(&self) -> Vec<(i64, Vec<MatrixCell>)> {
        (1..=5i64)
            .rev()
            .map(|l| (l, (1..=5i64).map(|i| (i, self.matrix[usize::try_from(l - 1).unwrap_or(0)][usize::try_from(i - 1).unwrap_or(0)], band(l * i))).collect()))
            .collect()
    }
    fn show_href(&self, show: &str) -> String {
        match &self.system {
            Some(s) => format!("/risks?show={show}&system_id={}", s.id),
            None => format!("/risks?show={show}"),
        }
    }
}

pub async fn list(State(state): State<AppState>, auth: Auth<AnyRole>, c: Chrome, Query(q): Query<ListQuery>) -> AppResult<Html<String>> {
    let show = if q.show == "all" { "all" } else { "open" };
    let scoped = auth.scoped(&state);
    let system = match q.system_id.trim() {
        "" => None,
        id => {
            let s = scoped.system(id).await?;
            Some(SystemRef { id: s.id, name: s.fields.name })
        }
    };
    let query = RiskQuery { system_id: system.as_ref().map(|s| s.id.clone()), include_settled: show == "all" };
    let (matched, risks) = scoped.risks(&query, LIST_MAX).await?;
    let matrix = scoped.risk_matrix(query.system_id.as_deref()).await?;
    let today = state.store.today_vn();
    let rows: Vec<Row> = risks
        .into_iter()
        .map(|r| {
            let gaps = gaps_of(&c.t, today, &r);
            Row { r, gaps }
        })
        .collect();
    let behind = rows.iter().filter(|r| !r.gaps.is_empty()).count();
    render(&ListPage { c, show, system, matched, rows, behind, matrix, may_record: may_record(auth.principal.role) })
}

/// The risk form, on the new page and on a risk's page.
pub struct RiskForm {
    pub action: String,
    pub input: RiskInput,
    /// Where a new risk can be recorded (empty on a risk's page: it stays where it is).
    pub units: Vec<(String, String)>,
    pub unit_id: String,
    pub systems: Vec<SystemRef>,
}

impl RiskForm {
    fn statuses(&self) -> &'static [&'static str] {
        &STATUSES
    }
    fn treatments(&self) -> &'static [&'static str] {
        &TREATMENTS
    }
    fn ratings(&self) -> [&'static str; 5] {
        ["1", "2", "3", "4", "5"]
    }
    fn is_new(&self) -> bool {
        !self.units.is_empty()
    }
}

fn risk_input(body: &str) -> (RiskInput, String) {
    let input: RiskInput = serde_urlencoded::from_str(body).unwrap_or_default();
    let unit_id = form_pairs(body).into_iter().find(|(k, _)| k == "unit_id").map(|(_, v)| v).unwrap_or_default();
    (input, unit_id)
}

fn input_of(r: &Risk) -> RiskInput {
    RiskInput {
        system_id: r.system_id.clone().unwrap_or_default(),
        title: r.title.clone(),
        description: r.description.clone(),
        likelihood: r.likelihood.to_string(),
        impact: r.impact.to_string(),
        status: r.status.clone(),
        treatment: r.treatment.clone().unwrap_or_default(),
        treatment_plan: r.treatment_plan.clone().unwrap_or_default(),
        owner: r.owner.clone().unwrap_or_default(),
        due_on: r.due_on.as_deref().map(display_date).unwrap_or_default(),
        accepted_by: r.accepted_by.clone().unwrap_or_default(),
        version: r.version.to_string(),
    }
}

#[derive(askama::Template)]
#[template(path = "risks/new.html")]
struct NewPage {
    c: Chrome,
    form: RiskForm,
}

async fn new_view<A: Access>(state: &AppState, auth: &Auth<A>, mut c: Chrome, input: RiskInput, unit_id: String, errors: Vec<FieldError>) -> AppResult<NewPage> {
    let scoped = auth.scoped(state);
    let units = scoped.units(false).await?.into_iter().map(|u| (u.id, u.fields.name)).collect();
    let systems = scoped.systems(&SystemFilter::default(), Some(SYSTEMS_OFFERED)).await?.items.into_iter().map(|s| SystemRef { id: s.id, name: s.fields.name }).collect();
    let unit_id = if unit_id.is_empty() { auth.principal.unit_id.clone() } else { unit_id };
    c.form = FormState::refused(RISK_FORM, vec![], errors);
    Ok(NewPage { c, form: RiskForm { action: "/risks".into(), input, units, unit_id, systems } })
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct NewQuery {
    system_id: String,
}

pub async fn new_page(State(state): State<AppState>, auth: Auth<SystemEditor>, c: Chrome, Query(q): Query<NewQuery>) -> AppResult<Html<String>> {
    let input = RiskInput { system_id: q.system_id, likelihood: "3".into(), impact: "3".into(), status: "open".into(), ..Default::default() };
    render(&new_view(&state, &auth, c, input, String::new(), Vec::new()).await?)
}

pub async fn create(State(state): State<AppState>, auth: Auth<SystemEditor>, c: Chrome, body: String) -> AppResult<Response> {
    let (input, unit_id) = risk_input(&body);
    let result = match input.validate() {
        Err(inv) => Err(StoreError::Invalid(inv)),
        Ok(f) => auth.scoped(&state).create_risk(&unit_id, &f).await,
    };
    match result {
        Ok(id) => Ok(Redirect::to(&format!("/risks/{id}")).into_response()),
        Err(e @ (StoreError::NotFound | StoreError::Forbidden)) => Err(e.into()),
        Err(e) => {
            let errors = refusal_as_fields(e, &[])?;
            render_refused(&new_view(&state, &auth, c, input, unit_id, errors).await?)
        }
    }
}

#[derive(askama::Template)]
#[template(path = "risks/detail.html")]
struct DetailPage {
    c: Chrome,
    r: Risk,
    gaps: Vec<String>,
    form: Option<RiskForm>,
}

impl DetailPage {
    fn band(&self) -> &'static str {
        band(self.r.score)
    }
}

async fn detail_view<A: Access>(state: &AppState, auth: &Auth<A>, mut c: Chrome, id: &str, refused: Option<(RiskInput, Vec<FieldError>)>) -> AppResult<DetailPage> {
    let r = auth.scoped(state).risk(id).await?;
    let gaps = gaps_of(&c.t, state.store.today_vn(), &r);
    let input = match refused {
        Some((input, errors)) => {
            c.form = FormState::refused(RISK_FORM, vec![], errors);
            input
        }
        None => input_of(&r),
    };
    let form = may_record(auth.principal.role).then(|| RiskForm { action: format!("/risks/{}", r.id), input, units: Vec::new(), unit_id: r.unit_id.clone(), systems: Vec::new() });
    Ok(DetailPage { c, r, gaps, form })
}

pub async fn detail(State(state): State<AppState>, auth: Auth<AnyRole>, c: Chrome, Path(id): Path<String>) -> AppResult<Html<String>> {
    render(&detail_view(&state, &auth, c, &id, None).await?)
}

pub async fn update(State(state): State<AppState>, auth: Auth<SystemEditor>, c: Chrome, Path(id): Path<String>, body: String) -> AppResult<Response> {
    let (input, _) = risk_input(&body);
    let result = match input.validate() {
        Err(inv) => Err(StoreError::Invalid(inv)),
        Ok(f) => auth.scoped(&state).update_risk(&id, &f).await,
    };
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/risks/{id}")).into_response()),
        Err(e @ (StoreError::NotFound | StoreError::Forbidden)) => Err(e.into()),
        Err(e) => {
            let errors = refusal_as_fields(e, &[])?;
            render_refused(&detail_view(&state, &auth, c, &id, Some((input, errors))).await?)
        }
    }
}

/// The system page's line: its unsettled risks and how many are behind.
pub(crate) async fn summary_of(state: &AppState, scoped: &khien_store::Scoped<'_>, t: &T, system_id: &str) -> AppResult<Option<(String, bool)>> {
    let (n, risks) = scoped.risks(&RiskQuery { system_id: Some(system_id.to_string()), include_settled: false }, LIST_MAX).await?;
    if n == 0 {
        return Ok(None);
    }
    let today = state.store.today_vn();
    let behind = risks.iter().filter(|r| !gaps(today, r.score, &r.status, r.due()).is_empty()).count();
    let text = if behind == 0 { t.f("risk.summary", &[&n.to_string()]) } else { t.f("risk.summary_behind", &[&n.to_string(), &behind.to_string()]) };
    Ok(Some((text, behind > 0)))
}

/// Risks behind, for those who record them.
pub(crate) async fn work(state: &AppState, auth: &Auth<AnyRole>, t: &T, limit: usize) -> AppResult<Vec<WorkGroup>> {
    if !may_record(auth.principal.role) {
        return Ok(Vec::new());
    }
    let today = state.store.today_vn();
    let (n, risks) = auth.scoped(state).risks(&RiskQuery::default(), LIST_MAX).await?;
    let mut g = WorkGroup::new("risk.work_behind", Some("/risks".into()));
    g.note = Some("risk.work_note");
    for r in risks {
        let why = gaps_of(t, today, &r);
        if why.is_empty() {
            continue;
        }
        let title = match &r.system_name {
            Some(s) => format!("{} — {s}", r.title),
            None => r.title.clone(),
        };
        g.offer(WorkItem { title, href: format!("/risks/{}", r.id), detail: why.join(" · "), unit: r.unit_name, ..Default::default() }, limit);
    }
    // Only the LIST_MAX highest-scored risks were read: beyond them the count is a lower bound.
    g.total_capped = n > LIST_MAX;
    Ok(vec![g])
}
