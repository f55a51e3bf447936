//! Documents made from the inventory: a dossier's overview (DOCX, state format) and the
//! annual report of systems by level (Decree 331 Form 08) as XLSX and DOCX, for the
//! caller's scope or one unit's subtree.

use axum::extract::{Path, Query, State};
use axum::response::Response;
use khien_docs::annual::{
    AnnualReport, ApprovalStatus, DecisionRef, Inspection, PlanStatus, ReportScope, SystemRow,
    form08_docx, form08_xlsx,
};
use khien_docs::dossier::{
    Component, Criterion, DataSubjects, DossierOverview, IpRange, LevelProposal, Network,
    Organisation, PlanSummary, Representative, SystemProfile, overview_docx,
};
use khien_docs::{DocHeader, Signature};
use khien_domain::dossiers::DossierStatus;
use khien_store::units::Unit;
use time::Date;

use crate::AppState;
use crate::auth::Auth;
use crate::auth::roles::AnyRole;
use crate::error::{AppError, AppResult};
use crate::view::Chrome;

pub(crate) const DOCX: &str = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";
pub(crate) const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// Generates a document off the async threads and sends it as a download.
pub(crate) async fn generated(
    make: impl FnOnce() -> Result<Vec<u8>, khien_docs::DocError> + Send + 'static,
    mime: &str,
    name: &str,
) -> AppResult<Response> {
    let bytes = crate::support::blocking::run(make).await?.map_err(err)?;
    Ok(crate::support::download_bytes(name, mime, bytes))
}

/// `?format=pdf` on a document's address: the PDF copy of its DOCX instead.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct AsPdf(pub bool);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for AsPdf {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, _: &S) -> Result<Self, Self::Rejection> {
        let pdf = parts
            .uri
            .query()
            .is_some_and(|q| form_urlencoded_pairs(q).any(|(k, v)| k == "format" && v == "pdf"));
        Ok(AsPdf(pdf))
    }
}

fn form_urlencoded_pairs(q: &str) -> impl Iterator<Item = (String, String)> + '_ {
    serde_urlencoded::from_str::<Vec<(String, String)>>(q).unwrap_or_default().into_iter()
}

pub(crate) const PDF: &str = "application/pdf";

/// A state-format document as a download: its DOCX, or with `?format=pdf` the same
/// DOCX rendered to PDF by LibreOffice (`support::pdf`). `name` ends in `.docx`.
pub(crate) async fn document(
    state: &AppState,
    as_pdf: AsPdf,
    make: impl FnOnce() -> Result<Vec<u8>, khien_docs::DocError> + Send + 'static,
    name: &str,
) -> AppResult<Response> {
    if !as_pdf.0 {
        return generated(make, DOCX, name).await;
    }
    let docx = crate::support::blocking::run(make).await?.map_err(err)?;
    let pdf = crate::support::pdf::docx_to_pdf(state.config.pdf_converter.as_deref(), docx).await?;
    let name = format!("{}.pdf", name.strip_suffix(".docx").unwrap_or(name));
    Ok(crate::support::download_bytes(&name, PDF, pdf))
}

/// The place name of date lines: the province's name without "Ủy ban nhân dân tỉnh".
pub(crate) fn place(root: Option<&Unit>) -> String {
    let name = root.map(|u| u.fields.name.clone()).unwrap_or_default();
    for prefix in [
        "Ủy ban nhân dân tỉnh ",
        "UBND tỉnh ",
        "Ủy ban nhân dân thành phố ",
        "UBND thành phố ",
    ] {
        if let Some(rest) = name.strip_prefix(prefix) {
            return rest.to_string();
        }
    }
    name
}

pub(crate) fn organisation(u: &Unit) -> Organisation {
    let f = &u.fields;
    let s = |o: &Option<String>| o.clone().unwrap_or_default();
    Organisation {
        name: f.name.clone(),
        mandate: String::new(),
        address: s(&f.address),
        phone: f
            .report_phone
            .clone()
            .or_else(|| f.leader_phone.clone())
            .unwrap_or_default(),
        email: f
            .report_email
            .clone()
            .or_else(|| f.leader_email.clone())
            .unwrap_or_default(),
        representative: Representative {
            name: s(&f.leader_name),
            title: s(&f.leader_title),
        },
    }
}

fn err(e: khien_docs::DocError) -> AppError {
    AppError::Internal(format!("document: {e}"))
}

/// The letterhead of a document `unit` issues (Decree 30/2020 Appendix I): its direct
/// governing body above it, when it has one.
pub(crate) async fn letterhead(state: &AppState, unit: &Unit, place: String, date: Date, number: Option<String>) -> AppResult<DocHeader> {
    let parent = match &unit.parent_id {
        Some(p) => Some(state.store.as_system().unit(p).await?.fields.name),
        None => None,
    };
    Ok(DocHeader {
        parent_body: parent,
        issuer: unit.fields.name.clone(),
        number,
        place,
        date,
    })
}

/// A document the viewer's unit issues today: its unit, the letterhead (with the
/// province's place name) and the signature block its leader signs, with `recipients`.
pub(crate) struct Issued {
    pub unit: Unit,
    pub place: String,
    pub header: DocHeader,
    pub signature: Signature,
}

pub(crate) async fn issued_by(state: &AppState, unit_id: &str, recipients: Vec<String>) -> AppResult<Issued> {
    let unit = state.store.as_system().unit(unit_id).await?;
    let root = state.store.root_unit().await?;
    let place = place(root.as_ref());
    let header = letterhead(state, &unit, place.clone(), today(state), report_number(&unit)).await?;
    let signature = signer(&unit, recipients);
    Ok(Issued { unit, place, header, signature })
}

/// "Số:     /BC-<unit code>": the number is given at issuance by the records office,
/// the symbol is the kind of document and the issuer's abbreviation.
pub(crate) fn report_number(unit: &Unit) -> Option<String> {
    Some(format!("       /BC-{}", unit.fields.code.to_uppercase()))
}

/// Who signs for `unit`, as its leader's position requires; a People's Committee is a
/// collegial body ("TM. Ủy ban nhân dân").
pub(crate) fn signer(unit: &Unit, recipients: Vec<String>) -> Signature {
    use khien_domain::units::UnitKind;
    let collegial = matches!(unit.fields.kind, UnitKind::Province | UnitKind::Commune).then_some("Ủy ban nhân dân");
    Signature::for_signer(
        unit.fields.leader_title.as_deref().unwrap_or(""),
        unit.fields.leader_name.as_deref().unwrap_or(""),
        collegial,
        recipients,
    )
}

pub(crate) fn today(state: &AppState) -> Date {
    state
        .store
        .now()
        .to_offset(khien_domain::time_fmt::VIETNAM)
        .date()
}

pub async fn dossier_overview(
    State(state): State<AppState>,
    auth: Auth<AnyRole>,
    c: Chrome,
    as_pdf: AsPdf,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let scoped = auth.scoped(&state);
    let d = scoped.dossier(&id).await?;
    let s = scoped.system(&d.system_id).await?;
    let a = scoped.assessment(&d.assessment_id).await?;
    // Owner and operator are named in the document even when the operator (a provider,
    // the provincial data centre) is outside the caller's scope: it is the system's own
    // record, already visible on its page.
    let all = state.store.as_system();
    let owner = all.unit(&s.fields.owner_unit_id).await?;
    let operator = all.unit(&s.fields.operator_unit_id).await?;
    let plan = scoped.plan(&s.id).await?;
    let p = plan.as_ref().map(|p| p.progress).unwrap_or_default();
    let t = c.t;
    let party = |r: &str| crate::levels::pages::party_name(&state.config.authority_names, &t, r);
    let regime =
        khien_levels::load_regime(&d.regime).map_err(|e| AppError::Internal(e.to_string()))?;
    let f = &s.fields;
    let header = letterhead(&state, &owner, place(state.store.root_unit().await?.as_ref()), today(&state), None).await?;
    let appraiser = party(&a.appraiser);
    let doc = DossierOverview {
        header,
        owner: organisation(&owner),
        operator: organisation(&operator),
        system: SystemProfile {
            name: f.name.clone(),
            system_type: t.label("system_type", f.system_type.as_str()),
            status: t.label("status", f.status.as_str()),
            go_live: f.go_live(),
            scope: f.description.clone().unwrap_or_default(),
            users: String::new(),
            information_types: f
                .information_types
                .iter()
                .map(|i| t.label("info", i.as_str()))
                .collect(),
            data_subjects: vec![
                DataSubjects {
                    label: t.s("field.personal_subjects").into(),
                    count: u64::try_from(f.personal_subjects).unwrap_or(0),
                },
                DataSubjects {
                    label: t.s("field.sensitive_subjects").into(),
                    count: u64::try_from(f.sensitive_subjects).unwrap_or(0),
                },
            ],
            hosting: s.hosting_system_name.clone().unwrap_or_default(),
        },
        components: f
            .components
            .iter()
            .map(|k| Component {
                vendor: k.vendor.clone(),
                product: k.product.clone(),
                version: k.version.clone(),
                cpe: Some(k.cpe.clone()).filter(|c| !c.is_empty()),
            })
            .collect(),
        network: Network {
            addresses: f.urls.clone(),
            ip_ranges: f
                .ip_ranges
                .iter()
                .map(|r| IpRange {
                    range: r.clone(),
                    zone: String::new(),
                })
                .collect(),
        },
        level: LevelProposal {
            level: d.level,
            criteria: a
                .criteria
                .iter()
                .map(|k| Criterion {
                    article: k.article.clone(),
                    text: k.text.clone(),
                })
                .collect(),
            regime: regime.title.clone(),
            appraiser: party(&a.appraiser),
            approver: party(&a.approver),
            expert_opinion: regime
                .authority(d.level)
                .and_then(|au| au.expert_opinion)
                .map(|r| party(r.as_str())),
            provisional: d.status != DossierStatus::Approved,
        },
        plan: PlanSummary {
            met: u32::try_from(p.met + p.inherited + p.not_applicable).unwrap_or(0),
            partly: u32::try_from(p.partly).unwrap_or(0),
            not_started: u32::try_from(p.not_started).unwrap_or(0),
        },
        signature: signer(&owner, vec![format!("{appraiser} (thẩm định);"), "Lưu: VT.".into()]),
    };
    document(&state, as_pdf, move || overview_docx(&doc), &format!("thuyet-minh-cap-do-v{}.docx", d.version)).await
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct AnnualQuery {
    unit_id: String,
    year: i32,
}

async fn annual(
    state: &AppState,
    auth: &Auth<AnyRole>,
    q: &AnnualQuery,
) -> AppResult<AnnualReport> {
    let scoped = auth.scoped(state);
    let today = today(state);
    let year = if (2016..=2100).contains(&q.year) {
        q.year
    } else {
        today.year()
    };
    // A unit's report covers its subtree; without a unit, the caller's whole scope —
    // the province's for the department, the caller's own unit otherwise (a unit's
    // report is headed as the unit's, never as the province's).
    let unit_id = if q.unit_id.is_empty() && auth.principal.scope() != khien_domain::Scope::Province {
        auth.principal.unit_id.clone()
    } else {
        q.unit_id.clone()
    };
    let unit = if unit_id.is_empty() {
        None
    } else {
        Some(scoped.unit(&unit_id).await?)
    };
    // Column (9): the province's target for approving every level; column (11): the
    // latest due date the plan's open requirements carry, else the province's plan target.
    let target = |key: &str| {
        let key = key.to_string();
        async move {
            Ok::<_, AppError>(
                state
                    .store
                    .setting(&key)
                    .await?
                    .as_deref()
                    .and_then(khien_domain::time_fmt::parse_iso_date),
            )
        }
    };
    let approval_target = target(crate::levels::province::TARGET_APPROVAL).await?;
    let plan_target = target(crate::levels::province::TARGET_PLAN).await?;
    let plan_due = scoped.latest_plan_due_dates().await?;
    let inspected = scoped.inspections(year).await?;
    let root = state.store.root_unit().await?;
    let overview: std::collections::HashMap<String, _> = scoped
        .security_overview(today, &state.config.calendar)
        .await?
        .into_iter()
        .map(|o| (o.system_id.clone(), o))
        .collect();
    let dossiers = scoped.current_dossiers().await?;
    let units: std::collections::HashMap<String, Unit> = state
        .store
        .as_system()
        .units(true)
        .await?
        .into_iter()
        .map(|u| (u.id.clone(), u))
        .collect();
    let systems = scoped
        .systems(
            &khien_store::systems::SystemFilter {
                unit_id: unit_id.clone(),
                ..Default::default()
            },
            None,
        )
        .await?
        .items;
    let decision =
        |no: &Option<String>, date: &Option<String>, issuer: &str| -> Option<DecisionRef> {
            Some(DecisionRef {
                number: no.clone()?,
                date: date
                    .as_deref()
                    .and_then(khien_domain::time_fmt::parse_iso_date)?,
                issuer: issuer.to_string(),
            })
        };
    let mut rows = Vec::new();
    for s in &systems {
        let Some(sec) = overview.get(&s.id) else {
            continue;
        };
        // Form 08 lists systems with a level (approved or at least proposed).
        let Some(level) = sec.approved_level.or(sec.proposed_level) else {
            continue;
        };
        let current = dossiers
            .iter()
            .map(|(d, _)| d)
            .filter(|d| d.system_id == s.id)
            .max_by_key(|d| d.version);
        let status = match current.map(|d| d.status) {
            Some(DossierStatus::Approved) => ApprovalStatus::Approved,
            Some(DossierStatus::Appraised) => ApprovalStatus::Appraised,
            Some(DossierStatus::Submitted | DossierStatus::UnderAppraisal) => {
                ApprovalStatus::SentForAppraisal
            }
            _ => ApprovalStatus::Drafting,
        };
        let owner = units
            .get(&s.fields.owner_unit_id)
            .map(|u| u.fields.name.clone())
            .unwrap_or_default();
        rows.push(SystemRow {
            name: s.fields.name.clone(),
            owner: owner.clone(),
            operator: units
                .get(&s.fields.operator_unit_id)
                .map(|u| u.fields.name.clone())
                .unwrap_or_default(),
            proposed_level: level,
            approval_status: status,
            approval_decision: current.and_then(|d| {
                decision(
                    &d.decision_no,
                    &d.decision_date,
                    d.decision_by.as_deref().unwrap_or(""),
                )
            }),
            security_regulation: current
                .and_then(|d| decision(&d.regulation_no, &d.regulation_date, &owner)),
            expected_approval: (status != ApprovalStatus::Approved).then_some(approval_target).flatten(),
            plan_status: match sec.plan {
                "full" => PlanStatus::Fully,
                "partial" => PlanStatus::Partly,
                _ => PlanStatus::NotImplemented,
            },
            expected_full_implementation: (sec.plan != "full")
                .then(|| plan_due.get(&s.id).copied().or(plan_target))
                .flatten(),
            // Column (12): the assessments recorded for the system.
            inspection: {
                let i = inspected.get(&s.id).copied().unwrap_or_default();
                Inspection { before_go_live: i.before_go_live, periodic: i.periodic }
            },
        });
    }
    // The unit's report goes to the department; the province's to the national
    // authority (Circular 12/2022 Art 14; Decree 331 Art 35).
    let issuing = unit.as_ref().or(root.as_ref());
    let (header, signature) = match issuing {
        Some(u) => {
            let vi = crate::i18n::T { lang: crate::i18n::Lang::Vi };
            let party = |r: &str| crate::levels::pages::party_name(&state.config.authority_names, &vi, r);
            let to = if unit.is_some() { party("specialised_unit") } else { party("ministry_ict") };
            let recipients = vec![format!("{to};"), "Lưu: VT.".into()];
            (
                letterhead(state, u, place(root.as_ref()), today, report_number(u)).await?,
                signer(u, recipients),
            )
        }
        None => (
            DocHeader {
                parent_body: None,
                issuer: String::new(),
                number: None,
                place: place(root.as_ref()),
                date: today,
            },
            Signature::default(),
        ),
    };
    let scope = match &unit {
        Some(u) => ReportScope::Unit {
            name: u.fields.name.clone(),
        },
        None => ReportScope::Province {
            name: place(root.as_ref()),
        },
    };
    let first = Date::from_calendar_date(year, time::Month::January, 1)
        .map_err(|e| AppError::Internal(e.to_string()))?;
    let last = Date::from_calendar_date(year, time::Month::December, 31)
        .map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(AnnualReport {
        header,
        scope,
        year,
        period_from: first,
        period_to: last.min(today),
        systems: rows,
        expected_all_approved: approval_target,
        signature,
    })
}

pub async fn annual_xlsx(
    State(state): State<AppState>,
    auth: Auth<AnyRole>,
    Query(q): Query<AnnualQuery>,
) -> AppResult<Response> {
    let report = annual(&state, &auth, &q).await?;
    let name = format!("bao-cao-cap-do-{}.xlsx", report.year);
    generated(move || form08_xlsx(&report), XLSX, &name).await
}

pub async fn annual_docx(
    State(state): State<AppState>,
    auth: Auth<AnyRole>,
    as_pdf: AsPdf,
    Query(q): Query<AnnualQuery>,
) -> AppResult<Response> {
    let report = annual(&state, &auth, &q).await?;
    let name = format!("bao-cao-cap-do-{}.docx", report.year);
    document(&state, as_pdf, move || form08_docx(&report), &name).await
}
