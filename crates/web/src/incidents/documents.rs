//! The reports an incident owes, as DOCX in state format: Form 03, Form 04, the
//! notifications and reports of both regimes and the personal-data breach notice
//! (`khien_docs::incident`). Linked from each row of "Thời hạn báo cáo" on the incident
//! page (the reports the clock engine says it owes); whoever sees the incident may make
//! them. The document is issued by the
//! downloader's unit (who downloads a report is who sends it), with the downloader as
//! the contact person and the unit's leader as the signer, and carries the legal basis
//! the clock engine cites for that report.

use axum::extract::{Path, Query, State};
use axum::response::Response;
use khien_docs::incident::{
    AffectedSystem, Contact, IncidentDocKind, IncidentDocument, Indicator, PersonalData, SentRef, Step, incident_docx,
};
use khien_domain::incidents::{PersonalDataImpact, Status, Tlp, local_minute_text};
use khien_domain::time_fmt::parse_rfc3339;
use serde::Deserialize;

use crate::AppState;
use crate::auth::Auth;
use crate::auth::roles::AnyRole;
use crate::error::{AppError, AppResult};
use crate::i18n::{Lang, T};
use crate::reports::pages as docs;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct DocQuery {
    kind: String,
}

fn minute(rfc3339: &str) -> String {
    parse_rfc3339(rfc3339).map(local_minute_text).unwrap_or_default()
}

/// GET `/incidents/{id}/document?kind=<report kind>`.
pub async fn report_docx(
    State(state): State<AppState>,
    auth: Auth<AnyRole>,
    as_pdf: docs::AsPdf,
    Path(id): Path<String>,
    Query(q): Query<DocQuery>,
) -> AppResult<Response> {
    let scoped = auth.scoped(&state);
    // The incident first: one the viewer does not see is "not found" whatever the kind.
    let d = scoped.incident_detail(&id).await?;
    let i = &d.incident;
    let vi = T { lang: Lang::Vi };
    // A document exists for each report the incident owes: the clock engine's list.
    let (deadlines, _) = super::pages::deadlines_of(&state, &auth, &vi, i).await?;
    let owed = deadlines.iter().find(|r| r.kind == q.kind).ok_or(AppError::NotFound)?;
    let kind = IncidentDocKind::parse(&owed.kind).ok_or(AppError::NotFound)?;
    let basis = owed.basis.clone();
    let initial_report = deadlines
        .iter()
        .find(|r| r.kind == "initial_report")
        .and_then(|r| r.sent.as_ref())
        .map(|s| SentRef { reference: s.reference.clone(), sent_at: minute(&s.sent_at) });

    let party = |r: &str| crate::levels::pages::party_name(&state.config.authority_names, &vi, r);
    let to: Vec<String> = match kind {
        IncidentDocKind::PersonalDataBreachNotice => vec![party("ministry_public_security")],
        _ if i.regime == "nd85-2016" => vec![party("specialised_unit"), party("ministry_ict")],
        _ => vec![party("specialised_unit"), party("ministry_public_security")],
    };
    let mut recipients: Vec<String> = to.iter().map(|t| format!("{t};")).collect();
    recipients.push("Lưu: VT.".into());
    let issued = docs::issued_by(&state, &auth.principal.unit_id, recipients).await?;
    let org = docs::organisation(&issued.unit);
    let sys = state.store.as_system();
    let me = sys.user(&auth.principal.user_id).await?;

    let mut systems = Vec::new();
    for s in &d.systems {
        // The incident is visible, so are the names of the systems it affects.
        let full = sys.system(&s.id).await?;
        systems.push(AffectedSystem {
            name: s.name.clone(),
            owner: full.owner_unit_name,
            operator: full.operator_unit_name,
            level: s.level,
            level_approved: s.level_approved,
        });
    }
    // TLP:RED is for named recipients only: it stays out of a document sent onwards.
    let mut indicators: Vec<Indicator> = d
        .observables
        .iter()
        .filter(|o| o.tlp != Tlp::Red)
        .map(|o| Indicator { kind: vi.label("observable_kind", o.kind.as_str()), value: o.value.clone() })
        .collect();
    let red = d.observables.len() - indicators.len();
    if red > 0 {
        indicators.push(Indicator { kind: "TLP:RED".into(), value: format!("{red} dấu hiệu chỉ chia sẻ cho người nhận được chỉ định, không đưa vào văn bản") });
    }
    let document = IncidentDocument {
        kind,
        legacy: i.regime == "nd85-2016",
        header: issued.header,
        to,
        basis,
        reference: i.reference.clone(),
        reporter: Contact { name: org.name, title: String::new(), address: org.address, phone: org.phone, email: org.email },
        contact_person: Contact {
            name: me.display_name,
            title: String::new(),
            address: String::new(),
            phone: String::new(),
            email: me.email.unwrap_or_default(),
        },
        title: i.title.clone(),
        description: i.description.clone(),
        detected_at: minute(&i.detected_at),
        incident_type: vi.label("incident_type", i.incident_type.as_str()),
        severity: vi.label("severity", i.severity.as_str()),
        status: vi.label("incident_status", i.status.as_str()),
        handled: matches!(i.status, Status::Contained | Status::Recovered | Status::Closed),
        detection_source: vi.label("source", i.source.as_str()),
        systems,
        indicators,
        steps: d.timeline.iter().map(|e| Step { at: minute(&e.at), text: e.text.clone() }).collect(),
        attachments: d.evidence.iter().map(|e| (e.name.clone(), e.sha256.clone())).collect(),
        initial_report,
        personal_data: (i.pd_impact != PersonalDataImpact::None || kind == IncidentDocKind::PersonalDataBreachNotice).then(|| PersonalData {
            kind: match i.pd_impact {
                PersonalDataImpact::None => String::new(),
                other => vi.label("pd_impact", other.as_str()),
            },
            subjects: i.pd_subjects.and_then(|n| u64::try_from(n).ok()),
            confirmed_at: i.pd_confirmed_at.as_deref().map(minute),
        }),
        response_ended_at: i.recovered_at.as_deref().map(minute),
        made_at: local_minute_text(state.store.now()),
        signature: issued.signature,
    };
    let name = format!("{}-{}.docx", i.reference.to_lowercase(), kind.as_str().replace('_', "-"));
    docs::document(&state, as_pdf, move || incident_docx(&document), &name).await
}
