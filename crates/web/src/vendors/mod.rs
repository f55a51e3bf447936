//! Third parties and the ICT supply chain (issue 12 item 4; Directive 18/CT-TTg 2022):
//! the register of parties that build, run, host or protect a unit's systems
//! (`/vendors`, with those behind), each party's page with its contract's security
//! clauses, its systems and its reviews, a line on the system page and the parties
//! behind in the work queue. The clauses and the review period are data
//! (data/regimes/vendors.toml, `vendors_file`).
//!
//! Its routes are registered here, its templates live in `templates/vendors/` and its
//! strings in `i18n/<lang>/vendors.txt`.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use khien_domain::FieldError;
use khien_domain::time_fmt::{display_date, format_date};
use khien_domain::vendors::{Gap, OUTCOMES, Policy, ReviewInput, SERVICES, VendorInput};
use khien_store::StoreError;
use khien_store::systems::{SystemFilter, SystemRef};
use khien_store::vendors::{Vendor, VendorQuery, VendorReview, may_record};

use crate::AppState;
use crate::auth::roles::{AnyRole, SystemEditor};
use crate::auth::{Access, Auth};
use crate::error::{AppError, AppResult};
use crate::i18n::T;
use crate::routes::{Routes, Tenancy};
use crate::view::{Chrome, FormState, form_pairs, refusal_as_fields, render, render_refused};
use crate::work::{WorkGroup, WorkItem};

const LIST_MAX: i64 = 1_000;
/// Systems offered on the form: the party's unit's, at most this many.
const SYSTEMS_OFFERED: i64 = 500;
const VENDOR_FORM: &str = "vendor";
const REVIEW_FORM: &str = "vendor-review";

pub(crate) fn page_routes() -> Routes {
    Routes::default()
        .get("/vendors", AnyRole::NAMES, Tenancy::Unit, list)
        .get("/vendors/new", SystemEditor::NAMES, Tenancy::Unit, new_page)
        .post("/vendors", SystemEditor::NAMES, Tenancy::Unit, create)
        .get("/vendors/{id}", AnyRole::NAMES, Tenancy::Unit, detail)
        .post("/vendors/{id}", SystemEditor::NAMES, Tenancy::Unit, update)
        .post("/vendors/{id}/reviews", SystemEditor::NAMES, Tenancy::Unit, add_review)
}

fn policy(state: &AppState) -> AppResult<Arc<Policy>> {
    state.config.vendor_policy.clone().ok_or(AppError::Missing("vendor.err_policy"))
}

/// What is behind, as people read it.
fn gap_text(t: &T, g: Gap) -> String {
    match g {
        Gap::MissingClauses(n) => t.f("vendor.gap_clauses", &[&n.to_string()]),
        Gap::NeverReviewed => t.s("vendor.gap_never").to_string(),
        Gap::ReviewTooOld(d) => t.f("vendor.gap_old", &[&format_date(d)]),
        Gap::LastReviewUnsatisfactory => t.s("vendor.gap_unsatisfactory").to_string(),
        Gap::ContractEnded(d) => t.f("vendor.gap_ended", &[&format_date(d)]),
    }
}

fn gaps_in_words(t: &T, policy: &Policy, today: time::Date, v: &Vendor) -> Vec<String> {
    policy.gaps(today, &v.standing()).into_iter().map(|g| gap_text(t, g)).collect()
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct ListQuery {
    /// `all` (default) or `behind`.
    show: String,
    /// Only the parties serving this system.
    system_id: String,
}

/// A party as the register shows it: with its gaps in words.
pub struct Row {
    pub v: Vendor,
    pub gaps: Vec<String>,
}

#[derive(askama::Template)]
#[template(path = "vendors/list.html")]
struct ListPage {
    c: Chrome,
    policy: Arc<Policy>,
    show: &'static str,
    /// The system the list is narrowed to, and its name.
    system: Option<SystemRef>,
    matched: i64,
    rows: Vec<Row>,
    behind: usize,
    may_record: bool,
}

impl ListPage {
    fn required_clauses(&self) -> usize {
        self.policy.clauses.iter().filter(|c| c.required).count()
    }
    fn present_required(&self, v: &Vendor) -> usize {
        self.required_clauses() - self.policy.missing_clauses(&v.clauses).len()
    }
    /// The list's address with `show` changed, keeping the system.
    fn show_href(&self, show: &str) -> String {
        match &self.system {
            Some(s) => format!("/vendors?show={show}&system_id={}", s.id),
            None => format!("/vendors?show={show}"),
        }
    }
}

pub async fn list(State(state): State<AppState>, auth: Auth<AnyRole>, c: Chrome, Query(q): Query<ListQuery>) -> AppResult<Html<String>> {
    let policy = policy(&state)?;
    let show = if q.show == "behind" { "behind" } else { "all" };
    let scoped = auth.scoped(&state);
    let system = match q.system_id.trim() {
        "" => None,
        id => {
            let s = scoped.system(id).await?;
            Some(SystemRef { id: s.id, name: s.fields.name })
        }
    };
    let today = state.store.today_vn();
    let (matched, vendors) = scoped.vendors(&VendorQuery { system_id: system.as_ref().map(|s| s.id.clone()) }, LIST_MAX).await?;
    let rows: Vec<Row> = vendors
        .into_iter()
        .map(|v| {
            let gaps = gaps_in_words(&c.t, &policy, today, &v);
            Row { v, gaps }
        })
        .collect();
    let behind = rows.iter().filter(|r| !r.gaps.is_empty()).count();
    let rows = if show == "behind" { rows.into_iter().filter(|r| !r.gaps.is_empty()).collect() } else { rows };
    render(&ListPage { c, policy, show, system, matched, rows, behind, may_record: may_record(auth.principal.role) })
}

/// The party form, on the new page and on a party's own page.
pub struct VendorForm {
    pub action: String,
    pub input: VendorInput,
    pub policy: Arc<Policy>,
    /// Units a new party can belong to (empty on a party's page: it stays its unit's).
    pub units: Vec<(String, String)>,
    pub unit_id: String,
    pub systems: Vec<SystemRef>,
}

impl VendorForm {
    fn services(&self) -> &'static [&'static str] {
        &SERVICES
    }
    fn ticked(&self, clause: &str) -> bool {
        self.input.clauses.iter().any(|c| c == clause)
    }
    fn serves(&self, system_id: &str) -> bool {
        self.input.systems.iter().any(|s| s == system_id)
    }
}

/// The form as sent: its single fields, the ticked clauses and systems (`serves`), the unit.
fn vendor_input(body: &str) -> (VendorInput, String) {
    let mut input: VendorInput = serde_urlencoded::from_str(body).unwrap_or_default();
    let mut unit_id = String::new();
    for (k, v) in form_pairs(body) {
        match k.as_str() {
            "clauses" => input.clauses.push(v),
            "serves" => input.systems.push(v),
            "unit_id" => unit_id = v,
            _ => {}
        }
    }
    (input, unit_id)
}

/// The form's fields as a party has them, for its page.
fn input_of(v: &Vendor) -> VendorInput {
    VendorInput {
        name: v.name.clone(),
        tax_code: v.tax_code.clone().unwrap_or_default(),
        service: v.service.clone(),
        contact: v.contact.clone().unwrap_or_default(),
        contract_no: v.contract_no.clone().unwrap_or_default(),
        contract_from: v.contract_from.as_deref().map(display_date).unwrap_or_default(),
        contract_to: v.contract_to.as_deref().map(display_date).unwrap_or_default(),
        note: v.note.clone().unwrap_or_default(),
        version: v.version.to_string(),
        clauses: v.clauses.clone(),
        systems: v.systems.iter().map(|s| s.id.clone()).collect(),
    }
}

/// The systems offered to tie: the unit's (with its sub-units), and those already tied.
async fn offered_systems<A: Access>(state: &AppState, auth: &Auth<A>, unit_id: &str, tied: &[SystemRef]) -> AppResult<Vec<SystemRef>> {
    let filter = SystemFilter { unit_id: unit_id.to_string(), ..Default::default() };
    let mut out: Vec<SystemRef> = auth.scoped(state).systems(&filter, Some(SYSTEMS_OFFERED)).await?.items.into_iter().filter(|s| s.fields.status != khien_domain::systems::SystemStatus::Retired).map(|s| SystemRef { id: s.id, name: s.fields.name }).collect();
    for t in tied {
        if !out.iter().any(|s| s.id == t.id) {
            out.push(t.clone());
        }
    }
    Ok(out)
}

#[derive(askama::Template)]
#[template(path = "vendors/new.html")]
struct NewPage {
    c: Chrome,
    form: VendorForm,
}

async fn new_view<A: Access>(state: &AppState, auth: &Auth<A>, mut c: Chrome, input: VendorInput, unit_id: String, errors: Vec<FieldError>) -> AppResult<NewPage> {
    let policy = policy(state)?;
    let scoped = auth.scoped(state);
    let units = scoped.units(false).await?.into_iter().map(|u| (u.id, u.fields.name)).collect();
    let unit_id = if unit_id.is_empty() { auth.principal.unit_id.clone() } else { unit_id };
    let systems = offered_systems(state, auth, &unit_id, &[]).await?;
    c.form = FormState::refused(VENDOR_FORM, vec![], errors);
    Ok(NewPage { c, form: VendorForm { action: "/vendors".into(), input, policy, units, unit_id, systems } })
}

pub async fn new_page(State(state): State<AppState>, auth: Auth<SystemEditor>, c: Chrome) -> AppResult<Html<String>> {
    let input = VendorInput { service: "operation".into(), ..Default::default() };
    render(&new_view(&state, &auth, c, input, String::new(), Vec::new()).await?)
}

pub async fn create(State(state): State<AppState>, auth: Auth<SystemEditor>, c: Chrome, body: String) -> AppResult<Response> {
    let policy = policy(&state)?;
    let (input, unit_id) = vendor_input(&body);
    let result = match input.validate(&policy) {
        Err(inv) => Err(StoreError::Invalid(inv)),
        Ok(f) => auth.scoped(&state).create_vendor(&unit_id, &f).await,
    };
    match result {
        Ok(id) => Ok(Redirect::to(&format!("/vendors/{id}")).into_response()),
        Err(e @ (StoreError::NotFound | StoreError::Forbidden)) => Err(e.into()),
        Err(e) => {
            let errors = refusal_as_fields(e, &[])?;
            render_refused(&new_view(&state, &auth, c, input, unit_id, errors).await?)
        }
    }
}

#[derive(askama::Template)]
#[template(path = "vendors/detail.html")]
struct DetailPage {
    c: Chrome,
    policy: Arc<Policy>,
    v: Vendor,
    gaps: Vec<String>,
    reviews: Vec<VendorReview>,
    review: ReviewInput,
    /// The edit form, for those who record.
    form: Option<VendorForm>,
}

impl DetailPage {
    fn outcomes(&self) -> &'static [&'static str] {
        &OUTCOMES
    }
    fn has_clause(&self, key: &str) -> bool {
        self.v.clauses.iter().any(|c| c == key)
    }
}

/// A party's page; `refused` keeps what was typed in one of its two forms.
async fn detail_view<A: Access>(state: &AppState, auth: &Auth<A>, mut c: Chrome, id: &str, refused: Option<(&str, VendorInput, ReviewInput, Vec<FieldError>)>) -> AppResult<DetailPage> {
    let policy = policy(state)?;
    let scoped = auth.scoped(state);
    let v = scoped.vendor(id).await?;
    let reviews = scoped.vendor_reviews(&v.id).await?;
    let gaps = gaps_in_words(&c.t, &policy, state.store.today_vn(), &v);
    let today = format_date(state.store.today_vn());
    let (input, review) = match refused {
        Some((form, input, review, errors)) => {
            c.form = FormState::refused(form, vec![], errors);
            (if form == VENDOR_FORM { input } else { input_of(&v) }, review)
        }
        None => (input_of(&v), ReviewInput { reviewed_on: today, outcome: "satisfactory".into(), ..Default::default() }),
    };
    let form = if may_record(auth.principal.role) {
        let systems = offered_systems(state, auth, &v.unit_id, &v.systems).await?;
        Some(VendorForm { action: format!("/vendors/{}", v.id), input, policy: policy.clone(), units: Vec::new(), unit_id: v.unit_id.clone(), systems })
    } else {
        None
    };
    Ok(DetailPage { c, policy, v, gaps, reviews, review, form })
}

pub async fn detail(State(state): State<AppState>, auth: Auth<AnyRole>, c: Chrome, Path(id): Path<String>) -> AppResult<Html<String>> {
    render(&detail_view(&state, &auth, c, &id, None).await?)
}

/// After a write on a party's page: done, back to `anchor`; refused, the page again
/// with the form kept and its messages.
async fn after_write(state: &AppState, auth: &Auth<SystemEditor>, c: Chrome, id: &str, (form, anchor): (&str, &str), kept: (VendorInput, ReviewInput), result: Result<(), StoreError>) -> AppResult<Response> {
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/vendors/{id}#{anchor}")).into_response()),
        Err(e @ (StoreError::NotFound | StoreError::Forbidden)) => Err(e.into()),
        Err(e) => {
            let errors = refusal_as_fields(e, &[])?;
            render_refused(&detail_view(state, auth, c, id, Some((form, kept.0, kept.1, errors))).await?)
        }
    }
}

pub async fn update(State(state): State<AppState>, auth: Auth<SystemEditor>, c: Chrome, Path(id): Path<String>, body: String) -> AppResult<Response> {
    let policy = policy(&state)?;
    let (input, _) = vendor_input(&body);
    let result = match input.validate(&policy) {
        Err(inv) => Err(StoreError::Invalid(inv)),
        Ok(f) => auth.scoped(&state).update_vendor(&id, &f).await,
    };
    after_write(&state, &auth, c, &id, (VENDOR_FORM, "vendor-edit"), (input, ReviewInput::default()), result).await
}

pub async fn add_review(State(state): State<AppState>, auth: Auth<SystemEditor>, c: Chrome, Path(id): Path<String>, body: String) -> AppResult<Response> {
    let input: ReviewInput = serde_urlencoded::from_str(&body).unwrap_or_default();
    let result = match input.validate(state.store.today_vn()) {
        Err(inv) => Err(StoreError::Invalid(inv)),
        Ok(f) => auth.scoped(&state).record_vendor_review(&id, &f).await.map(|_| ()),
    };
    after_write(&state, &auth, c, &id, (REVIEW_FORM, "vendor-reviews"), (VendorInput::default(), input), result).await
}

/// The system page's line: how many parties serve it and how many are behind.
pub(crate) async fn summary_of(state: &AppState, scoped: &khien_store::Scoped<'_>, t: &T, system_id: &str) -> AppResult<Option<(String, bool)>> {
    let Some(policy) = state.config.vendor_policy.as_ref() else {
        return Ok(None);
    };
    let (n, vendors) = scoped.vendors(&VendorQuery { system_id: Some(system_id.to_string()) }, LIST_MAX).await?;
    if n == 0 {
        return Ok(None);
    }
    let today = state.store.today_vn();
    let behind = vendors.iter().filter(|v| !policy.gaps(today, &v.standing()).is_empty()).count();
    let text = if behind == 0 { t.f("vendor.summary_ok", &[&n.to_string()]) } else { t.f("vendor.summary_behind", &[&n.to_string(), &behind.to_string()]) };
    Ok(Some((text, behind > 0)))
}

/// Parties behind, for those who record them.
pub(crate) async fn work(state: &AppState, auth: &Auth<AnyRole>, t: &T, limit: usize) -> AppResult<Vec<WorkGroup>> {
    let (true, Some(policy)) = (may_record(auth.principal.role), state.config.vendor_policy.clone()) else {
        return Ok(Vec::new());
    };
    let today = state.store.today_vn();
    let (n, vendors) = auth.scoped(state).vendors(&VendorQuery::default(), LIST_MAX).await?;
    let mut g = WorkGroup::new("vendor.work_behind", Some("/vendors?show=behind".into()));
    g.note = Some("vendor.work_note");
    for v in vendors {
        let gaps = gaps_in_words(t, &policy, today, &v);
        if !gaps.is_empty() {
            g.offer(WorkItem { title: v.name, href: format!("/vendors/{}", v.id), detail: gaps.join(" · "), unit: v.unit_name, ..Default::default() }, limit);
        }
    }
    // Only the first LIST_MAX parties were read: beyond them the count is a lower bound.
    g.total_capped = n > LIST_MAX;
    Ok(vec![g])
}
