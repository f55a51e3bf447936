//! The demo's security-by-level history: every system's level determined, most dossiers
//! approved over the past years, some waiting at each stage (a few of them overdue), the
//! data centre and cloud with their plans met so hosted systems inherit.

use std::sync::Arc;

use khien_domain::dossiers::{DossierStatus, Transition};
use khien_levels::{LevelInput, classify};
use khien_store::Store;
use khien_store::dossiers::TransitionData;
use khien_store::plans::RequirementUpdate;
use time::Duration;

use super::Rng;

pub struct Summary {
    pub determined: usize,
    pub approved: usize,
    pub pending: usize,
}

const PARTS: [&str; 4] = ["overview", "design", "level_justification", "security_plan"];

/// The demo's store as of `days` ago, so legal clocks have been running.
fn days_ago(store: &Store, days: i64) -> Store {
    let at = store.now() - Duration::days(days);
    store.clone().with_clock(Arc::new(move || at))
}

pub async fn populate(store: &Store, systems: &[String], rng: &mut Rng) -> anyhow::Result<Summary> {
    let mut summary = Summary {
        determined: 0,
        approved: 0,
        pending: 0,
    };
    for (i, id) in systems.iter().enumerate() {
        let s = store.as_system().system(id).await?;
        // Systems that went live before Decree 331 were classified under Decree 85.
        let regime = if s
            .fields
            .go_live_date
            .as_deref()
            .is_some_and(|d| d < "2026-08-19")
        {
            "nd85-2016"
        } else {
            "nd331-2026"
        };
        let answers = LevelInput {
            online_public_service_level: if s.fields.handles_admin_procedures {
                3
            } else {
                0
            },
            infrastructure_scope: if s.fields.system_type
                == khien_domain::systems::SystemType::Infrastructure
            {
                khien_levels::input::InfrastructureScope::SectorOrProvince
            } else {
                khien_levels::input::InfrastructureScope::None
            },
            ..LevelInput::default()
        };
        let input = khien_domain::levels::level_input(regime, &s.fields, &answers);
        let d = classify(&input)?;
        // Outcome: mostly approved long ago; some at each stage, started 2–40 days ago.
        let roll = if i < 2 { 0 } else { rng.below(20) };
        let age = if roll < 12 {
            300 + rng.below(700)
        } else {
            2 + rng.below(38)
        };
        let then = days_ago(store, i64::try_from(age).unwrap_or(30));
        let sys = then.as_system();
        let a = sys.record_assessment(id, &input, &d).await?;
        summary.determined += 1;
        if roll >= 18 {
            continue; // determined, no dossier yet
        }
        let dossier = sys.create_dossier(&a.id).await?;
        if roll == 17 {
            continue; // a draft
        }
        for part in PARTS {
            let f = store
                .blobs
                .put(&format!("{part}.pdf"), format!("Tài liệu mẫu: {part}").as_bytes())
                .await?;
            sys.attach_to_dossier(&dossier.id, part, &f).await?;
        }
        sys.set_regulation(
            &dossier.id,
            &format!("{}/QĐ-QC", 10 + i),
            &khien_domain::time_fmt::iso_date(then.now().date()),
        )
        .await?;
        let mut steps = vec![Transition::Submit];
        match roll {
            0..=11 => steps.extend([
                Transition::StartAppraisal,
                Transition::RecordAppraisal,
                Transition::Approve,
            ]),
            12..=13 => steps.extend([Transition::StartAppraisal, Transition::RecordAppraisal]),
            14..=15 => steps.push(Transition::StartAppraisal),
            _ => {}
        }
        if d.level >= 4 && steps.contains(&Transition::StartAppraisal) {
            let f = store
                .blobs
                .put("y-kien-chuyen-mon.pdf", b"Y kien chuyen mon")
                .await?;
            sys.attach_to_dossier(&dossier.id, "expert_opinion", &f).await?;
        }
        let data = TransitionData {
            appraisal_opinion: "Hồ sơ đáp ứng tiêu chí của cấp độ đề xuất.".into(),
            appraisal_ref: format!("{}/TĐ-SKHCN", 100 + i),
            decision_no: format!("{}/QĐ-UBND", 1000 + i),
            decision_date: khien_domain::time_fmt::format_date(then.now().date()),
            decision_by: "Chủ tịch UBND tỉnh".into(),
            ..TransitionData::default()
        };
        let mut last = DossierStatus::Draft;
        for t in steps {
            last = sys.transition(&dossier.id, t, &data).await?.status;
        }
        if last == DossierStatus::Approved {
            summary.approved += 1;
        } else {
            summary.pending += 1;
        }
    }
    // The data centre and the cloud (the first two systems) have implemented their plans.
    for host in systems.iter().take(2) {
        let sys = store.as_system();
        if let Some(plan) = sys.plan(host).await? {
            for item in plan.items {
                sys.set_requirement(
                    host,
                    &item.key,
                    &RequirementUpdate {
                        status: "met".into(),
                        ..RequirementUpdate::default()
                    },
                )
                .await?;
            }
        }
    }
    Ok(summary)
}
