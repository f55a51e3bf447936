//! Units: the organisation tree, scoped by materialised path.

use khien_domain::Scope;
use khien_domain::text::fold;
use khien_domain::units::{UnitFields, UnitKind};
use serde::Serialize;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::audit::RunInTx;
use crate::scope::ReadExt;
use crate::error::{Result, StoreError};
use crate::sql::Sql;
use crate::{Scoped, Store, new_id};

#[derive(Debug, Clone, Serialize)]
#[derive(schemars::JsonSchema)]
pub struct Unit {
    pub id: String,
    pub parent_id: Option<String>,
    pub path: String,
    pub active: bool,
    #[serde(flatten)]
    pub fields: UnitFields,
    pub created_at: String,
    pub updated_at: String,
}

impl Unit {
    /// Depth in the tree (the province is 0).
    pub fn depth(&self) -> usize {
        self.path.matches('/').count().saturating_sub(2)
    }
}

const COLUMNS: &str = "u.id, u.parent_id, u.path, u.code, u.name, u.kind, u.active, u.address, u.leader_name, u.leader_title, u.leader_phone, u.leader_email, u.security_unit, u.security_person, u.security_phone, u.security_email, u.report_phone, u.report_email, u.report_other, u.created_at, u.updated_at";

fn from_row(r: &AnyRow) -> Result<Unit> {
    let kind: String = r.try_get("kind")?;
    Ok(Unit {
        id: r.try_get("id")?,
        parent_id: r.try_get("parent_id")?,
        path: r.try_get("path")?,
        active: r.try_get::<i16, _>("active")? != 0,
        fields: UnitFields {
            code: r.try_get("code")?,
            name: r.try_get("name")?,
            kind: UnitKind::parse(&kind).ok_or_else(|| StoreError::Corrupt("unit kind", kind.clone()))?,
            address: r.try_get("address")?,
            leader_name: r.try_get("leader_name")?,
            leader_title: r.try_get("leader_title")?,
            leader_phone: r.try_get("leader_phone")?,
            leader_email: r.try_get("leader_email")?,
            security_unit: r.try_get("security_unit")?,
            security_person: r.try_get("security_person")?,
            security_phone: r.try_get("security_phone")?,
            security_email: r.try_get("security_email")?,
            report_phone: r.try_get("report_phone")?,
            report_email: r.try_get("report_email")?,
            report_other: r.try_get("report_other")?,
        },
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

fn bind_fields<'q>(
    q: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>,
    f: &UnitFields,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments> {
    q.bind(f.code.clone())
        .bind(f.name.clone())
        .bind(fold(&f.name))
        .bind(f.kind.as_str().to_string())
        .bind(f.address.clone())
        .bind(f.leader_name.clone())
        .bind(f.leader_title.clone())
        .bind(f.leader_phone.clone())
        .bind(f.leader_email.clone())
        .bind(f.security_unit.clone())
        .bind(f.security_person.clone())
        .bind(f.security_phone.clone())
        .bind(f.security_email.clone())
        .bind(f.report_phone.clone())
        .bind(f.report_email.clone())
        .bind(f.report_other.clone())
}

impl Scoped<'_> {
    /// Every unit in scope, in tree order (parents before children, siblings by name).
    pub async fn units(&self, include_inactive: bool) -> Result<Vec<Unit>> {
        let mut sql = Sql::new(&format!("SELECT {COLUMNS} FROM units u WHERE 1=1"));
        if !include_inactive {
            sql.push(" AND u.active = 1");
        }
        self.restrict(&mut sql, &["u.path"]);
        let rows = sql.query().all(self).await?;
        let units = rows.iter().map(from_row).collect::<Result<Vec<_>>>()?;
        Ok(tree_order(units))
    }

    /// A page of the units in scope for the API, parents before their children (the
    /// order of the indexed path), from just after `after` (a unit's path, the
    /// previous page's `next_after`). A national tree is 5,000 units: one response of
    /// all of them weighed 4 MB.
    pub async fn units_page(&self, after: &str, limit: i64) -> Result<(Vec<Unit>, Option<String>)> {
        let limit = limit.clamp(1, 1000);
        let mut sql = Sql::new(&format!("SELECT {COLUMNS} FROM units u WHERE u.path > "));
        sql.text(after.to_string());
        self.restrict(&mut sql, &["u.path"]);
        sql.push(" ORDER BY u.path LIMIT ").int(limit + 1);
        let rows = sql.query().all(self).await?;
        let mut units = rows.iter().map(from_row).collect::<Result<Vec<_>>>()?;
        let more = units.len() > usize::try_from(limit).unwrap_or(usize::MAX);
        units.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
        let next = more.then(|| units.last().map(|u| u.path.clone())).flatten();
        Ok((units, next))
    }

    /// The units a list offers as a filter: the top of the scope (its root units and
    /// their children) and the one chosen, in tree order. Choosing a unit filters by
    /// its whole subtree, so the next level down is reached from there; a drop-down of
    /// every unit of a national tree (5,000) would weigh more than the list itself.
    pub async fn unit_choices(&self, selected: &str) -> Result<Vec<Unit>> {
        let mut sql = Sql::new(&format!("SELECT {COLUMNS} FROM units u WHERE u.active = 1 AND ("));
        match &self.scope {
            Scope::Province => {
                sql.push("u.parent_id IS NULL OR u.parent_id IN (SELECT id FROM units WHERE parent_id IS NULL)");
            }
            Scope::Subtree { unit_path } => {
                let top = unit_path.trim_end_matches('/').rsplit('/').next().unwrap_or_default().to_string();
                sql.push("u.id = ").text(top.clone()).push(" OR u.parent_id = ").text(top);
            }
        }
        if !selected.trim().is_empty() {
            sql.push(" OR u.id = ").text(selected.trim());
        }
        sql.push(")");
        self.restrict(&mut sql, &["u.path"]);
        let rows = sql.query().all(self).await?;
        let units = rows.iter().map(from_row).collect::<Result<Vec<_>>>()?;
        Ok(tree_order(units))
    }

    pub async fn unit(&self, id: &str) -> Result<Unit> {
        let mut sql = Sql::new(&format!("SELECT {COLUMNS} FROM units u WHERE u.id = "));
        sql.text(id);
        self.restrict(&mut sql, &["u.path"]);
        let row = sql
            .query()
            .opt(self)
            .await?
            .ok_or(StoreError::NotFound)?;
        from_row(&row)
    }

    /// Creates a unit under `parent_id`, which must be in scope. Only the province scope
    /// may create a second root (normally never).
    pub async fn create_unit(&self, parent_id: Option<&str>, fields: &UnitFields) -> Result<Unit> {
        khien_domain::units::policy::may_edit(self.principal.role).map_err(StoreError::refused)?;
        let mut tx = self.write().await?;
        let parent = match parent_id {
            Some(p) => Some(self.within(&tx).unit(p).await?),
            None if self.scope == Scope::Province => None,
            None => return Err(StoreError::Forbidden),
        };
        if let Some(p) = &parent {
            // The parent's row lock, as in `set_unit_active`: a sub-unit never lands
            // under a parent being deactivated.
            let active = sqlx::query("UPDATE units SET updated_at = updated_at WHERE id = $1 AND active = 1")
                .bind(p.id.clone())
                .run(&tx)
                .await?;
            if active != 1 {
                return Err(StoreError::Conflict("err.unit_scope"));
            }
        }
        let id = new_id();
        let path = format!(
            "{}{id}/",
            parent.as_ref().map(|p| p.path.as_str()).unwrap_or("/")
        );
        let now = tx.at().to_string();
        let q = sqlx::query(
            "INSERT INTO units (id, parent_id, path, code, name, name_norm, kind, address, leader_name, leader_title, leader_phone, leader_email, security_unit, security_person, security_phone, security_email, report_phone, report_email, report_other, active, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, 1, $20, $21)",
        )
        .bind(id.clone())
        .bind(parent.as_ref().map(|p| p.id.clone()))
        .bind(path.clone());
        bind_fields(q, fields)
            .bind(now.clone())
            .bind(now.clone())
            .run(&tx)
            .await
            .map_err(|e| StoreError::unique(e, "err.unit_code_taken"))?;
        let unit = Unit {
            id: id.clone(),
            parent_id: parent.map(|p| p.id),
            path: path.clone(),
            active: true,
            fields: fields.clone(),
            created_at: now.clone(),
            updated_at: now,
        };
        tx.record(
            "create",
            "unit",
            &id,
            (&id, &path),
            None::<&Unit>,
            Some(&unit),
        )
        .await?;
        tx.commit().await?;
        Ok(unit)
    }

    pub async fn update_unit(&self, id: &str, fields: &UnitFields) -> Result<Unit> {
        let mut tx = self.write().await?;
        khien_domain::units::policy::may_edit(self.principal.role).map_err(StoreError::refused)?;
        let before = self.within(&tx).unit(id).await?;
        khien_domain::units::policy::may_change_kind(before.fields.kind, fields.kind)
            .map_err(StoreError::refused)?;
        let now = tx.at().to_string();
        let q = sqlx::query(
            "UPDATE units SET code = $1, name = $2, name_norm = $3, kind = $4, address = $5, leader_name = $6, leader_title = $7, leader_phone = $8, leader_email = $9, security_unit = $10, security_person = $11, security_phone = $12, security_email = $13, report_phone = $14, report_email = $15, report_other = $16, updated_at = $17 WHERE id = $18 AND updated_at = $19",
        );
        let changed = bind_fields(q, fields)
            .bind(now.clone())
            .bind(id.to_string())
            .bind(before.updated_at.clone())
            .run(&tx)
            .await
            .map_err(|e| StoreError::unique(e, "err.unit_code_taken"))?;
        crate::one_row(changed)?;
        let after = Unit {
            fields: fields.clone(),
            updated_at: now,
            ..before.clone()
        };
        tx.record(
            "update",
            "unit",
            id,
            (id, &before.path),
            Some(&before),
            Some(&after),
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    /// Moves a unit (with its subtree) under a new parent; both must be in scope, and the
    /// new parent may not lie inside the moved subtree.
    pub async fn move_unit(&self, id: &str, new_parent_id: &str) -> Result<Unit> {
        let mut tx = self.write().await?;
        let r = self.within(&tx);
        khien_domain::units::policy::may_reshape(self.principal.role).map_err(StoreError::refused)?;
        let unit = r.unit(id).await?;
        let parent = r.unit(new_parent_id).await?;
        khien_domain::units::policy::may_move(&unit.path, unit.parent_id.is_none(), &parent.path)
            .map_err(StoreError::refused)?;
        let new_path = format!("{}{}/", parent.path, unit.id);
        let now = tx.at().to_string();
        let old_len = i64::try_from(unit.path.chars().count()).unwrap_or(i64::MAX);
        let pattern = format!("{}%", khien_domain::text::like_escape(&unit.path));
        // The audit keeps (and hashes) the path each entry was written with; its scope
        // filter joins today's unit tree, so the moved unit's history follows it.
        sqlx::query(
            "UPDATE units SET path = $1 || substr(path, CAST($2 AS INTEGER)) WHERE path LIKE $3 ESCAPE '\\'",
        )
        .bind(new_path.clone())
        .bind(old_len + 1)
        .bind(pattern.clone())
        .run(&tx)
        .await?;
        sqlx::query("UPDATE units SET parent_id = $1, updated_at = $2 WHERE id = $3")
            .bind(parent.id.clone())
            .bind(now.clone())
            .bind(unit.id.clone())
            .run(&tx)
            .await?;
        let after = Unit {
            parent_id: Some(parent.id.clone()),
            path: new_path.clone(),
            updated_at: now,
            ..unit.clone()
        };
        tx.record(
            "move",
            "unit",
            id,
            (id, &new_path),
            Some(&unit),
            Some(&after),
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    /// Deactivating keeps the unit and its history; it disappears from pickers and the
    /// public directory. A unit with active children or users cannot be deactivated.
    pub async fn set_unit_active(&self, id: &str, active: bool) -> Result<Unit> {
        // The busy check and the change in one transaction, under the unit's row lock:
        // a user or sub-unit being added takes the same lock (see `create_user`), so it
        // either lands before the count or waits and then finds the unit inactive.
        // Without the lock PostgreSQL's read-committed lets both land (write skew).
        let mut tx = self.write().await?;
        let r = self.within(&tx);
        khien_domain::units::policy::may_reshape(self.principal.role).map_err(StoreError::refused)?;
        let unit = r.unit(id).await?;
        sqlx::query("UPDATE units SET updated_at = updated_at WHERE id = $1")
            .bind(id.to_string())
            .run(&tx)
            .await?;
        if !active {
            let busy: i64 = sqlx::query(
                "SELECT (SELECT COUNT(*) FROM units WHERE parent_id = $1 AND active = 1) + (SELECT COUNT(*) FROM users WHERE unit_id = $2 AND active = 1) AS n",
            )
            .bind(id.to_string())
            .bind(id.to_string())
            .one(&r)
            .await?
            .try_get("n")?;
            khien_domain::units::policy::may_deactivate(unit.parent_id.is_none(), busy)
                .map_err(StoreError::refused)?;
        }
        let now = tx.at().to_string();
        let changed = sqlx::query("UPDATE units SET active = $1, updated_at = $2 WHERE id = $3 AND active = $4")
            .bind(i16::from(active))
            .bind(now.clone())
            .bind(id.to_string())
            .bind(i16::from(!active))
            .run(&tx)
            .await?;
        crate::one_row(changed)?;
        let after = Unit {
            active,
            updated_at: now,
            ..unit.clone()
        };
        let action = if active { "activate" } else { "deactivate" };
        tx.record(
            action,
            "unit",
            id,
            (id, &unit.path),
            Some(&unit),
            Some(&after),
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }
}

/// A public contact point, as published at `/contacts`.
#[derive(Debug, Clone, Serialize)]
pub struct ContactPoint {
    pub name: String,
    pub kind: UnitKind,
    pub security_unit: Option<String>,
    pub report_phone: Option<String>,
    pub report_email: Option<String>,
    pub report_other: Option<String>,
}

impl Store {
    /// The public incident-reporting directory: not tenant data, the directives require
    /// it to be published. Searches ignore diacritics.
    pub async fn contact_points(&self, query: &str) -> Result<Vec<ContactPoint>> {
        let mut sql = Sql::new(&format!("SELECT {COLUMNS} FROM units u WHERE u.active = 1"));
        let q = fold(query);
        if !q.is_empty() {
            // A citizen may have only a number or an address at hand: match those too
            // (phone numbers without their spaces and dots).
            let pattern = format!("%{}%", khien_domain::text::like_escape(&q));
            let digits: String = query.chars().filter(char::is_ascii_digit).collect();
            sql.push(" AND (u.name_norm LIKE ").text(pattern.clone()).push(" ESCAPE '\\'");
            sql.push(" OR LOWER(COALESCE(u.report_email, '')) LIKE ").text(pattern).push(" ESCAPE '\\'");
            if digits.len() >= 3 {
                sql.push(" OR REPLACE(REPLACE(REPLACE(COALESCE(u.report_phone, ''), ' ', ''), '.', ''), '-', '') LIKE ")
                    .text(format!("%{digits}%"));
            }
            sql.push(")");
        }
        // The province's own incident response point first, then everyone by name.
        sql.push(" ORDER BY CASE WHEN u.parent_id IS NULL THEN 0 ELSE 1 END, u.name_norm");
        let rows = sql.query().fetch_all(&self.pool).await?;
        rows.iter()
            .map(|r| {
                let u = from_row(r)?;
                Ok(ContactPoint {
                    name: u.fields.name,
                    kind: u.fields.kind,
                    security_unit: u.fields.security_unit,
                    report_phone: u.fields.report_phone,
                    report_email: u.fields.report_email,
                    report_other: u.fields.report_other,
                })
            })
            .collect()
    }

    /// Unscoped lookup for the platform itself (sign-in, CLI).
    pub async fn unit_by_code(&self, code: &str) -> Result<Option<Unit>> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM units u WHERE u.code = $1"
        )))
        .bind(code.to_string())
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(from_row).transpose()
    }

    pub async fn root_unit(&self) -> Result<Option<Unit>> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM units u WHERE u.parent_id IS NULL ORDER BY u.created_at LIMIT 1"
        )))
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(from_row).transpose()
    }
}

/// Depth-first order with siblings sorted by name (Vietnamese-folded).
fn tree_order(mut units: Vec<Unit>) -> Vec<Unit> {
    // Folded once per unit, not once per comparison.
    units.sort_by_cached_key(|a| fold(&a.fields.name));
    let ids: std::collections::HashSet<String> = units.iter().map(|u| u.id.clone()).collect();
    let mut children: std::collections::HashMap<Option<String>, Vec<Unit>> =
        std::collections::HashMap::new();
    for u in units {
        // A unit whose parent is out of scope is a root of the visible forest.
        let key = u.parent_id.clone().filter(|p| ids.contains(p));
        children.entry(key).or_default().push(u);
    }
    let mut out = Vec::new();
    let mut stack: Vec<Unit> = children
        .remove(&None)
        .unwrap_or_default()
        .into_iter()
        .rev()
        .collect();
    while let Some(u) = stack.pop() {
        if let Some(kids) = children.remove(&Some(u.id.clone())) {
            stack.extend(kids.into_iter().rev());
        }
        out.push(u);
    }
    out
}
