//! Periodic reports generated from live data (issue 12 item 3): a unit's monthly,
//! quarterly and annual inspection reports, the department's consolidated report and
//! the Circular 20/2017 Form 05 incident report, from the templates in
//! data/reports/periodic.toml. `/reports` chooses the report, its period and (for the
//! department) its unit and shows its figures; the same figures download as DOCX (or
//! its PDF) and XLSX.

use axum::extract::{Query, State};
use axum::response::{Html, Response};
use khien_docs::periodic::{PeriodicReport, ReportSection, periodic_docx, periodic_xlsx};
use khien_duties::periodic::{Issuer, PeriodShape, ReportPeriod, Section, Template};
use khien_store::period_figures::PeriodFigures;

use crate::AppState;
use crate::auth::Auth;
use crate::auth::roles::AnyRole;
use crate::error::{AppError, AppResult};
use crate::reports::pages::{self as docs, AsPdf};
use crate::view::{Chrome, render};

#[derive(serde::Deserialize, Default, Clone)]
#[serde(default)]
pub struct ReportQuery {
    pub kind: String,
    pub period: String,
    pub unit_id: String,
}

/// A period offered in the choice list: its name and how a document says it.
pub struct PeriodChoice {
    pub name: String,
    pub label: String,
}

/// Why a chosen report cannot be made: a catalogue key and its one argument.
pub struct Refusal {
    pub key: &'static str,
    pub arg: String,
}

fn refused(key: &'static str, arg: impl Into<String>) -> AppResult<Result<Resolved, Refusal>> {
    Ok(Err(Refusal { key, arg: arg.into() }))
}

/// What a chosen report resolved to, or why it could not be.
struct Resolved {
    template: Template,
    period: ReportPeriod,
    /// The unit the report is about; none for the whole province.
    unit: Option<khien_store::units::Unit>,
    report: PeriodicReport,
}

#[derive(askama::Template)]
#[template(path = "reports/periodic.html")]
struct Page {
    c: Chrome,
    q: ReportQuery,
    templates: Vec<(String, String)>,
    periods: Vec<PeriodChoice>,
    units: Vec<(String, String)>,
    /// The chosen report's preview, or why it cannot be made.
    preview: Option<Result<PeriodicReport, Refusal>>,
    /// The query string of the downloads (kind, period, unit).
    download_query: String,
    pdf_available: bool,
}

impl Page {
    fn num(&self, v: &u64) -> String {
        crate::view::thousands(i64::try_from(*v).unwrap_or(i64::MAX))
    }
}

/// The templates the viewer may generate: a province report only for province-wide
/// roles.
fn offered(state: &AppState, auth: &Auth<AnyRole>) -> Vec<Template> {
    let wide = auth.principal.role.is_province_wide();
    state.config.report_templates.reports.iter().filter(|t| wide || t.issuer == Issuer::Unit).cloned().collect()
}

/// The periods offered: this and the previous months, quarters, halves and years.
fn period_choices(today: time::Date) -> Vec<PeriodChoice> {
    let mut out = Vec::new();
    for (shape, back) in [(PeriodShape::Month, 6), (PeriodShape::Quarter, 4), (PeriodShape::Half, 2), (PeriodShape::Year, 2)] {
        let mut p = ReportPeriod::containing(shape, today);
        for _ in 0..back {
            out.push(PeriodChoice { name: p.name.clone(), label: p.label_vi() });
            let Some(before) = p.first.previous_day() else { break };
            p = ReportPeriod::containing(shape, before);
        }
    }
    out
}

/// The default period of a template: the current one of its first shape.
fn current_period(t: &Template, today: time::Date) -> String {
    t.periods.first().map(|s| ReportPeriod::containing(*s, today).name).unwrap_or_default()
}

async fn resolve(state: &AppState, auth: &Auth<AnyRole>, q: &ReportQuery) -> AppResult<Result<Resolved, Refusal>> {
    let today = state.store.today_vn();
    let Some(template) = offered(state, auth).into_iter().find(|t| t.id == q.kind) else {
        return refused("periodic.err_kind", "");
    };
    let Some(period) = ReportPeriod::parse(&q.period) else {
        return refused("periodic.err_period", q.period.clone());
    };
    if !template.covers(&period) {
        return refused("periodic.err_shape", period.label_vi());
    }
    if period.first > today {
        return refused("periodic.err_future", period.label_vi());
    }
    let scoped = auth.scoped(state);
    // A unit's report covers its subtree. The department chooses the unit (none: the
    // whole province); everyone else reports for their own unit.
    let unit_id = if auth.principal.role.is_province_wide() { q.unit_id.clone() } else { auth.principal.unit_id.clone() };
    if template.issuer == Issuer::Province && !unit_id.is_empty() {
        return refused("periodic.err_province", template.name.clone());
    }
    let (view, unit) = if unit_id.is_empty() {
        (scoped, None)
    } else {
        let (view, unit) = scoped.narrowed_to_unit(&unit_id).await?;
        (view, Some(unit))
    };
    let figures = view.period_figures(period.first, period.last, today).await?;
    let units = if template.sections.iter().any(|s| matches!(s, Section::Units { .. })) {
        state.store.as_system().units(true).await?
    } else {
        Vec::new()
    };
    // The issuer: the unit reported on, else the viewer's unit (the department).
    let issuer_id = unit.as_ref().map_or(auth.principal.unit_id.as_str(), |u| u.id.as_str());
    let vi = crate::i18n::T { lang: crate::i18n::Lang::Vi };
    let recipient = crate::levels::pages::party_name(&state.config.authority_names, &vi, &template.recipient);
    let issued = docs::issued_by(state, issuer_id, vec![format!("{recipient};"), "Lưu: VT.".into()]).await?;
    let about = match &unit {
        Some(u) => u.fields.name.clone(),
        None => format!("tỉnh {}", issued.place),
    };
    let as_of = today.min(period.last);
    let coverage = format!(
        "Số liệu trong kỳ từ ngày {} đến ngày {}{}; số hệ thống thông tin và lỗ hổng còn mở tính đến ngày {}. Số liệu do Khiên tổng hợp từ những gì đã ghi nhận trên nền tảng (báo cáo rà quét đã nhập, săn tìm, sự cố, diễn tập, kiểm tra, đánh giá); việc đã làm nhưng chưa ghi nhận trên Khiên không được tính.",
        khien_domain::time_fmt::format_date(period.first),
        khien_domain::time_fmt::format_date(period.last),
        if today < period.last { " (kỳ chưa kết thúc: số liệu đến hôm nay)" } else { "" },
        khien_domain::time_fmt::format_date(as_of),
    );
    let sections = template.sections.iter().map(|s| section(s, &figures, &units, &vi)).collect();
    let report = PeriodicReport {
        header: issued.header,
        title: template.title.clone(),
        subject: format!("{} của {about}", capitalised(&period.label_vi())),
        recipient,
        basis: template.basis.clone(),
        coverage,
        sections,
        signature: issued.signature,
    };
    Ok(Ok(Resolved { template, period, unit, report }))
}

fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    c.next().map(|f| f.to_uppercase().chain(c).collect()).unwrap_or_default()
}

fn count(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

fn section(s: &Section, f: &PeriodFigures, units: &[khien_store::units::Unit], vi: &crate::i18n::T) -> ReportSection {
    match s {
        Section::Figures { heading, rows } => ReportSection::Figures {
            heading: heading.clone(),
            rows: rows.iter().map(|r| (r.label.clone(), count(f.total(&r.metric)))).collect(),
        },
        Section::Units { heading, columns } => {
            // Every unit with a figure, by name; the root (the province) is the total.
            let mut rows: Vec<(String, Vec<u64>)> = units
                .iter()
                .filter(|u| f.by_unit.get(&u.id).is_some_and(|m| m.values().any(|v| *v != 0)))
                .map(|u| (u.fields.name.clone(), columns.iter().map(|c| count(f.of_unit(&u.id, &c.metric))).collect()))
                .collect();
            rows.sort_by_cached_key(|a| khien_domain::text::fold(&a.0));
            ReportSection::Units {
                heading: heading.clone(),
                columns: columns.iter().map(|c| c.label.clone()).collect(),
                total: columns.iter().map(|c| count(f.total(&c.metric))).collect(),
                rows,
            }
        }
        Section::IncidentsByType { heading } => ReportSection::IncidentsByType {
            heading: heading.clone(),
            rows: f
                .incidents_by_type
                .iter()
                .map(|(t, n, closed, serious)| (vi.label("incident_type", t), count(*n), count(*closed), count(*serious)))
                .collect(),
        },
        Section::ToFill { heading, prompt } => ReportSection::ToFill { heading: heading.clone(), prompt: prompt.clone() },
    }
}

fn file_name(r: &Resolved, ext: &str) -> String {
    let unit = r.unit.as_ref().map(|u| format!("-{}", u.fields.code.to_lowercase())).unwrap_or_default();
    format!("{}-{}{unit}.{ext}", r.template.id.replace('_', "-"), r.period.name.to_lowercase())
}

pub async fn page(State(state): State<AppState>, auth: Auth<AnyRole>, c: Chrome, Query(mut q): Query<ReportQuery>) -> AppResult<Html<String>> {
    let today = state.store.today_vn();
    let templates = offered(&state, &auth);
    let preview = if q.kind.is_empty() {
        None
    } else {
        if q.period.is_empty()
            && let Some(t) = templates.iter().find(|t| t.id == q.kind)
        {
            q.period = current_period(t, today);
        }
        Some(resolve(&state, &auth, &q).await?.map(|r| r.report))
    };
    let units = if auth.principal.role.is_province_wide() {
        let mut u: Vec<(String, String)> = state.store.as_system().units(false).await?.into_iter().filter(|u| u.parent_id.is_some()).map(|u| (u.id, u.fields.name)).collect();
        u.sort_by_cached_key(|a| khien_domain::text::fold(&a.1));
        u
    } else {
        Vec::new()
    };
    let download_query = serde_urlencoded::to_string([("kind", q.kind.as_str()), ("period", q.period.as_str()), ("unit_id", q.unit_id.as_str())]).unwrap_or_default();
    render(&Page {
        c,
        templates: templates.iter().map(|t| (t.id.clone(), t.name.clone())).collect(),
        periods: period_choices(today),
        units,
        preview,
        download_query,
        pdf_available: state.config.pdf_converter.is_some(),
        q,
    })
}

async fn resolved_or_400(state: &AppState, auth: &Auth<AnyRole>, q: &ReportQuery) -> AppResult<Resolved> {
    resolve(state, auth, q).await?.map_err(|_| AppError::BadRequest("periodic.err_choice"))
}

pub async fn docx(State(state): State<AppState>, auth: Auth<AnyRole>, as_pdf: AsPdf, Query(q): Query<ReportQuery>) -> AppResult<Response> {
    let r = resolved_or_400(&state, &auth, &q).await?;
    let name = file_name(&r, "docx");
    let report = r.report;
    docs::document(&state, as_pdf, move || periodic_docx(&report), &name).await
}

pub async fn xlsx(State(state): State<AppState>, auth: Auth<AnyRole>, Query(q): Query<ReportQuery>) -> AppResult<Response> {
    let r = resolved_or_400(&state, &auth, &q).await?;
    let name = file_name(&r, "xlsx");
    let report = r.report;
    docs::generated(move || periodic_xlsx(&report), docs::XLSX, &name).await
}
