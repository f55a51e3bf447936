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
    /// The unit's kind (`department`, `commune`, `public_service`, …).
    pub kind: String,
    /// Behind a target date the province set and that has passed.
    pub behind: bool,
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

    /// Adds another row's counts (a total over rows).
    fn merge(&mut self, o: &Row) {
        self.systems += o.systems;
        self.operating += o.operating;
        for (a, b) in self.by_level.iter_mut().zip(o.by_level) {
            *a += b;
        }
        self.operating_unapproved += o.operating_unapproved;
        self.plan_full += o.plan_full;
        self.plan_partial += o.plan_partial;
        self.plan_none += o.plan_none;
        self.submitted += o.submitted;
        self.under_appraisal += o.under_appraisal;
        self.appraised += o.appraised;
        self.overdue += o.overdue;
    }

    /// Shares for sorting; a unit with nothing operating sorts as fully done.
    fn approved_share(&self) -> f64 {
        share(self.approved(), self.operating)
    }
    fn plan_share(&self) -> f64 {
        share(self.plan_full, self.operating)
    }

    pub fn approved_pct(&self) -> String {
        pct(self.approved(), self.operating)
    }

    pub fn plan_pct(&self) -> String {
        pct(self.plan_full, self.operating)
    }
}

fn share(n: usize, of: usize) -> f64 {
    if of == 0 { 1.0 } else { n as f64 / of as f64 }
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
    q: ViewQuery,
    /// The query string, for the export link.
    query: String,
    kinds: Vec<&'static str>,
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
    /// Link that sorts by `key` (flipping the direction when already sorted by it),
    /// keeping the unit-kind filter.
    fn sort_link(&self, key: &str) -> String {
        let dir = if self.q.sort == key && self.q.dir != "desc" { "desc" } else { "asc" };
        let q = ViewQuery {
            sort: key.to_string(),
            dir: dir.to_string(),
            kind: self.q.kind.clone(),
        };
        format!("?{}", serde_urlencoded::to_string(&q).unwrap_or_default())
    }
    /// ▲/▼ beside the column the table is sorted by.
    fn sort_mark(&self, key: &str) -> &'static str {
        match (self.q.sort == key, self.q.dir == "desc") {
            (true, true) => " ▼",
            (true, false) => " ▲",
            _ => "",
        }
    }
}

/// How the province table is asked for: sorted by a column, narrowed to a unit kind.
#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize)]
#[serde(default)]
pub struct ViewQuery {
    /// `unit` (default), `operating`, `approved`, `unapproved`, `plan`, `waiting`, `overdue`.
    pub sort: String,
    pub dir: String,
    /// A unit kind (`department`, `commune`, `public_service`, …); empty for all.
    pub kind: String,
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
        let (id, name, kind) = if by_owner {
            (&s.owner_unit_id, &s.owner_unit_name, &s.owner_unit_kind)
        } else {
            (&s.group_unit_id, &s.group_unit_name, &s.group_unit_kind)
        };
        let row = by_unit
            .entry((khien_domain::text::fold(name), id.clone()))
            .or_insert_with(|| Row {
                unit_id: id.clone(),
                unit: name.clone(),
                kind: kind.clone(),
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

/// The tally of the viewer's scope. Province-wide it is kept between requests
/// (recomputed after a write); a subtree's is a few index lookups and computed each time.
async fn kept_tally(state: &AppState, auth: &Auth<AnyRole>, today: time::Date) -> khien_store::error::Result<std::sync::Arc<Tally>> {
    if auth.principal.scope() == khien_domain::Scope::Province {
        let key = format!("levels:{}", khien_domain::time_fmt::iso_date(today));
        state.store.cached(&key, || tally(state, auth, today)).await
    } else {
        Ok(std::sync::Arc::new(tally(state, auth, today).await?))
    }
}

/// The systems in operation in the viewer's scope and how many of them have their
/// security plan fully implemented, as the province view counts them (the dashboards).
pub(crate) async fn plans_implemented(state: &AppState, auth: &Auth<AnyRole>) -> khien_store::error::Result<(i64, i64)> {
    let tl = kept_tally(state, auth, state.store.today_vn()).await?;
    let n = |v: usize| i64::try_from(v).unwrap_or(i64::MAX);
    Ok((n(tl.total.plan_full), n(tl.total.operating)))
}

/// What the page and its export show: the rows as asked for, their total, the targets.
struct View {
    rows: Vec<Row>,
    total: Row,
    targets: Vec<Target>,
    overdue_systems: Vec<SystemSecurity>,
    overdue_more: usize,
}

async fn view(state: &AppState, auth: &Auth<AnyRole>, t: &crate::i18n::T, q: &ViewQuery) -> AppResult<View> {
    let today = state.store.today_vn();
    let today_iso = khien_domain::time_fmt::iso_date(today);
    let tl = kept_tally(state, auth, today).await?;
    let mut rows: Vec<Row> = tl
        .rows
        .iter()
        .filter(|r| q.kind.is_empty() || r.kind == q.kind)
        .cloned()
        .collect();
    // A kind filter totals what it shows; otherwise the scope's total.
    let mut total = if q.kind.is_empty() {
        tl.total.clone()
    } else {
        let mut sum = Row::default();
        for r in &rows {
            sum.merge(r);
        }
        sum
    };
    total.unit = t.s("province.total").to_string();
    let mut targets = Vec::new();
    let mut missed_approval = false;
    let mut missed_plan = false;
    for (key, label_key, done) in [
        (TARGET_APPROVAL, "province.target_approval", total.approved()),
        (TARGET_PLAN, "province.target_plan", total.plan_full),
    ] {
        let date = state.store.setting(key).await?;
        let passed = date.as_deref().is_some_and(|d| d < today_iso.as_str());
        match key {
            TARGET_APPROVAL => missed_approval = passed,
            _ => missed_plan = passed,
        }
        targets.push(Target {
            label_key,
            date,
            pct: pct(done, total.operating),
            missed: passed && done < total.operating,
        });
    }
    // A unit is behind when a target date has passed and it has not reached it.
    for r in &mut rows {
        r.behind = (missed_approval && r.approved() < r.operating)
            || (missed_plan && r.plan_full < r.operating);
    }
    let desc = q.dir == "desc";
    let waiting = |r: &Row| r.submitted + r.under_appraisal + r.appraised;
    match q.sort.as_str() {
        "operating" => rows.sort_by_key(|r| r.operating),
        "approved" => rows.sort_by(|a, b| a.approved_share().total_cmp(&b.approved_share())),
        "unapproved" => rows.sort_by_key(|r| r.operating_unapproved),
        "plan" => rows.sort_by(|a, b| a.plan_share().total_cmp(&b.plan_share())),
        "waiting" => rows.sort_by_key(waiting),
        "overdue" => rows.sort_by_key(|r| r.overdue),
        _ => {} // by unit name, as the tally keeps them
    }
    if desc {
        rows.reverse();
    }
    Ok(View {
        rows,
        total,
        targets,
        overdue_systems: tl.overdue_systems.clone(),
        overdue_more: tl.overdue_more,
    })
}

pub async fn page(
    State(state): State<AppState>,
    auth: Auth<AnyRole>,
    c: Chrome,
    axum::extract::Query(q): axum::extract::Query<ViewQuery>,
) -> AppResult<Html<String>> {
    let v = view(&state, &auth, &c.t, &q).await?;
    let query = serde_urlencoded::to_string(&q).unwrap_or_default();
    render(&OverviewPage {
        c,
        q,
        query,
        kinds: khien_domain::units::UnitKind::ALL.iter().map(|k| k.as_str()).collect(),
        rows: v.rows,
        total: v.total,
        targets: v.targets,
        overdue_systems: v.overdue_systems,
        overdue_more: v.overdue_more,
    })
}

/// The province table as the page shows it (same sort and filter), as XLSX.
pub async fn export(
    State(state): State<AppState>,
    auth: Auth<AnyRole>,
    c: Chrome,
    axum::extract::Query(q): axum::extract::Query<ViewQuery>,
) -> AppResult<axum::response::Response> {
    let t = &c.t;
    let v = view(&state, &auth, t, &q).await?;
    let column = |h: String, width: f64| khien_docs::xlsx::Column {
        header: h,
        width,
        choices: vec![],
    };
    let mut columns = vec![
        column(t.s("users.unit").into(), 40.0),
        column(t.s("province.kind").into(), 18.0),
        column(t.s("province.operating").into(), 12.0),
    ];
    for l in 1..=5 {
        columns.push(column(format!("{} {l}", t.s("level.level")), 9.0));
    }
    for key in [
        "province.unapproved",
        "province.approved_pct",
        "province.plan_full",
        "province.plan_partial",
        "province.plan_none",
        "province.plan_pct",
    ] {
        columns.push(column(t.s(key).into(), 12.0));
    }
    for st in ["submitted", "under_appraisal", "appraised"] {
        columns.push(column(t.label("dossier_status", st), 14.0));
    }
    columns.push(column(t.s("province.overdue").into(), 10.0));
    columns.push(column(t.s("province.behind").into(), 14.0));
    let row = |r: &Row| {
        let mut out = vec![
            r.unit.clone(),
            if r.kind.is_empty() { String::new() } else { t.label("unit_kind", &r.kind) },
            r.operating.to_string(),
        ];
        out.extend(r.by_level.iter().map(|n| n.to_string()));
        out.extend([
            r.operating_unapproved.to_string(),
            r.approved_pct(),
            r.plan_full.to_string(),
            r.plan_partial.to_string(),
            r.plan_none.to_string(),
            r.plan_pct(),
            r.submitted.to_string(),
            r.under_appraisal.to_string(),
            r.appraised.to_string(),
            r.overdue.to_string(),
            if r.behind { t.s("common.yes").to_string() } else { String::new() },
        ]);
        out
    };
    let mut rows: Vec<Vec<String>> = v.rows.iter().map(row).collect();
    rows.push(row(&v.total));
    crate::support::xlsx_download(
        t.s("province.sheet").to_string(),
        columns,
        rows,
        None,
        "khien-cap-do-theo-don-vi.xlsx",
    )
    .await
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
    let html = page(State(state), viewer, c, axum::extract::Query(ViewQuery::default())).await?;
    Ok((axum::http::StatusCode::UNPROCESSABLE_ENTITY, html).into_response())
}
