//! Vulnerability findings: scanner reports imported into a system as a job, findings
//! deduplicated across rescans by fingerprint, their history, remediation deadlines and
//! status decisions.
//!
//! An import runs in three steps, each holding the job's lease:
//! 1. [`Store::begin_staging`] marks the import as staged by this lease's token and
//!    clears what an earlier attempt left;
//! 2. [`Store::stage_findings`] writes the parsed findings, in short transactions of
//!    multi-row `INSERT … ON CONFLICT DO NOTHING`, into `scan_import_rows` (one row per
//!    distinct fingerprint; nothing a user sees changes yet);
//! 3. [`Store::finish_scan_import`] applies them to `findings` in one transaction of a
//!    few set-based statements — reopened, unchanged, fixed (full scope only), new — with
//!    the import's counts, its job's completion and one audit entry, so an import is
//!    applied whole or not at all.

use std::collections::HashMap;

use khien_domain::findings::{self as policy, NO_DUE, RemediationPolicy, StatusChange};
use serde::{Deserialize, Serialize};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::audit::RunInTx;
use crate::error::{Result, StoreError};
use crate::jobs::{Lease, Moved, NewJob};
use crate::scope::ReadExt;
use crate::sql::Sql;
use crate::{Actor, Page, Scoped, Store, WriteTx, new_id};

/// The job kind that runs an uploaded scanner report.
pub const JOB_KIND: &str = "scan_import";

/// Rows per staging transaction (and statement): a sign-in waiting for the write lock
/// waits for one.
const ROWS_PER_TX: usize = 2_000;

/// A report to import, as uploaded (the file is already in the blob store).
#[derive(Debug, Clone, Default, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(default)]
pub struct NewScanImport {
    pub system_id: String,
    pub file_name: String,
    pub file_sha256: String,
    pub file_size: i64,
    /// A tool code (`nessus_xml`, `zap_xml`, …); empty: recognised from the content.
    pub tool: String,
    /// The scan covered the whole system: findings it no longer reports are fixed.
    pub full_scope: bool,
}

/// One import, as its page and the API show it.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct ScanImport {
    pub id: String,
    pub system_id: String,
    pub system_name: String,
    pub requested_tool: Option<String>,
    /// The tool read (`None` until the worker recognised it).
    pub tool: Option<String>,
    pub file_name: String,
    pub file_sha256: String,
    pub file_size: i64,
    pub full_scope: bool,
    /// queued | running | done | failed | cancelled
    pub state: String,
    pub progress: i16,
    pub error: Option<String>,
    /// Findings read from the file.
    pub findings: i64,
    /// Distinct fingerprints among them (two findings of one file may be one).
    pub distinct_findings: i64,
    pub new: i64,
    pub unchanged: i64,
    pub fixed: i64,
    pub reopened: i64,
    /// Items of the file that did not become findings, by reason.
    pub skipped: std::collections::BTreeMap<String, i64>,
    pub notes: Vec<String>,
    /// The parser stopped at its findings limit: the rest of the file was not read.
    pub truncated: bool,
    /// An earlier finished import of the same file into this system.
    pub same_file_as: Option<String>,
    pub created_by: String,
    pub created_at: String,
    pub finished_at: Option<String>,
}

/// The counts of one applied import (what `khien import` prints).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ImportCounts {
    pub findings: i64,
    pub new: i64,
    pub unchanged: i64,
    pub fixed: i64,
    pub reopened: i64,
}

const IMPORT_COLS: &str = "i.id, i.system_id, s.name AS system_name, i.requested_tool, i.tool, i.file_name, i.file_sha256, i.file_size, i.full_scope, i.state, i.progress, i.error, i.findings, i.distinct_findings, i.new_count, i.unchanged_count, i.fixed_count, i.reopened_count, i.skipped_json, i.notes_json, i.truncated, i.same_file_as, i.created_by, i.created_at, i.finished_at";

fn import_from_row(r: &AnyRow) -> Result<ScanImport> {
    let skipped: String = r.try_get("skipped_json")?;
    let notes: String = r.try_get("notes_json")?;
    Ok(ScanImport {
        id: r.try_get("id")?,
        system_id: r.try_get("system_id")?,
        system_name: r.try_get("system_name")?,
        requested_tool: r.try_get("requested_tool")?,
        tool: r.try_get("tool")?,
        file_name: r.try_get("file_name")?,
        file_sha256: r.try_get("file_sha256")?,
        file_size: r.try_get("file_size")?,
        full_scope: r.try_get::<i16, _>("full_scope")? != 0,
        state: r.try_get("state")?,
        progress: r.try_get("progress")?,
        error: r.try_get("error")?,
        findings: r.try_get("findings")?,
        distinct_findings: r.try_get("distinct_findings")?,
        new: r.try_get("new_count")?,
        unchanged: r.try_get("unchanged_count")?,
        fixed: r.try_get("fixed_count")?,
        reopened: r.try_get("reopened_count")?,
        skipped: serde_json::from_str(&skipped).unwrap_or_default(),
        notes: serde_json::from_str(&notes).unwrap_or_default(),
        truncated: r.try_get::<i16, _>("truncated")? != 0,
        same_file_as: r.try_get("same_file_as")?,
        created_by: r.try_get("created_by")?,
        created_at: r.try_get("created_at")?,
        finished_at: r.try_get("finished_at")?,
    })
}

/// A finding's row in a list.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct FindingRow {
    pub id: String,
    pub system_id: String,
    pub system_name: String,
    pub tool: String,
    pub rule_id: String,
    pub title: String,
    pub severity: String,
    pub cves: Vec<String>,
    pub host: String,
    pub port: Option<i64>,
    pub location: String,
    /// The stored status; see `effective_status`.
    pub status: String,
    /// The status as of today: an accepted risk past its last day is `open` again,
    /// even before a sweep has written it.
    pub effective_status: String,
    pub first_seen: String,
    pub last_seen: String,
    /// Last day to remediate (yyyy-mm-dd, Vietnam); `None` when there is no deadline.
    pub due_on: Option<String>,
    /// Open and past its last day.
    pub overdue: bool,
    pub kev: bool,
    pub kev_date_added: Option<String>,
    pub kev_due_date: Option<String>,
    pub kev_ransomware: bool,
}

/// Everything the scanner said about a finding besides the list's columns.
#[derive(Debug, Clone, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default)]
pub struct FindingDetail {
    pub scanner_severity: String,
    pub cvss3_vector: Option<String>,
    pub cvss3_score: Option<f64>,
    pub cvss4_vector: Option<String>,
    pub cvss4_score: Option<f64>,
    pub cwes: Vec<u32>,
    pub ip: Option<String>,
    pub protocol: Option<String>,
    pub url: Option<String>,
    pub path: Option<String>,
    pub line: Option<u32>,
    pub component: Option<String>,
    pub version: Option<String>,
    pub fixed_version: Option<String>,
    pub description: String,
    pub solution: String,
    pub evidence: String,
    pub category: Option<String>,
    pub suppressed: bool,
    /// The first and last time as the scanner wrote them.
    pub scanner_first_seen: Option<String>,
    pub scanner_last_seen: Option<String>,
}

/// One entry of a finding's history.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct FindingEvent {
    /// new | fixed | reopened | status | risk_expired
    pub kind: String,
    pub import_id: Option<String>,
    pub from_status: String,
    pub to_status: String,
    pub actor: String,
    pub reason: Option<String>,
    pub at: String,
}

/// A finding's page.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Finding {
    #[serde(flatten)]
    pub row: FindingRow,
    pub fingerprint: String,
    pub scanner: String,
    pub detail: FindingDetail,
    pub status_by: Option<String>,
    pub status_at: Option<String>,
    pub status_reason: Option<String>,
    pub risk_approver: Option<String>,
    pub risk_expires_on: Option<String>,
    pub fixed_at: Option<String>,
    /// Oldest first; the first is the import that found it.
    pub history: Vec<FindingEvent>,
}

/// The findings list's filter.
#[derive(Debug, Clone, Default, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(default)]
pub struct FindingFilter {
    /// critical | high | medium | low | info
    pub severity: String,
    /// open (the default list) | fixed | accepted_risk | false_positive | all
    pub status: String,
    /// `1`: KEV-listed only.
    pub kev: String,
    /// `1`: open and past the deadline only.
    pub overdue: String,
    /// Systems owned or operated by this unit or below it.
    pub unit_id: String,
    pub system_id: String,
    /// A tool code (`nessus_xml`, …).
    pub tool: String,
    /// A CVE id (`CVE-2012-1823`).
    pub cve: String,
    /// The last id of the page before (keyset).
    pub after: String,
}

/// Overdue open findings of one unit's systems, by severity.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct OverdueByUnit {
    pub unit_id: String,
    pub unit_name: String,
    pub critical: i64,
    pub high: i64,
    pub medium: i64,
    pub low: i64,
    pub total: i64,
}

/// `last_seen`: an open or accepted finding was seen by every full-scope scan of its
/// family after it appeared (or it would be fixed), so its last sighting is the later of
/// its own and its scope's (`scan_scopes`, joined as `sc`).
const FINDING_COLS: &str = "f.id, f.system_id, s.name AS system_name, f.tool, f.rule_id, f.title, f.severity, f.severity_rank, f.cves, f.host, f.port, f.location, f.status, f.first_seen, CASE WHEN f.status IN ('open', 'accepted_risk') AND sc.last_full_at > f.last_seen THEN sc.last_full_at ELSE f.last_seen END AS last_seen, f.due_on, f.kev, f.kev_date_added, f.kev_due_date, f.kev_ransomware, f.risk_expires_on";

fn row_from(r: &AnyRow, today: time::Date) -> Result<FindingRow> {
    let status: String = r.try_get("status")?;
    let expires: Option<String> = r.try_get("risk_expires_on")?;
    let effective = if policy::risk_expired(&status, expires.as_deref(), today) {
        "open".to_string()
    } else {
        status.clone()
    };
    let due: String = r.try_get("due_on")?;
    let due_on = (due != NO_DUE).then_some(due);
    let overdue = effective == "open"
        && due_on
            .as_deref()
            .and_then(khien_domain::time_fmt::parse_iso_date)
            .is_some_and(|d| d < today);
    let cves: String = r.try_get("cves")?;
    Ok(FindingRow {
        id: r.try_get("id")?,
        system_id: r.try_get("system_id")?,
        system_name: r.try_get("system_name")?,
        tool: r.try_get("tool")?,
        rule_id: r.try_get("rule_id")?,
        title: r.try_get("title")?,
        severity: r.try_get("severity")?,
        cves: cves.split_whitespace().map(String::from).collect(),
        host: r.try_get("host")?,
        port: r.try_get("port")?,
        location: r.try_get("location")?,
        status,
        effective_status: effective,
        first_seen: r.try_get("first_seen")?,
        last_seen: r.try_get("last_seen")?,
        due_on,
        overdue,
        kev: r.try_get::<i16, _>("kev")? != 0,
        kev_date_added: r.try_get("kev_date_added")?,
        kev_due_date: r.try_get("kev_due_date")?,
        kev_ransomware: r.try_get::<i16, _>("kev_ransomware")? != 0,
    })
}

/// A KEV entry as an import needs it.
#[derive(Debug, Clone)]
pub struct KevInfo {
    pub date_added: String,
    pub due_date: String,
    pub ransomware: bool,
}

/// What staging needs to know once per import: the deadline rule, the system's level,
/// the KEV catalogue and the day the findings are first seen.
pub struct ImportContext {
    pub import_id: String,
    pub system_id: String,
    pub requested_tool: Option<String>,
    pub full_scope: bool,
    pub file_sha256: String,
    pub level: u8,
    pub today: time::Date,
    pub policy: RemediationPolicy,
    pub kev: HashMap<String, KevInfo>,
    /// The fingerprints the system already has (of any status).
    pub known: std::collections::HashSet<String>,
}

/// A parsed finding ready for staging.
pub struct Staged {
    fingerprint: String,
    finding_id: String,
    scanner: String,
    rule_id: String,
    title: String,
    severity: &'static str,
    cves: String,
    host: String,
    port: Option<i64>,
    location: String,
    due_on: String,
    kev: Option<KevInfo>,
    detail_json: String,
    /// The system already has this fingerprint: only the sighting matters.
    known: bool,
}

impl Staged {
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }
}

impl ImportContext {
    /// A finding of the report, normalised for staging: its deadline from the policy
    /// (shortest when a CVE is KEV-listed), the detail as JSON. A fingerprint the
    /// system already has (`known`) is staged without its text, which is not used.
    pub fn stage(&self, f: khien_scan::Finding) -> Staged {
        let fingerprint = f.fingerprint();
        if self.known.contains(&fingerprint) {
            let severity = f.severity.code();
            let kev = f.cves.iter().any(|c| self.kev.contains_key(c));
            let due_on = self
                .policy
                .due(self.today, severity, self.level, kev)
                .map_or_else(|| NO_DUE.to_string(), khien_domain::time_fmt::iso_date);
            return Staged {
                fingerprint,
                finding_id: String::new(),
                scanner: String::new(),
                rule_id: String::new(),
                title: String::new(),
                severity,
                cves: String::new(),
                host: String::new(),
                port: None,
                location: String::new(),
                due_on,
                kev: None,
                detail_json: String::new(),
                known: true,
            };
        }
        let kev = f
            .cves
            .iter()
            .filter_map(|c| self.kev.get(c))
            .min_by(|a, b| a.date_added.cmp(&b.date_added))
            .cloned();
        let severity = f.severity.code();
        let due_on = self
            .policy
            .due(self.today, severity, self.level, kev.is_some())
            .map_or_else(|| NO_DUE.to_string(), khien_domain::time_fmt::iso_date);
        let location = f
            .url
            .clone()
            .or_else(|| {
                f.path.clone().map(|p| match f.line {
                    Some(l) => format!("{p}:{l}"),
                    None => p,
                })
            })
            .or_else(|| {
                f.component.clone().map(|c| match &f.version {
                    Some(v) => format!("{c}@{v}"),
                    None => c,
                })
            })
            .unwrap_or_default();
        let host = f
            .host
            .clone()
            .filter(|h| !h.is_empty())
            .or_else(|| f.ip.clone())
            .unwrap_or_default();
        let cves = if f.cves.is_empty() {
            String::new()
        } else {
            format!(" {} ", f.cves.join(" "))
        };
        let detail = FindingDetail {
            scanner_severity: f.scanner_severity,
            cvss3_vector: f.cvss3_vector,
            cvss3_score: f.cvss3_score,
            cvss4_vector: f.cvss4_vector,
            cvss4_score: f.cvss4_score,
            cwes: f.cwes,
            ip: f.ip,
            protocol: f.protocol,
            url: f.url,
            path: f.path,
            line: f.line,
            component: f.component,
            version: f.version,
            fixed_version: f.fixed_version,
            description: f.description,
            solution: f.solution,
            evidence: f.evidence,
            category: f.category,
            suppressed: f.suppressed,
            scanner_first_seen: f.first_seen,
            scanner_last_seen: f.last_seen,
        };
        Staged {
            fingerprint,
            finding_id: new_id(),
            scanner: f.scanner,
            rule_id: f.rule_id,
            title: f.title,
            severity,
            cves,
            host,
            port: f.port.map(i64::from),
            location,
            due_on,
            kev,
            detail_json: serde_json::to_string(&detail).unwrap_or_else(|_| "{}".into()),
            known: false,
        }
    }
}

/// The staging table's columns, as [`Store::stage_findings`] writes them.
const STAGED_COLS: [&str; 19] = [
    "import_id", "fingerprint", "finding_id", "position", "scanner", "rule_id", "title", "severity", "severity_rank",
    "cves", "host", "port", "location", "due_on", "kev", "kev_date_added", "kev_due_date", "kev_ransomware", "known",
];

impl Scoped<'_> {
    /// Queues a report for import into a system in scope, by someone who maintains
    /// systems; the import record and its job commit together (audited).
    pub async fn queue_scan_import(&self, n: &NewScanImport) -> Result<String> {
        if !self.principal.role.can_edit_systems() {
            return Err(StoreError::Forbidden);
        }
        let tool = n.tool.trim();
        let requested = if tool.is_empty() {
            None
        } else {
            let t = khien_scan::Tool::ALL
                .into_iter()
                .find(|t| t.code() == tool)
                .ok_or(StoreError::Conflict("finding.err_tool"))?;
            Some(t.code().to_string())
        };
        if !crate::blobs::valid_sha(&n.file_sha256) || n.file_size <= 0 {
            return Err(StoreError::Conflict("import.no_file"));
        }
        let mut tx = self.write().await?;
        let r = self.within(&tx);
        let system = r.system(&n.system_id).await?;
        let unit = (system.fields.owner_unit_id.clone(), system.owner_path.clone());
        let same = sqlx::query("SELECT id FROM scan_imports WHERE system_id = $1 AND file_sha256 = $2 AND state = 'done' ORDER BY created_at LIMIT 1")
            .bind(n.system_id.clone())
            .bind(n.file_sha256.clone())
            .opt(&r)
            .await?
            .map(|row| row.try_get::<String, _>("id"))
            .transpose()?;
        let id = new_id();
        let name: String = n.file_name.chars().take(255).collect();
        sqlx::query("INSERT INTO scan_imports (id, system_id, unit_id, requested_tool, file_name, file_sha256, file_size, full_scope, state, same_file_as, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'queued', $9, $10, $11)")
            .bind(id.clone())
            .bind(n.system_id.clone())
            .bind(unit.0.clone())
            .bind(requested.clone())
            .bind(name.clone())
            .bind(n.file_sha256.clone())
            .bind(n.file_size)
            .bind(i16::from(n.full_scope))
            .bind(same.clone())
            .bind(self.principal.username.clone())
            .bind(tx.at().to_string())
            .run(&tx)
            .await?;
        tx.enqueue(&NewJob {
            kind: JOB_KIND,
            subject_id: &id,
            unit_id: Some(&unit.0),
            payload: serde_json::json!({}),
            max_attempts: 3,
        })
        .await?;
        tx.record(
            "create",
            "scan_import",
            &id,
            (&unit.0, &unit.1),
            None::<&()>,
            Some(&serde_json::json!({ "system_id": n.system_id, "file": name, "sha256": n.file_sha256, "size": n.file_size, "tool": requested, "full_scope": n.full_scope, "same_file_as": same })),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// An import of a system in scope.
    pub async fn scan_import(&self, id: &str) -> Result<ScanImport> {
        let mut sql = Sql::new(&format!("SELECT {IMPORT_COLS} FROM scan_imports i JOIN systems s ON s.id = i.system_id WHERE i.id = "));
        sql.text(id);
        self.restrict_systems(&mut sql, "i.system_id");
        import_from_row(&sql.query().one(self).await?)
    }

    /// The latest imports into a system in scope, newest first.
    pub async fn scan_imports_of(&self, system_id: &str, limit: i64) -> Result<Vec<ScanImport>> {
        self.system(system_id).await?;
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {IMPORT_COLS} FROM scan_imports i JOIN systems s ON s.id = i.system_id WHERE i.system_id = $1 ORDER BY i.created_at DESC, i.id DESC LIMIT $2")))
            .bind(system_id.to_string())
            .bind(limit.clamp(1, 200))
            .all(self)
            .await?;
        rows.iter().map(import_from_row).collect()
    }

    /// `AND <col> IN <systems owned or operated in scope>`; nothing for the province.
    fn restrict_systems(&self, sql: &mut Sql, col: &str) {
        if matches!(self.scope, khien_domain::Scope::Subtree { .. }) {
            sql.push(&format!(" AND {col} IN (SELECT id FROM systems WHERE owner_unit_id IN "));
            self.push_scope_units(sql);
            sql.push(" UNION SELECT id FROM systems WHERE operator_unit_id IN ");
            self.push_scope_units(sql);
            sql.push(")");
        }
    }

    fn findings_sql(&self, f: &FindingFilter, today: &str) -> Sql {
        let mut sql = Sql::new(" FROM findings f JOIN systems s ON s.id = f.system_id LEFT JOIN scan_scopes sc ON sc.system_id = f.system_id AND sc.tool_family = f.tool_family WHERE 1=1");
        self.restrict_systems(&mut sql, "f.system_id");
        // An accepted risk past its last day counts as open (it is, as of today).
        let expired = " OR (f.status = 'accepted_risk' AND f.risk_expires_on < ";
        match f.status.as_str() {
            "all" => {}
            "accepted_risk" => {
                sql.push(" AND f.status = 'accepted_risk' AND (f.risk_expires_on IS NULL OR f.risk_expires_on >= ").text(today).push(")");
            }
            s @ ("fixed" | "false_positive") => {
                sql.push(" AND f.status = ").text(s);
            }
            _ => {
                sql.push(" AND (f.status = 'open'").push(expired).text(today).push("))");
            }
        }
        if policy::SEVERITIES.contains(&f.severity.as_str()) {
            sql.push(" AND f.severity_rank = ").int(i64::from(policy::severity_rank(&f.severity)));
        }
        if f.kev == "1" {
            sql.push(" AND f.kev = 1");
        }
        if f.overdue == "1" {
            sql.push(" AND f.due_on < ").text(today).push(" AND (f.status = 'open'").push(expired).text(today).push("))");
        }
        if !f.system_id.trim().is_empty() {
            sql.push(" AND f.system_id = ").text(f.system_id.trim());
        }
        if !f.unit_id.trim().is_empty() {
            // The unit's subtree, by the indexed path range (as the scope does).
            sql.push(" AND f.system_id IN (SELECT sx.id FROM systems sx JOIN units ux ON ux.id = sx.owner_unit_id OR ux.id = sx.operator_unit_id JOIN units up ON up.id = ")
                .text(f.unit_id.trim())
                .push(" WHERE ux.path LIKE up.path || '%')");
        }
        if !f.tool.trim().is_empty() {
            sql.push(" AND f.tool = ").text(f.tool.trim());
        }
        let cve = f.cve.trim().to_ascii_uppercase();
        if !cve.is_empty() {
            sql.push(" AND f.cves LIKE ")
                .text(format!("% {} %", khien_domain::text::like_escape(&cve)))
                .push(" ESCAPE '\\'");
        }
        sql
    }

    /// Findings in scope, worst first then the nearest deadline, `per_page` at a time
    /// (keyset on severity, due date and id).
    pub async fn findings(&self, f: &FindingFilter, per_page: i64) -> Result<Page<FindingRow>> {
        let today = self.store.today_vn();
        let today_s = khien_domain::time_fmt::iso_date(today);
        let mut base = self.findings_sql(f, &today_s);
        let (total, total_capped) = crate::cap(
            crate::capped_count(&base, "SELECT 1").query().one(self).await?.try_get("n")?,
        );
        if !f.after.trim().is_empty()
            && let Some(r) = sqlx::query("SELECT severity_rank, due_on FROM findings WHERE id = $1")
                .bind(f.after.trim().to_string())
                .opt(self)
                .await?
        {
            let rank: i16 = r.try_get("severity_rank")?;
            let due: String = r.try_get("due_on")?;
            let (rank, id) = (i64::from(rank), f.after.trim().to_string());
            base.push(" AND (f.severity_rank < ").int(rank)
                .push(" OR (f.severity_rank = ").int(rank).push(" AND (f.due_on > ").text(due.clone())
                .push(" OR (f.due_on = ").text(due).push(" AND f.id > ").text(id).push("))))");
        }
        let mut q = Sql::new(&format!("SELECT {FINDING_COLS}"));
        q.text.push_str(&base.text);
        q.args_from(&base);
        q.push(" ORDER BY f.severity_rank DESC, f.due_on, f.id LIMIT ").int(per_page + 1);
        let rows = q.query().all(self).await?;
        let mut items = rows.iter().map(|r| row_from(r, today)).collect::<Result<Vec<_>>>()?;
        let more = items.len() as i64 > per_page;
        items.truncate(usize::try_from(per_page).unwrap_or(0));
        let next_after = if more { items.last().map(|x| x.id.clone()) } else { None };
        Ok(Page { items, total, total_capped, page: 1, per_page, next_after })
    }

    /// One finding in scope with its history.
    pub async fn finding(&self, id: &str) -> Result<Finding> {
        let today = self.store.today_vn();
        let mut sql = Sql::new(&format!("SELECT {FINDING_COLS}, f.fingerprint, f.scanner, d.detail_json, f.status_by, f.status_at, f.status_reason, f.risk_approver, f.fixed_at, f.first_import_id FROM findings f JOIN systems s ON s.id = f.system_id LEFT JOIN scan_scopes sc ON sc.system_id = f.system_id AND sc.tool_family = f.tool_family LEFT JOIN finding_details d ON d.finding_id = f.id WHERE f.id = "));
        sql.text(id);
        self.restrict_systems(&mut sql, "f.system_id");
        let r = sql.query().one(self).await?;
        let row = row_from(&r, today)?;
        let detail: Option<String> = r.try_get("detail_json")?;
        let first_import: String = r.try_get("first_import_id")?;
        let mut history = vec![FindingEvent {
            kind: "new".into(),
            import_id: Some(first_import),
            from_status: String::new(),
            to_status: "open".into(),
            actor: String::new(),
            reason: None,
            at: row.first_seen.clone(),
        }];
        let events = sqlx::query("SELECT kind, import_id, from_status, to_status, actor, reason, at FROM finding_events WHERE finding_id = $1 ORDER BY at, id")
            .bind(id.to_string())
            .all(self)
            .await?;
        for e in &events {
            history.push(FindingEvent {
                kind: e.try_get("kind")?,
                import_id: e.try_get("import_id")?,
                from_status: e.try_get("from_status")?,
                to_status: e.try_get("to_status")?,
                actor: e.try_get("actor")?,
                reason: e.try_get("reason")?,
                at: e.try_get("at")?,
            });
        }
        Ok(Finding {
            fingerprint: r.try_get("fingerprint")?,
            scanner: r.try_get("scanner")?,
            detail: detail.and_then(|d| serde_json::from_str(&d).ok()).unwrap_or_default(),
            status_by: r.try_get("status_by")?,
            status_at: r.try_get("status_at")?,
            status_reason: r.try_get("status_reason")?,
            risk_approver: r.try_get("risk_approver")?,
            risk_expires_on: r.try_get("risk_expires_on")?,
            fixed_at: r.try_get("fixed_at")?,
            history,
            row,
        })
    }

    /// A status decision on a finding in scope: checked by the policy against the status
    /// read in the same transaction, written conditionally on it, with its history entry
    /// and audit entry. An accepted risk past its expiry is reopened first.
    pub async fn set_finding_status(&self, id: &str, change: &StatusChange<'_>) -> Result<()> {
        let mut tx = self.write().await?;
        let today = self.store.today_vn();
        self.store.reopen_expired_in(&mut tx, today, Some(id)).await?;
        let r = self.within(&tx);
        let f = r.finding(id).await?;
        policy::may_change_status(self.principal.role, &f.row.status, change, today).map_err(StoreError::refused)?;
        let (unit, path) = r.system_unit(&f.row.system_id).await?;
        let reason = Some(change.reason.trim().to_string()).filter(|s| !s.is_empty());
        let accepted = change.to == "accepted_risk";
        let approver = accepted.then(|| change.approver.trim().to_string());
        let expires = if accepted { change.expires.map(khien_domain::time_fmt::iso_date) } else { None };
        let fixed_at = (change.to == "fixed").then(|| tx.at().to_string());
        let changed = sqlx::query("UPDATE findings SET status = $1, status_by = $2, status_at = $3, status_reason = $4, risk_approver = $5, risk_expires_on = $6, fixed_at = $7 WHERE id = $8 AND status = $9")
            .bind(change.to.to_string())
            .bind(self.principal.username.clone())
            .bind(tx.at().to_string())
            .bind(reason.clone())
            .bind(approver.clone())
            .bind(expires.clone())
            .bind(fixed_at)
            .bind(id.to_string())
            .bind(f.row.status.clone())
            .run(&tx)
            .await?;
        crate::one_row(changed)?;
        insert_event(&tx, &Event { finding: id, kind: "status", from: &f.row.status, to: change.to, actor: &self.principal.username, reason: reason.as_deref() }).await?;
        if change.to == "fixed" && policy::is_serious(&f.row.severity) {
            mark_serious_fix(&tx, &f.row.system_id).await?;
        }
        tx.record(
            "status",
            "finding",
            id,
            (&unit, &path),
            Some(&serde_json::json!({ "status": f.row.status })),
            Some(&serde_json::json!({ "status": change.to, "reason": reason, "approver": approver, "expires_on": expires })),
        )
        .await?;
        tx.commit().await
    }

    /// The owner unit (id, path) of a system, read where this view reads.
    async fn system_unit(&self, system_id: &str) -> Result<(String, String)> {
        let r = sqlx::query("SELECT u.id, u.path FROM systems s JOIN units u ON u.id = s.owner_unit_id WHERE s.id = $1")
            .bind(system_id.to_string())
            .one(self)
            .await?;
        Ok((r.try_get("id")?, r.try_get("path")?))
    }

    /// Open findings past their deadline, per owner unit of the systems in scope (the
    /// province's overdue view; a unit sees its own subtree).
    pub async fn overdue_by_unit(&self) -> Result<Vec<OverdueByUnit>> {
        let today = khien_domain::time_fmt::iso_date(self.store.today_vn());
        let mut sql = Sql::new("SELECT u.id, u.name, f.severity_rank, COUNT(*) AS n FROM findings f JOIN systems s ON s.id = f.system_id JOIN units u ON u.id = s.owner_unit_id WHERE f.due_on < ");
        sql.text(today.clone()).push(" AND (f.status = 'open' OR (f.status = 'accepted_risk' AND f.risk_expires_on < ").text(today).push("))");
        self.restrict_systems(&mut sql, "f.system_id");
        sql.push(" GROUP BY u.id, u.name, f.severity_rank ORDER BY u.name, u.id");
        let mut out: Vec<OverdueByUnit> = Vec::new();
        for r in sql.query().all(self).await? {
            let id: String = r.try_get("id")?;
            let rank: i16 = r.try_get("severity_rank")?;
            let n: i64 = r.try_get("n")?;
            if out.last().is_none_or(|u| u.unit_id != id) {
                out.push(OverdueByUnit { unit_id: id, unit_name: r.try_get("name")?, critical: 0, high: 0, medium: 0, low: 0, total: 0 });
            }
            if let Some(u) = out.last_mut() {
                match rank {
                    4 => u.critical += n,
                    3 => u.high += n,
                    2 => u.medium += n,
                    _ => u.low += n,
                }
                u.total += n;
            }
        }
        out.sort_by(|a, b| b.total.cmp(&a.total).then_with(|| a.unit_name.cmp(&b.unit_name)));
        Ok(out)
    }

    /// When a critical or high finding of the system last became fixed (the hunt after a
    /// serious fix is due from then).
    pub async fn serious_fix_at(&self, system_id: &str) -> Result<Option<String>> {
        self.system(system_id).await?;
        let r = sqlx::query("SELECT serious_fix_at FROM systems WHERE id = $1")
            .bind(system_id.to_string())
            .one(self)
            .await?;
        Ok(r.try_get("serious_fix_at")?)
    }
}

/// A history entry written by a person's decision or the expiry sweep (imports write
/// theirs set-based).
struct Event<'a> {
    finding: &'a str,
    kind: &'a str,
    from: &'a str,
    to: &'a str,
    actor: &'a str,
    reason: Option<&'a str>,
}

async fn insert_event(tx: &WriteTx, e: &Event<'_>) -> Result<()> {
    sqlx::query("INSERT INTO finding_events (id, finding_id, import_id, kind, from_status, to_status, actor, reason, at) VALUES ($1, $2, NULL, $3, $4, $5, $6, $7, $8)")
        .bind(new_id())
        .bind(e.finding.to_string())
        .bind(e.kind.to_string())
        .bind(e.from.to_string())
        .bind(e.to.to_string())
        .bind(e.actor.to_string())
        .bind(e.reason.map(String::from))
        .bind(tx.at().to_string())
        .run(tx)
        .await?;
    Ok(())
}

/// Removes the text an import staged for findings that were never created.
async fn delete_orphan_details(tx: &WriteTx, import_id: &str) -> Result<()> {
    sqlx::query("DELETE FROM finding_details WHERE import_id = $1 AND NOT EXISTS (SELECT 1 FROM findings f WHERE f.id = finding_details.finding_id)")
        .bind(import_id.to_string())
        .run(tx)
        .await?;
    Ok(())
}

async fn mark_serious_fix(tx: &WriteTx, system_id: &str) -> Result<()> {
    sqlx::query("UPDATE systems SET serious_fix_at = $1 WHERE id = $2")
        .bind(tx.at().to_string())
        .bind(system_id.to_string())
        .run(tx)
        .await?;
    Ok(())
}

/// Where an import stands when the worker picks it up.
#[derive(Debug, Clone)]
pub struct ImportToRun {
    pub state: String,
    pub file_sha256: String,
    pub file_name: String,
}

impl Store {
    /// The state and file of an import whose job the worker holds.
    pub async fn import_to_run(&self, id: &str) -> Result<ImportToRun> {
        let r = sqlx::query("SELECT state, file_sha256, file_name FROM scan_imports WHERE id = $1")
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound)?;
        Ok(ImportToRun { state: r.try_get("state")?, file_sha256: r.try_get("file_sha256")?, file_name: r.try_get("file_name")? })
    }

    /// What staging needs: the deadline policy, the system's current level, the latest
    /// KEV catalogue, today's Vietnam date.
    pub async fn import_context(&self, id: &str) -> Result<ImportContext> {
        let r = sqlx::query("SELECT system_id, requested_tool, full_scope, file_sha256 FROM scan_imports WHERE id = $1")
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound)?;
        let system_id: String = r.try_get("system_id")?;
        let known = self.known_fingerprints(&system_id).await?;
        let level = self
            .as_system()
            .latest_assessment(&system_id)
            .await?
            .map_or(0, |a| a.level);
        Ok(ImportContext {
            import_id: id.to_string(),
            requested_tool: r.try_get("requested_tool")?,
            full_scope: r.try_get::<i16, _>("full_scope")? != 0,
            file_sha256: r.try_get("file_sha256")?,
            system_id,
            level,
            today: self.today_vn(),
            policy: self.remediation().clone(),
            kev: self.kev_map().await?,
            known,
        })
    }

    /// Every fingerprint a system has findings for.
    async fn known_fingerprints(&self, system_id: &str) -> Result<std::collections::HashSet<String>> {
        let rows = sqlx::query("SELECT fingerprint FROM findings WHERE system_id = $1")
            .bind(system_id.to_string())
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(|r| Ok(r.try_get("fingerprint")?)).collect()
    }

    /// The latest KEV catalogue's entries by CVE id (empty when none is loaded).
    pub async fn kev_map(&self) -> Result<HashMap<String, KevInfo>> {
        let rows = sqlx::query("SELECT cve_id, date_added, due_date, ransomware FROM kev_entries WHERE catalogue_id = (SELECT id FROM kev_catalogues ORDER BY date_released DESC, loaded_at DESC LIMIT 1)")
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get("cve_id")?,
                    KevInfo { date_added: r.try_get("date_added")?, due_date: r.try_get("due_date")?, ransomware: r.try_get::<i16, _>("ransomware")? != 0 },
                ))
            })
            .collect()
    }

    /// The import follows its job (as hunts do): running while held, queued again when
    /// the worker died, failed (audited) or cancelled with it.
    pub(crate) async fn scan_import_job_moved(&self, tx: &mut WriteTx, id: &str, moved: Moved<'_>) -> Result<()> {
        match moved {
            Moved::Claimed => {
                sqlx::query("UPDATE scan_imports SET state = 'running', progress = 0, staging_token = NULL, error = NULL, started_at = COALESCE(started_at, $1) WHERE id = $2 AND state IN ('queued', 'running')")
                    .bind(tx.at().to_string())
                    .bind(id.to_string())
                    .run(tx)
                    .await?;
            }
            Moved::Requeued { .. } => {
                sqlx::query("UPDATE scan_imports SET state = 'queued', progress = 0, staging_token = NULL WHERE id = $1 AND state = 'running'")
                    .bind(id.to_string())
                    .run(tx)
                    .await?;
            }
            Moved::Cancelled | Moved::Failed { .. } => {
                let (state, why) = match moved {
                    Moved::Failed { why } => ("failed", Some(why.to_string())),
                    _ => ("cancelled", None),
                };
                let changed = sqlx::query("UPDATE scan_imports SET state = $1, error = $2, finished_at = $3, staging_token = NULL WHERE id = $4 AND state IN ('queued', 'running')")
                    .bind(state)
                    .bind(why.clone())
                    .bind(tx.at().to_string())
                    .bind(id.to_string())
                    .run(tx)
                    .await?;
                // Rows staged by the attempt are not findings.
                sqlx::query("DELETE FROM scan_import_rows WHERE import_id = $1")
                    .bind(id.to_string())
                    .run(tx)
                    .await?;
                delete_orphan_details(tx, id).await?;
                if changed == 1 && state == "failed" {
                    let r = sqlx::query("SELECT u.id, u.path FROM scan_imports i JOIN units u ON u.id = i.unit_id WHERE i.id = $1")
                        .bind(id.to_string())
                        .one(&self.as_system().within(tx))
                        .await?;
                    let (unit, path): (String, String) = (r.try_get("id")?, r.try_get("path")?);
                    tx.record("fail", "scan_import", id, (&unit, &path), None::<&()>, Some(&serde_json::json!({ "error": why }))).await?;
                }
            }
        }
        Ok(())
    }

    /// Starts (or restarts) staging an import under the lease: earlier attempts' rows
    /// are removed, and every later staging transaction checks the token.
    pub async fn begin_staging(&self, lease: &Lease) -> Result<()> {
        let tx = WriteTx::begin(self, Actor::system()).await?;
        self.hold_lease(&tx, lease).await?;
        let changed = sqlx::query("UPDATE scan_imports SET staging_token = $1 WHERE id = $2 AND state = 'running'")
            .bind(lease.token.clone())
            .bind(lease.subject_id.clone())
            .run(&tx)
            .await?;
        crate::one_row(changed)?;
        sqlx::query("DELETE FROM scan_import_rows WHERE import_id = $1")
            .bind(lease.subject_id.clone())
            .run(&tx)
            .await?;
        delete_orphan_details(&tx, &lease.subject_id).await?;
        tx.commit().await
    }

    /// Stages parsed findings (positions from `first`; the caller drops repeated
    /// fingerprints) in short transactions.
    pub async fn stage_findings(&self, lease: &Lease, rows: &[Staged], first: usize) -> Result<()> {
        for (t, tx_rows) in rows.chunks(ROWS_PER_TX).enumerate() {
            let tx = WriteTx::begin(self, Actor::system()).await?;
            let mine = sqlx::query("UPDATE scan_imports SET staging_token = staging_token WHERE id = $1 AND state = 'running' AND staging_token = $2")
                .bind(lease.subject_id.clone())
                .bind(lease.token.clone())
                .run(&tx)
                .await?;
            crate::one_row(mine)?;
            let base = first + t * ROWS_PER_TX;
            let rows: Vec<serde_json::Value> = tx_rows
                .iter()
                .enumerate()
                .map(|(i, s)| {
                    serde_json::json!({
                        "import_id": lease.subject_id, "fingerprint": s.fingerprint, "finding_id": s.finding_id,
                        "position": base + i, "scanner": s.scanner, "rule_id": s.rule_id, "title": s.title,
                        "severity": s.severity, "severity_rank": policy::severity_rank(s.severity), "cves": s.cves,
                        "host": s.host, "port": s.port, "location": s.location, "due_on": s.due_on,
                        "kev": i16::from(s.kev.is_some()), "kev_date_added": s.kev.as_ref().map(|k| &k.date_added),
                        "kev_due_date": s.kev.as_ref().map(|k| &k.due_date),
                        "kev_ransomware": i16::from(s.kev.as_ref().is_some_and(|k| k.ransomware)), "known": i16::from(s.known),
                    })
                })
                .collect();
            sqlx::query(sqlx::AssertSqlSafe(crate::sql::insert_json_rows(self.backend, "scan_import_rows", &STAGED_COLS)))
                .bind(serde_json::Value::Array(rows).to_string())
                .run(&tx)
                .await?;
            // The text of findings the system does not have yet, written once.
            let fresh: Vec<serde_json::Value> = tx_rows
                .iter()
                .filter(|s| !s.known)
                .map(|s| serde_json::json!({ "finding_id": s.finding_id, "import_id": lease.subject_id, "detail_json": s.detail_json }))
                .collect();
            if !fresh.is_empty() {
                sqlx::query(sqlx::AssertSqlSafe(crate::sql::insert_json_rows(self.backend, "finding_details", &["finding_id", "import_id", "detail_json"])))
                    .bind(serde_json::Value::Array(fresh).to_string())
                    .run(&tx)
                    .await?;
            }
            // No audit entry per chunk: the import's one entry at the end carries the counts.
            tx.commit().await?;
        }
        Ok(())
    }

    /// Applies a staged import to the system's findings in one transaction under the
    /// lease, completes its job and audits it once with its counts.
    pub async fn finish_scan_import(&self, lease: &Lease, tool: khien_scan::Tool, summary: &khien_scan::ImportSummary) -> Result<ImportCounts> {
        let id = lease.subject_id.as_str();
        let mut tx = WriteTx::begin(self, Actor::system()).await?;
        self.hold_lease(&tx, lease).await?;
        let on = self.as_system().within(&tx);
        let r = sqlx::query("SELECT i.system_id, i.full_scope, i.created_by, u.id AS unit_id, u.path FROM scan_imports i JOIN units u ON u.id = i.unit_id WHERE i.id = $1 AND i.state = 'running' AND i.staging_token = $2")
            .bind(id.to_string())
            .bind(lease.token.clone())
            .one(&on)
            .await
            .map_err(|_| StoreError::Conflict("err.concurrent"))?;
        let system: String = r.try_get("system_id")?;
        let full_scope = r.try_get::<i16, _>("full_scope")? != 0;
        let by: String = r.try_get("created_by")?;
        let (unit, path): (String, String) = (r.try_get("unit_id")?, r.try_get("path")?);
        let today = self.today_vn();
        // Accepted risks past their expiry are open again before the rescan is compared.
        self.reopen_expired_in(&mut tx, today, None).await?;
        let now = tx.at().to_string();
        let (fam, code) = (tool.family().to_string(), tool.code().to_string());
        // A staged row is found by the staging index, a finding by the unique
        // (system_id, fingerprint) index: each statement probes one with the other.
        let staged = "EXISTS (SELECT 1 FROM scan_import_rows r WHERE r.import_id = $1 AND r.fingerprint = f.fingerprint)";
        // Reopened: fixed before, in this report again (a new deadline from today).
        sqlx::query(sqlx::AssertSqlSafe(format!("INSERT INTO finding_events (id, finding_id, import_id, kind, from_status, to_status, actor, at) SELECT CAST($1 AS TEXT) || ':' || f.id, f.id, $1, 'reopened', f.status, 'open', $3, $4 FROM findings f WHERE f.system_id = $2 AND f.status = 'fixed' AND {staged}")))
            .bind(id.to_string()).bind(system.clone()).bind(by.clone()).bind(now.clone())
            .run(&tx).await?;
        let reopened = sqlx::query("UPDATE findings SET status = 'open', fixed_at = NULL, last_seen = $3, last_import_id = $1, due_on = r.due_on FROM scan_import_rows r WHERE r.import_id = $1 AND findings.system_id = $2 AND findings.fingerprint = r.fingerprint AND findings.status = 'fixed'")
            .bind(id.to_string()).bind(system.clone()).bind(now.clone())
            .run(&tx).await?;
        let distinct: i64 = sqlx::query("SELECT COUNT(*) AS n FROM scan_import_rows WHERE import_id = $1")
            .bind(id.to_string())
            .one(&on).await?.try_get("n")?;
        let mut fixed = 0;
        let unchanged = if full_scope {
            // A full-scope scan sees every open finding it does not fix: their last
            // sighting is the scope's (`scan_scopes`), so they are not rewritten one by
            // one. Decisions still reported (accepted risk, false positive) note it.
            sqlx::query("UPDATE findings SET last_seen = $3, last_import_id = $1 WHERE system_id = $2 AND status IN ('accepted_risk', 'false_positive') AND EXISTS (SELECT 1 FROM scan_import_rows r WHERE r.import_id = $1 AND r.fingerprint = findings.fingerprint)")
                .bind(id.to_string()).bind(system.clone()).bind(now.clone())
                .run(&tx).await?;
            // Fixed: open (or accepted) findings of the scanner family it no longer reports.
            let absent = format!("FROM findings f WHERE f.system_id = $2 AND f.tool_family = $3 AND f.status IN ('open', 'accepted_risk') AND NOT {staged}");
            let serious: i64 = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) AS n {absent} AND f.severity_rank >= 3")))
                .bind(id.to_string()).bind(system.clone()).bind(fam.clone())
                .one(&on).await?.try_get("n")?;
            sqlx::query(sqlx::AssertSqlSafe(format!("INSERT INTO finding_events (id, finding_id, import_id, kind, from_status, to_status, actor, at) SELECT CAST($1 AS TEXT) || ':' || f.id, f.id, $1, 'fixed', f.status, 'fixed', $4, $5 {absent}")))
                .bind(id.to_string()).bind(system.clone()).bind(fam.clone()).bind(by.clone()).bind(now.clone())
                .run(&tx).await?;
            fixed = sqlx::query("UPDATE findings SET status = 'fixed', fixed_at = $4 WHERE system_id = $2 AND tool_family = $3 AND status IN ('open', 'accepted_risk') AND NOT EXISTS (SELECT 1 FROM scan_import_rows r WHERE r.import_id = $1 AND r.fingerprint = findings.fingerprint)")
                .bind(id.to_string()).bind(system.clone()).bind(fam.clone()).bind(now.clone())
                .run(&tx).await?;
            if serious > 0 {
                mark_serious_fix(&tx, &system).await?;
            }
            sqlx::query("INSERT INTO scan_scopes (system_id, tool_family, last_full_import_id, last_full_at) VALUES ($1, $2, $3, $4) ON CONFLICT (system_id, tool_family) DO UPDATE SET last_full_import_id = excluded.last_full_import_id, last_full_at = excluded.last_full_at")
                .bind(system.clone()).bind(fam.clone()).bind(id.to_string()).bind(now.clone())
                .run(&tx).await?;
            None
        } else {
            // A partial scan: each finding it reports is marked seen.
            Some(sqlx::query("UPDATE findings SET last_seen = $3, last_import_id = $1 FROM scan_import_rows r WHERE r.import_id = $1 AND findings.system_id = $2 AND findings.fingerprint = r.fingerprint AND findings.last_import_id <> $1")
                .bind(id.to_string()).bind(system.clone()).bind(now.clone())
                .run(&tx).await?)
        };
        // New: fingerprints this system has never had.
        let new = sqlx::query("INSERT INTO findings (id, system_id, fingerprint, tool, tool_family, scanner, rule_id, title, severity, severity_rank, cves, host, port, location, status, first_seen, last_seen, first_import_id, last_import_id, due_on, kev, kev_date_added, kev_due_date, kev_ransomware) \
             SELECT r.finding_id, $2, r.fingerprint, $3, $4, r.scanner, r.rule_id, r.title, r.severity, r.severity_rank, r.cves, r.host, r.port, r.location, 'open', $5, $5, $1, $1, r.due_on, r.kev, r.kev_date_added, r.kev_due_date, r.kev_ransomware \
             FROM scan_import_rows r WHERE r.import_id = $1 AND r.known = 0 AND NOT EXISTS (SELECT 1 FROM findings f WHERE f.system_id = $2 AND f.fingerprint = r.fingerprint)")
            .bind(id.to_string()).bind(system.clone()).bind(code.clone()).bind(fam.clone()).bind(now.clone())
            .run(&tx).await?;
        // Full scope: every staged fingerprint that is neither new nor reopened was open
        // or decided already, and is still reported.
        let unchanged = unchanged.unwrap_or_else(|| u64::try_from(distinct).unwrap_or(0).saturating_sub(new + reopened));
        // Text staged for a fingerprint another import added meanwhile has no finding.
        delete_orphan_details(&tx, id).await?;
        let n = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
        let counts = ImportCounts { findings: n(summary.findings), new: n(new), unchanged: n(unchanged), fixed: n(fixed), reopened: n(reopened) };
        let skipped = serde_json::to_string(&summary.skipped).unwrap_or_else(|_| "{}".into());
        let notes = serde_json::to_string(&summary.notes).unwrap_or_else(|_| "[]".into());
        let changed = sqlx::query("UPDATE scan_imports SET state = 'done', progress = 100, tool = $1, tool_family = $2, findings = $3, distinct_findings = $4, new_count = $5, unchanged_count = $6, fixed_count = $7, reopened_count = $8, skipped_json = $9, notes_json = $10, truncated = $11, finished_at = $12, staging_token = NULL WHERE id = $13 AND state = 'running' AND staging_token = $14")
            .bind(code.clone()).bind(fam)
            .bind(counts.findings).bind(distinct).bind(counts.new).bind(counts.unchanged).bind(counts.fixed).bind(counts.reopened)
            .bind(skipped).bind(notes).bind(i16::from(summary.truncated)).bind(now)
            .bind(id.to_string()).bind(lease.token.clone())
            .run(&tx).await?;
        crate::one_row(changed)?;
        self.complete_job(&tx, lease, &serde_json::json!({ "tool": code, "findings": counts.findings, "new": counts.new, "unchanged": counts.unchanged, "fixed": counts.fixed, "reopened": counts.reopened })).await?;
        tx.record(
            "finish",
            "scan_import",
            id,
            (&unit, &path),
            None::<&()>,
            Some(&serde_json::json!({ "system_id": system, "tool": code, "findings": counts.findings, "distinct": distinct, "new": counts.new, "unchanged": counts.unchanged, "fixed": counts.fixed, "reopened": counts.reopened, "truncated": summary.truncated })),
        )
        .await?;
        tx.commit().await?;
        // The staged rows have served; removing them is not part of the result.
        let cleanup = WriteTx::begin(self, Actor::system()).await?;
        sqlx::query("DELETE FROM scan_import_rows WHERE import_id = $1").bind(id.to_string()).run(&cleanup).await?;
        cleanup.commit().await?;
        Ok(counts)
    }

    /// Reopens every accepted risk past its last day (the worker's sweep; imports and
    /// status changes do it too, and reads show them open meanwhile). Audited per finding.
    pub async fn reopen_expired_risks(&self) -> Result<u64> {
        let mut tx = WriteTx::begin(self, Actor::system()).await?;
        let n = self.reopen_expired_in(&mut tx, self.today_vn(), None).await?;
        tx.commit().await?;
        Ok(n)
    }

    /// Inside `tx`: accepted risks whose last day is before `today` (one finding, or all)
    /// back to open, each with its history entry and audit entry.
    async fn reopen_expired_in(&self, tx: &mut WriteTx, today: time::Date, only: Option<&str>) -> Result<u64> {
        let today = khien_domain::time_fmt::iso_date(today);
        let mut sql = Sql::new("SELECT f.id, f.risk_expires_on, u.id AS unit_id, u.path FROM findings f JOIN systems s ON s.id = f.system_id JOIN units u ON u.id = s.owner_unit_id WHERE f.status = 'accepted_risk' AND f.risk_expires_on < ");
        sql.text(today);
        if let Some(id) = only {
            sql.push(" AND f.id = ").text(id);
        }
        sql.push(" ORDER BY f.risk_expires_on LIMIT 1000");
        let rows = sql.query().all(&self.as_system().within(tx)).await?;
        let mut n = 0;
        for r in rows {
            let id: String = r.try_get("id")?;
            let expires: Option<String> = r.try_get("risk_expires_on")?;
            let (unit, path): (String, String) = (r.try_get("unit_id")?, r.try_get("path")?);
            let changed = sqlx::query("UPDATE findings SET status = 'open', status_by = 'system', status_at = $1, status_reason = NULL WHERE id = $2 AND status = 'accepted_risk'")
                .bind(tx.at().to_string())
                .bind(id.clone())
                .run(tx)
                .await?;
            if changed != 1 {
                continue;
            }
            insert_event(tx, &Event { finding: &id, kind: "risk_expired", from: "accepted_risk", to: "open", actor: "system", reason: expires.as_deref() }).await?;
            tx.record("reopen", "finding", &id, (&unit, &path), Some(&serde_json::json!({ "status": "accepted_risk", "expires_on": expires })), Some(&serde_json::json!({ "status": "open" }))).await?;
            n += 1;
        }
        Ok(n)
    }
}
