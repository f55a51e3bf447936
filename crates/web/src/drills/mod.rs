//! Drills (issue 11 item 8): real-world and tabletop drills over chosen systems, the
//! weaknesses they found — each becomes a tracked finding on its system
//! (`crate::weaknesses`) — and the drill report as DOCX.
//! A recorded drill fulfils the yearly drill duty of the systems it covered.
//!
//! Its routes are registered here, its templates live in `templates/drills/` and its
//! strings in `i18n/<lang>/drills.txt`.

use axum::extract::{Path, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use khien_domain::FieldError;
use khien_domain::drills::{DrillInput, KINDS};
use khien_domain::weaknesses::{Origin, SEVERITIES, WeaknessInput};
use khien_store::StoreError;
use khien_store::drills::{Drill, DrillSystem, may_record};
use khien_store::weaknesses::Weakness;

use crate::AppState;
use crate::auth::roles::{AnyRole, HuntRunner};
use crate::auth::{Access, Auth};
use crate::error::AppResult;
use crate::routes::{Routes, Tenancy};
use crate::view::{Chrome, FormState, form_pairs, refusal_as_fields, render, render_refused};

pub(crate) fn page_routes() -> Routes {
    let any = AnyRole::NAMES;
    // The roles that maintain systems, and the response team (`may_record`).
    let recorders = HuntRunner::NAMES;
    Routes::default()
        .get("/drills", any, Tenancy::Unit, list)
        .get("/drills/new", recorders, Tenancy::Unit, new_form)
        .post("/drills", recorders, Tenancy::Unit, create)
        .get("/drills/{id}", any, Tenancy::Unit, detail)
        .post("/drills/{id}/weaknesses", recorders, Tenancy::Unit, add_weakness)
        .get("/drills/{id}/report.docx", any, Tenancy::Unit, report_docx)
}

#[derive(askama::Template)]
#[template(path = "drills/list.html")]
struct ListPage {
    c: Chrome,
    drills: Vec<Drill>,
    may_record: bool,
}

pub async fn list(State(state): State<AppState>, auth: Auth<AnyRole>, c: Chrome) -> AppResult<Html<String>> {
    let drills = auth.scoped(&state).drills(200).await?;
    render(&ListPage { may_record: may_record(auth.principal.role), c, drills })
}

#[derive(askama::Template)]
#[template(path = "drills/new.html")]
struct NewPage {
    c: Chrome,
    input: DrillInput,
    systems: Vec<(String, String)>,
}

impl NewPage {
    fn kinds(&self) -> &'static [&'static str] {
        &KINDS
    }
    fn chosen(&self, id: &str) -> bool {
        self.input.systems.iter().any(|s| s == id)
    }
}

async fn new_page<A: Access>(state: &AppState, auth: &Auth<A>, mut c: Chrome, input: DrillInput, errors: Vec<FieldError>) -> AppResult<NewPage> {
    c.form = FormState::refused("drill", vec![], errors);
    let systems = auth.scoped(state).systems(&Default::default(), None).await?.items.into_iter().map(|s| (s.id, s.fields.name)).collect();
    Ok(NewPage { c, input, systems })
}

pub async fn new_form(State(state): State<AppState>, auth: Auth<HuntRunner>, c: Chrome) -> AppResult<Html<String>> {
    let today = khien_domain::time_fmt::format_date(state.store.today_vn());
    let input = DrillInput { drill_kind: "real_world".into(), held_from: today.clone(), held_to: today, ..Default::default() };
    render(&new_page(&state, &auth, c, input, Vec::new()).await?)
}

fn drill_input(body: &str) -> DrillInput {
    let mut input = DrillInput::default();
    for (k, v) in form_pairs(body) {
        let slot = match k.as_str() {
            "drill_kind" => &mut input.drill_kind,
            "title" => &mut input.title,
            "organiser" => &mut input.organiser,
            "held_from" => &mut input.held_from,
            "held_to" => &mut input.held_to,
            "objectives" => &mut input.objectives,
            "participants" => &mut input.participants,
            "tools" => &mut input.tools,
            "systems" => {
                input.systems.push(v);
                continue;
            }
            _ => continue,
        };
        *slot = v;
    }
    input
}

pub async fn create(State(state): State<AppState>, auth: Auth<HuntRunner>, c: Chrome, body: String) -> AppResult<Response> {
    let input = drill_input(&body);
    let result = match input.validate(state.store.today_vn()) {
        Err(inv) => Err(StoreError::Invalid(inv)),
        Ok(f) => auth.scoped(&state).create_drill(&f).await,
    };
    match result {
        Ok(id) => Ok(Redirect::to(&format!("/drills/{id}")).into_response()),
        Err(e @ (StoreError::NotFound | StoreError::Forbidden)) => Err(e.into()),
        Err(e) => {
            let errors = refusal_as_fields(e, &[])?;
            render_refused(&new_page(&state, &auth, c, input, errors).await?)
        }
    }
}

#[derive(askama::Template)]
#[template(path = "drills/detail.html")]
struct DetailPage {
    c: Chrome,
    d: Drill,
    systems: Vec<DrillSystem>,
    weaknesses: Vec<Weakness>,
    may_record: bool,
}

impl DetailPage {
    fn severities(&self) -> &'static [&'static str] {
        &SEVERITIES
    }
}

async fn detail_page<A: Access>(state: &AppState, auth: &Auth<A>, mut c: Chrome, id: &str, refused: Option<FormState>) -> AppResult<DetailPage> {
    let (d, systems, weaknesses) = auth.scoped(state).drill(id).await?;
    if let Some(f) = refused {
        c.form = f;
    }
    Ok(DetailPage { may_record: may_record(auth.principal.role), c, d, systems, weaknesses })
}

pub async fn detail(State(state): State<AppState>, auth: Auth<AnyRole>, c: Chrome, Path(id): Path<String>) -> AppResult<Html<String>> {
    render(&detail_page(&state, &auth, c, &id, None).await?)
}

/// A weakness becomes a finding on one of the drill's systems (`crate::weaknesses`).
pub async fn add_weakness(State(state): State<AppState>, auth: Auth<HuntRunner>, c: Chrome, Path(id): Path<String>, body: String) -> AppResult<Response> {
    let values = form_pairs(&body);
    let w: WeaknessInput = serde_urlencoded::from_str(&body).unwrap_or_default();
    let scoped = auth.scoped(&state);
    let (d, systems, _) = scoped.drill(&id).await?;
    let result: Result<(), StoreError> = async {
        let import = crate::weaknesses::queue_as_finding(&state, &auth, &w, systems.iter().any(|s| s.id == w.system_id), Origin::Drill, &d.title).await?;
        scoped.link_drill_weakness(&id, &w.system_id, &import, w.title.trim(), w.severity.trim()).await?;
        Ok(())
    }
    .await;
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/drills/{id}#weaknesses")).into_response()),
        Err(e @ (StoreError::NotFound | StoreError::Forbidden)) => Err(e.into()),
        Err(e) => {
            let errors = refusal_as_fields(e, &[])?;
            render_refused(&detail_page(&state, &auth, c, &id, Some(FormState::refused("weakness", values, errors))).await?)
        }
    }
}

pub async fn report_docx(State(state): State<AppState>, auth: Auth<AnyRole>, as_pdf: crate::reports::pages::AsPdf, Path(id): Path<String>) -> AppResult<Response> {
    let (d, systems, weaknesses) = auth.scoped(&state).drill(&id).await?;
    let vi = crate::i18n::T { lang: crate::i18n::Lang::Vi };
    let issued = crate::reports::pages::issued_by(&state, &auth.principal.unit_id, vec!["Lưu: VT.".into()]).await?;
    let report = khien_docs::drill::DrillReport {
        header: issued.header,
        kind: vi.label("drill_kind", &d.kind),
        title: d.title.clone(),
        organiser: d.organiser,
        period: format!("{} – {}", khien_domain::time_fmt::display_date(&d.held_from), khien_domain::time_fmt::display_date(&d.held_to)),
        objectives: d.objectives,
        participants: d.participants,
        tools: d.tools,
        systems: systems.into_iter().map(|s| format!("{} ({})", s.name, s.owner_unit_name)).collect(),
        weaknesses: weaknesses
            .into_iter()
            .map(|w| khien_docs::drill::WeaknessRow {
                system: w.system_name,
                title: w.title,
                severity: vi.label("severity", &w.severity),
                due: w.due_on.as_deref().map(khien_domain::time_fmt::display_date).unwrap_or_default(),
                status: w.finding_status.as_deref().map(|s| vi.label("finding_status", s)).unwrap_or_default(),
            })
            .collect(),
        signature: issued.signature,
    };
    let name = format!("dien-tap-{}.docx", d.held_to);
    crate::reports::pages::document(&state, as_pdf, move || khien_docs::drill::drill_docx(&report), &name).await
}
