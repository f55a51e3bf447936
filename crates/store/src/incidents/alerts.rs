//! Alerts from SOC/SIEM and monitoring providers (TheHive's model): one record per
//! (source, source reference), repeats counted; the provincial team promotes an alert
//! to a new incident or merges it into an existing one, its observables copied.

use khien_domain::incidents::{self as rules, AlertState, DetectionSource, IncidentFields, IncidentType, ObservableKind, PersonalDataImpact, Severity, Tlp};
use khien_domain::time_fmt::parse_rfc3339;
use khien_domain::Invalid;
use serde::{Deserialize, Serialize};
use sqlx::Row;
use sqlx::any::AnyRow;

use super::{ObservableIn, Origin, alert_state, retry_reference};
use crate::audit::RunInTx;
use crate::error::{Result, StoreError};
use crate::scope::ReadExt;
use crate::sql::Sql;
use crate::{Page, Scoped, WriteTx, new_id};

/// Largest `payload` kept with an alert (its JSON text).
pub const PAYLOAD_MAX: usize = 64 * 1024;
/// Most observables one alert may name.
pub const OBSERVABLES_MAX: usize = 200;

/// What a SOC/SIEM sends to `POST /api/v1/alerts`.
#[derive(Debug, Clone, Default, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(default)]
pub struct AlertIn {
    /// The sender (`soc-vnpt`, `wazuh-so-tttt`): with `source_ref`, what makes an alert
    /// the same alert again.
    pub source: String,
    /// The sender's own id for the alert.
    pub source_ref: String,
    pub title: String,
    pub description: String,
    /// The sender's severity, as it says it (kept as text).
    pub severity: String,
    /// One of the incident types, when the sender knows it.
    pub incident_type: String,
    pub observables: Vec<ObservableIn>,
    /// The sender's record, kept as sent (at most 64 KiB of JSON).
    pub payload: serde_json::Value,
}

/// The answer to a sent alert.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct AlertReceipt {
    pub id: String,
    pub state: AlertState,
    /// How many times this (source, source_ref) has been received.
    pub seen_count: i64,
    /// It had been received before: counted, not stored again.
    pub deduplicated: bool,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Alert {
    pub id: String,
    pub source: String,
    pub source_ref: String,
    pub title: String,
    pub description: String,
    pub severity: String,
    pub incident_type: Option<String>,
    pub observables: Vec<ObservableIn>,
    pub payload: serde_json::Value,
    pub state: AlertState,
    pub incident_id: Option<String>,
    pub incident_reference: Option<String>,
    pub seen_count: i64,
    pub first_seen: String,
    pub last_seen: String,
    pub created_by: String,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(default)]
pub struct AlertFilter {
    pub state: String,
    pub page: i64,
    /// The last id of the page before (keyset paging, newest first).
    pub after: String,
}

/// Promotion to a new incident; what is left empty comes from the alert.
#[derive(Debug, Clone, Default, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(default)]
pub struct PromoteIn {
    pub title: String,
    pub incident_type: String,
    pub severity: String,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(default)]
pub struct MergeIn {
    /// The incident's id or its reference (`SC-2026-000123`).
    pub incident: String,
}

const COLS: &str = "a.id, a.source, a.source_ref, a.title, a.description, a.severity, a.incident_type, a.payload_json, a.observables_json, a.state, a.incident_id, i.reference AS incident_reference, a.seen_count, a.first_seen, a.last_seen, a.created_by";

fn from_row(r: &AnyRow) -> Result<Alert> {
    let payload: String = r.try_get("payload_json")?;
    let observables: String = r.try_get("observables_json")?;
    Ok(Alert {
        id: r.try_get("id")?,
        source: r.try_get("source")?,
        source_ref: r.try_get("source_ref")?,
        title: r.try_get("title")?,
        description: r.try_get("description")?,
        severity: r.try_get("severity")?,
        incident_type: r.try_get("incident_type")?,
        observables: serde_json::from_str(&observables).map_err(|_| StoreError::Corrupt("alert observables", observables.clone()))?,
        payload: serde_json::from_str(&payload).map_err(|_| StoreError::Corrupt("alert payload", String::new()))?,
        state: alert_state(r.try_get("state")?)?,
        incident_id: r.try_get("incident_id")?,
        incident_reference: r.try_get("incident_reference")?,
        seen_count: r.try_get("seen_count")?,
        first_seen: r.try_get("first_seen")?,
        last_seen: r.try_get("last_seen")?,
        created_by: r.try_get("created_by")?,
    })
}

/// A checked alert: its text fields, normalised observables and payload text.
struct CheckedAlert {
    source: String,
    source_ref: String,
    title: String,
    description: String,
    severity: String,
    incident_type: Option<IncidentType>,
    observables: Vec<ObservableIn>,
    payload: String,
}

fn check(a: &AlertIn) -> Result<CheckedAlert> {
    use khien_domain::error::{optional_text, required_text};
    let mut e = Invalid::default();
    let source = required_text(&mut e, "source", &a.source, 100);
    let source_ref = required_text(&mut e, "source_ref", &a.source_ref, 200);
    let title = required_text(&mut e, "title", &a.title, rules::TITLE_MAX);
    let description = optional_text(&mut e, "description", &a.description, rules::DESCRIPTION_MAX).unwrap_or_default();
    let severity = optional_text(&mut e, "severity", &a.severity, 40).unwrap_or_default();
    let incident_type = if a.incident_type.trim().is_empty() {
        None
    } else {
        let t = IncidentType::parse(&a.incident_type);
        if t.is_none() {
            e.push("incident_type", "err.choice", "");
        }
        t
    };
    if a.observables.len() > OBSERVABLES_MAX {
        e.push("observables", "err.too_long", OBSERVABLES_MAX.to_string());
    }
    let mut observables = Vec::new();
    for o in a.observables.iter().take(OBSERVABLES_MAX) {
        let kind = ObservableKind::parse(&o.kind);
        let tlp = if o.tlp.trim().is_empty() { Some(Tlp::Amber) } else { Tlp::parse(&o.tlp) };
        match (kind, tlp) {
            (Some(k), Some(tlp)) => match rules::normalise_observable(k, &o.value) {
                Ok(value) => {
                    if !observables.iter().any(|x: &ObservableIn| x.kind == k.as_str() && x.value == value) {
                        observables.push(ObservableIn {
                            kind: k.as_str().into(),
                            value,
                            tlp: tlp.as_str().into(),
                            note: o.note.chars().take(1000).collect(),
                        });
                    }
                }
                Err(key) => e.push("observables", key, o.value.chars().take(80).collect::<String>()),
            },
            _ => e.push("observables", "err.choice", format!("{} / {}", o.kind.chars().take(20).collect::<String>(), o.tlp.chars().take(20).collect::<String>())),
        }
    }
    let payload = if a.payload.is_null() { "{}".to_string() } else { a.payload.to_string() };
    if payload.len() > PAYLOAD_MAX {
        e.push("payload", "err.too_long", PAYLOAD_MAX.to_string());
    }
    if !e.is_empty() {
        return Err(StoreError::Invalid(e));
    }
    Ok(CheckedAlert {
        source,
        source_ref,
        title,
        description,
        severity,
        incident_type,
        observables,
        payload,
    })
}

impl Scoped<'_> {
    fn team_only(&self) -> Result<()> {
        if rules::is_team(self.principal.role) {
            Ok(())
        } else {
            Err(StoreError::Forbidden)
        }
    }

    /// Receives an alert: a new (source, source_ref) is stored; a repeat moves
    /// `last_seen` and the count, conditionally on the count read. A concurrent first
    /// arrival loses to the unique index and is counted as the repeat it is.
    pub async fn receive_alert(&self, a: &AlertIn) -> Result<AlertReceipt> {
        self.team_only()?;
        let c = check(a)?;
        let mut tries = 0;
        loop {
            match self.receive_once(&c).await {
                Err(StoreError::Conflict("err.concurrent")) if tries < 3 => tries += 1,
                other => return other,
            }
        }
    }

    async fn receive_once(&self, c: &CheckedAlert) -> Result<AlertReceipt> {
        let mut tx = self.write().await?;
        let now = tx.at().to_string();
        let existing = sqlx::query("SELECT id, state, seen_count FROM alerts WHERE source = $1 AND source_ref = $2")
            .bind(c.source.clone())
            .bind(c.source_ref.clone())
            .opt(&self.within(&tx))
            .await?;
        if let Some(r) = existing {
            let id: String = r.try_get("id")?;
            let n: i64 = r.try_get("seen_count")?;
            let state = alert_state(r.try_get("state")?)?;
            let changed = sqlx::query("UPDATE alerts SET seen_count = seen_count + 1, last_seen = $1 WHERE id = $2 AND seen_count = $3")
                .bind(now)
                .bind(id.clone())
                .bind(n)
                .run(&tx)
                .await?;
            crate::one_row(changed)?;
            tx.record("seen", "alert", &id, ("", "/"), Some(&serde_json::json!({ "seen_count": n })), Some(&serde_json::json!({ "seen_count": n + 1 }))).await?;
            tx.commit().await?;
            return Ok(AlertReceipt { id, state, seen_count: n + 1, deduplicated: true });
        }
        let id = new_id();
        let observables = serde_json::to_string(&c.observables).unwrap_or_else(|_| "[]".into());
        sqlx::query("INSERT INTO alerts (id, source, source_ref, title, description, severity, incident_type, payload_json, observables_json, state, seen_count, first_seen, last_seen, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'new', 1, $10, $10, $11)")
            .bind(id.clone())
            .bind(c.source.clone())
            .bind(c.source_ref.clone())
            .bind(c.title.clone())
            .bind(c.description.clone())
            .bind(c.severity.clone())
            .bind(c.incident_type.map(|t| t.as_str().to_string()))
            .bind(c.payload.clone())
            .bind(observables)
            .bind(now)
            .bind(self.principal.username.clone())
            .run(&tx)
            .await
            .map_err(|e| StoreError::unique(e, "err.concurrent"))?;
        tx.record("create", "alert", &id, ("", "/"), None::<&()>, Some(&serde_json::json!({ "source": c.source, "source_ref": c.source_ref, "title": c.title, "observables": c.observables.len() }))).await?;
        tx.commit().await?;
        Ok(AlertReceipt { id, state: AlertState::New, seen_count: 1, deduplicated: false })
    }

    pub async fn alert(&self, id: &str) -> Result<Alert> {
        self.team_only()?;
        let row = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {COLS} FROM alerts a LEFT JOIN incidents i ON i.id = a.incident_id WHERE a.id = $1")))
            .bind(id.to_string())
            .opt(self)
            .await?
            .ok_or(StoreError::NotFound)?;
        from_row(&row)
    }

    pub async fn alerts(&self, f: &AlertFilter, per_page: i64) -> Result<Page<Alert>> {
        self.team_only()?;
        let mut base = Sql::new(" WHERE 1=1");
        if let Some(s) = AlertState::parse(&f.state) {
            base.push(" AND a.state = ").text(s.as_str());
        }
        let select = format!("SELECT {COLS} FROM alerts a LEFT JOIN incidents i ON i.id = a.incident_id");
        crate::NewestFirst {
            select: &select,
            count_from: "SELECT 1 FROM alerts a",
            table: "alerts",
            alias: "a",
            at: "first_seen",
        }
        .page(self, base, crate::Wanted { after: &f.after, page: f.page, per_page }, from_row, |a: &Alert| a.id.clone())
        .await
    }

    /// Copies an alert's observables into an incident and notes the alert on its
    /// timeline (at the alert's first sighting).
    async fn bring_alert_in(&self, tx: &WriteTx, incident_id: &str, a: &Alert) -> Result<usize> {
        let mut copied = 0;
        for o in &a.observables {
            let (Some(kind), Some(tlp)) = (ObservableKind::parse(&o.kind), Tlp::parse(&o.tlp)) else {
                continue;
            };
            if self.insert_observable(tx, incident_id, kind, &o.value, tlp, &o.note).await?.is_some() {
                copied += 1;
            }
        }
        let text = format!("[{} #{}] {}", a.source, a.source_ref, a.title);
        self.insert_timeline(tx, incident_id, &a.first_seen, &text, None, None, false).await?;
        Ok(copied)
    }

    /// Takes a new alert (conditionally on its state), recording its new state.
    async fn take_alert(&self, tx: &mut WriteTx, a: &Alert, to: AlertState, incident_id: Option<&str>) -> Result<()> {
        rules::may_take_alert(a.state).map_err(StoreError::Conflict)?;
        let changed = sqlx::query("UPDATE alerts SET state = $1, incident_id = $2 WHERE id = $3 AND state = 'new'")
            .bind(to.as_str().to_string())
            .bind(incident_id.map(String::from))
            .bind(a.id.clone())
            .run(tx)
            .await?;
        crate::one_row(changed)?;
        tx.record(to.as_str(), "alert", &a.id, ("", "/"), Some(&serde_json::json!({ "state": a.state })), Some(&serde_json::json!({ "state": to, "incident": incident_id }))).await
    }

    /// A new incident from a new alert: detected when the alert was first seen,
    /// reported by its source, its observables copied. Returns the incident's id.
    pub async fn promote_alert(&self, id: &str, p: &PromoteIn) -> Result<String> {
        self.team_only()?;
        retry_reference!(self.promote_once(id, p).await)
    }

    async fn promote_once(&self, id: &str, p: &PromoteIn) -> Result<String> {
        {
            let mut tx = self.write().await?;
            let a = self.within(&tx).alert(id).await?;
            rules::may_take_alert(a.state).map_err(StoreError::Conflict)?;
            let mut e = Invalid::default();
            let pick = |field: &'static str, given: &str, parse: fn(&str) -> Option<IncidentType>, e: &mut Invalid| {
                if given.trim().is_empty() {
                    None
                } else {
                    let v = parse(given);
                    if v.is_none() {
                        e.push(field, "err.choice", "");
                    }
                    v
                }
            };
            let incident_type = pick("incident_type", &p.incident_type, IncidentType::parse, &mut e)
                .or(a.incident_type.as_deref().and_then(IncidentType::parse))
                .unwrap_or(IncidentType::Other);
            let severity = if p.severity.trim().is_empty() {
                Severity::Normal
            } else {
                Severity::parse(&p.severity).unwrap_or_else(|| {
                    e.push("severity", "err.choice", "");
                    Severity::Normal
                })
            };
            let title = if p.title.trim().is_empty() { a.title.clone() } else { khien_domain::error::required_text(&mut e, "title", &p.title, rules::TITLE_MAX) };
            if !e.is_empty() {
                return Err(StoreError::Invalid(e));
            }
            let detected_at = parse_rfc3339(&a.first_seen).ok_or(StoreError::Corrupt("alert time", a.first_seen.clone()))?;
            let f = IncidentFields {
                title,
                description: a.description.clone(),
                detected_at,
                reporter_name: a.source.clone(),
                reporter_contact: None,
                source: DetectionSource::Monitoring,
                incident_type,
                severity,
                beyond_capacity: false,
                national_security_signs: false,
                serious_interruption: false,
                pd_impact: PersonalDataImpact::None,
                pd_subjects: None,
                pd_confirmed_at: None,
                regime: rules::regime_on(khien_domain::time_fmt::vn_date(detected_at)),
                systems: Vec::new(),
            };
            let (incident_id, _) = self.insert_incident(&mut tx, &f, Origin { kind: "alert", unit: None, hunt_id: None }).await?;
            self.bring_alert_in(&tx, &incident_id, &a).await?;
            self.take_alert(&mut tx, &a, AlertState::Promoted, Some(&incident_id)).await?;
            tx.commit().await?;
            Ok(incident_id)
        }
    }

    /// Merges a new alert into an existing incident (by id or reference).
    pub async fn merge_alert(&self, id: &str, m: &MergeIn) -> Result<String> {
        self.team_only()?;
        let mut tx = self.write().await?;
        let r = self.within(&tx);
        let a = r.alert(id).await?;
        rules::may_take_alert(a.state).map_err(StoreError::Conflict)?;
        let target = m.incident.trim();
        let incident_id = match rules::parse_reference(target) {
            Some(reference) => sqlx::query("SELECT id FROM incidents WHERE reference = $1")
                .bind(reference)
                .opt(&r)
                .await?
                .map(|row| row.try_get::<String, _>("id"))
                .transpose()?,
            None if !target.is_empty() => Some(target.to_string()),
            None => None,
        };
        let incident = match incident_id {
            Some(iid) => r.incident(&iid).await.ok(),
            None => None,
        };
        let Some(incident) = incident else {
            return Err(StoreError::Invalid(Invalid {
                errors: vec![khien_domain::FieldError { field: "incident", key: "alert.err_incident", detail: target.chars().take(60).collect() }],
            }));
        };
        if incident.status == khien_domain::incidents::Status::Closed {
            return Err(StoreError::Conflict("alert.err_incident_closed"));
        }
        let copied = self.bring_alert_in(&tx, &incident.id, &a).await?;
        self.take_alert(&mut tx, &a, AlertState::Merged, Some(&incident.id)).await?;
        sqlx::query("UPDATE incidents SET updated_at = $1 WHERE id = $2")
            .bind(tx.at().to_string())
            .bind(incident.id.clone())
            .run(&tx)
            .await?;
        let unit = Self::audit_unit(&incident);
        tx.record("merge_alert", "incident", &incident.id, (&unit.0, &unit.1), None::<&()>, Some(&serde_json::json!({ "alert": a.id, "observables_copied": copied }))).await?;
        tx.commit().await?;
        Ok(incident.id)
    }

    pub async fn ignore_alert(&self, id: &str) -> Result<()> {
        self.team_only()?;
        let mut tx = self.write().await?;
        let a = self.within(&tx).alert(id).await?;
        self.take_alert(&mut tx, &a, AlertState::Ignored, None).await?;
        tx.commit().await
    }
}
