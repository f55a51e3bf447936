//! Third parties (issue 12 item 4): a party belongs to the unit that contracts it and is
//! seen where that unit is; it is tied to systems the recorder sees. Saved conditionally
//! on the version its form was read at (the systems it serves are replaced in the same
//! transaction); reviews are records kept as they were. Written by those who maintain
//! systems, audited.

use std::collections::HashMap;

use khien_domain::time_fmt::iso_date;
use khien_domain::vendors::{ReviewFields, VendorFields};
use serde::Serialize;
use sqlx::Row;
use sqlx::any::AnyRow;
use time::Date;

use crate::audit::{RunInTx, WriteTx};
use crate::error::{Result, StoreError};
use crate::scope::ReadExt;
use crate::sql::{Arg, Sql, count_and_rows, insert_versioned, update_versioned};
use crate::systems::SystemRef;
use crate::{Scoped, new_id};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Vendor {
    pub id: String,
    pub unit_id: String,
    pub unit_name: String,
    pub name: String,
    pub tax_code: Option<String>,
    pub service: String,
    pub contact: Option<String>,
    pub contract_no: Option<String>,
    /// yyyy-mm-dd.
    pub contract_from: Option<String>,
    pub contract_to: Option<String>,
    /// Keys of the policy's clauses the contract has.
    pub clauses: Vec<String>,
    pub note: Option<String>,
    pub version: i64,
    pub updated_by: String,
    pub updated_at: String,
    /// The systems it serves that the reader sees, by name.
    pub systems: Vec<SystemRef>,
    /// It serves a system that is not retired (whether or not the reader sees it).
    pub serves_systems: bool,
    /// The latest review's day and outcome.
    pub last_review: Option<(Date, String)>,
}

impl Vendor {
    pub fn contract_end(&self) -> Option<Date> {
        self.contract_to.as_deref().and_then(khien_domain::time_fmt::parse_iso_date)
    }

    /// What the policy's gaps are computed from.
    pub fn standing(&self) -> khien_domain::vendors::Standing<'_> {
        khien_domain::vendors::Standing { clauses: &self.clauses, contract_to: self.contract_end(), last_review: self.last_review.as_ref().map(|(d, o)| (*d, o.as_str())), serves_systems: self.serves_systems }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VendorReview {
    pub id: String,
    /// yyyy-mm-dd.
    pub reviewed_on: String,
    pub outcome: String,
    pub summary: String,
    pub recorded_by: String,
}

/// Which parties a list shows.
#[derive(Debug, Clone, Default)]
pub struct VendorQuery {
    /// Only those serving this system (in scope).
    pub system_id: Option<String>,
}

const COLS: &str = "v.id, v.unit_id, u.name AS unit_name, v.name, v.tax_code, v.service, v.contact, v.contract_no, v.contract_from, v.contract_to, v.clauses, v.note, v.version, v.updated_by, v.updated_at";
const FROM: &str = " FROM vendors v JOIN units u ON u.id = v.unit_id WHERE 1=1";
/// The latest review first: by day, then by when it was recorded.
const LATEST_FIRST: &str = "reviewed_on DESC, created_at DESC, id DESC";

fn vendor(r: &AnyRow) -> Result<Vendor> {
    let clauses: String = r.try_get("clauses")?;
    Ok(Vendor {
        id: r.try_get("id")?,
        unit_id: r.try_get("unit_id")?,
        unit_name: r.try_get("unit_name")?,
        name: r.try_get("name")?,
        tax_code: r.try_get("tax_code")?,
        service: r.try_get("service")?,
        contact: r.try_get("contact")?,
        contract_no: r.try_get("contract_no")?,
        contract_from: r.try_get("contract_from")?,
        contract_to: r.try_get("contract_to")?,
        clauses: clauses.split(',').filter(|c| !c.is_empty()).map(str::to_string).collect(),
        note: r.try_get("note")?,
        version: r.try_get("version")?,
        updated_by: r.try_get("updated_by")?,
        updated_at: r.try_get("updated_at")?,
        systems: Vec::new(),
        serves_systems: false,
        last_review: None,
    })
}

fn day(raw: &str) -> Result<Date> {
    khien_domain::time_fmt::parse_iso_date(raw).ok_or_else(|| StoreError::Corrupt("vendor review date", raw.to_string()))
}

/// Who records parties and reviews: those who maintain systems.
pub fn may_record(role: khien_domain::Role) -> bool {
    role.can_edit_systems()
}

impl Scoped<'_> {
    /// Parties in scope, by name (at most `limit`), with the number that match, each
    /// with its systems and latest review.
    pub async fn vendors(&self, q: &VendorQuery, limit: i64) -> Result<(i64, Vec<Vendor>)> {
        let mut filter = Sql::new(FROM);
        self.restrict_ids(&mut filter, "v", "vendors", &["unit_id"]);
        if let Some(s) = &q.system_id {
            self.system(s).await?;
            filter.push(" AND v.id IN (SELECT vendor_id FROM vendor_systems WHERE system_id = ").text(s.clone()).push(")");
        }
        let (n, rows) = count_and_rows(self, &filter, COLS, &format!(" ORDER BY v.name, v.id LIMIT {}", limit.clamp(1, 2_000))).await?;
        let mut list = rows.iter().map(vendor).collect::<Result<Vec<_>>>()?;
        self.fill_vendors(&mut list).await?;
        Ok((n, list))
    }

    /// One party in scope, with its systems and latest review.
    pub async fn vendor(&self, id: &str) -> Result<Vendor> {
        let mut sql = Sql::new(&format!("SELECT {COLS}{FROM}"));
        sql.push(" AND v.id = ").text(id.to_string());
        self.restrict_ids(&mut sql, "v", "vendors", &["unit_id"]);
        let mut one = [vendor(&sql.query().opt(self).await?.ok_or(StoreError::NotFound)?)?];
        self.fill_vendors(&mut one).await?;
        let [v] = one;
        Ok(v)
    }

    /// A party's reviews, latest first (at most 200); the caller has read it in scope.
    pub async fn vendor_reviews(&self, vendor_id: &str) -> Result<Vec<VendorReview>> {
        sqlx::query(sqlx::AssertSqlSafe(format!("SELECT id, reviewed_on, outcome, summary, recorded_by FROM vendor_reviews WHERE vendor_id = $1 ORDER BY {LATEST_FIRST} LIMIT 200")))
            .bind(vendor_id.to_string())
            .all(self)
            .await?
            .iter()
            .map(|r| Ok(VendorReview { id: r.try_get("id")?, reviewed_on: r.try_get("reviewed_on")?, outcome: r.try_get("outcome")?, summary: r.try_get("summary")?, recorded_by: r.try_get("recorded_by")? }))
            .collect()
    }

    /// Each party's systems (those in scope, by name; and whether it serves any system
    /// not retired) and latest review: three queries.
    async fn fill_vendors(&self, list: &mut [Vendor]) -> Result<()> {
        if list.is_empty() {
            return Ok(());
        }
        let ids: Vec<&str> = list.iter().map(|v| v.id.as_str()).collect();
        let mut seen: HashMap<String, Vec<SystemRef>> = HashMap::new();
        let mut sql = Sql::new("SELECT vs.vendor_id, s.id, s.name FROM vendor_systems vs JOIN systems s ON s.id = vs.system_id WHERE vs.vendor_id IN ");
        sql.push("(").text_list(&ids).push(")");
        self.restrict_ids(&mut sql, "s", "systems", &["owner_unit_id", "operator_unit_id"]);
        sql.push(" ORDER BY s.name_norm, s.id");
        for r in sql.query().all(self).await? {
            seen.entry(r.try_get("vendor_id")?).or_default().push(SystemRef { id: r.try_get("id")?, name: r.try_get("name")? });
        }
        // Whether it still serves any system, seen or not: an ended contract matters then.
        let mut sql = Sql::new("SELECT DISTINCT vs.vendor_id FROM vendor_systems vs JOIN systems s ON s.id = vs.system_id WHERE s.status <> 'retired' AND vs.vendor_id IN ");
        sql.push("(").text_list(&ids).push(")");
        let mut serving = std::collections::HashSet::new();
        for r in sql.query().all(self).await? {
            serving.insert(r.try_get::<String, _>("vendor_id")?);
        }
        let mut latest: HashMap<String, (Date, String)> = HashMap::new();
        let mut sql = Sql::new("SELECT vendor_id, reviewed_on, outcome FROM vendor_reviews WHERE vendor_id IN ");
        sql.push("(").text_list(&ids).push(")");
        sql.push(&format!(" ORDER BY vendor_id, {LATEST_FIRST}"));
        for r in sql.query().all(self).await? {
            let vid: String = r.try_get("vendor_id")?;
            if let std::collections::hash_map::Entry::Vacant(slot) = latest.entry(vid) {
                let on: String = r.try_get("reviewed_on")?;
                slot.insert((day(&on)?, r.try_get("outcome")?));
            }
        }
        for v in list.iter_mut() {
            v.systems = seen.remove(&v.id).unwrap_or_default();
            v.serves_systems = serving.contains(&v.id);
            v.last_review = latest.remove(&v.id);
        }
        Ok(())
    }

    /// Records a party of a unit in scope, tied to systems in scope, audited.
    pub async fn create_vendor(&self, unit_id: &str, f: &VendorFields) -> Result<String> {
        if !may_record(self.principal.role) {
            return Err(StoreError::Forbidden);
        }
        let mut tx = self.write().await?;
        let r = self.within(&tx);
        let unit = r.unit(unit_id).await?;
        for s in &f.systems {
            r.system(s).await?;
        }
        let id = new_id();
        insert_versioned(&tx, "vendors", &[("id", Arg::Text(id.clone())), ("unit_id", Arg::Text(unit.id.clone()))], &columns(f), &self.principal.username, tx.at()).await?;
        tie_systems(&tx, &id, &f.systems).await?;
        tx.record("create", "vendor", &id, (&unit.id, &unit.path), None::<&()>, Some(f)).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Saves a party in scope. Refused as stale when it changed since the form read
    /// version `f.seen_version`; the systems it serves become `f.systems` (each in scope;
    /// a tie to a system the recorder does not see is kept).
    pub async fn update_vendor(&self, id: &str, f: &VendorFields) -> Result<()> {
        if !may_record(self.principal.role) {
            return Err(StoreError::Forbidden);
        }
        let mut tx = self.write().await?;
        let r = self.within(&tx);
        let before = r.vendor(id).await?;
        let unit = r.as_platform().unit(&before.unit_id).await?;
        for s in &f.systems {
            if !before.systems.iter().any(|b| b.id == *s) {
                r.system(s).await?;
            }
        }
        let stale = StoreError::Conflict("vendor.err_stale");
        if before.version != f.seen_version {
            return Err(stale);
        }
        let n = update_versioned(&tx, "vendors", &before.id, &columns(f), f.seen_version, &self.principal.username, tx.at()).await?;
        if n != 1 {
            return Err(stale);
        }
        // Ties to systems the recorder sees are replaced by the form's; the others stay.
        for s in before.systems.iter().filter(|s| !f.systems.contains(&s.id)) {
            sqlx::query("DELETE FROM vendor_systems WHERE vendor_id = $1 AND system_id = $2").bind(before.id.clone()).bind(s.id.clone()).run(&tx).await?;
        }
        let added: Vec<String> = f.systems.iter().filter(|s| !before.systems.iter().any(|b| b.id == **s)).cloned().collect();
        tie_systems(&tx, &before.id, &added).await?;
        tx.record("update", "vendor", &before.id, (&unit.id, &unit.path), Some(&before), Some(f)).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Records a review of a party in scope.
    pub async fn record_vendor_review(&self, vendor_id: &str, f: &ReviewFields) -> Result<String> {
        if !may_record(self.principal.role) {
            return Err(StoreError::Forbidden);
        }
        let mut tx = self.write().await?;
        let r = self.within(&tx);
        let v = r.vendor(vendor_id).await?;
        let unit = r.as_platform().unit(&v.unit_id).await?;
        let id = new_id();
        sqlx::query("INSERT INTO vendor_reviews (id, vendor_id, reviewed_on, outcome, summary, recorded_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
            .bind(id.clone())
            .bind(v.id.clone())
            .bind(iso_date(f.reviewed_on))
            .bind(f.outcome.to_string())
            .bind(f.summary.clone())
            .bind(self.principal.username.clone())
            .bind(tx.at().to_string())
            .run(&tx)
            .await?;
        tx.record("review", "vendor", &v.id, (&unit.id, &unit.path), None::<&()>, Some(f)).await?;
        tx.commit().await?;
        Ok(id)
    }
}

/// What a save of a party may change, as columns.
fn columns(f: &VendorFields) -> Vec<(&'static str, Arg)> {
    vec![
        ("name", Arg::Text(f.name.clone())),
        ("tax_code", Arg::OptText(f.tax_code.clone())),
        ("service", Arg::Text(f.service.to_string())),
        ("contact", Arg::OptText(f.contact.clone())),
        ("contract_no", Arg::OptText(f.contract_no.clone())),
        ("contract_from", Arg::OptText(f.contract_from.map(iso_date))),
        ("contract_to", Arg::OptText(f.contract_to.map(iso_date))),
        ("clauses", Arg::Text(f.clauses.join(","))),
        ("note", Arg::OptText(f.note.clone())),
    ]
}

async fn tie_systems(tx: &WriteTx, vendor_id: &str, systems: &[String]) -> Result<()> {
    for s in systems {
        sqlx::query("INSERT INTO vendor_systems (vendor_id, system_id) VALUES ($1, $2)").bind(vendor_id.to_string()).bind(s.clone()).run(tx).await?;
    }
    Ok(())
}
