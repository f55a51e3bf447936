//! Reminders (issue 12 item 2): one row per person, duty occurrence and stage, made by
//! the reminder sweep and read on `/notifications`; the e-mails that go with them wait
//! in an outbox; the daily sweep is scheduled once per key whatever the number of
//! processes.
//!
//! Idempotence is the database's: the unique key (user, subject, kind, occurrence,
//! stage) lets a second sweep, a restarted one or one on another worker insert nothing
//! (`ON CONFLICT DO NOTHING`, on SQLite and PostgreSQL alike), and a reminder's e-mail
//! is written in the same transaction as the reminder, so neither exists without the
//! other. Sending claims an e-mail (pending → sending, with a token) and marks it sent
//! conditionally on that token: two senders never both send one. What no outbox can
//! promise is the instant between the SMTP server's "250" and the commit of "sent": a
//! sender that dies there leaves a claim that is taken over (and sent again) once it
//! goes stale; each message carries a Message-ID made of its outbox id, so the
//! receiving side can tell the repeat.

use std::time::Duration;

use serde::Serialize;
use sqlx::Row;

use crate::audit::{Actor, RunInTx, WriteTx};
use crate::db::Store;
use crate::error::Result;
use crate::jobs::NewJob;
use crate::scope::ReadExt;
use crate::sql::Sql;
use crate::{Page, Scoped, new_id};

/// One reminder to create (unless its key exists already).
#[derive(Debug, Clone)]
pub struct NewReminder {
    pub user_id: String,
    /// `obligation`, `incident_report` or `digest`.
    pub kind: String,
    /// What it is about (`system:<id>:<obligation>`, `unit:<id>:<obligation>`,
    /// `incident:<id>:<report kind>`, `province`).
    pub subject: String,
    /// Which occurrence (the due date or instant; the ISO week for the digest).
    pub occurrence: String,
    /// `7d`, `1d`, `overdue` or `weekly`.
    pub stage: String,
    /// The unit whose duty it is: (id, path), for the audit trail.
    pub unit: Option<(String, String)>,
    pub title: String,
    pub body: String,
    pub href: String,
    pub due: String,
    /// The e-mail that goes with it, when the person has an address.
    pub mail: Option<MailIn>,
}

#[derive(Debug, Clone)]
pub struct MailIn {
    pub to: String,
    pub subject: String,
    pub body: String,
}

/// A reminder as `/notifications` lists it.
#[derive(Debug, Clone, Serialize)]
pub struct Reminder {
    pub id: String,
    pub kind: String,
    pub stage: String,
    pub title: String,
    pub body: String,
    pub href: String,
    pub due: String,
    pub created_at: String,
    pub read_at: Option<String>,
}

/// Someone a reminder may go to.
#[derive(Debug, Clone)]
pub struct Person {
    pub user_id: String,
    pub display_name: String,
    pub email: Option<String>,
    pub unit_id: String,
    pub role: String,
}

/// An e-mail claimed for sending; `token` names the claim.
#[derive(Debug, Clone)]
pub struct OutgoingMail {
    pub id: String,
    pub to: String,
    pub subject: String,
    pub body: String,
    pub attempts: i64,
    token: String,
}

/// The job kind of the reminder sweep (one a Vietnam day, see [`Store::schedule_once`]).
pub const SWEEP_JOB_KIND: &str = "reminder_sweep";

/// Attempts before an e-mail is given up ("failed", its reason kept).
pub const MAIL_ATTEMPTS: i64 = 5;

/// The unread count the header's bell shows stops here ("99+").
pub const UNREAD_CAP: i64 = 99;

/// Reminders created per transaction.
const BATCH: usize = 200;

impl Store {
    /// Active users with one of `roles`, in one of `unit_ids` (any unit when
    /// `unit_ids` is empty), by name.
    pub async fn people_to_remind(&self, unit_ids: &[String], roles: &[&str]) -> Result<Vec<Person>> {
        if roles.is_empty() {
            return Ok(Vec::new());
        }
        let mut sql = Sql::new("SELECT id, display_name, email, unit_id, role FROM users WHERE active = 1 AND role IN (");
        for (i, r) in roles.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.text(r.to_string());
        }
        sql.push(")");
        if !unit_ids.is_empty() {
            sql.push(" AND unit_id IN (");
            for (i, u) in unit_ids.iter().enumerate() {
                if i > 0 {
                    sql.push(", ");
                }
                sql.text(u.clone());
            }
            sql.push(")");
        }
        sql.push(" ORDER BY display_name, id");
        sql.query()
            .all(&self.as_system())
            .await?
            .iter()
            .map(|r| {
                Ok(Person {
                    user_id: r.try_get("id")?,
                    display_name: r.try_get("display_name")?,
                    email: r.try_get::<Option<String>, _>("email")?.filter(|e| e.contains('@')),
                    unit_id: r.try_get("unit_id")?,
                    role: r.try_get("role")?,
                })
            })
            .collect()
    }

    /// Creates the reminders whose key does not exist yet, each new one with its
    /// e-mail in the outbox and an audit entry, in transactions of a few hundred.
    /// Returns how many were new.
    pub async fn add_reminders(&self, list: &[NewReminder]) -> Result<usize> {
        let mut created = 0;
        for chunk in list.chunks(BATCH) {
            let mut tx = WriteTx::begin(self, Actor::system()).await?;
            for r in chunk {
                let id = new_id();
                let inserted = sqlx::query("INSERT INTO reminders (id, user_id, kind, subject, occurrence, stage, unit_id, title, body, href, due, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) ON CONFLICT (user_id, subject, kind, occurrence, stage) DO NOTHING")
                    .bind(id.clone())
                    .bind(r.user_id.clone())
                    .bind(r.kind.clone())
                    .bind(r.subject.clone())
                    .bind(r.occurrence.clone())
                    .bind(r.stage.clone())
                    .bind(r.unit.as_ref().map(|u| u.0.clone()))
                    .bind(r.title.clone())
                    .bind(r.body.clone())
                    .bind(r.href.clone())
                    .bind(r.due.clone())
                    .bind(tx.at().to_string())
                    .run(&tx)
                    .await?;
                if inserted == 0 {
                    continue;
                }
                created += 1;
                if let Some(m) = &r.mail {
                    sqlx::query("INSERT INTO mail_outbox (id, reminder_id, to_addr, subject, body, state, attempts, created_at) VALUES ($1, $2, $3, $4, $5, 'pending', 0, $6)")
                        .bind(new_id())
                        .bind(id.clone())
                        .bind(m.to.clone())
                        .bind(m.subject.clone())
                        .bind(m.body.clone())
                        .bind(tx.at().to_string())
                        .run(&tx)
                        .await?;
                }
                let (unit_id, path) = r.unit.clone().unwrap_or_else(|| (String::new(), "/".into()));
                tx.record(
                    "create",
                    "reminder",
                    &id,
                    (&unit_id, &path),
                    None::<&()>,
                    Some(&serde_json::json!({ "user": r.user_id, "kind": r.kind, "subject": r.subject, "occurrence": r.occurrence, "stage": r.stage, "email": r.mail.as_ref().map(|m| &m.to) })),
                )
                .await?;
            }
            tx.commit().await?;
        }
        Ok(created)
    }

    /// Unread reminders of a user, counted up to [`UNREAD_CAP`] + 1.
    pub async fn unread_reminders(&self, user_id: &str) -> Result<i64> {
        let r = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT COUNT(*) AS n FROM (SELECT 1 FROM reminders WHERE user_id = $1 AND read_at IS NULL LIMIT {}) x",
            UNREAD_CAP + 1
        )))
        .bind(user_id.to_string())
        .fetch_one(&self.pool)
        .await?;
        Ok(r.try_get("n")?)
    }

    /// Puts `job` in the queue unless a job was scheduled under `key` before (the
    /// sweep of one Vietnam day): every process may ask, one job results. Returns the
    /// new job's id.
    pub async fn schedule_once(&self, key: &str, job: &NewJob<'_>) -> Result<Option<String>> {
        let mut tx = WriteTx::begin(self, Actor::system()).await?;
        let job_id = new_id();
        let taken = sqlx::query("INSERT INTO job_schedule (key, job_id, created_at) VALUES ($1, $2, $3) ON CONFLICT (key) DO NOTHING")
            .bind(key.to_string())
            .bind(job_id.clone())
            .bind(tx.at().to_string())
            .run(&tx)
            .await?;
        if taken == 0 {
            drop(tx);
            return Ok(None);
        }
        let id = tx.enqueue(job).await?;
        sqlx::query("UPDATE job_schedule SET job_id = $1 WHERE key = $2")
            .bind(id.clone())
            .bind(key.to_string())
            .run(&tx)
            .await?;
        tx.record("schedule", "job", &id, ("", "/"), None::<&()>, Some(&serde_json::json!({ "key": key, "kind": job.kind }))).await?;
        tx.commit().await?;
        Ok(Some(id))
    }

    /// Claims up to `limit` e-mails to send: pending ones, and those whose claim is
    /// older than `stale` (their sender died), while attempts remain. Each claim is
    /// conditional on the state read, so two senders get different e-mails.
    pub async fn claim_mail(&self, stale: Duration, limit: i64) -> Result<Vec<OutgoingMail>> {
        let now = self.now();
        let stale_before = khien_domain::time_fmt::to_rfc3339(now - time::Duration::try_from(stale).unwrap_or(time::Duration::MINUTE));
        let now = khien_domain::time_fmt::to_rfc3339(now);
        let rows = sqlx::query("SELECT id, to_addr, subject, body, attempts, state, claim_token FROM mail_outbox WHERE (state = 'pending' OR (state = 'sending' AND claimed_at < $1)) ORDER BY created_at, id LIMIT $2")
            .bind(stale_before.clone())
            .bind(limit.clamp(1, 500))
            .fetch_all(&self.pool)
            .await?;
        let mut out = Vec::new();
        for r in rows {
            let id: String = r.try_get("id")?;
            let attempts: i64 = r.try_get("attempts")?;
            let state: String = r.try_get("state")?;
            let before: Option<String> = r.try_get("claim_token")?;
            if attempts >= MAIL_ATTEMPTS {
                // Its last sender died mid-send: given up, with the reason.
                sqlx::query("UPDATE mail_outbox SET state = 'failed', last_error = COALESCE(last_error, 'sender stopped during the last attempt') WHERE id = $1 AND state = 'sending' AND claim_token = $2")
                    .bind(id)
                    .bind(before)
                    .execute(&self.writer)
                    .await?;
                continue;
            }
            let token = new_id();
            let claim = match before {
                None => sqlx::query("UPDATE mail_outbox SET state = 'sending', claim_token = $1, claimed_at = $2, attempts = attempts + 1 WHERE id = $3 AND state = 'pending'")
                    .bind(token.clone())
                    .bind(now.clone())
                    .bind(id.clone()),
                Some(before) => sqlx::query("UPDATE mail_outbox SET state = 'sending', claim_token = $1, claimed_at = $2, attempts = attempts + 1 WHERE id = $3 AND state = $4 AND claim_token = $5")
                    .bind(token.clone())
                    .bind(now.clone())
                    .bind(id.clone())
                    .bind(state)
                    .bind(before),
            };
            let claimed = claim.execute(&self.writer).await?.rows_affected();
            if claimed == 1 {
                out.push(OutgoingMail {
                    id,
                    to: r.try_get("to_addr")?,
                    subject: r.try_get("subject")?,
                    body: r.try_get("body")?,
                    attempts: attempts + 1,
                    token,
                });
            }
        }
        Ok(out)
    }

    /// The e-mail went: marked sent if the claim is still ours (`false`: another
    /// sender took it over meanwhile).
    pub async fn mail_sent(&self, m: &OutgoingMail) -> Result<bool> {
        let changed = sqlx::query("UPDATE mail_outbox SET state = 'sent', sent_at = $1, last_error = NULL WHERE id = $2 AND state = 'sending' AND claim_token = $3")
            .bind(self.now_text())
            .bind(m.id.clone())
            .bind(m.token.clone())
            .execute(&self.writer)
            .await?
            .rows_affected();
        Ok(changed == 1)
    }

    /// The e-mail did not go: back to pending for a later try, or failed for good
    /// after [`MAIL_ATTEMPTS`] (or when `permanent`, a refused address).
    pub async fn mail_failed(&self, m: &OutgoingMail, why: &str, permanent: bool) -> Result<()> {
        let give_up = permanent || m.attempts >= MAIL_ATTEMPTS;
        let why: String = why.chars().take(1000).collect();
        sqlx::query("UPDATE mail_outbox SET state = $1, last_error = $2, claim_token = NULL, claimed_at = NULL WHERE id = $3 AND state = 'sending' AND claim_token = $4")
            .bind(if give_up { "failed" } else { "pending" }.to_string())
            .bind(why)
            .bind(m.id.clone())
            .bind(m.token.clone())
            .execute(&self.writer)
            .await?;
        Ok(())
    }
}

/// Filter of `/notifications`.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct ReminderFilter {
    /// `1`: unread only.
    pub unread: String,
    pub page: i64,
}

impl Scoped<'_> {
    /// The principal's own reminders, newest first.
    pub async fn my_reminders(&self, f: &ReminderFilter, per_page: i64) -> Result<Page<Reminder>> {
        let mut base = Sql::new(" FROM reminders r WHERE r.user_id = ");
        base.text(self.principal.user_id.clone());
        if f.unread == "1" {
            base.push(" AND r.read_at IS NULL");
        }
        let (total, total_capped) = crate::cap(crate::capped_count(&base, "SELECT 1").query().one(self).await?.try_get("n")?);
        let page = crate::clamp_page(f.page);
        let mut q = Sql::new("SELECT r.id, r.kind, r.stage, r.title, r.body, r.href, r.due, r.created_at, r.read_at");
        q.text.push_str(&base.text);
        q.args_from(&base);
        q.push(" ORDER BY r.created_at DESC, r.id DESC LIMIT ").int(per_page).push(" OFFSET ").int((page - 1) * per_page);
        let items = q
            .query()
            .all(self)
            .await?
            .iter()
            .map(|r| {
                Ok(Reminder {
                    id: r.try_get("id")?,
                    kind: r.try_get("kind")?,
                    stage: r.try_get("stage")?,
                    title: r.try_get("title")?,
                    body: r.try_get("body")?,
                    href: r.try_get("href")?,
                    due: r.try_get("due")?,
                    created_at: r.try_get("created_at")?,
                    read_at: r.try_get("read_at")?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Page { items, total, total_capped, page, per_page, next_after: None })
    }

    /// Marks the principal's own unread reminders read: those of `ids`, or all when
    /// `ids` is empty. Another user's reminder is never touched. Audited once per call
    /// that changed something; returns how many changed.
    pub async fn mark_reminders_read(&self, ids: &[String]) -> Result<u64> {
        let mut tx = self.write().await?;
        let mut sql = Sql::new("UPDATE reminders SET read_at = ");
        sql.text(tx.at().to_string()).push(" WHERE read_at IS NULL AND user_id = ").text(self.principal.user_id.clone());
        if !ids.is_empty() {
            sql.push(" AND id IN (");
            for (i, id) in ids.iter().take(500).enumerate() {
                if i > 0 {
                    sql.push(", ");
                }
                sql.text(id.clone());
            }
            sql.push(")");
        }
        let changed = sql.query().run(&tx).await?;
        if changed == 0 {
            drop(tx);
            return Ok(0);
        }
        tx.record(
            "read",
            "reminders",
            &self.principal.user_id,
            (&self.principal.unit_id, &self.principal.unit_path),
            None::<&()>,
            Some(&serde_json::json!({ "ids": if ids.is_empty() { serde_json::json!("all") } else { serde_json::json!(ids) }, "changed": changed })),
        )
        .await?;
        tx.commit().await?;
        Ok(changed)
    }
}
