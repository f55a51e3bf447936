//! The 4-layer model per system (issue 12 item 4; Directive 14/CT-TTg, Dispatch
//! 1552/BTTTT-CATTT): the province's overview of which operating systems have each
//! layer in place, each system's own page where its layers are recorded, a line on the
//! system page, and the systems of the required level with a layer missing in the work
//! queue.
//!
//! Its routes are registered here, its templates live in `templates/protection/` and its
//! strings in `i18n/<lang>/protection.txt`.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use khien_domain::protection::{ARRANGEMENTS, IN_PLACE, Layer, LayerInput, Model, STATES};
use khien_store::StoreError;
use khien_store::protection::{LayerRecord, LayersFilter, SystemLayers, may_record};

use crate::AppState;
use crate::auth::roles::{AnyRole, SystemEditor};
use crate::auth::{Access, Auth};
use crate::error::{AppError, AppResult};
use crate::i18n::T;
use crate::routes::{Routes, Tenancy};
use crate::view::{Chrome, FormState, form_pairs, refusal_as_fields, render, render_refused};
use crate::work::{WorkGroup, WorkItem};

/// Rows an overview shows at most (it says how many matched).
const OVERVIEW_MAX: i64 = 1_000;

pub(crate) fn page_routes() -> Routes {
    Routes::default()
        .get("/protection", AnyRole::NAMES, Tenancy::Unit, overview)
        .get("/systems/{id}/protection", AnyRole::NAMES, Tenancy::Unit, system_page)
        .post("/systems/{id}/protection/{layer}", SystemEditor::NAMES, Tenancy::Unit, save)
}

fn model(state: &AppState) -> AppResult<Arc<Model>> {
    state.config.protection_model.clone().ok_or(AppError::Missing("protection.err_model"))
}

/// The form name of one layer's form on a system's page.
fn form_name(layer: &str) -> String {
    format!("layer-{layer}")
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct OverviewQuery {
    /// `required` (default), `missing` or `all`.
    show: String,
}

#[derive(askama::Template)]
#[template(path = "protection/overview.html")]
struct OverviewPage {
    c: Chrome,
    model: Arc<Model>,
    show: &'static str,
    matched: i64,
    rows: Vec<SystemLayers>,
    /// Per layer of the model: how many of the rows shown have it in place.
    in_place: Vec<usize>,
}

impl OverviewPage {
    fn cell<'a>(&self, row: &'a SystemLayers, layer: &str) -> Option<&'a LayerRecord> {
        row.layers.get(layer)
    }
    fn required(&self, row: &SystemLayers) -> bool {
        self.model.required_for(row.level)
    }
}

pub async fn overview(State(state): State<AppState>, auth: Auth<AnyRole>, c: Chrome, Query(q): Query<OverviewQuery>) -> AppResult<Html<String>> {
    let model = model(&state)?;
    let (show, filter) = match q.show.as_str() {
        "all" => ("all", LayersFilter::All),
        "missing" => ("missing", LayersFilter::RequiredMissing),
        _ => ("required", LayersFilter::Required),
    };
    let (matched, rows) = auth.scoped(&state).protection_overview(&model, filter, OVERVIEW_MAX).await?;
    let in_place = model.layers.iter().map(|l| rows.iter().filter(|r| r.layers.get(&l.id).is_some_and(|x| x.state == IN_PLACE)).count()).collect();
    render(&OverviewPage { c, model, show, matched, rows, in_place })
}

#[derive(askama::Template)]
#[template(path = "protection/system.html")]
struct SystemPage {
    c: Chrome,
    model: Arc<Model>,
    sys: SystemLayers,
    may_record: bool,
}

impl SystemPage {
    fn states(&self) -> &'static [&'static str] {
        &STATES
    }
    fn arrangements(&self) -> &'static [&'static str] {
        &ARRANGEMENTS
    }
    fn form(&self, layer: &Layer) -> String {
        form_name(&layer.id)
    }
    fn record(&self, layer: &Layer) -> Option<&LayerRecord> {
        self.sys.layers.get(&layer.id)
    }
    /// What a field of a layer's form shows: as typed when that form was refused, else
    /// as recorded.
    fn value(&self, layer: &Layer, field: &str) -> String {
        let r = self.record(layer);
        let stored = match (field, r) {
            (_, None) => String::new(),
            ("state", Some(r)) => r.state.clone(),
            ("arrangement", Some(r)) => r.arrangement.clone().unwrap_or_default(),
            ("provider", Some(r)) => r.provider.clone().unwrap_or_default(),
            ("contract", Some(r)) => r.contract.clone().unwrap_or_default(),
            ("since", Some(r)) => r.since.as_deref().map(|d| self.c.date(d)).unwrap_or_default(),
            ("note", Some(r)) => r.note.clone().unwrap_or_default(),
            (_, Some(_)) => String::new(),
        };
        self.c.value(&form_name(&layer.id), field, &stored)
    }
    fn version(&self, layer: &Layer) -> String {
        self.c.value(&form_name(&layer.id), "version", &self.record(layer).map_or(0, |r| r.version).to_string())
    }
    fn required(&self) -> bool {
        self.model.required_for(self.sys.level)
    }
    fn missing(&self) -> Vec<&Layer> {
        self.model.missing(&self.sys.states())
    }
}

async fn system_view<A: Access>(state: &AppState, auth: &Auth<A>, mut c: Chrome, id: &str, form: Option<FormState>) -> AppResult<SystemPage> {
    if let Some(f) = form {
        c.form = f;
    }
    let sys = auth.scoped(state).protection_of(id).await?;
    Ok(SystemPage { model: model(state)?, may_record: may_record(auth.principal.role), sys, c })
}

pub async fn system_page(State(state): State<AppState>, auth: Auth<AnyRole>, c: Chrome, Path(id): Path<String>) -> AppResult<Html<String>> {
    render(&system_view(&state, &auth, c, &id, None).await?)
}

pub async fn save(State(state): State<AppState>, auth: Auth<SystemEditor>, c: Chrome, Path((id, layer)): Path<(String, String)>, body: String) -> AppResult<Response> {
    let model = model(&state)?;
    let layer = model.layer(&layer).ok_or(StoreError::NotFound)?.id.clone();
    let input: LayerInput = serde_urlencoded::from_str(&body).unwrap_or_default();
    let result = match input.validate(state.store.today_vn()) {
        Err(inv) => Err(StoreError::Invalid(inv)),
        Ok(f) => auth.scoped(&state).set_protection_layer(&model, &id, &layer, &f).await,
    };
    match result {
        Ok(()) => Ok(Redirect::to(&format!("/systems/{id}/protection#layer-{layer}")).into_response()),
        Err(e @ (StoreError::NotFound | StoreError::Forbidden)) => Err(e.into()),
        Err(e) => {
            let errors = refusal_as_fields(e, &[])?;
            let form = FormState::refused(form_name(&layer), form_pairs(&body), errors);
            render_refused(&system_view(&state, &auth, c, &id, Some(form)).await?)
        }
    }
}

/// The system page's line: how many layers are in place, and whether the system's
/// level asks for all of them.
pub(crate) async fn summary_of(state: &AppState, scoped: &khien_store::Scoped<'_>, t: &T, system_id: &str) -> AppResult<Option<(String, bool)>> {
    let Some(model) = state.config.protection_model.as_ref() else {
        return Ok(None);
    };
    let sys = scoped.protection_of(system_id).await?;
    let missing = model.missing(&sys.states()).len();
    let have = model.layers.len().saturating_sub(missing);
    let text = t.f("protection.summary", &[&have.to_string(), &model.layers.len().to_string()]);
    Ok(Some((text, missing > 0 && model.required_for(sys.level))))
}

/// Operating systems of the required level with a layer not in place, for those who
/// record layers.
pub(crate) async fn work(state: &AppState, auth: &Auth<AnyRole>, t: &T, limit: usize) -> AppResult<Vec<WorkGroup>> {
    let (true, Some(model)) = (may_record(auth.principal.role), state.config.protection_model.clone()) else {
        return Ok(Vec::new());
    };
    let cap = i64::try_from(limit).unwrap_or(50).max(1);
    let (n, rows) = auth.scoped(state).protection_overview(&model, LayersFilter::RequiredMissing, cap).await?;
    let mut g = WorkGroup::new("protection.work_missing", Some("/protection?show=missing".into()));
    g.note = Some("protection.work_note");
    for r in rows {
        let missing: Vec<&str> = model.missing(&r.states()).iter().map(|l| l.title.as_str()).collect();
        g.push(WorkItem {
            title: r.name.clone(),
            href: format!("/systems/{}/protection", r.system_id),
            detail: t.f("protection.work_detail", &[&missing.join(", ")]),
            unit: r.unit_name.clone(),
            reason: r.level.map(|l| t.f("protection.level", &[&l.to_string()])),
            ..Default::default()
        });
    }
    g.total = n;
    Ok(vec![g])
}
