//! The province view of security by level: for every system in scope, its approved
//! level, its plan's state and its dossier's stage — computed from four queries, not
//! per system (the N+1 trap of DefectDojo-style dashboards).

use std::collections::HashMap;

use khien_domain::dossiers::{DossierStatus, stage_deadline};
use khien_domain::plans::{PlanProgress, ReqStatus, effective};
use khien_levels::{Calendar, load_regime};
use serde::Serialize;
use sqlx::Row;
use time::Date;

use crate::scope::ReadExt;
use crate::Scoped;
use crate::error::Result;
use crate::systems::SystemFilter;

#[derive(Debug, Clone, Serialize)]
pub struct SystemSecurity {
    pub system_id: String,
    pub name: String,
    pub owner_unit_id: String,
    pub owner_unit_name: String,
    pub operating: bool,
    pub approved_level: Option<u8>,
    pub proposed_level: Option<u8>,
    /// `full`, `partial` or `none` (no level yet counts as none).
    pub plan: &'static str,
    pub plan_percent: f64,
    /// The stage of the dossier in progress, if any.
    pub pending: Option<DossierStatus>,
    pub overdue: bool,
}

impl Scoped<'_> {
    pub async fn security_overview(
        &self,
        today: Date,
        calendar: &Calendar,
    ) -> Result<Vec<SystemSecurity>> {
        let systems = self.systems(&SystemFilter::default(), None).await?.items;
        let dossiers = self.current_dossiers().await?;
        let mut assessed: HashMap<String, u8> = HashMap::new();
        let mut regimes: HashMap<String, String> = HashMap::new();
        for r in sqlx::query("SELECT system_id, level, regime, created_at FROM level_assessments ORDER BY created_at, id").all(self).await? {
            let level: i16 = r.try_get("level")?;
            let id: String = r.try_get("system_id")?;
            assessed.insert(id.clone(), u8::try_from(level).unwrap_or(0));
            regimes.insert(id, r.try_get("regime")?);
        }
        // Own statuses of every system (hosts may lie outside the scope; only their
        // "met" flags are used, nothing of them is shown).
        let mut statuses: HashMap<String, HashMap<String, ReqStatus>> = HashMap::new();
        for r in sqlx::query("SELECT system_id, requirement_key, status FROM requirement_status")
            .all(self)
            .await?
        {
            let s: String = r.try_get("status")?;
            statuses.entry(r.try_get("system_id")?).or_default().insert(
                r.try_get("requirement_key")?,
                ReqStatus::parse(&s).ok_or_else(|| crate::StoreError::Corrupt("requirement status", s.clone()))?,
            );
        }
        let mut out = Vec::with_capacity(systems.len());
        for s in systems {
            let mine: Vec<_> = dossiers
                .iter()
                .filter(|(d, _)| d.system_id == s.id)
                .map(|(d, _)| d)
                .collect();
            let approved = mine.iter().find(|d| d.status == DossierStatus::Approved);
            let pending = mine.iter().find(|d| d.status.is_pending());
            let overdue = pending.is_some_and(|d| {
                let Ok(regime) = load_regime(&d.regime) else {
                    return false;
                };
                let start = khien_domain::time_fmt::parse_iso_date(&d.stage_started);
                start.is_some_and(|st| {
                    matches!(stage_deadline(regime, d.level, d.status, st, calendar),
                        Ok(Some(dl)) if dl.overdue(today))
                })
            });
            let basis = approved
                .map(|d| (d.regime.clone(), d.level))
                .or_else(|| Some((regimes.get(&s.id)?.clone(), *assessed.get(&s.id)?)));
            let (plan, plan_percent) =
                match basis.and_then(|(r, l)| Some((load_regime(&r).ok()?, l))) {
                    Some((regime, level)) => {
                        let own = statuses.get(&s.id);
                        let host = s
                            .fields
                            .hosting_system_id
                            .as_ref()
                            .and_then(|h| statuses.get(h));
                        use khien_levels::RequirementKind::*;
                        let items = regime
                            .catalogue
                            .for_level(level)
                            .filter(|(r, _)| {
                                matches!(
                                    r.kind,
                                    Management | Plan | Technical | NetworkZone | DesignMeasure
                                )
                            })
                            .map(|(r, _)| {
                                effective(
                                    own.and_then(|o| o.get(&r.key)).copied(),
                                    host.and_then(|h| h.get(&r.key))
                                        .is_some_and(|st| *st == ReqStatus::Met),
                                )
                            });
                        let p = PlanProgress::of(items);
                        (p.bucket(), p.percent())
                    }
                    None => ("none", 0.0),
                };
            out.push(SystemSecurity {
                operating: s.fields.status == khien_domain::systems::SystemStatus::Operating,
                approved_level: approved.map(|d| d.level),
                proposed_level: assessed.get(&s.id).copied(),
                plan,
                plan_percent,
                pending: pending.map(|d| d.status),
                overdue,
                system_id: s.id,
                name: s.fields.name,
                owner_unit_id: s.fields.owner_unit_id,
                owner_unit_name: s.owner_unit_name,
            });
        }
        Ok(out)
    }
}
