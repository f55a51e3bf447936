//! Counts for dashboards, always within the principal's scope.

use serde::Serialize;
use sqlx::Row;

use crate::scope::ReadExt;
use crate::Scoped;
use crate::error::Result;
use crate::sql::Sql;

#[derive(Debug, Clone, Serialize, Default)]
pub struct SystemStats {
    pub total: i64,
    pub by_type: Vec<(String, i64)>,
    pub by_status: Vec<(String, i64)>,
    /// Who is behind: the units owning the most systems in use or being built without
    /// an approved level, (unit id, unit name, count), most first.
    pub behind_by_unit: Vec<(String, String, i64)>,
    /// Systems in scope (not retired) without an approved level.
    pub without_level: i64,
}

impl Scoped<'_> {
    async fn grouped(&self, column: &str) -> Result<Vec<(String, i64)>> {
        let mut sql = Sql::new(&format!(
            "SELECT {column} AS k, COUNT(*) AS n FROM systems s WHERE 1=1"
        ));
        self.restrict_ids(&mut sql, "s", "systems", &["owner_unit_id", "operator_unit_id"]);
        sql.push(&format!(" GROUP BY {column} ORDER BY n DESC"));
        let rows = sql.query().all(self).await?;
        rows.iter()
            .map(|r| Ok((r.try_get("k")?, r.try_get("n")?)))
            .collect()
    }

    /// The dashboard's counts. Province-wide they are kept between requests (three
    /// GROUP BYs over every system otherwise); a subtree's are index lookups.
    pub async fn system_stats(&self) -> Result<SystemStats> {
        if self.scope == khien_domain::Scope::Province && self.conn.is_none() {
            let v = self
                .store
                .cache
                .get_or("system_stats", self.store.now(), || self.compute_stats())
                .await?;
            return Ok((*v).clone());
        }
        self.compute_stats().await
    }

    async fn compute_stats(&self) -> Result<SystemStats> {
        let by_type = self.grouped("s.system_type").await?;
        let by_status = self.grouped("s.status").await?;
        // The same condition as the inventory's `level=none` filter.
        let mut sql = Sql::new(
            "SELECT ou.id AS id, ou.name AS name, COUNT(*) AS n FROM systems s JOIN units ou ON ou.id = s.owner_unit_id WHERE s.status <> 'retired' AND NOT EXISTS (SELECT 1 FROM dossiers d WHERE d.system_id = s.id AND d.superseded = 0 AND d.status = 'approved')",
        );
        self.restrict_ids(&mut sql, "s", "systems", &["owner_unit_id", "operator_unit_id"]);
        sql.push(" GROUP BY ou.id, ou.name ORDER BY n DESC, ou.name");
        let rows = sql.query().all(self).await?;
        let mut behind_by_unit = rows
            .iter()
            .map(|r| Ok((r.try_get("id")?, r.try_get("name")?, r.try_get("n")?)))
            .collect::<Result<Vec<(String, String, i64)>>>()?;
        let without_level = behind_by_unit.iter().map(|(_, _, n)| n).sum();
        behind_by_unit.truncate(10);
        Ok(SystemStats {
            total: by_type.iter().map(|(_, n)| n).sum(),
            by_type,
            by_status,
            behind_by_unit,
            without_level,
        })
    }
}
