//! Reports from the public (no sign-in): the submission counter per client address
//! (in the database, so every server process counts the same), the key that signs
//! the form's timestamp, the report becoming an incident the team sees, and the
//! reporter's follow-up by reference and secret code — which shows the status and the
//! public notes, nothing internal.

use khien_domain::Principal;
use khien_domain::incidents::{self as rules, DetectionSource, IncidentFields, IncidentType, PersonalDataImpact, PublicReport, Severity, Status};
use serde::Serialize;
use sqlx::Row;

use super::{Origin, retry_reference};
use crate::audit::RunInTx;
use crate::error::{Result, StoreError};
use crate::{Store, new_id};

/// What a reporter sees of their report.
#[derive(Debug, Clone, Serialize)]
pub struct PublicStatus {
    pub reference: String,
    pub status: Status,
    pub created_at: String,
    pub notes: Vec<PublicNote>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PublicNote {
    pub at: String,
    pub text: String,
}

const FORM_KEY: &str = "public_report";

/// Constant-time equality of two hex digests.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn sha256_hex(s: &str) -> String {
    use sha2::Digest;
    khien_domain::audit::hex(&sha2::Sha256::digest(s.as_bytes()))
}

impl Store {
    /// The secret that signs the public form's timestamp: the one stored, or
    /// `candidate` when none is yet (the first process to store it wins; the others
    /// read it back).
    pub async fn form_key(&self, candidate: &str) -> Result<String> {
        if let Some(k) = self.stored_form_key().await? {
            return Ok(k);
        }
        let inserted = sqlx::query("INSERT INTO form_keys (name, secret, created_at) VALUES ($1, $2, $3)")
            .bind(FORM_KEY)
            .bind(candidate.to_string())
            .bind(self.now_text())
            .execute(&self.writer)
            .await;
        match inserted {
            Ok(_) => Ok(candidate.to_string()),
            Err(e) => match StoreError::unique(e, "err.concurrent") {
                StoreError::Conflict(_) => self.stored_form_key().await?.ok_or(StoreError::NotFound),
                other => Err(other),
            },
        }
    }

    async fn stored_form_key(&self) -> Result<Option<String>> {
        Ok(sqlx::query("SELECT secret FROM form_keys WHERE name = $1")
            .bind(FORM_KEY)
            .fetch_optional(&self.writer)
            .await?
            .map(|r| r.try_get("secret"))
            .transpose()?)
    }

    /// Counts a public submission from `addr` before it is judged, and says whether it
    /// is within [`rules::PUBLIC_REPORTS_PER_HOUR`]. Counted first, outside any
    /// transaction, so concurrent submissions cannot all slip under the limit: whoever
    /// counts last sees every one already recorded (as sign-in throttling does).
    pub async fn count_public_submission(&self, addr: &str) -> Result<bool> {
        let now_ms = i64::try_from(self.now().unix_timestamp_nanos() / 1_000_000)
            .map_err(|_| StoreError::Corrupt("clock", String::new()))?;
        sqlx::query("INSERT INTO public_report_attempts (id, client_addr, at_ms) VALUES ($1, $2, $3)")
            .bind(new_id())
            .bind(addr.to_string())
            .bind(now_ms)
            .execute(&self.writer)
            .await?;
        let n: i64 = sqlx::query("SELECT COUNT(*) AS n FROM public_report_attempts WHERE client_addr = $1 AND at_ms > $2")
            .bind(addr.to_string())
            .bind(now_ms - 3_600_000)
            .fetch_one(&self.writer)
            .await?
            .try_get("n")?;
        sqlx::query("DELETE FROM public_report_attempts WHERE at_ms < $1")
            .bind(now_ms - 86_400_000)
            .execute(&self.writer)
            .await?;
        Ok(n <= rules::PUBLIC_REPORTS_PER_HOUR)
    }

    /// A report from the public becomes an incident in status "reported", with no
    /// reporting unit (only the provincial team sees it until it names units). The
    /// follow-up code's hash is kept, never the code. Audited as the public, with the
    /// client's address. Returns the incident's reference.
    pub async fn file_public_report(&self, r: &PublicReport, code: &str, addr: &str) -> Result<String> {
        let f = IncidentFields {
            title: r.affected.chars().take(rules::TITLE_MAX).collect(),
            description: r.description.clone(),
            detected_at: r.noticed_at.unwrap_or(self.now()),
            reporter_name: r.name.clone(),
            reporter_contact: Some(r.contact.clone()),
            source: DetectionSource::PublicReport,
            incident_type: IncidentType::Other,
            severity: Severity::Normal,
            beyond_capacity: false,
            national_security_signs: false,
            serious_interruption: false,
            pd_impact: PersonalDataImpact::None,
            pd_subjects: None,
            pd_confirmed_at: None,
            regime: rules::regime_on(khien_domain::time_fmt::vn_date(r.noticed_at.unwrap_or(self.now()))),
            systems: Vec::new(),
        };
        let secret_hash = sha256_hex(&rules::follow_up_key(code));
        retry_reference!(self.file_once(r, &f, &secret_hash, addr).await)
    }

    async fn file_once(&self, r: &PublicReport, f: &IncidentFields, secret_hash: &str, addr: &str) -> Result<String> {
        // The public acts under its own name, audited with the client's address.
        let public = Principal {
            user_id: "public".into(),
            username: "public".into(),
            display_name: "public".into(),
            role: khien_domain::Role::Viewer,
            unit_id: String::new(),
            unit_path: "/".into(),
        };
        let view = self.scoped(&public).from_address(addr);
        let mut tx = view.write().await?;
        let (incident_id, reference) = view.insert_incident(&mut tx, f, Origin { kind: "public", unit: None, hunt_id: None }).await?;
        sqlx::query("INSERT INTO public_reports (id, incident_id, reference, secret_hash, contact_name, contact, affected, text, client_addr, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)")
            .bind(new_id())
            .bind(incident_id)
            .bind(reference.clone())
            .bind(secret_hash.to_string())
            .bind(r.name.clone())
            .bind(r.contact.clone())
            .bind(r.affected.clone())
            .bind(r.description.clone())
            .bind(addr.to_string())
            .bind(tx.at().to_string())
            .run(&tx)
            .await?;
        tx.commit().await?;
        Ok(reference)
    }

    /// The status of a public report, for whoever holds its reference and code. A
    /// wrong code and an unknown reference answer the same `None`.
    pub async fn public_status(&self, reference: &str, code: &str) -> Result<Option<PublicStatus>> {
        let Some(reference) = rules::parse_reference(reference) else {
            return Ok(None);
        };
        let row = sqlx::query("SELECT p.secret_hash, p.incident_id, i.status, i.created_at FROM public_reports p JOIN incidents i ON i.id = p.incident_id WHERE p.reference = $1")
            .bind(reference.clone())
            .fetch_optional(&self.pool)
            .await?;
        let given = sha256_hex(&rules::follow_up_key(code));
        let Some(row) = row else {
            return Ok(None);
        };
        let stored: String = row.try_get("secret_hash")?;
        if !same(&stored, &given) {
            return Ok(None);
        }
        let incident_id: String = row.try_get("incident_id")?;
        let notes = self
            .as_system()
            .timeline_of(&incident_id, true)
            .await?
            .into_iter()
            .map(|t| PublicNote { at: t.at, text: t.text })
            .collect();
        Ok(Some(PublicStatus {
            reference,
            status: super::parse_enum("incident status", row.try_get("status")?, Status::parse)?,
            created_at: row.try_get("created_at")?,
            notes,
        }))
    }
}
