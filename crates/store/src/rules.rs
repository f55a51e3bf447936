//! The rule library: Sigma rule sets a province administrator imports (a SigmaHQ release
//! or any set of rule files), their rules with what loaded and what was skipped and
//! why, enabling and disabling them, and the snapshot of enabled rules a hunt is queued
//! with. Rule sets are province-wide: everyone reads them, only the province
//! administrator changes them (`khien_domain::rules::may_manage`).

use serde::Serialize;
use sha2::Digest;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::audit::RunInTx;
use crate::error::{Result, StoreError};
use crate::scope::ReadExt;
use crate::sql::Sql;
use crate::{Page, Scoped, Store, WriteTx, new_id};

/// One rule file of a set being imported, as the hunt engine judged it.
#[derive(Debug, Clone, Default)]
pub struct RuleFileIn {
    /// Relative path inside the set (checked by `khien_domain::rules::entry_path`).
    pub path: String,
    pub text: String,
    /// Metadata of the file's first rule.
    pub rule_id: String,
    pub title: String,
    pub level: String,
    pub status: String,
    pub product: String,
    pub category: String,
    pub service: String,
    /// Rules (and correlations) of the file that load.
    pub rule_count: i64,
    /// Why rules of the file were not loaded (the whole file when `rule_count` is 0).
    pub problem: Option<String>,
}

/// A set being imported.
#[derive(Debug, Clone, Default)]
pub struct RuleSetIn {
    pub name: String,
    pub version: String,
    pub source_name: String,
    pub source_sha256: String,
    pub files: Vec<RuleFileIn>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RuleSet {
    pub id: String,
    pub name: String,
    pub version: String,
    pub source_name: String,
    pub source_sha256: String,
    pub digest: String,
    pub imported_by: String,
    pub imported_at: String,
    pub rules_loaded: i64,
    pub rules_skipped: i64,
    pub enabled: bool,
    /// Loaded rule files currently enabled.
    pub rules_enabled: i64,
}

/// What an import did.
#[derive(Debug, Clone)]
pub enum Imported {
    New(RuleSet),
    /// The same rule files were imported before: nothing changed.
    Again(RuleSet),
}

#[derive(Debug, Clone, Serialize)]
pub struct LibraryRule {
    pub id: String,
    pub set_id: String,
    pub set_name: String,
    pub path: String,
    pub rule_id: String,
    pub title: String,
    pub level: String,
    pub status: String,
    pub product: String,
    pub category: String,
    pub service: String,
    pub rule_count: i64,
    pub loaded: bool,
    pub problem: Option<String>,
    pub enabled: bool,
}

#[derive(Debug, Clone, Default, serde::Deserialize, Serialize)]
#[serde(default)]
pub struct RuleFilter {
    pub set: String,
    pub product: String,
    pub level: String,
    /// `enabled`, `disabled`, `skipped`, or empty for all.
    pub state: String,
    pub q: String,
    pub page: i64,
}

/// Which library rules a hunt used: per set (name, version, rule files) and the digest
/// of the rule texts, so the hunt can be repeated and its rules compared.
#[derive(Debug, Clone, Default, Serialize, serde::Deserialize, PartialEq)]
#[serde(default)]
pub struct LibraryUse {
    pub sets: Vec<SetUse>,
    pub rules: i64,
    /// sha256 over the sorted sha256 of each rule file's text.
    pub digest: String,
}

#[derive(Debug, Clone, Default, Serialize, serde::Deserialize, PartialEq)]
#[serde(default)]
pub struct SetUse {
    pub id: String,
    pub name: String,
    pub version: String,
    pub rules: i64,
}

const SET_COLS: &str = "s.id, s.name, s.version, s.source_name, s.source_sha256, s.digest, s.imported_by, s.imported_at, s.rules_loaded, s.rules_skipped, s.enabled, (SELECT COUNT(*) FROM rules r WHERE r.set_id = s.id AND r.loaded = 1 AND r.enabled = 1) AS rules_enabled";
const RULE_COLS: &str = "r.id, r.set_id, s.name AS set_name, r.path, r.rule_id, r.title, r.level, r.status, r.product, r.category, r.service, r.rule_count, r.loaded, r.problem, r.enabled";

fn hex_sha256(bytes: &[u8]) -> String {
    khien_domain::audit::hex(&sha2::Sha256::digest(bytes))
}

/// The set's content digest: sha256 over the sorted `path NUL sha256(text) LF`.
fn content_digest(files: &[(String, String)]) -> String {
    let mut lines: Vec<&(String, String)> = files.iter().collect();
    lines.sort();
    let mut d = sha2::Sha256::new();
    for (path, sha) in lines {
        d.update(path.as_bytes());
        d.update([0]);
        d.update(sha.as_bytes());
        d.update([b'\n']);
    }
    khien_domain::audit::hex(&d.finalize())
}

fn set_from_row(r: &AnyRow) -> Result<RuleSet> {
    Ok(RuleSet {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        version: r.try_get("version")?,
        source_name: r.try_get("source_name")?,
        source_sha256: r.try_get("source_sha256")?,
        digest: r.try_get("digest")?,
        imported_by: r.try_get("imported_by")?,
        imported_at: r.try_get("imported_at")?,
        rules_loaded: r.try_get("rules_loaded")?,
        rules_skipped: r.try_get("rules_skipped")?,
        enabled: r.try_get::<i16, _>("enabled")? != 0,
        rules_enabled: r.try_get("rules_enabled")?,
    })
}

fn rule_from_row(r: &AnyRow) -> Result<LibraryRule> {
    Ok(LibraryRule {
        id: r.try_get("id")?,
        set_id: r.try_get("set_id")?,
        set_name: r.try_get("set_name")?,
        path: r.try_get("path")?,
        rule_id: r.try_get("rule_id")?,
        title: r.try_get("title")?,
        level: r.try_get("level")?,
        status: r.try_get("status")?,
        product: r.try_get("product")?,
        category: r.try_get("category")?,
        service: r.try_get("service")?,
        rule_count: r.try_get("rule_count")?,
        loaded: r.try_get::<i16, _>("loaded")? != 0,
        problem: r.try_get("problem")?,
        enabled: r.try_get::<i16, _>("enabled")? != 0,
    })
}

/// Rows per multi-row INSERT of rules (16 parameters a row): SQLite through sqlx's
/// `Any` driver slows down as statements grow, PostgreSQL gains from fewer round trips.
fn rows_per_statement(backend: crate::Backend) -> usize {
    match backend {
        crate::Backend::Sqlite => 16,
        crate::Backend::Postgres => 200,
    }
}

impl Scoped<'_> {
    fn manage_check(&self) -> Result<()> {
        if khien_domain::rules::may_manage(self.principal.role) {
            Ok(())
        } else {
            Err(StoreError::Forbidden)
        }
    }

    /// Imports a rule set: every file is kept, loaded or skipped with its reason, in one
    /// transaction audited once (counts and content digest). A set whose rule files are
    /// exactly those of a set imported before changes nothing.
    pub async fn import_rule_set(&self, set: &RuleSetIn) -> Result<Imported> {
        self.manage_check()?;
        if set.files.is_empty() {
            return Err(StoreError::Conflict("rules.err_empty"));
        }
        let shas: Vec<String> = set.files.iter().map(|f| hex_sha256(f.text.as_bytes())).collect();
        let digest = content_digest(
            &set.files
                .iter()
                .zip(&shas)
                .map(|(f, s)| (f.path.clone(), s.clone()))
                .collect::<Vec<_>>(),
        );
        let mut tx = self.write().await?;
        let r = self.within(&tx);
        if let Some(existing) = r.rule_set_by_digest(&digest).await? {
            return Ok(Imported::Again(existing));
        }
        let id = new_id();
        let loaded = i64::try_from(set.files.iter().filter(|f| f.rule_count > 0).count()).unwrap_or(0);
        let skipped = i64::try_from(set.files.len()).unwrap_or(0) - loaded;
        let name = khien_domain::rules::label(&set.name);
        let version = khien_domain::rules::label(&set.version);
        sqlx::query("INSERT INTO rule_sets (id, name, version, source_name, source_sha256, digest, imported_by, imported_at, rules_loaded, rules_skipped, enabled) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 1)")
            .bind(id.clone())
            .bind(name.clone())
            .bind(version.clone())
            .bind(set.source_name.clone())
            .bind(set.source_sha256.clone())
            .bind(digest.clone())
            .bind(self.principal.username.clone())
            .bind(tx.at().to_string())
            .bind(loaded)
            .bind(skipped)
            .run(&tx)
            .await
            .map_err(|e| StoreError::unique(e, "rules.err_again"))?;
        let per_statement = rows_per_statement(self.store.backend);
        let rows: Vec<(usize, (&RuleFileIn, &String))> =
            set.files.iter().zip(&shas).enumerate().collect();
        for chunk in rows.chunks(per_statement) {
            let mut sql = Sql::new("INSERT INTO rules (id, set_id, path, position, rule_id, title, search_norm, level, status, product, category, service, rule_count, loaded, problem, enabled, text, sha256) VALUES ");
            for (i, (pos, (f, sha))) in chunk.iter().enumerate() {
                if i > 0 {
                    sql.push(", ");
                }
                let search = khien_domain::text::fold(&format!("{} {} {}", f.title, f.rule_id, f.path));
                sql.push("(").text(new_id()).push(", ").text(id.clone()).push(", ").text(f.path.clone());
                sql.push(", ").int(i64::try_from(*pos).unwrap_or(i64::MAX));
                for v in [&f.rule_id, &f.title, &search, &f.level, &f.status, &f.product, &f.category, &f.service] {
                    sql.push(", ").text(v.clone());
                }
                let ok = i64::from(f.rule_count > 0);
                sql.push(", ").int(f.rule_count).push(", ").int(ok);
                sql.push(", ").bind(crate::sql::Arg::OptText(f.problem.clone()));
                sql.push(", ").int(ok).push(", ").text(f.text.clone()).push(", ").text((*sha).clone()).push(")");
            }
            sql.query()
                .run(&tx)
                .await
                .map_err(|e| StoreError::unique(e, "rules.err_duplicate_path"))?;
        }
        let (unit, path) = (self.principal.unit_id.clone(), self.principal.unit_path.clone());
        tx.record(
            "import",
            "rule_set",
            &id,
            (&unit, &path),
            None::<&()>,
            Some(&serde_json::json!({ "name": name, "version": version, "source": set.source_name, "source_sha256": set.source_sha256, "digest": digest, "rules_loaded": loaded, "rules_skipped": skipped })),
        )
        .await?;
        let created = r.rule_set(&id).await?;
        tx.commit().await?;
        Ok(Imported::New(created))
    }

    async fn rule_set_by_digest(&self, digest: &str) -> Result<Option<RuleSet>> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {SET_COLS} FROM rule_sets s WHERE s.digest = $1")))
            .bind(digest.to_string())
            .opt(self)
            .await?;
        row.as_ref().map(set_from_row).transpose()
    }

    pub async fn rule_set(&self, id: &str) -> Result<RuleSet> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {SET_COLS} FROM rule_sets s WHERE s.id = $1")))
            .bind(id.to_string())
            .one(self)
            .await?;
        set_from_row(&row)
    }

    /// Every rule set, newest first.
    pub async fn rule_sets(&self) -> Result<Vec<RuleSet>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {SET_COLS} FROM rule_sets s ORDER BY s.imported_at DESC, s.id DESC")))
            .all(self)
            .await?;
        rows.iter().map(set_from_row).collect()
    }

    fn rules_sql(f: &RuleFilter) -> Sql {
        let mut sql = Sql::new(" FROM rules r JOIN rule_sets s ON s.id = r.set_id WHERE 1=1");
        if !f.set.is_empty() {
            sql.push(" AND r.set_id = ").text(f.set.clone());
        }
        if !f.product.is_empty() {
            sql.push(" AND r.product = ").text(f.product.clone());
        }
        if !f.level.is_empty() {
            sql.push(" AND r.level = ").text(f.level.clone());
        }
        match f.state.as_str() {
            "enabled" => {
                sql.push(" AND r.loaded = 1 AND r.enabled = 1");
            }
            "disabled" => {
                sql.push(" AND r.loaded = 1 AND r.enabled = 0");
            }
            "skipped" => {
                sql.push(" AND r.loaded = 0");
            }
            _ => {}
        }
        let q = khien_domain::text::fold(f.q.trim());
        if !q.is_empty() {
            sql.push(" AND r.search_norm LIKE ")
                .text(format!("%{}%", khien_domain::text::like_escape(&q)))
                .push(" ESCAPE '\\'");
        }
        sql
    }

    /// Rule files of the library, filtered, in set and path order.
    pub async fn library_rules(&self, f: &RuleFilter, per_page: i64) -> Result<Page<LibraryRule>> {
        let base = Self::rules_sql(f);
        let mut count = Sql::new("SELECT COUNT(*) AS n");
        count.text.push_str(&base.text);
        count.args_from(&base);
        let total: i64 = count.query().one(self).await?.try_get("n")?;
        let page = crate::clamp_page(f.page);
        let mut q = Sql::new(&format!("SELECT {RULE_COLS}"));
        q.text.push_str(&base.text);
        q.args_from(&base);
        q.push(" ORDER BY s.imported_at DESC, r.set_id, r.position LIMIT ")
            .int(per_page)
            .push(" OFFSET ")
            .int((page - 1) * per_page);
        let rows = q.query().all(self).await?;
        Ok(Page {
            items: rows.iter().map(rule_from_row).collect::<Result<Vec<_>>>()?,
            total,
            page,
            per_page,
        })
    }

    /// One rule file and its text.
    pub async fn library_rule(&self, id: &str) -> Result<(LibraryRule, String)> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {RULE_COLS}, r.text FROM rules r JOIN rule_sets s ON s.id = r.set_id WHERE r.id = $1")))
            .bind(id.to_string())
            .one(self)
            .await?;
        Ok((rule_from_row(&row)?, row.try_get("text")?))
    }

    /// The products the library's rules name, for the filter.
    pub async fn library_products(&self) -> Result<Vec<String>> {
        let rows = sqlx::query("SELECT DISTINCT product FROM rules WHERE product <> '' ORDER BY product LIMIT 200")
            .all(self)
            .await?;
        rows.iter().map(|r| Ok(r.try_get("product")?)).collect()
    }

    /// Enables or disables a whole set (its rules keep their own switches).
    pub async fn set_rule_set_enabled(&self, id: &str, enabled: bool) -> Result<()> {
        self.manage_check()?;
        let mut tx = self.write().await?;
        let before = self.within(&tx).rule_set(id).await?;
        if before.enabled == enabled {
            return Ok(());
        }
        let changed = sqlx::query("UPDATE rule_sets SET enabled = $1 WHERE id = $2 AND enabled = $3")
            .bind(i16::from(enabled))
            .bind(id.to_string())
            .bind(i16::from(before.enabled))
            .run(&tx)
            .await?;
        crate::one_row(changed)?;
        let (unit, path) = (self.principal.unit_id.clone(), self.principal.unit_path.clone());
        tx.record("set_enabled", "rule_set", id, (&unit, &path), Some(&serde_json::json!({ "enabled": before.enabled })), Some(&serde_json::json!({ "enabled": enabled, "name": before.name, "version": before.version }))).await?;
        tx.commit().await
    }

    /// Enables or disables one rule file. A skipped file cannot be enabled.
    pub async fn set_rule_enabled(&self, id: &str, enabled: bool) -> Result<LibraryRule> {
        self.manage_check()?;
        let mut tx = self.write().await?;
        let (before, _) = self.within(&tx).library_rule(id).await?;
        if !before.loaded {
            return Err(StoreError::Conflict("rules.err_skipped"));
        }
        if before.enabled != enabled {
            let changed = sqlx::query("UPDATE rules SET enabled = $1 WHERE id = $2 AND enabled = $3 AND loaded = 1")
                .bind(i16::from(enabled))
                .bind(id.to_string())
                .bind(i16::from(before.enabled))
                .run(&tx)
                .await?;
            crate::one_row(changed)?;
            let (unit, path) = (self.principal.unit_id.clone(), self.principal.unit_path.clone());
            tx.record("set_enabled", "rule", id, (&unit, &path), Some(&serde_json::json!({ "enabled": before.enabled })), Some(&serde_json::json!({ "enabled": enabled, "rule_id": before.rule_id, "title": before.title, "set_id": before.set_id }))).await?;
        }
        tx.commit().await?;
        Ok(LibraryRule { enabled, ..before })
    }

    /// Rule files a hunt queued now would use: loaded, enabled, in an enabled set.
    pub async fn enabled_library_rules(&self) -> Result<i64> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM rules r JOIN rule_sets s ON s.id = r.set_id WHERE s.enabled = 1 AND r.enabled = 1 AND r.loaded = 1")
            .one(self)
            .await?;
        Ok(row.try_get("n")?)
    }

    /// The enabled sets (with their enabled rule files), for the hunt form.
    pub async fn enabled_rule_sets(&self) -> Result<Vec<RuleSet>> {
        Ok(self
            .rule_sets()
            .await?
            .into_iter()
            .filter(|s| s.enabled && s.rules_enabled > 0)
            .collect())
    }
}

impl Store {
    /// Snapshots the library rules enabled now as the rules of hunt `hunt_id`, inside
    /// the transaction that queues it, and returns what was taken (`None` when the
    /// library has no enabled rule).
    pub(crate) async fn snapshot_library(&self, tx: &WriteTx, hunt_id: &str) -> Result<Option<LibraryUse>> {
        sqlx::query("INSERT INTO hunt_library_rules (hunt_id, rule_id) SELECT $1, r.id FROM rules r JOIN rule_sets s ON s.id = r.set_id WHERE s.enabled = 1 AND r.enabled = 1 AND r.loaded = 1")
            .bind(hunt_id.to_string())
            .run(tx)
            .await?;
        let view = self.as_system().within(tx);
        let rows = sqlx::query("SELECT s.id, s.name, s.version, COUNT(*) AS n FROM hunt_library_rules h JOIN rules r ON r.id = h.rule_id JOIN rule_sets s ON s.id = r.set_id WHERE h.hunt_id = $1 GROUP BY s.id, s.name, s.version ORDER BY s.name, s.id")
            .bind(hunt_id.to_string())
            .all(&view)
            .await?;
        if rows.is_empty() {
            return Ok(None);
        }
        let sets = rows
            .iter()
            .map(|r| {
                Ok(SetUse {
                    id: r.try_get("id")?,
                    name: r.try_get("name")?,
                    version: r.try_get("version")?,
                    rules: r.try_get("n")?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let shas = sqlx::query("SELECT r.sha256 FROM hunt_library_rules h JOIN rules r ON r.id = h.rule_id WHERE h.hunt_id = $1 ORDER BY r.sha256")
            .bind(hunt_id.to_string())
            .all(&view)
            .await?;
        let mut d = sha2::Sha256::new();
        for r in &shas {
            d.update(r.try_get::<String, _>("sha256")?.as_bytes());
            d.update([b'\n']);
        }
        let library = LibraryUse {
            rules: sets.iter().map(|s| s.rules).sum(),
            sets,
            digest: khien_domain::audit::hex(&d.finalize()),
        };
        sqlx::query("UPDATE hunts SET library_json = $1 WHERE id = $2")
            .bind(serde_json::to_string(&library).unwrap_or_default())
            .bind(hunt_id.to_string())
            .run(tx)
            .await?;
        Ok(Some(library))
    }

    /// The library rule files a hunt was queued with: (label `set/path`, text), for
    /// the worker that runs it.
    pub async fn hunt_library_texts(&self, hunt_id: &str) -> Result<Vec<(String, String)>> {
        let rows = sqlx::query("SELECT s.name, r.path, r.text FROM hunt_library_rules h JOIN rules r ON r.id = h.rule_id JOIN rule_sets s ON s.id = r.set_id WHERE h.hunt_id = $1 ORDER BY s.id, r.position")
            .bind(hunt_id.to_string())
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                let set: String = r.try_get("name")?;
                let path: String = r.try_get("path")?;
                Ok((format!("{set}/{path}"), r.try_get("text")?))
            })
            .collect()
    }
}

impl Scoped<'_> {
    /// Which library rules a hunt in scope used (`None` when it used none).
    pub async fn hunt_library(&self, hunt_id: &str) -> Result<Option<LibraryUse>> {
        self.hunt(hunt_id).await?;
        let row = sqlx::query("SELECT library_json FROM hunts WHERE id = $1")
            .bind(hunt_id.to_string())
            .one(self)
            .await?;
        Ok(row
            .try_get::<Option<String>, _>("library_json")?
            .and_then(|s| serde_json::from_str(&s).ok()))
    }
}
