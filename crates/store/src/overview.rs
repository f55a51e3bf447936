//! The province view of security by level: for every system in scope, its approved
//! level, its plan's state and its dossier's stage — computed from four queries, not
//! per system (the N+1 trap of DefectDojo-style dashboards), each scoped by index and
//! matched by hash (not a nested loop over systems × dossiers).

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
use crate::sql::Sql;

#[derive(Debug, Clone, Serialize)]
pub struct SystemSecurity {
    pub system_id: String,
    pub name: String,
    pub owner_unit_id: String,
    pub owner_unit_name: String,
    /// The unit the province view counts the system under: the owner's ancestor one
    /// level below the top of the scope (a province of the national tree, a
    /// department of a province), or the owner itself when it is that high.
    pub group_unit_id: String,
    pub group_unit_name: String,
    /// The owner's kind (`department`, `commune`, `public_service`, …).
    pub owner_unit_kind: String,
    /// The group unit's kind (`department`, `commune`, `public_service`, …).
    pub group_unit_kind: String,
    pub operating: bool,
    pub approved_level: Option<u8>,
    pub proposed_level: Option<u8>,
    /// `full`, `partial` or `none` (no level yet counts as none).
    pub plan: &'static str,
    pub plan_percent: f64,
    /// The stage of the dossier in progress, if any.
    pub pending: Option<DossierStatus>,
    pub overdue: bool,
    /// When the last hunt that counts (full coverage) finished (RFC 3339, UTC).
    pub last_hunt: Option<String>,
}

/// Which systems a security view covers: every system in scope (the province view), or
/// some of them (a page of the inventory). Either way the scope still applies.
#[derive(Clone, Copy)]
pub enum Among<'a> {
    Scope,
    Systems(&'a [String]),
}

impl Scoped<'_> {
    /// `SELECT s.id FROM systems s WHERE <scope>`: the systems in scope, by index.
    fn systems_in_scope(&self, sql: &mut Sql) {
        sql.push("(SELECT s.id FROM systems s WHERE 1=1");
        self.restrict_ids(sql, "s", "systems", &["owner_unit_id", "operator_unit_id"]);
        sql.push(")");
    }

    /// ` AND <column> IN <the systems of among>` (nothing province-wide: every row is in).
    fn among_systems(&self, sql: &mut Sql, among: Among<'_>, column: &str) {
        match among {
            Among::Scope if self.scope == khien_domain::Scope::Province => {}
            Among::Scope => {
                sql.push(&format!(" AND {column} IN "));
                self.systems_in_scope(sql);
            }
            Among::Systems(ids) => {
                sql.push(&format!(" AND {column} IN ("));
                sql.text_list(ids);
                sql.push(")");
            }
        }
    }

    /// Every system in scope (the province view).
    pub async fn security_overview(
        &self,
        today: Date,
        calendar: &Calendar,
    ) -> Result<Vec<SystemSecurity>> {
        self.security_among(Among::Scope, today, calendar).await
    }

    /// The security state of `among`, from a fixed number of queries whatever its size.
    pub async fn security_among(
        &self,
        among: Among<'_>,
        today: Date,
        calendar: &Calendar,
    ) -> Result<Vec<SystemSecurity>> {
        let province = self.scope == khien_domain::Scope::Province && matches!(among, Among::Scope);
        // Systems in scope, with only what the view needs (no joins).
        let mut sql = Sql::new("SELECT s.id, s.name, s.owner_unit_id, s.status, s.hosting_system_id FROM systems s WHERE 1=1");
        self.restrict_ids(&mut sql, "s", "systems", &["owner_unit_id", "operator_unit_id"]);
        if let Among::Systems(ids) = among {
            sql.push(" AND s.id IN (");
            sql.text_list(ids);
            sql.push(")");
        }
        sql.push(" ORDER BY s.name_norm, s.id");
        let systems = sql.query().all(self).await?;
        // Names and paths of the units: those in scope, and the owners of systems in
        // scope only through their operator.
        let mut sql = Sql::new("SELECT u.id, u.name, u.path, u.kind FROM units u WHERE 1=1");
        match among {
            Among::Systems(ids) => {
                sql.push(" AND u.id IN (SELECT s.owner_unit_id FROM systems s WHERE s.id IN (");
                sql.text_list(ids);
                sql.push("))");
            }
            Among::Scope if !province => {
                sql.push(" AND (u.id IN ");
                self.push_scope_units(&mut sql);
                sql.push(" OR u.id IN (SELECT s.owner_unit_id FROM systems s WHERE 1=1");
                self.restrict_ids(&mut sql, "s", "systems", &["operator_unit_id"]);
                sql.push("))");
            }
            Among::Scope => {}
        }
        let mut unit_names: HashMap<String, (String, String)> = HashMap::new();
        let mut unit_kinds: HashMap<String, String> = HashMap::new();
        for r in sql.query().all(self).await? {
            let id: String = r.try_get("id")?;
            unit_kinds.insert(id.clone(), r.try_get("kind")?);
            unit_names.insert(id, (r.try_get("name")?, r.try_get("path")?));
        }
        // How deep the top of the scope lies: rows are the units one level below it.
        let top_depth = match &self.scope {
            khien_domain::Scope::Province => 0,
            khien_domain::Scope::Subtree { unit_path } => unit_path.trim_matches('/').split('/').count().saturating_sub(1),
        };
        let group_of = |owner: &str| -> (String, String) {
            let Some((name, path)) = unit_names.get(owner) else {
                return (owner.to_string(), String::new());
            };
            let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
            match segments.get(top_depth + 1) {
                Some(g) if *g != owner => {
                    let g = (*g).to_string();
                    let gname = unit_names.get(&g).map(|(n, _)| n.clone()).unwrap_or_else(|| name.clone());
                    (g, gname)
                }
                _ => (owner.to_string(), name.clone()),
            }
        };
        // Current dossiers by system.
        let mut sql = Sql::new("SELECT d.system_id, d.status, d.regime, d.level, d.stage_started FROM dossiers d WHERE d.superseded = 0");
        self.among_systems(&mut sql, among, "d.system_id");
        struct Current {
            status: DossierStatus,
            regime: String,
            level: u8,
            stage_started: String,
        }
        let mut dossiers: HashMap<String, Vec<Current>> = HashMap::new();
        for r in sql.query().all(self).await? {
            let st: String = r.try_get("status")?;
            let level: i16 = r.try_get("level")?;
            dossiers.entry(r.try_get("system_id")?).or_default().push(Current {
                status: DossierStatus::parse(&st).ok_or_else(|| crate::StoreError::Corrupt("dossier status", st.clone()))?,
                regime: r.try_get("regime")?,
                level: u8::try_from(level).unwrap_or(0),
                stage_started: r.try_get("stage_started")?,
            });
        }
        // The latest determination of each system.
        let mut sql = Sql::new("SELECT system_id, level, regime FROM level_assessments WHERE 1=1");
        self.among_systems(&mut sql, among, "system_id");
        sql.push(" ORDER BY created_at, id");
        let mut assessed: HashMap<String, (u8, String)> = HashMap::new();
        for r in sql.query().all(self).await? {
            let level: i16 = r.try_get("level")?;
            assessed.insert(r.try_get("system_id")?, (u8::try_from(level).unwrap_or(0), r.try_get("regime")?));
        }
        // Own statuses of the systems in scope and of their hosts (hosts may lie outside
        // the scope; only their "met" flags are used, nothing of them is shown).
        let mut sql = Sql::new("SELECT system_id, requirement_key, status FROM requirement_status WHERE 1=1");
        match among {
            Among::Systems(ids) => {
                sql.push(" AND (system_id IN (");
                sql.text_list(ids);
                sql.push(") OR system_id IN (SELECT s.hosting_system_id FROM systems s WHERE s.hosting_system_id IS NOT NULL AND s.id IN (");
                sql.text_list(ids);
                sql.push(")))");
            }
            Among::Scope if !province => {
                sql.push(" AND (system_id IN ");
                self.systems_in_scope(&mut sql);
                sql.push(" OR system_id IN (SELECT s.hosting_system_id FROM systems s WHERE s.hosting_system_id IS NOT NULL");
                self.restrict_ids(&mut sql, "s", "systems", &["owner_unit_id", "operator_unit_id"]);
                sql.push("))");
            }
            Among::Scope => {}
        }
        let mut statuses: HashMap<String, HashMap<String, ReqStatus>> = HashMap::new();
        for r in sql.query().all(self).await? {
            let s: String = r.try_get("status")?;
            statuses.entry(r.try_get("system_id")?).or_default().insert(
                r.try_get("requirement_key")?,
                ReqStatus::parse(&s).ok_or_else(|| crate::StoreError::Corrupt("requirement status", s.clone()))?,
            );
        }
        // The last hunt that counts, by system (a limited hunt checked less than it was given).
        let mut sql = Sql::new("SELECT hs.system_id AS system_id, MAX(h.finished_at) AS at FROM hunt_systems hs JOIN hunts h ON h.id = hs.hunt_id WHERE h.status = 'done' AND (h.coverage_full IS NULL OR h.coverage_full = 1)");
        self.among_systems(&mut sql, among, "hs.system_id");
        sql.push(" GROUP BY hs.system_id");
        let mut hunted: HashMap<String, String> = HashMap::new();
        for r in sql.query().all(self).await? {
            if let Some(at) = r.try_get::<Option<String>, _>("at")? {
                hunted.insert(r.try_get("system_id")?, at);
            }
        }
        let none = Vec::new();
        let mut out = Vec::with_capacity(systems.len());
        for r in systems {
            let id: String = r.try_get("id")?;
            let status: String = r.try_get("status")?;
            let hosting: Option<String> = r.try_get("hosting_system_id")?;
            let owner_unit_id: String = r.try_get("owner_unit_id")?;
            let group = group_of(&owner_unit_id);
            let mine = dossiers.get(&id).unwrap_or(&none);
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
                .or_else(|| assessed.get(&id).map(|(l, r)| (r.clone(), *l)));
            let (plan, plan_percent) =
                match basis.and_then(|(r, l)| Some((load_regime(&r).ok()?, l))) {
                    Some((regime, level)) => {
                        let own = statuses.get(&id);
                        let host = hosting.as_ref().and_then(|h| statuses.get(h));
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
                operating: status == khien_domain::systems::SystemStatus::Operating.as_str(),
                approved_level: approved.map(|d| d.level),
                proposed_level: assessed.get(&id).map(|(l, _)| *l),
                plan,
                plan_percent,
                pending: pending.map(|d| d.status),
                overdue,
                last_hunt: hunted.remove(&id),
                name: r.try_get("name")?,
                owner_unit_name: unit_names.get(&owner_unit_id).map(|(n, _)| n.clone()).unwrap_or_default(),
                group_unit_kind: unit_kinds.get(&group.0).cloned().unwrap_or_default(),
                owner_unit_kind: unit_kinds.get(&owner_unit_id).cloned().unwrap_or_default(),
                group_unit_id: group.0,
                group_unit_name: group.1,
                owner_unit_id,
                system_id: id,
            });
        }
        Ok(out)
    }
}
