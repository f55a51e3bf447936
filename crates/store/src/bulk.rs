//! Bulk loading for generated data (`khien demo --scale national`): multi-row INSERTs
//! inside one write transaction, with the audit entries still chained at commit, so a
//! generated database verifies like any other.

use crate::audit::{Actor, WriteTx};
use crate::db::{Backend, Store};
use crate::error::Result;
use crate::sql::{Arg, Sql};

/// One value of a bulk row.
#[derive(Debug, Clone)]
pub enum Value {
    Text(String),
    OptText(Option<String>),
    Int(i64),
}

impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::Text(s.to_string())
    }
}
impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::Text(s)
    }
}
impl From<Option<String>> for Value {
    fn from(s: Option<String>) -> Value {
        Value::OptText(s)
    }
}
impl From<i64> for Value {
    fn from(i: i64) -> Value {
        Value::Int(i)
    }
}

/// One bulk transaction, written as the platform (`system`).
pub struct Bulk {
    tx: WriteTx,
    backend: Backend,
}

impl Store {
    pub async fn bulk(&self) -> Result<Bulk> {
        Ok(Bulk {
            tx: WriteTx::begin(self, Actor::system()).await?,
            backend: self.backend,
        })
    }
}

impl Store {
    /// Refreshes the planner's statistics after a bulk load: without them PostgreSQL
    /// plans a freshly loaded table as if it were empty (sequential scans).
    pub async fn analyze(&self) -> Result<()> {
        sqlx::query("ANALYZE").execute(&self.writer).await?;
        Ok(())
    }
}

impl Bulk {
    /// The transaction's timestamp (every row and entry of it carries the same one).
    pub fn at(&self) -> &str {
        self.tx.at()
    }

    /// Inserts `rows` into `table`, in statements of a few rows (SQLite through the
    /// `Any` driver slows down per row as statements grow; PostgreSQL prefers fewer
    /// round trips). `table` and `columns` are the caller's constants.
    pub async fn insert(&mut self, table: &str, columns: &[&str], rows: &[Vec<Value>]) -> Result<()> {
        use crate::audit::RunInTx;
        let per = match self.backend {
            Backend::Sqlite => 16,
            Backend::Postgres => (30_000 / columns.len().max(1)).min(500),
        };
        for chunk in rows.chunks(per) {
            let mut sql = Sql::new(&format!("INSERT INTO {table} ({}) VALUES ", columns.join(", ")));
            for (i, row) in chunk.iter().enumerate() {
                sql.push(if i == 0 { "(" } else { ", (" });
                for (j, v) in row.iter().enumerate() {
                    if j > 0 {
                        sql.push(", ");
                    }
                    sql.bind(match v {
                        Value::Text(s) => Arg::Text(s.clone()),
                        Value::OptText(s) => Arg::OptText(s.clone()),
                        Value::Int(n) => Arg::Int(*n),
                    });
                }
                sql.push(")");
            }
            sql.query().run(&self.tx).await?;
        }
        Ok(())
    }

    /// One audit entry (chained at commit). `after` is the JSON of the new state.
    pub fn record(&mut self, action: &str, entity: &str, entity_id: &str, unit: (&str, &str), after: String) {
        self.tx.record_json(action, entity, entity_id, unit, String::new(), after);
    }

    pub async fn commit(self) -> Result<()> {
        self.tx.commit().await
    }
}
