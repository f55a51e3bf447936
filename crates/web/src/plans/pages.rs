//! The security plan of a system: the requirement checklist for its level, statuses,
//! evidence with validity dates, inheritance from the host, the gap list and the
//! go-live exception.

use axum::extract::{Multipart, Path, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use khien_domain::plans::ReqStatus;
use khien_store::plans::{Plan, RequirementUpdate};
use khien_store::systems::System;

use crate::AppState;
use crate::auth::{Access, Auth};
use crate::auth::roles::{AnyRole, ProvinceAdmin, SystemEditor};
use crate::error::AppResult;
use crate::view::{Chrome, FormState, form_pairs, refusal_as_fields, render, render_refused};
use khien_domain::Invalid;
use khien_domain::error::date_field;

#[derive(askama::Template)]
#[template(path = "plans/plan.html")]
struct PlanPage {
    c: Chrome,
    s: System,
    plan: Option<Plan>,
    blockers: Vec<&'static str>,
    statuses: [ReqStatus; 4],
    today: String,
    /// Why an imported sheet was refused, row by row.
    import_errors: Vec<String>,
    /// After a sheet import or a bulk change: (requirements changed, rows unchanged).
    done: Option<(usize, usize)>,
}

impl PlanPage {
    fn percent(&self) -> String {
        self.plan
            .as_ref()
            .map(|p| format!("{:.0}", p.progress.percent()))
            .unwrap_or_default()
    }
    /// A stored date as the form shows it (dd/mm/yyyy).
    fn due_text(&self, d: &Option<String>) -> String {
        d.as_deref().map(khien_domain::time_fmt::display_date).unwrap_or_default()
    }
    fn expired(&self, expiry: &Option<String>) -> bool {
        expiry.as_deref().is_some_and(|e| e < self.today.as_str())
    }
    /// Requirements marked met with no evidence on file (shown, and counted).
    fn met_without_evidence(&self) -> usize {
        self.plan.as_ref().map_or(0, |p| {
            p.items.iter().filter(|i| i.status == ReqStatus::Met && i.evidence.is_empty()).count()
        })
    }
    fn done_text(&self) -> String {
        match self.done {
            Some((n, u)) => self.c.t.f("plan.import_done", &[&n.to_string(), &u.to_string()]),
            None => String::new(),
        }
    }
}

/// `?imported=N&unchanged=M` after a sheet import or a bulk change.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct DoneQuery {
    imported: Option<usize>,
    unchanged: Option<usize>,
}

pub async fn page(
    State(state): State<AppState>,
    auth: Auth<AnyRole>,
    c: Chrome,
    Path(id): Path<String>,
    axum::extract::Query(q): axum::extract::Query<DoneQuery>,
) -> AppResult<Html<String>> {
    let mut page = build(&state, &auth, c, &id).await?;
    page.done = q.imported.map(|n| (n, q.unchanged.unwrap_or(0)));
    render(&page)
}

/// The plan page with a sheet import's refusals listed (422): nothing was stored.
pub(crate) async fn import_refused<A: Access>(
    state: &AppState,
    auth: &Auth<A>,
    c: Chrome,
    id: &str,
    errors: Vec<String>,
) -> AppResult<Response> {
    let mut page = build(state, auth, c, id).await?;
    page.import_errors = errors;
    render_refused(&page)
}

async fn build<A: Access>(state: &AppState, auth: &Auth<A>, c: Chrome, id: &str) -> AppResult<PlanPage> {
    let scoped = auth.scoped(state);
    let s = scoped.system(id).await?;
    let plan = scoped.plan(id).await?;
    let blockers = scoped.go_live_blockers(id).await?;
    let today = khien_domain::time_fmt::iso_date(
        state
            .store
            .now()
            .to_offset(khien_domain::time_fmt::VIETNAM)
            .date(),
    );
    Ok(PlanPage {
        c,
        s,
        plan,
        blockers,
        statuses: ReqStatus::SETTABLE,
        today,
        import_errors: vec![],
        done: None,
    })
}

/// The plan page again with what `form` carried and why it was refused (422).
async fn refused_page<A: Access>(
    state: &AppState,
    auth: &Auth<A>,
    mut c: Chrome,
    id: &str,
    form: String,
    values: Vec<(String, String)>,
    e: khien_store::StoreError,
) -> AppResult<Response> {
    let errors = refusal_as_fields(e, &[])?;
    c.form = FormState::refused(form, values, errors);
    render_refused(&build(state, auth, c, id).await?)
}

pub async fn set_requirement(
    State(state): State<AppState>,
    auth: Auth<SystemEditor>,
    c: Chrome,
    Path((id, key)): Path<(String, String)>,
    body: String,
) -> AppResult<Response> {
    let values = form_pairs(&body);
    let u: RequirementUpdate = crate::view::parse_form(&body)?;
    match auth.scoped(&state).set_requirement(&id, &key, &u).await {
        Ok(()) => Ok(Redirect::to(&format!("/systems/{id}/plan#req-{key}")).into_response()),
        Err(e) => refused_page(&state, &auth, c, &id, format!("req-{key}"), values, e).await,
    }
}

/// One status (and optionally a reason, a responsible person, a due date) for the
/// ticked requirements; what is left empty keeps each requirement's own value.
pub async fn bulk(
    State(state): State<AppState>,
    auth: Auth<SystemEditor>,
    c: Chrome,
    Path(id): Path<String>,
    body: String,
) -> AppResult<Response> {
    let values = form_pairs(&body);
    let get = |name: &str| {
        values.iter().find(|(k, _)| k == name).map(|(_, v)| v.trim().to_string()).unwrap_or_default()
    };
    let keys: Vec<&str> = values.iter().filter(|(k, _)| k == "key").map(|(_, v)| v.as_str()).collect();
    let scoped = auth.scoped(&state);
    if keys.is_empty() {
        let mut e = Invalid::default();
        e.push("key", "plan.err_bulk_none", "");
        return refused_page(&state, &auth, c, &id, "bulk".into(), values.clone(), e.into()).await;
    }
    let plan = scoped.plan(&id).await?.ok_or(crate::error::AppError::Conflict("plan.err_no_level"))?;
    let or = |new: String, old: &Option<String>| if new.is_empty() { old.clone().unwrap_or_default() } else { new };
    let mut updates = Vec::new();
    for key in &keys {
        // A key not of this plan is refused by the store (inside its transaction).
        let item = plan.items.iter().find(|i| i.key == *key);
        updates.push((
            key.to_string(),
            RequirementUpdate {
                status: get("status"),
                reason: or(get("reason"), &item.and_then(|i| i.reason.clone())),
                responsible: or(get("responsible"), &item.and_then(|i| i.responsible.clone())),
                due_date: or(
                    get("due_date"),
                    &item.and_then(|i| i.due_date.as_deref().map(khien_domain::time_fmt::display_date)),
                ),
            },
        ));
    }
    match scoped.set_requirements(&id, &updates).await {
        Ok(()) => Ok(Redirect::to(&format!("/systems/{id}/plan?imported={}", updates.len())).into_response()),
        Err(e) => refused_page(&state, &auth, c, &id, "bulk".into(), values.clone(), e).await,
    }
}

pub async fn add_evidence(
    State(state): State<AppState>,
    auth: Auth<SystemEditor>,
    c: Chrome,
    Path((id, key)): Path<(String, String)>,
    mut mp: Multipart,
) -> AppResult<Response> {
    let up = crate::support::read_upload(
        &state,
        &mut mp,
        &["file"],
        crate::support::upload::MAX_ATTACHMENT,
    )
    .await?;
    let form = format!("evidence-{key}");
    let values: Vec<(String, String)> = ["effective_date", "expiry_date"]
        .iter()
        .map(|f| (f.to_string(), up.text(f)))
        .collect();
    let mut e = Invalid::default();
    let effective = date_field(&mut e, "effective_date", &up.text("effective_date"), false);
    let expiry = date_field(&mut e, "expiry_date", &up.text("expiry_date"), false);
    if let (Some(a), Some(b)) = (effective, expiry)
        && b < a
    {
        e.push("expiry_date", "plan.err_expiry_before", "");
    }
    let file = up.file("file");
    if file.is_none() {
        e.push("file", "dossier.err_no_file", "");
    }
    let result = match file {
        Some(file) if e.is_empty() => auth
            .scoped(&state)
            .add_evidence(
                &id,
                &key,
                file,
                effective.map(khien_domain::time_fmt::iso_date),
                expiry.map(khien_domain::time_fmt::iso_date),
            )
            .await
            .map(|_| ()),
        _ => Err(e.into()),
    };
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/systems/{id}/plan#req-{key}")).into_response()),
        Err(e) => refused_page(&state, &auth, c, &id, form, values, e).await,
    }
}

pub async fn evidence_file(
    State(state): State<AppState>,
    auth: Auth<AnyRole>,
    Path((id, att)): Path<(String, String)>,
) -> AppResult<Response> {
    let files = auth.scoped(&state).evidence_files(&id).await?;
    crate::support::download_attachment(&state, files, &att).await
}

#[derive(serde::Deserialize)]
pub struct ExceptionForm {
    #[serde(default)]
    reason: String,
}

pub async fn grant_exception(
    State(state): State<AppState>,
    auth: Auth<ProvinceAdmin>,
    c: Chrome,
    Path(id): Path<String>,
    body: String,
) -> AppResult<Response> {
    let values = form_pairs(&body);
    let f: ExceptionForm = crate::view::parse_form(&body)?;
    match auth.scoped(&state).grant_go_live_exception(&id, &f.reason).await {
        Ok(_) => Ok(Redirect::to(&format!("/systems/{id}/plan")).into_response()),
        Err(e) => refused_page(&state, &auth, c, &id, "exception".into(), values, e).await,
    }
}
