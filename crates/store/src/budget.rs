//! Budget lines (issue 12 item 4): a unit's IT and digital-transformation plans and
//! projects with their total and the amount for security. A line belongs to a unit in
//! the recorder's scope; the share is checked on read against the threshold in force
//! when the plan was approved ([`khien_domain::budget`]), so a change of threshold never
//! rewrites a record.

use khien_domain::Role;
use khien_domain::budget::BudgetFields;
use khien_domain::time_fmt::iso_date;
use serde::Serialize;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::audit::RunInTx;
use crate::error::{Result, StoreError};
use crate::scope::ReadExt;
use crate::sql::Sql;
use crate::{Scoped, new_id};

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct BudgetLine {
    pub id: String,
    pub unit_id: String,
    pub unit_name: String,
    pub kind: String,
    pub title: String,
    pub decision_no: String,
    /// yyyy-mm-dd.
    pub approved_on: String,
    pub total: i64,
    pub security: i64,
    pub note: Option<String>,
    pub created_by: String,
}

/// Who records budget lines: those who maintain the unit's systems and plans.
pub fn may_record(role: Role) -> bool {
    role.can_edit_systems()
}

fn line(r: &AnyRow) -> Result<BudgetLine> {
    Ok(BudgetLine {
        id: r.try_get("id")?,
        unit_id: r.try_get("unit_id")?,
        unit_name: r.try_get("unit_name")?,
        kind: r.try_get("kind")?,
        title: r.try_get("title")?,
        decision_no: r.try_get("decision_no")?,
        approved_on: r.try_get("approved_on")?,
        total: r.try_get("total")?,
        security: r.try_get("security")?,
        note: r.try_get("note")?,
        created_by: r.try_get("created_by")?,
    })
}

const SELECT: &str = "SELECT b.id, b.unit_id, u.name AS unit_name, b.kind, b.title, b.decision_no, b.approved_on, b.total, b.security, b.note, b.created_by FROM budget_lines b JOIN units u ON u.id = b.unit_id WHERE 1=1";

impl Scoped<'_> {
    /// Records a line for a unit in scope, audited.
    pub async fn record_budget_line(&self, unit_id: &str, f: &BudgetFields) -> Result<String> {
        if !may_record(self.principal.role) {
            return Err(StoreError::Forbidden);
        }
        let mut tx = self.write().await?;
        let unit = self.within(&tx).unit(unit_id).await?;
        let id = new_id();
        sqlx::query("INSERT INTO budget_lines (id, unit_id, kind, title, decision_no, approved_on, total, security, note, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)")
            .bind(id.clone())
            .bind(unit.id.clone())
            .bind(f.kind.to_string())
            .bind(f.title.clone())
            .bind(f.decision_no.clone())
            .bind(iso_date(f.approved_on))
            .bind(f.total)
            .bind(f.security)
            .bind(f.note.clone())
            .bind(self.principal.username.clone())
            .bind(tx.at().to_string())
            .run(&tx)
            .await?;
        tx.record("create", "budget_line", &id, (&unit.id, &unit.path), None::<&()>, Some(&serde_json::json!({ "kind": f.kind, "title": f.title, "decision_no": f.decision_no, "approved_on": iso_date(f.approved_on), "total": f.total, "security": f.security }))).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Lines in scope, latest approval first (at most `limit`).
    pub async fn budget_lines(&self, limit: i64) -> Result<Vec<BudgetLine>> {
        let mut sql = Sql::new(SELECT);
        self.restrict_ids(&mut sql, "b", "budget_lines", &["unit_id"]);
        sql.push(" ORDER BY b.approved_on DESC, b.id DESC LIMIT ").int(limit.clamp(1, 5_000));
        sql.query().all(self).await?.iter().map(line).collect()
    }

    /// Removes a line recorded by mistake (in scope), audited with what it said.
    pub async fn remove_budget_line(&self, id: &str) -> Result<()> {
        if !may_record(self.principal.role) {
            return Err(StoreError::Forbidden);
        }
        let mut tx = self.write().await?;
        let r = self.within(&tx);
        let mut sql = Sql::new(SELECT);
        sql.push(" AND b.id = ").text(id.to_string());
        self.restrict_ids(&mut sql, "b", "budget_lines", &["unit_id"]);
        let before = line(&sql.query().opt(&r).await?.ok_or(StoreError::NotFound)?)?;
        let unit = r.unit(&before.unit_id).await?;
        let n = sqlx::query("DELETE FROM budget_lines WHERE id = $1").bind(before.id.clone()).run(&tx).await?;
        if n != 1 {
            return Err(StoreError::NotFound);
        }
        tx.record("delete", "budget_line", &before.id, (&unit.id, &unit.path), Some(&before), None::<&()>).await?;
        tx.commit().await?;
        Ok(())
    }
}
