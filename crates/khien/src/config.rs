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
    std::fs::create_dir_all(data_dir)
        .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", data_dir.display()))?;
    Ok(format!("sqlite://{}", data_dir.join("khien.db").display()))
}
