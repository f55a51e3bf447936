//! The information-system inventory: list with filters, sorting and paging; declare;
//! edit; detail with its change history.

use axum::extract::{Path, Query, RawQuery, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use khien_domain::FieldError;
use khien_domain::systems::{InfoType, SystemInput, SystemStatus, SystemType};
use khien_domain::dossiers::DossierStatus;
use khien_store::audit::AuditEntry;
use khien_store::overview::{Among, SystemSecurity};
use khien_store::systems::{System, SystemFilter};
use khien_store::units::Unit;
use khien_store::{Page, StoreError};

use crate::AppState;
use crate::auth::Auth;
use crate::auth::roles::{AnyRole, SystemEditor};
use crate::error::{AppError, AppResult};
use crate::view::{Chrome, FormState, page_href, refusal_as_fields, render, render_refused};

pub const PER_PAGE: i64 = 25;

#[derive(askama::Template)]
#[template(path = "systems/systems_list.html")]
struct ListPage {
    c: Chrome,
    filter: SystemFilter,
    page: Page<System>,
    units: Vec<Unit>,
    types: &'static [SystemType],
    statuses: &'static [SystemStatus],
    /// The query string without `page`, for paging links and the export link.
    base_query: String,
    /// The security state of the systems on this page, by id.
    security: std::collections::HashMap<String, SystemSecurity>,
    /// Hunts finished before this (stored form) are older than the 6-monthly duty.
    hunt_cutoff: String,
    stages: &'static [DossierStatus],
}

impl ListPage {
    fn sec(&self, id: &str) -> Option<&SystemSecurity> {
        self.security.get(id)
    }
    /// "Cấp 3", "Đề xuất cấp 3" or "Chưa có cấp độ", and whether it is approved.
    fn level_text(&self, id: &str) -> (String, bool) {
        match self.sec(id) {
            Some(SystemSecurity { approved_level: Some(l), .. }) => {
                (self.c.t.f("systems.level_approved", &[&l.to_string()]), true)
            }
            Some(SystemSecurity { proposed_level: Some(l), .. }) => {
                (self.c.t.f("systems.level_proposed", &[&l.to_string()]), false)
            }
            _ => (self.c.t.s("systems.level_none").to_string(), false),
        }
    }
    fn level_label(&self, level: &i32) -> String {
        self.c.t.f("systems.level_approved", &[&level.to_string()])
    }
    fn hunt_text(&self, id: &str) -> String {
        match self.sec(id).and_then(|s| s.last_hunt.as_deref()) {
            Some(at) => khien_domain::time_fmt::display_date(&at[..at.len().min(10)]),
            None => self.c.t.s("systems.hunt_never").to_string(),
        }
    }
    /// An operating system whose last counted hunt is older than 6 months (or none).
    fn hunt_stale(&self, id: &str) -> bool {
        self.sec(id).is_some_and(|s| {
            s.operating && s.last_hunt.as_deref().is_none_or(|at| at < self.hunt_cutoff.as_str())
        })
    }
    fn page_link(&self, n: i64) -> String {
        page_href(&self.base_query, n)
    }
    fn count_text(&self) -> String {
        if self.page.total_capped {
            self.c.t.f("systems.count_more", &[&crate::view::thousands(self.page.total)])
        } else {
            self.c.t.f("systems.count", &[&crate::view::thousands(self.page.total)])
        }
    }
    /// The next page: by cursor when the list has one (keyset), else by number.
    fn next_link(&self) -> String {
        crate::view::next_href(&self.base_query, &self.page)
    }
    /// Link that sorts by `key`, flipping direction when already sorted by it.
    fn sort_link(&self, key: &str) -> String {
        let dir = if self.filter.sort == key && self.filter.dir != "desc" {
            "desc"
        } else {
            "asc"
        };
        let f = SystemFilter {
            sort: key.to_string(),
            dir: dir.to_string(),
            page: 0,
            ..self.filter.clone()
        };
        format!("?{}", serde_urlencoded::to_string(&f).unwrap_or_default())
    }
}


pub async fn list(
    State(state): State<AppState>,
    auth: Auth<AnyRole>,
    c: Chrome,
    Query(filter): Query<SystemFilter>,
    RawQuery(raw): RawQuery,
) -> AppResult<Html<String>> {
    let scoped = auth.scoped(&state);
    let page = scoped.systems(&filter, Some(PER_PAGE)).await?;
    let units = scoped.unit_choices(&filter.unit_id).await?;
    let ids: Vec<String> = page.items.iter().map(|s| s.id.clone()).collect();
    let today = state.store.today_vn();
    let security = scoped
        .security_among(Among::Systems(&ids), today, &state.config.calendar)
        .await?
        .into_iter()
        .map(|s| (s.system_id.clone(), s))
        .collect();
    render(&ListPage {
        c,
        filter,
        page,
        units,
        types: SystemType::ALL,
        statuses: SystemStatus::ALL,
        base_query: crate::support::base_query(raw.as_deref()),
        security,
        hunt_cutoff: khien_domain::hunts::hunt_cutoff(today),
        stages: &DossierStatus::ALL,
    })
}

#[derive(askama::Template)]
#[template(path = "systems/system_detail.html")]
struct DetailPage {
    c: Chrome,
    s: System,
    history: Vec<AuditEntry>,
    people: crate::view::People,
    /// (hunt id, finished at) of the last threat hunt covering the system.
    last_hunt: Option<(String, String)>,
    /// Level, dossier stage and plan, as the inventory shows them.
    security: Option<SystemSecurity>,
    /// Operating, and no counted hunt in the last 6 months.
    hunt_stale: bool,
    /// Its incident response plan (id, what needs attention), if one was started.
    response_plan: Option<(String, Vec<String>)>,
    /// Its 4-layer model: "3/4 layers in place", and whether its level asks for the
    /// missing ones.
    protection: Option<(String, bool)>,
    /// Its backups: what is behind, or the last successful restore.
    backup: Option<(String, bool)>,
    /// How many third parties serve it, and whether one is behind.
    vendors: Option<(String, bool)>,
    /// Its unsettled risks, and whether one is behind.
    risks: Option<(String, bool)>,
}

pub async fn detail(
    State(state): State<AppState>,
    auth: Auth<AnyRole>,
    c: Chrome,
    Path(id): Path<String>,
) -> AppResult<Html<String>> {
    let scoped = auth.scoped(&state);
    let s = scoped.system(&id).await?;
    let history = scoped.history("system", &id).await?;
    let names: Vec<&str> = history.iter().map(|h| h.actor_name.as_str()).collect();
    let people = crate::view::People::of(&scoped, &names).await?;
    let last_hunt = scoped.last_hunt(&id).await?;
    let today = state.store.today_vn();
    let security = scoped
        .security_among(Among::Systems(std::slice::from_ref(&id)), today, &state.config.calendar)
        .await?
        .pop();
    let cutoff = khien_domain::hunts::hunt_cutoff(today);
    let hunt_stale = s.fields.status == SystemStatus::Operating
        && last_hunt.as_ref().is_none_or(|(_, at)| at.as_str() < cutoff.as_str());
    let response_plan = crate::response_plans::summary_of(&state, &scoped, &c.t, &id).await?;
    let protection = crate::protection::summary_of(&state, &scoped, &c.t, &id).await?;
    let backup = crate::backups::summary_of(&state, &scoped, &c.t, &id).await?;
    let vendors = crate::vendors::summary_of(&state, &scoped, &c.t, &id).await?;
    let risks = crate::risks::summary_of(&state, &scoped, &c.t, &id).await?;
    render(&DetailPage {
        c,
        s,
        history,
        people,
        last_hunt,
        security,
        hunt_stale,
        response_plan,
        protection,
        backup,
        vendors,
        risks,
    })
}

#[derive(askama::Template)]
#[template(path = "systems/system_form.html")]
struct FormPage {
    c: Chrome,
    system_id: Option<String>,
    input: SystemInput,
    units: Vec<Unit>,
    hosts: Vec<(String, String)>,
    types: &'static [SystemType],
    statuses: &'static [SystemStatus],
    info_types: &'static [InfoType],
}

impl FormPage {
    fn has_info(&self, t: &InfoType) -> bool {
        self.input
            .information_types
            .split([',', '\n'])
            .any(|x| x.trim() == t.as_str())
    }
    fn checked(v: &Option<String>) -> bool {
        khien_domain::systems::parse_flag(v.as_deref()).unwrap_or(false)
    }
}

async fn form_page(
    state: &AppState,
    auth: &Auth<SystemEditor>,
    c: Chrome,
    system_id: Option<String>,
    input: SystemInput,
    errors: Vec<FieldError>,
) -> AppResult<FormPage> {
    let mut c = c;
    // The typed values are the form's own input; only the messages travel in `c.form`.
    c.form = FormState::refused("system", vec![], errors);
    let scoped = auth.scoped(state);
    let hosts = scoped
        .hosting_candidates()
        .await?
        .into_iter()
        .filter(|(id, _)| Some(id) != system_id.as_ref())
        .collect();
    Ok(FormPage {
        c,
        system_id,
        input,
        units: scoped.units(false).await?,
        hosts,
        types: SystemType::ALL,
        statuses: SystemStatus::ALL,
        info_types: InfoType::ALL,
    })
}

pub async fn new_form(
    State(state): State<AppState>,
    auth: Auth<SystemEditor>,
    c: Chrome,
) -> AppResult<Html<String>> {
    let input = SystemInput {
        owner_unit_id: auth.principal.unit_id.clone(),
        system_type: "internal".into(),
        status: "planning".into(),
        ..Default::default()
    };
    render(&form_page(&state, &auth, c, None, input, vec![]).await?)
}

/// Form bodies repeat `information_types` once per ticked box; fold them into one list.
pub fn system_input_from_form(body: &str) -> SystemInput {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(body).unwrap_or_default();
    let mut input = SystemInput::default();
    let mut info = Vec::new();
    for (k, v) in pairs {
        match k.as_str() {
            "name" => input.name = v,
            "code" => input.code = v,
            "owner_unit_id" => input.owner_unit_id = v,
            "operator_unit_id" => input.operator_unit_id = v,
            "system_type" => input.system_type = v,
            "status" => input.status = v,
            "go_live_date" => input.go_live_date = v,
            "hosting_system_id" => input.hosting_system_id = v,
            "information_types" => info.push(v),
            "personal_subjects" => input.personal_subjects = v,
            "sensitive_subjects" => input.sensitive_subjects = v,
            "handles_admin_procedures" => input.handles_admin_procedures = Some(v),
            "requires_24x7" => input.requires_24x7 = Some(v),
            "urls" => input.urls = v,
            "ip_ranges" => input.ip_ranges = v,
            "components" => input.components = v,
            "description" => input.description = v,
            _ => {}
        }
    }
    input.information_types = info.join(",");
    input
}

async fn save(
    state: &AppState,
    auth: &Auth<SystemEditor>,
    c: Chrome,
    id: Option<String>,
    input: SystemInput,
) -> AppResult<Response> {
    let scoped = auth.scoped(state);
    if let Some(id) = &id {
        scoped.system(id).await?;
    }
    let result = match input.validate() {
        Err(inv) => Err(StoreError::Invalid(inv)),
        Ok(fields) => match &id {
            Some(id) => scoped.update_system(id, &fields).await.map(|()| id.clone()),
            None => scoped.create_system(&fields).await,
        },
    };
    match result {
        Ok(saved) => Ok(Redirect::to(&format!("/systems/{saved}")).into_response()),
        Err(StoreError::NotFound) => Err(AppError::NotFound),
        Err(e) => {
            let errors = refusal_as_fields(e, &[("system.err_code_taken", "code")])?;
            render_refused(&form_page(state, auth, c, id, input, errors).await?)
        }
    }
}

pub async fn create(
    State(state): State<AppState>,
    auth: Auth<SystemEditor>,
    c: Chrome,
    body: String,
) -> AppResult<Response> {
    save(&state, &auth, c, None, system_input_from_form(&body)).await
}

pub async fn edit_form(
    State(state): State<AppState>,
    auth: Auth<SystemEditor>,
    c: Chrome,
    Path(id): Path<String>,
) -> AppResult<Html<String>> {
    let s = auth.scoped(&state).system(&id).await?;
    let input = SystemInput::from(&s.fields);
    render(&form_page(&state, &auth, c, Some(id), input, vec![]).await?)
}

pub async fn update(
    State(state): State<AppState>,
    auth: Auth<SystemEditor>,
    c: Chrome,
    Path(id): Path<String>,
    body: String,
) -> AppResult<Response> {
    save(&state, &auth, c, Some(id), system_input_from_form(&body)).await
}
