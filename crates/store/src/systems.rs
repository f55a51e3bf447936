//! Information systems, scoped by their owner or operator unit.

use khien_domain::systems::{Component, InfoType, SystemFields, SystemStatus, SystemType};
use khien_domain::text::{fold, like_escape};
use khien_domain::{FieldError, Invalid};
use serde::{Deserialize, Serialize};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::audit::RunInTx;
use crate::scope::ReadExt;
use crate::audit::WriteTx;
use crate::error::{Result, StoreError};
use crate::sql::Sql;
use crate::{Page, Scoped, new_id};

/// A system named where another record points to it (a weakness's, a third party's).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct SystemRef {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Clone, Serialize)]
#[derive(schemars::JsonSchema)]
pub struct System {
    pub id: String,
    #[serde(flatten)]
    pub fields: SystemFields,
    pub owner_unit_name: String,
    pub operator_unit_name: String,
    pub hosting_system_name: Option<String>,
    #[serde(skip)]
    pub owner_path: String,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default)]
#[derive(schemars::JsonSchema)]
pub struct SystemFilter {
    pub q: String,
    pub unit_id: String,
    pub system_type: String,
    pub status: String,
    pub sort: String,
    pub dir: String,
    pub page: i64,
    /// The last id of the page before (keyset paging, by name).
    pub after: String,
    /// The approved level: `none` (no approved level — the department's question) or 1–5.
    pub level: String,
    /// The stage of the current dossier (a dossier status).
    pub stage: String,
    /// `stale`: operating systems without a counted hunt in the last 6 months (from the
    /// store's clock, the Vietnam date).
    pub hunt: String,
}

const SELECT: &str = "SELECT s.id, s.code, s.name, s.owner_unit_id, s.operator_unit_id, s.system_type, s.status, s.go_live_date, s.hosting_system_id, s.information_types, s.personal_subjects, s.sensitive_subjects, s.handles_admin_procedures, s.requires_24x7, s.urls, s.ip_ranges, s.description, s.created_at, s.updated_at, ou.name AS owner_name, ou.path AS owner_path, opu.name AS operator_name, hs.name AS hosting_name";
const FROM_JOINS: &str = " FROM systems s JOIN units ou ON ou.id = s.owner_unit_id JOIN units opu ON opu.id = s.operator_unit_id LEFT JOIN systems hs ON hs.id = s.hosting_system_id";
const FROM: &str = " FROM systems s JOIN units ou ON ou.id = s.owner_unit_id JOIN units opu ON opu.id = s.operator_unit_id LEFT JOIN systems hs ON hs.id = s.hosting_system_id WHERE 1=1";

fn lines(s: &str) -> Vec<String> {
    s.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(String::from)
        .collect()
}

fn from_row(r: &AnyRow) -> Result<System> {
    let system_type: String = r.try_get("system_type")?;
    let status: String = r.try_get("status")?;
    let info: String = r.try_get("information_types")?;
    Ok(System {
        id: r.try_get("id")?,
        fields: SystemFields {
            name: r.try_get("name")?,
            code: r.try_get("code")?,
            owner_unit_id: r.try_get("owner_unit_id")?,
            operator_unit_id: r.try_get("operator_unit_id")?,
            system_type: SystemType::parse(&system_type).ok_or_else(|| StoreError::Corrupt("system type", system_type.clone()))?,
            status: SystemStatus::parse(&status).ok_or_else(|| StoreError::Corrupt("system status", status.clone()))?,
            go_live_date: r.try_get("go_live_date")?,
            hosting_system_id: r.try_get("hosting_system_id")?,
            information_types: info
                .split(',')
                .filter_map(|t| InfoType::parse(t.trim()))
                .collect(),
            personal_subjects: r.try_get("personal_subjects")?,
            sensitive_subjects: r.try_get("sensitive_subjects")?,
            handles_admin_procedures: r.try_get::<i16, _>("handles_admin_procedures")? != 0,
            requires_24x7: r.try_get::<i16, _>("requires_24x7")? != 0,
            urls: lines(&r.try_get::<String, _>("urls")?),
            ip_ranges: lines(&r.try_get::<String, _>("ip_ranges")?),
            components: Vec::new(),
            description: r.try_get("description")?,
        },
        owner_unit_name: r.try_get("owner_name")?,
        operator_unit_name: r.try_get("operator_name")?,
        hosting_system_name: r.try_get("hosting_name")?,
        owner_path: r.try_get("owner_path")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

/// Binds a system's columns in the order both INSERT and UPDATE list them.
fn bind_fields<'q>(
    q: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>,
    f: &SystemFields,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments> {
    q.bind(f.code.clone())
        .bind(f.name.clone())
        .bind(fold(&f.name))
        .bind(f.owner_unit_id.clone())
        .bind(f.operator_unit_id.clone())
        .bind(f.system_type.as_str().to_string())
        .bind(f.status.as_str().to_string())
        .bind(f.go_live_date.clone())
        .bind(f.hosting_system_id.clone())
        .bind(f.information_types_text())
        .bind(f.personal_subjects)
        .bind(f.sensitive_subjects)
        .bind(i16::from(f.handles_admin_procedures))
        .bind(i16::from(f.requires_24x7))
        .bind(f.urls.join("\n"))
        .bind(f.ip_ranges.join("\n"))
        .bind(f.description.clone())
}

fn invalid(field: &'static str, key: &'static str, detail: &str) -> StoreError {
    StoreError::Invalid(Invalid {
        errors: vec![FieldError {
            field,
            key,
            detail: detail.to_string(),
        }],
    })
}

impl Scoped<'_> {
    /// The WHERE clause of a list, on `systems s` alone (no join), so the count is an
    /// index scan of `systems` and the scope an index lookup per side.
    async fn filtered(&self, f: &SystemFilter) -> Result<Sql> {
        let mut sql = Sql::new(" WHERE 1=1");
        self.restrict_ids(&mut sql, "s", "systems", &["owner_unit_id", "operator_unit_id"]);
        let q = fold(&f.q);
        if !q.is_empty() {
            let pat = format!("%{}%", like_escape(&q));
            sql.push(" AND (s.name_norm LIKE ")
                .text(pat.clone())
                .push(" ESCAPE '\\' OR LOWER(COALESCE(s.code, '')) LIKE ")
                .text(pat)
                .push(" ESCAPE '\\')");
        }
        if !f.unit_id.trim().is_empty() {
            // The chosen unit's subtree, as a range of the indexed path (the scope above
            // still applies: this only narrows).
            let path: Option<String> = sqlx::query("SELECT path FROM units WHERE id = $1")
                .bind(f.unit_id.trim().to_string())
                .opt(self)
                .await?
                .map(|r| r.try_get("path"))
                .transpose()?;
            match path {
                Some(p) => {
                    let end = format!("{}0", p.strip_suffix('/').unwrap_or(&p));
                    sql.push(" AND s.owner_unit_id IN (SELECT id FROM units WHERE path >= ")
                        .text(p.clone())
                        .push(" AND path < ")
                        .text(end)
                        .push(" AND path LIKE ")
                        .text(format!("{}%", like_escape(&p)))
                        .push(" ESCAPE '\\')");
                }
                None => {
                    sql.push(" AND 1=0");
                }
            }
        }
        if let Some(t) = SystemType::parse(f.system_type.trim()) {
            sql.push(" AND s.system_type = ").text(t.as_str());
        }
        if let Some(st) = SystemStatus::parse(f.status.trim()) {
            sql.push(" AND s.status = ").text(st.as_str());
        }
        const APPROVED: &str = "SELECT 1 FROM dossiers d WHERE d.system_id = s.id AND d.superseded = 0 AND d.status = 'approved'";
        match f.level.trim() {
            "none" => {
                sql.push(&format!(" AND s.status <> 'retired' AND NOT EXISTS ({APPROVED})"));
            }
            l => {
                if let Ok(level @ 1..=5) = l.parse::<i64>() {
                    sql.push(&format!(" AND EXISTS ({APPROVED} AND d.level = ")).int(level).push(")");
                }
            }
        }
        if let Some(stage) = khien_domain::dossiers::DossierStatus::parse(f.stage.trim()) {
            sql.push(" AND EXISTS (SELECT 1 FROM dossiers d WHERE d.system_id = s.id AND d.superseded = 0 AND d.status = ")
                .text(stage.as_str())
                .push(")");
        }
        if f.hunt.trim() == "stale" {
            sql.push(" AND s.status = 'operating' AND NOT EXISTS (SELECT 1 FROM hunt_systems hs JOIN hunts h ON h.id = hs.hunt_id WHERE hs.system_id = s.id AND h.status = 'done' AND (h.coverage_full IS NULL OR h.coverage_full = 1) AND h.finished_at >= ")
                .text(khien_domain::hunts::hunt_cutoff(self.store.today_vn()))
                .push(")");
        }
        Ok(sql)
    }

    /// A page of systems (or all of them with `per_page = None`, for exports). In the
    /// default order (by name) a page after the first is asked for by `after` (the last
    /// id of the page before): the keyset, so page 2,000 costs what page 1 costs.
    pub async fn systems(&self, f: &SystemFilter, per_page: Option<i64>) -> Result<Page<System>> {
        let mut base = self.filtered(f).await?;
        let (total, total_capped) = match per_page {
            Some(_) => crate::cap(
                crate::capped_count(&base, "SELECT 1 FROM systems s")
                    .query()
                    .one(self)
                    .await?
                    .try_get("n")?,
            ),
            None => (0, false),
        };
        let order = match f.sort.as_str() {
            "owner" => "ou.name_norm",
            "type" => "s.system_type",
            "status" => "s.status",
            "go_live" => "s.go_live_date",
            "updated" => "s.updated_at",
            _ => "s.name_norm",
        };
        let desc = f.dir == "desc";
        let dir = if desc { "DESC" } else { "ASC" };
        let by_name = order == "s.name_norm";
        let mut keyset = false;
        if by_name && per_page.is_some() && !f.after.trim().is_empty() {
            let row = sqlx::query("SELECT name_norm FROM systems WHERE id = $1")
                .bind(f.after.trim().to_string())
                .opt(self)
                .await?;
            if let Some(r) = row {
                let name: String = r.try_get("name_norm")?;
                let cmp = if desc { "<" } else { ">" };
                // `name >= x AND (name > x OR id > y)`: the first term is an index range
                // on both databases (an OR alone is not).
                let ge = if desc { "<=" } else { ">=" };
                base.push(&format!(" AND s.name_norm {ge} "))
                    .text(name.clone())
                    .push(&format!(" AND (s.name_norm {cmp} "))
                    .text(name)
                    .push(&format!(" OR s.id {cmp} "))
                    .text(f.after.trim())
                    .push(")");
                keyset = true;
            }
        }
        let mut q = Sql::new(SELECT);
        q.push(FROM_JOINS);
        q.text.push_str(&base.text);
        q.args_from(&base);
        // By name both keys follow the direction, so the keyset and the index agree.
        if by_name {
            q.push(&format!(" ORDER BY s.name_norm {dir}, s.id {dir}"));
        } else {
            q.push(&format!(" ORDER BY {order} {dir}, s.id"));
        }
        let page = crate::clamp_page(f.page);
        if let Some(n) = per_page {
            q.push(" LIMIT ").int(n + 1);
            if !keyset {
                q.push(" OFFSET ").int((page - 1) * n);
            }
        }
        let rows = q.query().all(self).await?;
        let mut items = rows.iter().map(from_row).collect::<Result<Vec<_>>>()?;
        let more = per_page.is_some_and(|n| items.len() as i64 > n);
        if let Some(n) = per_page {
            items.truncate(usize::try_from(n).unwrap_or(0));
        }
        let next_after = (more && by_name).then(|| items.last().map(|s| s.id.clone())).flatten();
        let total = if per_page.is_none() { items.len() as i64 } else { total };
        Ok(Page {
            items,
            total,
            total_capped,
            page,
            per_page: per_page.unwrap_or(total.max(1)),
            next_after,
        })
    }

    pub async fn system(&self, id: &str) -> Result<System> {
        let mut sql = Sql::new(SELECT);
        sql.push(FROM).push(" AND s.id = ").text(id);
        self.restrict(&mut sql, &["ou.path", "opu.path"]);
        let row = sql
            .query()
            .opt(self)
            .await?
            .ok_or(StoreError::NotFound)?;
        let mut s = from_row(&row)?;
        let comps = sqlx::query("SELECT vendor, product, version, cpe FROM system_components WHERE system_id = $1 ORDER BY position")
            .bind(id.to_string())
            .all(self)
            .await?;
        s.fields.components = comps
            .iter()
            .map(|r| {
                Ok(Component {
                    vendor: r.try_get("vendor")?,
                    product: r.try_get("product")?,
                    version: r.try_get("version")?,
                    cpe: r.try_get("cpe")?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(s)
    }

    /// Systems a new system may be hosted on: those in scope plus every shared
    /// infrastructure system of the province (data centres, clouds).
    pub async fn hosting_candidates(&self) -> Result<Vec<(String, String)>> {
        let mut sql = Sql::new(
            "SELECT s.id, s.name FROM systems s JOIN units ou ON ou.id = s.owner_unit_id JOIN units opu ON opu.id = s.operator_unit_id WHERE (s.system_type = 'infrastructure'",
        );
        sql.push(" OR (1=1");
        self.restrict(&mut sql, &["ou.path", "opu.path"]);
        sql.push(")) AND s.status <> 'retired' ORDER BY s.name_norm");
        let rows = sql.query().all(self).await?;
        rows.iter()
            .map(|r| Ok((r.try_get("id")?, r.try_get("name")?)))
            .collect()
    }

    /// Checks the references of a system: owner in scope, operator an active unit,
    /// hosting system allowed and not itself. Returns the owner's path for the audit.
    async fn check_refs(&self, f: &SystemFields, self_id: Option<&str>) -> Result<String> {
        let owner = match self.unit(&f.owner_unit_id).await {
            Ok(u) if u.active => u,
            Ok(_) | Err(StoreError::NotFound) => {
                return Err(invalid("owner_unit_id", "err.unit_scope", &f.owner_unit_id));
            }
            Err(e) => return Err(e),
        };
        let operator_ok: i64 =
            sqlx::query("SELECT COUNT(*) AS n FROM units WHERE id = $1 AND active = 1")
                .bind(f.operator_unit_id.clone())
                .one(self)
                .await?
                .try_get("n")?;
        if operator_ok == 0 {
            return Err(invalid(
                "operator_unit_id",
                "err.unit_unknown",
                &f.operator_unit_id,
            ));
        }
        if let Some(h) = &f.hosting_system_id {
            let allowed = self
                .hosting_candidates()
                .await?
                .iter()
                .any(|(id, _)| id == h);
            if !allowed || Some(h.as_str()) == self_id {
                return Err(invalid("hosting_system_id", "err.hosting", h));
            }
        }
        Ok(owner.path)
    }

    async fn write_components(tx: &mut WriteTx, id: &str, comps: &[Component]) -> Result<()> {
        sqlx::query("DELETE FROM system_components WHERE system_id = $1")
            .bind(id.to_string())
            .run(tx)
            .await?;
        for (i, c) in comps.iter().enumerate() {
            sqlx::query("INSERT INTO system_components (id, system_id, position, vendor, product, version, cpe) VALUES ($1, $2, $3, $4, $5, $6, $7)")
                .bind(new_id())
                .bind(id.to_string())
                .bind(i64::try_from(i).unwrap_or(0))
                .bind(c.vendor.clone())
                .bind(c.product.clone())
                .bind(c.version.clone())
                .bind(c.cpe.clone())
                .run(tx)
                .await?;
        }
        Ok(())
    }

    async fn insert(&self, tx: &mut WriteTx, f: &SystemFields, owner_path: &str) -> Result<String> {
        let id = new_id();
        let now = tx.at().to_string();
        let q = sqlx::query(
            "INSERT INTO systems (id, code, name, name_norm, owner_unit_id, operator_unit_id, system_type, status, go_live_date, hosting_system_id, information_types, personal_subjects, sensitive_subjects, handles_admin_procedures, requires_24x7, urls, ip_ranges, description, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)",
        )
        .bind(id.clone());
        bind_fields(q, f)
            .bind(now.clone())
            .bind(now)
            .run(tx)
            .await
            .map_err(|e| StoreError::unique(e, "system.err_code_taken"))?;
        Self::write_components(tx, &id, &f.components).await?;
        tx.record(
            "create",
            "system",
            &id,
            (&f.owner_unit_id, owner_path),
            None::<&SystemFields>,
            Some(f),
        )
        .await?;
        Ok(id)
    }

    pub async fn create_system(&self, f: &SystemFields) -> Result<String> {
        let mut tx = self.write().await?;
        let owner_path = self.within(&tx).check_refs(f, None).await?;
        let id = self.insert(&mut tx, f, &owner_path).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Imports many systems in one transaction: all rows land or none do.
    pub async fn import_systems(&self, rows: &[SystemFields]) -> Result<Vec<String>> {
        let mut tx = self.write().await?;
        let r = self.within(&tx);
        let mut paths = Vec::with_capacity(rows.len());
        for f in rows {
            paths.push(r.check_refs(f, None).await?);
        }
        let mut ids = Vec::with_capacity(rows.len());
        for (f, path) in rows.iter().zip(&paths) {
            ids.push(self.insert(&mut tx, f, path).await?);
        }
        tx.commit().await?;
        Ok(ids)
    }

    pub async fn update_system(&self, id: &str, f: &SystemFields) -> Result<()> {
        let mut tx = self.write().await?;
        let r = self.within(&tx);
        let before = r.system(id).await?;
        khien_domain::systems::may_update(
            r.actor_for(&before),
            &before.fields.owner_unit_id,
            &f.owner_unit_id,
        )
        .map_err(StoreError::refused)?;
        // The go-live gate: a system becomes operating only with an approved level and a
        // fully implemented plan, or an exception on record (Circular 12 Art 9.6;
        // Decree 331 Art 30.6).
        if f.status == SystemStatus::Operating && before.fields.status != SystemStatus::Operating {
            let blockers = r.go_live_blockers(id).await?;
            if !blockers.is_empty() {
                let errors = blockers
                    .into_iter()
                    .map(|key| FieldError {
                        field: "status",
                        key,
                        detail: String::new(),
                    })
                    .collect();
                return Err(StoreError::Invalid(Invalid { errors }));
            }
        }
        let owner_path = r.check_refs(f, Some(id)).await?;
        let q = sqlx::query(
            "UPDATE systems SET code = $1, name = $2, name_norm = $3, owner_unit_id = $4, operator_unit_id = $5, system_type = $6, status = $7, go_live_date = $8, hosting_system_id = $9, information_types = $10, personal_subjects = $11, sensitive_subjects = $12, handles_admin_procedures = $13, requires_24x7 = $14, urls = $15, ip_ranges = $16, description = $17, updated_at = $18 WHERE id = $19 AND updated_at = $20",
        );
        // Conditional on the version read: a concurrent edit makes this one a conflict
        // instead of silently overwriting it (and slipping past the go-live gate).
        let changed = bind_fields(q, f)
            .bind(tx.at().to_string())
            .bind(id.to_string())
            .bind(before.updated_at.clone())
            .run(&tx)
            .await
            .map_err(|e| StoreError::unique(e, "system.err_code_taken"))?;
        crate::one_row(changed)?;
        Self::write_components(&mut tx, id, &f.components).await?;
        tx.record(
            "update",
            "system",
            id,
            (&f.owner_unit_id, &owner_path),
            Some(&before.fields),
            Some(f),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

/// The level a system counts with, as an SQL expression on `s`: the approved dossier's,
/// else the latest determination's (as the obligations count it). Cast to BIGINT: the
/// two databases type the expression differently (SMALLINT on PostgreSQL, a bare
/// integer on SQLite), and the driver decodes one type.
const LEVEL_EXPR: &str = "CAST(COALESCE((SELECT MAX(d.level) FROM dossiers d WHERE d.system_id = s.id AND d.superseded = 0 AND d.status = 'approved'), (SELECT la.level FROM level_assessments la WHERE la.system_id = s.id ORDER BY la.created_at DESC, la.id DESC LIMIT 1)) AS BIGINT)";

/// A level as read through [`LEVEL_EXPR`]: 1–5, or none.
pub(crate) fn level_of(raw: Option<i64>) -> Option<u8> {
    raw.and_then(|l| u8::try_from(l).ok()).filter(|l| (1..=5).contains(l))
}

impl Scoped<'_> {
    /// `SELECT <head> FROM (…) x WHERE 1=1 [AND x.level >= from]` over the operating
    /// systems in scope (owned or operated), with columns `x.id`, `x.name`, `x.name_norm`,
    /// `x.unit_name` (the owner's) and `x.level`; the caller appends its own conditions
    /// on `x` and the order. For the per-duty overviews (4-layer model, backups).
    pub(crate) fn operating_systems_with_level(&self, head: &str, from_level: Option<u8>) -> Sql {
        let mut q = Sql::new(&format!("{head} FROM (SELECT s.id, s.name, s.name_norm, u.name AS unit_name, {LEVEL_EXPR} AS level FROM systems s JOIN units u ON u.id = s.owner_unit_id WHERE s.status = 'operating'"));
        self.restrict_ids(&mut q, "s", "systems", &["owner_unit_id", "operator_unit_id"]);
        q.push(") x WHERE 1=1");
        if let Some(l) = from_level {
            q.push(" AND x.level >= ").int(i64::from(l));
        }
        q
    }

    /// Opens a write on a system's own records (its 4-layer model, its backups): refused
    /// unless the principal maintains systems; the system is found in scope inside the
    /// transaction, with its owner unit for the audit.
    pub(crate) async fn write_on_system(&self, system_id: &str) -> Result<(WriteTx, System, crate::units::Unit)> {
        if !self.principal.role.can_edit_systems() {
            return Err(StoreError::Forbidden);
        }
        let tx = self.write().await?;
        let r = self.within(&tx);
        let s = r.system(system_id).await?;
        let owner = r.as_platform().unit(&s.fields.owner_unit_id).await?;
        Ok((tx, s, owner))
    }

    /// A system's owner unit's name and the level it counts with (the caller has
    /// checked the system is in scope).
    pub(crate) async fn system_unit_and_level(&self, system_id: &str) -> Result<(String, Option<u8>)> {
        let r = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT u.name AS unit_name, {LEVEL_EXPR} AS level FROM systems s JOIN units u ON u.id = s.owner_unit_id WHERE s.id = $1")))
            .bind(system_id.to_string())
            .one(self)
            .await?;
        Ok((r.try_get("unit_name")?, level_of(r.try_get("level")?)))
    }
}
