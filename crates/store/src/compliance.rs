//! The compliance index per unit and quarter (`compliance_scores`): written by the
//! daily sweep, read by the ranking for its trend. The score itself is computed by
//! `khien_duties::compliance` from the obligations; this stores what it gave.

use std::collections::HashMap;

use sqlx::Row;

use crate::audit::{Actor, RunInTx, WriteTx};
use crate::error::Result;
use crate::scope::ReadExt;
use crate::sql::Sql;
use crate::{Scoped, Store};

/// Rows written in one transaction.
const BATCH: usize = 500;

/// One unit's score for a quarter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuarterScore {
    pub unit_id: String,
    pub score_permille: Option<u32>,
    pub met_weight: u32,
    pub counted_weight: u32,
    pub not_counted: u32,
}

impl Store {
    /// Writes today's scores into `quarter` (`2026-Q4`), replacing the earlier scores of
    /// the same quarter; one audit entry per transaction. Idempotent: a second sweep
    /// on the same day writes the same rows.
    pub async fn record_compliance_scores(&self, quarter: &str, today: time::Date, scores: &[QuarterScore]) -> Result<usize> {
        let on = khien_domain::time_fmt::iso_date(today);
        for chunk in scores.chunks(BATCH) {
            let mut tx = WriteTx::begin(self, Actor::system()).await?;
            for s in chunk {
                sqlx::query("INSERT INTO compliance_scores (quarter, unit_id, score_permille, met_weight, counted_weight, not_counted, updated_on) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (quarter, unit_id) DO UPDATE SET score_permille = excluded.score_permille, met_weight = excluded.met_weight, counted_weight = excluded.counted_weight, not_counted = excluded.not_counted, updated_on = excluded.updated_on")
                    .bind(quarter.to_string())
                    .bind(s.unit_id.clone())
                    .bind(s.score_permille.map(i64::from))
                    .bind(i64::from(s.met_weight))
                    .bind(i64::from(s.counted_weight))
                    .bind(i64::from(s.not_counted))
                    .bind(on.clone())
                    .run(&tx)
                    .await?;
            }
            tx.record(
                "snapshot",
                "compliance",
                quarter,
                ("", "/"),
                None::<&()>,
                Some(&serde_json::json!({ "quarter": quarter, "on": on, "units": chunk.len() })),
            )
            .await?;
            tx.commit().await?;
        }
        Ok(scores.len())
    }
}

impl Scoped<'_> {
    /// The stored scores of `unit_ids` (units the caller already holds in scope) for
    /// `quarters`: unit id → quarter → score (none when the quarter had nothing to
    /// count).
    pub async fn compliance_history(&self, unit_ids: &[String], quarters: &[String]) -> Result<HashMap<String, HashMap<String, Option<u32>>>> {
        let mut out: HashMap<String, HashMap<String, Option<u32>>> = HashMap::new();
        if unit_ids.is_empty() || quarters.is_empty() {
            return Ok(out);
        }
        for chunk in unit_ids.chunks(BATCH) {
            let mut sql = Sql::new("SELECT c.unit_id, c.quarter, c.score_permille FROM compliance_scores c JOIN units u ON u.id = c.unit_id WHERE c.unit_id IN (");
            for (i, id) in chunk.iter().enumerate() {
                if i > 0 {
                    sql.push(", ");
                }
                sql.text(id.clone());
            }
            sql.push(") AND c.quarter IN (");
            for (i, q) in quarters.iter().enumerate() {
                if i > 0 {
                    sql.push(", ");
                }
                sql.text(q.clone());
            }
            sql.push(")");
            self.restrict(&mut sql, &["u.path"]);
            for r in sql.query().all(self).await? {
                let score: Option<i64> = r.try_get("score_permille")?;
                out.entry(r.try_get("unit_id")?)
                    .or_default()
                    .insert(r.try_get("quarter")?, score.and_then(|s| u32::try_from(s).ok()));
            }
        }
        Ok(out)
    }
}
