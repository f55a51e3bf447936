//! Incidents as records: the incident, its affected units and systems, explicit shares,
//! observables, tasks, timeline, evidence with its chain of custody, and comments.
//! Who sees an incident is decided once, in [`Scoped::restrict_incidents`]: the
//! province-wide roles (the response team, the department) every incident; a unit the
//! incidents it created, those that affect it and those shared with it. What a
//! principal may do to one is the domain's rule (`khien_domain::incidents`), asked
//! inside the write's own transaction.

mod alerts;
mod exchange;
mod public;
mod sent;

pub use alerts::{Alert, AlertFilter, AlertIn, AlertReceipt, MergeIn, PromoteIn};
pub use exchange::{IMPORT_MAX, ImportReport, ImportedIndicator, IncidentHunt};
pub use public::{PublicStatus, PublicNote};
pub use sent::{CLOSED_LOOKBACK_DAYS, IncidentToReport, ReportSent};

use khien_domain::incidents::{
    self as rules, Actor, AlertState, CustodyAction, DetectionSource, IncidentFields, IncidentType,
    ObservableKind, PersonalDataImpact, Relation, Severity, Status, TaskState, Tlp,
};
use khien_domain::time_fmt::{parse_rfc3339, to_rfc3339};
use khien_domain::{FieldError, Invalid};
use serde::{Deserialize, Serialize};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::audit::RunInTx;
use crate::error::{Result, StoreError};
use crate::scope::ReadExt;
use crate::sql::Sql;
use crate::{Page, Scoped, WriteTx, new_id};

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Incident {
    pub id: String,
    /// `SC-2026-000123`.
    pub reference: String,
    pub title: String,
    pub description: String,
    /// UTC, to the minute; shown in Vietnam time.
    pub detected_at: String,
    pub reporter_name: String,
    pub reporter_contact: Option<String>,
    pub source: DetectionSource,
    pub incident_type: IncidentType,
    pub severity: Severity,
    pub beyond_capacity: bool,
    pub national_security_signs: bool,
    pub serious_interruption: bool,
    pub status: Status,
    pub pd_impact: PersonalDataImpact,
    pub pd_subjects: Option<i64>,
    pub pd_confirmed_at: Option<String>,
    pub regime: String,
    /// The reporting unit (none for reports from the public and from machines).
    pub unit_id: Option<String>,
    pub unit_name: Option<String>,
    #[serde(skip)]
    pub unit_path: Option<String>,
    /// `staff`, `public`, `alert` or `hunt`.
    pub origin: String,
    pub hunt_id: Option<String>,
    /// When the response ended (first reached "recovered").
    pub recovered_at: Option<String>,
    pub closed_at: Option<String>,
    pub created_by: String,
    pub created_at: String,
    pub updated_at: String,
}

/// The facts the legal reporting clocks are computed from, in the shape of
/// `khien incident deadlines FILE.json` (absent means false/none).
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct DeadlineFacts {
    pub regime: String,
    pub detected_at: String,
    pub beyond_capacity: bool,
    pub serious: bool,
    pub national_security_signs: bool,
    pub serious_interruption: bool,
    pub personal_data_breach_confirmed_at: Option<String>,
    pub response_ended_at: Option<String>,
}

impl Incident {
    pub fn deadline_facts(&self) -> DeadlineFacts {
        DeadlineFacts {
            regime: self.regime.clone(),
            detected_at: self.detected_at.clone(),
            beyond_capacity: self.beyond_capacity,
            serious: self.severity == Severity::Serious,
            national_security_signs: self.national_security_signs,
            serious_interruption: self.serious_interruption,
            personal_data_breach_confirmed_at: self.pd_confirmed_at.clone(),
            response_ended_at: self.recovered_at.clone(),
        }
    }
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct AffectedUnit {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct AffectedSystem {
    pub id: String,
    pub name: String,
    pub owner_unit_name: String,
    /// The approved level, else the latest determination's (see `approved`).
    pub level: Option<u8>,
    pub level_approved: bool,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Share {
    pub unit_id: String,
    pub unit_name: String,
    pub shared_by: String,
    pub shared_at: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Observable {
    pub id: String,
    pub kind: ObservableKind,
    pub value: String,
    pub tlp: Tlp,
    pub note: String,
    pub created_by: String,
    pub created_at: String,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Task {
    pub id: String,
    pub title: String,
    pub assignee_id: Option<String>,
    pub assignee_name: Option<String>,
    /// `yyyy-mm-dd` (a Vietnamese date).
    pub due_date: Option<String>,
    pub state: TaskState,
    pub created_by: String,
    pub created_at: String,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct TimelineEntry {
    pub id: String,
    pub at: String,
    pub text: String,
    pub system_id: Option<String>,
    pub system_name: Option<String>,
    pub observable_id: Option<String>,
    pub observable: Option<String>,
    /// Shown to a public reporter following the incident.
    pub public: bool,
    pub created_by: String,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct CustodyEntry {
    pub at: String,
    pub actor: String,
    pub action: CustodyAction,
    pub note: String,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Evidence {
    pub id: String,
    pub name: String,
    pub sha256: String,
    pub size: i64,
    pub description: String,
    pub created_by: String,
    pub created_at: String,
    pub custody: Vec<CustodyEntry>,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Comment {
    pub id: String,
    pub body: String,
    pub created_by: String,
    pub created_at: String,
}

/// An incident with everything recorded about it.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct IncidentDetail {
    #[serde(flatten)]
    pub incident: Incident,
    pub units: Vec<AffectedUnit>,
    pub systems: Vec<AffectedSystem>,
    pub shares: Vec<Share>,
    pub observables: Vec<Observable>,
    pub tasks: Vec<Task>,
    pub timeline: Vec<TimelineEntry>,
    pub evidence: Vec<Evidence>,
    pub comments: Vec<Comment>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(default)]
pub struct IncidentFilter {
    pub status: String,
    pub severity: String,
    /// Incidents of this unit (reporting or affected).
    pub unit_id: String,
    pub page: i64,
    /// The last id of the page before (keyset paging, newest first).
    pub after: String,
}

/// What the observable form (and the API) sends.
#[derive(Debug, Clone, Default, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(default)]
pub struct ObservableIn {
    pub kind: String,
    pub value: String,
    /// Empty: amber (share within the response only).
    pub tlp: String,
    pub note: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct TaskIn {
    pub title: String,
    pub assignee_id: String,
    pub due_date: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct TimelineIn {
    /// `dd/mm/yyyy HH:MM` (Vietnam time); empty: now.
    pub at: String,
    pub text: String,
    pub system_id: String,
    pub observable_id: String,
    /// `1`: a public note, shown to the public reporter.
    pub public: String,
}

/// Users to whom an incident's task may be given: the team, and the people of the
/// incident's units.
#[derive(Debug, Clone, Serialize)]
pub struct Assignee {
    pub id: String,
    pub display_name: String,
    pub unit_name: String,
}

/// Detections of a suspicious hunt copied into the incident it opens (the rest stay
/// on the hunt's own page, linked from the incident).
pub const HUNT_DETECTIONS_TAKEN: i64 = 200;

const COLS: &str = "i.id, i.reference, i.title, i.description, i.detected_at, i.reporter_name, i.reporter_contact, i.source, i.incident_type, i.severity, i.beyond_capacity, i.national_security_signs, i.serious_interruption, i.status, i.pd_impact, i.pd_subjects, i.pd_confirmed_at, i.regime, i.unit_id, u.name AS unit_name, u.path AS unit_path, i.origin, i.hunt_id, i.recovered_at, i.closed_at, i.created_by, i.created_at, i.updated_at";

/// The links through which a unit sees an incident (see [`Scoped::restrict_incidents`]).
const LINKS: [(&str, &str, &str); 3] = [
    ("incidents", "id", "unit_id"),
    ("incident_units", "incident_id", "unit_id"),
    ("incident_shares", "incident_id", "unit_id"),
];

pub(crate) fn parse_enum<T>(what: &'static str, v: String, parse: fn(&str) -> Option<T>) -> Result<T> {
    parse(&v).ok_or(StoreError::Corrupt(what, v))
}

fn flag(r: &AnyRow, col: &str) -> Result<bool> {
    Ok(r.try_get::<i16, _>(col)? != 0)
}

fn from_row(r: &AnyRow) -> Result<Incident> {
    Ok(Incident {
        id: r.try_get("id")?,
        reference: r.try_get("reference")?,
        title: r.try_get("title")?,
        description: r.try_get("description")?,
        detected_at: r.try_get("detected_at")?,
        reporter_name: r.try_get("reporter_name")?,
        reporter_contact: r.try_get("reporter_contact")?,
        source: parse_enum("incident source", r.try_get("source")?, DetectionSource::parse)?,
        incident_type: parse_enum("incident type", r.try_get("incident_type")?, IncidentType::parse)?,
        severity: parse_enum("incident severity", r.try_get("severity")?, Severity::parse)?,
        beyond_capacity: flag(r, "beyond_capacity")?,
        national_security_signs: flag(r, "national_security_signs")?,
        serious_interruption: flag(r, "serious_interruption")?,
        status: parse_enum("incident status", r.try_get("status")?, Status::parse)?,
        pd_impact: parse_enum("personal data impact", r.try_get("pd_impact")?, PersonalDataImpact::parse)?,
        pd_subjects: r.try_get("pd_subjects")?,
        pd_confirmed_at: r.try_get("pd_confirmed_at")?,
        regime: r.try_get("regime")?,
        unit_id: r.try_get("unit_id")?,
        unit_name: r.try_get("unit_name")?,
        unit_path: r.try_get("unit_path")?,
        origin: r.try_get("origin")?,
        hunt_id: r.try_get("hunt_id")?,
        recovered_at: r.try_get("recovered_at")?,
        closed_at: r.try_get("closed_at")?,
        created_by: r.try_get("created_by")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

fn invalid(field: &'static str, key: &'static str) -> StoreError {
    StoreError::Invalid(Invalid {
        errors: vec![FieldError {
            field,
            key,
            detail: String::new(),
        }],
    })
}

/// Evaluates `$op` (an `.await`ed write) again when it lost the race for the next
/// reference number (two incidents created at the same moment on PostgreSQL): the
/// unique index refuses the second, its whole transaction is rolled back, and the
/// retry reads the new maximum. (A macro, not a function taking an async closure:
/// such futures are not `Send` for every lifetime, which axum handlers need.)
macro_rules! retry_reference {
    ($op:expr) => {{
        let mut tries = 0;
        loop {
            match $op {
                Err($crate::StoreError::Conflict("incident.err_reference")) if tries < 5 => tries += 1,
                other => break other,
            }
        }
    }};
}
pub(crate) use retry_reference;

/// How an incident comes to be, for [`Scoped::insert_incident`].
pub(crate) struct Origin<'a> {
    pub kind: &'a str,
    /// The reporting unit (id, path).
    pub unit: Option<(String, String)>,
    pub hunt_id: Option<&'a str>,
}

impl Scoped<'_> {
    /// The one tenancy rule of incidents: province roles see them all; a unit those it
    /// created, those that affect it and those shared with it.
    pub(crate) fn restrict_incidents(&self, sql: &mut Sql, id_expr: &str) {
        self.restrict_linked(sql, id_expr, &LINKS);
    }

    /// The incident, if this principal may see it (`NotFound` otherwise).
    pub async fn incident(&self, id: &str) -> Result<Incident> {
        let mut sql = Sql::new(&format!("SELECT {COLS} FROM incidents i LEFT JOIN units u ON u.id = i.unit_id WHERE i.id = "));
        sql.text(id);
        self.restrict_incidents(&mut sql, "i.id");
        let row = sql.query().opt(self).await?.ok_or(StoreError::NotFound)?;
        from_row(&row)
    }

    /// How this principal stands to a visible incident.
    pub async fn incident_relation(&self, i: &Incident) -> Result<Relation> {
        if matches!(self.scope, khien_domain::Scope::Province) {
            return Ok(Relation::Team);
        }
        // Involved: created by or affecting a unit in scope (not only shared with it).
        let mut sql = Sql::new("SELECT 1 AS x FROM incidents i WHERE i.id = ");
        sql.text(i.id.clone());
        self.restrict_linked(&mut sql, "i.id", &LINKS[..2]);
        let involved = sql.query().opt(self).await?.is_some();
        Ok(if involved { Relation::Involved } else { Relation::Shared })
    }

    pub async fn incident_actor(&self, i: &Incident) -> Result<Actor> {
        Ok(Actor {
            role: self.principal.role,
            relation: self.incident_relation(i).await?,
        })
    }

    pub async fn incidents(&self, f: &IncidentFilter, per_page: i64) -> Result<Page<Incident>> {
        let mut base = Sql::new(" WHERE 1=1");
        self.restrict_incidents(&mut base, "i.id");
        if let Some(s) = Status::parse(&f.status) {
            base.push(" AND i.status = ").text(s.as_str());
        }
        if let Some(s) = Severity::parse(&f.severity) {
            base.push(" AND i.severity = ").text(s.as_str());
        }
        if !f.unit_id.trim().is_empty() {
            let u = f.unit_id.trim().to_string();
            base.push(" AND i.id IN (SELECT id FROM incidents WHERE unit_id = ")
                .text(u.clone())
                .push(" UNION SELECT incident_id FROM incident_units WHERE unit_id = ")
                .text(u)
                .push(")");
        }
        let select = format!("SELECT {COLS} FROM incidents i LEFT JOIN units u ON u.id = i.unit_id");
        crate::NewestFirst {
            select: &select,
            count_from: "SELECT 1 FROM incidents i",
            table: "incidents",
            alias: "i",
            at: "created_at",
        }
        .page(self, base, crate::Wanted { after: &f.after, page: f.page, per_page }, from_row, |i: &Incident| i.id.clone())
        .await
    }

    /// The incident with its parts; affected systems' names and levels are read as
    /// the platform (a visible incident shows every system it affects).
    pub async fn incident_detail(&self, id: &str) -> Result<IncidentDetail> {
        let incident = self.incident(id).await?;
        let bind = |q: &'static str| sqlx::query(q).bind(id.to_string());
        let units = bind("SELECT u.id, u.name FROM incident_units x JOIN units u ON u.id = x.unit_id WHERE x.incident_id = $1 ORDER BY u.name_norm")
            .all(self)
            .await?
            .iter()
            .map(|r| Ok(AffectedUnit { id: r.try_get("id")?, name: r.try_get("name")? }))
            .collect::<Result<Vec<_>>>()?;
        let mut systems = Vec::new();
        for r in bind("SELECT s.id, s.name, ou.name AS owner_name FROM incident_systems x JOIN systems s ON s.id = x.system_id JOIN units ou ON ou.id = s.owner_unit_id WHERE x.incident_id = $1 ORDER BY s.name_norm")
            .all(self)
            .await?
        {
            let sid: String = r.try_get("id")?;
            let basis = self.as_platform().plan_basis(&sid).await?;
            systems.push(AffectedSystem {
                name: r.try_get("name")?,
                owner_unit_name: r.try_get("owner_name")?,
                level: basis.as_ref().map(|b| b.level),
                level_approved: basis.is_some_and(|b| b.approved),
                id: sid,
            });
        }
        let shares = bind("SELECT x.unit_id, u.name, x.shared_by, x.shared_at FROM incident_shares x JOIN units u ON u.id = x.unit_id WHERE x.incident_id = $1 ORDER BY x.shared_at")
            .all(self)
            .await?
            .iter()
            .map(|r| {
                Ok(Share {
                    unit_id: r.try_get("unit_id")?,
                    unit_name: r.try_get("name")?,
                    shared_by: r.try_get("shared_by")?,
                    shared_at: r.try_get("shared_at")?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let observables = self.observables_of(id).await?;
        let tasks = bind("SELECT t.id, t.title, t.assignee_id, us.display_name, t.due_date, t.state, t.created_by, t.created_at FROM incident_tasks t LEFT JOIN users us ON us.id = t.assignee_id WHERE t.incident_id = $1 ORDER BY t.created_at, t.id")
            .all(self)
            .await?
            .iter()
            .map(|r| {
                Ok(Task {
                    id: r.try_get("id")?,
                    title: r.try_get("title")?,
                    assignee_id: r.try_get("assignee_id")?,
                    assignee_name: r.try_get("display_name")?,
                    due_date: r.try_get("due_date")?,
                    state: parse_enum("task state", r.try_get("state")?, TaskState::parse)?,
                    created_by: r.try_get("created_by")?,
                    created_at: r.try_get("created_at")?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let timeline = self.timeline_of(id, false).await?;
        let mut evidence = Vec::new();
        for r in bind("SELECT id, name, sha256, size, description, created_by, created_at FROM incident_evidence WHERE incident_id = $1 ORDER BY created_at, id")
            .all(self)
            .await?
        {
            let eid: String = r.try_get("id")?;
            let custody = sqlx::query("SELECT at, actor, action, note FROM evidence_custody WHERE evidence_id = $1 ORDER BY at, id")
                .bind(eid.clone())
                .all(self)
                .await?
                .iter()
                .map(|c| {
                    Ok(CustodyEntry {
                        at: c.try_get("at")?,
                        actor: c.try_get("actor")?,
                        action: parse_enum("custody action", c.try_get("action")?, CustodyAction::parse)?,
                        note: c.try_get("note")?,
                    })
                })
                .collect::<Result<Vec<_>>>()?;
            evidence.push(Evidence {
                id: eid,
                name: r.try_get("name")?,
                sha256: r.try_get("sha256")?,
                size: r.try_get("size")?,
                description: r.try_get("description")?,
                created_by: r.try_get("created_by")?,
                created_at: r.try_get("created_at")?,
                custody,
            });
        }
        let comments = bind("SELECT id, body, created_by, created_at FROM incident_comments WHERE incident_id = $1 ORDER BY created_at, id")
            .all(self)
            .await?
            .iter()
            .map(|r| {
                Ok(Comment {
                    id: r.try_get("id")?,
                    body: r.try_get("body")?,
                    created_by: r.try_get("created_by")?,
                    created_at: r.try_get("created_at")?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(IncidentDetail {
            incident,
            units,
            systems,
            shares,
            observables,
            tasks,
            timeline,
            evidence,
            comments,
        })
    }

    async fn observables_of(&self, id: &str) -> Result<Vec<Observable>> {
        sqlx::query("SELECT id, kind, value, tlp, note, created_by, created_at FROM incident_observables WHERE incident_id = $1 ORDER BY kind, value")
            .bind(id.to_string())
            .all(self)
            .await?
            .iter()
            .map(|r| {
                Ok(Observable {
                    id: r.try_get("id")?,
                    kind: parse_enum("observable kind", r.try_get("kind")?, ObservableKind::parse)?,
                    value: r.try_get("value")?,
                    tlp: parse_enum("tlp", r.try_get("tlp")?, Tlp::parse)?,
                    note: r.try_get("note")?,
                    created_by: r.try_get("created_by")?,
                    created_at: r.try_get("created_at")?,
                })
            })
            .collect()
    }

    /// The timeline (only its public notes with `public_only`), oldest first.
    pub(crate) async fn timeline_of(&self, id: &str, public_only: bool) -> Result<Vec<TimelineEntry>> {
        let q = if public_only {
            "SELECT t.id, t.at, t.text, t.system_id, NULL AS system_name, t.observable_id, NULL AS observable, t.public, t.created_by FROM incident_timeline t WHERE t.incident_id = $1 AND t.public = 1 ORDER BY t.at, t.id"
        } else {
            "SELECT t.id, t.at, t.text, t.system_id, s.name AS system_name, t.observable_id, o.value AS observable, t.public, t.created_by FROM incident_timeline t LEFT JOIN systems s ON s.id = t.system_id LEFT JOIN incident_observables o ON o.id = t.observable_id WHERE t.incident_id = $1 ORDER BY t.at, t.id"
        };
        sqlx::query(q)
            .bind(id.to_string())
            .all(self)
            .await?
            .iter()
            .map(|r| {
                Ok(TimelineEntry {
                    id: r.try_get("id")?,
                    at: r.try_get("at")?,
                    text: r.try_get("text")?,
                    system_id: r.try_get("system_id")?,
                    system_name: r.try_get("system_name")?,
                    observable_id: r.try_get("observable_id")?,
                    observable: r.try_get("observable")?,
                    public: flag(r, "public")?,
                    created_by: r.try_get("created_by")?,
                })
            })
            .collect()
    }

    /// The people a task of this incident may be given to: the response team and the
    /// active users of the incident's reporting and affected units.
    pub async fn incident_assignees(&self, id: &str) -> Result<Vec<Assignee>> {
        self.incident(id).await?;
        sqlx::query("SELECT us.id, us.display_name, un.name AS unit_name FROM users us JOIN units un ON un.id = us.unit_id WHERE us.active = 1 AND (us.role IN ('responder', 'province_admin') OR us.unit_id IN (SELECT unit_id FROM incidents WHERE id = $1 AND unit_id IS NOT NULL UNION SELECT unit_id FROM incident_units WHERE incident_id = $1)) ORDER BY us.display_name LIMIT 500")
            .bind(id.to_string())
            .all(self)
            .await?
            .iter()
            .map(|r| {
                Ok(Assignee {
                    id: r.try_get("id")?,
                    display_name: r.try_get("display_name")?,
                    unit_name: r.try_get("unit_name")?,
                })
            })
            .collect()
    }

    /// Inserts a new incident (status `reported`) with its affected systems and their
    /// owner units, inside `tx`, audited. The reference is the next of the Vietnamese
    /// year; a concurrent twin makes the unique index refuse (see [`retry_reference`]).
    pub(crate) async fn insert_incident(&self, tx: &mut WriteTx, f: &IncidentFields, origin: Origin<'_>) -> Result<(String, String)> {
        let now = tx.at().to_string();
        let year = parse_rfc3339(&now)
            .map(|t| khien_domain::time_fmt::vn_date(t).year())
            .ok_or(StoreError::Corrupt("clock", now.clone()))?;
        let seq: i64 = sqlx::query("SELECT COALESCE(MAX(ref_seq), 0) AS n FROM incidents WHERE ref_year = $1")
            .bind(i64::from(year))
            .one(&self.within(tx))
            .await?
            .try_get("n")?;
        let seq = seq + 1;
        let reference = rules::reference(year, seq);
        let id = new_id();
        let detected = to_rfc3339(rules::to_minute(f.detected_at));
        let (unit_id, unit_path) = match &origin.unit {
            Some((id, path)) => (Some(id.clone()), path.clone()),
            None => (None, "/".to_string()),
        };
        sqlx::query("INSERT INTO incidents (id, reference, ref_year, ref_seq, title, title_norm, description, detected_at, reporter_name, reporter_contact, source, incident_type, severity, beyond_capacity, national_security_signs, serious_interruption, status, pd_impact, pd_subjects, pd_confirmed_at, regime, unit_id, origin, hunt_id, created_by, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, 'reported', $17, $18, $19, $20, $21, $22, $23, $24, $25, $25)")
            .bind(id.clone())
            .bind(reference.clone())
            .bind(i64::from(year))
            .bind(seq)
            .bind(f.title.clone())
            .bind(khien_domain::text::fold(&f.title))
            .bind(f.description.clone())
            .bind(detected.clone())
            .bind(f.reporter_name.clone())
            .bind(f.reporter_contact.clone())
            .bind(f.source.as_str().to_string())
            .bind(f.incident_type.as_str().to_string())
            .bind(f.severity.as_str().to_string())
            .bind(i16::from(f.beyond_capacity))
            .bind(i16::from(f.national_security_signs))
            .bind(i16::from(f.serious_interruption))
            .bind(f.pd_impact.as_str().to_string())
            .bind(f.pd_subjects)
            .bind(f.pd_confirmed_at.map(|t| to_rfc3339(rules::to_minute(t))))
            .bind(f.regime.to_string())
            .bind(unit_id.clone())
            .bind(origin.kind.to_string())
            .bind(origin.hunt_id.map(String::from))
            .bind(self.principal.username.clone())
            .bind(now.clone())
            .run(tx)
            .await
            // The reference taken by a concurrent twin (retried), or the hunt's incident
            // already opened (the retry then finds the hunt concluded).
            .map_err(|e| StoreError::unique(e, "incident.err_reference"))?;
        let mut affected_units = Vec::new();
        for sid in &f.systems {
            let s = self.within(tx).system(sid).await.map_err(|e| match e {
                StoreError::NotFound => invalid("systems", "incident.err_system"),
                other => other,
            })?;
            sqlx::query("INSERT INTO incident_systems (incident_id, system_id, added_by, added_at) VALUES ($1, $2, $3, $4)")
                .bind(id.clone())
                .bind(sid.clone())
                .bind(self.principal.username.clone())
                .bind(now.clone())
                .run(tx)
                .await?;
            if !affected_units.contains(&s.fields.owner_unit_id) {
                affected_units.push(s.fields.owner_unit_id.clone());
            }
        }
        for u in &affected_units {
            sqlx::query("INSERT INTO incident_units (incident_id, unit_id, added_by, added_at) VALUES ($1, $2, $3, $4)")
                .bind(id.clone())
                .bind(u.clone())
                .bind(self.principal.username.clone())
                .bind(now.clone())
                .run(tx)
                .await?;
        }
        tx.record(
            "create",
            "incident",
            &id,
            (unit_id.as_deref().unwrap_or(""), &unit_path),
            None::<&()>,
            Some(&serde_json::json!({
                "reference": reference, "title": f.title, "detected_at": detected,
                "source": f.source, "type": f.incident_type, "severity": f.severity,
                "regime": f.regime, "pd_impact": f.pd_impact, "pd_subjects": f.pd_subjects,
                "systems": f.systems, "units": affected_units, "origin": origin.kind, "hunt": origin.hunt_id,
            })),
        )
        .await?;
        Ok((id, reference))
    }

    /// The incident a hunt concluded "suspicious" opens, inside the conclusion's own
    /// transaction: the hunt's unit reports it, its systems are affected, and its first
    /// [`HUNT_DETECTIONS_TAKEN`] detections become timeline entries and observables. The
    /// unique index on `hunt_id` makes it one incident per hunt whatever happens.
    pub(crate) async fn open_incident_for_hunt(&self, tx: &mut WriteTx, h: &crate::hunts::Hunt, unit: (String, String), note: Option<&str>) -> Result<String> {
        let now = self.store.now();
        let f = IncidentFields {
            title: h.title.chars().take(rules::TITLE_MAX).collect(),
            description: note.unwrap_or_default().to_string(),
            detected_at: now,
            reporter_name: self.principal.display_name.clone(),
            reporter_contact: None,
            source: DetectionSource::Hunt,
            incident_type: IncidentType::Other,
            severity: Severity::Normal,
            beyond_capacity: false,
            national_security_signs: false,
            serious_interruption: false,
            pd_impact: PersonalDataImpact::None,
            pd_subjects: None,
            pd_confirmed_at: None,
            regime: rules::regime_on(khien_domain::time_fmt::vn_date(now)),
            systems: h.systems.iter().map(|(id, _)| id.clone()).collect(),
        };
        // The hunt's systems were checked against its creator's scope when it was
        // queued; whoever concludes it may see it through one system only.
        let (id, _) = self.with_scope(khien_domain::Scope::Province).insert_incident(tx, &f, Origin { kind: "hunt", unit: Some(unit), hunt_id: Some(&h.id) }).await?;
        let rows = sqlx::query("SELECT ts, computer, rule_title, level, matched_json FROM hunt_detections WHERE hunt_id = $1 ORDER BY position LIMIT $2")
            .bind(h.id.clone())
            .bind(HUNT_DETECTIONS_TAKEN)
            .all(&self.within(tx))
            .await?;
        let at_default = to_rfc3339(rules::to_minute(now));
        let mut observables = 0usize;
        for r in &rows {
            let ts: Option<String> = r.try_get("ts")?;
            let at = ts
                .as_deref()
                .and_then(parse_rfc3339)
                .map(to_rfc3339)
                .unwrap_or_else(|| at_default.clone());
            let computer: String = r.try_get("computer")?;
            let rule: String = r.try_get("rule_title")?;
            let level: String = r.try_get("level")?;
            let text = if computer.is_empty() { format!("{rule} [{level}]") } else { format!("{rule} [{level}] — {computer}") };
            self.insert_timeline(tx, &id, &at, &text, None, None, false).await?;
            let matched: String = r.try_get("matched_json")?;
            let matched: serde_json::Value = serde_json::from_str(&matched).unwrap_or_default();
            for (kind, value) in rules::observables_in_detection(&matched) {
                if self.insert_observable(tx, &id, kind, &value, Tlp::Amber, &rule).await?.is_some() {
                    observables += 1;
                }
            }
        }
        let (unit_id, unit_path) = sqlx::query("SELECT i.unit_id, u.path FROM incidents i JOIN units u ON u.id = i.unit_id WHERE i.id = $1")
            .bind(id.clone())
            .one(&self.within(tx))
            .await
            .and_then(|r| Ok((r.try_get::<String, _>("unit_id")?, r.try_get::<String, _>("path")?)))?;
        tx.record("from_hunt", "incident", &id, (&unit_id, &unit_path), None::<&()>, Some(&serde_json::json!({ "hunt": h.id, "timeline": rows.len(), "observables": observables }))).await?;
        Ok(id)
    }

    /// A staff report: the reporting unit is the principal's own.
    pub async fn create_incident(&self, f: &IncidentFields) -> Result<String> {
        rules::may_report(self.principal.role).map_err(StoreError::refused)?;
        retry_reference!(self.create_once(f).await)
    }

    async fn create_once(&self, f: &IncidentFields) -> Result<String> {
        let mut tx = self.write().await?;
        let unit = if self.principal.unit_id.is_empty() {
            None
        } else {
            Some((self.principal.unit_id.clone(), self.principal.unit_path.clone()))
        };
        let (id, _) = self.insert_incident(&mut tx, f, Origin { kind: "staff", unit, hunt_id: None }).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// The incident as read inside `tx`, with this principal's standing to it.
    async fn for_write(&self, tx: &WriteTx, id: &str) -> Result<(Incident, Actor)> {
        let r = self.within(tx);
        let i = r.incident(id).await?;
        let a = r.incident_actor(&i).await?;
        Ok((i, a))
    }

    /// The audit unit of an incident: its reporting unit, or the province's.
    pub(crate) fn audit_unit(i: &Incident) -> (String, String) {
        (
            i.unit_id.clone().unwrap_or_default(),
            i.unit_path.clone().unwrap_or_else(|| "/".into()),
        )
    }

    async fn touch(&self, tx: &WriteTx, id: &str) -> Result<()> {
        sqlx::query("UPDATE incidents SET updated_at = $1 WHERE id = $2")
            .bind(tx.at().to_string())
            .bind(id.to_string())
            .run(tx)
            .await?;
        Ok(())
    }

    /// Moves the incident one step, if the machine has the step and this principal may
    /// make it; conditional on the status read, so two clicks record one change.
    pub async fn transition_incident(&self, id: &str, to: &str, note: &str) -> Result<Status> {
        let to = Status::parse(to).ok_or(StoreError::Conflict("incident.err_transition"))?;
        let mut tx = self.write().await?;
        let (i, a) = self.for_write(&tx, id).await?;
        rules::may_transition(a, i.status, to, note).map_err(StoreError::refused)?;
        let now = tx.at().to_string();
        let changed = sqlx::query("UPDATE incidents SET status = $1, updated_at = $2, recovered_at = CASE WHEN $1 = 'recovered' AND recovered_at IS NULL THEN $2 ELSE recovered_at END, closed_at = CASE WHEN $1 = 'closed' THEN $2 ELSE closed_at END WHERE id = $3 AND status = $4")
            .bind(to.as_str().to_string())
            .bind(now.clone())
            .bind(id.to_string())
            .bind(i.status.as_str().to_string())
            .run(&tx)
            .await?;
        crate::one_row(changed)?;
        let note = note.trim();
        if !note.is_empty() {
            self.insert_timeline(&tx, id, &now, note, None, None, false).await?;
        }
        let unit = Self::audit_unit(&i);
        tx.record(
            "status",
            "incident",
            id,
            (&unit.0, &unit.1),
            Some(&serde_json::json!({ "status": i.status })),
            Some(&serde_json::json!({ "status": to, "note": note })),
        )
        .await?;
        tx.commit().await?;
        Ok(to)
    }

    #[allow(clippy::too_many_arguments)]
    async fn insert_timeline(
        &self,
        tx: &WriteTx,
        id: &str,
        at: &str,
        text: &str,
        system_id: Option<&str>,
        observable_id: Option<&str>,
        public: bool,
    ) -> Result<String> {
        let tid = new_id();
        sqlx::query("INSERT INTO incident_timeline (id, incident_id, at, text, system_id, observable_id, public, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)")
            .bind(tid.clone())
            .bind(id.to_string())
            .bind(at.to_string())
            .bind(text.to_string())
            .bind(system_id.map(String::from))
            .bind(observable_id.map(String::from))
            .bind(i16::from(public))
            .bind(self.principal.username.clone())
            .bind(tx.at().to_string())
            .run(tx)
            .await?;
        Ok(tid)
    }

    /// Adds an observable (normalised; the same one twice is refused by field).
    pub async fn add_observable(&self, id: &str, o: &ObservableIn) -> Result<String> {
        let mut e = Invalid::default();
        let kind = ObservableKind::parse(&o.kind);
        if kind.is_none() {
            e.push("observable_kind", "err.choice", "");
        }
        let value = kind.map(|k| rules::normalise_observable(k, &o.value));
        if let Some(Err(key)) = value {
            e.push("value", key, "");
        }
        let tlp = if o.tlp.trim().is_empty() { Some(Tlp::Amber) } else { Tlp::parse(&o.tlp) };
        if tlp.is_none() {
            e.push("tlp", "err.choice", "");
        }
        let note = khien_domain::error::optional_text(&mut e, "note", &o.note, 1000).unwrap_or_default();
        let (Some(kind), Some(Ok(value)), Some(tlp)) = (kind, value, tlp) else {
            return Err(StoreError::Invalid(e));
        };
        if !e.is_empty() {
            return Err(StoreError::Invalid(e));
        }
        let mut tx = self.write().await?;
        let (i, a) = self.for_write(&tx, id).await?;
        rules::may_work(a).map_err(StoreError::refused)?;
        let oid = self
            .insert_observable(&tx, id, kind, &value, tlp, &note)
            .await?
            .ok_or_else(|| invalid("value", "observable.err_duplicate"))?;
        self.touch(&tx, id).await?;
        let unit = Self::audit_unit(&i);
        tx.record("observable", "incident", id, (&unit.0, &unit.1), None::<&()>, Some(&serde_json::json!({ "kind": kind, "value": value, "tlp": tlp, "note": note }))).await?;
        tx.commit().await?;
        Ok(oid)
    }

    /// Inserts an observable unless the incident has it already (`None` then).
    pub(crate) async fn insert_observable(&self, tx: &WriteTx, id: &str, kind: ObservableKind, value: &str, tlp: Tlp, note: &str) -> Result<Option<String>> {
        let exists = sqlx::query("SELECT id FROM incident_observables WHERE incident_id = $1 AND kind = $2 AND value = $3")
            .bind(id.to_string())
            .bind(kind.as_str().to_string())
            .bind(value.to_string())
            .opt(&self.within(tx))
            .await?;
        if exists.is_some() {
            return Ok(None);
        }
        let oid = new_id();
        sqlx::query("INSERT INTO incident_observables (id, incident_id, kind, value, tlp, note, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
            .bind(oid.clone())
            .bind(id.to_string())
            .bind(kind.as_str().to_string())
            .bind(value.to_string())
            .bind(tlp.as_str().to_string())
            .bind(note.to_string())
            .bind(self.principal.username.clone())
            .bind(tx.at().to_string())
            .run(tx)
            .await
            .map_err(|e| StoreError::unique(e, "err.concurrent"))?;
        Ok(Some(oid))
    }

    pub async fn add_task(&self, id: &str, t: &TaskIn) -> Result<String> {
        let mut e = Invalid::default();
        let title = khien_domain::error::required_text(&mut e, "title", &t.title, 300);
        let due = khien_domain::error::date_field(&mut e, "due_date", &t.due_date, false).map(khien_domain::time_fmt::iso_date);
        if !e.is_empty() {
            return Err(StoreError::Invalid(e));
        }
        let mut tx = self.write().await?;
        let (i, a) = self.for_write(&tx, id).await?;
        rules::may_work(a).map_err(StoreError::refused)?;
        let assignee = Some(t.assignee_id.trim().to_string()).filter(|s| !s.is_empty());
        if let Some(uid) = &assignee
            && !self.within(&tx).incident_assignees(id).await?.iter().any(|p| &p.id == uid)
        {
            return Err(invalid("assignee_id", "incident.err_assignee"));
        }
        let tid = new_id();
        let now = tx.at().to_string();
        sqlx::query("INSERT INTO incident_tasks (id, incident_id, title, assignee_id, due_date, state, created_by, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, 'open', $6, $7, $7)")
            .bind(tid.clone())
            .bind(id.to_string())
            .bind(title.clone())
            .bind(assignee.clone())
            .bind(due.clone())
            .bind(self.principal.username.clone())
            .bind(now)
            .run(&tx)
            .await?;
        self.touch(&tx, id).await?;
        let unit = Self::audit_unit(&i);
        tx.record("task", "incident", id, (&unit.0, &unit.1), None::<&()>, Some(&serde_json::json!({ "task": tid, "title": title, "assignee": assignee, "due_date": due }))).await?;
        tx.commit().await?;
        Ok(tid)
    }

    /// A task's state, conditional on the state read.
    pub async fn set_task_state(&self, id: &str, task_id: &str, state: &str) -> Result<()> {
        let state = TaskState::parse(state).ok_or_else(|| invalid("state", "err.choice"))?;
        let mut tx = self.write().await?;
        let (i, a) = self.for_write(&tx, id).await?;
        rules::may_work(a).map_err(StoreError::refused)?;
        let row = sqlx::query("SELECT state FROM incident_tasks WHERE id = $1 AND incident_id = $2")
            .bind(task_id.to_string())
            .bind(id.to_string())
            .one(&self.within(&tx))
            .await?;
        let before: String = row.try_get("state")?;
        let changed = sqlx::query("UPDATE incident_tasks SET state = $1, updated_at = $2 WHERE id = $3 AND incident_id = $4 AND state = $5")
            .bind(state.as_str().to_string())
            .bind(tx.at().to_string())
            .bind(task_id.to_string())
            .bind(id.to_string())
            .bind(before.clone())
            .run(&tx)
            .await?;
        crate::one_row(changed)?;
        let unit = Self::audit_unit(&i);
        tx.record("task_state", "incident", id, (&unit.0, &unit.1), Some(&serde_json::json!({ "task": task_id, "state": before })), Some(&serde_json::json!({ "task": task_id, "state": state }))).await?;
        tx.commit().await
    }

    pub async fn add_timeline(&self, id: &str, t: &TimelineIn) -> Result<String> {
        let mut e = Invalid::default();
        let text = khien_domain::error::required_text(&mut e, "text", &t.text, 5000);
        let now = self.store.now();
        let at = if t.at.trim().is_empty() {
            Some(rules::to_minute(now))
        } else {
            match rules::parse_local_minute(&t.at) {
                Some(at) if at <= now => Some(at),
                Some(_) => {
                    e.push("at", "incident.err_future", rules::local_minute_text(now));
                    None
                }
                None => {
                    e.push("at", "incident.err_datetime", "");
                    None
                }
            }
        };
        let (Some(at), true) = (at, e.is_empty()) else {
            return Err(StoreError::Invalid(e));
        };
        let at = to_rfc3339(at);
        let mut tx = self.write().await?;
        let (i, a) = self.for_write(&tx, id).await?;
        rules::may_work(a).map_err(StoreError::refused)?;
        let system = Some(t.system_id.trim()).filter(|s| !s.is_empty());
        if let Some(s) = system {
            let linked = sqlx::query("SELECT 1 AS x FROM incident_systems WHERE incident_id = $1 AND system_id = $2")
                .bind(id.to_string())
                .bind(s.to_string())
                .opt(&self.within(&tx))
                .await?;
            if linked.is_none() {
                return Err(invalid("system_id", "incident.err_system"));
            }
        }
        let observable = Some(t.observable_id.trim()).filter(|s| !s.is_empty());
        if let Some(o) = observable {
            let linked = sqlx::query("SELECT 1 AS x FROM incident_observables WHERE incident_id = $1 AND id = $2")
                .bind(id.to_string())
                .bind(o.to_string())
                .opt(&self.within(&tx))
                .await?;
            if linked.is_none() {
                return Err(invalid("observable_id", "incident.err_observable"));
            }
        }
        let public = matches!(t.public.trim(), "1" | "on" | "true");
        let tid = self.insert_timeline(&tx, id, &at, &text, system, observable, public).await?;
        self.touch(&tx, id).await?;
        let unit = Self::audit_unit(&i);
        tx.record("timeline", "incident", id, (&unit.0, &unit.1), None::<&()>, Some(&serde_json::json!({ "entry": tid, "at": at, "text": text, "system": system, "observable": observable, "public": public }))).await?;
        tx.commit().await?;
        Ok(tid)
    }

    /// An affected system (and its owner unit) added to the incident; the system must
    /// be one this principal sees.
    pub async fn add_affected_system(&self, id: &str, system_id: &str) -> Result<()> {
        let mut tx = self.write().await?;
        let (i, a) = self.for_write(&tx, id).await?;
        rules::may_work(a).map_err(StoreError::refused)?;
        let s = self.within(&tx).system(system_id).await.map_err(|e| match e {
            StoreError::NotFound => invalid("system_id", "incident.err_system"),
            other => other,
        })?;
        let now = tx.at().to_string();
        let linked = sqlx::query("SELECT 1 AS x FROM incident_systems WHERE incident_id = $1 AND system_id = $2")
            .bind(id.to_string())
            .bind(system_id.to_string())
            .opt(&self.within(&tx))
            .await?;
        if linked.is_some() {
            return Err(invalid("system_id", "incident.err_system_listed"));
        }
        sqlx::query("INSERT INTO incident_systems (incident_id, system_id, added_by, added_at) VALUES ($1, $2, $3, $4)")
            .bind(id.to_string())
            .bind(system_id.to_string())
            .bind(self.principal.username.clone())
            .bind(now.clone())
            .run(&tx)
            .await
            .map_err(|e| StoreError::unique(e, "err.concurrent"))?;
        let unit_listed = sqlx::query("SELECT 1 AS x FROM incident_units WHERE incident_id = $1 AND unit_id = $2")
            .bind(id.to_string())
            .bind(s.fields.owner_unit_id.clone())
            .opt(&self.within(&tx))
            .await?;
        if unit_listed.is_none() {
            sqlx::query("INSERT INTO incident_units (incident_id, unit_id, added_by, added_at) VALUES ($1, $2, $3, $4)")
                .bind(id.to_string())
                .bind(s.fields.owner_unit_id.clone())
                .bind(self.principal.username.clone())
                .bind(now)
                .run(&tx)
                .await
                .map_err(|e| StoreError::unique(e, "err.concurrent"))?;
        }
        self.touch(&tx, id).await?;
        let unit = Self::audit_unit(&i);
        tx.record("affected", "incident", id, (&unit.0, &unit.1), None::<&()>, Some(&serde_json::json!({ "system": system_id, "unit": s.fields.owner_unit_id }))).await?;
        tx.commit().await
    }

    /// Shares the incident with a unit (the team's act; audited as `share`).
    pub async fn share_incident(&self, id: &str, unit_id: &str) -> Result<()> {
        let mut tx = self.write().await?;
        let (i, a) = self.for_write(&tx, id).await?;
        rules::may_share(a).map_err(StoreError::refused)?;
        let u = self.within(&tx).unit(unit_id).await.map_err(|e| match e {
            StoreError::NotFound => invalid("unit_id", "incident.err_unit"),
            other => other,
        })?;
        let shared = sqlx::query("SELECT 1 AS x FROM incident_shares WHERE incident_id = $1 AND unit_id = $2")
            .bind(id.to_string())
            .bind(unit_id.to_string())
            .opt(&self.within(&tx))
            .await?;
        if shared.is_some() {
            return Err(invalid("unit_id", "incident.err_shared_already"));
        }
        sqlx::query("INSERT INTO incident_shares (incident_id, unit_id, shared_by, shared_at) VALUES ($1, $2, $3, $4)")
            .bind(id.to_string())
            .bind(unit_id.to_string())
            .bind(self.principal.username.clone())
            .bind(tx.at().to_string())
            .run(&tx)
            .await
            .map_err(|e| StoreError::unique(e, "err.concurrent"))?;
        let unit = Self::audit_unit(&i);
        tx.record("share", "incident", id, (&unit.0, &unit.1), None::<&()>, Some(&serde_json::json!({ "unit": unit_id, "unit_name": u.fields.name }))).await?;
        tx.commit().await
    }

    pub async fn add_comment(&self, id: &str, body: &str) -> Result<()> {
        let mut e = Invalid::default();
        let body = khien_domain::error::required_text(&mut e, "body", body, 10_000);
        if !e.is_empty() {
            return Err(StoreError::Invalid(e));
        }
        let mut tx = self.write().await?;
        let (i, a) = self.for_write(&tx, id).await?;
        rules::may_comment(a).map_err(StoreError::refused)?;
        let cid = new_id();
        sqlx::query("INSERT INTO incident_comments (id, incident_id, body, created_by, created_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(cid.clone())
            .bind(id.to_string())
            .bind(body.clone())
            .bind(self.principal.username.clone())
            .bind(tx.at().to_string())
            .run(&tx)
            .await?;
        let unit = Self::audit_unit(&i);
        tx.record("comment", "incident", id, (&unit.0, &unit.1), None::<&()>, Some(&serde_json::json!({ "comment": cid, "body": body }))).await?;
        tx.commit().await
    }

    /// Evidence: a stored file linked to the incident, its chain of custody opened with
    /// "collected" by whoever uploaded it.
    pub async fn add_evidence_file(&self, id: &str, file: &crate::blobs::StoredFile, description: &str) -> Result<String> {
        let mut e = Invalid::default();
        let description = khien_domain::error::optional_text(&mut e, "description", description, 2000).unwrap_or_default();
        if !e.is_empty() {
            return Err(StoreError::Invalid(e));
        }
        let mut tx = self.write().await?;
        let (i, a) = self.for_write(&tx, id).await?;
        rules::may_work(a).map_err(StoreError::refused)?;
        let eid = new_id();
        let now = tx.at().to_string();
        let name: String = file.filename.chars().filter(|c| !c.is_control() && *c != '/' && *c != '\\').take(200).collect();
        let size = i64::try_from(file.size).unwrap_or(i64::MAX);
        sqlx::query("INSERT INTO incident_evidence (id, incident_id, name, sha256, size, description, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
            .bind(eid.clone())
            .bind(id.to_string())
            .bind(name.clone())
            .bind(file.sha256.clone())
            .bind(size)
            .bind(description.clone())
            .bind(self.principal.username.clone())
            .bind(now.clone())
            .run(&tx)
            .await?;
        self.insert_custody(&tx, &eid, CustodyAction::Collected, "").await?;
        self.touch(&tx, id).await?;
        let unit = Self::audit_unit(&i);
        tx.record("evidence", "incident", id, (&unit.0, &unit.1), None::<&()>, Some(&serde_json::json!({ "evidence": eid, "name": name, "sha256": file.sha256, "size": size, "description": description }))).await?;
        tx.commit().await?;
        Ok(eid)
    }

    async fn insert_custody(&self, tx: &WriteTx, evidence_id: &str, action: CustodyAction, note: &str) -> Result<()> {
        sqlx::query("INSERT INTO evidence_custody (id, evidence_id, at, actor, action, note) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(new_id())
            .bind(evidence_id.to_string())
            .bind(tx.at().to_string())
            .bind(self.principal.username.clone())
            .bind(action.as_str().to_string())
            .bind(note.to_string())
            .run(tx)
            .await?;
        Ok(())
    }

    /// One more link of an evidence file's chain of custody (who, when, what).
    pub async fn add_custody(&self, id: &str, evidence_id: &str, action: &str, note: &str) -> Result<()> {
        let mut e = Invalid::default();
        let action = CustodyAction::parse(action).filter(|a| *a != CustodyAction::Collected);
        if action.is_none() {
            e.push("action", "err.choice", "");
        }
        let note = khien_domain::error::optional_text(&mut e, "note", note, 1000).unwrap_or_default();
        let (Some(action), true) = (action, e.is_empty()) else {
            return Err(StoreError::Invalid(e));
        };
        let mut tx = self.write().await?;
        let (i, a) = self.for_write(&tx, id).await?;
        rules::may_work(a).map_err(StoreError::refused)?;
        sqlx::query("SELECT id FROM incident_evidence WHERE id = $1 AND incident_id = $2")
            .bind(evidence_id.to_string())
            .bind(id.to_string())
            .one(&self.within(&tx))
            .await?;
        self.insert_custody(&tx, evidence_id, action, &note).await?;
        let unit = Self::audit_unit(&i);
        tx.record("custody", "incident", id, (&unit.0, &unit.1), None::<&()>, Some(&serde_json::json!({ "evidence": evidence_id, "action": action, "note": note }))).await?;
        tx.commit().await
    }

    /// An evidence file of a visible incident: (name, sha256, size).
    pub async fn evidence_file(&self, id: &str, evidence_id: &str) -> Result<(String, String, i64)> {
        self.incident(id).await?;
        let r = sqlx::query("SELECT name, sha256, size FROM incident_evidence WHERE id = $1 AND incident_id = $2")
            .bind(evidence_id.to_string())
            .bind(id.to_string())
            .one(self)
            .await?;
        Ok((r.try_get("name")?, r.try_get("sha256")?, r.try_get("size")?))
    }

    /// The units an incident may be shared with (all active units; the team's choice).
    pub async fn share_choices(&self) -> Result<Vec<AffectedUnit>> {
        Ok(self
            .units(false)
            .await?
            .into_iter()
            .map(|u| AffectedUnit { id: u.id, name: u.fields.name })
            .collect())
    }
}

/// The state an alert was left in, as a stored value.
pub(crate) fn alert_state(v: String) -> Result<AlertState> {
    parse_enum("alert state", v, AlertState::parse)
}
