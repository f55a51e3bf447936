//! The audit trail. Every write goes through a [`WriteTx`]: it collects one entry per
//! change, and at commit locks the chain head, chains the entries to the previous one
//! and appends them with the change itself.

use std::sync::Arc;

use khien_domain::audit::{AuditContent, GENESIS, chain_hash};
use khien_domain::Principal;
use serde::{Deserialize, Serialize};
use sqlx::{Any, Row, Transaction};
use tokio::sync::Mutex;

use crate::db::{Backend, Store};
use crate::error::{Result, StoreError};
use crate::sql::Sql;
use crate::scope::ReadExt;
use crate::{Page, Scoped};

/// Who performs a write: a user, or the platform itself (`system`, for the demo and CLI).
#[derive(Debug, Clone)]
pub struct Actor {
    pub id: String,
    pub name: String,
    /// Where the request came from (None: the platform itself, the CLI).
    pub address: Option<String>,
}

impl Actor {
    pub fn system() -> Actor {
        Actor {
            id: "system".into(),
            name: "system".into(),
            address: None,
        }
    }
}

impl From<&Principal> for Actor {
    fn from(p: &Principal) -> Actor {
        Actor {
            id: p.user_id.clone(),
            name: p.username.clone(),
            address: None,
        }
    }
}

/// One write transaction. Reads that decide a write run inside it (through
/// [`Scoped::within`]), state changes are conditional, and the audit entries are kept
/// in memory and chained only at commit: the one-row chain head is locked last, for the
/// few milliseconds the append takes, so writers do not queue behind each other.
pub struct WriteTx {
    pub(crate) conn: TxConn,
    pending: Vec<Pending>,
    at: String,
    actor: Actor,
    backend: Backend,
    cache: Arc<crate::cache::Cache>,
}

/// The open transaction, shared with the [`Scoped`] views that read inside it. `None`
/// once committed or rolled back.
pub(crate) type TxConn = Arc<Mutex<Option<Transaction<'static, Any>>>>;

struct Pending {
    action: String,
    entity: String,
    entity_id: String,
    unit_id: String,
    unit_path: String,
    before: String,
    after: String,
}

/// Entries written now hash their unit path (from format 2) and the client's address
/// (from format 3).
const CHAIN_FORMAT: i64 = 3;

/// Rows per multi-row INSERT: well under SQLite's 32,766 bound parameters at 14 columns.
const AUDIT_BATCH: usize = 200;

impl WriteTx {
    pub(crate) async fn begin(store: &Store, actor: Actor) -> Result<WriteTx> {
        // SQLite: take the write lock up front (on the one writer connection), so a
        // read-then-write transaction never fails to upgrade. PostgreSQL: row locks are
        // taken by the conditional UPDATEs themselves.
        let tx = match store.backend {
            Backend::Sqlite => store.writer.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => store.writer.begin().await?,
        };
        Ok(WriteTx {
            conn: Arc::new(Mutex::new(Some(tx))),
            pending: Vec::new(),
            at: store.now_text(),
            actor,
            backend: store.backend,
            cache: store.cache.clone(),
        })
    }

    pub fn at(&self) -> &str {
        &self.at
    }

    pub(crate) fn actor_name(&self) -> &str {
        &self.actor.name
    }

    /// Records one change. `before`/`after` are snapshots of the entity (None when it did
    /// not exist before / no longer exists). Chained at commit.
    pub(crate) async fn record<B: Serialize, A: Serialize>(
        &mut self,
        action: &str,
        entity: &str,
        entity_id: &str,
        unit: (&str, &str),
        before: Option<&B>,
        after: Option<&A>,
    ) -> Result<()> {
        let to_json = |v: Option<String>| v.unwrap_or_default();
        self.pending.push(Pending {
            action: action.to_string(),
            entity: entity.to_string(),
            entity_id: entity_id.to_string(),
            unit_id: unit.0.to_string(),
            unit_path: unit.1.to_string(),
            before: to_json(before.and_then(|b| serde_json::to_string(b).ok())),
            after: to_json(after.and_then(|a| serde_json::to_string(a).ok())),
        });
        Ok(())
    }

    /// Records one change whose snapshots are already JSON text (bulk loads).
    pub(crate) fn record_json(
        &mut self,
        action: &str,
        entity: &str,
        entity_id: &str,
        unit: (&str, &str),
        before: String,
        after: String,
    ) {
        self.pending.push(Pending {
            action: action.to_string(),
            entity: entity.to_string(),
            entity_id: entity_id.to_string(),
            unit_id: unit.0.to_string(),
            unit_path: unit.1.to_string(),
            before,
            after,
        });
    }

    /// Locks the chain head, appends the pending entries in multi-row batches, moves the
    /// head and commits.
    pub async fn commit(self) -> Result<()> {
        let mut guard = self.conn.lock().await;
        let mut tx = guard.take().ok_or(StoreError::TxClosed)?;
        if !self.pending.is_empty() {
            // The UPDATE takes the head's row lock on PostgreSQL (SQLite already holds
            // the database write lock since BEGIN IMMEDIATE).
            sqlx::query("UPDATE audit_head SET seq = seq WHERE id = 1")
                .execute(&mut *tx)
                .await?;
            let row = sqlx::query("SELECT seq, last_hash FROM audit_head WHERE id = 1")
                .fetch_one(&mut *tx)
                .await?;
            let mut seq: i64 = row.try_get("seq")?;
            let mut last_hash: String = row.try_get("last_hash")?;
            let address = self.actor.address.clone().unwrap_or_default();
            for chunk in self.pending.chunks(AUDIT_BATCH) {
                let mut sql = Sql::new("INSERT INTO audit_log (seq, hash_version, at, actor_id, actor_name, unit_id, unit_path, client_addr, action, entity, entity_id, before_json, after_json, prev_hash, hash) VALUES ");
                for (i, p) in chunk.iter().enumerate() {
                    seq += 1;
                    let content = AuditContent {
                        seq,
                        at: &self.at,
                        actor_id: &self.actor.id,
                        actor_name: &self.actor.name,
                        unit_id: &p.unit_id,
                        unit_path: Some(&p.unit_path),
                        client_addr: Some(&address),
                        action: &p.action,
                        entity: &p.entity,
                        entity_id: &p.entity_id,
                        before: &p.before,
                        after: &p.after,
                    };
                    let hash = chain_hash(&last_hash, &content);
                    if i > 0 {
                        sql.push(", ");
                    }
                    sql.push("(").int(seq).push(", ").int(CHAIN_FORMAT);
                    for v in [
                        &self.at,
                        &self.actor.id,
                        &self.actor.name,
                        &p.unit_id,
                        &p.unit_path,
                        &address,
                        &p.action,
                        &p.entity,
                        &p.entity_id,
                        &p.before,
                        &p.after,
                        &last_hash,
                        &hash,
                    ] {
                        sql.push(", ").text(v.as_str());
                    }
                    sql.push(")");
                    last_hash = hash;
                }
                sql.query().execute(&mut *tx).await?;
            }
            sqlx::query("UPDATE audit_head SET seq = $1, last_hash = $2 WHERE id = 1")
                .bind(seq)
                .bind(last_hash)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        let _ = self.backend;
        self.cache.bump();
        Ok(())
    }
}

/// Runs a statement inside a write transaction and says how many rows it changed, so
/// every conditional state change can check that it changed exactly what it meant to.
pub(crate) trait RunInTx {
    fn run(self, tx: &WriteTx) -> impl std::future::Future<Output = Result<u64>> + Send;
}

impl<'q> RunInTx for sqlx::query::Query<'q, Any, sqlx::any::AnyArguments> {
    async fn run(self, tx: &WriteTx) -> Result<u64> {
        let mut guard = tx.conn.lock().await;
        let conn = guard.as_mut().ok_or(StoreError::TxClosed)?;
        Ok(self.execute(&mut **conn).await?.rows_affected())
    }
}

/// One link of the audit hash chain.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct AuditEntry {
    pub seq: i64,
    pub at: String,
    pub actor_id: String,
    pub actor_name: String,
    pub unit_id: String,
    pub unit_path: String,
    /// 1: written before the unit path was hashed; 2: the path is under the hash; 3:
    /// the client's address too.
    pub hash_version: i64,
    /// The client's address ("" for the platform itself and for entries before format 3).
    pub client_addr: String,
    pub action: String,
    pub entity: String,
    pub entity_id: String,
    /// The object before the change, as JSON text.
    pub before: String,
    /// The object after the change, as JSON text.
    pub after: String,
    pub prev_hash: String,
    pub hash: String,
}

fn entry_from_row(r: &sqlx::any::AnyRow) -> Result<AuditEntry> {
    Ok(AuditEntry {
        seq: r.try_get("seq")?,
        at: r.try_get("at")?,
        actor_id: r.try_get("actor_id")?,
        actor_name: r.try_get("actor_name")?,
        unit_id: r.try_get("unit_id")?,
        unit_path: r.try_get("unit_path")?,
        hash_version: i64::from(r.try_get::<i16, _>("hash_version")?),
        client_addr: r.try_get("client_addr")?,
        action: r.try_get("action")?,
        entity: r.try_get("entity")?,
        entity_id: r.try_get("entity_id")?,
        before: r.try_get("before_json")?,
        after: r.try_get("after_json")?,
        prev_hash: r.try_get("prev_hash")?,
        hash: r.try_get("hash")?,
    })
}

#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize, schemars::JsonSchema)]
#[serde(default)]
pub struct AuditFilter {
    pub entity: String,
    pub entity_id: String,
    pub actor: String,
    pub action: String,
    pub page: i64,
    /// The last sequence number of the page before (keyset paging: older entries).
    pub after: i64,
    /// Leave out sign-ins and sign-outs (most of a busy trail).
    pub hide_sign_ins: bool,
}

/// The sign-in actions [`AuditFilter::hide_sign_ins`] leaves out.
pub const SIGN_IN_ACTIONS: [&str; 2] = ["login", "logout"];

/// The job that walks the whole chain (admins ask for it in the UI).
pub const VERIFY_JOB_KIND: &str = "audit_verify";
/// The subject every verification job names: the one chain.
pub const VERIFY_SUBJECT: &str = "audit_log";

/// The outcome of walking the chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainReport {
    pub entries: i64,
    /// The first sequence number whose link does not hold, and why.
    pub first_broken: Option<(i64, String)>,
}

const AUDIT_COLUMNS: &str = "seq, hash_version, at, actor_id, actor_name, unit_id, unit_path, client_addr, action, entity, entity_id, before_json, after_json, prev_hash, hash";

impl Scoped<'_> {
    /// Audit entries visible to the principal: all for province roles, else those about
    /// units in its subtree.
    pub async fn audit(&self, f: &AuditFilter, per_page: i64) -> Result<Page<AuditEntry>> {
        let mut sql = Sql::new(" FROM audit_log WHERE 1=1");
        // Scoped by the unit's place in the tree today, so the history of a unit that
        // moved follows it while every entry keeps (and hashes) the path it had.
        self.restrict_ids(&mut sql, "audit_log", "audit_log", &["unit_id"]);
        for (col, v) in [
            ("entity", &f.entity),
            ("entity_id", &f.entity_id),
            ("action", &f.action),
        ] {
            if !v.trim().is_empty() {
                sql.push(&format!(" AND {col} = ")).text(v.trim());
            }
        }
        if !f.actor.trim().is_empty() {
            sql.push(" AND actor_name = ").text(f.actor.trim());
        }
        if f.hide_sign_ins {
            sql.push(" AND action NOT IN (");
            for (i, a) in SIGN_IN_ACTIONS.iter().enumerate() {
                if i > 0 {
                    sql.push(", ");
                }
                sql.text(*a);
            }
            sql.push(")");
        }
        let (total, total_capped) = crate::cap(
            crate::capped_count(&sql, "SELECT 1")
                .query()
                .one(self)
                .await?
                .try_get("n")?,
        );
        let page = crate::clamp_page(f.page);
        let mut q = Sql::new(&format!("SELECT {AUDIT_COLUMNS}"));
        q.text.push_str(&sql.text);
        q.args_from(&sql);
        if f.after > 0 {
            q.push(" AND seq < ").int(f.after);
        }
        q.push(" ORDER BY seq DESC LIMIT ").int(per_page + 1);
        if f.after <= 0 {
            q.push(" OFFSET ").int((page - 1) * per_page);
        }
        let rows = q.query().all(self).await?;
        let mut items = rows
            .iter()
            .map(entry_from_row)
            .collect::<Result<Vec<_>>>()?;
        let more = items.len() as i64 > per_page;
        items.truncate(usize::try_from(per_page).unwrap_or(0));
        let next_after = if more { items.last().map(|e| e.seq.to_string()) } else { None };
        Ok(Page {
            items,
            total,
            total_capped,
            page,
            per_page,
            next_after,
        })
    }

    /// The change history of one entity (already scope-checked by the caller fetching it).
    pub async fn history(&self, entity: &str, entity_id: &str) -> Result<Vec<AuditEntry>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {AUDIT_COLUMNS} FROM audit_log WHERE entity = $1 AND entity_id = $2 ORDER BY seq DESC LIMIT 200"
        )))
        .bind(entity.to_string())
        .bind(entity_id.to_string())
        .all(self)
        .await?;
        rows.iter().map(entry_from_row).collect()
    }
}

impl Store {
    /// The chain head: the last sequence number and its hash.
    pub async fn audit_head(&self) -> Result<(i64, String)> {
        let head = sqlx::query("SELECT seq, last_hash FROM audit_head WHERE id = 1")
            .fetch_one(&self.pool)
            .await?;
        Ok((head.try_get("seq")?, head.try_get("last_hash")?))
    }

    /// The hash of entry `seq`, if the log holds it.
    pub async fn audit_hash_at(&self, seq: i64) -> Result<Option<String>> {
        let row = sqlx::query("SELECT hash FROM audit_log WHERE seq = $1")
            .bind(seq)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| r.try_get("hash")).transpose()?)
    }

    /// Walks the whole chain in order, streaming, and reports the first broken link: a
    /// changed row (hash mismatch), a deleted or inserted row (sequence or `prev_hash`
    /// gap), or a truncated tail (the head disagrees with the last row).
    pub async fn verify_audit(&self) -> Result<ChainReport> {
        use futures_util::TryStreamExt;
        let mut rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {AUDIT_COLUMNS} FROM audit_log ORDER BY seq"
        )))
        .fetch(&self.pool);
        let mut prev = GENESIS.to_string();
        let mut expected_seq = 1;
        let mut entries = 0;
        while let Some(row) = rows.try_next().await? {
            let e = entry_from_row(&row)?;
            entries += 1;
            let broken = if e.seq != expected_seq {
                Some(format!("expected sequence {expected_seq}, found {}", e.seq))
            } else if e.prev_hash != prev {
                Some("prev_hash does not match the previous entry".to_string())
            } else {
                let content = AuditContent {
                    seq: e.seq,
                    at: &e.at,
                    actor_id: &e.actor_id,
                    actor_name: &e.actor_name,
                    unit_id: &e.unit_id,
                    unit_path: (e.hash_version >= 2).then_some(e.unit_path.as_str()),
                    client_addr: (e.hash_version >= 3).then_some(e.client_addr.as_str()),
                    action: &e.action,
                    entity: &e.entity,
                    entity_id: &e.entity_id,
                    before: &e.before,
                    after: &e.after,
                };
                (chain_hash(&prev, &content) != e.hash)
                    .then(|| "content does not match its hash".to_string())
            };
            if let Some(why) = broken {
                return Ok(ChainReport {
                    entries,
                    first_broken: Some((e.seq, why)),
                });
            }
            prev = e.hash;
            expected_seq += 1;
        }
        drop(rows);
        let head = sqlx::query("SELECT seq, last_hash FROM audit_head WHERE id = 1")
            .fetch_one(&self.pool)
            .await?;
        let (head_seq, head_hash): (i64, String) =
            (head.try_get("seq")?, head.try_get("last_hash")?);
        if head_seq != expected_seq - 1 || head_hash != prev {
            return Ok(ChainReport {
                entries,
                first_broken: Some((
                    expected_seq,
                    format!(
                        "chain head is at {head_seq}, the log ends at {}",
                        expected_seq - 1
                    ),
                )),
            });
        }
        Ok(ChainReport {
            entries,
            first_broken: None,
        })
    }
}

impl Scoped<'_> {
    /// What people call the objects `entries` name (a system's or unit's name, a
    /// dossier's system and version, a hunt's title, a user's name), by (entity, id).
    /// Objects deleted since, or of a kind without a name, are left out.
    pub async fn audit_object_names(
        &self,
        entries: &[AuditEntry],
    ) -> Result<std::collections::HashMap<(String, String), String>> {
        let mut out = std::collections::HashMap::new();
        // (entity, SELECT id, label FROM … WHERE id IN)
        const NAMED: [(&str, &str); 7] = [
            ("system", "SELECT id, name AS label FROM systems WHERE id IN ("),
            ("unit", "SELECT id, name AS label FROM units WHERE id IN ("),
            ("user", "SELECT id, display_name AS label FROM users WHERE id IN ("),
            ("hunt", "SELECT id, title AS label FROM hunts WHERE id IN ("),
            ("api_token", "SELECT id, name AS label FROM api_tokens WHERE id IN ("),
            ("rule_set", "SELECT id, name AS label FROM rule_sets WHERE id IN ("),
            (
                "dossier",
                "SELECT d.id AS id, s.name || ' · v' || CAST(d.version AS TEXT) AS label FROM dossiers d JOIN systems s ON s.id = d.system_id WHERE d.id IN (",
            ),
        ];
        for (entity, select) in NAMED {
            let ids: std::collections::BTreeSet<&str> = entries
                .iter()
                .filter(|e| e.entity == entity)
                .map(|e| e.entity_id.as_str())
                .collect();
            if ids.is_empty() {
                continue;
            }
            let mut sql = Sql::new(select);
            for (i, id) in ids.iter().enumerate() {
                if i > 0 {
                    sql.push(", ");
                }
                sql.text(*id);
            }
            sql.push(")");
            for r in sql.query().all(self).await? {
                out.insert((entity.to_string(), r.try_get("id")?), r.try_get("label")?);
            }
        }
        Ok(out)
    }

    /// Puts a walk of the whole chain in the queue (province administrators), unless
    /// one is already waiting or running; audited. Returns the job's id.
    pub async fn queue_audit_verification(&self) -> Result<String> {
        khien_domain::audit::may_verify(self.principal.role).map_err(crate::StoreError::refused)?;
        let mut tx = self.write().await?;
        let pending = sqlx::query("SELECT id FROM jobs WHERE kind = $1 AND state IN ('queued', 'running') LIMIT 1")
            .bind(VERIFY_JOB_KIND.to_string())
            .opt(&self.within(&tx))
            .await?;
        if let Some(r) = pending {
            return Ok(r.try_get("id")?);
        }
        let id = tx
            .enqueue(&crate::jobs::NewJob {
                kind: VERIFY_JOB_KIND,
                subject_id: VERIFY_SUBJECT,
                unit_id: None,
                payload: serde_json::json!({}),
                max_attempts: 3,
            })
            .await?;
        tx.record("verify", "audit_log", &id, ("", "/"), None::<&()>, None::<&()>)
            .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// The latest verification asked for, and its report once it has run.
    pub async fn last_audit_verification(&self) -> Result<Option<(crate::jobs::Job, Option<ChainReport>)>> {
        let Some(job) = self.store.job_of(VERIFY_JOB_KIND, VERIFY_SUBJECT).await? else {
            return Ok(None);
        };
        let report = job
            .result
            .as_deref()
            .and_then(|r| serde_json::from_str::<ChainReport>(r).ok());
        Ok(Some((job, report)))
    }
}

impl Store {
    /// Runs a verification job the worker holds: walks the chain, then stores the
    /// report on the job while the lease is still held.
    pub async fn run_audit_verification(&self, lease: &crate::jobs::Lease) -> Result<ChainReport> {
        let report = self.verify_audit().await?;
        let tx = self.as_system().write().await?;
        self.complete_job(&tx, lease, &serde_json::to_value(&report).unwrap_or_default())
            .await?;
        tx.commit().await?;
        Ok(report)
    }
}
