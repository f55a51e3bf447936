//! Threat hunts as records: scope (systems), period, sources, rule and IOC sets with
//! their hashes, who and when, the result summary, the conclusion and the detections.
//! A hunt uploaded in the UI is queued here and run by the job worker.

use serde::{Deserialize, Serialize};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::audit::RunInTx;
use crate::jobs::{Lease, Moved, NewJob};
use crate::scope::ReadExt;
use crate::error::{Result, StoreError};
use crate::sql::Sql;
use crate::{Actor, Page, Scoped, Store, WriteTx, new_id};

/// A file used by a hunt: a log source, a rule set or an IOC set.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
#[derive(schemars::JsonSchema)]
pub struct FileRef {
    pub name: String,
    pub sha256: String,
    pub size: i64,
    /// Events read, rules or IOCs loaded (when known).
    pub count: i64,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
#[derive(schemars::JsonSchema)]
pub struct RuleCount {
    pub rule_id: String,
    pub rule_title: String,
    pub count: i64,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
#[derive(schemars::JsonSchema)]
pub struct HuntSummary {
    pub files: i64,
    pub events: i64,
    pub skipped: i64,
    pub detections: i64,
    /// Detections kept in the record (a very noisy hunt keeps the first ones only).
    pub stored: i64,
    pub by_level: Vec<(String, i64)>,
    pub by_rule: Vec<RuleCount>,
    pub problems: Vec<String>,
    /// What was checked in each log file given (recognised or not).
    pub coverage: Vec<FileCoverage>,
    /// Sigma rules (and correlations) loaded, and rules skipped.
    pub rules_loaded: i64,
    pub rules_skipped: i64,
    /// IOCs loaded (an IOC sweep looks at every event).
    pub iocs_loaded: i64,
}

/// What a hunt checked in one file.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
#[derive(schemars::JsonSchema)]
pub struct FileCoverage {
    /// The file's name as uploaded (never a server path).
    pub name: String,
    /// `evtx`, `json`, `syslog`, `web-access`, `iis-w3c`, or empty when not recognised.
    pub format: String,
    pub events: i64,
    /// Events inside the hunt's period (events without a time count as inside).
    pub in_period: i64,
    /// Records that could not be read.
    pub skipped: i64,
    /// Part of the file could not be read at all (a truncated EVTX chunk, ...).
    pub incomplete: bool,
    /// Sigma rules evaluated on at least one in-period event.
    pub rules_applied: i64,
    pub error: Option<String>,
}

impl HuntSummary {
    /// The coverage as the hunt policy's facts.
    pub fn facts(&self) -> Vec<khien_domain::hunts::FileFacts> {
        self.coverage
            .iter()
            .map(|c| khien_domain::hunts::FileFacts {
                recognised: !c.format.is_empty(),
                failed: c.error.is_some(),
                events: c.events,
                in_period: c.in_period,
                rules_applied: c.rules_applied,
                ioc_sweep: self.iocs_loaded > 0,
            })
            .collect()
    }

    /// Every file checked (see [`khien_domain::hunts::full_coverage`]).
    pub fn full_coverage(&self) -> bool {
        khien_domain::hunts::full_coverage(&self.facts())
    }
}

impl FileCoverage {
    /// Why this file was not really checked (i18n keys; empty when it was).
    pub fn gaps(&self, iocs_loaded: i64) -> Vec<&'static str> {
        khien_domain::hunts::file_gaps(&khien_domain::hunts::FileFacts {
            recognised: !self.format.is_empty(),
            failed: self.error.is_some(),
            events: self.events,
            in_period: self.in_period,
            rules_applied: self.rules_applied,
            ioc_sweep: iocs_loaded > 0,
        })
    }
}

/// One detection, in the shape `khien hunt --format jsonl` writes.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
#[derive(schemars::JsonSchema)]
pub struct DetectionRow {
    pub timestamp: Option<String>,
    pub source: String,
    pub computer: String,
    pub channel: String,
    pub event_id: Option<i64>,
    pub rule_id: String,
    pub rule_title: String,
    pub level: String,
    pub author: String,
    pub tags: Vec<String>,
    pub matched: serde_json::Value,
}

/// What the CLI (`khien hunt --report-to`) or an API client sends.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
#[derive(schemars::JsonSchema)]
pub struct HuntReportIn {
    pub title: String,
    pub systems: Vec<String>,
    pub period_from: Option<String>,
    pub period_to: Option<String>,
    pub sources: Vec<FileRef>,
    pub rule_sets: Vec<FileRef>,
    pub ioc_sets: Vec<FileRef>,
    pub summary: HuntSummary,
    pub detections: Vec<DetectionRow>,
}

#[derive(Debug, Clone, Serialize)]
#[derive(schemars::JsonSchema)]
pub struct Hunt {
    pub id: String,
    pub title: String,
    pub period_from: Option<String>,
    pub period_to: Option<String>,
    pub origin: String,
    pub status: String,
    pub progress: i16,
    pub error: Option<String>,
    pub sources: Vec<FileRef>,
    pub rule_sets: Vec<FileRef>,
    pub ioc_sets: Vec<FileRef>,
    pub builtin_rules: bool,
    pub summary: Option<HuntSummary>,
    pub conclusion: String,
    pub conclusion_note: Option<String>,
    pub created_by: String,
    pub created_at: String,
    pub finished_at: Option<String>,
    /// Whether the finished hunt checked everything it was given; `None` for hunts
    /// recorded before coverage was kept, and for unfinished ones.
    pub coverage_full: Option<bool>,
    /// (id, name) of the systems hunted.
    pub systems: Vec<(String, String)>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default)]
#[derive(schemars::JsonSchema)]
pub struct HuntFilter {
    pub system_id: String,
    pub conclusion: String,
    pub page: i64,
    /// The last id of the page before (keyset paging, newest first).
    pub after: String,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default)]
#[derive(schemars::JsonSchema)]
pub struct DetectionFilter {
    pub level: String,
    pub rule_id: String,
    pub computer: String,
    pub page: i64,
}

pub const CONCLUSIONS: [&str; 3] = ["pending", "clean", "suspicious"];
/// Detections a record keeps; the summary still counts them all.
pub const MAX_STORED_DETECTIONS: usize = 50_000;

/// The job kind that runs an uploaded hunt.
pub const JOB_KIND: &str = "hunt";

const COLS: &str = "h.id, h.title, h.period_from, h.period_to, h.origin, h.status, h.progress, h.error, h.sources_json, h.rules_json, h.iocs_json, h.builtin_rules, h.summary_json, h.conclusion, h.conclusion_note, h.created_by, h.created_at, h.finished_at, h.coverage_full";
const LINKED: &str = "FROM hunt_systems hs JOIN systems s ON s.id = hs.system_id JOIN units ou ON ou.id = s.owner_unit_id WHERE hs.hunt_id = h.id AND ou.path";

fn json<T: serde::de::DeserializeOwned + Default>(s: Option<String>) -> T {
    s.and_then(|s| serde_json::from_str(&s).ok())
        .unwrap_or_default()
}

fn to_json<T: Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "null".into())
}

fn hunt_from_row(r: &AnyRow) -> Result<Hunt> {
    Ok(Hunt {
        id: r.try_get("id")?,
        title: r.try_get("title")?,
        period_from: r.try_get("period_from")?,
        period_to: r.try_get("period_to")?,
        origin: r.try_get("origin")?,
        status: r.try_get("status")?,
        progress: r.try_get("progress")?,
        error: r.try_get("error")?,
        sources: json(r.try_get("sources_json")?),
        rule_sets: json(r.try_get("rules_json")?),
        ioc_sets: json(r.try_get("iocs_json")?),
        builtin_rules: r.try_get::<i16, _>("builtin_rules")? != 0,
        summary: r
            .try_get::<Option<String>, _>("summary_json")?
            .and_then(|s| serde_json::from_str(&s).ok()),
        conclusion: r.try_get("conclusion")?,
        conclusion_note: r.try_get("conclusion_note")?,
        created_by: r.try_get("created_by")?,
        created_at: r.try_get("created_at")?,
        finished_at: r.try_get("finished_at")?,
        coverage_full: r.try_get::<Option<i16>, _>("coverage_full")?.map(|v| v != 0),
        systems: Vec::new(),
    })
}

fn iso_date(s: &Option<String>) -> Result<Option<String>> {
    match s.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(v) => khien_domain::time_fmt::parse_user_date(v)
            .map(|d| Some(khien_domain::time_fmt::iso_date(d)))
            .ok_or(StoreError::Conflict("err.date")),
    }
}

/// Rows per multi-row INSERT of detections. SQLite through sqlx's `Any` driver gets
/// slower per row as statements grow (parameters are matched by name), PostgreSQL
/// faster (fewer round trips); see docs/benchmarks.md.
fn rows_per_statement(backend: crate::Backend) -> usize {
    match backend {
        crate::Backend::Sqlite => 16,
        crate::Backend::Postgres => 200,
    }
}

/// Rows per transaction: short enough that a sign-in waiting for the write lock waits
/// for one chunk, not for the whole result.
const ROWS_PER_TX: usize = 500;

/// The sha256 of the rows' canonical JSON lines: the hunt's one audit entry carries it
/// instead of one entry per row.
fn detections_digest(rows: &[DetectionRow]) -> String {
    use sha2::Digest;
    let mut digest = sha2::Sha256::new();
    for d in rows {
        digest.update(serde_json::to_vec(d).unwrap_or_default());
        digest.update([b'\n']);
    }
    khien_domain::audit::hex(&digest.finalize())
}

impl Store {
    /// Stores detections for a hunt in `storing` under `token`, in short transactions
    /// of multi-row INSERTs. Each transaction first checks (and on PostgreSQL locks)
    /// that the hunt is still stored by this token, so no other finisher adds rows.
    async fn store_detections(&self, hunt_id: &str, token: &str, rows: &[DetectionRow]) -> Result<()> {
        use crate::sql::Arg;
        let per_statement = rows_per_statement(self.backend);
        for (tx_no, tx_rows) in rows.chunks(ROWS_PER_TX).enumerate() {
            let tx = WriteTx::begin(self, Actor::system()).await?;
            let mine = sqlx::query("UPDATE hunts SET storing_token = storing_token WHERE id = $1 AND status = 'storing' AND storing_token = $2")
                .bind(hunt_id.to_string())
                .bind(token.to_string())
                .run(&tx)
                .await?;
            crate::one_row(mine)?;
            for (st_no, chunk) in tx_rows.chunks(per_statement).enumerate() {
                let first = tx_no * ROWS_PER_TX + st_no * per_statement;
                let mut sql = Sql::new("INSERT INTO hunt_detections (id, hunt_id, position, ts, source, computer, channel, event_id, rule_id, rule_title, level, author, tags, matched_json) VALUES ");
                for (i, d) in chunk.iter().enumerate() {
                    let position = i64::try_from(first + i).unwrap_or(i64::MAX);
                    if i > 0 {
                        sql.push(", ");
                    }
                    sql.push("(").text(new_id()).push(", ").text(hunt_id).push(", ").int(position);
                    sql.push(", ").bind(Arg::OptText(d.timestamp.clone()));
                    for v in [&d.source, &d.computer, &d.channel] {
                        sql.push(", ").text(v.as_str());
                    }
                    sql.push(", ").bind(Arg::OptInt(d.event_id));
                    for v in [&d.rule_id, &d.rule_title, &d.level, &d.author] {
                        sql.push(", ").text(v.as_str());
                    }
                    sql.push(", ").text(d.tags.join(", ")).push(", ").text(d.matched.to_string()).push(")");
                }
                sql.query().run(&tx).await?;
            }
            // No audit entries here: the chain head is not touched until the final
            // transaction records the hunt with the digest of every row.
            tx.commit().await?;
        }
        Ok(())
    }
}

impl Scoped<'_> {
    /// The systems of a hunt, which must all be in scope; returns the first one's owner
    /// (id, path) for the record's unit.
    async fn hunt_systems_in_scope(&self, systems: &[String]) -> Result<(String, String)> {
        let mut owner = None;
        for id in systems {
            let s = self
                .system(id)
                .await
                .map_err(|_| StoreError::Conflict("hunt.err_systems"))?;
            owner.get_or_insert((s.fields.owner_unit_id.clone(), s.owner_path.clone()));
        }
        owner.ok_or(StoreError::Conflict("hunt.err_systems"))
    }

    async fn insert_hunt(
        &self,
        tx: &WriteTx,
        unit: &str,
        origin: &str,
        status: &str,
        h: &HuntReportIn,
        builtin: bool,
    ) -> Result<String> {
        let id = new_id();
        let now = tx.at().to_string();
        // A recorded hunt (done, or its detections being stored) has its result already.
        let done = status != "queued";
        sqlx::query("INSERT INTO hunts (id, unit_id, title, period_from, period_to, origin, status, progress, sources_json, rules_json, iocs_json, builtin_rules, summary_json, conclusion, created_by, created_at, finished_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, 'pending', $14, $15, $16)")
            .bind(id.clone())
            .bind(unit.to_string())
            .bind(h.title.clone())
            .bind(iso_date(&h.period_from)?)
            .bind(iso_date(&h.period_to)?)
            .bind(origin.to_string())
            .bind(status.to_string())
            .bind(if done { 100i16 } else { 0i16 })
            .bind(to_json(&h.sources))
            .bind(to_json(&h.rule_sets))
            .bind(to_json(&h.ioc_sets))
            .bind(i16::from(builtin))
            .bind(done.then(|| to_json(&h.summary)))
            .bind(self.principal.username.clone())
            .bind(now.clone())
            .bind(done.then_some(now))
            .run(tx)
            .await?;
        for s in &h.systems {
            sqlx::query("INSERT INTO hunt_systems (hunt_id, system_id) VALUES ($1, $2)")
                .bind(id.clone())
                .bind(s.clone())
                .run(tx)
                .await?;
        }
        Ok(id)
    }

    /// The hunt policy's verdict on what was sent.
    fn check_new(h: &HuntReportIn, builtin_rules: bool, library_rules: i64, queued: bool) -> Result<()> {
        let date = |v: &Option<String>| -> Result<Option<time::Date>> {
            match v.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
                None => Ok(None),
                Some(s) => khien_domain::time_fmt::parse_user_date(s)
                    .map(Some)
                    .ok_or(StoreError::Conflict("err.date")),
            }
        };
        khien_domain::hunts::check_new(
            &khien_domain::hunts::NewHunt {
                title: &h.title,
                systems: h.systems.len(),
                sources: h.sources.len(),
                rule_sets: h.rule_sets.len(),
                ioc_sets: h.ioc_sets.len(),
                builtin_rules,
                library_rules: usize::try_from(library_rules).unwrap_or(0),
                period_from: date(&h.period_from)?,
                period_to: date(&h.period_to)?,
            },
            queued,
        )
        .map_err(StoreError::Conflict)
    }

    /// Queues a hunt of uploaded files (the summary and detections of `n` are ignored)
    /// with the rule library's enabled rules; the worker runs it.
    pub async fn queue_hunt(&self, n: &HuntReportIn, builtin_rules: bool) -> Result<String> {
        self.queue_hunt_with(n, builtin_rules, true).await
    }

    /// [`Scoped::queue_hunt`], choosing whether the library's enabled rules are used.
    /// Those rules are snapshotted in the same transaction: the worker hunts with
    /// exactly the rules enabled now, whatever is enabled when it runs.
    pub async fn queue_hunt_with(&self, n: &HuntReportIn, builtin_rules: bool, library: bool) -> Result<String> {
        self.queue_hunt_in(n, builtin_rules, library, None).await
    }

    /// [`Scoped::queue_hunt_with`], linked to the incident it was started from (whose
    /// right to be worked is checked in the same transaction).
    pub(crate) async fn queue_hunt_in(&self, n: &HuntReportIn, builtin_rules: bool, library: bool, incident: Option<&str>) -> Result<String> {
        let report = HuntReportIn {
            title: n.title.trim().to_string(),
            summary: HuntSummary::default(),
            detections: Vec::new(),
            ..n.clone()
        };
        let mut tx = self.write().await?;
        if let Some(incident) = incident {
            self.check_incident_work(&tx, incident).await?;
        }
        let library_rules = if library {
            self.within(&tx).enabled_library_rules().await?
        } else {
            0
        };
        Self::check_new(n, builtin_rules, library_rules, true)?;
        let (unit, path) = self.within(&tx).hunt_systems_in_scope(&n.systems).await?;
        let id = self
            .insert_hunt(&tx, &unit, "upload", "queued", &report, builtin_rules)
            .await?;
        if let Some(incident) = incident {
            sqlx::query("INSERT INTO incident_hunts (hunt_id, incident_id) VALUES ($1, $2)")
                .bind(id.clone())
                .bind(incident.to_string())
                .run(&tx)
                .await?;
        }
        let used = if library_rules > 0 {
            self.store.snapshot_library(&tx, &id).await?
        } else {
            None
        };
        tx.enqueue(&NewJob {
            kind: JOB_KIND,
            subject_id: &id,
            unit_id: Some(&unit),
            payload: serde_json::json!({}),
            max_attempts: 3,
        })
        .await?;
        tx.record("create", "hunt", &id, (&unit, &path), None::<&()>, Some(&serde_json::json!({ "title": report.title, "systems": n.systems, "sources": n.sources, "rules": n.rule_sets, "iocs": n.ioc_sets, "builtin_rules": builtin_rules, "library": used, "incident": incident }))).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Records a hunt run elsewhere (the CLI on a responder's laptop) with its result:
    /// the record first (as `storing`), then its detections in short transactions, then
    /// the record is completed and audited once, with the digest of its detections.
    pub async fn record_hunt(&self, h: &HuntReportIn) -> Result<String> {
        Self::check_new(h, false, 0, false)?;
        let kept = &h.detections[..h.detections.len().min(MAX_STORED_DETECTIONS)];
        let mut summary = h.summary.clone();
        summary.stored = i64::try_from(kept.len()).unwrap_or(0);
        let h = HuntReportIn {
            summary,
            detections: Vec::new(),
            ..h.clone()
        };
        let token = new_id();
        let tx = self.write().await?;
        let (unit, path) = self.within(&tx).hunt_systems_in_scope(&h.systems).await?;
        let id = self
            .insert_hunt(&tx, &unit, "cli", "storing", &h, false)
            .await?;
        sqlx::query("UPDATE hunts SET storing_token = $1 WHERE id = $2")
            .bind(token.clone())
            .bind(id.clone())
            .run(&tx)
            .await?;
        tx.commit().await?;
        self.store.store_detections(&id, &token, kept).await?;
        let mut tx = self.write().await?;
        let changed = sqlx::query("UPDATE hunts SET status = 'done', progress = 100, storing_token = NULL, coverage_full = $3 WHERE id = $1 AND status = 'storing' AND storing_token = $2")
            .bind(id.clone())
            .bind(token)
            .bind(i16::from(h.summary.full_coverage()))
            .run(&tx)
            .await?;
        crate::one_row(changed)?;
        let digest = detections_digest(kept);
        tx.record("create", "hunt", &id, (&unit, &path), None::<&()>, Some(&serde_json::json!({ "title": h.title, "systems": h.systems, "summary": h.summary, "sources": h.sources, "rules": h.rule_sets, "iocs": h.ioc_sets, "detections_sha256": digest }))).await?;
        tx.commit().await?;
        Ok(id)
    }

    fn hunts_sql(&self, f: &HuntFilter) -> Sql {
        let mut sql = Sql::new(" FROM hunts h WHERE 1=1");
        // The unit's own hunts and those over a system it owns: two index lookups, not
        // a test of every hunt (tenancy: the same rule as `restrict_or_linked`).
        if matches!(self.scope, khien_domain::Scope::Subtree { .. }) {
            sql.push(" AND h.id IN (SELECT id FROM hunts WHERE unit_id IN ");
            self.push_scope_units(&mut sql);
            sql.push(" UNION SELECT hs.hunt_id FROM hunt_systems hs JOIN systems s ON s.id = hs.system_id WHERE s.owner_unit_id IN ");
            self.push_scope_units(&mut sql);
            sql.push(")");
        }
        if !f.system_id.is_empty() {
            sql.push(" AND EXISTS (SELECT 1 FROM hunt_systems x WHERE x.hunt_id = h.id AND x.system_id = ").text(f.system_id.clone()).push(")");
        }
        if CONCLUSIONS.contains(&f.conclusion.as_str()) {
            sql.push(" AND h.conclusion = ").text(f.conclusion.clone());
        }
        sql
    }

    /// Log files uploaded for earlier hunts in scope (in the blob store), each once,
    /// newest first: what a new hunt may run on again without a second upload.
    pub async fn uploaded_logs(&self, limit: usize) -> Result<Vec<FileRef>> {
        let base = self.hunts_sql(&HuntFilter::default());
        let mut q = Sql::new("SELECT h.sources_json");
        q.text.push_str(&base.text);
        q.args_from(&base);
        q.push(" AND h.origin = 'upload' ORDER BY h.created_at DESC, h.id DESC LIMIT 200");
        let mut out: Vec<FileRef> = Vec::new();
        for r in q.query().all(self).await? {
            let files: Vec<FileRef> = json(r.try_get("sources_json")?);
            for f in files {
                if out.len() < limit && !out.iter().any(|o| o.sha256 == f.sha256) {
                    out.push(FileRef { count: 0, ..f });
                }
            }
        }
        Ok(out)
    }

    pub async fn hunts(&self, f: &HuntFilter, per_page: i64) -> Result<Page<Hunt>> {
        // `hunts_sql` carries its own FROM and joins: the select is the columns alone.
        let select = format!("SELECT {COLS}");
        crate::NewestFirst {
            select: &select,
            count_from: "SELECT 1",
            table: "hunts",
            alias: "h",
            at: "created_at",
        }
        .page(self, self.hunts_sql(f), crate::Wanted { after: &f.after, page: f.page, per_page }, hunt_from_row, |h: &Hunt| h.id.clone())
        .await
    }

    pub async fn hunt(&self, id: &str) -> Result<Hunt> {
        let mut sql = Sql::new(&format!(
            "SELECT {COLS} FROM hunts h JOIN units u ON u.id = h.unit_id WHERE h.id = "
        ));
        sql.text(id);
        self.restrict_or_linked(&mut sql, "u.path", LINKED);
        let row = sql
            .query()
            .opt(self)
            .await?
            .ok_or(StoreError::NotFound)?;
        let mut h = hunt_from_row(&row)?;
        let rows = sqlx::query("SELECT s.id, s.name FROM hunt_systems hs JOIN systems s ON s.id = hs.system_id WHERE hs.hunt_id = $1 ORDER BY s.name_norm")
            .bind(id.to_string())
            .all(self)
            .await?;
        h.systems = rows
            .iter()
            .map(|r| Ok((r.try_get("id")?, r.try_get("name")?)))
            .collect::<Result<Vec<_>>>()?;
        Ok(h)
    }

    pub async fn hunt_detections(
        &self,
        id: &str,
        f: &DetectionFilter,
        per_page: i64,
    ) -> Result<Page<DetectionRow>> {
        self.hunt(id).await?;
        let mut base = Sql::new(" FROM hunt_detections WHERE hunt_id = ");
        base.text(id);
        for (col, v) in [
            ("level", &f.level),
            ("rule_id", &f.rule_id),
            ("computer", &f.computer),
        ] {
            if !v.trim().is_empty() {
                base.push(&format!(" AND {col} = ")).text(v.trim());
            }
        }
        let mut count = Sql::new("SELECT COUNT(*) AS n");
        count.text.push_str(&base.text);
        count.args_from(&base);
        let total: i64 = count
            .query()
            .one(self)
            .await?
            .try_get("n")?;
        let page = crate::clamp_page(f.page);
        let mut q = Sql::new(
            "SELECT ts, source, computer, channel, event_id, rule_id, rule_title, level, author, tags, matched_json",
        );
        q.text.push_str(&base.text);
        q.args_from(&base);
        q.push(" ORDER BY position LIMIT ")
            .int(per_page)
            .push(" OFFSET ")
            .int((page - 1) * per_page);
        let rows = q.query().all(self).await?;
        let items = rows
            .iter()
            .map(|r| {
                let tags: String = r.try_get("tags")?;
                let matched: String = r.try_get("matched_json")?;
                Ok(DetectionRow {
                    timestamp: r.try_get("ts")?,
                    source: r.try_get("source")?,
                    computer: r.try_get("computer")?,
                    channel: r.try_get("channel")?,
                    event_id: r.try_get("event_id")?,
                    rule_id: r.try_get("rule_id")?,
                    rule_title: r.try_get("rule_title")?,
                    level: r.try_get("level")?,
                    author: r.try_get("author")?,
                    tags: tags
                        .split(", ")
                        .filter(|t| !t.is_empty())
                        .map(String::from)
                        .collect(),
                    matched: serde_json::from_str(&matched).unwrap_or_default(),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Page {
            items,
            total,
            total_capped: false,
            page,
            per_page,
            next_after: None,
        })
    }

    /// The computers named in a hunt's detections (at most 500), for the filter.
    pub async fn hunt_computers(&self, id: &str) -> Result<Vec<String>> {
        self.hunt(id).await?;
        let rows = sqlx::query("SELECT DISTINCT computer FROM hunt_detections WHERE hunt_id = $1 AND computer <> '' ORDER BY computer LIMIT 500")
            .bind(id.to_string())
            .all(self)
            .await?;
        rows.iter()
            .map(|r| Ok(r.try_get("computer")?))
            .collect()
    }

    /// The conclusion of a finished hunt: no sign of compromise, or suspicious. Read,
    /// checked and changed in one transaction, conditional on the conclusion read.
    /// A "suspicious" conclusion opens an incident with the hunt's detections in the
    /// same transaction (`Scoped::open_incident_for_hunt`), so there is never a
    /// suspicious hunt without its incident, nor two incidents for one hunt.
    pub async fn conclude_hunt(&self, id: &str, conclusion: &str, note: &str) -> Result<Option<String>> {
        crate::incidents::retry_reference!(self.conclude_once(id, conclusion, note).await)
    }

    async fn conclude_once(&self, id: &str, conclusion: &str, note: &str) -> Result<Option<String>> {
        let mut tx = self.write().await?;
        let r = self.within(&tx);
        let h = r.hunt(id).await?;
        // Hunts from before coverage was kept (NULL) are judged as they were then.
        let limited = h.coverage_full == Some(false);
        khien_domain::hunts::may_conclude(&h.status, &h.conclusion, conclusion, limited)
            .map_err(StoreError::Conflict)?;
        let (unit_id, path) = r.hunt_unit(id).await?;
        let note = Some(note.trim().to_string()).filter(|n| !n.is_empty());
        let changed = sqlx::query("UPDATE hunts SET conclusion = $1, conclusion_note = $2 WHERE id = $3 AND status = 'done' AND conclusion = $4")
            .bind(conclusion.to_string())
            .bind(note.clone())
            .bind(id.to_string())
            .bind(h.conclusion.clone())
            .run(&tx)
            .await?;
        crate::one_row(changed)?;
        let incident = if conclusion == khien_domain::hunts::SUSPICIOUS {
            Some(
                self.open_incident_for_hunt(&mut tx, &h, (unit_id.clone(), path.clone()), note.as_deref())
                    .await?,
            )
        } else {
            None
        };
        tx.record(
            "conclude",
            "hunt",
            id,
            (&unit_id, &path),
            Some(&serde_json::json!({ "conclusion": h.conclusion })),
            Some(&serde_json::json!({ "conclusion": conclusion, "note": note, "incident": incident })),
        )
        .await?;
        tx.commit().await?;
        Ok(incident)
    }

    /// When the system was last hunted (the 6-monthly duty counts from it). A hunt
    /// whose coverage was limited does not count: it checked less than it was given.
    pub async fn last_hunt(&self, system_id: &str) -> Result<Option<(String, String)>> {
        self.system(system_id).await?;
        let row = sqlx::query("SELECT h.id, h.finished_at FROM hunts h JOIN hunt_systems hs ON hs.hunt_id = h.id WHERE hs.system_id = $1 AND h.status = 'done' AND (h.coverage_full IS NULL OR h.coverage_full = 1) ORDER BY h.finished_at DESC LIMIT 1")
            .bind(system_id.to_string())
            .opt(self)
            .await?;
        row.map(|r| Ok((r.try_get("id")?, r.try_get("finished_at")?)))
            .transpose()
    }
}

impl Scoped<'_> {
    /// The unit a hunt is recorded under (id, path), read where this view reads.
    async fn hunt_unit(&self, id: &str) -> Result<(String, String)> {
        let r = sqlx::query(
            "SELECT u.id, u.path FROM hunts h JOIN units u ON u.id = h.unit_id WHERE h.id = $1",
        )
        .bind(id.to_string())
        .one(self)
        .await?;
        Ok((r.try_get("id")?, r.try_get("path")?))
    }
}

/// A queued hunt, claimed by the worker.
#[derive(Debug, Clone)]
pub struct ClaimedHunt {
    pub id: String,
    pub period_from: Option<String>,
    pub period_to: Option<String>,
    pub sources: Vec<FileRef>,
    pub rule_sets: Vec<FileRef>,
    pub ioc_sets: Vec<FileRef>,
    pub builtin_rules: bool,
}

impl Store {
    /// What the worker needs to run a hunt whose job it holds.
    pub async fn hunt_to_run(&self, id: &str) -> Result<(String, ClaimedHunt)> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLS} FROM hunts h WHERE h.id = $1"
        )))
        .bind(id.to_string())
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound)?;
        let h = hunt_from_row(&row)?;
        Ok((
            h.status,
            ClaimedHunt {
                id: h.id,
                period_from: h.period_from,
                period_to: h.period_to,
                sources: h.sources,
                rule_sets: h.rule_sets,
                ioc_sets: h.ioc_sets,
                builtin_rules: h.builtin_rules,
            },
        ))
    }

    /// The hunt follows its job: running while a worker holds it, queued again when
    /// the worker died, failed (audited) or cancelled with it. A hunt that is no longer
    /// waiting (done, cancelled) is left alone; its worker sees that and stops.
    pub(crate) async fn hunt_job_moved(&self, tx: &mut WriteTx, id: &str, moved: Moved<'_>) -> Result<()> {
        match moved {
            Moved::Claimed => {
                sqlx::query("UPDATE hunts SET status = 'running', progress = 0, storing_token = NULL, error = NULL, started_at = COALESCE(started_at, $1) WHERE id = $2 AND status IN ('queued', 'running', 'storing')")
                    .bind(tx.at().to_string())
                    .bind(id.to_string())
                    .run(tx)
                    .await?;
            }
            Moved::Requeued { .. } => {
                sqlx::query("UPDATE hunts SET status = 'queued', progress = 0, storing_token = NULL WHERE id = $1 AND status IN ('running', 'storing')")
                    .bind(id.to_string())
                    .run(tx)
                    .await?;
            }
            Moved::Cancelled => {
                let changed = sqlx::query("UPDATE hunts SET status = 'cancelled', finished_at = $1, storing_token = NULL WHERE id = $2 AND status IN ('queued', 'running', 'storing')")
                    .bind(tx.at().to_string())
                    .bind(id.to_string())
                    .run(tx)
                    .await?;
                crate::one_row(changed)?;
                // Whatever a worker had begun to store is not a result.
                sqlx::query("DELETE FROM hunt_detections WHERE hunt_id = $1")
                    .bind(id.to_string())
                    .run(tx)
                    .await?;
            }
            Moved::Failed { why } => {
                let changed = sqlx::query("UPDATE hunts SET status = 'failed', error = $1, finished_at = $2, storing_token = NULL WHERE id = $3 AND status IN ('queued', 'running', 'storing')")
                    .bind(why.to_string())
                    .bind(tx.at().to_string())
                    .bind(id.to_string())
                    .run(tx)
                    .await?;
                if changed == 1 {
                    let (unit, path) = self.as_system().within(tx).hunt_unit(id).await?;
                    tx.record("fail", "hunt", id, (&unit, &path), None::<&()>, Some(&serde_json::json!({ "error": why }))).await?;
                }
            }
        }
        Ok(())
    }

    pub async fn hunt_progress(&self, id: &str, percent: i16) -> Result<()> {
        sqlx::query("UPDATE hunts SET progress = $1 WHERE id = $2 AND status = 'running'")
            .bind(percent.clamp(0, 99))
            .bind(id.to_string())
            .execute(&self.writer)
            .await?;
        Ok(())
    }


    /// Stores the result of a hunt the worker ran; audited as the platform with one
    /// entry carrying the digest of the stored detections. Every step holds the job's
    /// lease (its token also marks the hunt while storing), so a worker that lost its
    /// lease — it stalled and another took over, or the hunt was cancelled — stores
    /// nothing. The detections go in short transactions so the write lock is never
    /// held for the whole result.
    pub async fn finish_hunt(
        &self,
        lease: &Lease,
        summary: &HuntSummary,
        detections: &[DetectionRow],
    ) -> Result<()> {
        let id = lease.subject_id.as_str();
        let kept = &detections[..detections.len().min(MAX_STORED_DETECTIONS)];
        let mut summary = summary.clone();
        summary.stored = i64::try_from(kept.len()).unwrap_or(0);
        let token = lease.token.clone();
        let tx = WriteTx::begin(self, Actor::system()).await?;
        self.hold_lease(&tx, lease).await?;
        let claimed = sqlx::query("UPDATE hunts SET status = 'storing', storing_token = $1 WHERE id = $2 AND status = 'running'")
            .bind(token.clone())
            .bind(id.to_string())
            .run(&tx)
            .await?;
        crate::one_row(claimed)?;
        // Rows a crashed earlier attempt left behind.
        sqlx::query("DELETE FROM hunt_detections WHERE hunt_id = $1")
            .bind(id.to_string())
            .run(&tx)
            .await?;
        tx.commit().await?;
        self.store_detections(id, &token, kept).await?;
        let mut tx = WriteTx::begin(self, Actor::system()).await?;
        self.hold_lease(&tx, lease).await?;
        let (unit, path) = self.as_system().within(&tx).hunt_unit(id).await?;
        let changed = sqlx::query("UPDATE hunts SET status = 'done', progress = 100, summary_json = $1, finished_at = $2, storing_token = NULL, coverage_full = $5 WHERE id = $3 AND status = 'storing' AND storing_token = $4")
            .bind(to_json(&summary))
            .bind(tx.at().to_string())
            .bind(id.to_string())
            .bind(token)
            .bind(i16::from(summary.full_coverage()))
            .run(&tx)
            .await?;
        crate::one_row(changed)?;
        let digest = detections_digest(kept);
        self.complete_job(&tx, lease, &serde_json::json!({ "detections": summary.detections, "stored": summary.stored })).await?;
        tx.record(
            "finish",
            "hunt",
            id,
            (&unit, &path),
            None::<&()>,
            Some(&serde_json::json!({ "summary": summary, "detections_sha256": digest })),
        )
        .await?;
        tx.commit().await
    }
}
