//! The one place tenancy is decided: a [`Scoped`] view carries the principal's scope and
//! every query of unit-owned data filters by it.

use khien_domain::{Principal, Scope};
use sqlx::Any;
use sqlx::any::{AnyArguments, AnyRow};
use sqlx::query::Query;

use crate::audit::{Actor, TxConn, WriteTx};
use crate::db::Store;
use crate::error::{Result, StoreError};
use crate::sql::Sql;

/// The store as seen by one principal.
pub struct Scoped<'a> {
    pub(crate) store: &'a Store,
    pub scope: Scope,
    pub principal: Principal,
    /// Where this view reads: the reader pool, or inside a write transaction (so the
    /// facts a write checks are the facts it changes).
    pub(crate) conn: Option<TxConn>,
    /// The request's client address, written into the audit entries of its writes.
    pub(crate) client_addr: Option<String>,
}

impl Store {
    pub fn scoped(&self, principal: &Principal) -> Scoped<'_> {
        Scoped {
            store: self,
            scope: principal.scope(),
            principal: principal.clone(),
            conn: None,
            client_addr: None,
        }
    }
}

impl<'a> Scoped<'a> {
    pub fn store(&self) -> &'a Store {
        self.store
    }

    /// The same view, its writes audited as coming from `addr`.
    pub fn from_address(mut self, addr: &str) -> Scoped<'a> {
        self.client_addr = Some(addr.to_string());
        self
    }

    pub(crate) async fn write(&self) -> Result<WriteTx> {
        let actor = Actor {
            address: self.client_addr.clone(),
            ..Actor::from(&self.principal)
        };
        WriteTx::begin(self.store, actor).await
    }

    /// The same principal's view, reading inside `tx`.
    pub(crate) fn within(&self, tx: &WriteTx) -> Scoped<'a> {
        Scoped {
            store: self.store,
            scope: self.scope.clone(),
            principal: self.principal.clone(),
            conn: Some(tx.conn.clone()),
            client_addr: self.client_addr.clone(),
        }
    }

    /// The same principal (writes recorded in its name) reading with `scope`: for reads
    /// a rule already settled (a hunt's systems were checked when it was queued).
    pub(crate) fn with_scope(&self, scope: Scope) -> Scoped<'a> {
        Scoped {
            store: self.store,
            scope,
            principal: self.principal.clone(),
            conn: self.conn.clone(),
            client_addr: self.client_addr.clone(),
        }
    }

    /// The same principal's view narrowed to one unit's subtree (a unit's report read
    /// by the department), with that unit: not found unless it is in this view's scope.
    pub async fn narrowed_to_unit(&self, unit_id: &str) -> Result<(Scoped<'a>, crate::units::Unit)> {
        let unit = self.unit(unit_id).await?;
        Ok((self.with_scope(Scope::Subtree { unit_path: unit.path.clone() }), unit))
    }

    /// The platform's own (province-wide) view, reading where this one reads.
    pub(crate) fn as_platform(&self) -> Scoped<'a> {
        Scoped {
            conn: self.conn.clone(),
            ..self.store.as_system()
        }
    }

    /// Appends `AND (<path_expr> LIKE '<scope>%')` for a subtree scope; nothing for the
    /// province. `path_expr` is a column of the `units` table joined by the caller.
    pub(crate) fn restrict(&self, sql: &mut Sql, path_exprs: &[&str]) {
        if let Scope::Subtree { unit_path } = &self.scope {
            let pattern = format!("{}%", khien_domain::text::like_escape(unit_path));
            sql.push(" AND (");
            for (i, expr) in path_exprs.iter().enumerate() {
                if i > 0 {
                    sql.push(" OR ");
                }
                sql.push(expr)
                    .push(" LIKE ")
                    .text(pattern.clone())
                    .push(" ESCAPE '\\'");
            }
            sql.push(")");
        }
    }

    /// Like [`Scoped::restrict`], also admitting rows linked to a unit in scope through
    /// a join: `exists_path` is `FROM … WHERE … AND <units path column>` and becomes
    /// `OR EXISTS (SELECT 1 <exists_path> LIKE '<scope>%')`.
    pub(crate) fn restrict_or_linked(&self, sql: &mut Sql, path_expr: &str, exists_path: &str) {
        if let Scope::Subtree { unit_path } = &self.scope {
            let pattern = format!("{}%", khien_domain::text::like_escape(unit_path));
            sql.push(" AND (")
                .push(path_expr)
                .push(" LIKE ")
                .text(pattern.clone())
                .push(" ESCAPE '\\'");
            sql.push(" OR EXISTS (SELECT 1 ")
                .push(exists_path)
                .push(" LIKE ")
                .text(pattern)
                .push(" ESCAPE '\\'))");
        }
    }

    /// Appends the subtree filter for rows of `table` (aliased so that `id_col` names
    /// its key) whose unit-id columns `id_exprs` point into the scope; nothing for the
    /// province. One column: `AND <col> IN <units in scope>`. Several (owner or
    /// operator): `AND <id_col> IN (SELECT id FROM <table> WHERE <col1> IN <units> UNION
    /// …)`, so each side is an index lookup (an `OR` of two `IN`s makes PostgreSQL test
    /// every row). No join to `units` either way; the scope's units come from a range
    /// of the indexed `units.path`.
    pub(crate) fn restrict_ids(&self, sql: &mut Sql, id_col: &str, table: &str, id_exprs: &[&str]) {
        if matches!(self.scope, Scope::Subtree { .. }) {
            if let [one] = id_exprs {
                sql.push(" AND ").push(&format!("{id_col}.{one}")).push(" IN ");
                self.push_scope_units(sql);
                return;
            }
            sql.push(" AND ").push(&format!("{id_col}.id")).push(" IN (");
            for (i, expr) in id_exprs.iter().enumerate() {
                if i > 0 {
                    sql.push(" UNION ");
                }
                sql.push(&format!("SELECT id FROM {table} WHERE {expr} IN "));
                self.push_scope_units(sql);
            }
            sql.push(")");
        }
    }

    /// Appends the subtree filter for rows whose key `id_expr` is linked to a unit in
    /// scope through any of `links` — `(table, key column, unit column)` — e.g. an
    /// incident its unit created, one that affects it, or one shared with it. Each link
    /// is an index lookup joined by `UNION`; nothing for the province.
    pub(crate) fn restrict_linked(&self, sql: &mut Sql, id_expr: &str, links: &[(&str, &str, &str)]) {
        if matches!(self.scope, Scope::Subtree { .. }) {
            sql.push(" AND ").push(id_expr).push(" IN (");
            for (i, (table, key, unit)) in links.iter().enumerate() {
                if i > 0 {
                    sql.push(" UNION ");
                }
                sql.push(&format!("SELECT {key} FROM {table} WHERE {unit} IN "));
                self.push_scope_units(sql);
            }
            sql.push(")");
        }
    }

    /// `(SELECT id FROM units WHERE <path in the scope's subtree>)`; for the province
    /// scope every unit. The subtree is a range of the path (`>= '/a/b/'` and
    /// `< '/a/b0'`, '0' being the character after '/'), which both databases answer
    /// from the unique index on `units.path` under a bytewise collation (SQLite's
    /// BINARY; PostgreSQL created with `C` or `C.UTF-8`, docs/decisions.md). The
    /// `LIKE` keeps the answer exact under any other collation.
    pub(crate) fn push_scope_units(&self, sql: &mut Sql) {
        match &self.scope {
            Scope::Province => {
                sql.push("(SELECT id FROM units)");
            }
            Scope::Subtree { unit_path } => {
                let end = match unit_path.strip_suffix('/') {
                    Some(stem) => format!("{stem}0"),
                    None => format!("{unit_path}\u{10ffff}"),
                };
                sql.push("(SELECT id FROM units WHERE path >= ")
                    .text(unit_path.clone())
                    .push(" AND path < ")
                    .text(end)
                    .push(" AND path LIKE ")
                    .text(format!("{}%", khien_domain::text::like_escape(unit_path)))
                    .push(" ESCAPE '\\')");
            }
        }
    }

    pub fn sees_path(&self, path: &str) -> bool {
        self.scope.contains_path(path)
    }
}

/// Runs a read where the view reads: the reader pool, or the view's write transaction.
pub(crate) trait ReadExt {
    fn all(self, on: &Scoped<'_>) -> impl Future<Output = Result<Vec<AnyRow>>> + Send;
    fn opt(self, on: &Scoped<'_>) -> impl Future<Output = Result<Option<AnyRow>>> + Send;
    fn one(self, on: &Scoped<'_>) -> impl Future<Output = Result<AnyRow>> + Send;
}

impl<'q> ReadExt for Query<'q, Any, AnyArguments> {
    async fn all(self, on: &Scoped<'_>) -> Result<Vec<AnyRow>> {
        match &on.conn {
            None => Ok(self.fetch_all(&on.store.pool).await?),
            Some(c) => {
                let mut g = c.lock().await;
                let tx = g.as_mut().ok_or(StoreError::TxClosed)?;
                Ok(self.fetch_all(&mut **tx).await?)
            }
        }
    }

    async fn opt(self, on: &Scoped<'_>) -> Result<Option<AnyRow>> {
        match &on.conn {
            None => Ok(self.fetch_optional(&on.store.pool).await?),
            Some(c) => {
                let mut g = c.lock().await;
                let tx = g.as_mut().ok_or(StoreError::TxClosed)?;
                Ok(self.fetch_optional(&mut **tx).await?)
            }
        }
    }

    async fn one(self, on: &Scoped<'_>) -> Result<AnyRow> {
        self.opt(on).await?.ok_or(StoreError::NotFound)
    }
}
