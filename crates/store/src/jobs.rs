//! The job queue: one table of long work that every Khiên process on the database
//! shares. A worker claims the oldest ready job by taking a lease (owner, a fresh
//! token, an expiry) and renews it with [`Store::heartbeat`]; every later change is
//! conditional on that token, so a worker that lost its lease (it stalled, or the job
//! was cancelled or taken over) can no longer change anything. A lease that ran out
//! means its worker died: the job is queued again after a backoff, up to
//! `max_attempts`, then failed with the reason.
//!
//! PostgreSQL: the claim's sub-select takes `FOR UPDATE SKIP LOCKED`, so concurrent
//! workers pick different jobs without waiting on each other. SQLite: the claim runs
//! under the database write lock (`BEGIN IMMEDIATE`), which serialises claims across
//! processes on one file.
//!
//! What a job does lives with its capability (hunts: [`crate::hunts`]); the queue only
//! tells it when its job's state moved ([`on_state`]), inside the same transaction.

use std::time::Duration;

use serde::Serialize;
use sqlx::Row;

use crate::audit::{Actor, RunInTx, WriteTx};
use crate::db::{Backend, Store};
use crate::error::{Result, StoreError};
use crate::scope::ReadExt;
use crate::sql::Sql;
use crate::{Page, Scoped, new_id};

/// What a job is about, when it is put in the queue.
#[derive(Debug, Clone)]
pub struct NewJob<'a> {
    pub kind: &'a str,
    pub subject_id: &'a str,
    pub unit_id: Option<&'a str>,
    pub payload: serde_json::Value,
    pub max_attempts: i64,
}

/// A job a worker holds. Everything it changes afterwards names `token`.
#[derive(Debug, Clone)]
pub struct Lease {
    pub job_id: String,
    pub kind: String,
    pub subject_id: String,
    pub payload: serde_json::Value,
    pub token: String,
    pub attempt: i64,
    pub worker: String,
    run_id: String,
}

/// How long a lease lasts without a heartbeat; the backoff before a retry grows from it.
#[derive(Debug, Clone, Copy)]
pub struct LeasePolicy {
    pub lease: Duration,
}

impl Default for LeasePolicy {
    fn default() -> Self {
        LeasePolicy {
            lease: Duration::from_secs(60),
        }
    }
}

impl LeasePolicy {
    /// Wait before attempt `attempts + 1`: one lease, doubled per attempt, at most an hour.
    fn backoff(&self, attempts: i64) -> Duration {
        let doublings = u32::try_from(attempts.saturating_sub(1).clamp(0, 10)).unwrap_or(0);
        self.lease
            .saturating_mul(2u32.saturating_pow(doublings))
            .min(Duration::from_secs(3600))
    }
}

/// A job's state moved; its capability updates its own object in the same transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Moved<'a> {
    Claimed,
    Requeued { why: &'a str },
    Failed { why: &'a str },
    Cancelled,
}

/// The states a job can be in.
pub const STATES: [&str; 5] = ["queued", "running", "done", "failed", "cancelled"];

/// A job as the jobs page and API show it.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Job {
    pub id: String,
    pub kind: String,
    pub subject_id: String,
    pub state: String,
    pub attempts: i64,
    pub max_attempts: i64,
    pub run_after: String,
    pub lease_owner: Option<String>,
    pub lease_expires_at: Option<String>,
    pub heartbeat_at: Option<String>,
    pub progress: i16,
    pub error: Option<String>,
    pub created_by: String,
    pub created_at: String,
    pub started_at: Option<String>,
    pub finished_at: Option<String>,
    pub cancelled_by: Option<String>,
    /// What the job produced (JSON text), once done.
    pub result: Option<String>,
}

/// One attempt at a job.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct JobRun {
    pub attempt: i64,
    pub worker: String,
    pub started_at: String,
    pub ended_at: Option<String>,
    pub outcome: Option<String>,
    pub error: Option<String>,
}

const JOB_COLS: &str = "j.id, j.kind, j.subject_id, j.state, j.attempts, j.max_attempts, j.run_after, j.lease_owner, j.lease_expires_at, j.heartbeat_at, j.progress, j.error, j.created_by, j.created_at, j.started_at, j.finished_at, j.cancelled_by, j.result_json";

fn job_from_row(r: &sqlx::any::AnyRow) -> Result<Job> {
    Ok(Job {
        id: r.try_get("id")?,
        kind: r.try_get("kind")?,
        subject_id: r.try_get("subject_id")?,
        state: r.try_get("state")?,
        attempts: r.try_get::<i64, _>("attempts")?,
        max_attempts: r.try_get::<i64, _>("max_attempts")?,
        run_after: r.try_get("run_after")?,
        lease_owner: r.try_get("lease_owner")?,
        lease_expires_at: r.try_get("lease_expires_at")?,
        heartbeat_at: r.try_get("heartbeat_at")?,
        progress: r.try_get("progress")?,
        error: r.try_get("error")?,
        created_by: r.try_get("created_by")?,
        created_at: r.try_get("created_at")?,
        started_at: r.try_get("started_at")?,
        finished_at: r.try_get("finished_at")?,
        cancelled_by: r.try_get("cancelled_by")?,
        result: r.try_get("result_json")?,
    })
}

/// Longest error text kept on a job: the reason, not a whole log.
const MAX_ERROR: usize = 2000;

fn short(why: &str) -> String {
    why.chars().take(MAX_ERROR).collect()
}

fn later(at: &str, by: Duration) -> String {
    let base = khien_domain::time_fmt::parse_rfc3339(at).unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    let by = time::Duration::try_from(by).unwrap_or(time::Duration::HOUR);
    khien_domain::time_fmt::to_rfc3339(base + by)
}

impl WriteTx {
    /// Puts a job in the queue as part of the write that asks for it (the hunt and its
    /// job commit together, or neither does).
    pub(crate) async fn enqueue(&self, job: &NewJob<'_>) -> Result<String> {
        let id = new_id();
        sqlx::query("INSERT INTO jobs (id, kind, subject_id, unit_id, payload_json, state, attempts, max_attempts, run_after, created_by, created_at) VALUES ($1, $2, $3, $4, $5, 'queued', 0, $6, $7, $8, $7)")
            .bind(id.clone())
            .bind(job.kind.to_string())
            .bind(job.subject_id.to_string())
            .bind(job.unit_id.map(String::from))
            .bind(job.payload.to_string())
            .bind(job.max_attempts.max(1))
            .bind(self.at().to_string())
            .bind(self.actor_name().to_string())
            .run(self)
            .await?;
        Ok(id)
    }
}

impl Store {
    /// Takes the oldest ready job, first re-queuing (or failing) jobs whose lease ran
    /// out. `None` when nothing is ready.
    pub async fn claim_job(&self, worker: &str, policy: LeasePolicy) -> Result<Option<Lease>> {
        self.claim(worker, policy, None).await
    }

    /// Takes one particular queued job (`khien import` runs its own import at once, in
    /// process, through the same job as the worker would). `None`: it is not queued
    /// (another worker has it, or it ended).
    pub async fn claim_job_of(&self, kind: &str, subject_id: &str, worker: &str, policy: LeasePolicy) -> Result<Option<Lease>> {
        self.claim(worker, policy, Some((kind, subject_id))).await
    }

    async fn claim(&self, worker: &str, policy: LeasePolicy, only: Option<(&str, &str)>) -> Result<Option<Lease>> {
        let mut tx = WriteTx::begin(self, Actor::system()).await?;
        self.expire_leases(&mut tx, policy).await?;
        let now = tx.at().to_string();
        let token = new_id();
        let skip_locked = match self.backend {
            Backend::Postgres => " FOR UPDATE SKIP LOCKED",
            Backend::Sqlite => "",
        };
        let which = if only.is_some() { " AND kind = $5 AND subject_id = $6" } else { "" };
        let (kind, subject) = only.unwrap_or_default();
        let mut q = sqlx::query(sqlx::AssertSqlSafe(format!(
                    "UPDATE jobs SET state = 'running', attempts = attempts + 1, lease_owner = $1, lease_token = $2, lease_expires_at = $3, heartbeat_at = $4, started_at = COALESCE(started_at, $4), progress = 0 \
                     WHERE id = (SELECT id FROM jobs WHERE state = 'queued' AND run_after <= $4{which} ORDER BY run_after, id LIMIT 1{skip_locked}) AND state = 'queued' \
                     RETURNING id, kind, subject_id, payload_json, attempts"
                )))
                .bind(worker.to_string())
                .bind(token.clone())
                .bind(later(&now, policy.lease))
                .bind(now.clone());
        if only.is_some() {
            q = q.bind(kind.to_string()).bind(subject.to_string());
        }
        let row = q
                .opt(&self.as_system().within(&tx))
                .await?;
        let Some(row) = row else {
            tx.commit().await?;
            return Ok(None);
        };
        let payload: String = row.try_get("payload_json")?;
        let lease = Lease {
            job_id: row.try_get("id")?,
            kind: row.try_get("kind")?,
            subject_id: row.try_get("subject_id")?,
            payload: serde_json::from_str(&payload).unwrap_or(serde_json::Value::Null),
            token,
            attempt: row.try_get::<i64, _>("attempts")?,
            worker: worker.to_string(),
            run_id: new_id(),
        };
        sqlx::query("INSERT INTO job_runs (id, job_id, attempt, worker, started_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(lease.run_id.clone())
            .bind(lease.job_id.clone())
            .bind(lease.attempt)
            .bind(worker.to_string())
            .bind(now)
            .run(&tx)
            .await?;
        on_state(self, &mut tx, &lease.kind, &lease.subject_id, Moved::Claimed).await?;
        tx.commit().await?;
        Ok(Some(lease))
    }

    /// Running jobs whose lease ran out: their worker died or stalled. Each goes back
    /// to the queue after a backoff, or fails once it has had all its attempts.
    async fn expire_leases(&self, tx: &mut WriteTx, policy: LeasePolicy) -> Result<()> {
        let skip_locked = match self.backend {
            Backend::Postgres => " FOR UPDATE SKIP LOCKED",
            Backend::Sqlite => "",
        };
        let expired = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT id, kind, subject_id, attempts, max_attempts, lease_owner, lease_token FROM jobs WHERE state = 'running' AND lease_expires_at < $1 ORDER BY lease_expires_at LIMIT 20{skip_locked}"
        )))
        .bind(tx.at().to_string())
        .all(&self.as_system().within(tx))
        .await?;
        for r in expired {
            let id: String = r.try_get("id")?;
            let kind: String = r.try_get("kind")?;
            let subject: String = r.try_get("subject_id")?;
            let attempts: i64 = r.try_get("attempts")?;
            let max: i64 = r.try_get("max_attempts")?;
            let owner: Option<String> = r.try_get("lease_owner")?;
            let token: Option<String> = r.try_get("lease_token")?;
            let why = format!(
                "worker {} stopped renewing its lease (attempt {attempts} of {max})",
                owner.unwrap_or_default()
            );
            let retry = attempts < max;
            let changed = if retry {
                sqlx::query("UPDATE jobs SET state = 'queued', run_after = $1, lease_owner = NULL, lease_token = NULL, lease_expires_at = NULL, error = $2 WHERE id = $3 AND state = 'running' AND lease_token = $4")
                    .bind(later(tx.at(), policy.backoff(attempts)))
            } else {
                sqlx::query("UPDATE jobs SET state = 'failed', finished_at = $1, lease_owner = NULL, lease_token = NULL, lease_expires_at = NULL, error = $2 WHERE id = $3 AND state = 'running' AND lease_token = $4")
                    .bind(tx.at().to_string())
            }
            .bind(why.clone())
            .bind(id.clone())
            .bind(token)
            .run(tx)
            .await?;
            if changed != 1 {
                continue;
            }
            end_open_runs(tx, &id, "lost", Some(&why)).await?;
            let moved = if retry {
                Moved::Requeued { why: &why }
            } else {
                Moved::Failed { why: &why }
            };
            on_state(self, tx, &kind, &subject, moved).await?;
        }
        Ok(())
    }

    /// Renews the lease and records progress (0–99). `false`: the lease is gone (the
    /// job was cancelled, or another worker took it over), so the worker must stop.
    pub async fn heartbeat(&self, lease: &Lease, progress: i16, policy: LeasePolicy) -> Result<bool> {
        let now = self.now_text();
        let changed = sqlx::query("UPDATE jobs SET lease_expires_at = $1, heartbeat_at = $2, progress = $3 WHERE id = $4 AND state = 'running' AND lease_token = $5")
            .bind(later(&now, policy.lease))
            .bind(now)
            .bind(progress.clamp(0, 99))
            .bind(lease.job_id.clone())
            .bind(lease.token.clone())
            .execute(&self.writer)
            .await?
            .rows_affected();
        Ok(changed == 1)
    }

    /// Gives a job back without counting the attempt (the process is shutting down).
    pub async fn release_job(&self, lease: &Lease) -> Result<()> {
        let mut tx = WriteTx::begin(self, Actor::system()).await?;
        let changed = sqlx::query("UPDATE jobs SET state = 'queued', attempts = attempts - 1, run_after = $1, lease_owner = NULL, lease_token = NULL, lease_expires_at = NULL WHERE id = $2 AND state = 'running' AND lease_token = $3")
            .bind(tx.at().to_string())
            .bind(lease.job_id.clone())
            .bind(lease.token.clone())
            .run(&tx)
            .await?;
        if changed == 1 {
            end_run(&tx, lease, "released", None).await?;
            on_state(self, &mut tx, &lease.kind, &lease.subject_id, Moved::Requeued { why: "released at shutdown" }).await?;
        }
        tx.commit().await
    }

    /// The job failed. `retry`: the cause may pass (the database was unreachable), so
    /// it is queued again after a backoff while it has attempts left.
    pub async fn fail_job(&self, lease: &Lease, why: &str, retry: bool, policy: LeasePolicy) -> Result<()> {
        let mut tx = WriteTx::begin(self, Actor::system()).await?;
        let max: i64 = sqlx::query("SELECT max_attempts FROM jobs WHERE id = $1")
            .bind(lease.job_id.clone())
            .opt(&self.as_system().within(&tx))
            .await?
            .map(|r| r.try_get("max_attempts"))
            .transpose()?
            .unwrap_or(1);
        let why = short(why);
        let again = retry && lease.attempt < max;
        let changed = if again {
            sqlx::query("UPDATE jobs SET state = 'queued', run_after = $1, lease_owner = NULL, lease_token = NULL, lease_expires_at = NULL, error = $2 WHERE id = $3 AND state = 'running' AND lease_token = $4")
                .bind(later(tx.at(), policy.backoff(lease.attempt)))
        } else {
            sqlx::query("UPDATE jobs SET state = 'failed', finished_at = $1, lease_owner = NULL, lease_token = NULL, lease_expires_at = NULL, error = $2 WHERE id = $3 AND state = 'running' AND lease_token = $4")
                .bind(tx.at().to_string())
        }
        .bind(why.clone())
        .bind(lease.job_id.clone())
        .bind(lease.token.clone())
        .run(&tx)
        .await?;
        crate::one_row(changed)?;
        end_run(&tx, lease, if again { "retry" } else { "failed" }, Some(&why)).await?;
        let moved = if again {
            Moved::Requeued { why: &why }
        } else {
            Moved::Failed { why: &why }
        };
        on_state(self, &mut tx, &lease.kind, &lease.subject_id, moved).await?;
        tx.commit().await
    }

    /// Marks the job done inside the transaction that stores its result, so a result
    /// is stored only while the lease is still held.
    pub(crate) async fn complete_job(&self, tx: &WriteTx, lease: &Lease, result: &serde_json::Value) -> Result<()> {
        let changed = sqlx::query("UPDATE jobs SET state = 'done', progress = 100, finished_at = $1, result_json = $2, error = NULL, lease_owner = NULL, lease_token = NULL, lease_expires_at = NULL WHERE id = $3 AND state = 'running' AND lease_token = $4")
            .bind(tx.at().to_string())
            .bind(result.to_string())
            .bind(lease.job_id.clone())
            .bind(lease.token.clone())
            .run(tx)
            .await?;
        crate::one_row(changed)?;
        end_run(tx, lease, "done", None).await
    }

    /// Marks a held job done with its result (jobs whose work is not one write of
    /// their own, like the reminder sweep, whose every step is idempotent).
    pub async fn finish_job(&self, lease: &Lease, result: &serde_json::Value) -> Result<()> {
        let tx = WriteTx::begin(self, Actor::system()).await?;
        self.complete_job(&tx, lease, result).await?;
        tx.commit().await
    }

    /// Checks inside `tx` that the lease is still held (and holds the job's row until
    /// commit on PostgreSQL).
    pub(crate) async fn hold_lease(&self, tx: &WriteTx, lease: &Lease) -> Result<()> {
        let held = sqlx::query("UPDATE jobs SET heartbeat_at = heartbeat_at WHERE id = $1 AND state = 'running' AND lease_token = $2")
            .bind(lease.job_id.clone())
            .bind(lease.token.clone())
            .run(tx)
            .await?;
        crate::one_row(held)
    }

    /// Every attempt at a job, oldest first (tests count them; the jobs page shows them).
    pub async fn job_runs(&self, job_id: &str) -> Result<Vec<JobRun>> {
        let rows = sqlx::query("SELECT attempt, worker, started_at, ended_at, outcome, error FROM job_runs WHERE job_id = $1 ORDER BY attempt, started_at")
            .bind(job_id.to_string())
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                Ok(JobRun {
                    attempt: r.try_get::<i64, _>("attempt")?,
                    worker: r.try_get("worker")?,
                    started_at: r.try_get("started_at")?,
                    ended_at: r.try_get("ended_at")?,
                    outcome: r.try_get("outcome")?,
                    error: r.try_get("error")?,
                })
            })
            .collect()
    }

    /// The latest job of an object (the hunt page shows its state and offers Cancel).
    pub async fn job_of(&self, kind: &str, subject_id: &str) -> Result<Option<Job>> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {JOB_COLS} FROM jobs j WHERE j.kind = $1 AND j.subject_id = $2 ORDER BY j.created_at DESC, j.id DESC LIMIT 1"
        )))
        .bind(kind.to_string())
        .bind(subject_id.to_string())
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(job_from_row).transpose()
    }
}

async fn end_run(tx: &WriteTx, lease: &Lease, outcome: &str, error: Option<&str>) -> Result<()> {
    sqlx::query("UPDATE job_runs SET ended_at = $1, outcome = $2, error = $3 WHERE id = $4 AND outcome IS NULL")
        .bind(tx.at().to_string())
        .bind(outcome.to_string())
        .bind(error.map(short))
        .bind(lease.run_id.clone())
        .run(tx)
        .await?;
    Ok(())
}

async fn end_open_runs(tx: &WriteTx, job_id: &str, outcome: &str, error: Option<&str>) -> Result<()> {
    sqlx::query("UPDATE job_runs SET ended_at = $1, outcome = $2, error = $3 WHERE job_id = $4 AND outcome IS NULL")
        .bind(tx.at().to_string())
        .bind(outcome.to_string())
        .bind(error.map(short))
        .bind(job_id.to_string())
        .run(tx)
        .await?;
    Ok(())
}

/// Tells the job's capability that its job moved, in the same transaction.
async fn on_state(store: &Store, tx: &mut WriteTx, kind: &str, subject: &str, moved: Moved<'_>) -> Result<()> {
    match kind {
        crate::hunts::JOB_KIND => store.hunt_job_moved(tx, subject, moved).await,
        crate::findings::JOB_KIND => store.scan_import_job_moved(tx, subject, moved).await,
        _ => Ok(()),
    }
}

/// Filter of the jobs page.
#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize, schemars::JsonSchema)]
#[serde(default)]
pub struct JobFilter {
    pub state: String,
    pub page: i64,
}

impl Scoped<'_> {
    fn jobs_sql(&self, f: &JobFilter) -> Sql {
        let mut sql = Sql::new(" FROM jobs j LEFT JOIN units u ON u.id = j.unit_id WHERE 1=1");
        self.restrict(&mut sql, &["u.path"]);
        if STATES.contains(&f.state.as_str()) {
            sql.push(" AND j.state = ").text(f.state.clone());
        }
        sql
    }

    /// Jobs in the principal's scope, newest first.
    pub async fn jobs(&self, f: &JobFilter, per_page: i64) -> Result<Page<Job>> {
        let base = self.jobs_sql(f);
        let mut count = Sql::new("SELECT COUNT(*) AS n");
        count.text.push_str(&base.text);
        count.args_from(&base);
        let total: i64 = count.query().one(self).await?.try_get("n")?;
        let page = crate::clamp_page(f.page);
        let mut q = Sql::new(&format!("SELECT {JOB_COLS}"));
        q.text.push_str(&base.text);
        q.args_from(&base);
        q.push(" ORDER BY j.created_at DESC, j.id DESC LIMIT ")
            .int(per_page)
            .push(" OFFSET ")
            .int((page - 1) * per_page);
        let items = q.query().all(self).await?.iter().map(job_from_row).collect::<Result<Vec<_>>>()?;
        Ok(Page { items, total, total_capped: false, page, per_page, next_after: None })
    }

    /// A job in scope.
    pub async fn job(&self, id: &str) -> Result<Job> {
        let mut sql = Sql::new(&format!("SELECT {JOB_COLS} FROM jobs j LEFT JOIN units u ON u.id = j.unit_id WHERE j.id = "));
        sql.text(id.to_string());
        self.restrict(&mut sql, &["u.path"]);
        job_from_row(&sql.query().one(self).await?)
    }

    /// Cancels the job running a hunt (the hunt page's button).
    pub async fn cancel_hunt(&self, hunt_id: &str) -> Result<()> {
        let job = self
            .store
            .job_of(crate::hunts::JOB_KIND, hunt_id)
            .await?
            .ok_or(StoreError::NotFound)?;
        self.cancel_job(&job.id).await
    }

    /// Cancels a queued or running job in scope (audited). A running job's worker
    /// learns it at its next heartbeat and keeps nothing of what it found.
    pub async fn cancel_job(&self, id: &str) -> Result<()> {
        let mut tx = self.write().await?;
        let mut sql = Sql::new("SELECT j.kind, j.subject_id, j.state, u.id AS unit_id, u.path FROM jobs j LEFT JOIN units u ON u.id = j.unit_id WHERE j.id = ");
        sql.text(id.to_string());
        self.restrict(&mut sql, &["u.path"]);
        let row = sql.query().one(&self.within(&tx)).await?;
        let kind: String = row.try_get("kind")?;
        let subject: String = row.try_get("subject_id")?;
        let state: String = row.try_get("state")?;
        let unit_id: Option<String> = row.try_get("unit_id")?;
        let path: Option<String> = row.try_get("path")?;
        if !khien_domain::jobs::may_cancel(self.principal.role, &state) {
            return Err(StoreError::refused("err.job_not_cancellable"));
        }
        let changed = sqlx::query("UPDATE jobs SET state = 'cancelled', finished_at = $1, cancelled_by = $2, lease_owner = NULL, lease_token = NULL, lease_expires_at = NULL WHERE id = $3 AND state IN ('queued', 'running')")
            .bind(tx.at().to_string())
            .bind(self.principal.username.clone())
            .bind(id.to_string())
            .run(&tx)
            .await?;
        crate::one_row(changed)?;
        end_open_runs(&tx, id, "cancelled", None).await?;
        on_state(self.store, &mut tx, &kind, &subject, Moved::Cancelled).await?;
        // Recorded on the object the job works on, so the hunt's history shows who
        // stopped it.
        tx.record(
            "cancel",
            &kind,
            &subject,
            (unit_id.as_deref().unwrap_or(""), path.as_deref().unwrap_or("")),
            Some(&serde_json::json!({ "state": state })),
            Some(&serde_json::json!({ "state": "cancelled", "job_id": id })),
        )
        .await?;
        tx.commit().await
    }
}
