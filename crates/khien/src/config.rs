//! Settings, layered: defaults, then a TOML file (`--config` / `KHIEN_CONFIG`, or
//! `./khien.toml` when present), then `KHIEN_*` environment variables and flags (clap
//! reads both, flags win).

use std::path::{Path, PathBuf};

use serde::Deserialize;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FileConfig {
    pub database_url: Option<String>,
    pub listen: Option<String>,
    pub data_dir: Option<PathBuf>,
    pub secure_cookies: Option<bool>,
    pub province_name: Option<String>,
    /// The department in charge of information security (today "Sở Khoa học và Công
    /// nghệ"): named on dossiers as the appraising specialised unit, with the province's
    /// People's Committee as the owner (chủ quản), instead of the generic legal parties.
    pub department_name: Option<String>,
    pub log_format: Option<String>,
    pub session_idle_minutes: Option<i64>,
    /// Public holidays per year, same shape as data/regimes/holidays-vn.toml; replaces the
    /// embedded calendar (the government announces swapped days each year).
    pub holidays_file: Option<PathBuf>,
    /// Incident reporting clocks, same shape as data/regimes/incident-clocks.toml;
    /// replaces the embedded file (`khien incident deadlines`).
    pub incident_clocks_file: Option<PathBuf>,
    /// A directory of obligation rules, same shape as data/obligations/ (copy it and
    /// edit): replaces the embedded rules (`khien obligations check`).
    pub obligation_rules_dir: Option<PathBuf>,
    /// The province whose obligation rules bind this deployment's units (a file of the
    /// rules directory: `kon-tum`, `thai-nguyen`, …); `default` (national rules only)
    /// when unset.
    pub obligations_province: Option<String>,
    /// Names of the legal parties, same shape as data/regimes/roles.toml; merged over the
    /// embedded names (ministries and departments get renamed).
    pub authority_names_file: Option<PathBuf>,
    /// Weights of the compliance index, same shape as data/compliance/weights.toml;
    /// replaces the embedded weights.
    pub compliance_weights_file: Option<PathBuf>,
    /// The periodic report templates, same shape as data/reports/periodic.toml;
    /// replaces the embedded templates.
    pub report_templates_file: Option<PathBuf>,
    /// The outlines of incident response plans, same shape as
    /// data/regimes/response-plan-outlines.toml; replaces the embedded outlines.
    pub response_plan_outlines_file: Option<PathBuf>,
    /// The minimum security share of IT budgets, same shape as
    /// data/regimes/budget-share.toml; replaces the embedded thresholds.
    pub budget_share_file: Option<PathBuf>,
    /// The 4-layer model's layers and the level from which all are asked, same shape as
    /// data/regimes/protection-layers.toml; replaces the embedded model.
    pub protection_layers_file: Option<PathBuf>,
    /// The backup policy (the level from which a plan and restore tests are asked, and
    /// how recent a successful restore must be), same shape as data/regimes/backups.toml.
    pub backups_file: Option<PathBuf>,
    /// The third-party policy (the security clauses a contract should have and how
    /// often each party is reviewed), same shape as data/regimes/vendors.toml.
    pub vendors_file: Option<PathBuf>,
    /// LibreOffice's `soffice`, which renders the PDF copies of documents; by default
    /// `soffice` or `libreoffice` on PATH, and without one documents are DOCX/XLSX only.
    pub pdf_converter: Option<PathBuf>,
    /// Remediation deadlines per severity and security level, same shape as
    /// data/findings/remediation.toml; replaces the embedded default.
    pub remediation_file: Option<PathBuf>,
    /// Open connections the server accepts in all, and from one client address.
    pub max_connections: Option<usize>,
    pub max_connections_per_address: Option<usize>,
    /// Key of the audit anchors (at least 32 bytes; or KHIEN_AUDIT_KEY). Keep it out of
    /// the database's reach: whoever holds it can sign a rewritten chain.
    pub audit_key: Option<String>,
    /// Where `serve` appends a signed chain head, and how often (minutes, default 60).
    pub audit_anchor_file: Option<PathBuf>,
    pub audit_anchor_minutes: Option<u64>,
    /// Bearer token that `/metrics` asks for (or KHIEN_METRICS_TOKEN); open without one.
    pub metrics_token: Option<String>,
    /// Largest log upload (hunts), in MiB; 64 by default.
    pub max_upload_mb: Option<usize>,
    /// Database pool: connections (PostgreSQL's pool, SQLite's readers), seconds a
    /// request waits for one before "busy" (503), and PostgreSQL's statement timeout
    /// in seconds (0: none).
    pub db_max_connections: Option<u32>,
    pub db_acquire_timeout_seconds: Option<u64>,
    pub db_statement_timeout_seconds: Option<u64>,
    /// How long a worker's lease on a job lasts without a heartbeat (seconds, default
    /// 60): how soon another worker takes over the job of one that died.
    pub job_lease_seconds: Option<u64>,
    /// Addresses (or CIDR ranges) of the reverse proxies in front of Khiên; only from
    /// them is `X-Forwarded-For` believed, for sign-in throttling and the audit trail.
    pub trusted_proxies: Option<Vec<String>>,
    /// Where uploaded files live: `local` (under the data dir, the default) or `s3`, a
    /// bucket every `serve` and `worker` process shares (or KHIEN_BLOB_STORE).
    pub blob_store: Option<String>,
    /// The S3-compatible store (or KHIEN_S3_*; the keys and region also from the
    /// standard AWS_* variables).
    pub s3_endpoint: Option<String>,
    pub s3_bucket: Option<String>,
    pub s3_region: Option<String>,
    pub s3_access_key_id: Option<String>,
    pub s3_secret_access_key: Option<String>,
    /// Plain `http://` endpoints are refused unless this is true.
    pub s3_allow_http: Option<bool>,
    /// The SMTP relay reminders are e-mailed through (none: reminders stay in the app,
    /// their e-mails wait in the outbox). Port 25 by default (587 with STARTTLS).
    pub smtp_host: Option<String>,
    pub smtp_port: Option<u16>,
    /// The sender address.
    pub smtp_from: Option<String>,
    /// Upgrade with STARTTLS, verifying the relay's certificate (default true).
    pub smtp_starttls: Option<bool>,
    /// The address people open Khiên at (`https://khien.example.gov.vn`): the links in
    /// e-mails start with it.
    pub public_url: Option<String>,
}

impl FileConfig {
    pub fn db_options(&self) -> khien_store::DbOptions {
        let defaults = khien_store::DbOptions::default();
        khien_store::DbOptions {
            max_connections: self.db_max_connections,
            acquire_timeout: self
                .db_acquire_timeout_seconds
                .map_or(defaults.acquire_timeout, |s| std::time::Duration::from_secs(s.max(1))),
            statement_timeout: match self.db_statement_timeout_seconds {
                None => defaults.statement_timeout,
                Some(0) => None,
                Some(s) => Some(std::time::Duration::from_secs(s)),
            },
            migrate: true,
        }
    }

    pub fn job_lease(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.job_lease_seconds.unwrap_or(60).max(1))
    }
}

/// The blob store the settings ask for. `lookup` reads the environment (a parameter
/// so the layering can be tested); KHIEN_* variables win over the file, which wins
/// over the generic AWS_* variables.
pub fn blobs(
    file: &FileConfig,
    data_dir: &Path,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> anyhow::Result<khien_store::Blobs> {
    let pick = |khien: &str, from_file: &Option<String>, aws: &[&str]| {
        lookup(khien)
            .or_else(|| from_file.clone())
            .or_else(|| aws.iter().find_map(|k| lookup(k)))
            .filter(|v| !v.trim().is_empty())
    };
    let root = data_dir.join("blobs");
    let kind = pick("KHIEN_BLOB_STORE", &file.blob_store, &[]).unwrap_or_else(|| "local".into());
    match kind.trim() {
        "local" => Ok(khien_store::Blobs::new(root)),
        "s3" => {
            let need = |name: &str, v: Option<String>| {
                v.ok_or_else(|| anyhow::anyhow!("blob_store = \"s3\" needs {name}"))
            };
            let allow_http = match lookup("KHIEN_S3_ALLOW_HTTP") {
                Some(v) => matches!(v.trim(), "1" | "true" | "yes"),
                None => file.s3_allow_http.unwrap_or(false),
            };
            let config = khien_store::S3Config {
                endpoint: need(
                    "s3_endpoint (or KHIEN_S3_ENDPOINT)",
                    pick("KHIEN_S3_ENDPOINT", &file.s3_endpoint, &["AWS_ENDPOINT_URL"]),
                )?,
                bucket: need("s3_bucket (or KHIEN_S3_BUCKET)", pick("KHIEN_S3_BUCKET", &file.s3_bucket, &[]))?,
                region: pick("KHIEN_S3_REGION", &file.s3_region, &["AWS_REGION", "AWS_DEFAULT_REGION"])
                    .unwrap_or_else(|| "us-east-1".into()),
                access_key_id: need(
                    "s3_access_key_id (or KHIEN_S3_ACCESS_KEY_ID, AWS_ACCESS_KEY_ID)",
                    pick("KHIEN_S3_ACCESS_KEY_ID", &file.s3_access_key_id, &["AWS_ACCESS_KEY_ID"]),
                )?,
                secret_access_key: need(
                    "s3_secret_access_key (or KHIEN_S3_SECRET_ACCESS_KEY, AWS_SECRET_ACCESS_KEY)",
                    pick("KHIEN_S3_SECRET_ACCESS_KEY", &file.s3_secret_access_key, &["AWS_SECRET_ACCESS_KEY"]),
                )?,
                session_token: lookup("AWS_SESSION_TOKEN").filter(|v| !v.is_empty()),
                allow_http,
            };
            // Temporary uploads and scratch space stay on local disk.
            khien_store::Blobs::s3(config, root.join("tmp")).map_err(|e| anyhow::anyhow!(e))
        }
        other => anyhow::bail!("blob_store must be \"local\" or \"s3\", not {other:?}"),
    }
}

fn read(p: &Path) -> anyhow::Result<String> {
    std::fs::read_to_string(p).map_err(|e| anyhow::anyhow!("cannot read {}: {e}", p.display()))
}

/// The holiday calendar: the configured `holidays_file`, else the embedded one.
pub fn calendar(file: &FileConfig) -> anyhow::Result<khien_levels::Calendar> {
    Ok(match &file.holidays_file {
        Some(p) => khien_levels::Calendar::from_toml(&read(p)?)
            .map_err(|e| anyhow::anyhow!("{}: {e}", p.display()))?,
        None => khien_levels::Calendar::vietnam()?.clone(),
    })
}

/// What `khien incident …` and `khien obligations …` count with.
pub fn duty_overrides(file: &FileConfig) -> anyhow::Result<khien_duties::Overrides> {
    Ok(khien_duties::Overrides {
        calendar: calendar(file)?,
        incident_clocks_file: file.incident_clocks_file.clone(),
        obligation_rules_dir: file.obligation_rules_dir.clone(),
    })
}

/// The obligation rules the web pages count with, and the province they apply.
pub fn obligation_rules(
    file: &FileConfig,
    calendar: &khien_levels::Calendar,
) -> anyhow::Result<(khien_duties::Rules, String)> {
    let rules = khien_duties::load_rules(file.obligation_rules_dir.as_deref(), calendar.clone())?;
    let province = file
        .obligations_province
        .clone()
        .unwrap_or_else(|| khien_duties::rules::DEFAULT_PROVINCE.to_string());
    // Checked at start: a misspelt province must not leave every page failing.
    rules.effective(&province)?;
    Ok((rules, province))
}

/// The weights of the compliance index (`compliance_weights_file`, else the shipped ones).
pub fn compliance_weights(file: &FileConfig) -> anyhow::Result<khien_duties::compliance::Weights> {
    Ok(match &file.compliance_weights_file {
        Some(p) => {
            let text = std::fs::read_to_string(p).map_err(|e| anyhow::anyhow!("cannot read {}: {e}", p.display()))?;
            khien_duties::compliance::Weights::parse(&text, &p.display().to_string())?
        }
        None => khien_duties::compliance::Weights::embedded()?,
    })
}

/// The periodic report templates (`report_templates_file`, else the shipped ones),
/// checked against the figures the store counts.
pub fn report_templates(file: &FileConfig) -> anyhow::Result<khien_duties::periodic::Templates> {
    let known = khien_store::period_figures::is_metric;
    Ok(match &file.report_templates_file {
        Some(p) => {
            let text = std::fs::read_to_string(p).map_err(|e| anyhow::anyhow!("cannot read {}: {e}", p.display()))?;
            khien_duties::periodic::Templates::parse(&text, &p.display().to_string(), known)?
        }
        None => khien_duties::periodic::Templates::embedded(known)?,
    })
}

/// A regulation file a deployment may replace: `path`'s content when set, else the
/// shipped text, parsed by `parse`; an error names the file (or `what` was shipped).
fn regulation_file<T>(path: Option<&std::path::Path>, what: &str, embedded: &str, parse: fn(&str) -> Result<T, String>) -> anyhow::Result<T> {
    match path {
        Some(p) => {
            let text = std::fs::read_to_string(p).map_err(|e| anyhow::anyhow!("cannot read {}: {e}", p.display()))?;
            parse(&text).map_err(|e| anyhow::anyhow!("{}: {e}", p.display()))
        }
        None => parse(embedded).map_err(|e| anyhow::anyhow!("the embedded {what}: {e}")),
    }
}

/// The outlines incident response plans follow (`response_plan_outlines_file`, else
/// the shipped ones).
pub fn response_plan_outlines(file: &FileConfig) -> anyhow::Result<khien_domain::response_plans::Outlines> {
    use khien_domain::response_plans::{EMBEDDED_OUTLINES, Outlines};
    regulation_file(file.response_plan_outlines_file.as_deref(), "response plan outlines", EMBEDDED_OUTLINES, Outlines::parse)
}

/// The minimum security share of IT budgets (`budget_share_file`, else the shipped one).
pub fn budget_thresholds(file: &FileConfig) -> anyhow::Result<khien_domain::budget::Thresholds> {
    use khien_domain::budget::{EMBEDDED_THRESHOLDS, Thresholds};
    regulation_file(file.budget_share_file.as_deref(), "budget share thresholds", EMBEDDED_THRESHOLDS, Thresholds::parse)
}

/// The third-party policy (`vendors_file`, else the shipped one).
pub fn vendor_policy(file: &FileConfig) -> anyhow::Result<khien_domain::vendors::Policy> {
    use khien_domain::vendors::{EMBEDDED_POLICY, Policy};
    regulation_file(file.vendors_file.as_deref(), "third-party policy", EMBEDDED_POLICY, Policy::parse)
}

/// The backup policy (`backups_file`, else the shipped one).
pub fn backup_policy(file: &FileConfig) -> anyhow::Result<khien_domain::backups::Policy> {
    use khien_domain::backups::{EMBEDDED_POLICY, Policy};
    regulation_file(file.backups_file.as_deref(), "backup policy", EMBEDDED_POLICY, Policy::parse)
}

/// The 4-layer model (`protection_layers_file`, else the shipped one).
pub fn protection_model(file: &FileConfig) -> anyhow::Result<khien_domain::protection::Model> {
    use khien_domain::protection::{EMBEDDED_MODEL, Model};
    regulation_file(file.protection_layers_file.as_deref(), "4-layer model", EMBEDDED_MODEL, Model::parse)
}

/// The incident reporting clocks the web pages count with (`incident_clocks_file`,
/// else the shipped ones): the same rules as `khien incident deadlines`.
pub fn clock_rules(file: &FileConfig) -> anyhow::Result<khien_duties::ClockRules> {
    Ok(khien_duties::load_clock_rules(file.incident_clocks_file.as_deref())?)
}

/// The SMTP relay, if `smtp_host` is set (then `smtp_from` is required).
pub fn smtp(file: &FileConfig) -> anyhow::Result<Option<khien::mail::SmtpConfig>> {
    let Some(host) = file.smtp_host.clone().filter(|h| !h.trim().is_empty()) else {
        return Ok(None);
    };
    let from = file
        .smtp_from
        .clone()
        .filter(|f| f.contains('@'))
        .ok_or_else(|| anyhow::anyhow!("smtp_host is set: smtp_from must be the sender's address"))?;
    let starttls = file.smtp_starttls.unwrap_or(true);
    Ok(Some(khien::mail::SmtpConfig {
        host,
        port: file.smtp_port.unwrap_or(if starttls { 587 } else { 25 }),
        from,
        starttls,
        timeout: std::time::Duration::from_secs(30),
    }))
}

/// The job worker as settings make it: the lease, the reminder sweep's rules (the
/// same as the web pages'), the SMTP relay, and the daily schedule.
pub fn worker(file: &FileConfig, web: &khien_web::WebConfig) -> anyhow::Result<khien::jobs::WorkerConfig> {
    let mut w = khien::jobs::WorkerConfig::new(file.job_lease());
    w.sweep = khien_web::notifications::sweep::SweepConfig::from_web(web).map(|mut s| {
        s.base_url = file.public_url.clone();
        std::sync::Arc::new(s)
    });
    w.smtp = smtp(file)?.map(std::sync::Arc::new);
    w.schedule = true;
    Ok(w)
}

/// The regulation data a deployment may override: (calendar, authority names).
pub fn regulation_data(
    file: &FileConfig,
) -> anyhow::Result<(khien_levels::Calendar, khien_levels::RoleNames)> {
    let calendar = calendar(file)?;
    let mut names = khien_levels::RoleNames::defaults()?;
    if let Some(p) = &file.authority_names_file {
        names = names.merged_with(
            khien_levels::RoleNames::from_toml(&read(p)?)
                .map_err(|e| anyhow::anyhow!("{}: {e}", p.display()))?,
        );
    }
    Ok((calendar, names))
}

pub fn load_file(path: Option<&Path>) -> anyhow::Result<FileConfig> {
    let path = match path {
        Some(p) => p.to_path_buf(),
        None if Path::new("khien.toml").exists() => PathBuf::from("khien.toml"),
        None => return Ok(FileConfig::default()),
    };
    let text = std::fs::read_to_string(&path)
        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
    toml::from_str(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
}

/// The database URL: flag/env first, then the file, then SQLite under the data dir.
pub fn database_url(
    flag: Option<&str>,
    file: &FileConfig,
    data_dir: &Path,
) -> anyhow::Result<String> {
    if let Some(u) = flag.map(String::from).or_else(|| file.database_url.clone()) {
        return Ok(u);
    }
    private_dir(data_dir)?;
    Ok(format!("sqlite://{}", data_dir.join("khien.db").display()))
}

/// Creates the data directory readable by the service account only (0700): it holds
/// the database, every uploaded file and the jobs' scratch space.
pub fn private_dir(dir: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir)
        .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", dir.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
            .map_err(|e| anyhow::anyhow!("cannot restrict {}: {e}", dir.display()))?;
    }
    Ok(())
}
