//! Drills and their weaknesses. A drill is seen by its organiser's unit scope and by
//! the units whose systems it drilled; a weakness is a finding imported on its system
//! (a one-row generic report queued as a scan import job), linked to the drill.

use khien_domain::Role;
use khien_domain::drills::DrillFields;
use khien_domain::weaknesses::Origin;
use khien_domain::time_fmt::iso_date;
use serde::Serialize;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::audit::RunInTx;
use crate::error::{Result, StoreError};
use crate::scope::ReadExt;
use crate::sql::Sql;
use crate::weaknesses::{NewWeakness, Weakness};
use crate::{Scoped, new_id};

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Drill {
    pub id: String,
    pub unit_id: String,
    pub kind: String,
    pub title: String,
    pub organiser: String,
    pub held_from: String,
    pub held_to: String,
    pub objectives: String,
    pub participants: String,
    pub tools: String,
    pub created_by: String,
    pub created_at: String,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct DrillSystem {
    pub id: String,
    pub name: String,
    pub owner_unit_name: String,
}

const COLS: &str = "d.id, d.unit_id, d.kind, d.title, d.organiser, d.held_from, d.held_to, d.objectives, d.participants, d.tools, d.created_by, d.created_at";

fn from_row(r: &AnyRow) -> Result<Drill> {
    Ok(Drill {
        id: r.try_get("id")?,
        unit_id: r.try_get("unit_id")?,
        kind: r.try_get("kind")?,
        title: r.try_get("title")?,
        organiser: r.try_get("organiser")?,
        held_from: r.try_get("held_from")?,
        held_to: r.try_get("held_to")?,
        objectives: r.try_get("objectives")?,
        participants: r.try_get("participants")?,
        tools: r.try_get("tools")?,
        created_by: r.try_get("created_by")?,
        created_at: r.try_get("created_at")?,
    })
}

/// Who records drills: those who maintain systems, and the response team.
pub fn may_record(role: Role) -> bool {
    role.can_edit_systems() || role == Role::Responder
}

/// The scope of a drill: its organiser's unit, or a unit owning a drilled system.
const LINKED: &str = "FROM drill_systems ds JOIN systems s2 ON s2.id = ds.system_id JOIN units u2 ON u2.id = s2.owner_unit_id WHERE ds.drill_id = d.id AND u2.path";

impl Scoped<'_> {
    /// Records a drill over systems in scope, audited, in one transaction.
    pub async fn create_drill(&self, f: &DrillFields) -> Result<String> {
        if !may_record(self.principal.role) {
            return Err(StoreError::Forbidden);
        }
        let mut tx = self.write().await?;
        let r = self.within(&tx);
        for s in &f.systems {
            r.system(s).await?;
        }
        let unit = sqlx::query("SELECT id, path FROM units WHERE id = $1").bind(self.principal.unit_id.clone()).one(&r).await?;
        let (unit_id, path): (String, String) = (unit.try_get("id")?, unit.try_get("path")?);
        let id = new_id();
        sqlx::query("INSERT INTO drills (id, unit_id, kind, title, organiser, held_from, held_to, objectives, participants, tools, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)")
            .bind(id.clone())
            .bind(unit_id.clone())
            .bind(f.kind.to_string())
            .bind(f.title.clone())
            .bind(f.organiser.clone())
            .bind(iso_date(f.held_from))
            .bind(iso_date(f.held_to))
            .bind(f.objectives.clone())
            .bind(f.participants.clone())
            .bind(f.tools.clone())
            .bind(self.principal.username.clone())
            .bind(tx.at().to_string())
            .run(&tx)
            .await?;
        for s in &f.systems {
            sqlx::query("INSERT INTO drill_systems (drill_id, system_id) VALUES ($1, $2)").bind(id.clone()).bind(s.clone()).run(&tx).await?;
        }
        tx.record(
            "create",
            "drill",
            &id,
            (&unit_id, &path),
            None::<&()>,
            Some(&serde_json::json!({ "kind": f.kind, "title": f.title, "held_from": iso_date(f.held_from), "held_to": iso_date(f.held_to), "systems": f.systems })),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Drills in scope, latest first.
    pub async fn drills(&self, limit: i64) -> Result<Vec<Drill>> {
        let mut sql = Sql::new(&format!("SELECT {COLS} FROM drills d JOIN units u ON u.id = d.unit_id WHERE 1=1"));
        self.restrict_or_linked(&mut sql, "u.path", LINKED);
        sql.push(" ORDER BY d.held_to DESC, d.id DESC LIMIT ").int(limit.clamp(1, 500));
        sql.query().all(self).await?.iter().map(from_row).collect()
    }

    /// One drill in scope, its systems (those in scope) and its weaknesses (on systems
    /// in scope), with the finding each became.
    pub async fn drill(&self, id: &str) -> Result<(Drill, Vec<DrillSystem>, Vec<Weakness>)> {
        let mut sql = Sql::new(&format!("SELECT {COLS} FROM drills d JOIN units u ON u.id = d.unit_id WHERE d.id = "));
        sql.text(id.to_string());
        self.restrict_or_linked(&mut sql, "u.path", LINKED);
        let d = from_row(&sql.query().opt(self).await?.ok_or(StoreError::NotFound)?)?;
        let mut sql = Sql::new("SELECT s.id, s.name, u.name AS owner FROM drill_systems ds JOIN systems s ON s.id = ds.system_id JOIN units u ON u.id = s.owner_unit_id WHERE ds.drill_id = ");
        sql.text(id.to_string());
        self.restrict(&mut sql, &["u.path"]);
        sql.push(" ORDER BY s.name");
        let systems = sql
            .query()
            .all(self)
            .await?
            .iter()
            .map(|r| Ok(DrillSystem { id: r.try_get("id")?, name: r.try_get("name")?, owner_unit_name: r.try_get("owner")? }))
            .collect::<Result<Vec<_>>>()?;
        let weaknesses = self.weaknesses_of(Origin::Drill, &d.id).await?;
        Ok((d, systems, weaknesses))
    }

    /// Links a weakness (already queued as the scan import `import_id` on `system_id`,
    /// one of the drill's systems) to the drill, audited.
    pub async fn link_drill_weakness(&self, drill_id: &str, system_id: &str, import_id: &str, title: &str, severity: &str) -> Result<String> {
        if !may_record(self.principal.role) {
            return Err(StoreError::Forbidden);
        }
        let mut tx = self.write().await?;
        let r = self.within(&tx);
        let (d, systems, _) = r.drill(drill_id).await?;
        if !systems.iter().any(|s| s.id == system_id) {
            return Err(StoreError::NotFound);
        }
        let id = r.insert_weakness(&mut tx, &NewWeakness { origin: Origin::Drill, origin_id: &d.id, system_id, import_id, title, severity }).await?;
        tx.commit().await?;
        Ok(id)
    }
}
