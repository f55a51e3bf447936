//! Security assessments of systems and units: recorded by whoever maintains them, read
//! by the obligations (the last one of each system and unit), by Form 08's column 12
//! and by the pages. A system's assessments are seen where the system is; a unit's
//! where the unit is.

use std::collections::HashMap;

use khien_domain::assessments::AssessmentFields;
use khien_domain::time_fmt::iso_date;
use khien_domain::weaknesses::Origin;
use serde::Serialize;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::audit::RunInTx;
use crate::error::{Result, StoreError};
use crate::scope::ReadExt;
use crate::sql::Sql;
use crate::systems::SystemRef;
use crate::weaknesses::{NewWeakness, Weakness};
use crate::{Scoped, new_id};

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Assessment {
    pub id: String,
    pub unit_id: String,
    pub system_id: Option<String>,
    pub kind: String,
    /// yyyy-mm-dd.
    pub performed_on: String,
    pub performer: String,
    pub licence_no: Option<String>,
    pub scope: String,
    pub result: String,
    pub findings: Option<i64>,
    pub created_by: String,
    pub created_at: String,
}

const COLS: &str = "a.id, a.unit_id, a.system_id, a.kind, a.performed_on, a.performer, a.licence_no, a.scope, a.result, a.findings, a.created_by, a.created_at";

fn from_row(r: &AnyRow) -> Result<Assessment> {
    Ok(Assessment {
        id: r.try_get("id")?,
        unit_id: r.try_get("unit_id")?,
        system_id: r.try_get("system_id")?,
        kind: r.try_get("kind")?,
        performed_on: r.try_get("performed_on")?,
        performer: r.try_get("performer")?,
        licence_no: r.try_get("licence_no")?,
        scope: r.try_get("scope")?,
        result: r.try_get("result")?,
        findings: r.try_get("findings")?,
        created_by: r.try_get("created_by")?,
        created_at: r.try_get("created_at")?,
    })
}

/// Whether a system was assessed before going live, and periodically in a year.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Inspected {
    pub before_go_live: bool,
    pub periodic: bool,
}

impl Scoped<'_> {
    /// Records an assessment of a system in scope (`system_id`) or of a unit in scope
    /// (`unit_id`), by a role that maintains it, audited in the same transaction.
    pub async fn record_security_assessment(&self, system_id: Option<&str>, unit_id: &str, f: &AssessmentFields) -> Result<String> {
        let mut tx = self.write().await?;
        let r = self.within(&tx);
        let (unit, path, system) = match system_id {
            Some(s) => {
                if !self.principal.role.can_edit_systems() {
                    return Err(StoreError::Forbidden);
                }
                let sys = r.system(s).await?;
                let owner = sqlx::query("SELECT u.id, u.path FROM units u WHERE u.id = $1")
                    .bind(sys.fields.owner_unit_id.clone())
                    .one(&r)
                    .await?;
                (owner.try_get("id")?, owner.try_get("path")?, Some(sys.id))
            }
            None => {
                if !self.principal.role.can_edit_units() && !self.principal.role.can_edit_systems() {
                    return Err(StoreError::Forbidden);
                }
                let u = r.unit(unit_id).await?;
                (u.id, u.path, None)
            }
        };
        let id = new_id();
        sqlx::query("INSERT INTO assessments (id, unit_id, system_id, kind, performed_on, performer, licence_no, scope, result, findings, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)")
            .bind(id.clone())
            .bind(unit.clone())
            .bind(system.clone())
            .bind(f.kind.to_string())
            .bind(iso_date(f.performed_on))
            .bind(f.performer.clone())
            .bind(f.licence_no.clone())
            .bind(f.scope.clone())
            .bind(f.result.clone())
            .bind(f.findings)
            .bind(self.principal.username.clone())
            .bind(tx.at().to_string())
            .run(&tx)
            .await?;
        tx.record(
            "create",
            "assessment",
            &id,
            (&unit, &path),
            None::<&()>,
            Some(&serde_json::json!({ "system": system, "kind": f.kind, "performed_on": iso_date(f.performed_on), "performer": f.performer, "licence_no": f.licence_no, "findings": f.findings })),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// A system's assessments (the system must be in scope), newest first.
    pub async fn system_security_assessments(&self, system_id: &str) -> Result<Vec<Assessment>> {
        self.system(system_id).await?;
        let mut sql = Sql::new(&format!("SELECT {COLS} FROM assessments a WHERE a.system_id = "));
        sql.text(system_id.to_string()).push(" ORDER BY a.performed_on DESC, a.id DESC LIMIT 200");
        sql.query().all(self).await?.iter().map(from_row).collect()
    }

    /// A unit's own assessments (the unit must be in scope), newest first.
    pub async fn unit_security_assessments(&self, unit_id: &str) -> Result<Vec<Assessment>> {
        self.unit(unit_id).await?;
        let mut sql = Sql::new(&format!("SELECT {COLS} FROM assessments a WHERE a.system_id IS NULL AND a.unit_id = "));
        sql.text(unit_id.to_string()).push(" ORDER BY a.performed_on DESC, a.id DESC LIMIT 200");
        sql.query().all(self).await?.iter().map(from_row).collect()
    }

    /// One assessment in scope (a system's where the system is seen, a unit's where the
    /// unit is), the systems a weakness it found can be recorded on (the assessed system,
    /// or the unit's systems not retired, in scope) and its weaknesses.
    pub async fn security_assessment(&self, id: &str) -> Result<(Assessment, Vec<SystemRef>, Vec<Weakness>)> {
        let mut sql = Sql::new(&format!("SELECT {COLS} FROM assessments a WHERE a.id = "));
        sql.text(id.to_string());
        let a = from_row(&sql.query().opt(self).await?.ok_or(StoreError::NotFound)?)?;
        let systems = match &a.system_id {
            Some(s) => {
                let sys = self.system(s).await?;
                vec![SystemRef { id: sys.id, name: sys.fields.name }]
            }
            None => {
                self.unit(&a.unit_id).await?;
                let mut sql = Sql::new("SELECT s.id, s.name FROM systems s JOIN units u ON u.id = s.owner_unit_id WHERE s.status <> 'retired' AND s.owner_unit_id = ");
                sql.text(a.unit_id.clone());
                self.restrict(&mut sql, &["u.path"]);
                sql.push(" ORDER BY s.name_norm, s.id LIMIT 500");
                sql.query().all(self).await?.iter().map(|r| Ok(SystemRef { id: r.try_get("id")?, name: r.try_get("name")? })).collect::<Result<Vec<_>>>()?
            }
        };
        let weaknesses = self.weaknesses_of(Origin::Assessment, &a.id).await?;
        Ok((a, systems, weaknesses))
    }

    /// Links a weakness an assessment found (already queued as the scan import
    /// `import_id` on `system_id`) to it, audited; the assessment and the system are
    /// found in scope inside the transaction.
    pub async fn link_assessment_weakness(&self, assessment_id: &str, system_id: &str, import_id: &str, title: &str, severity: &str) -> Result<String> {
        if !self.principal.role.can_edit_systems() {
            return Err(StoreError::Forbidden);
        }
        let mut tx = self.write().await?;
        let r = self.within(&tx);
        let (a, systems, _) = r.security_assessment(assessment_id).await?;
        if !systems.iter().any(|s| s.id == system_id) {
            return Err(StoreError::NotFound);
        }
        let id = r.insert_weakness(&mut tx, &NewWeakness { origin: Origin::Assessment, origin_id: &a.id, system_id, import_id, title, severity }).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// For Form 08 column 12: per system in scope, whether it was assessed before going
    /// live (ever) and periodically in `year`.
    pub async fn inspections(&self, year: i32) -> Result<HashMap<String, Inspected>> {
        let mut sql = Sql::new("SELECT a.system_id, a.kind, a.performed_on FROM assessments a JOIN units u ON u.id = a.unit_id WHERE a.system_id IS NOT NULL");
        self.restrict(&mut sql, &["u.path"]);
        let mut out: HashMap<String, Inspected> = HashMap::new();
        let prefix = format!("{year}-");
        for r in sql.query().all(self).await? {
            let system: String = r.try_get("system_id")?;
            let kind: String = r.try_get("kind")?;
            let on: String = r.try_get("performed_on")?;
            let e = out.entry(system).or_default();
            match kind.as_str() {
                "before_go_live" => e.before_go_live = true,
                "periodic" if on.starts_with(&prefix) => e.periodic = true,
                _ => {}
            }
        }
        Ok(out)
    }
}
