//! Periodic reports submitted by units and reviewed by the department: one row per
//! unit, report kind and period. What the caller checked (the kind is a report of the
//! rules in force, the period has its shape, its due date) comes in; who may submit and
//! review, and the state changes, are checked here inside the write's transaction.

use khien_domain::Role;
use khien_domain::time_fmt::iso_date;
use serde::Serialize;
use sqlx::Row;
use sqlx::any::AnyRow;
use time::Date;

use crate::audit::RunInTx;
use crate::error::{Result, StoreError};
use crate::scope::ReadExt;
use crate::sql::Sql;
use crate::{Scoped, new_id};

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct ReportSubmission {
    pub id: String,
    pub unit_id: String,
    pub unit_name: String,
    pub kind: String,
    pub period: String,
    pub due_on: String,
    pub submitted_on: String,
    pub submitted_by: String,
    pub reference: Option<String>,
    pub note: Option<String>,
    /// submitted | accepted | returned
    pub status: String,
    pub reviewed_by: Option<String>,
    pub reviewed_at: Option<String>,
    pub review_note: Option<String>,
}

impl ReportSubmission {
    /// Days after its due date it was submitted (0: on time).
    pub fn days_late(&self) -> i64 {
        match (khien_domain::time_fmt::parse_iso_date(&self.submitted_on), khien_domain::time_fmt::parse_iso_date(&self.due_on)) {
            (Some(s), Some(d)) => (s - d).whole_days().max(0),
            _ => 0,
        }
    }
}

const COLS: &str = "r.id, r.unit_id, u.name AS unit_name, r.kind, r.period, r.due_on, r.submitted_on, r.submitted_by, r.reference, r.note, r.status, r.reviewed_by, r.reviewed_at, r.review_note";

fn from_row(r: &AnyRow) -> Result<ReportSubmission> {
    Ok(ReportSubmission {
        id: r.try_get("id")?,
        unit_id: r.try_get("unit_id")?,
        unit_name: r.try_get("unit_name")?,
        kind: r.try_get("kind")?,
        period: r.try_get("period")?,
        due_on: r.try_get("due_on")?,
        submitted_on: r.try_get("submitted_on")?,
        submitted_by: r.try_get("submitted_by")?,
        reference: r.try_get("reference")?,
        note: r.try_get("note")?,
        status: r.try_get("status")?,
        reviewed_by: r.try_get("reviewed_by")?,
        reviewed_at: r.try_get("reviewed_at")?,
        review_note: r.try_get("review_note")?,
    })
}

/// Who submits a unit's reports: its manager (the department for its own).
pub fn may_submit(role: Role) -> bool {
    role.can_edit_units()
}

/// What a submission says, checked by the caller against the rules.
pub struct NewSubmission<'a> {
    pub kind: &'a str,
    pub period: &'a str,
    pub due_on: Date,
    pub reference: Option<String>,
    pub note: Option<String>,
}

impl Scoped<'_> {
    /// Submits the principal's unit's report for a period: a new row, or a returned one
    /// submitted again (conditional on it still being returned). A report submitted or
    /// accepted is refused a second time.
    pub async fn submit_report(&self, n: &NewSubmission<'_>) -> Result<String> {
        if !may_submit(self.principal.role) {
            return Err(StoreError::Forbidden);
        }
        let mut tx = self.write().await?;
        let r = self.within(&tx);
        let unit = sqlx::query("SELECT id, path FROM units WHERE id = $1").bind(self.principal.unit_id.clone()).one(&r).await?;
        let (unit_id, path): (String, String) = (unit.try_get("id")?, unit.try_get("path")?);
        let today = iso_date(self.store.today_vn());
        let existing = sqlx::query("SELECT id, status FROM report_submissions WHERE unit_id = $1 AND kind = $2 AND period = $3")
            .bind(unit_id.clone())
            .bind(n.kind.to_string())
            .bind(n.period.to_string())
            .opt(&r)
            .await?;
        let id = match existing {
            Some(row) => {
                let (id, status): (String, String) = (row.try_get("id")?, row.try_get("status")?);
                if status != "returned" {
                    return Err(StoreError::Conflict("submission.err_already"));
                }
                let changed = sqlx::query("UPDATE report_submissions SET status = 'submitted', submitted_on = $1, submitted_at = $2, submitted_by = $3, reference = $4, note = $5, reviewed_by = NULL, reviewed_at = NULL WHERE id = $6 AND status = 'returned'")
                    .bind(today.clone())
                    .bind(tx.at().to_string())
                    .bind(self.principal.username.clone())
                    .bind(n.reference.clone())
                    .bind(n.note.clone())
                    .bind(id.clone())
                    .run(&tx)
                    .await?;
                crate::one_row(changed)?;
                id
            }
            None => {
                let id = new_id();
                sqlx::query("INSERT INTO report_submissions (id, unit_id, kind, period, due_on, submitted_on, submitted_at, submitted_by, reference, note, status) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'submitted')")
                    .bind(id.clone())
                    .bind(unit_id.clone())
                    .bind(n.kind.to_string())
                    .bind(n.period.to_string())
                    .bind(iso_date(n.due_on))
                    .bind(today.clone())
                    .bind(tx.at().to_string())
                    .bind(self.principal.username.clone())
                    .bind(n.reference.clone())
                    .bind(n.note.clone())
                    .run(&tx)
                    .await
                    .map_err(|e| StoreError::unique(e, "submission.err_already"))?;
                id
            }
        };
        tx.record("submit", "report", &id, (&unit_id, &path), None::<&()>, Some(&serde_json::json!({ "kind": n.kind, "period": n.period, "due_on": iso_date(n.due_on), "submitted_on": today, "reference": n.reference }))).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// The department accepts or returns a submitted report (a reason to return),
    /// conditional on it still being submitted.
    pub async fn review_report(&self, id: &str, accept: bool, note: &str) -> Result<()> {
        if self.principal.role != Role::ProvinceAdmin {
            return Err(StoreError::Forbidden);
        }
        let note = note.trim();
        if !accept && note.is_empty() {
            return Err(StoreError::Invalid(khien_domain::Invalid {
                errors: vec![khien_domain::FieldError { field: "review_note", key: "submission.err_reason", detail: String::new() }],
            }));
        }
        let mut tx = self.write().await?;
        let r = self.within(&tx);
        let mut sql = Sql::new(&format!("SELECT {COLS}, u.path FROM report_submissions r JOIN units u ON u.id = r.unit_id WHERE r.id = "));
        sql.text(id.to_string());
        r.restrict(&mut sql, &["u.path"]);
        let row = sql.query().opt(&r).await?.ok_or(StoreError::NotFound)?;
        let s = from_row(&row)?;
        let path: String = row.try_get("path")?;
        let to = if accept { "accepted" } else { "returned" };
        let changed = sqlx::query("UPDATE report_submissions SET status = $1, reviewed_by = $2, reviewed_at = $3, review_note = $4 WHERE id = $5 AND status = 'submitted'")
            .bind(to.to_string())
            .bind(self.principal.username.clone())
            .bind(tx.at().to_string())
            .bind(Some(note.to_string()).filter(|n| !n.is_empty()))
            .bind(id.to_string())
            .run(&tx)
            .await?;
        if changed == 0 {
            return Err(StoreError::Conflict("submission.err_not_submitted"));
        }
        tx.record("review", "report", id, (&s.unit_id, &path), Some(&serde_json::json!({ "status": s.status })), Some(&serde_json::json!({ "status": to, "note": note }))).await?;
        tx.commit().await
    }

    /// Submissions in scope, latest first.
    pub async fn report_submissions(&self, limit: i64) -> Result<Vec<ReportSubmission>> {
        let mut sql = Sql::new(&format!("SELECT {COLS} FROM report_submissions r JOIN units u ON u.id = r.unit_id WHERE 1=1"));
        self.restrict(&mut sql, &["u.path"]);
        sql.push(" ORDER BY r.submitted_at DESC, r.id DESC LIMIT ").int(limit.clamp(1, 1000));
        sql.query().all(self).await?.iter().map(from_row).collect()
    }
}
