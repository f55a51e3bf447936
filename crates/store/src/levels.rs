//! Level determinations of a system, as recorded by the wizard.

use khien_levels::{Determination, FiredCriterion, LevelInput};
use serde::Serialize;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::audit::RunInTx;
use crate::scope::ReadExt;
use crate::error::{Result, StoreError};
use crate::{Scoped, new_id};

#[derive(Debug, Clone, Serialize)]
#[derive(schemars::JsonSchema)]
pub struct Assessment {
    pub id: String,
    pub system_id: String,
    pub regime: String,
    #[serde(skip)]
    pub input: LevelInput,
    pub level: u8,
    pub criteria: Vec<Criterion>,
    pub appraiser: String,
    pub approver: String,
    pub created_at: String,
    pub created_by: String,
}

#[derive(Debug, Clone, Serialize, serde::Deserialize)]
#[derive(schemars::JsonSchema)]
pub struct Criterion {
    pub article: String,
    pub text: String,
}

pub(crate) const COLUMNS: &str = "id, system_id, regime, input_json, level, criteria_json, appraiser, approver, created_at, created_by";

pub(crate) fn from_row(r: &AnyRow) -> Result<Assessment> {
    let input: String = r.try_get("input_json")?;
    let criteria: String = r.try_get("criteria_json")?;
    let level: i16 = r.try_get("level")?;
    Ok(Assessment {
        id: r.try_get("id")?,
        system_id: r.try_get("system_id")?,
        regime: r.try_get("regime")?,
        input: serde_json::from_str(&input).unwrap_or_default(),
        level: u8::try_from(level).unwrap_or(0),
        criteria: serde_json::from_str(&criteria).unwrap_or_default(),
        appraiser: r.try_get("appraiser")?,
        approver: r.try_get("approver")?,
        created_at: r.try_get("created_at")?,
        created_by: r.try_get("created_by")?,
    })
}

impl Scoped<'_> {
    /// Records a determination for a system in scope.
    pub async fn record_assessment(
        &self,
        system_id: &str,
        input: &LevelInput,
        d: &Determination,
    ) -> Result<Assessment> {
        let mut tx = self.write().await?;
        let r = self.within(&tx);
        let system = r.system(system_id).await?;
        // Determining the level opens the owner's dossier: the same rule as a new version.
        khien_domain::dossiers::policy::may_create(r.actor_for(&system))
            .map_err(|_| StoreError::Forbidden)?;
        let criteria: Vec<Criterion> = d
            .criteria
            .iter()
            .map(|c: &FiredCriterion| Criterion {
                article: c.article.clone(),
                text: c.text.clone(),
            })
            .collect();
        let a = Assessment {
            id: new_id(),
            system_id: system_id.to_string(),
            regime: d.regime.clone(),
            input: input.clone(),
            level: d.level,
            criteria,
            appraiser: d.appraiser.as_str().to_string(),
            approver: d.approver.as_str().to_string(),
            created_at: tx.at().to_string(),
            created_by: self.principal.username.clone(),
        };
        let input_json = serde_json::to_string(input)
            .map_err(|e| StoreError::Db(sqlx::Error::Protocol(e.to_string())))?;
        let criteria_json = serde_json::to_string(&a.criteria).unwrap_or_else(|_| "[]".into());
        sqlx::query(sqlx::AssertSqlSafe(format!("INSERT INTO level_assessments ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)")))
            .bind(a.id.clone())
            .bind(a.system_id.clone())
            .bind(a.regime.clone())
            .bind(input_json.clone())
            .bind(i16::from(a.level))
            .bind(criteria_json)
            .bind(a.appraiser.clone())
            .bind(a.approver.clone())
            .bind(a.created_at.clone())
            .bind(a.created_by.clone())
            .run(&tx)
            .await?;
        tx.record(
            "determine",
            "system",
            system_id,
            (&system.fields.owner_unit_id, &system.owner_path),
            None::<&()>,
            Some(&serde_json::json!({ "regime": a.regime, "level": a.level, "input": input })),
        )
        .await?;
        tx.commit().await?;
        Ok(a)
    }

    pub async fn latest_assessment(&self, system_id: &str) -> Result<Option<Assessment>> {
        self.system(system_id).await?;
        let row = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {COLUMNS} FROM level_assessments WHERE system_id = $1 ORDER BY created_at DESC, id DESC LIMIT 1")))
            .bind(system_id.to_string())
            .opt(self)
            .await?;
        row.as_ref().map(from_row).transpose()
    }

    pub async fn assessment(&self, id: &str) -> Result<Assessment> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM level_assessments WHERE id = $1"
        )))
        .bind(id.to_string())
        .opt(self)
        .await?
        .ok_or(StoreError::NotFound)?;
        let a = from_row(&row)?;
        self.system(&a.system_id).await?;
        Ok(a)
    }
}
