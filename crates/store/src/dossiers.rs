//! Level dossiers: versions per system, the workflow with its checks, attachments and
//! history. Who may move a dossier is decided by `domain::dossiers` from the regime.

use khien_domain::dossiers::policy::{self, Actor, DossierFacts, Refusal, Relation, TransitionInput};
use khien_domain::dossiers::{DossierStatus, Transition};
use khien_levels::load_regime;
use serde::{Deserialize, Serialize};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::error::{Result, StoreError};
use crate::audit::{RunInTx, WriteTx};
use crate::scope::ReadExt;
use crate::{Scoped, new_id};

#[derive(Debug, Clone, Serialize)]
#[derive(schemars::JsonSchema)]
pub struct Dossier {
    pub id: String,
    pub system_id: String,
    pub assessment_id: String,
    pub regime: String,
    pub level: u8,
    pub version: i64,
    pub status: DossierStatus,
    pub stage_started: String,
    pub return_reason: Option<String>,
    pub appraisal_ref: Option<String>,
    pub appraisal_opinion: Option<String>,
    pub regulation_no: Option<String>,
    pub regulation_date: Option<String>,
    pub decision_no: Option<String>,
    pub decision_date: Option<String>,
    pub decision_by: Option<String>,
    pub superseded: bool,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Debug, Clone, Serialize)]
#[derive(schemars::JsonSchema)]
pub struct DossierEvent {
    pub at: String,
    pub actor_name: String,
    pub transition: String,
    pub from_status: String,
    pub to_status: String,
    pub note: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
#[derive(schemars::JsonSchema)]
pub struct Attachment {
    pub id: String,
    pub part: String,
    pub filename: String,
    pub sha256: String,
    pub size: i64,
    pub effective_date: Option<String>,
    pub expiry_date: Option<String>,
    pub uploaded_at: String,
    pub uploaded_by: String,
}

/// A current dossier with what a list needs to ask the policy about it.
#[derive(Debug, Clone)]
pub struct OpenDossier {
    pub dossier: Dossier,
    pub system_name: String,
    pub owner_unit_name: String,
    pub owner_path: String,
    /// Part keys with at least one file.
    pub attached: Vec<String>,
}

/// What a transition records besides the new status.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
#[derive(schemars::JsonSchema)]
pub struct TransitionData {
    pub reason: String,
    pub appraisal_ref: String,
    pub appraisal_opinion: String,
    pub decision_no: String,
    pub decision_date: String,
    pub decision_by: String,
}

const COLUMNS: &str = "id, system_id, assessment_id, regime, level, version, status, stage_started, return_reason, appraisal_ref, appraisal_opinion, regulation_no, regulation_date, decision_no, decision_date, decision_by, superseded, created_at, updated_at";

fn from_row(r: &AnyRow) -> Result<Dossier> {
    let status: String = r.try_get("status")?;
    let level: i16 = r.try_get("level")?;
    Ok(Dossier {
        id: r.try_get("id")?,
        system_id: r.try_get("system_id")?,
        assessment_id: r.try_get("assessment_id")?,
        regime: r.try_get("regime")?,
        level: u8::try_from(level).unwrap_or(0),
        version: r.try_get("version")?,
        status: DossierStatus::parse(&status)
            .ok_or_else(|| StoreError::Corrupt("dossier status", status.clone()))?,
        stage_started: r.try_get("stage_started")?,
        return_reason: r.try_get("return_reason")?,
        appraisal_ref: r.try_get("appraisal_ref")?,
        appraisal_opinion: r.try_get("appraisal_opinion")?,
        regulation_no: r.try_get("regulation_no")?,
        regulation_date: r.try_get("regulation_date")?,
        decision_no: r.try_get("decision_no")?,
        decision_date: r.try_get("decision_date")?,
        decision_by: r.try_get("decision_by")?,
        superseded: r.try_get::<i16, _>("superseded")? != 0,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

pub(crate) fn attachment_from_row(r: &AnyRow) -> Result<Attachment> {
    Ok(Attachment {
        id: r.try_get("id")?,
        part: r.try_get("part")?,
        filename: r.try_get("filename")?,
        sha256: r.try_get("sha256")?,
        size: r.try_get("size")?,
        effective_date: r.try_get("effective_date")?,
        expiry_date: r.try_get("expiry_date")?,
        uploaded_at: r.try_get("uploaded_at")?,
        uploaded_by: r.try_get("uploaded_by")?,
    })
}

fn conflict(key: &'static str) -> StoreError {
    StoreError::Conflict(key)
}

fn refused(r: Refusal) -> StoreError {
    if r.forbidden {
        StoreError::Forbidden
    } else {
        StoreError::Conflict(r.key)
    }
}

impl Scoped<'_> {
    /// How this principal stands to a system: department, owner side or operator side.
    pub fn relation_to(&self, s: &crate::systems::System) -> Relation {
        match &self.scope {
            khien_domain::Scope::Province => Relation::Province,
            scope if scope.contains_path(&s.owner_path) => Relation::Owner,
            _ => Relation::Operator,
        }
    }

    pub fn actor_for(&self, s: &crate::systems::System) -> Actor {
        Actor {
            role: self.principal.role,
            relation: self.relation_to(s),
        }
    }

    /// The facts the dossier policy decides on, read where this view reads.
    pub async fn dossier_facts(&self, d: &Dossier) -> Result<DossierFacts<'static>> {
        let regime = load_regime(&d.regime).map_err(|_| conflict("dossier.err_regime"))?;
        let mut attached: Vec<String> = self
            .attachment_rows("dossier", &d.id)
            .await?
            .into_iter()
            .map(|a| a.part)
            .collect();
        attached.dedup();
        Ok(DossierFacts {
            regime,
            level: d.level,
            status: d.status,
            superseded: d.superseded,
            attached,
            regulation_on_file: d.regulation_no.as_deref().is_some_and(|s| !s.trim().is_empty()),
        })
    }
}

impl Scoped<'_> {
    pub async fn dossier(&self, id: &str) -> Result<Dossier> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM dossiers WHERE id = $1"
        )))
        .bind(id.to_string())
        .opt(self)
        .await?
        .ok_or(StoreError::NotFound)?;
        let d = from_row(&row)?;
        // Visible only through its system, which applies the scope.
        self.system(&d.system_id).await?;
        Ok(d)
    }

    /// Every version for a system, newest first.
    pub async fn dossiers_of(&self, system_id: &str) -> Result<Vec<Dossier>> {
        self.system(system_id).await?;
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM dossiers WHERE system_id = $1 ORDER BY version DESC"
        )))
        .bind(system_id.to_string())
        .all(self)
        .await?;
        rows.iter().map(from_row).collect()
    }

    /// Starts a new dossier version from a determination. An unfinished earlier version
    /// is superseded; an approved one stays in force until the new one is approved.
    /// The version is read and written in one transaction, and `UNIQUE(system_id,
    /// version)` turns a concurrent second click into a conflict, not a twin draft.
    pub async fn create_dossier(&self, assessment_id: &str) -> Result<Dossier> {
        let mut tx = self.write().await?;
        let r = self.within(&tx);
        let a = r.assessment(assessment_id).await?;
        let system = r.system(&a.system_id).await?;
        policy::may_create(r.actor_for(&system)).map_err(refused)?;
        let existing = r.dossiers_of(&a.system_id).await?;
        let version = existing.iter().map(|d| d.version).max().unwrap_or(0) + 1;
        let now = tx.at().to_string();
        let today = khien_domain::time_fmt::iso_date(self.store.today_vn());
        sqlx::query("UPDATE dossiers SET superseded = 1, updated_at = $1 WHERE system_id = $2 AND status <> 'approved' AND superseded = 0")
            .bind(now.clone())
            .bind(a.system_id.clone())
            .run(&tx)
            .await?;
        let id = new_id();
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO dossiers ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0, $9, $10)"
        )))
        .bind(id.clone())
        .bind(a.system_id.clone())
        .bind(a.id.clone())
        .bind(a.regime.clone())
        .bind(i16::from(a.level))
        .bind(version)
        .bind(DossierStatus::Draft.as_str().to_string())
        .bind(today)
        .bind(now.clone())
        .bind(now)
        .run(&tx)
        .await
        .map_err(|e| StoreError::unique(e, "dossier.err_concurrent"))?;
        tx.record("create", "dossier", &id, (&system.fields.owner_unit_id, &system.owner_path), None::<&()>, Some(&serde_json::json!({ "system": a.system_id, "regime": a.regime, "level": a.level, "version": version }))).await?;
        tx.commit().await?;
        self.dossier(&id).await
    }

    /// A dossier's attachments; the dossier must be in scope.
    pub async fn dossier_files(&self, dossier_id: &str) -> Result<Vec<Attachment>> {
        self.dossier(dossier_id).await?;
        self.attachment_rows("dossier", dossier_id).await
    }

    /// A system's plan evidence; the system must be in scope.
    pub async fn evidence_files(&self, system_id: &str) -> Result<Vec<Attachment>> {
        self.system(system_id).await?;
        self.attachment_rows("evidence", system_id).await
    }

    /// Attachment rows without a scope check: callers have checked their owner.
    pub(crate) async fn attachment_rows(
        &self,
        owner_kind: &str,
        owner_id: &str,
    ) -> Result<Vec<Attachment>> {
        let rows = sqlx::query("SELECT id, part, filename, sha256, size, effective_date, expiry_date, uploaded_at, uploaded_by FROM attachments WHERE owner_kind = $1 AND owner_id = $2 ORDER BY uploaded_at")
            .bind(owner_kind.to_string())
            .bind(owner_id.to_string())
            .all(self)
            .await?;
        rows.iter().map(attachment_from_row).collect()
    }

    /// Links a stored blob to an owner inside the caller's transaction; audited.
    pub(crate) async fn attach(
        &self,
        tx: &mut WriteTx,
        owner: (&str, &str),
        part: &str,
        file: &crate::blobs::StoredFile,
        dates: (Option<String>, Option<String>),
        audit_unit: (&str, &str),
    ) -> Result<Attachment> {
        let (owner_kind, owner_id) = owner;
        let a = Attachment {
            id: new_id(),
            part: part.to_string(),
            filename: file
                .filename
                .chars()
                .filter(|c| !c.is_control() && *c != '/' && *c != '\\')
                .take(200)
                .collect(),
            sha256: file.sha256.clone(),
            size: i64::try_from(file.size).unwrap_or(i64::MAX),
            effective_date: dates.0,
            expiry_date: dates.1,
            uploaded_at: tx.at().to_string(),
            uploaded_by: self.principal.username.clone(),
        };
        sqlx::query("INSERT INTO attachments (id, owner_kind, owner_id, part, filename, sha256, size, effective_date, expiry_date, uploaded_at, uploaded_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)")
            .bind(a.id.clone())
            .bind(owner_kind.to_string())
            .bind(owner_id.to_string())
            .bind(a.part.clone())
            .bind(a.filename.clone())
            .bind(a.sha256.clone())
            .bind(a.size)
            .bind(a.effective_date.clone())
            .bind(a.expiry_date.clone())
            .bind(a.uploaded_at.clone())
            .bind(a.uploaded_by.clone())
            .run(tx)
            .await?;
        tx.record(
            "attach",
            owner_kind,
            owner_id,
            audit_unit,
            None::<&()>,
            Some(&a),
        )
        .await?;
        Ok(a)
    }

    /// Attaches a stored file to a dossier part, if the dossier policy lets this
    /// principal attach that part now.
    pub async fn attach_to_dossier(
        &self,
        dossier_id: &str,
        part: &str,
        file: &crate::blobs::StoredFile,
    ) -> Result<Attachment> {
        let mut tx = self.write().await?;
        let r = self.within(&tx);
        let d = r.dossier(dossier_id).await?;
        let system = r.system(&d.system_id).await?;
        r.dossier_facts(&d)
            .await?
            .may_attach(r.actor_for(&system), part)
            .map_err(refused)?;
        policy::check_attachment_type(&file.filename)?;
        let a = self
            .attach(
                &mut tx,
                ("dossier", dossier_id),
                part,
                file,
                (None, None),
                (&system.fields.owner_unit_id, &system.owner_path),
            )
            .await?;
        tx.commit().await?;
        Ok(a)
    }

    /// Removes a file attached by mistake (to attach the right one), while the policy
    /// still lets this principal attach to its part. The row goes; the audit entry
    /// keeps what it was.
    pub async fn remove_dossier_file(&self, dossier_id: &str, attachment_id: &str) -> Result<()> {
        let mut tx = self.write().await?;
        let r = self.within(&tx);
        let d = r.dossier(dossier_id).await?;
        let system = r.system(&d.system_id).await?;
        let a = r
            .attachment_rows("dossier", dossier_id)
            .await?
            .into_iter()
            .find(|a| a.id == attachment_id)
            .ok_or(StoreError::NotFound)?;
        r.dossier_facts(&d)
            .await?
            .may_attach(r.actor_for(&system), &a.part)
            .map_err(refused)?;
        let gone = sqlx::query("DELETE FROM attachments WHERE id = $1 AND owner_kind = 'dossier' AND owner_id = $2")
            .bind(attachment_id.to_string())
            .bind(dossier_id.to_string())
            .run(&tx)
            .await?;
        if gone != 1 {
            return Err(conflict("dossier.err_concurrent"));
        }
        // The dossier's status is what the policy read: the removal must not land
        // after a concurrent submit.
        let same = sqlx::query("UPDATE dossiers SET updated_at = updated_at WHERE id = $1 AND status = $2 AND superseded = 0")
            .bind(dossier_id.to_string())
            .bind(d.status.as_str().to_string())
            .run(&tx)
            .await?;
        if same != 1 {
            return Err(conflict("dossier.err_concurrent"));
        }
        tx.record(
            "detach",
            "dossier",
            dossier_id,
            (&system.fields.owner_unit_id, &system.owner_path),
            Some(&a),
            None::<&()>,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Records the system's security regulation decision (required before approval).
    pub async fn set_regulation(
        &self,
        dossier_id: &str,
        number: &str,
        date: &str,
    ) -> Result<Dossier> {
        let mut tx = self.write().await?;
        let r = self.within(&tx);
        let d = r.dossier(dossier_id).await?;
        let system = r.system(&d.system_id).await?;
        r.dossier_facts(&d)
            .await?
            .may_set_regulation(r.actor_for(&system))
            .map_err(refused)?;
        let changed = sqlx::query("UPDATE dossiers SET regulation_no = $1, regulation_date = $2, updated_at = $3 WHERE id = $4 AND status = $5 AND superseded = 0")
            .bind(number.to_string())
            .bind(date.to_string())
            .bind(tx.at().to_string())
            .bind(dossier_id.to_string())
            .bind(d.status.as_str().to_string())
            .run(&tx)
            .await?;
        if changed != 1 {
            return Err(conflict("dossier.err_concurrent"));
        }
        tx.record(
            "regulation",
            "dossier",
            dossier_id,
            (&system.fields.owner_unit_id, &system.owner_path),
            Some(&d),
            Some(&serde_json::json!({ "regulation_no": number, "regulation_date": date })),
        )
        .await?;
        tx.commit().await?;
        self.dossier(dossier_id).await
    }

    pub async fn dossier_events(&self, dossier_id: &str) -> Result<Vec<DossierEvent>> {
        self.dossier(dossier_id).await?;
        let rows = sqlx::query("SELECT at, actor_name, transition, from_status, to_status, note FROM dossier_events WHERE dossier_id = $1 ORDER BY at, id")
            .bind(dossier_id.to_string())
            .all(self)
            .await?;
        rows.iter()
            .map(|r| {
                Ok(DossierEvent {
                    at: r.try_get("at")?,
                    actor_name: r.try_get("actor_name")?,
                    transition: r.try_get("transition")?,
                    from_status: r.try_get("from_status")?,
                    to_status: r.try_get("to_status")?,
                    note: r.try_get("note")?,
                })
            })
            .collect()
    }

    /// Moves a dossier one step, if the dossier policy gives this principal that step
    /// and the dossier holds what it needs. The facts are read and the status changed
    /// in one transaction, and the change is conditional on the status read, so two
    /// concurrent clicks record one step.
    pub async fn transition(
        &self,
        dossier_id: &str,
        t: Transition,
        data: &TransitionData,
    ) -> Result<Dossier> {
        let mut tx = self.write().await?;
        let r = self.within(&tx);
        let d = r.dossier(dossier_id).await?;
        let system = r.system(&d.system_id).await?;
        let input = TransitionInput {
            reason: &data.reason,
            appraisal_opinion: &data.appraisal_opinion,
            decision_no: &data.decision_no,
            decision_by: &data.decision_by,
            decision_date: &data.decision_date,
        };
        r.dossier_facts(&d)
            .await?
            .check(r.actor_for(&system), t)
            .map_err(refused)?;
        policy::check_input(t, &input, self.store.today_vn())?;
        let to = t.to();
        let now = tx.at().to_string();
        let today = khien_domain::time_fmt::iso_date(self.store.today_vn());
        let opt = |s: &str| Some(s.trim().to_string()).filter(|x| !x.is_empty());
        let decision_date = khien_domain::time_fmt::parse_user_date(&data.decision_date)
            .map(khien_domain::time_fmt::iso_date);
        let changed = sqlx::query(
            "UPDATE dossiers SET status = $1, stage_started = $2, updated_at = $3,
               return_reason = CASE WHEN $4 = 'return' THEN $5 ELSE return_reason END,
               appraisal_ref = COALESCE($6, appraisal_ref), appraisal_opinion = COALESCE($7, appraisal_opinion),
               decision_no = COALESCE($8, decision_no), decision_date = COALESCE($9, decision_date), decision_by = COALESCE($10, decision_by)
             WHERE id = $11 AND status = $12 AND superseded = 0",
        )
        .bind(to.as_str().to_string())
        .bind(today)
        .bind(now.clone())
        .bind(t.as_str().to_string())
        .bind(opt(&data.reason))
        .bind(opt(&data.appraisal_ref))
        .bind(opt(&data.appraisal_opinion))
        .bind(opt(&data.decision_no))
        .bind(decision_date)
        .bind(opt(&data.decision_by))
        .bind(dossier_id.to_string())
        .bind(d.status.as_str().to_string())
        .run(&tx)
        .await?;
        if changed != 1 {
            return Err(conflict("dossier.err_concurrent"));
        }
        if t == Transition::Approve {
            // The newly approved version replaces the one approved before it.
            sqlx::query("UPDATE dossiers SET superseded = 1 WHERE system_id = $1 AND id <> $2 AND status = 'approved'")
                .bind(d.system_id.clone())
                .bind(dossier_id.to_string())
                .run(&tx)
                .await?;
        }
        let note = [&data.reason, &data.appraisal_opinion, &data.decision_no]
            .iter()
            .map(|s| s.trim())
            .find(|s| !s.is_empty())
            .map(String::from);
        sqlx::query("INSERT INTO dossier_events (id, dossier_id, at, actor_name, transition, from_status, to_status, note) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
            .bind(new_id())
            .bind(dossier_id.to_string())
            .bind(now)
            .bind(self.principal.username.clone())
            .bind(t.as_str().to_string())
            .bind(d.status.as_str().to_string())
            .bind(to.as_str().to_string())
            .bind(note)
            .run(&tx)
            .await?;
        tx.record(t.as_str(), "dossier", dossier_id, (&system.fields.owner_unit_id, &system.owner_path), Some(&d), Some(&serde_json::json!({ "status": to.as_str(), "data": { "reason": data.reason, "appraisal_ref": data.appraisal_ref, "appraisal_opinion": data.appraisal_opinion, "decision_no": data.decision_no, "decision_date": data.decision_date, "decision_by": data.decision_by } }))).await?;
        tx.commit().await?;
        self.dossier(dossier_id).await
    }

    /// Current dossiers in scope in one of `statuses`, oldest stage first, with their
    /// system, owner and the parts on file: what the "waiting for me" list needs to ask
    /// the policy, in two queries (at most `limit` dossiers).
    pub async fn open_dossiers(
        &self,
        statuses: &[DossierStatus],
        limit: i64,
    ) -> Result<Vec<OpenDossier>> {
        if statuses.is_empty() {
            return Ok(vec![]);
        }
        let cols = COLUMNS
            .split(", ")
            .map(|c| format!("d.{c}"))
            .collect::<Vec<_>>()
            .join(", ");
        let mut sql = crate::sql::Sql::new(&format!(
            "SELECT {cols}, s.name AS system_name, ou.name AS owner_name, ou.path AS owner_path FROM dossiers d JOIN systems s ON s.id = d.system_id JOIN units ou ON ou.id = s.owner_unit_id JOIN units opu ON opu.id = s.operator_unit_id WHERE d.superseded = 0 AND d.status IN ("
        ));
        for (i, st) in statuses.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.text(st.as_str());
        }
        sql.push(")");
        self.restrict(&mut sql, &["ou.path", "opu.path"]);
        sql.push(" ORDER BY d.stage_started, d.id LIMIT ").int(limit);
        let rows = sql.query().all(self).await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            out.push(OpenDossier {
                dossier: from_row(r)?,
                system_name: r.try_get("system_name")?,
                owner_unit_name: r.try_get("owner_name")?,
                owner_path: r.try_get("owner_path")?,
                attached: vec![],
            });
        }
        for chunk in out.chunks_mut(200) {
            let mut sql = crate::sql::Sql::new(
                "SELECT DISTINCT owner_id, part FROM attachments WHERE owner_kind = 'dossier' AND owner_id IN (",
            );
            for (i, o) in chunk.iter().enumerate() {
                if i > 0 {
                    sql.push(", ");
                }
                sql.text(o.dossier.id.clone());
            }
            sql.push(")");
            for r in sql.query().all(self).await? {
                let owner: String = r.try_get("owner_id")?;
                let part: String = r.try_get("part")?;
                if let Some(o) = chunk.iter_mut().find(|o| o.dossier.id == owner) {
                    o.attached.push(part);
                }
            }
        }
        Ok(out)
    }

    /// The policy's facts and the principal's standing for one of [`Scoped::open_dossiers`].
    pub fn open_facts(&self, o: &OpenDossier) -> Result<(DossierFacts<'static>, Actor)> {
        let d = &o.dossier;
        let regime = load_regime(&d.regime).map_err(|_| conflict("dossier.err_regime"))?;
        let relation = match &self.scope {
            khien_domain::Scope::Province => Relation::Province,
            scope if scope.contains_path(&o.owner_path) => Relation::Owner,
            _ => Relation::Operator,
        };
        Ok((
            DossierFacts {
                regime,
                level: d.level,
                status: d.status,
                superseded: d.superseded,
                attached: o.attached.clone(),
                regulation_on_file: d.regulation_no.as_deref().is_some_and(|s| !s.trim().is_empty()),
            },
            Actor {
                role: self.principal.role,
                relation,
            },
        ))
    }

    /// The approved, current dossier of a system, if any.
    pub async fn approved_dossier(&self, system_id: &str) -> Result<Option<Dossier>> {
        Ok(self
            .dossiers_of(system_id)
            .await?
            .into_iter()
            .find(|d| d.status == DossierStatus::Approved && !d.superseded))
    }

    /// Every dossier in scope that is not superseded (for the province view).
    pub async fn current_dossiers(&self) -> Result<Vec<(Dossier, String)>> {
        let mut sql = crate::sql::Sql::new(&format!(
            "SELECT {} , ou.id AS owner_id FROM dossiers d JOIN systems s ON s.id = d.system_id JOIN units ou ON ou.id = s.owner_unit_id JOIN units opu ON opu.id = s.operator_unit_id WHERE d.superseded = 0",
            COLUMNS
                .split(", ")
                .map(|c| format!("d.{c}"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
        self.restrict(&mut sql, &["ou.path", "opu.path"]);
        let rows = sql.query().all(self).await?;
        rows.iter()
            .map(|r| Ok((from_row(r)?, r.try_get("owner_id")?)))
            .collect()
    }
}
