//! The reports an incident owed, recorded as sent (`incident_reports_sent`, one per
//! kind), and the incidents whose reports someone must still send: what the incident
//! page, the work queue and the reminder sweep compute the legal clocks for.

use khien_domain::incidents::{self as rules, ReportSent as SentFields, ReportSentInput};
use khien_domain::time_fmt::{parse_rfc3339, to_rfc3339};
use serde::Serialize;
use sqlx::Row;

use super::{COLS, Incident, from_row};
use crate::audit::RunInTx;
use crate::error::{Result, StoreError};
use crate::scope::ReadExt;
use crate::sql::Sql;
use crate::{Scoped, new_id};

/// A report recorded as sent.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct ReportSent {
    pub id: String,
    pub kind: String,
    /// UTC, to the minute.
    pub sent_at: String,
    pub reference: String,
    pub recipient: String,
    /// The username of whoever recorded it.
    pub sent_by: String,
    pub created_at: String,
}

/// An incident with the kinds of report already sent for it.
#[derive(Debug, Clone)]
pub struct IncidentToReport {
    pub incident: Incident,
    pub sent: Vec<String>,
}

/// Closed incidents still looked at for reports owed (a closure report may be sent
/// after the incident is closed).
pub const CLOSED_LOOKBACK_DAYS: i64 = 90;

impl Scoped<'_> {
    /// The reports recorded as sent for a visible incident, by kind.
    pub async fn reports_sent(&self, incident_id: &str) -> Result<Vec<ReportSent>> {
        self.incident(incident_id).await?;
        sqlx::query("SELECT id, kind, sent_at, reference, recipient, sent_by, created_at FROM incident_reports_sent WHERE incident_id = $1 ORDER BY sent_at, kind")
            .bind(incident_id.to_string())
            .all(self)
            .await?
            .iter()
            .map(|r| {
                Ok(ReportSent {
                    id: r.try_get("id")?,
                    kind: r.try_get("kind")?,
                    sent_at: r.try_get("sent_at")?,
                    reference: r.try_get("reference")?,
                    recipient: r.try_get("recipient")?,
                    sent_by: r.try_get("sent_by")?,
                    created_at: r.try_get("created_at")?,
                })
            })
            .collect()
    }

    /// Records that a report the incident owes (`owed`: the kinds its clocks list)
    /// was sent: by someone who works the incident, once per kind (a second record of
    /// the same kind is refused at the field), audited as `report_sent`.
    pub async fn record_report_sent(&self, incident_id: &str, input: &ReportSentInput, owed: &[&str]) -> Result<String> {
        let mut tx = self.write().await?;
        let r = self.within(&tx);
        let i = r.incident(incident_id).await?;
        let a = r.incident_actor(&i).await?;
        rules::may_work(a).map_err(StoreError::refused)?;
        let detected = parse_rfc3339(&i.detected_at).ok_or_else(|| StoreError::Corrupt("detected_at", i.detected_at.clone()))?;
        let f: SentFields = input.validate(self.store.now(), detected, owed).map_err(StoreError::Invalid)?;
        let id = new_id();
        let sent_at = to_rfc3339(f.sent_at);
        sqlx::query("INSERT INTO incident_reports_sent (id, incident_id, kind, sent_at, reference, recipient, sent_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
            .bind(id.clone())
            .bind(incident_id.to_string())
            .bind(f.kind.clone())
            .bind(sent_at.clone())
            .bind(f.reference.clone())
            .bind(f.recipient.clone())
            .bind(self.principal.username.clone())
            .bind(tx.at().to_string())
            .run(&tx)
            .await
            .map_err(|e| match StoreError::unique(e, "incident.err_report_sent_already") {
                StoreError::Conflict(key) => super::invalid("report_kind", key),
                other => other,
            })?;
        sqlx::query("UPDATE incidents SET updated_at = $1 WHERE id = $2")
            .bind(tx.at().to_string())
            .bind(incident_id.to_string())
            .run(&tx)
            .await?;
        let unit = Self::audit_unit(&i);
        tx.record(
            "report_sent",
            "incident",
            incident_id,
            (&unit.0, &unit.1),
            None::<&()>,
            Some(&serde_json::json!({ "report": id, "kind": f.kind, "sent_at": sent_at, "reference": f.reference, "recipient": f.recipient })),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Incidents whose reports this principal's side must send, newest recorded
    /// first (ids are time-ordered), after the cursor `after` (an incident id, "" first), at most `limit`:
    /// for a unit, the incidents its subtree reported; province-wide, those without a
    /// reporting unit (the public's, the machines'), which the provincial team reports
    /// — or every incident when `every_incident` (the platform's sweep). Open incidents
    /// and those closed in the last [`CLOSED_LOOKBACK_DAYS`]. Returns the page and the
    /// next cursor.
    pub async fn incidents_to_report(&self, every_incident: bool, after: &str, limit: i64) -> Result<(Vec<IncidentToReport>, Option<String>)> {
        let limit = limit.clamp(1, 1000);
        let since = to_rfc3339(self.store.now() - time::Duration::days(CLOSED_LOOKBACK_DAYS));
        let mut sql = Sql::new(&format!("SELECT {COLS} FROM incidents i LEFT JOIN units u ON u.id = i.unit_id WHERE (i.closed_at IS NULL OR i.closed_at >= "));
        sql.text(since).push(")");
        match &self.scope {
            khien_domain::Scope::Subtree { .. } => {
                sql.push(" AND i.unit_id IS NOT NULL");
                self.restrict(&mut sql, &["u.path"]);
            }
            khien_domain::Scope::Province if !every_incident => {
                sql.push(" AND i.unit_id IS NULL");
            }
            khien_domain::Scope::Province => {}
        }
        if !after.is_empty() {
            sql.push(" AND i.id < ").text(after.to_string());
        }
        sql.push(" ORDER BY i.id DESC LIMIT ").int(limit + 1);
        let rows = sql.query().all(self).await?;
        let mut incidents = rows.iter().map(from_row).collect::<Result<Vec<_>>>()?;
        let cap = usize::try_from(limit).unwrap_or(usize::MAX);
        let next = (incidents.len() > cap).then(|| incidents[cap - 1].id.clone());
        incidents.truncate(cap);
        let mut out: Vec<IncidentToReport> = incidents.into_iter().map(|incident| IncidentToReport { incident, sent: Vec::new() }).collect();
        if out.is_empty() {
            return Ok((out, next));
        }
        let mut sql = Sql::new("SELECT incident_id, kind FROM incident_reports_sent WHERE incident_id IN (");
        for (n, x) in out.iter().enumerate() {
            if n > 0 {
                sql.push(", ");
            }
            sql.text(x.incident.id.clone());
        }
        sql.push(")");
        for r in sql.query().all(self).await? {
            let id: String = r.try_get("incident_id")?;
            if let Some(x) = out.iter_mut().find(|x| x.incident.id == id) {
                x.sent.push(r.try_get("kind")?);
            }
        }
        Ok((out, next))
    }
}
