//! The one place tenancy is decided: a [`Scoped`] view carries the principal's scope and
//! every query of unit-owned data filters by it.

use khien_domain::{Principal, Scope};

use crate::audit::{Actor, WriteTx};
use crate::db::Store;
use crate::error::Result;
use crate::sql::Sql;

/// The store as seen by one principal.
pub struct Scoped<'a> {
    pub(crate) store: &'a Store,
    pub scope: Scope,
    pub principal: Principal,
}

impl Store {
    pub fn scoped(&self, principal: &Principal) -> Scoped<'_> {
        Scoped {
            store: self,
            scope: principal.scope(),
            principal: principal.clone(),
        }
    }
}

impl Scoped<'_> {
    pub fn store(&self) -> &Store {
        self.store
    }

    pub(crate) async fn write(&self) -> Result<WriteTx> {
        WriteTx::begin(self.store, Actor::from(&self.principal)).await
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

    pub fn sees_path(&self, path: &str) -> bool {
        self.scope.contains_path(path)
    }
}
