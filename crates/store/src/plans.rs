//! The security plan of a system: requirement statuses with evidence, inheritance from
//! the hosting system, go-live exceptions, and province target dates.

use std::collections::HashMap;

use khien_domain::plans::{PlanProgress, ReqStatus, effective};
use khien_levels::{Catalogue, Requirement, load_regime};
use serde::{Deserialize, Serialize};
use sqlx::Row;

use crate::audit::RunInTx;
use crate::scope::ReadExt;
use crate::dossiers::Attachment;
use crate::error::{Result, StoreError};
use crate::{Scoped, Store, new_id};

/// The level and regime a plan follows: the approved dossier's, else the latest
/// determination's (proposed).
#[derive(Debug, Clone, Serialize)]
#[derive(schemars::JsonSchema)]
pub struct PlanBasis {
    pub regime: String,
    pub level: u8,
    pub approved: bool,
}

#[derive(Debug, Clone, Serialize)]
#[derive(schemars::JsonSchema)]
pub struct PlanItem {
    pub key: String,
    pub kind: String,
    pub group: String,
    pub title: String,
    pub item: Option<String>,
    pub clause: Option<String>,
    pub status: ReqStatus,
    /// The hosting system the status is inherited from.
    pub inherited_from: Option<String>,
    pub reason: Option<String>,
    pub responsible: Option<String>,
    pub due_date: Option<String>,
    pub evidence: Vec<Attachment>,
}

#[derive(Debug, Clone, Serialize)]
#[derive(schemars::JsonSchema)]
pub struct Plan {
    pub basis: PlanBasis,
    pub catalogue: String,
    pub items: Vec<PlanItem>,
    pub progress: PlanProgress,
    pub exception: Option<String>,
    /// The catalogue is known only in part (or from secondary sources): what it lacks.
    pub catalogue_partial: Option<Vec<String>>,
    /// The host follows another regime's catalogue (its regime id): no measure can be
    /// inherited from it, as no mapping between the two catalogues is published.
    pub host_other_regime: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(default)]
#[derive(schemars::JsonSchema)]
pub struct RequirementUpdate {
    pub status: String,
    pub reason: String,
    pub responsible: String,
    pub due_date: String,
}

/// What a requirement update must carry, by field: a known status, a reason for "not
/// applicable", a real due date.
pub fn check_requirement_update(u: &RequirementUpdate) -> Result<(ReqStatus, Option<String>)> {
    let mut e = khien_domain::Invalid::default();
    let status = ReqStatus::parse(u.status.trim()).filter(|s| ReqStatus::SETTABLE.contains(s));
    if status.is_none() {
        e.push("status", "plan.err_status", "");
    }
    if status == Some(ReqStatus::NotApplicable) && u.reason.trim().is_empty() {
        e.push("reason", "plan.err_reason", "");
    }
    let due = khien_domain::error::date_field(&mut e, "due_date", &u.due_date, false)
        .map(khien_domain::time_fmt::iso_date);
    match status {
        Some(s) if e.is_empty() => Ok((s, due)),
        _ => Err(StoreError::Invalid(e)),
    }
}

struct OwnStatus {
    status: ReqStatus,
    reason: Option<String>,
    responsible: Option<String>,
    due_date: Option<String>,
}

fn applicable(c: &Catalogue, level: u8) -> Vec<(&Requirement, &khien_levels::catalogue::LevelRef)> {
    use khien_levels::RequirementKind::*;
    c.for_level(level)
        .filter(|(r, _)| {
            matches!(
                r.kind,
                Management | Plan | Technical | NetworkZone | DesignMeasure
            )
        })
        .collect()
}

impl Scoped<'_> {
    /// The regime whose catalogue applies to the system, if `key` is one of the
    /// requirements of its level; `NotFound` otherwise.
    async fn applicable_requirement(
        &self,
        system_id: &str,
        key: &str,
    ) -> Result<&'static khien_levels::Regime> {
        let basis = self
            .plan_basis(system_id)
            .await?
            .ok_or(StoreError::Conflict("plan.err_no_level"))?;
        let regime =
            load_regime(&basis.regime).map_err(|_| StoreError::Conflict("dossier.err_regime"))?;
        if !applicable(&regime.catalogue, basis.level)
            .iter()
            .any(|(r, _)| r.key == key)
        {
            return Err(StoreError::NotFound);
        }
        Ok(regime)
    }

    pub async fn plan_basis(&self, system_id: &str) -> Result<Option<PlanBasis>> {
        if let Some(d) = self.approved_dossier(system_id).await? {
            return Ok(Some(PlanBasis {
                regime: d.regime,
                level: d.level,
                approved: true,
            }));
        }
        Ok(self.latest_assessment(system_id).await?.map(|a| PlanBasis {
            regime: a.regime,
            level: a.level,
            approved: false,
        }))
    }

    async fn own_statuses(
        &self,
        system_id: &str,
        catalogue: &str,
    ) -> Result<HashMap<String, OwnStatus>> {
        let rows = sqlx::query("SELECT requirement_key, status, reason, responsible, due_date FROM requirement_status WHERE system_id = $1 AND catalogue = $2")
            .bind(system_id.to_string())
            .bind(catalogue.to_string())
            .all(self)
            .await?;
        let mut out = HashMap::new();
        for r in rows {
            let s: String = r.try_get("status")?;
            out.insert(
                r.try_get("requirement_key")?,
                OwnStatus {
                    status: ReqStatus::parse(&s).ok_or_else(|| StoreError::Corrupt("requirement status", s.clone()))?,
                    reason: r.try_get("reason")?,
                    responsible: r.try_get("responsible")?,
                    due_date: r.try_get("due_date")?,
                },
            );
        }
        Ok(out)
    }

    /// The checklist of a system, with inheritance from its host. `None` until the
    /// system has a determined level.
    pub async fn plan(&self, system_id: &str) -> Result<Option<Plan>> {
        let system = self.system(system_id).await?;
        let Some(basis) = self.plan_basis(system_id).await? else {
            return Ok(None);
        };
        let regime =
            load_regime(&basis.regime).map_err(|_| StoreError::Conflict("dossier.err_regime"))?;
        let cat = &regime.catalogue;
        let own = self.own_statuses(system_id, &cat.id).await?;
        // The host's own "met" records, read without the caller's scope: a unit hosted
        // on the provincial data centre inherits from it without seeing the rest of it.
        let host_other_regime = match &system.fields.hosting_system_id {
            Some(h) => self
                .as_platform()
                .plan_basis(h)
                .await?
                .filter(|hb| {
                    load_regime(&hb.regime).map(|r| r.catalogue.id != cat.id).unwrap_or(true)
                })
                .map(|hb| hb.regime),
            None => None,
        };
        let host_met: HashMap<String, bool> = match &system.fields.hosting_system_id {
            Some(h) => self
                .as_platform()
                .own_statuses(h, &cat.id)
                .await?
                .into_iter()
                .map(|(k, v)| (k, v.status == ReqStatus::Met))
                .collect(),
            None => HashMap::new(),
        };
        let mut evidence: HashMap<String, Vec<Attachment>> = HashMap::new();
        for a in self.attachment_rows("evidence", system_id).await? {
            evidence.entry(a.part.clone()).or_default().push(a);
        }
        let host_name = system.hosting_system_name.clone();
        let items: Vec<PlanItem> = applicable(cat, basis.level)
            .into_iter()
            .map(|(r, at)| {
                let mine = own.get(&r.key);
                let status = effective(
                    mine.map(|m| m.status),
                    host_met.get(&r.key).copied().unwrap_or(false),
                );
                PlanItem {
                    key: r.key.clone(),
                    kind: format!("{:?}", r.kind),
                    group: cat
                        .group(&r.group)
                        .map(|g| g.title.clone())
                        .unwrap_or_else(|| r.group.clone()),
                    title: r.title.clone(),
                    item: at.item.clone(),
                    clause: at.clause.clone(),
                    status,
                    inherited_from: (status == ReqStatus::Inherited)
                        .then(|| host_name.clone())
                        .flatten(),
                    reason: mine.and_then(|m| m.reason.clone()),
                    responsible: mine.and_then(|m| m.responsible.clone()),
                    due_date: mine.and_then(|m| m.due_date.clone()),
                    evidence: evidence.remove(&r.key).unwrap_or_default(),
                }
            })
            .collect();
        let progress = PlanProgress::of(items.iter().map(|i| i.status));
        let exception = self.go_live_exception(system_id).await?;
        Ok(Some(Plan {
            basis,
            catalogue: cat.id.clone(),
            items,
            progress,
            exception,
            catalogue_partial: (!cat.verified).then(|| cat.notes.clone()),
            host_other_regime,
        }))
    }

    pub async fn set_requirement(
        &self,
        system_id: &str,
        key: &str,
        u: &RequirementUpdate,
    ) -> Result<()> {
        self.set_requirements(system_id, &[(key.to_string(), u.clone())]).await
    }

    /// Several requirements of one system at once (a bulk change, an imported sheet):
    /// every update is checked inside the one transaction, and either all are stored
    /// (each audited with what it replaced) or none is.
    pub async fn set_requirements(
        &self,
        system_id: &str,
        updates: &[(String, RequirementUpdate)],
    ) -> Result<()> {
        let mut tx = self.write().await?;
        let r = self.within(&tx);
        let system = r.system(system_id).await?;
        khien_domain::plans::may_record(r.actor_for(&system)).map_err(StoreError::refused)?;
        let basis = r
            .plan_basis(system_id)
            .await?
            .ok_or(StoreError::Conflict("plan.err_no_level"))?;
        let regime =
            load_regime(&basis.regime).map_err(|_| StoreError::Conflict("dossier.err_regime"))?;
        let catalogue = regime.catalogue.id.clone();
        let keys: std::collections::HashSet<&str> = applicable(&regime.catalogue, basis.level)
            .into_iter()
            .map(|(req, _)| req.key.as_str())
            .collect();
        let before = r.own_statuses(system_id, &catalogue).await?;
        let opt = |s: &str| Some(s.trim().to_string()).filter(|x| !x.is_empty());
        let now = tx.at().to_string();
        for (key, u) in updates {
            if !keys.contains(key.as_str()) {
                return Err(StoreError::NotFound);
            }
            let (status, due) = check_requirement_update(u)?;
            sqlx::query("DELETE FROM requirement_status WHERE system_id = $1 AND catalogue = $2 AND requirement_key = $3")
                .bind(system_id.to_string())
                .bind(catalogue.clone())
                .bind(key.clone())
                .run(&tx)
                .await?;
            sqlx::query("INSERT INTO requirement_status (id, system_id, catalogue, requirement_key, status, reason, responsible, due_date, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)")
                .bind(new_id())
                .bind(system_id.to_string())
                .bind(catalogue.clone())
                .bind(key.clone())
                .bind(status.as_str().to_string())
                .bind(opt(&u.reason))
                .bind(opt(&u.responsible))
                .bind(due.clone())
                .bind(now.clone())
                .run(&tx)
                .await?;
            let was = before.get(key).map(|o| {
                serde_json::json!({ "requirement": key, "status": o.status.as_str(), "reason": o.reason, "responsible": o.responsible, "due_date": o.due_date })
            });
            let after = serde_json::json!({ "requirement": key, "status": status.as_str(), "reason": opt(&u.reason), "responsible": opt(&u.responsible), "due_date": due });
            tx.record(
                "requirement",
                "system",
                system_id,
                (&system.fields.owner_unit_id, &system.owner_path),
                was.as_ref(),
                Some(&after),
            )
            .await?;
        }
        tx.commit().await
    }

    /// Evidence for a requirement, with the dates it is valid from and until.
    pub async fn add_evidence(
        &self,
        system_id: &str,
        key: &str,
        file: &crate::blobs::StoredFile,
        effective: Option<String>,
        expiry: Option<String>,
    ) -> Result<Attachment> {
        let mut tx = self.write().await?;
        let r = self.within(&tx);
        let system = r.system(system_id).await?;
        khien_domain::plans::may_record(r.actor_for(&system)).map_err(StoreError::refused)?;
        r.applicable_requirement(system_id, key).await?;
        let a = self
            .attach(
                &mut tx,
                ("evidence", system_id),
                key,
                file,
                (effective, expiry),
                (&system.fields.owner_unit_id, &system.owner_path),
            )
            .await?;
        tx.commit().await?;
        Ok(a)
    }

    pub async fn go_live_exception(&self, system_id: &str) -> Result<Option<String>> {
        let row = sqlx::query("SELECT reason FROM go_live_exceptions WHERE system_id = $1 ORDER BY granted_at DESC LIMIT 1")
            .bind(system_id.to_string())
            .opt(self)
            .await?;
        Ok(row.map(|r| r.try_get("reason")).transpose()?)
    }

    /// A province administrator lets a system go live before its level is approved or
    /// its plan complete, with the reason on record.
    pub async fn grant_go_live_exception(&self, system_id: &str, reason: &str) -> Result<()> {
        khien_domain::plans::may_grant_exception(self.principal.role, reason)
            .map_err(StoreError::refused)?;
        let mut tx = self.write().await?;
        let system = self.within(&tx).system(system_id).await?;
        sqlx::query("INSERT INTO go_live_exceptions (id, system_id, reason, granted_by, granted_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(new_id())
            .bind(system_id.to_string())
            .bind(reason.trim().to_string())
            .bind(self.principal.username.clone())
            .bind(tx.at().to_string())
            .run(&tx)
            .await?;
        tx.record(
            "go_live_exception",
            "system",
            system_id,
            (&system.fields.owner_unit_id, &system.owner_path),
            None::<&()>,
            Some(&serde_json::json!({ "reason": reason.trim() })),
        )
        .await?;
        tx.commit().await
    }

    /// Why a system may not be set to operating now (i18n keys), empty when it may.
    pub async fn go_live_blockers(&self, system_id: &str) -> Result<Vec<&'static str>> {
        let plan = self.plan(system_id).await?;
        let approved = plan.as_ref().is_some_and(|p| p.basis.approved);
        let progress = plan.as_ref().map(|p| p.progress).unwrap_or_default();
        let exception = self.go_live_exception(system_id).await?.is_some();
        Ok(khien_domain::plans::go_live_blockers(
            approved, &progress, exception,
        ))
    }
}

impl Store {
    pub async fn setting(&self, key: &str) -> Result<Option<String>> {
        let row = sqlx::query("SELECT value FROM settings WHERE key = $1")
            .bind(key.to_string())
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| r.try_get("value")).transpose()?)
    }
}

impl Scoped<'_> {
    pub async fn set_setting(&self, key: &str, value: &str) -> Result<()> {
        let mut tx = self.write().await?;
        let now = tx.at().to_string();
        sqlx::query("DELETE FROM settings WHERE key = $1")
            .bind(key.to_string())
            .run(&tx)
            .await?;
        sqlx::query("INSERT INTO settings (key, value, updated_at) VALUES ($1, $2, $3)")
            .bind(key.to_string())
            .bind(value.to_string())
            .bind(now)
            .run(&tx)
            .await?;
        tx.record(
            "set",
            "setting",
            key,
            ("", "/"),
            None::<&()>,
            Some(&serde_json::json!({ "value": value })),
        )
        .await?;
        tx.commit().await
    }
}

/// A system whose security plan has requirements past their due date and not met.
#[derive(Debug, Clone, Serialize)]
pub struct OverduePlan {
    pub system_id: String,
    pub system_name: String,
    pub owner_unit_name: String,
    /// How many requirements are past due.
    pub requirements: i64,
    /// The earliest due date among them (ISO).
    pub earliest_due: String,
}

impl Scoped<'_> {
    /// Systems in scope (not retired) with plan requirements due before `today` and not
    /// met (not started or partly met): earliest first, at most `limit`, and how many
    /// such systems there are in all.
    pub async fn overdue_plans(&self, today: time::Date, limit: i64) -> Result<(i64, Vec<OverduePlan>)> {
        let today = khien_domain::time_fmt::iso_date(today);
        let mut base = crate::sql::Sql::new(
            " FROM requirement_status rs JOIN systems s ON s.id = rs.system_id JOIN units ou ON ou.id = s.owner_unit_id JOIN units opu ON opu.id = s.operator_unit_id WHERE rs.due_date IS NOT NULL AND rs.due_date <> '' AND rs.due_date < ",
        );
        base.text(today)
            .push(" AND rs.status IN ('not_started', 'partly') AND s.status <> 'retired'");
        self.restrict(&mut base, &["ou.path", "opu.path"]);
        let mut count = crate::sql::Sql::new("SELECT COUNT(DISTINCT rs.system_id) AS n");
        count.text.push_str(&base.text);
        count.args_from(&base);
        let total: i64 = count.query().one(self).await?.try_get("n")?;
        let mut sql = crate::sql::Sql::new(
            "SELECT rs.system_id AS system_id, s.name AS system_name, ou.name AS owner_name, COUNT(*) AS n, MIN(rs.due_date) AS due",
        );
        sql.text.push_str(&base.text);
        sql.args_from(&base);
        sql.push(" GROUP BY rs.system_id, s.name, ou.name ORDER BY due, s.name LIMIT ").int(limit);
        let rows = sql.query().all(self).await?;
        let items = rows
            .iter()
            .map(|r| {
                Ok(OverduePlan {
                    system_id: r.try_get("system_id")?,
                    system_name: r.try_get("system_name")?,
                    owner_unit_name: r.try_get("owner_name")?,
                    requirements: r.try_get("n")?,
                    earliest_due: r.try_get("due")?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok((total, items))
    }
}

impl Scoped<'_> {
    /// For each system in scope with open plan requirements (not started or partly met)
    /// that carry a due date, the latest of those dates: when the plan is expected to be
    /// fully implemented (Form 08 column 11).
    pub async fn latest_plan_due_dates(&self) -> Result<HashMap<String, time::Date>> {
        let mut sql = crate::sql::Sql::new(
            "SELECT rs.system_id AS system_id, MAX(rs.due_date) AS due FROM requirement_status rs JOIN systems s ON s.id = rs.system_id JOIN units ou ON ou.id = s.owner_unit_id JOIN units opu ON opu.id = s.operator_unit_id WHERE rs.due_date IS NOT NULL AND rs.due_date <> '' AND rs.status IN ('not_started', 'partly')",
        );
        self.restrict(&mut sql, &["ou.path", "opu.path"]);
        sql.push(" GROUP BY rs.system_id");
        let mut out = HashMap::new();
        for r in sql.query().all(self).await? {
            let due: Option<String> = r.try_get("due")?;
            if let Some(d) = due.as_deref().and_then(khien_domain::time_fmt::parse_iso_date) {
                out.insert(r.try_get("system_id")?, d);
            }
        }
        Ok(out)
    }
}
