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
    /// Top units by number of systems owned: (unit id, unit name, count).
    pub by_unit: Vec<(String, String, i64)>,
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
        let mut sql = Sql::new(
            "SELECT ou.id AS id, ou.name AS name, COUNT(*) AS n FROM systems s JOIN units ou ON ou.id = s.owner_unit_id WHERE 1=1",
        );
        self.restrict_ids(&mut sql, "s", "systems", &["owner_unit_id", "operator_unit_id"]);
        sql.push(" GROUP BY ou.id, ou.name ORDER BY n DESC, ou.name LIMIT 10");
        let rows = sql.query().all(self).await?;
        let by_unit = rows
            .iter()
            .map(|r| Ok((r.try_get("id")?, r.try_get("name")?, r.try_get("n")?)))
            .collect::<Result<Vec<_>>>()?;
        Ok(SystemStats {
            total: by_type.iter().map(|(_, n)| n).sum(),
            by_type,
            by_status,
            by_unit,
        })
    }
}
