//! A tiny SQL builder for dynamic filters. sqlx's `QueryBuilder` emits `?` placeholders
//! under the `Any` driver, which PostgreSQL rejects, so we number `$n` ourselves.

use sqlx::any::AnyArguments;
use sqlx::query::Query;
use sqlx::{Any, AssertSqlSafe};

#[derive(Debug, Clone)]
pub(crate) enum Arg {
    Text(String),
    Int(i64),
    OptText(Option<String>),
    OptInt(Option<i64>),
}

#[derive(Debug, Default)]
pub(crate) struct Sql {
    pub text: String,
    args: Vec<Arg>,
}

impl Sql {
    pub fn new(text: &str) -> Sql {
        Sql {
            text: text.to_string(),
            args: Vec::new(),
        }
    }

    pub fn push(&mut self, fragment: &str) -> &mut Self {
        self.text.push_str(fragment);
        self
    }

    /// Appends a placeholder for `arg`.
    pub fn bind(&mut self, arg: Arg) -> &mut Self {
        self.args.push(arg);
        self.text.push('$');
        self.text.push_str(&self.args.len().to_string());
        self
    }

    pub fn text(&mut self, v: impl Into<String>) -> &mut Self {
        self.bind(Arg::Text(v.into()))
    }

    pub fn int(&mut self, v: i64) -> &mut Self {
        self.bind(Arg::Int(v))
    }

    /// `$1, $2, …` for each value, the inside of an `IN (…)` (`NULL` for none, so
    /// `IN (NULL)` matches nothing).
    pub fn text_list<S: AsRef<str>>(&mut self, values: &[S]) -> &mut Self {
        if values.is_empty() {
            self.push("NULL");
        }
        for (i, v) in values.iter().enumerate() {
            if i > 0 {
                self.push(", ");
            }
            self.text(v.as_ref());
        }
        self
    }

    pub fn query(&self) -> Query<'static, Any, AnyArguments> {
        let mut q = sqlx::query(AssertSqlSafe(self.text.clone()));
        for a in &self.args {
            q = match a {
                Arg::Text(s) => q.bind(s.clone()),
                Arg::Int(i) => q.bind(*i),
                Arg::OptText(s) => q.bind(s.clone()),
                Arg::OptInt(i) => q.bind(*i),
            };
        }
        q
    }
}

impl Sql {
    /// Takes over another builder's arguments (its text was appended by the caller), so
    /// a count and a page query can share one WHERE clause.
    pub fn args_from(&mut self, other: &Sql) -> &mut Self {
        self.args.extend(other.args.iter().cloned());
        self
    }
}

/// `INSERT INTO <table> (<cols>) SELECT …` from a JSON array of objects bound as `$1`
/// (keys: the column names): thousands of rows in one statement with one bound value,
/// decoded inside the database. Binding each value instead costs more per row through
/// sqlx's `Any` driver than the insert itself (docs/benchmarks.md). The one dialect
/// difference: PostgreSQL's `json_populate_recordset`, SQLite's `json_each`. `table`
/// and `cols` are the caller's constants.
pub(crate) fn insert_json_rows(backend: crate::Backend, table: &str, cols: &[&str]) -> String {
    let list = cols.join(", ");
    match backend {
        crate::Backend::Postgres => format!(
            "INSERT INTO {table} ({list}) SELECT {list} FROM json_populate_recordset(NULL::{table}, CAST($1 AS json))"
        ),
        crate::Backend::Sqlite => {
            let values: Vec<String> = cols.iter().map(|c| format!("json_extract(value, '$.{c}')")).collect();
            format!("INSERT INTO {table} ({list}) SELECT {} FROM json_each($1)", values.join(", "))
        }
    }
}

/// A record kept one per key with a `version` that counts its saves (and `updated_by`,
/// `updated_at`): inserted at version 1 when none exists, else updated only if it is
/// still at version `seen`. One statement on both databases (`ON CONFLICT … DO UPDATE …
/// WHERE`), so a save racing another, or made on a form read before it, changes no row
/// and the caller reports a stale form. Returns the rows changed (1, or 0 when stale).
pub(crate) async fn save_versioned(tx: &crate::audit::WriteTx, table: &str, key: &[(&str, Arg)], cols: &[(&str, Arg)], seen: i64, by: &str, at: &str) -> crate::error::Result<u64> {
    use crate::audit::RunInTx;
    let names: Vec<&str> = key.iter().chain(cols).map(|(n, _)| *n).collect();
    let mut q = Sql::new(&format!("INSERT INTO {table} ({}, version, updated_by, updated_at) VALUES (", names.join(", ")));
    for (_, v) in key.iter().chain(cols) {
        q.bind(v.clone()).push(", ");
    }
    q.push("1, ").text(by).push(", ").text(at).push(")");
    let keys: Vec<&str> = key.iter().map(|(n, _)| *n).collect();
    q.push(&format!(" ON CONFLICT ({}) DO UPDATE SET ", keys.join(", ")));
    for (n, _) in cols {
        q.push(&format!("{n} = excluded.{n}, "));
    }
    q.push(&format!("version = {table}.version + 1, updated_by = excluded.updated_by, updated_at = excluded.updated_at WHERE {table}.version = "));
    q.int(seen);
    q.query().run(tx).await
}

/// A count or a `SUM(CASE …)` column: BIGINT on PostgreSQL (the CASE is an integer, so
/// its SUM is BIGINT, not NUMERIC), INTEGER on SQLite; a SUM is NULL over no row.
pub(crate) fn sum_i64(r: &sqlx::any::AnyRow, col: &str) -> crate::error::Result<i64> {
    use sqlx::Row;
    Ok(r.try_get::<Option<i64>, _>(col)?.unwrap_or(0))
}

/// A record with an id, `created_by`/`created_at` and a `version` that counts its saves:
/// inserted at version 1 with `fixed` (the id and what never changes) and `cols` (what a
/// save may change). Its saves go through [`update_versioned`] with the same `cols`.
pub(crate) async fn insert_versioned(tx: &crate::audit::WriteTx, table: &str, fixed: &[(&str, Arg)], cols: &[(&str, Arg)], by: &str, at: &str) -> crate::error::Result<u64> {
    use crate::audit::RunInTx;
    let names: Vec<&str> = fixed.iter().chain(cols).map(|(n, _)| *n).collect();
    let mut q = Sql::new(&format!("INSERT INTO {table} ({}, version, created_by, created_at, updated_by, updated_at) VALUES (", names.join(", ")));
    for (_, v) in fixed.iter().chain(cols) {
        q.bind(v.clone()).push(", ");
    }
    q.push("1, ").text(by).push(", ").text(at).push(", ").text(by).push(", ").text(at).push(")");
    q.query().run(tx).await
}

/// Saves `cols` of the record `id` only if it is still at version `seen` (a save racing
/// another, or made on a form read before it, changes no row): the rows changed.
pub(crate) async fn update_versioned(tx: &crate::audit::WriteTx, table: &str, id: &str, cols: &[(&str, Arg)], seen: i64, by: &str, at: &str) -> crate::error::Result<u64> {
    use crate::audit::RunInTx;
    let mut q = Sql::new(&format!("UPDATE {table} SET "));
    for (n, v) in cols {
        q.push(&format!("{n} = ")).bind(v.clone()).push(", ");
    }
    q.push("version = version + 1, updated_by = ").text(by).push(", updated_at = ").text(at);
    q.push(" WHERE id = ").text(id).push(" AND version = ").int(seen);
    q.query().run(tx).await
}

/// A register's count and its first rows from one filter: `filter` is the `FROM … WHERE
/// …` part with its arguments, listed as `SELECT <cols>` followed by `tail` (its order
/// and limit).
pub(crate) async fn count_and_rows(on: &crate::Scoped<'_>, filter: &Sql, cols: &str, tail: &str) -> crate::error::Result<(i64, Vec<sqlx::any::AnyRow>)> {
    use sqlx::Row;

    use crate::scope::ReadExt;
    let mut count = Sql::new("SELECT COUNT(*) AS n");
    count.text.push_str(&filter.text);
    count.args_from(filter);
    let n: i64 = count.query().one(on).await?.try_get("n")?;
    let mut list = Sql::new(&format!("SELECT {cols}"));
    list.text.push_str(&filter.text);
    list.args_from(filter);
    list.push(tail);
    Ok((n, list.query().all(on).await?))
}
