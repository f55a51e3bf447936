//! Incident response plans (issue 11 item 6): one per system and one for the province,
//! each a chain of versions. A draft is written and its scenarios added; recording the
//! approval freezes it (and supersedes the version before) in one transaction that
//! changes the draft only if it is still a draft; a revision opens a new draft copied
//! from the approved version. At most one draft and one approved version per plan are
//! also unique indexes, so concurrent writers cannot make two.
//!
//! A system's plan is seen in its owner's scope; the provincial plan by everyone (the
//! units act on it), changed by the department and the response team.

use std::collections::BTreeMap;

use khien_domain::incidents::IncidentType;
use khien_domain::response_plans::{ApprovalFields, DraftFields, Outlines, PROVINCE_SUBJECT, PlanFacts, PlanFlag, PlanSubject, may_approve, may_draft};
use khien_domain::time_fmt::{iso_date, parse_iso_date, parse_rfc3339};
use serde::Serialize;
use sqlx::Row;
use sqlx::any::AnyRow;
use time::Date;

use crate::audit::{RunInTx, WriteTx};
use crate::error::{Result, StoreError};
use crate::scope::ReadExt;
use crate::sql::Sql;
use crate::{Scoped, new_id};

/// A plan with what its list row and flags need.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct ResponsePlan {
    pub id: String,
    /// None: the provincial plan.
    pub system_id: Option<String>,
    pub system_name: Option<String>,
    pub unit_id: String,
    pub unit_name: String,
    pub title: String,
    pub outline: String,
    /// The system's approved level, if decided.
    pub level: Option<u8>,
    pub approved_version: Option<i64>,
    /// yyyy-mm-dd.
    pub review_on: Option<String>,
    pub decision_no: Option<String>,
    pub decision_date: Option<String>,
    pub approved_at: Option<String>,
    pub draft_version: Option<i64>,
    #[serde(skip)]
    pub system_updated_at: Option<String>,
    #[serde(skip)]
    unit_path: String,
}

impl ResponsePlan {
    pub fn is_province(&self) -> bool {
        self.system_id.is_none()
    }

    pub fn subject(&self) -> PlanSubject {
        if self.is_province() { PlanSubject::Province } else { PlanSubject::System { level: self.level } }
    }

    /// Its flags on `today`, against the outline its subject asks for now.
    pub fn flags(&self, outlines: &Outlines, today: Date) -> Vec<PlanFlag> {
        let approved = match (&self.approved_at, self.approved_version) {
            (Some(at), Some(_)) => parse_rfc3339(at).map(|at| (self.review_on.as_deref().and_then(parse_iso_date), at)),
            _ => None,
        };
        khien_domain::response_plans::flags(
            &PlanFacts {
                approved,
                system_changed_at: self.system_updated_at.as_deref().and_then(parse_rfc3339),
                outline: self.outline.clone(),
                expected_outline: outlines.for_subject(self.subject()).id.clone(),
            },
            today,
        )
    }
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct PlanVersion {
    pub id: String,
    pub version: i64,
    /// draft | approved | superseded
    pub status: String,
    pub sections: BTreeMap<String, String>,
    pub priorities: String,
    pub contacts: String,
    pub review_on: Option<String>,
    pub approver: Option<String>,
    pub decision_no: Option<String>,
    pub decision_date: Option<String>,
    pub approved_at: Option<String>,
    pub approved_by: Option<String>,
    pub created_by: String,
    pub updated_at: String,
}

impl PlanVersion {
    pub fn is_draft(&self) -> bool {
        self.status == "draft"
    }

    /// The draft as validated fields (for the approval check).
    pub fn as_fields(&self) -> DraftFields {
        DraftFields {
            sections: self.sections.clone(),
            priorities: self.priorities.clone(),
            contacts: self.contacts.clone(),
            review_on: self.review_on.as_deref().and_then(parse_iso_date),
        }
    }
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Scenario {
    pub id: String,
    pub incident_type: String,
    pub title: String,
    pub situation: String,
    pub handling: String,
}

/// A plan with all its versions (newest first) and the scenarios of each.
#[derive(Debug, Clone)]
pub struct PlanDetail {
    pub plan: ResponsePlan,
    pub versions: Vec<(PlanVersion, Vec<Scenario>)>,
}

impl PlanDetail {
    /// The version shown: the draft being written, else the approved one, else the latest.
    pub fn current(&self) -> Option<&(PlanVersion, Vec<Scenario>)> {
        self.versions.iter().find(|(v, _)| v.is_draft()).or_else(|| self.versions.iter().find(|(v, _)| v.status == "approved")).or(self.versions.first())
    }
    pub fn draft(&self) -> Option<&(PlanVersion, Vec<Scenario>)> {
        self.versions.iter().find(|(v, _)| v.is_draft())
    }
    pub fn approved(&self) -> Option<&(PlanVersion, Vec<Scenario>)> {
        self.versions.iter().find(|(v, _)| v.status == "approved")
    }
}

const PLAN_SELECT: &str = "SELECT p.id, p.system_id, s.name AS system_name, s.updated_at AS system_updated_at, p.unit_id, u.name AS unit_name, u.path AS unit_path, p.title, p.outline, \
     a.version AS approved_version, a.review_on, a.decision_no, a.decision_date, a.approved_at, dr.version AS draft_version, \
     (SELECT d.level FROM dossiers d WHERE d.system_id = p.system_id AND d.status = 'approved' AND d.superseded = 0 ORDER BY d.version DESC LIMIT 1) AS level \
     FROM response_plans p JOIN units u ON u.id = p.unit_id LEFT JOIN systems s ON s.id = p.system_id \
     LEFT JOIN response_plan_versions a ON a.plan_id = p.id AND a.status = 'approved' \
     LEFT JOIN response_plan_versions dr ON dr.plan_id = p.id AND dr.status = 'draft' WHERE 1=1";

fn plan(r: &AnyRow) -> Result<ResponsePlan> {
    let level: Option<i16> = r.try_get("level")?;
    Ok(ResponsePlan {
        id: r.try_get("id")?,
        system_id: r.try_get("system_id")?,
        system_name: r.try_get("system_name")?,
        system_updated_at: r.try_get("system_updated_at")?,
        unit_id: r.try_get("unit_id")?,
        unit_name: r.try_get("unit_name")?,
        unit_path: r.try_get("unit_path")?,
        title: r.try_get("title")?,
        outline: r.try_get("outline")?,
        level: level.and_then(|l| u8::try_from(l).ok()).filter(|l| (1..=5).contains(l)),
        approved_version: r.try_get("approved_version")?,
        review_on: r.try_get("review_on")?,
        decision_no: r.try_get("decision_no")?,
        decision_date: r.try_get("decision_date")?,
        approved_at: r.try_get("approved_at")?,
        draft_version: r.try_get("draft_version")?,
    })
}

const VERSION_COLS: &str = "id, version, status, sections_json, priorities, contacts, review_on, approver, decision_no, decision_date, approved_at, approved_by, created_by, updated_at";

fn version(r: &AnyRow) -> Result<PlanVersion> {
    let json: String = r.try_get("sections_json")?;
    Ok(PlanVersion {
        id: r.try_get("id")?,
        version: r.try_get("version")?,
        status: r.try_get("status")?,
        sections: serde_json::from_str(&json).map_err(|e| StoreError::Corrupt("response plan sections", e.to_string()))?,
        priorities: r.try_get("priorities")?,
        contacts: r.try_get("contacts")?,
        review_on: r.try_get("review_on")?,
        approver: r.try_get("approver")?,
        decision_no: r.try_get("decision_no")?,
        decision_date: r.try_get("decision_date")?,
        approved_at: r.try_get("approved_at")?,
        approved_by: r.try_get("approved_by")?,
        created_by: r.try_get("created_by")?,
        updated_at: r.try_get("updated_at")?,
    })
}

impl Scoped<'_> {
    /// `AND (the provincial plan OR the plan's unit in scope)`.
    fn restrict_plans(&self, sql: &mut Sql) {
        if matches!(self.scope, khien_domain::Scope::Subtree { .. }) {
            sql.push(" AND (p.system_id IS NULL OR p.unit_id IN ");
            self.push_scope_units(sql);
            sql.push(")");
        }
    }

    /// Plans in scope: the provincial plan first, then by unit and system.
    pub async fn response_plans(&self, limit: i64) -> Result<Vec<ResponsePlan>> {
        let mut sql = Sql::new(PLAN_SELECT);
        self.restrict_plans(&mut sql);
        sql.push(" ORDER BY CASE WHEN p.system_id IS NULL THEN 0 ELSE 1 END, u.name, s.name, p.id LIMIT ").int(limit.clamp(1, 5_000));
        sql.query().all(self).await?.iter().map(plan).collect()
    }

    /// The plan of a system in scope, if one was started.
    pub async fn response_plan_of(&self, system_id: &str) -> Result<Option<ResponsePlan>> {
        let mut sql = Sql::new(PLAN_SELECT);
        sql.push(" AND p.subject = ").text(system_id.to_string());
        self.restrict_plans(&mut sql);
        sql.query().opt(self).await?.as_ref().map(plan).transpose()
    }

    /// Operating systems in scope without a plan (Directive 18: every system has one),
    /// the first `limit` by name, and how many in all.
    pub async fn systems_without_response_plan(&self, limit: i64) -> Result<(i64, Vec<(String, String, String)>)> {
        let base = "FROM systems s JOIN units u ON u.id = s.owner_unit_id WHERE s.status = 'operating' AND NOT EXISTS (SELECT 1 FROM response_plans p WHERE p.subject = s.id)";
        let mut count = Sql::new(&format!("SELECT COUNT(*) AS n {base}"));
        self.restrict_ids(&mut count, "s", "systems", &["owner_unit_id"]);
        let n: i64 = count.query().one(self).await?.try_get("n")?;
        let mut sql = Sql::new(&format!("SELECT s.id, s.name, u.name AS unit_name {base}"));
        self.restrict_ids(&mut sql, "s", "systems", &["owner_unit_id"]);
        sql.push(" ORDER BY s.name_norm, s.id LIMIT ").int(limit.clamp(1, 500));
        let rows = sql.query().all(self).await?;
        let items = rows.iter().map(|r| Ok((r.try_get("id")?, r.try_get("name")?, r.try_get("unit_name")?))).collect::<Result<Vec<_>>>()?;
        Ok((n, items))
    }

    /// One plan in scope with its versions and their scenarios.
    pub async fn response_plan(&self, id: &str) -> Result<PlanDetail> {
        let mut sql = Sql::new(PLAN_SELECT);
        sql.push(" AND p.id = ").text(id.to_string());
        self.restrict_plans(&mut sql);
        let p = plan(&sql.query().opt(self).await?.ok_or(StoreError::NotFound)?)?;
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {VERSION_COLS} FROM response_plan_versions WHERE plan_id = $1 ORDER BY version DESC"))).bind(p.id.clone()).all(self).await?;
        let mut versions = Vec::with_capacity(rows.len());
        for r in &rows {
            let v = version(r)?;
            let scenarios = sqlx::query("SELECT id, incident_type, title, situation, handling FROM response_scenarios WHERE version_id = $1 ORDER BY position, id")
                .bind(v.id.clone())
                .all(self)
                .await?
                .iter()
                .map(|r| Ok(Scenario { id: r.try_get("id")?, incident_type: r.try_get("incident_type")?, title: r.try_get("title")?, situation: r.try_get("situation")?, handling: r.try_get("handling")? }))
                .collect::<Result<Vec<_>>>()?;
            versions.push((v, scenarios));
        }
        Ok(PlanDetail { plan: p, versions })
    }

    /// Starts the plan of a system in scope (or, `subject = "province"`, the provincial
    /// plan) with an empty first draft on the outline its subject asks for.
    pub async fn create_response_plan(&self, outlines: &Outlines, subject: &str, title: &str) -> Result<String> {
        let province = subject == PROVINCE_SUBJECT;
        if !may_draft(self.principal.role, province) {
            return Err(StoreError::Forbidden);
        }
        let mut tx = self.write().await?;
        let r = self.within(&tx);
        let (system_id, unit, outline) = if province {
            let root = self.store.root_unit().await?.ok_or(StoreError::NotFound)?;
            (None, root, outlines.for_subject(PlanSubject::Province).id.clone())
        } else {
            let s = r.system(subject).await?;
            let level = r.approved_dossier(&s.id).await?.map(|d| d.level);
            let owner = r.as_platform().unit(&s.fields.owner_unit_id).await?;
            (Some(s.id), owner, outlines.for_subject(PlanSubject::System { level }).id.clone())
        };
        let id = new_id();
        let at = tx.at().to_string();
        sqlx::query("INSERT INTO response_plans (id, subject, system_id, unit_id, title, outline, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
            .bind(id.clone())
            .bind(subject.to_string())
            .bind(system_id.clone())
            .bind(unit.id.clone())
            .bind(title.to_string())
            .bind(outline.clone())
            .bind(self.principal.username.clone())
            .bind(at.clone())
            .run(&tx)
            .await
            .map_err(|e| StoreError::unique(e, "rplan.err_exists"))?;
        insert_version(&tx, &id, 1, &BTreeMap::new(), "", "", None, &self.principal.username, &at).await?;
        tx.record("create", "response_plan", &id, (&unit.id, &unit.path), None::<&()>, Some(&serde_json::json!({ "subject": subject, "title": title, "outline": outline }))).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// The plan in scope and its draft, for a writer who may draft it; inside `tx`.
    async fn draft_for_write(&self, tx: &WriteTx, plan_id: &str) -> Result<(ResponsePlan, PlanVersion, Vec<Scenario>)> {
        let d = self.within(tx).response_plan(plan_id).await?;
        if !may_draft(self.principal.role, d.plan.is_province()) {
            return Err(StoreError::Forbidden);
        }
        let (v, s) = d.draft().cloned().ok_or(StoreError::Conflict("rplan.err_not_draft"))?;
        Ok((d.plan, v, s))
    }

    /// Saves the draft's text; refused once it is approved (a concurrent approval wins).
    pub async fn save_response_draft(&self, plan_id: &str, f: &DraftFields) -> Result<()> {
        let mut tx = self.write().await?;
        let (p, v, _) = self.draft_for_write(&tx, plan_id).await?;
        let sections = serde_json::to_string(&f.sections).map_err(|e| StoreError::Corrupt("response plan sections", e.to_string()))?;
        let n = sqlx::query("UPDATE response_plan_versions SET sections_json = $1, priorities = $2, contacts = $3, review_on = $4, updated_at = $5 WHERE id = $6 AND status = 'draft'")
            .bind(sections)
            .bind(f.priorities.clone())
            .bind(f.contacts.clone())
            .bind(f.review_on.map(iso_date))
            .bind(tx.at().to_string())
            .bind(v.id.clone())
            .run(&tx)
            .await?;
        if n != 1 {
            return Err(StoreError::Conflict("rplan.err_not_draft"));
        }
        let before = serde_json::json!({ "version": v.version, "sections": v.sections.keys().collect::<Vec<_>>(), "review_on": v.review_on });
        let after = serde_json::json!({ "version": v.version, "sections": f.sections.keys().collect::<Vec<_>>(), "review_on": f.review_on.map(iso_date) });
        tx.record("edit", "response_plan", &p.id, (&p.unit_id, &p.unit_path), Some(&before), Some(&after)).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Adds a scenario to the draft.
    pub async fn add_response_scenario(&self, plan_id: &str, kind: IncidentType, title: &str, situation: &str, handling: &str) -> Result<()> {
        let mut tx = self.write().await?;
        let (p, v, scenarios) = self.draft_for_write(&tx, plan_id).await?;
        let position = i64::try_from(scenarios.len()).unwrap_or(i64::MAX);
        sqlx::query("INSERT INTO response_scenarios (id, version_id, incident_type, title, situation, handling, position, created_at) SELECT $1, id, $2, $3, $4, $5, $6, $7 FROM response_plan_versions WHERE id = $8 AND status = 'draft'")
            .bind(new_id())
            .bind(kind.as_str().to_string())
            .bind(title.to_string())
            .bind(situation.to_string())
            .bind(handling.to_string())
            .bind(position)
            .bind(tx.at().to_string())
            .bind(v.id.clone())
            .run(&tx)
            .await
            .and_then(|n| if n == 1 { Ok(()) } else { Err(StoreError::Conflict("rplan.err_not_draft")) })?;
        tx.record("scenario", "response_plan", &p.id, (&p.unit_id, &p.unit_path), None::<&()>, Some(&serde_json::json!({ "version": v.version, "incident_type": kind.as_str(), "title": title }))).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Removes a scenario from the draft.
    pub async fn remove_response_scenario(&self, plan_id: &str, scenario_id: &str) -> Result<()> {
        let mut tx = self.write().await?;
        let (p, v, scenarios) = self.draft_for_write(&tx, plan_id).await?;
        let s = scenarios.iter().find(|s| s.id == scenario_id).ok_or(StoreError::NotFound)?;
        let n = sqlx::query("DELETE FROM response_scenarios WHERE id = $1 AND version_id IN (SELECT id FROM response_plan_versions WHERE id = $2 AND status = 'draft')").bind(s.id.clone()).bind(v.id.clone()).run(&tx).await?;
        if n != 1 {
            return Err(StoreError::Conflict("rplan.err_not_draft"));
        }
        tx.record("scenario_removed", "response_plan", &p.id, (&p.unit_id, &p.unit_path), Some(&serde_json::json!({ "version": v.version, "title": s.title })), None::<&()>).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Records the approval of the draft: checked against the outline inside the
    /// transaction (what the draft holds now, not what the form saw), the approved
    /// version before it superseded, and the draft approved only if it still is one.
    pub async fn approve_response_plan(&self, outlines: &Outlines, plan_id: &str, f: &ApprovalFields, today: Date) -> Result<i64> {
        let mut tx = self.write().await?;
        let d = self.within(&tx).response_plan(plan_id).await?;
        if !may_approve(self.principal.role, d.plan.is_province()) {
            return Err(StoreError::Forbidden);
        }
        let (v, scenarios) = d.draft().cloned().ok_or(StoreError::Conflict("rplan.err_not_draft"))?;
        let outline = outlines.get(&d.plan.outline).ok_or_else(|| StoreError::Corrupt("response plan outline", d.plan.outline.clone()))?;
        let gaps = khien_domain::response_plans::approval_gaps(outline, &v.as_fields(), scenarios.len(), today);
        if !gaps.is_empty() {
            return Err(StoreError::Invalid(gaps));
        }
        // The provincial plan is approved by the Chairman (Decision 05 Art 16), whoever
        // the caller names.
        let approver = if d.plan.is_province() { outline.province_approver.clone().unwrap_or_else(|| f.approver.clone()) } else { f.approver.clone() };
        let at = tx.at().to_string();
        sqlx::query("UPDATE response_plan_versions SET status = 'superseded', updated_at = $1 WHERE plan_id = $2 AND status = 'approved'").bind(at.clone()).bind(d.plan.id.clone()).run(&tx).await?;
        let n = sqlx::query("UPDATE response_plan_versions SET status = 'approved', approver = $1, decision_no = $2, decision_date = $3, approved_at = $4, approved_by = $5, updated_at = $4 WHERE id = $6 AND status = 'draft'")
            .bind(approver.clone())
            .bind(f.decision_no.clone())
            .bind(iso_date(f.decision_date))
            .bind(at)
            .bind(self.principal.username.clone())
            .bind(v.id.clone())
            .run(&tx)
            .await?;
        if n != 1 {
            return Err(StoreError::Conflict("rplan.err_not_draft"));
        }
        tx.record(
            "approve",
            "response_plan",
            &d.plan.id,
            (&d.plan.unit_id, &d.plan.unit_path),
            d.approved().map(|(a, _)| serde_json::json!({ "approved_version": a.version })).as_ref(),
            Some(&serde_json::json!({ "approved_version": v.version, "approver": approver, "decision_no": f.decision_no, "decision_date": iso_date(f.decision_date), "review_on": v.review_on })),
        )
        .await?;
        tx.commit().await?;
        Ok(v.version)
    }

    /// Opens a new draft from the approved version (its text and scenarios copied), on
    /// the outline the subject asks for now. One draft at a time: refused while one is
    /// open, also by the unique index when two revisions race.
    pub async fn revise_response_plan(&self, outlines: &Outlines, plan_id: &str) -> Result<i64> {
        let mut tx = self.write().await?;
        let d = self.within(&tx).response_plan(plan_id).await?;
        if !may_draft(self.principal.role, d.plan.is_province()) {
            return Err(StoreError::Forbidden);
        }
        if d.draft().is_some() {
            return Err(StoreError::Conflict("rplan.err_draft_open"));
        }
        let (a, scenarios) = d.approved().cloned().ok_or(StoreError::Conflict("rplan.err_not_approved"))?;
        let next = d.versions.iter().map(|(v, _)| v.version).max().unwrap_or(0) + 1;
        let at = tx.at().to_string();
        let expected = outlines.for_subject(d.plan.subject()).id.clone();
        let version_id = insert_version(&tx, &d.plan.id, next, &a.sections, &a.priorities, &a.contacts, a.review_on.as_deref(), &self.principal.username, &at).await?;
        for (i, s) in scenarios.iter().enumerate() {
            sqlx::query("INSERT INTO response_scenarios (id, version_id, incident_type, title, situation, handling, position, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
                .bind(new_id())
                .bind(version_id.clone())
                .bind(s.incident_type.clone())
                .bind(s.title.clone())
                .bind(s.situation.clone())
                .bind(s.handling.clone())
                .bind(i64::try_from(i).unwrap_or(i64::MAX))
                .bind(at.clone())
                .run(&tx)
                .await?;
        }
        if expected != d.plan.outline {
            sqlx::query("UPDATE response_plans SET outline = $1 WHERE id = $2").bind(expected.clone()).bind(d.plan.id.clone()).run(&tx).await?;
        }
        tx.record("revise", "response_plan", &d.plan.id, (&d.plan.unit_id, &d.plan.unit_path), Some(&serde_json::json!({ "approved_version": a.version, "outline": d.plan.outline })), Some(&serde_json::json!({ "draft_version": next, "outline": expected }))).await?;
        tx.commit().await?;
        Ok(next)
    }
}

#[allow(clippy::too_many_arguments)]
async fn insert_version(tx: &WriteTx, plan_id: &str, version: i64, sections: &BTreeMap<String, String>, priorities: &str, contacts: &str, review_on: Option<&str>, by: &str, at: &str) -> Result<String> {
    let id = new_id();
    let sections = serde_json::to_string(sections).map_err(|e| StoreError::Corrupt("response plan sections", e.to_string()))?;
    sqlx::query("INSERT INTO response_plan_versions (id, plan_id, version, status, sections_json, priorities, contacts, review_on, created_by, created_at, updated_at) VALUES ($1, $2, $3, 'draft', $4, $5, $6, $7, $8, $9, $9)")
        .bind(id.clone())
        .bind(plan_id.to_string())
        .bind(version)
        .bind(sections)
        .bind(priorities.to_string())
        .bind(contacts.to_string())
        .bind(review_on.map(str::to_string))
        .bind(by.to_string())
        .bind(at.to_string())
        .run(tx)
        .await
        .map_err(|e| StoreError::unique(e, "rplan.err_draft_open"))?;
    Ok(id)
}
