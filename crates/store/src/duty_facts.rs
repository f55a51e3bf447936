//! What the obligation engine (`khien_duties::obligations_for`) needs to know about
//! units and their systems, gathered from the records that exist today: each system's
//! status, its level (the approved dossier's, else the latest determination), the last
//! hunt that counted, the last scanner report imported, the last fix of a critical or
//! high finding, the last assessment of each system and unit, and the last drill of
//! each system, and the periodic reports each unit submitted (and were not returned).
//!
//! One page of units (keyset on the indexed path, parents first) costs ten queries,
//! whatever the number of systems: units, their systems, their approved dossiers,
//! determinations, last hunts, last scan imports, last drills, and the systems' and
//! units' last assessments.

use std::collections::HashMap;

use sqlx::Row;
use time::Date;

use crate::Scoped;
use crate::error::Result;
use crate::scope::ReadExt;
use crate::sql::Sql;

/// One system's facts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SystemDutyFacts {
    pub system_id: String,
    pub name: String,
    /// `planning`, `building`, `operating` or `retired`.
    pub status: String,
    /// The level of the current approved dossier.
    pub approved_level: Option<u8>,
    /// The latest determination (the wizard), approved or not.
    pub proposed_level: Option<u8>,
    /// The Vietnam date of the last finished hunt with full coverage (a hunt that
    /// checked less than it was given does not count, as in `Scoped::last_hunt`).
    pub last_hunt: Option<Date>,
    /// The Vietnam date of the last scanner report imported into the system (the scan's
    /// own date is not in every report: the import is when the platform learnt of it).
    pub last_scan: Option<Date>,
    /// The Vietnam date a critical or high finding was last fixed (`serious_fix_at`).
    pub last_critical_fix: Option<Date>,
    /// The last recorded assessment of the system (before go-live or periodic).
    pub last_assessment: Option<Date>,
    /// The last day of the last drill that covered the system (either kind).
    pub last_drill: Option<Date>,
}

impl SystemDutyFacts {
    /// The level the obligations count with: approved, else proposed.
    pub fn level(&self) -> Option<u8> {
        self.approved_level.or(self.proposed_level)
    }
}

/// One unit and the systems it owns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitDutyFacts {
    pub unit_id: String,
    pub name: String,
    pub path: String,
    /// The last recorded assessment of the unit as a whole.
    pub last_assessment: Option<Date>,
    /// Reports submitted and not returned: (kind, period, Vietnam date submitted).
    pub reports: Vec<(String, String, Date)>,
    pub systems: Vec<SystemDutyFacts>,
}

impl Scoped<'_> {
    /// A page of the active units in scope after `after` (a unit path, "" for the
    /// first page), at most `limit` (1–200), each with the facts of the systems it owns.
    /// Returns the page and the cursor of the next one.
    pub async fn duty_facts_page(
        &self,
        after: &str,
        limit: i64,
    ) -> Result<(Vec<UnitDutyFacts>, Option<String>)> {
        let limit = limit.clamp(1, 200);
        let mut sql = Sql::new("SELECT u.id, u.name, u.path FROM units u WHERE u.active = 1 AND u.path > ");
        sql.text(after.to_string());
        self.restrict(&mut sql, &["u.path"]);
        sql.push(" ORDER BY u.path LIMIT ").int(limit + 1);
        let rows = sql.query().all(self).await?;
        let mut units = Vec::with_capacity(rows.len());
        for r in &rows {
            units.push(UnitDutyFacts {
                unit_id: r.try_get("id")?,
                name: r.try_get("name")?,
                path: r.try_get("path")?,
                last_assessment: None,
                reports: Vec::new(),
                systems: Vec::new(),
            });
        }
        let cap = usize::try_from(limit).unwrap_or(usize::MAX);
        let next = (units.len() > cap).then(|| units[cap - 1].path.clone());
        units.truncate(cap);
        self.fill_duty_facts(&mut units).await?;
        Ok((units, next))
    }

    /// One unit in scope with the facts of the systems it owns (a ranking's drill-down).
    pub async fn duty_facts_of_unit(&self, unit_id: &str) -> Result<UnitDutyFacts> {
        let u = self.unit(unit_id).await?;
        let mut units = vec![UnitDutyFacts { unit_id: u.id, name: u.fields.name, path: u.path, last_assessment: None, reports: Vec::new(), systems: Vec::new() }];
        self.fill_duty_facts(&mut units).await?;
        Ok(units.remove(0))
    }

    /// Adds to each unit the facts of the systems it owns, in five queries.
    async fn fill_duty_facts(&self, units: &mut [UnitDutyFacts]) -> Result<()> {
        if units.is_empty() {
            return Ok(());
        }
        // `owner_unit_id IN (<this page's units>)`: the units are in scope, so are the
        // systems they own.
        let owned = |sql: &mut Sql| {
            sql.push("(SELECT s.id FROM systems s WHERE s.owner_unit_id IN (");
            for (i, u) in units.iter().enumerate() {
                if i > 0 {
                    sql.push(", ");
                }
                sql.text(u.unit_id.clone());
            }
            sql.push("))");
        };
        let mut sql = Sql::new("SELECT s.id, s.name, s.status, s.owner_unit_id, s.serious_fix_at FROM systems s WHERE s.id IN ");
        owned(&mut sql);
        sql.push(" ORDER BY s.name_norm, s.id");
        let systems = sql.query().all(self).await?;

        let mut sql = Sql::new("SELECT d.system_id, d.level FROM dossiers d WHERE d.superseded = 0 AND d.status = 'approved' AND d.system_id IN ");
        owned(&mut sql);
        let mut approved: HashMap<String, u8> = HashMap::new();
        for r in sql.query().all(self).await? {
            let level: i16 = r.try_get("level")?;
            approved.insert(r.try_get("system_id")?, u8::try_from(level).unwrap_or(0));
        }

        let mut sql = Sql::new("SELECT system_id, level FROM level_assessments WHERE system_id IN ");
        owned(&mut sql);
        sql.push(" ORDER BY created_at, id");
        let mut proposed: HashMap<String, u8> = HashMap::new();
        for r in sql.query().all(self).await? {
            let level: i16 = r.try_get("level")?;
            proposed.insert(r.try_get("system_id")?, u8::try_from(level).unwrap_or(0));
        }

        // The last date of each fact, per system (the page's systems) or per unit.
        let hunted = self
            .last_dates("SELECT hs.system_id AS k, MAX(h.finished_at) AS last FROM hunts h JOIN hunt_systems hs ON hs.hunt_id = h.id WHERE h.status = 'done' AND (h.coverage_full IS NULL OR h.coverage_full = 1) AND hs.system_id IN ", &owned, " GROUP BY hs.system_id")
            .await?;
        let scanned = self
            .last_dates("SELECT si.system_id AS k, MAX(si.finished_at) AS last FROM scan_imports si WHERE si.state = 'done' AND si.system_id IN ", &owned, " GROUP BY si.system_id")
            .await?;
        let assessed = self
            .last_dates("SELECT a.system_id AS k, MAX(a.performed_on) AS last FROM assessments a WHERE a.system_id IN ", &owned, " GROUP BY a.system_id")
            .await?;
        let drilled = self
            .last_dates("SELECT ds.system_id AS k, MAX(d.held_to) AS last FROM drill_systems ds JOIN drills d ON d.id = ds.drill_id WHERE ds.system_id IN ", &owned, " GROUP BY ds.system_id")
            .await?;
        let these_units = |sql: &mut Sql| {
            sql.push("(");
            for (i, u) in units.iter().enumerate() {
                if i > 0 {
                    sql.push(", ");
                }
                sql.text(u.unit_id.clone());
            }
            sql.push(")");
        };
        let unit_assessed = self
            .last_dates("SELECT a.unit_id AS k, MAX(a.performed_on) AS last FROM assessments a WHERE a.system_id IS NULL AND a.unit_id IN ", &these_units, " GROUP BY a.unit_id")
            .await?;
        let mut sql = Sql::new("SELECT r.unit_id, r.kind, r.period, r.submitted_on FROM report_submissions r WHERE r.status <> 'returned' AND r.unit_id IN ");
        these_units(&mut sql);
        let mut reports: HashMap<String, Vec<(String, String, Date)>> = HashMap::new();
        for r in sql.query().all(self).await? {
            let on: String = r.try_get("submitted_on")?;
            if let Some(d) = khien_domain::time_fmt::parse_iso_date(&on) {
                reports.entry(r.try_get("unit_id")?).or_default().push((r.try_get("kind")?, r.try_get("period")?, d));
            }
        }
        for u in units.iter_mut() {
            u.last_assessment = unit_assessed.get(&u.unit_id).copied();
            u.reports = reports.remove(&u.unit_id).unwrap_or_default();
        }

        let index: HashMap<String, usize> =
            units.iter().enumerate().map(|(i, u)| (u.unit_id.clone(), i)).collect();
        for r in systems {
            let owner: String = r.try_get("owner_unit_id")?;
            let Some(&i) = index.get(&owner) else {
                continue;
            };
            let id: String = r.try_get("id")?;
            let fixed: Option<String> = r.try_get("serious_fix_at")?;
            units[i].systems.push(SystemDutyFacts {
                last_scan: scanned.get(&id).copied(),
                last_assessment: assessed.get(&id).copied(),
                last_drill: drilled.get(&id).copied(),
                last_critical_fix: fixed.as_deref().and_then(khien_domain::time_fmt::parse_rfc3339).map(khien_domain::time_fmt::vn_date),
                name: r.try_get("name")?,
                status: r.try_get("status")?,
                approved_level: approved.get(&id).copied().filter(|l| (1..=5).contains(l)),
                proposed_level: proposed.get(&id).copied().filter(|l| (1..=5).contains(l)),
                last_hunt: hunted.get(&id).copied(),
                system_id: id,
            });
        }
        Ok(())
    }

    /// `head` + the id list `ids` writes + `tail`, a query of `k` and `last`: the last
    /// date of a fact per key, as the Vietnam date (`last` an RFC 3339 instant or a
    /// `yyyy-mm-dd` date).
    async fn last_dates(&self, head: &str, ids: &(dyn Fn(&mut Sql) + Sync), tail: &str) -> Result<HashMap<String, Date>> {
        let mut sql = Sql::new(head);
        ids(&mut sql);
        sql.push(tail);
        let mut out = HashMap::new();
        for r in sql.query().all(self).await? {
            let last: Option<String> = r.try_get("last")?;
            let day = last.as_deref().and_then(|v| {
                khien_domain::time_fmt::parse_iso_date(v).or_else(|| khien_domain::time_fmt::parse_rfc3339(v).map(khien_domain::time_fmt::vn_date))
            });
            if let Some(d) = day {
                out.insert(r.try_get("k")?, d);
            }
        }
        Ok(out)
    }
}
