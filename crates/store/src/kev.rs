//! The KEV catalogue's versions: each one loaded is kept with its entries, marked with
//! what it added over the version before, and findings whose CVE it lists are flagged
//! (date added, CISA's due date, ransomware use) and given the shortest deadline.

use std::collections::{HashMap, HashSet};

use khien_scan::kev::KevCatalogue;
use serde::Serialize;
use sqlx::Row;

use crate::audit::RunInTx;
use crate::error::{Result, StoreError};
use crate::scope::ReadExt;
use crate::sql::Sql;
use crate::{Scoped, new_id};

/// One loaded version.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct KevVersion {
    pub id: String,
    pub catalog_version: String,
    pub date_released: String,
    pub entries: i64,
    /// Entries not in the version loaded before it.
    pub added: i64,
    pub source: String,
    pub loaded_by: String,
    pub loaded_at: String,
}

/// An entry a version added.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct KevAdded {
    pub cve_id: String,
    pub vendor: String,
    pub product: String,
    pub name: String,
    pub date_added: String,
    pub due_date: String,
    pub ransomware: bool,
}

/// What loading a version did.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct KevLoad {
    pub entries: i64,
    pub added: i64,
    /// Findings newly flagged as KEV-listed.
    pub flagged: i64,
}

const ROWS_PER_STATEMENT: usize = 50;

impl Scoped<'_> {
    /// Loads a catalogue version (province administrators; audited once with its
    /// counts). The same file twice is refused; findings it lists are flagged.
    pub async fn load_kev(&self, c: &KevCatalogue, sha256: &str, source: &str) -> Result<KevLoad> {
        if self.principal.role != khien_domain::Role::ProvinceAdmin {
            return Err(StoreError::Forbidden);
        }
        let mut tx = self.write().await?;
        let on = self.within(&tx);
        if sqlx::query("SELECT id FROM kev_catalogues WHERE sha256 = $1").bind(sha256.to_string()).opt(&on).await?.is_some() {
            return Err(StoreError::Conflict("kev.err_loaded"));
        }
        let before: HashSet<String> = sqlx::query("SELECT cve_id FROM kev_entries WHERE catalogue_id = (SELECT id FROM kev_catalogues ORDER BY date_released DESC, loaded_at DESC LIMIT 1)")
            .all(&on)
            .await?
            .iter()
            .map(|r| r.try_get::<String, _>("cve_id"))
            .collect::<std::result::Result<_, _>>()?;
        let id = new_id();
        let added = c.entries.iter().filter(|e| !before.contains(&e.cve_id)).count();
        let n = |v: usize| i64::try_from(v).unwrap_or(i64::MAX);
        sqlx::query("INSERT INTO kev_catalogues (id, catalog_version, date_released, sha256, entries, added, source, loaded_by, loaded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)")
            .bind(id.clone())
            .bind(c.catalog_version.clone())
            .bind(c.date_released.clone())
            .bind(sha256.to_string())
            .bind(n(c.entries.len()))
            .bind(n(added))
            .bind(source.chars().take(500).collect::<String>())
            .bind(self.principal.username.clone())
            .bind(tx.at().to_string())
            .run(&tx)
            .await?;
        for chunk in c.entries.chunks(ROWS_PER_STATEMENT) {
            let mut sql = Sql::new("INSERT INTO kev_entries (catalogue_id, cve_id, vendor, product, name, date_added, due_date, ransomware, is_new) VALUES ");
            for (i, e) in chunk.iter().enumerate() {
                sql.push(if i == 0 { "(" } else { ", (" });
                sql.text(id.as_str());
                for v in [&e.cve_id, &e.vendor, &e.product, &e.name, &e.date_added, &e.due_date] {
                    sql.push(", ").text(v.as_str());
                }
                sql.push(", ").int(i64::from(e.ransomware)).push(", ").int(i64::from(!before.contains(&e.cve_id))).push(")");
            }
            sql.query().run(&tx).await?;
        }
        let flagged = self.flag_kev_findings(&tx, c).await?;
        let load = KevLoad { entries: n(c.entries.len()), added: n(added), flagged };
        let (unit, path) = (self.principal.unit_id.clone(), self.principal.unit_path.clone());
        tx.record("load", "kev_catalogue", &id, (&unit, &path), None::<&()>, Some(&serde_json::json!({ "version": c.catalog_version, "released": c.date_released, "sha256": sha256, "entries": load.entries, "added": load.added, "flagged": flagged }))).await?;
        tx.commit().await?;
        Ok(load)
    }

    /// Flags the findings (of every system) whose CVEs the catalogue lists and that are
    /// not flagged yet; an open one gets the KEV deadline when it is sooner.
    async fn flag_kev_findings(&self, tx: &crate::WriteTx, c: &KevCatalogue) -> Result<i64> {
        let by_cve: HashMap<&str, &khien_scan::kev::KevEntry> = c.entries.iter().map(|e| (e.cve_id.as_str(), e)).collect();
        let on = self.as_platform().within(tx);
        let rows = sqlx::query("SELECT f.id, f.system_id, f.cves, f.severity, f.first_seen, f.due_on, f.status FROM findings f WHERE f.kev = 0 AND f.cves <> ''")
            .all(&on)
            .await?;
        let policy = self.store.remediation().clone();
        let mut levels: HashMap<String, u8> = HashMap::new();
        let mut flagged = 0;
        for r in rows {
            let cves: String = r.try_get("cves")?;
            let Some(e) = cves.split_whitespace().filter_map(|c| by_cve.get(c)).min_by(|a, b| a.date_added.cmp(&b.date_added)) else {
                continue;
            };
            let (id, system): (String, String) = (r.try_get("id")?, r.try_get("system_id")?);
            let level = match levels.get(&system) {
                Some(l) => *l,
                None => {
                    let l = on.latest_assessment(&system).await?.map_or(0, |a| a.level);
                    levels.insert(system.clone(), l);
                    l
                }
            };
            let first_seen: String = r.try_get("first_seen")?;
            let due_now: String = r.try_get("due_on")?;
            let severity: String = r.try_get("severity")?;
            let due = khien_domain::time_fmt::parse_rfc3339(&first_seen)
                .map(khien_domain::time_fmt::vn_date)
                .and_then(|d| policy.due(d, &severity, level, true))
                .map(khien_domain::time_fmt::iso_date)
                .filter(|d| *d < due_now)
                .unwrap_or(due_now);
            flagged += sqlx::query("UPDATE findings SET kev = 1, kev_date_added = $1, kev_due_date = $2, kev_ransomware = $3, due_on = $4 WHERE id = $5 AND kev = 0")
                .bind(e.date_added.clone())
                .bind(e.due_date.clone())
                .bind(i16::from(e.ransomware))
                .bind(due)
                .bind(id)
                .run(tx)
                .await?;
        }
        Ok(i64::try_from(flagged).unwrap_or(i64::MAX))
    }

    /// Every version loaded, newest first.
    pub async fn kev_versions(&self) -> Result<Vec<KevVersion>> {
        let rows = sqlx::query("SELECT id, catalog_version, date_released, entries, added, source, loaded_by, loaded_at FROM kev_catalogues ORDER BY date_released DESC, loaded_at DESC")
            .all(self)
            .await?;
        rows.iter()
            .map(|r| {
                Ok(KevVersion {
                    id: r.try_get("id")?,
                    catalog_version: r.try_get("catalog_version")?,
                    date_released: r.try_get("date_released")?,
                    entries: r.try_get("entries")?,
                    added: r.try_get("added")?,
                    source: r.try_get("source")?,
                    loaded_by: r.try_get("loaded_by")?,
                    loaded_at: r.try_get("loaded_at")?,
                })
            })
            .collect()
    }

    /// What a version added over the one loaded before it, newest additions first.
    pub async fn kev_added(&self, catalogue_id: &str) -> Result<Vec<KevAdded>> {
        let rows = sqlx::query("SELECT cve_id, vendor, product, name, date_added, due_date, ransomware FROM kev_entries WHERE catalogue_id = $1 AND is_new = 1 ORDER BY date_added DESC, cve_id")
            .bind(catalogue_id.to_string())
            .all(self)
            .await?;
        rows.iter()
            .map(|r| {
                Ok(KevAdded {
                    cve_id: r.try_get("cve_id")?,
                    vendor: r.try_get("vendor")?,
                    product: r.try_get("product")?,
                    name: r.try_get("name")?,
                    date_added: r.try_get("date_added")?,
                    due_date: r.try_get("due_date")?,
                    ransomware: r.try_get::<i16, _>("ransomware")? != 0,
                })
            })
            .collect()
    }
}
