//! Incident response plans and scenarios (issue 11 item 6): a plan per system and the
//! provincial plan, written on the outline the law asks for (Decision 05 Appendix II
//! for levels 4–5 and the province, Circular 20 Appendix III for the others), its
//! scenarios per incident type, its approval recorded from the signed decision, a
//! review date, and flags when the review nears or passes or the system changed after
//! the approval. The plan downloads as DOCX (and PDF).
//!
//! Its routes are registered here, its templates live in `templates/response_plans/`
//! and its strings in `i18n/<lang>/response_plans.txt`.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use khien_domain::FieldError;
use khien_domain::incidents::IncidentType;
use khien_domain::response_plans::{ApprovalInput, DraftInput, NewPlanInput, Outline, Outlines, PROVINCE_SUBJECT, PlanFlag, PlanSubject, ScenarioInput, may_approve, may_draft, types_without_scenario};
use khien_domain::time_fmt::{display_date, format_date};
use khien_store::StoreError;
use khien_store::response_plans::{PlanDetail, PlanVersion, ResponsePlan, Scenario};

use crate::AppState;
use crate::auth::roles::{AnyRole, HuntRunner, PlanApprover};
use crate::auth::{Access, Auth};
use crate::error::{AppError, AppResult};
use crate::i18n::T;
use crate::routes::{Routes, Tenancy};
use crate::view::{Chrome, FormState, form_pairs, refusal_as_fields, render, render_refused};
use crate::work::{WorkGroup, WorkItem};

pub(crate) fn page_routes() -> Routes {
    let any = AnyRole::NAMES;
    // Who drafts (`may_draft` decides per plan): those who maintain systems, and the
    // response team for the provincial plan.
    let drafters = HuntRunner::NAMES;
    Routes::default()
        .get("/response-plans", any, Tenancy::Unit, list)
        .get("/response-plans/new", drafters, Tenancy::Unit, new_form)
        .post("/response-plans", drafters, Tenancy::Unit, create)
        .get("/response-plans/{id}", any, Tenancy::Unit, detail)
        .post("/response-plans/{id}/draft", drafters, Tenancy::Unit, save_draft)
        .post("/response-plans/{id}/scenarios", drafters, Tenancy::Unit, add_scenario)
        .post("/response-plans/{id}/scenarios/{sid}/delete", drafters, Tenancy::Unit, remove_scenario)
        .post("/response-plans/{id}/approve", PlanApprover::NAMES, Tenancy::Unit, approve)
        .post("/response-plans/{id}/revise", drafters, Tenancy::Unit, revise)
        .get("/response-plans/{id}/plan.docx", any, Tenancy::Unit, plan_docx)
}

fn outlines(state: &AppState) -> AppResult<Arc<Outlines>> {
    state.config.response_plan_outlines.clone().ok_or(AppError::Missing("rplan.err_outlines"))
}

/// A flag as the viewer reads it: its message, with its date where it has one.
fn flag_text(t: &T, f: PlanFlag) -> String {
    match f.date() {
        Some(d) => format!("{} ({})", t.s(f.key()), format_date(d)),
        None => t.s(f.key()).to_string(),
    }
}

/// One plan's row: the plan and what needs attention.
pub struct PlanRow {
    pub plan: ResponsePlan,
    pub flags: Vec<String>,
    pub late: bool,
}

#[derive(askama::Template)]
#[template(path = "response_plans/list.html")]
struct ListPage {
    c: Chrome,
    rows: Vec<PlanRow>,
    /// Operating systems without a plan: how many, and the first ones.
    missing_total: i64,
    missing_text: String,
    missing: Vec<(String, String, String)>,
    may_draft_systems: bool,
    may_draft_province: bool,
    has_province_plan: bool,
    outlines: Arc<Outlines>,
}

impl ListPage {
    fn outline_name(&self, id: &str) -> String {
        self.outlines.get(id).map(|o| o.name.clone()).unwrap_or_else(|| id.to_string())
    }
}

pub async fn list(State(state): State<AppState>, auth: Auth<AnyRole>, c: Chrome) -> AppResult<Html<String>> {
    let outlines = outlines(&state)?;
    let scoped = auth.scoped(&state);
    let today = state.store.today_vn();
    let plans = scoped.response_plans(5_000).await?;
    let has_province_plan = plans.iter().any(|p| p.is_province());
    let rows = plans
        .into_iter()
        .map(|plan| {
            let flags = plan.flags(&outlines, today);
            PlanRow { late: flags.iter().any(|f| f.is_late()), flags: flags.into_iter().map(|f| flag_text(&c.t, f)).collect(), plan }
        })
        .collect();
    let (missing_total, missing) = scoped.systems_without_response_plan(50).await?;
    let role = auth.principal.role;
    let missing_text = c.t.f("rplan.missing_count", &[&crate::view::thousands(missing_total)]);
    render(&ListPage { rows, missing_total, missing_text, missing, may_draft_systems: may_draft(role, false), may_draft_province: may_draft(role, true), has_province_plan, outlines, c })
}

#[derive(askama::Template)]
#[template(path = "response_plans/new.html")]
struct NewPage {
    c: Chrome,
    input: NewPlanInput,
    /// (subject, name) the viewer may start a plan for: systems without one, and the
    /// province when it has none and the viewer may draft it.
    subjects: Vec<(String, String)>,
}

async fn new_page<A: Access>(state: &AppState, auth: &Auth<A>, mut c: Chrome, input: NewPlanInput, errors: Vec<FieldError>) -> AppResult<NewPage> {
    c.form = FormState::refused("rplan_new", vec![], errors);
    let scoped = auth.scoped(state);
    let mut subjects = Vec::new();
    let role = auth.principal.role;
    if may_draft(role, true) && !scoped.response_plans(5_000).await?.iter().any(|p| p.is_province()) {
        subjects.push((PROVINCE_SUBJECT.to_string(), c.t.s("rplan.province_subject").to_string()));
    }
    if may_draft(role, false) {
        let (_, systems) = scoped.systems_without_response_plan(500).await?;
        subjects.extend(systems.into_iter().map(|(id, name, unit)| (id, format!("{name} — {unit}"))));
    }
    Ok(NewPage { c, input, subjects })
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct NewQuery {
    subject: String,
}

pub async fn new_form(State(state): State<AppState>, auth: Auth<HuntRunner>, c: Chrome, Query(q): Query<NewQuery>) -> AppResult<Html<String>> {
    let title = if q.subject == PROVINCE_SUBJECT { c.t.s("rplan.province_title").to_string() } else { String::new() };
    render(&new_page(&state, &auth, c, NewPlanInput { subject: q.subject, title }, Vec::new()).await?)
}

pub async fn create(State(state): State<AppState>, auth: Auth<HuntRunner>, c: Chrome, body: String) -> AppResult<Response> {
    let input: NewPlanInput = serde_urlencoded::from_str(&body).unwrap_or_default();
    let outlines = outlines(&state)?;
    let result = match input.validate() {
        Err(inv) => Err(StoreError::Invalid(inv)),
        Ok((subject, title)) => auth.scoped(&state).create_response_plan(&outlines, &subject, &title).await,
    };
    match result {
        Ok(id) => Ok(Redirect::to(&format!("/response-plans/{id}")).into_response()),
        Err(e @ (StoreError::NotFound | StoreError::Forbidden)) => Err(e.into()),
        Err(e) => {
            let errors = refusal_as_fields(e, &[("rplan.err_exists", "subject")])?;
            render_refused(&new_page(&state, &auth, c, input, errors).await?)
        }
    }
}

#[derive(askama::Template)]
#[template(path = "response_plans/detail.html")]
struct DetailPage {
    c: Chrome,
    d: PlanDetail,
    outline: Outline,
    flags: Vec<String>,
    late: bool,
    may_draft: bool,
    may_approve: bool,
    /// The provincial plan's approver, fixed by its outline.
    fixed_approver: Option<String>,
    uncovered: Vec<&'static str>,
}

impl DetailPage {
    fn types(&self) -> Vec<&'static str> {
        IncidentType::ALL.iter().map(|t| t.as_str()).collect()
    }
    fn shown(&self) -> Option<&(PlanVersion, Vec<Scenario>)> {
        self.d.current()
    }
    fn editing(&self) -> bool {
        self.may_draft && self.d.draft().is_some()
    }
    fn section_text(&self, id: &str) -> String {
        self.shown().and_then(|(v, _)| v.sections.get(id).cloned()).unwrap_or_default()
    }
    fn review_input(&self) -> String {
        self.shown().and_then(|(v, _)| v.review_on.as_deref().map(display_date)).unwrap_or_default()
    }
    fn may_revise(&self) -> bool {
        self.may_draft && self.d.draft().is_none() && self.d.approved().is_some()
    }
    fn subject_href(&self) -> Option<String> {
        self.d.plan.system_id.as_ref().map(|s| format!("/systems/{s}"))
    }
}

async fn detail_page<A: Access>(state: &AppState, auth: &Auth<A>, mut c: Chrome, id: &str, refused: Option<FormState>) -> AppResult<DetailPage> {
    let outlines = outlines(state)?;
    let d = auth.scoped(state).response_plan(id).await?;
    if let Some(f) = refused {
        c.form = f;
    }
    let outline = outlines.get(&d.plan.outline).cloned().ok_or_else(|| AppError::from(StoreError::Corrupt("response plan outline", d.plan.outline.clone())))?;
    let flags = d.plan.flags(&outlines, state.store.today_vn());
    let province = d.plan.is_province();
    let covered: Vec<IncidentType> = d.current().map(|(_, s)| s.iter().filter_map(|s| IncidentType::parse(&s.incident_type)).collect()).unwrap_or_default();
    let role = auth.principal.role;
    Ok(DetailPage {
        late: flags.iter().any(|f| f.is_late()),
        flags: flags.into_iter().map(|f| flag_text(&c.t, f)).collect(),
        may_draft: may_draft(role, province),
        may_approve: may_approve(role, province),
        fixed_approver: if province { outlines.for_subject(PlanSubject::Province).province_approver.clone() } else { None },
        uncovered: types_without_scenario(&covered).into_iter().map(|t| t.as_str()).collect(),
        outline,
        d,
        c,
    })
}

pub async fn detail(State(state): State<AppState>, auth: Auth<AnyRole>, c: Chrome, Path(id): Path<String>) -> AppResult<Html<String>> {
    render(&detail_page(&state, &auth, c, &id, None).await?)
}

/// One of the forms on a plan's page: its name (which form a refusal re-opens) and the
/// anchor a successful write returns to.
#[derive(Clone, Copy)]
struct PlanForm {
    name: &'static str,
    anchor: &'static str,
}

const DRAFT_FORM: PlanForm = PlanForm { name: "draft", anchor: "#draft" };
const SCENARIO_FORM: PlanForm = PlanForm { name: "scenario", anchor: "#scenarios" };
const APPROVE_FORM: PlanForm = PlanForm { name: "approve", anchor: "" };
const REVISE_FORM: PlanForm = PlanForm { name: "revise", anchor: "#draft" };

/// A write on the plan's page: done, back to the form's anchor; refused, the page again
/// with the form kept and its messages.
async fn after_write<A: Access>(state: &AppState, auth: &Auth<A>, c: Chrome, id: &str, form: PlanForm, values: Vec<(String, String)>, result: Result<(), StoreError>) -> AppResult<Response> {
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/response-plans/{id}{}", form.anchor)).into_response()),
        Err(e @ (StoreError::NotFound | StoreError::Forbidden)) => Err(e.into()),
        Err(e) => {
            let errors = refusal_as_fields(e, &[])?;
            render_refused(&detail_page(state, auth, c, id, Some(FormState::refused(form.name, values, errors))).await?)
        }
    }
}

fn draft_input(values: &[(String, String)]) -> DraftInput {
    let mut input = DraftInput::default();
    for (k, v) in values {
        match k.as_str() {
            "priorities" => input.priorities = v.clone(),
            "contacts" => input.contacts = v.clone(),
            "review_on" => input.review_on = v.clone(),
            other => {
                if let Some(section) = other.strip_prefix("section.") {
                    input.sections.insert(section.to_string(), v.clone());
                }
            }
        }
    }
    input
}

pub async fn save_draft(State(state): State<AppState>, auth: Auth<HuntRunner>, c: Chrome, Path(id): Path<String>, body: String) -> AppResult<Response> {
    let values = form_pairs(&body);
    let outlines = outlines(&state)?;
    let scoped = auth.scoped(&state);
    let result = async {
        let d = scoped.response_plan(&id).await?;
        let outline = outlines.get(&d.plan.outline).ok_or(StoreError::NotFound)?;
        let fields = draft_input(&values).validate(outline)?;
        scoped.save_response_draft(&id, &fields).await
    }
    .await;
    after_write(&state, &auth, c, &id, DRAFT_FORM, values, result).await
}

pub async fn add_scenario(State(state): State<AppState>, auth: Auth<HuntRunner>, c: Chrome, Path(id): Path<String>, body: String) -> AppResult<Response> {
    let values = form_pairs(&body);
    let input: ScenarioInput = serde_urlencoded::from_str(&body).unwrap_or_default();
    let result = match input.validate() {
        Err(inv) => Err(StoreError::Invalid(inv)),
        Ok((kind, title, situation, handling)) => auth.scoped(&state).add_response_scenario(&id, kind, &title, &situation, &handling).await,
    };
    after_write(&state, &auth, c, &id, SCENARIO_FORM, values, result).await
}

pub async fn remove_scenario(State(state): State<AppState>, auth: Auth<HuntRunner>, c: Chrome, Path((id, sid)): Path<(String, String)>) -> AppResult<Response> {
    let result = auth.scoped(&state).remove_response_scenario(&id, &sid).await;
    after_write(&state, &auth, c, &id, SCENARIO_FORM, vec![], result).await
}

pub async fn approve(State(state): State<AppState>, auth: Auth<PlanApprover>, c: Chrome, Path(id): Path<String>, body: String) -> AppResult<Response> {
    let values = form_pairs(&body);
    let input: ApprovalInput = serde_urlencoded::from_str(&body).unwrap_or_default();
    let outlines = outlines(&state)?;
    let scoped = auth.scoped(&state);
    let today = state.store.today_vn();
    let result = async {
        let d = scoped.response_plan(&id).await?;
        let fixed = if d.plan.is_province() { outlines.for_subject(PlanSubject::Province).province_approver.clone() } else { None };
        let fields = input.validate(today, fixed.as_deref())?;
        scoped.approve_response_plan(&outlines, &id, &fields, today).await.map(|_| ())
    }
    .await;
    after_write(&state, &auth, c, &id, APPROVE_FORM, values, result).await
}

pub async fn revise(State(state): State<AppState>, auth: Auth<HuntRunner>, c: Chrome, Path(id): Path<String>) -> AppResult<Response> {
    let outlines = outlines(&state)?;
    let result = auth.scoped(&state).revise_response_plan(&outlines, &id).await.map(|_| ());
    after_write(&state, &auth, c, &id, REVISE_FORM, vec![], result).await
}

pub async fn plan_docx(State(state): State<AppState>, auth: Auth<AnyRole>, as_pdf: crate::reports::pages::AsPdf, Path(id): Path<String>) -> AppResult<Response> {
    let outlines = outlines(&state)?;
    let d = auth.scoped(&state).response_plan(&id).await?;
    let (v, scenarios) = d.current().cloned().ok_or(StoreError::NotFound)?;
    let outline = outlines.get(&d.plan.outline).ok_or(StoreError::NotFound)?;
    let vi = T { lang: crate::i18n::Lang::Vi };
    let mut issued = crate::reports::pages::issued_by(&state, &d.plan.unit_id, vec!["Lưu: VT.".into()]).await?;
    issued.header.number = Some(format!("       /PA-{}", issued.unit.fields.code.to_uppercase()));
    let subject = match (&d.plan.system_name, d.plan.level) {
        (Some(name), Some(level)) => format!("Hệ thống thông tin {name} (cấp độ {level})"),
        (Some(name), None) => format!("Hệ thống thông tin {name} (chưa được phê duyệt cấp độ)"),
        (None, _) => "Phạm vi toàn tỉnh (kế hoạch ứng phó sự cố của tỉnh, Điều 16 Quyết định số 05/2017/QĐ-TTg)".to_string(),
    };
    let draft = v.is_draft();
    let status = if draft {
        format!("Phiên bản {} — dự thảo, chưa được phê duyệt", v.version)
    } else {
        format!(
            "Phiên bản {}, phê duyệt theo Quyết định số {} ngày {} ({})",
            v.version,
            v.decision_no.clone().unwrap_or_default(),
            v.decision_date.as_deref().map(display_date).unwrap_or_default(),
            v.approver.clone().unwrap_or_default()
        )
    };
    let doc = khien_docs::response_plan::ResponsePlanDoc {
        header: issued.header,
        title: d.plan.title.clone(),
        subject,
        outline: format!("{} ({})", outline.name, outline.basis),
        status,
        draft,
        review_on: v.review_on.as_deref().map(display_date).unwrap_or_default(),
        sections: outline.sections.iter().map(|s| (s.title.clone(), v.sections.get(&s.id).cloned().unwrap_or_default())).collect(),
        priorities: v.priorities.clone(),
        scenarios: scenarios
            .into_iter()
            .map(|s| khien_docs::response_plan::ScenarioRow { incident_type: vi.label("incident_type", &s.incident_type), title: s.title, situation: s.situation, handling: s.handling })
            .collect(),
        contacts: v.contacts.clone(),
        // The provincial plan is the People's Committee's, signed by its Chairman
        // (Decision 05 Art 16); a system's plan by its unit's leader.
        signature: if d.plan.is_province() { khien_docs::Signature::for_signer("Chủ tịch", "", Some("Ủy ban nhân dân"), vec!["Lưu: VT.".into()]) } else { issued.signature },
    };
    let name = format!("phuong-an-ung-cuu-v{}.docx", v.version);
    crate::reports::pages::document(&state, as_pdf, move || khien_docs::response_plan::response_plan_docx(&doc), &name).await
}

/// A system's plan as its page shows it: the plan's id and its flags in words.
pub(crate) async fn summary_of(state: &AppState, scoped: &khien_store::Scoped<'_>, t: &T, system_id: &str) -> AppResult<Option<(String, Vec<String>)>> {
    let (Some(outlines), Some(p)) = (state.config.response_plan_outlines.as_ref(), scoped.response_plan_of(system_id).await?) else {
        return Ok(None);
    };
    let flags = p.flags(outlines, state.store.today_vn()).into_iter().map(|f| flag_text(t, f)).collect();
    Ok(Some((p.id, flags)))
}

/// The work queue: plans that need attention (not approved, review near or past, the
/// system changed since the approval, another outline now due) for those who draft or
/// approve them, and operating systems without a plan for those who maintain systems.
pub(crate) async fn work(state: &AppState, auth: &Auth<AnyRole>, t: &T, limit: usize) -> AppResult<Vec<WorkGroup>> {
    let role = auth.principal.role;
    let mut out = Vec::new();
    if !(may_draft(role, false) || may_draft(role, true) || may_approve(role, false)) {
        return Ok(out);
    }
    let Some(outlines) = state.config.response_plan_outlines.clone() else {
        return Ok(out);
    };
    let scoped = auth.scoped(state);
    let today = state.store.today_vn();
    let mut g = WorkGroup::new("rplan.work_flagged", Some("/response-plans".into()));
    g.note = Some("rplan.work_note");
    for p in scoped.response_plans(5_000).await? {
        if !(may_draft(role, p.is_province()) || may_approve(role, p.is_province())) {
            continue;
        }
        let flags = p.flags(&outlines, today);
        let Some(first) = flags.first().copied() else {
            continue;
        };
        let overdue = flags.iter().find_map(|f| match f {
            PlanFlag::ReviewOverdue { review_on } => Some(*review_on),
            _ => None,
        });
        let due = overdue.or(p.review_on.as_deref().and_then(khien_domain::time_fmt::parse_iso_date));
        g.push(WorkItem {
            title: p.system_name.clone().unwrap_or_else(|| p.title.clone()),
            href: format!("/response-plans/{}", p.id),
            detail: flags.iter().map(|f| flag_text(t, *f)).collect::<Vec<_>>().join(" · "),
            unit: p.unit_name.clone(),
            due,
            days_late: overdue.map_or(0, |d| (today - d).whole_days().max(0)),
            late_text: (first.is_late() && overdue.is_none()).then(|| t.s("rplan.work_stale").to_string()),
            ..Default::default()
        });
    }
    g.items.sort_by_key(|i| std::cmp::Reverse(i.is_late()));
    g.items.truncate(limit);
    out.push(g);
    if may_draft(role, false) {
        let (total, systems) = scoped.systems_without_response_plan(i64::try_from(limit).unwrap_or(50)).await?;
        let mut g = WorkGroup::new("rplan.work_missing", Some("/response-plans#missing".into()));
        g.note = Some("rplan.work_missing_note");
        for (id, name, unit) in systems {
            g.push(WorkItem { title: name, href: format!("/response-plans/new?subject={id}"), detail: t.s("rplan.start").to_string(), unit, ..Default::default() });
        }
        g.total = total;
        out.push(g);
    }
    Ok(out)
}
