//! Weaknesses found by a drill or a security assessment, on one table for both origins
//! (`khien_domain::weaknesses::Origin`). Each was queued as a one-row scan import of its
//! system by the caller; the finding it became is the one that import first created.
//! Read through the origin (drill or assessment), which decides who sees it; the
//! weakness list itself only shows systems in scope.

use khien_domain::weaknesses::Origin;
use serde::Serialize;
use sqlx::Row;

use crate::audit::{RunInTx, WriteTx};
use crate::error::Result;
use crate::scope::ReadExt;
use crate::sql::Sql;
use crate::{Scoped, new_id};

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Weakness {
    pub id: String,
    pub system_id: String,
    pub system_name: String,
    pub import_id: String,
    pub title: String,
    pub severity: String,
    /// The finding it became, once the import ran.
    pub finding_id: Option<String>,
    pub finding_status: Option<String>,
    pub due_on: Option<String>,
}

/// A weakness to link, its import already queued on `system_id`.
pub struct NewWeakness<'a> {
    pub origin: Origin,
    pub origin_id: &'a str,
    pub system_id: &'a str,
    pub import_id: &'a str,
    pub title: &'a str,
    pub severity: &'a str,
}

impl Scoped<'_> {
    /// Inserts the weakness inside `tx` (self reads within it; the caller has checked
    /// the origin and the system) and audits it on the origin, in the system's owner unit.
    pub(crate) async fn insert_weakness(&self, tx: &mut WriteTx, w: &NewWeakness<'_>) -> Result<String> {
    let owner = sqlx::query("SELECT u.id, u.path FROM systems s JOIN units u ON u.id = s.owner_unit_id WHERE s.id = $1").bind(w.system_id.to_string()).one(self).await?;
    let (unit, path): (String, String) = (owner.try_get("id")?, owner.try_get("path")?);
    let id = new_id();
    sqlx::query("INSERT INTO weaknesses (id, origin, origin_id, system_id, import_id, title, severity, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)")
        .bind(id.clone())
        .bind(w.origin.code())
        .bind(w.origin_id.to_string())
        .bind(w.system_id.to_string())
        .bind(w.import_id.to_string())
        .bind(w.title.to_string())
        .bind(w.severity.to_string())
        .bind(tx.actor_name().to_string())
        .bind(tx.at().to_string())
        .run(&*tx)
        .await?;
    tx.record("weakness", w.origin.code(), w.origin_id, (&unit, &path), None::<&()>, Some(&serde_json::json!({ "system": w.system_id, "title": w.title, "severity": w.severity, "import": w.import_id })))
        .await?;
    Ok(id)
    }

    /// The weaknesses of one drill or assessment (the caller has found it in scope) on
    /// systems in scope, oldest first, with the finding each became.
    pub(crate) async fn weaknesses_of(&self, origin: Origin, origin_id: &str) -> Result<Vec<Weakness>> {
        let mut sql = Sql::new("SELECT w.id, w.system_id, s.name AS system_name, w.import_id, w.title, w.severity, f.id AS finding_id, f.status, f.due_on FROM weaknesses w JOIN systems s ON s.id = w.system_id JOIN units u ON u.id = s.owner_unit_id LEFT JOIN findings f ON f.first_import_id = w.import_id WHERE w.origin = ");
        sql.text(origin.code().to_string()).push(" AND w.origin_id = ").text(origin_id.to_string());
        self.restrict(&mut sql, &["u.path"]);
        sql.push(" ORDER BY w.created_at, w.id");
        sql.query()
            .all(self)
            .await?
            .iter()
            .map(|r| {
                Ok(Weakness {
                    id: r.try_get("id")?,
                    system_id: r.try_get("system_id")?,
                    system_name: r.try_get("system_name")?,
                    import_id: r.try_get("import_id")?,
                    title: r.try_get("title")?,
                    severity: r.try_get("severity")?,
                    finding_id: r.try_get("finding_id")?,
                    finding_status: r.try_get("status")?,
                    due_on: r.try_get("due_on")?,
                })
            })
            .collect()
    }
}
