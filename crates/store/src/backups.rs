//! Backup plans and restore tests per system (issue 12 item 4). The plan is saved
//! conditionally on the version its form was read at; a restore test is a record that
//! is kept as it was. Both are written by those who maintain the system's records,
//! inside their transaction, and audited.

use std::collections::HashMap;

use khien_domain::Role;
use khien_domain::backups::{PlanFields, Policy, RestoreTestFields, SUCCEEDED};
use khien_domain::time_fmt::iso_date;
use serde::Serialize;
use sqlx::Row;
use sqlx::any::AnyRow;
use time::Date;

use crate::audit::RunInTx;
use crate::error::{Result, StoreError};
use crate::scope::ReadExt;
use crate::sql::{Arg, Sql, save_versioned};
use crate::{Scoped, new_id};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BackupPlan {
    pub scope: String,
    pub frequency: String,
    pub retention_days: i64,
    pub offsite: bool,
    pub method: Option<String>,
    pub version: i64,
    pub updated_by: String,
    pub updated_at: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RestoreTest {
    pub id: String,
    /// yyyy-mm-dd.
    pub tested_on: String,
    pub outcome: String,
    pub duration_minutes: Option<i64>,
    pub restored: String,
    pub note: Option<String>,
    pub recorded_by: String,
}

/// A system with its level, its plan and how its restore tests stand.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SystemBackup {
    pub system_id: String,
    pub name: String,
    pub unit_name: String,
    pub level: Option<u8>,
    pub plan: Option<BackupPlan>,
    /// The last restore test that succeeded.
    pub last_success: Option<Date>,
    /// The latest test's day and outcome.
    pub last_test: Option<(Date, String)>,
}

/// Which operating systems an overview lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BackupFilter {
    All,
    /// Those at the policy's level or above.
    Required,
    /// Those of them with a gap: no plan, no successful restore within the period, or
    /// a latest test that failed.
    RequiredBehind,
}

/// Who records plans and tests: those who maintain the unit's systems.
pub fn may_record(role: Role) -> bool {
    role.can_edit_systems()
}

const PLAN_COLS: &str = "scope, frequency, retention_days, offsite, method, version, updated_by, updated_at";
const TEST_COLS: &str = "id, tested_on, outcome, duration_minutes, restored, note, recorded_by";
/// The latest test first: by day, then by when it was recorded.
const LATEST_FIRST: &str = "tested_on DESC, created_at DESC, id DESC";

fn plan(r: &AnyRow) -> Result<BackupPlan> {
    let offsite: i16 = r.try_get("offsite")?;
    Ok(BackupPlan {
        scope: r.try_get("scope")?,
        frequency: r.try_get("frequency")?,
        retention_days: r.try_get("retention_days")?,
        offsite: offsite != 0,
        method: r.try_get("method")?,
        version: r.try_get("version")?,
        updated_by: r.try_get("updated_by")?,
        updated_at: r.try_get("updated_at")?,
    })
}

fn test(r: &AnyRow) -> Result<RestoreTest> {
    Ok(RestoreTest {
        id: r.try_get("id")?,
        tested_on: r.try_get("tested_on")?,
        outcome: r.try_get("outcome")?,
        duration_minutes: r.try_get("duration_minutes")?,
        restored: r.try_get("restored")?,
        note: r.try_get("note")?,
        recorded_by: r.try_get("recorded_by")?,
    })
}

fn day(raw: &str) -> Result<Date> {
    khien_domain::time_fmt::parse_iso_date(raw).ok_or_else(|| StoreError::Corrupt("restore test date", raw.to_string()))
}

impl Scoped<'_> {
    /// A system in scope with its level, plan and how its restore tests stand.
    pub async fn backup_of(&self, system_id: &str) -> Result<SystemBackup> {
        let s = self.system(system_id).await?;
        let (unit_name, level) = self.system_unit_and_level(&s.id).await?;
        let mut one = [SystemBackup { system_id: s.id, name: s.fields.name, unit_name, level, plan: None, last_success: None, last_test: None }];
        self.fill_backups(&mut one).await?;
        let [sys] = one;
        Ok(sys)
    }

    /// A system's restore tests, latest first (at most 200); the caller has read the
    /// system in scope.
    pub async fn restore_tests(&self, system_id: &str) -> Result<Vec<RestoreTest>> {
        sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {TEST_COLS} FROM restore_tests WHERE system_id = $1 ORDER BY {LATEST_FIRST} LIMIT 200")))
            .bind(system_id.to_string())
            .all(self)
            .await?
            .iter()
            .map(test)
            .collect()
    }

    /// Each system's plan, last successful test and latest test: three queries.
    async fn fill_backups(&self, systems: &mut [SystemBackup]) -> Result<()> {
        if systems.is_empty() {
            return Ok(());
        }
        let ids: Vec<&str> = systems.iter().map(|s| s.system_id.as_str()).collect();
        let mut plans = HashMap::new();
        let mut sql = Sql::new(&format!("SELECT system_id, {PLAN_COLS} FROM backup_plans WHERE system_id IN "));
        sql.push("(").text_list(&ids).push(")");
        for r in sql.query().all(self).await? {
            plans.insert(r.try_get::<String, _>("system_id")?, plan(&r)?);
        }
        let mut success = HashMap::new();
        let mut sql = Sql::new("SELECT system_id, MAX(tested_on) AS last FROM restore_tests WHERE outcome = ");
        sql.text(SUCCEEDED).push(" AND system_id IN ");
        sql.push("(").text_list(&ids).push(")");
        sql.push(" GROUP BY system_id");
        for r in sql.query().all(self).await? {
            let last: String = r.try_get("last")?;
            success.insert(r.try_get::<String, _>("system_id")?, day(&last)?);
        }
        // The latest test per system: read in order, the first of each system wins.
        let mut latest: HashMap<String, (Date, String)> = HashMap::new();
        let mut sql = Sql::new("SELECT system_id, tested_on, outcome FROM restore_tests WHERE system_id IN ");
        sql.push("(").text_list(&ids).push(")");
        sql.push(&format!(" ORDER BY system_id, {LATEST_FIRST}"));
        for r in sql.query().all(self).await? {
            let sid: String = r.try_get("system_id")?;
            if let std::collections::hash_map::Entry::Vacant(slot) = latest.entry(sid) {
                let on: String = r.try_get("tested_on")?;
                slot.insert((day(&on)?, r.try_get("outcome")?));
            }
        }
        for s in systems.iter_mut() {
            s.plan = plans.remove(&s.system_id);
            s.last_success = success.remove(&s.system_id);
            s.last_test = latest.remove(&s.system_id);
        }
        Ok(())
    }

    /// Saves a system's backup plan. Refused as stale when it changed since the form
    /// read version `f.seen_version` (0: there was none).
    pub async fn save_backup_plan(&self, system_id: &str, f: &PlanFields) -> Result<()> {
        let (mut tx, s, owner) = self.write_on_system(system_id).await?;
        let r = self.within(&tx);
        let before = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {PLAN_COLS} FROM backup_plans WHERE system_id = $1"))).bind(s.id.clone()).opt(&r).await?.map(|row| plan(&row)).transpose()?;
        let stale = StoreError::Conflict("backup.err_stale");
        if before.as_ref().map_or(0, |b| b.version) != f.seen_version {
            return Err(stale);
        }
        let changed = save_versioned(
            &tx,
            "backup_plans",
            &[("system_id", Arg::Text(s.id.clone()))],
            &[
                ("scope", Arg::Text(f.scope.clone())),
                ("frequency", Arg::Text(f.frequency.to_string())),
                ("retention_days", Arg::Int(f.retention_days)),
                ("offsite", Arg::Int(i64::from(f.offsite))),
                ("method", Arg::OptText(f.method.clone())),
            ],
            f.seen_version,
            &self.principal.username,
            tx.at(),
        )
        .await?;
        if changed != 1 {
            return Err(stale);
        }
        tx.record("update", "backup_plan", &s.id, (&owner.id, &owner.path), before.as_ref(), Some(f)).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Records a restore test of a system in scope.
    pub async fn record_restore_test(&self, system_id: &str, f: &RestoreTestFields) -> Result<String> {
        let (mut tx, s, owner) = self.write_on_system(system_id).await?;
        let id = new_id();
        sqlx::query("INSERT INTO restore_tests (id, system_id, tested_on, outcome, duration_minutes, restored, note, recorded_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)")
            .bind(id.clone())
            .bind(s.id.clone())
            .bind(iso_date(f.tested_on))
            .bind(f.outcome.to_string())
            .bind(f.duration_minutes)
            .bind(f.restored.clone())
            .bind(f.note.clone())
            .bind(self.principal.username.clone())
            .bind(tx.at().to_string())
            .run(&tx)
            .await?;
        tx.record("create", "restore_test", &id, (&owner.id, &owner.path), None::<&()>, Some(&serde_json::json!({ "system_id": s.id, "tested_on": iso_date(f.tested_on), "outcome": f.outcome, "duration_minutes": f.duration_minutes, "restored": f.restored }))).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Operating systems in scope as `filter` picks them, by name (at most `limit`),
    /// with the number that match; `today` decides which restore tests still count.
    pub async fn backup_overview(&self, policy: &Policy, filter: BackupFilter, today: Date, limit: i64) -> Result<(i64, Vec<SystemBackup>)> {
        let build = |head: &str| {
            let from = (filter != BackupFilter::All).then_some(policy.required_from_level);
            let mut q = self.operating_systems_with_level(head, from);
            if filter == BackupFilter::RequiredBehind {
                q.push(" AND (NOT EXISTS (SELECT 1 FROM backup_plans b WHERE b.system_id = x.id)");
                q.push(" OR NOT EXISTS (SELECT 1 FROM restore_tests t WHERE t.system_id = x.id AND t.outcome = ").text(SUCCEEDED).push(" AND t.tested_on >= ").text(iso_date(policy.test_cutoff(today))).push(")");
                q.push(" OR (SELECT t.outcome FROM restore_tests t WHERE t.system_id = x.id ORDER BY t.tested_on DESC, t.created_at DESC, t.id DESC LIMIT 1) <> ").text(SUCCEEDED).push(")");
            }
            q
        };
        let n: i64 = build("SELECT COUNT(*) AS n").query().one(self).await?.try_get("n")?;
        let mut list = build("SELECT x.id, x.name, x.unit_name, x.level");
        list.push(" ORDER BY x.name_norm, x.id LIMIT ").int(limit.clamp(1, 2_000));
        let mut out = Vec::new();
        for r in list.query().all(self).await? {
            out.push(SystemBackup { system_id: r.try_get("id")?, name: r.try_get("name")?, unit_name: r.try_get("unit_name")?, level: crate::systems::level_of(r.try_get("level")?), plan: None, last_success: None, last_test: None });
        }
        self.fill_backups(&mut out).await?;
        Ok((n, out))
    }
}
