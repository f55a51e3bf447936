//! Security by level across the province (or a unit's subtree): approved levels, plan
//! implementation and dossiers waiting at each stage, against the province's targets.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::response::{Html, Redirect};
use khien_domain::dossiers::DossierStatus;
use khien_store::overview::SystemSecurity;

use crate::AppState;
use crate::auth::Auth;
use crate::auth::roles::{AnyRole, ProvinceAdmin};
use crate::error::AppResult;
use crate::view::{Chrome, render};

pub const TARGET_APPROVAL: &str = "target.approval_date";
pub const TARGET_PLAN: &str = "target.plan_date";

#[derive(Default, Clone)]
pub struct Row {
    pub unit_id: String,
    pub unit: String,
    pub systems: usize,
    pub operating: usize,
    /// Operating systems with an approved level, by level 1–5 (index 0 = level 1).
    pub by_level: [usize; 5],
    pub operating_unapproved: usize,
    pub plan_full: usize,
    pub plan_partial: usize,
    pub plan_none: usize,
    pub submitted: usize,
    pub under_appraisal: usize,
    pub appraised: usize,
    pub overdue: usize,
}

impl Row {
    fn add(&mut self, s: &SystemSecurity) {
        self.systems += 1;
        if s.operating {
            self.operating += 1;
            match s.approved_level {
                Some(l @ 1..=5) => self.by_level[usize::from(l) - 1] += 1,
                _ => self.operating_unapproved += 1,
            }
            match s.plan {
                "full" => self.plan_full += 1,
                "partial" => self.plan_partial += 1,
                _ => self.plan_none += 1,
            }
        }
        match s.pending {
            Some(DossierStatus::Submitted) => self.submitted += 1,
            Some(DossierStatus::UnderAppraisal) => self.under_appraisal += 1,
            Some(DossierStatus::Appraised) => self.appraised += 1,
            _ => {}
        }
        if s.overdue {
            self.overdue += 1;
        }
    }

    pub fn approved(&self) -> usize {
        self.by_level.iter().sum()
    }

    pub fn approved_pct(&self) -> String {
        pct(self.approved(), self.operating)
    }

    pub fn plan_pct(&self) -> String {
        pct(self.plan_full, self.operating)
    }
}

fn pct(n: usize, of: usize) -> String {
    if of == 0 {
        "—".into()
    } else {
        format!("{:.0}%", n as f64 * 100.0 / of as f64)
    }
}

/// A province target and whether it is missed.
pub struct Target {
    pub label_key: &'static str,
    pub date: Option<String>,
    pub pct: String,
    pub missed: bool,
}

#[derive(askama::Template)]
#[template(path = "levels/levels_overview.html")]
struct OverviewPage {
    c: Chrome,
    rows: Vec<Row>,
    total: Row,
    targets: Vec<Target>,
    overdue_systems: Vec<SystemSecurity>,
    /// Overdue systems beyond those listed.
    overdue_more: usize,
}

impl OverviewPage {
    fn overdue_more_text(&self) -> String {
        self.c.t.f("province.overdue_more", &[&self.overdue_more.to_string()])
    }
}

/// Rows per owner unit up to this many owners; rolled up one level beyond.
const ROWS_PER_OWNER_UP_TO: usize = 300;

/// Overdue systems listed by name; the rest are counted.
const OVERDUE_LISTED: usize = 200;

/// The view's numbers: one row per unit one level below the top of the scope.
struct Tally {
    rows: Vec<Row>,
    total: Row,
    overdue_systems: Vec<SystemSecurity>,
    overdue_more: usize,
}

async fn tally(state: &AppState, auth: &Auth<AnyRole>, today: time::Date) -> khien_store::error::Result<Tally> {
    let all = auth
        .scoped(state)
        .security_overview(today, &state.config.calendar)
        .await?;
    // One row per owner unit, as long as that stays a readable table; beyond
    // `ROWS_PER_OWNER_UP_TO` owners (a national tree) one row per unit one level below
    // the top of the scope (each province), which a click narrows further.
    let owners: std::collections::HashSet<&str> = all.iter().map(|s| s.owner_unit_id.as_str()).collect();
    let by_owner = owners.len() <= ROWS_PER_OWNER_UP_TO;
    let mut by_unit: BTreeMap<(String, String), Row> = BTreeMap::new();
    let mut total = Row::default();
    for s in &all {
        let (id, name) = if by_owner {
            (&s.owner_unit_id, &s.owner_unit_name)
        } else {
            (&s.group_unit_id, &s.group_unit_name)
        };
        let row = by_unit
            .entry((khien_domain::text::fold(name), id.clone()))
            .or_insert_with(|| Row {
                unit_id: id.clone(),
                unit: name.clone(),
                ..Row::default()
            });
        row.add(s);
        total.add(s);
    }
    let overdue: Vec<SystemSecurity> = all.into_iter().filter(|s| s.overdue).collect();
    let overdue_more = overdue.len().saturating_sub(OVERDUE_LISTED);
    Ok(Tally {
        rows: by_unit.into_values().collect(),
        total,
        overdue_systems: overdue.into_iter().take(OVERDUE_LISTED).collect(),
        overdue_more,
    })
}

pub async fn page(
    State(state): State<AppState>,
    auth: Auth<AnyRole>,
    c: Chrome,
) -> AppResult<Html<String>> {
    let today = state
        .store
        .now()
        .to_offset(khien_domain::time_fmt::VIETNAM)
        .date();
    let today_iso = khien_domain::time_fmt::iso_date(today);
    // Province-wide, the tally of every system is kept between requests (recomputed
    // after a write); a subtree's is a few index lookups and computed each time.
    let t = if auth.principal.scope() == khien_domain::Scope::Province {
        state
            .store
            .cached(&format!("levels:{today_iso}"), || tally(&state, &auth, today))
            .await?
    } else {
        std::sync::Arc::new(tally(&state, &auth, today).await?)
    };
    let total = Row {
        unit: c.t.s("province.total").to_string(),
        ..t.total.clone()
    };
    let mut targets = Vec::new();
    for (key, label_key, done) in [
        (
            TARGET_APPROVAL,
            "province.target_approval",
            total.approved(),
        ),
        (TARGET_PLAN, "province.target_plan", total.plan_full),
    ] {
        let date = state.store.setting(key).await?;
        let missed =
            date.as_deref().is_some_and(|d| d < today_iso.as_str()) && done < total.operating;
        targets.push(Target {
            label_key,
            date,
            pct: pct(done, total.operating),
            missed,
        });
    }
    render(&OverviewPage {
        c,
        rows: t.rows.clone(),
        total,
        targets,
        overdue_systems: t.overdue_systems.clone(),
        overdue_more: t.overdue_more,
    })
}

#[derive(serde::Deserialize)]
pub struct TargetsForm {
    #[serde(default)]
    approval_date: String,
    #[serde(default)]
    plan_date: String,
}

pub async fn set_targets(
    State(state): State<AppState>,
    auth: Auth<ProvinceAdmin>,
    viewer: Auth<AnyRole>,
    mut c: Chrome,
    body: String,
) -> AppResult<axum::response::Response> {
    use axum::response::IntoResponse;
    let values = crate::view::form_pairs(&body);
    let f: TargetsForm = crate::view::parse_form(&body)?;
    // Both dates are checked before either is saved.
    let mut e = khien_domain::Invalid::default();
    let dates = [
        (TARGET_APPROVAL, khien_domain::error::date_field(&mut e, "approval_date", &f.approval_date, false)),
        (TARGET_PLAN, khien_domain::error::date_field(&mut e, "plan_date", &f.plan_date, false)),
    ];
    if e.is_empty() {
        let scoped = auth.scoped(&state);
        for (key, d) in dates {
            if let Some(d) = d {
                scoped
                    .set_setting(key, &khien_domain::time_fmt::iso_date(d))
                    .await?;
            }
        }
        return Ok(Redirect::to("/levels").into_response());
    }
    c.form = crate::view::FormState::refused("targets", values, e.errors);
    let html = page(State(state), viewer, c).await?;
    Ok((axum::http::StatusCode::UNPROCESSABLE_ENTITY, html).into_response())
}
