//! Advisories (cảnh báo) and the systems they reach: the department enters one, it is
//! matched against every system's components in the same transaction, each affected
//! unit answers for its systems. An advisory is seen by everyone (it is the
//! authorities' text); its matches by the units in scope (`advisory_matches.unit_id`,
//! the system's owner when it was matched). What may be done is the domain's rule
//! (`khien_domain::advisories`), asked inside the write's transaction.

use khien_domain::Role;
use khien_domain::advisories::{AdvisoryFields, RESPONSES};
use khien_domain::time_fmt::iso_date;
use serde::Serialize;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::audit::RunInTx;
use crate::error::{Result, StoreError};
use crate::scope::ReadExt;
use crate::sql::Sql;
use crate::{Scoped, new_id};

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Advisory {
    pub id: String,
    pub number: String,
    /// yyyy-mm-dd.
    pub issued_on: String,
    pub issuer: String,
    pub title: String,
    pub cves: Vec<String>,
    pub severity: String,
    pub action: String,
    /// yyyy-mm-dd.
    pub deadline: String,
    /// The products as entered (one line each).
    pub products: Vec<String>,
    pub components_checked: i64,
    pub created_by: String,
    pub created_at: String,
    /// Systems reached, and answered, within the viewer's scope.
    pub matched: i64,
    pub answered: i64,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct AdvisoryMatch {
    pub id: String,
    pub advisory_id: String,
    pub system_id: String,
    pub system_name: String,
    pub unit_id: String,
    pub unit_name: String,
    pub components: String,
    /// pending | not_affected | mitigated | fixed
    pub response: String,
    pub response_note: Option<String>,
    pub responded_by: Option<String>,
    pub responded_at: Option<String>,
    pub reminded_at: Option<String>,
}

/// A pending answer, for the work queue.
#[derive(Debug, Clone)]
pub struct PendingAdvisory {
    pub match_id: String,
    pub advisory_id: String,
    pub number: String,
    pub title: String,
    pub severity: String,
    pub deadline: String,
    pub system_name: String,
    pub unit_name: String,
}

const COLS: &str = "a.id, a.number, a.issued_on, a.issuer, a.title, a.cves, a.severity, a.action, a.deadline, a.products_json, a.components_checked, a.created_by, a.created_at";

fn advisory(r: &AnyRow, matched: i64, answered: i64) -> Result<Advisory> {
    let cves: String = r.try_get("cves")?;
    let products: String = r.try_get("products_json")?;
    let products: Vec<String> = serde_json::from_str(&products).map_err(|_| StoreError::Corrupt("products_json", products.clone()))?;
    Ok(Advisory {
        id: r.try_get("id")?,
        number: r.try_get("number")?,
        issued_on: r.try_get("issued_on")?,
        issuer: r.try_get("issuer")?,
        title: r.try_get("title")?,
        cves: cves.split_whitespace().map(str::to_string).collect(),
        severity: r.try_get("severity")?,
        action: r.try_get("action")?,
        deadline: r.try_get("deadline")?,
        products,
        components_checked: r.try_get("components_checked")?,
        created_by: r.try_get("created_by")?,
        created_at: r.try_get("created_at")?,
        matched,
        answered,
    })
}

const MATCH_COLS: &str = "m.id, m.advisory_id, m.system_id, s.name AS system_name, m.unit_id, u.name AS unit_name, m.components, m.response, m.response_note, m.responded_by, m.responded_at, m.reminded_at";

fn advisory_match(r: &AnyRow) -> Result<AdvisoryMatch> {
    Ok(AdvisoryMatch {
        id: r.try_get("id")?,
        advisory_id: r.try_get("advisory_id")?,
        system_id: r.try_get("system_id")?,
        system_name: r.try_get("system_name")?,
        unit_id: r.try_get("unit_id")?,
        unit_name: r.try_get("unit_name")?,
        components: r.try_get("components")?,
        response: r.try_get("response")?,
        response_note: r.try_get("response_note")?,
        responded_by: r.try_get("responded_by")?,
        responded_at: r.try_get("responded_at")?,
        reminded_at: r.try_get("reminded_at")?,
    })
}

/// Who may issue advisories: the department.
pub fn may_issue(role: Role) -> std::result::Result<(), &'static str> {
    if role == Role::ProvinceAdmin { Ok(()) } else { Err("err.forbidden") }
}

/// Who may answer for a system: whoever maintains systems in its unit (or the
/// department for any).
pub fn may_answer(role: Role) -> std::result::Result<(), &'static str> {
    if role.can_edit_systems() { Ok(()) } else { Err("err.forbidden") }
}

impl Scoped<'_> {
    /// Enters an advisory and matches it against every component of every system not
    /// retired, in one transaction with one audit entry. Returns its id and the number
    /// of systems it reached.
    pub async fn create_advisory(&self, f: &AdvisoryFields) -> Result<(String, usize)> {
        may_issue(self.principal.role).map_err(StoreError::refused)?;
        let mut tx = self.write().await?;
        let r = self.within(&tx);
        let components = sqlx::query("SELECT c.system_id, c.vendor, c.product, c.version, c.cpe, s.owner_unit_id, u.path FROM system_components c JOIN systems s ON s.id = c.system_id JOIN units u ON u.id = s.owner_unit_id WHERE s.status <> 'retired' ORDER BY c.system_id, c.position")
            .all(&r)
            .await?;
        // system → (unit, matched components)
        let mut reached: Vec<(String, String, Vec<String>)> = Vec::new();
        for row in &components {
            let (system, vendor, product, version, cpe): (String, String, String, String, String) =
                (row.try_get("system_id")?, row.try_get("vendor")?, row.try_get("product")?, row.try_get("version")?, row.try_get("cpe")?);
            if !f.products.iter().any(|p| p.matches(&vendor, &product, &version, &cpe)) {
                continue;
            }
            let what = format!("{vendor} {product} {version}").trim().to_string();
            match reached.last_mut() {
                Some((s, _, list)) if *s == system => list.push(what),
                _ => reached.push((system, row.try_get("owner_unit_id")?, vec![what])),
            }
        }
        let id = new_id();
        let products: Vec<&str> = f.products.iter().map(|p| p.text.as_str()).collect();
        sqlx::query("INSERT INTO advisories (id, number, issued_on, issuer, title, cves, severity, action, deadline, products_json, components_checked, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)")
            .bind(id.clone())
            .bind(f.number.clone())
            .bind(iso_date(f.issued_on))
            .bind(f.issuer.clone())
            .bind(f.title.clone())
            .bind(f.cves.join(" "))
            .bind(f.severity.to_string())
            .bind(f.action.clone())
            .bind(iso_date(f.deadline))
            .bind(serde_json::to_string(&products).unwrap_or_else(|_| "[]".into()))
            .bind(i64::try_from(components.len()).unwrap_or(i64::MAX))
            .bind(self.principal.username.clone())
            .bind(tx.at().to_string())
            .run(&tx)
            .await?;
        for (system, unit, list) in &reached {
            sqlx::query("INSERT INTO advisory_matches (id, advisory_id, system_id, unit_id, components, response) VALUES ($1, $2, $3, $4, $5, 'pending')")
                .bind(new_id())
                .bind(id.clone())
                .bind(system.clone())
                .bind(unit.clone())
                .bind(list.join("; "))
                .run(&tx)
                .await?;
        }
        tx.record(
            "create",
            "advisory",
            &id,
            ("", "/"),
            None::<&()>,
            Some(&serde_json::json!({ "number": f.number, "title": f.title, "cves": f.cves, "products": products, "systems_reached": reached.len(), "components_checked": components.len() })),
        )
        .await?;
        tx.commit().await?;
        Ok((id, reached.len()))
    }

    /// Advisories newest first, each with the systems it reached and the answers, in
    /// the viewer's scope.
    pub async fn advisories(&self, limit: i64) -> Result<Vec<Advisory>> {
        let rows = Sql::new(&format!("SELECT {COLS} FROM advisories a ORDER BY a.created_at DESC, a.id DESC LIMIT "))
            .int(limit.clamp(1, 500))
            .query()
            .all(self)
            .await?;
        let mut counts = Sql::new("SELECT m.advisory_id, COUNT(*) AS n, SUM(CASE WHEN m.response = 'pending' THEN 0 ELSE 1 END) AS answered FROM advisory_matches m JOIN units u ON u.id = m.unit_id WHERE 1=1");
        self.restrict(&mut counts, &["u.path"]);
        counts.push(" GROUP BY m.advisory_id");
        let mut by: std::collections::HashMap<String, (i64, i64)> = std::collections::HashMap::new();
        for r in counts.query().all(self).await? {
            let answered: Option<i64> = r.try_get("answered")?;
            by.insert(r.try_get("advisory_id")?, (r.try_get("n")?, answered.unwrap_or(0)));
        }
        rows.iter()
            .map(|r| {
                let id: String = r.try_get("id")?;
                let (n, a) = by.get(&id).copied().unwrap_or((0, 0));
                advisory(r, n, a)
            })
            .collect()
    }

    /// One advisory and its matches in the viewer's scope (unit, then system).
    pub async fn advisory(&self, id: &str) -> Result<(Advisory, Vec<AdvisoryMatch>)> {
        let mut one = Sql::new(&format!("SELECT {COLS} FROM advisories a WHERE a.id = "));
        one.text(id.to_string());
        let r = one.query().opt(self).await?.ok_or(StoreError::NotFound)?;
        let mut sql = Sql::new(&format!("SELECT {MATCH_COLS} FROM advisory_matches m JOIN systems s ON s.id = m.system_id JOIN units u ON u.id = m.unit_id WHERE m.advisory_id = "));
        sql.text(id.to_string());
        self.restrict(&mut sql, &["u.path"]);
        sql.push(" ORDER BY u.name, s.name, m.id");
        let matches = sql.query().all(self).await?.iter().map(advisory_match).collect::<Result<Vec<_>>>()?;
        let answered = i64::try_from(matches.iter().filter(|m| m.response != "pending").count()).unwrap_or(0);
        let a = advisory(&r, i64::try_from(matches.len()).unwrap_or(0), answered)?;
        Ok((a, matches))
    }

    /// A unit's answer for one of its systems: checked against the answer read in the
    /// same transaction, written conditionally on it, audited. `mitigated` and `fixed`
    /// need a note saying what was done (the evidence).
    pub async fn answer_advisory(&self, match_id: &str, response: &str, note: &str) -> Result<()> {
        may_answer(self.principal.role).map_err(StoreError::refused)?;
        let mut invalid = khien_domain::Invalid::default();
        if !RESPONSES.contains(&response) {
            invalid.push("response", "advisory.err_response", "");
        }
        let note = note.trim();
        if note.chars().count() > 2000 {
            invalid.push("note", "advisory.err_note_long", "");
        } else if note.is_empty() && response != "not_affected" {
            invalid.push("note", "advisory.err_note_required", "");
        }
        if !invalid.errors.is_empty() {
            return Err(StoreError::Invalid(invalid));
        }
        let mut tx = self.write().await?;
        let r = self.within(&tx);
        let mut sql = Sql::new(&format!("SELECT {MATCH_COLS}, u.path AS unit_path FROM advisory_matches m JOIN systems s ON s.id = m.system_id JOIN units u ON u.id = m.unit_id WHERE m.id = "));
        sql.text(match_id.to_string());
        r.restrict(&mut sql, &["u.path"]);
        let row = sql.query().opt(&r).await?.ok_or(StoreError::NotFound)?;
        let m = advisory_match(&row)?;
        let path: String = row.try_get("unit_path")?;
        let changed = sqlx::query("UPDATE advisory_matches SET response = $1, response_note = $2, responded_by = $3, responded_at = $4 WHERE id = $5 AND response = $6")
            .bind(response.to_string())
            .bind(Some(note.to_string()).filter(|n| !n.is_empty()))
            .bind(self.principal.username.clone())
            .bind(tx.at().to_string())
            .bind(match_id.to_string())
            .bind(m.response.clone())
            .run(&tx)
            .await?;
        crate::one_row(changed)?;
        tx.record(
            "answer",
            "advisory",
            &m.advisory_id,
            (&m.unit_id, &path),
            Some(&serde_json::json!({ "system": m.system_id, "response": m.response })),
            Some(&serde_json::json!({ "system": m.system_id, "response": response, "note": note })),
        )
        .await?;
        tx.commit().await
    }

    /// Answers still owed in the viewer's scope, nearest deadline first, at most `limit`.
    pub async fn pending_advisories(&self, limit: i64) -> Result<(Vec<PendingAdvisory>, i64)> {
        let mut count = Sql::new("SELECT COUNT(*) AS n FROM advisory_matches m JOIN units u ON u.id = m.unit_id WHERE m.response = 'pending'");
        self.restrict(&mut count, &["u.path"]);
        let total: i64 = count.query().one(self).await?.try_get("n")?;
        let mut sql = Sql::new("SELECT m.id, m.advisory_id, a.number, a.title, a.severity, a.deadline, s.name AS system_name, u.name AS unit_name FROM advisory_matches m JOIN advisories a ON a.id = m.advisory_id JOIN systems s ON s.id = m.system_id JOIN units u ON u.id = m.unit_id WHERE m.response = 'pending'");
        self.restrict(&mut sql, &["u.path"]);
        sql.push(" ORDER BY a.deadline, a.id, s.name LIMIT ").int(limit.clamp(1, 500));
        let items = sql
            .query()
            .all(self)
            .await?
            .iter()
            .map(|r| {
                Ok(PendingAdvisory {
                    match_id: r.try_get("id")?,
                    advisory_id: r.try_get("advisory_id")?,
                    number: r.try_get("number")?,
                    title: r.try_get("title")?,
                    severity: r.try_get("severity")?,
                    deadline: r.try_get("deadline")?,
                    system_name: r.try_get("system_name")?,
                    unit_name: r.try_get("unit_name")?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok((items, total))
    }

    /// Marks the pending matches of an advisory as reminded now and returns their
    /// units (id, path): the department's "remind those who have not answered".
    pub async fn mark_advisory_reminded(&self, advisory_id: &str) -> Result<Vec<(String, String)>> {
        may_issue(self.principal.role).map_err(StoreError::refused)?;
        let mut tx = self.write().await?;
        let r = self.within(&tx);
        let rows = sqlx::query("SELECT DISTINCT m.unit_id, u.path FROM advisory_matches m JOIN units u ON u.id = m.unit_id WHERE m.advisory_id = $1 AND m.response = 'pending'")
            .bind(advisory_id.to_string())
            .all(&r)
            .await?;
        let units = rows.iter().map(|row| Ok((row.try_get("unit_id")?, row.try_get("path")?))).collect::<Result<Vec<(String, String)>>>()?;
        sqlx::query("UPDATE advisory_matches SET reminded_at = $1 WHERE advisory_id = $2 AND response = 'pending'")
            .bind(tx.at().to_string())
            .bind(advisory_id.to_string())
            .run(&tx)
            .await?;
        tx.record("remind", "advisory", advisory_id, ("", "/"), None::<&()>, Some(&serde_json::json!({ "units": units.len() }))).await?;
        tx.commit().await?;
        Ok(units)
    }
}
