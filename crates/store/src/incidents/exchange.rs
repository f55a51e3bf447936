//! Exchange: the incident as the STIX/MISP exporters take it, indicators imported into
//! its observables (its IOC set), and hunts started with that set.

use khien_domain::exchange::{ExchangeIncident, ExchangeObservable};
use khien_domain::incidents::{self as rules, ObservableKind, Tlp};
use serde::Serialize;
use sqlx::Row;

use super::IncidentDetail;
use crate::error::{Result, StoreError};
use crate::hunts::{FileRef, HuntReportIn};
use crate::scope::ReadExt;
use crate::Scoped;

/// Indicators one import may add: an event bigger than this is a feed, not an
/// incident's IOCs (the rest are counted as skipped, with the reason).
pub const IMPORT_MAX: usize = 2000;

impl IncidentDetail {
    /// What leaves the platform about this incident (no people, units or evidence).
    pub fn exchange(&self) -> ExchangeIncident {
        let i = &self.incident;
        ExchangeIncident {
            id: i.id.clone(),
            reference: i.reference.clone(),
            title: i.title.clone(),
            description: i.description.clone(),
            detected_at: i.detected_at.clone(),
            created_at: i.created_at.clone(),
            updated_at: i.updated_at.clone(),
            severity: i.severity,
            status: i.status,
            observables: self
                .observables
                .iter()
                .map(|o| ExchangeObservable {
                    id: o.id.clone(),
                    kind: o.kind,
                    value: o.value.clone(),
                    tlp: o.tlp,
                    note: o.note.clone(),
                    created_at: o.created_at.clone(),
                })
                .collect(),
        }
    }
}

/// One indicator read from a STIX bundle or MISP event, as an observable to add.
#[derive(Debug, Clone)]
pub struct ImportedIndicator {
    pub kind: ObservableKind,
    pub value: String,
    pub tlp: Tlp,
    /// Where it came from (the indicator's name, the event's info).
    pub origin: String,
}

/// What an import did: how many observables were added, and each indicator skipped
/// with the reason (the reader's own and this import's: invalid, already recorded,
/// over the limit).
#[derive(Debug, Clone, Default, Serialize, schemars::JsonSchema)]
pub struct ImportReport {
    pub loaded: usize,
    pub skipped: usize,
    pub reasons: Vec<String>,
}

/// A hunt started from the incident page, as listed there.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct IncidentHunt {
    pub id: String,
    pub title: String,
    pub status: String,
    pub conclusion: String,
    pub created_at: String,
}

impl Scoped<'_> {
    /// Adds the indicators as the incident's observables, in one transaction with one
    /// audit row; `skipped` are the reader's reasons, counted in the report.
    pub async fn import_observables(&self, id: &str, found: &[ImportedIndicator], skipped: Vec<String>) -> Result<ImportReport> {
        let mut report = ImportReport { reasons: skipped, ..Default::default() };
        let mut tx = self.write().await?;
        let (i, a) = self.for_write(&tx, id).await?;
        rules::may_work(a).map_err(StoreError::refused)?;
        let mut added = Vec::new();
        for (n, ind) in found.iter().enumerate() {
            if n >= IMPORT_MAX {
                report.reasons.push(format!("{} {}: over {IMPORT_MAX} indicators in one import", ind.kind.as_str(), ind.value));
                continue;
            }
            let value = match rules::normalise_observable(ind.kind, &ind.value) {
                Ok(v) => v,
                Err(_) => {
                    report.reasons.push(format!("{} {:?} ({}): not a valid value", ind.kind.as_str(), ind.value, ind.origin));
                    continue;
                }
            };
            let note: String = format!("Nhập từ {}", ind.origin).chars().take(1000).collect();
            match self.insert_observable(&tx, id, ind.kind, &value, ind.tlp, &note).await? {
                Some(_) => added.push(serde_json::json!({ "kind": ind.kind, "value": value, "tlp": ind.tlp })),
                None => report.reasons.push(format!("{} {value}: already recorded on the incident", ind.kind.as_str())),
            }
        }
        report.loaded = added.len();
        report.skipped = report.reasons.len();
        if !added.is_empty() {
            self.touch(&tx, id).await?;
            let unit = Self::audit_unit(&i);
            tx.record("import_observables", "incident", id, (&unit.0, &unit.1), None::<&()>, Some(&serde_json::json!({ "added": added, "skipped": report.skipped }))).await?;
            tx.commit().await?;
        }
        Ok(report)
    }

    /// Queues a hunt of `n.sources` with `ioc_file` (the incident's observables as a
    /// STIX bundle, already in the blob store) as its only IOC set and no rules, linked
    /// to the incident; whoever works the incident may start one.
    pub async fn queue_incident_hunt(&self, id: &str, n: &HuntReportIn, ioc_file: FileRef) -> Result<String> {
        let hunt = HuntReportIn { ioc_sets: vec![ioc_file], rule_sets: Vec::new(), ..n.clone() };
        self.queue_hunt_in(&hunt, false, false, Some(id)).await
    }

    /// Whether this principal may work the incident, read inside `tx` (a hunt queued
    /// from it is checked in the hunt's own transaction).
    pub(crate) async fn check_incident_work(&self, tx: &crate::WriteTx, id: &str) -> Result<()> {
        let (_, a) = self.for_write(tx, id).await?;
        rules::may_work(a).map_err(StoreError::refused)
    }

    /// The hunts started from this incident, newest first (the incident is in scope).
    pub async fn incident_hunts(&self, id: &str) -> Result<Vec<IncidentHunt>> {
        self.incident(id).await?;
        let rows = sqlx::query("SELECT h.id, h.title, h.status, h.conclusion, h.created_at FROM incident_hunts ih JOIN hunts h ON h.id = ih.hunt_id WHERE ih.incident_id = $1 ORDER BY h.created_at DESC, h.id DESC LIMIT 50")
            .bind(id.to_string())
            .all(self)
            .await?;
        rows.iter()
            .map(|r| {
                Ok(IncidentHunt {
                    id: r.try_get("id")?,
                    title: r.try_get("title")?,
                    status: r.try_get("status")?,
                    conclusion: r.try_get("conclusion")?,
                    created_at: r.try_get("created_at")?,
                })
            })
            .collect()
    }
}
