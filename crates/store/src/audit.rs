//! The audit trail. Every write goes through a [`WriteTx`]: it locks the chain head first
//! (serialising writers on both databases), records one entry per change with a hash
//! chained to the previous one, and commits the entries with the change itself.

use khien_domain::audit::{AuditContent, GENESIS, chain_hash};
use khien_domain::{Principal, Scope};
use serde::Serialize;
use sqlx::{Any, Row, Transaction};

use crate::db::{Backend, Store};
use crate::error::Result;
use crate::sql::Sql;
use crate::{Page, Scoped};

/// Who performs a write: a user, or the platform itself (`system`, for the demo and CLI).
#[derive(Debug, Clone)]
pub struct Actor {
    pub id: String,
    pub name: String,
}

impl Actor {
    pub fn system() -> Actor {
        Actor {
            id: "system".into(),
            name: "system".into(),
        }
    }
}

impl From<&Principal> for Actor {
    fn from(p: &Principal) -> Actor {
        Actor {
            id: p.user_id.clone(),
            name: p.username.clone(),
        }
    }
}

pub struct WriteTx {
    pub(crate) tx: Transaction<'static, Any>,
    seq: i64,
    last_hash: String,
    at: String,
    actor: Actor,
}

impl WriteTx {
    pub(crate) async fn begin(store: &Store, actor: Actor) -> Result<WriteTx> {
        // SQLite: take the write lock up front, so a read-then-write transaction never
        // fails to upgrade. PostgreSQL: the UPDATE below row-locks the head.
        let mut tx = match store.backend {
            Backend::Sqlite => store.pool.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => store.pool.begin().await?,
        };
        sqlx::query("UPDATE audit_head SET seq = seq WHERE id = 1")
            .execute(&mut *tx)
            .await?;
        let row = sqlx::query("SELECT seq, last_hash FROM audit_head WHERE id = 1")
            .fetch_one(&mut *tx)
            .await?;
        Ok(WriteTx {
            seq: row.try_get("seq")?,
            last_hash: row.try_get("last_hash")?,
            tx,
            at: store.now_text(),
            actor,
        })
    }

    pub fn at(&self) -> &str {
        &self.at
    }

    /// Records one change. `before`/`after` are snapshots of the entity (None when it did
    /// not exist before / no longer exists).
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
        let before = to_json(before.and_then(|b| serde_json::to_string(b).ok()));
        let after = to_json(after.and_then(|a| serde_json::to_string(a).ok()));
        let seq = self.seq + 1;
        let content = AuditContent {
            seq,
            at: &self.at,
            actor_id: &self.actor.id,
            actor_name: &self.actor.name,
            unit_id: unit.0,
            action,
            entity,
            entity_id,
            before: &before,
            after: &after,
        };
        let hash = chain_hash(&self.last_hash, &content);
        sqlx::query(
            "INSERT INTO audit_log (seq, at, actor_id, actor_name, unit_id, unit_path, action, entity, entity_id, before_json, after_json, prev_hash, hash)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        )
        .bind(seq)
        .bind(self.at.clone())
        .bind(self.actor.id.clone())
        .bind(self.actor.name.clone())
        .bind(unit.0.to_string())
        .bind(unit.1.to_string())
        .bind(action.to_string())
        .bind(entity.to_string())
        .bind(entity_id.to_string())
        .bind(before)
        .bind(after)
        .bind(self.last_hash.clone())
        .bind(hash.clone())
        .execute(&mut *self.tx)
        .await?;
        self.seq = seq;
        self.last_hash = hash;
        Ok(())
    }

    pub async fn commit(mut self) -> Result<()> {
        sqlx::query("UPDATE audit_head SET seq = $1, last_hash = $2 WHERE id = 1")
            .bind(self.seq)
            .bind(self.last_hash.clone())
            .execute(&mut *self.tx)
            .await?;
        self.tx.commit().await?;
        Ok(())
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct AuditEntry {
    pub seq: i64,
    pub at: String,
    pub actor_id: String,
    pub actor_name: String,
    pub unit_id: String,
    pub action: String,
    pub entity: String,
    pub entity_id: String,
    pub before: String,
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
        action: r.try_get("action")?,
        entity: r.try_get("entity")?,
        entity_id: r.try_get("entity_id")?,
        before: r.try_get("before_json")?,
        after: r.try_get("after_json")?,
        prev_hash: r.try_get("prev_hash")?,
        hash: r.try_get("hash")?,
    })
}

#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct AuditFilter {
    pub entity: String,
    pub entity_id: String,
    pub actor: String,
    pub action: String,
    pub page: i64,
}

/// The outcome of walking the chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChainReport {
    pub entries: i64,
    /// The first sequence number whose link does not hold, and why.
    pub first_broken: Option<(i64, String)>,
}

const AUDIT_COLUMNS: &str = "seq, at, actor_id, actor_name, unit_id, action, entity, entity_id, before_json, after_json, prev_hash, hash";

impl Scoped<'_> {
    /// Audit entries visible to the principal: all for province roles, else those about
    /// units in its subtree.
    pub async fn audit(&self, f: &AuditFilter, per_page: i64) -> Result<Page<AuditEntry>> {
        let mut sql = Sql::new(" FROM audit_log WHERE 1=1");
        if let Scope::Subtree { unit_path } = &self.scope {
            sql.push(" AND unit_path LIKE ")
                .text(format!("{}%", khien_domain::text::like_escape(unit_path)))
                .push(" ESCAPE '\\'");
        }
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
        let total: i64 = {
            let mut c = Sql::new("SELECT COUNT(*) AS n");
            c.text.push_str(&sql.text);
            c.args_from(&sql);
            c.query().fetch_one(&self.store.pool).await?.try_get("n")?
        };
        let page = f.page.max(1);
        let mut q = Sql::new(&format!("SELECT {AUDIT_COLUMNS}"));
        q.text.push_str(&sql.text);
        q.args_from(&sql);
        q.push(" ORDER BY seq DESC LIMIT ")
            .int(per_page)
            .push(" OFFSET ")
            .int((page - 1) * per_page);
        let rows = q.query().fetch_all(&self.store.pool).await?;
        let items = rows
            .iter()
            .map(entry_from_row)
            .collect::<Result<Vec<_>>>()?;
        Ok(Page {
            items,
            total,
            page,
            per_page,
        })
    }

    /// The change history of one entity (already scope-checked by the caller fetching it).
    pub async fn history(&self, entity: &str, entity_id: &str) -> Result<Vec<AuditEntry>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {AUDIT_COLUMNS} FROM audit_log WHERE entity = $1 AND entity_id = $2 ORDER BY seq DESC LIMIT 200"
        )))
        .bind(entity.to_string())
        .bind(entity_id.to_string())
        .fetch_all(&self.store.pool)
        .await?;
        rows.iter().map(entry_from_row).collect()
    }
}

impl Store {
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
