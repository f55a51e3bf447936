//! The risk register (issue 12 item 4): risks of units and of their systems, seen where
//! the unit is; recorded and updated by those who maintain systems, each save
//! conditional on the version its form was read at and audited with before and after.

use khien_domain::risks::RiskFields;
use khien_domain::time_fmt::iso_date;
use serde::Serialize;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::error::{Result, StoreError};
use crate::scope::ReadExt;
use crate::sql::{Arg, Sql, count_and_rows, insert_versioned, update_versioned};
use crate::{Scoped, new_id};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Risk {
    pub id: String,
    pub unit_id: String,
    pub unit_name: String,
    pub system_id: Option<String>,
    pub system_name: Option<String>,
    pub title: String,
    pub description: String,
    pub likelihood: i64,
    pub impact: i64,
    pub score: i64,
    pub status: String,
    pub treatment: Option<String>,
    pub treatment_plan: Option<String>,
    pub owner: Option<String>,
    /// yyyy-mm-dd.
    pub due_on: Option<String>,
    pub accepted_by: Option<String>,
    pub version: i64,
    pub updated_by: String,
    pub updated_at: String,
}

impl Risk {
    pub fn due(&self) -> Option<time::Date> {
        self.due_on.as_deref().and_then(khien_domain::time_fmt::parse_iso_date)
    }
}

/// Which risks a register shows.
#[derive(Debug, Clone, Default)]
pub struct RiskQuery {
    /// Only this system's (in scope).
    pub system_id: Option<String>,
    /// Closed and accepted ones too.
    pub include_settled: bool,
}

const COLS: &str = "r.id, r.unit_id, u.name AS unit_name, r.system_id, s.name AS system_name, r.title, r.description, r.likelihood, r.impact, r.score, r.status, r.treatment, r.treatment_plan, r.owner, r.due_on, r.accepted_by, r.version, r.updated_by, r.updated_at";
const FROM: &str = " FROM risks r JOIN units u ON u.id = r.unit_id LEFT JOIN systems s ON s.id = r.system_id WHERE 1=1";
/// Risks still to be dealt with.
const UNSETTLED: &str = " AND r.status IN ('open', 'treating')";

fn risk(r: &AnyRow) -> Result<Risk> {
    Ok(Risk {
        id: r.try_get("id")?,
        unit_id: r.try_get("unit_id")?,
        unit_name: r.try_get("unit_name")?,
        system_id: r.try_get("system_id")?,
        system_name: r.try_get("system_name")?,
        title: r.try_get("title")?,
        description: r.try_get("description")?,
        likelihood: r.try_get("likelihood")?,
        impact: r.try_get("impact")?,
        score: r.try_get("score")?,
        status: r.try_get("status")?,
        treatment: r.try_get("treatment")?,
        treatment_plan: r.try_get("treatment_plan")?,
        owner: r.try_get("owner")?,
        due_on: r.try_get("due_on")?,
        accepted_by: r.try_get("accepted_by")?,
        version: r.try_get("version")?,
        updated_by: r.try_get("updated_by")?,
        updated_at: r.try_get("updated_at")?,
    })
}

/// Who records risks.
pub fn may_record(role: khien_domain::Role) -> bool {
    role.can_edit_systems()
}

impl Scoped<'_> {
    /// Risks in scope as `q` picks them, highest score first (at most `limit`), with
    /// the number that match.
    pub async fn risks(&self, q: &RiskQuery, limit: i64) -> Result<(i64, Vec<Risk>)> {
        let mut filter = Sql::new(FROM);
        self.restrict_ids(&mut filter, "r", "risks", &["unit_id"]);
        if let Some(s) = &q.system_id {
            self.system(s).await?;
            filter.push(" AND r.system_id = ").text(s.clone());
        }
        if !q.include_settled {
            filter.push(UNSETTLED);
        }
        let (n, rows) = count_and_rows(self, &filter, COLS, &format!(" ORDER BY r.score DESC, r.due_on, r.id LIMIT {}", limit.clamp(1, 2_000))).await?;
        Ok((n, rows.iter().map(risk).collect::<Result<Vec<_>>>()?))
    }

    /// Unsettled risks in scope counted on the 5×5 matrix: `[likelihood-1][impact-1]`.
    pub async fn risk_matrix(&self, system_id: Option<&str>) -> Result<[[i64; 5]; 5]> {
        let mut sql = Sql::new("SELECT r.likelihood, r.impact, COUNT(*) AS n FROM risks r WHERE 1=1");
        self.restrict_ids(&mut sql, "r", "risks", &["unit_id"]);
        if let Some(s) = system_id {
            sql.push(" AND r.system_id = ").text(s.to_string());
        }
        sql.push(UNSETTLED).push(" GROUP BY r.likelihood, r.impact");
        let mut m = [[0i64; 5]; 5];
        for r in sql.query().all(self).await? {
            let (l, i): (i64, i64) = (r.try_get("likelihood")?, r.try_get("impact")?);
            if let (Ok(l @ 0..=4), Ok(i @ 0..=4)) = (usize::try_from(l - 1), usize::try_from(i - 1)) {
                m[l][i] = r.try_get("n")?;
            }
        }
        Ok(m)
    }

    /// One risk in scope.
    pub async fn risk(&self, id: &str) -> Result<Risk> {
        let mut sql = Sql::new(&format!("SELECT {COLS}{FROM}"));
        sql.push(" AND r.id = ").text(id.to_string());
        self.restrict_ids(&mut sql, "r", "risks", &["unit_id"]);
        risk(&sql.query().opt(self).await?.ok_or(StoreError::NotFound)?)
    }

    /// Records a risk of a system in scope (`f.system_id`; the unit is its owner) or of
    /// a unit in scope, audited.
    pub async fn create_risk(&self, unit_id: &str, f: &RiskFields) -> Result<String> {
        if !may_record(self.principal.role) {
            return Err(StoreError::Forbidden);
        }
        let mut tx = self.write().await?;
        let r = self.within(&tx);
        let unit = match &f.system_id {
            Some(s) => {
                let sys = r.system(s).await?;
                r.as_platform().unit(&sys.fields.owner_unit_id).await?
            }
            None => r.unit(unit_id).await?,
        };
        let id = new_id();
        let fixed = [("id", Arg::Text(id.clone())), ("unit_id", Arg::Text(unit.id.clone())), ("system_id", Arg::OptText(f.system_id.clone()))];
        insert_versioned(&tx, "risks", &fixed, &columns(f), &self.principal.username, tx.at()).await?;
        tx.record("create", "risk", &id, (&unit.id, &unit.path), None::<&()>, Some(f)).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Saves a risk in scope (its unit and system stay). Refused as stale when it
    /// changed since the form read version `f.seen_version`.
    pub async fn update_risk(&self, id: &str, f: &RiskFields) -> Result<()> {
        if !may_record(self.principal.role) {
            return Err(StoreError::Forbidden);
        }
        let mut tx = self.write().await?;
        let r = self.within(&tx);
        let before = r.risk(id).await?;
        let unit = r.as_platform().unit(&before.unit_id).await?;
        let stale = StoreError::Conflict("risk.err_stale");
        if before.version != f.seen_version {
            return Err(stale);
        }
        let n = update_versioned(&tx, "risks", &before.id, &columns(f), f.seen_version, &self.principal.username, tx.at()).await?;
        if n != 1 {
            return Err(stale);
        }
        tx.record("update", "risk", &before.id, (&unit.id, &unit.path), Some(&before), Some(f)).await?;
        tx.commit().await?;
        Ok(())
    }
}

/// What a save of a risk may change, as columns (the score is derived here, once).
fn columns(f: &RiskFields) -> Vec<(&'static str, Arg)> {
    vec![
        ("title", Arg::Text(f.title.clone())),
        ("description", Arg::Text(f.description.clone())),
        ("likelihood", Arg::Int(f.likelihood)),
        ("impact", Arg::Int(f.impact)),
        ("score", Arg::Int(f.likelihood * f.impact)),
        ("status", Arg::Text(f.status.to_string())),
        ("treatment", Arg::OptText(f.treatment.map(str::to_string))),
        ("treatment_plan", Arg::OptText(f.treatment_plan.clone())),
        ("owner", Arg::OptText(f.owner.clone())),
        ("due_on", Arg::OptText(f.due_on.map(iso_date))),
        ("accepted_by", Arg::OptText(f.accepted_by.clone())),
    ]
}
