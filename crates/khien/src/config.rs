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
