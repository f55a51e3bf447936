//! The tables as the database itself describes them (sqlite_master and PRAGMAs on
//! SQLite, information_schema on PostgreSQL), so a table added by a later migration
//! is in every backup without anyone listing it. Ordered so that a table comes after
//! every table it references.

use std::collections::BTreeMap;

use sqlx::{AnyConnection, Row};

use super::BackupError;
use crate::db::Backend;

/// How a column's values are read, written and encoded in the archive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Int,
    Real,
    Text,
    Bytes,
}

#[derive(Debug, Clone)]
pub(super) struct Table {
    pub name: String,
    /// In the table's own order.
    pub columns: Vec<(String, Kind)>,
    /// A column referencing this table's own single-column primary key (units'
    /// parent): rows are exported parents first.
    pub self_ref: Option<(String, String)>,
}

/// Migration bookkeeping: the restoring binary migrates its own database.
const SKIPPED: &[&str] = &["_sqlx_migrations"];

fn kind(table: &str, column: &str, declared: &str) -> Result<Kind, BackupError> {
    let t = declared.to_ascii_uppercase();
    if t.contains("INT") {
        Ok(Kind::Int)
    } else if t.contains("CHAR") || t.contains("TEXT") || t.contains("CLOB") {
        Ok(Kind::Text)
    } else if t.contains("BLOB") || t.contains("BYTEA") {
        Ok(Kind::Bytes)
    } else if t.contains("REAL")
        || t.contains("FLOA")
        || t.contains("DOUB")
        || t.contains("NUMERIC")
    {
        Ok(Kind::Real)
    } else {
        Err(BackupError::Schema(format!(
            "column {table}.{column} has type {declared:?}, which backups do not know"
        )))
    }
}

/// Every table, referenced tables first.
pub(super) async fn tables(
    conn: &mut AnyConnection,
    backend: Backend,
) -> Result<Vec<Table>, BackupError> {
    let names: Vec<String> = match backend {
        Backend::Sqlite => sqlx::query(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
        ),
        Backend::Postgres => sqlx::query(
            "SELECT table_name::text AS name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name",
        ),
    }
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|r| r.try_get::<String, _>("name"))
    .collect::<Result<_, _>>()?;
    let mut tables = BTreeMap::new();
    // (table, referenced table) for every foreign key to another table.
    let mut refs: Vec<(String, String)> = Vec::new();
    for name in names.into_iter().filter(|n| !SKIPPED.contains(&n.as_str())) {
        let columns = columns(conn, backend, &name).await?;
        let pk = primary_key(conn, backend, &name).await?;
        let mut self_ref = None;
        for (from, to_table, to_col) in foreign_keys(conn, backend, &name).await? {
            if to_table != name {
                refs.push((name.clone(), to_table));
            } else if self_ref.is_none() && pk == [to_col.clone()] {
                self_ref = Some((from, to_col));
            } else {
                return Err(BackupError::Schema(format!(
                    "table {name} references itself in a way backups cannot order ({from} → {to_col})"
                )));
            }
        }
        tables.insert(
            name.clone(),
            Table {
                name,
                columns,
                self_ref,
            },
        );
    }
    // Kahn's algorithm; names sorted at each step, so the order is stable.
    let mut ordered = Vec::new();
    while !tables.is_empty() {
        let ready: Vec<String> = tables
            .keys()
            .filter(|t| {
                !refs
                    .iter()
                    .any(|(from, to)| from == *t && tables.contains_key(to))
            })
            .cloned()
            .collect();
        if ready.is_empty() {
            return Err(BackupError::Schema(format!(
                "foreign keys form a cycle among {:?}",
                tables.keys().collect::<Vec<_>>()
            )));
        }
        for t in ready {
            if let Some(table) = tables.remove(&t) {
                ordered.push(table);
            }
        }
    }
    Ok(ordered)
}

async fn columns(
    conn: &mut AnyConnection,
    backend: Backend,
    table: &str,
) -> Result<Vec<(String, Kind)>, BackupError> {
    let rows = match backend {
        Backend::Sqlite => sqlx::query("SELECT name, type FROM pragma_table_info($1) ORDER BY cid"),
        Backend::Postgres => sqlx::query(
            "SELECT column_name::text AS name, data_type::text AS type FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position",
        ),
    }
    .bind(table)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            let name: String = r.try_get("name")?;
            let declared: String = r.try_get("type")?;
            let k = kind(table, &name, &declared)?;
            Ok((name, k))
        })
        .collect()
}

async fn primary_key(
    conn: &mut AnyConnection,
    backend: Backend,
    table: &str,
) -> Result<Vec<String>, BackupError> {
    let rows = match backend {
        Backend::Sqlite => sqlx::query("SELECT name FROM pragma_table_info($1) WHERE pk > 0 ORDER BY pk"),
        Backend::Postgres => sqlx::query(
            "SELECT k.column_name::text AS name FROM information_schema.table_constraints c JOIN information_schema.key_column_usage k ON k.constraint_name = c.constraint_name AND k.table_schema = c.table_schema AND k.table_name = c.table_name WHERE c.constraint_type = 'PRIMARY KEY' AND c.table_schema = current_schema() AND c.table_name = $1 ORDER BY k.ordinal_position",
        ),
    }
    .bind(table)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .iter()
        .map(|r| r.try_get("name"))
        .collect::<Result<_, _>>()?)
}

/// (column, referenced table, referenced column) of each single-column foreign key.
async fn foreign_keys(
    conn: &mut AnyConnection,
    backend: Backend,
    table: &str,
) -> Result<Vec<(String, String, String)>, BackupError> {
    let rows = match backend {
        Backend::Sqlite => sqlx::query(
            r#"SELECT "from" AS col, "table" AS ref_table, COALESCE("to", '') AS ref_col FROM pragma_foreign_key_list($1) ORDER BY id, seq"#,
        ),
        Backend::Postgres => sqlx::query(
            "SELECT k.column_name::text AS col, u.table_name::text AS ref_table, u.column_name::text AS ref_col FROM information_schema.table_constraints c JOIN information_schema.key_column_usage k ON k.constraint_name = c.constraint_name AND k.table_schema = c.table_schema JOIN information_schema.constraint_column_usage u ON u.constraint_name = c.constraint_name AND u.constraint_schema = c.table_schema WHERE c.constraint_type = 'FOREIGN KEY' AND c.table_schema = current_schema() AND c.table_name = $1 ORDER BY k.column_name",
        ),
    }
    .bind(table)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok((
                r.try_get("col")?,
                r.try_get("ref_table")?,
                r.try_get("ref_col")?,
            ))
        })
        .collect()
}

/// A double-quoted identifier. Names come from the database's own catalogue, never
/// from an archive unchecked (see `restore`), but are quoted all the same.
pub(super) fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// The column list of a SELECT or INSERT.
pub(super) fn column_list(t: &Table) -> String {
    t.columns
        .iter()
        .map(|(c, _)| quoted(c))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Every row of `t`, parents before children for a self-referencing table. A row
/// cut off from the roots (a reference cycle) is not returned; the caller compares
/// the count with COUNT(*).
pub(super) fn select_all(t: &Table) -> String {
    let name = quoted(&t.name);
    match &t.self_ref {
        None => format!("SELECT {} FROM {name}", column_list(t)),
        Some((fk, pk)) => {
            let (fk, pk) = (quoted(fk), quoted(pk));
            let cols = t
                .columns
                .iter()
                .map(|(c, _)| format!("t.{}", quoted(c)))
                .collect::<Vec<_>>()
                .join(", ");
            format!(
                "WITH RECURSIVE tree(k, depth) AS (SELECT {pk}, 0 FROM {name} WHERE {fk} IS NULL UNION ALL SELECT c.{pk}, tree.depth + 1 FROM {name} c JOIN tree ON c.{fk} = tree.k WHERE tree.depth < 100000) SELECT {cols} FROM {name} t JOIN tree ON t.{pk} = tree.k ORDER BY tree.depth"
            )
        }
    }
}
