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
    pub log_format: Option<String>,
    pub session_idle_minutes: Option<i64>,
    /// Public holidays per year, same shape as data/regimes/holidays-vn.toml; replaces the
    /// embedded calendar (the government announces swapped days each year).
    pub holidays_file: Option<PathBuf>,
    /// Names of the legal parties, same shape as data/regimes/roles.toml; merged over the
    /// embedded names (ministries and departments get renamed).
    pub authority_names_file: Option<PathBuf>,
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

/// The regulation data a deployment may override: (calendar, authority names).
pub fn regulation_data(
    file: &FileConfig,
) -> anyhow::Result<(khien_levels::Calendar, khien_levels::RoleNames)> {
    let read = |p: &Path| {
        std::fs::read_to_string(p).map_err(|e| anyhow::anyhow!("cannot read {}: {e}", p.display()))
    };
    let calendar = match &file.holidays_file {
        Some(p) => khien_levels::Calendar::from_toml(&read(p)?)
            .map_err(|e| anyhow::anyhow!("{}: {e}", p.display()))?,
        None => khien_levels::Calendar::vietnam()?.clone(),
    };
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
