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
    /// Obligations of the unit and its systems overdue on the day of the sweep.
    pub overdue_obligations: u32,
    /// Of those, periodic reports (a per-period rule's occurrence).
    pub overdue_reports: u32,
}

/// How a unit stood at the last sweep of a quarter, for the dashboards.
#[derive(Debug, Clone)]
pub struct UnitStanding {
    pub unit_id: String,
    pub name: String,
    pub score_permille: Option<u32>,
    pub overdue_obligations: u32,
    pub overdue_reports: u32,
}

/// The units in scope as the quarter's last sweep left them.
#[derive(Debug, Clone, Default)]
pub struct Standings {
    /// The Vietnam date of the sweep the rows come from (the oldest, when sweeps of
    /// several days left rows); none when no sweep has scored the quarter yet.
    pub as_of: Option<time::Date>,
    /// Best score first; units without a score last, by name.
    pub units: Vec<UnitStanding>,
}

impl Standings {
    pub fn scored(&self) -> impl Iterator<Item = &UnitStanding> {
        self.units.iter().filter(|u| u.score_permille.is_some())
    }
    /// The mean score of the scored units, in tenths of a percent, rounded.
    pub fn mean_permille(&self) -> Option<u32> {
        let (sum, n) = self.scored().fold((0u64, 0u64), |(s, n), u| (s + u64::from(u.score_permille.unwrap_or(0)), n + 1));
        (n > 0).then(|| u32::try_from((sum + n / 2) / n).unwrap_or(0))
    }
    pub fn behind_on_reports(&self) -> usize {
        self.units.iter().filter(|u| u.overdue_reports > 0).count()
    }
    pub fn behind(&self) -> usize {
        self.units.iter().filter(|u| u.overdue_obligations > 0).count()
    }
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
                sqlx::query("INSERT INTO compliance_scores (quarter, unit_id, score_permille, met_weight, counted_weight, not_counted, overdue_obligations, overdue_reports, updated_on) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (quarter, unit_id) DO UPDATE SET score_permille = excluded.score_permille, met_weight = excluded.met_weight, counted_weight = excluded.counted_weight, not_counted = excluded.not_counted, overdue_obligations = excluded.overdue_obligations, overdue_reports = excluded.overdue_reports, updated_on = excluded.updated_on")
                    .bind(quarter.to_string())
                    .bind(s.unit_id.clone())
                    .bind(s.score_permille.map(i64::from))
                    .bind(i64::from(s.met_weight))
                    .bind(i64::from(s.counted_weight))
                    .bind(i64::from(s.not_counted))
                    .bind(i64::from(s.overdue_obligations))
                    .bind(i64::from(s.overdue_reports))
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

    /// The units in scope as the last sweep of `quarter` left them (the dashboards and
    /// the leader's page: a read of stored rows, whatever the tree's size).
    pub async fn compliance_standings(&self, quarter: &str) -> Result<Standings> {
        let mut sql = Sql::new("SELECT c.unit_id, u.name, c.score_permille, c.overdue_obligations, c.overdue_reports, c.updated_on FROM compliance_scores c JOIN units u ON u.id = c.unit_id WHERE c.quarter = ");
        sql.text(quarter.to_string());
        self.restrict(&mut sql, &["u.path"]);
        let mut out = Standings::default();
        for r in sql.query().all(self).await? {
            let on: String = r.try_get("updated_on")?;
            let on = khien_domain::time_fmt::parse_iso_date(&on);
            out.as_of = match (out.as_of, on) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            let count = |c: &str| -> Result<u32> { Ok(u32::try_from(r.try_get::<i64, _>(c)?).unwrap_or(0)) };
            out.units.push(UnitStanding {
                unit_id: r.try_get("unit_id")?,
                name: r.try_get("name")?,
                score_permille: r.try_get::<Option<i64>, _>("score_permille")?.and_then(|s| u32::try_from(s).ok()),
                overdue_obligations: count("overdue_obligations")?,
                overdue_reports: count("overdue_reports")?,
            });
        }
        out.units.sort_by(|a, b| {
            b.score_permille.is_some().cmp(&a.score_permille.is_some())
                .then(b.score_permille.cmp(&a.score_permille))
                .then_with(|| khien_domain::text::fold(&a.name).cmp(&khien_domain::text::fold(&b.name)))
        });
        Ok(out)
    }
}
