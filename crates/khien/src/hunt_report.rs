//! `khien hunt … --report-to URL --token TOKEN --system ID`: hunt here (a responder's
//! laptop, a log server), then record the hunt and its detections in the platform.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;
use khien::jobs::{HuntInput, hunt_files};
use khien_hunt::timeparse::Timestamp;
use khien_store::hunts::{FileRef, HuntReportIn};
use sha2::{Digest, Sha256};

#[derive(Args)]
pub struct HuntCommand {
    #[command(flatten)]
    pub args: khien_hunt::HuntArgs,
    /// Record the hunt in a Khiên server (its base URL, e.g. https://khien.example.gov.vn)
    #[arg(long, value_name = "URL", requires = "token")]
    pub report_to: Option<String>,
    /// API token for --report-to (created on the account page)
    #[arg(long, env = "KHIEN_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// Id of a system the logs come from (repeatable; needed with --report-to)
    #[arg(long = "system", value_name = "ID")]
    pub systems: Vec<String>,
    /// Name of the hunt record (default: the date and the inputs)
    #[arg(long, value_name = "TEXT")]
    pub title: Option<String>,
}

pub fn run(cmd: HuntCommand) -> ExitCode {
    let Some(url) = cmd.report_to.clone() else {
        return khien_hunt::run(cmd.args);
    };
    match report(&cmd, &url) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("khien hunt: {e:#}");
            ExitCode::from(1)
        }
    }
}

/// Every file under the given paths, with its sha256, so the record says exactly what was used.
fn describe(paths: &[PathBuf]) -> anyhow::Result<Vec<FileRef>> {
    fn walk(p: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
        if p.is_dir() {
            let mut entries: Vec<PathBuf> = std::fs::read_dir(p)?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .collect();
            entries.sort();
            for e in entries {
                walk(&e, out)?;
            }
        } else {
            out.push(p.to_path_buf());
        }
        Ok(())
    }
    let mut files = Vec::new();
    for p in paths.iter().filter(|p| p.as_os_str() != "builtin") {
        walk(p, &mut files).map_err(|e| anyhow::anyhow!("{}: {e}", p.display()))?;
    }
    files
        .iter()
        .map(|f| {
            let bytes = std::fs::read(f).map_err(|e| anyhow::anyhow!("{}: {e}", f.display()))?;
            let sha256 = khien_domain::audit::hex(&Sha256::digest(&bytes));
            Ok(FileRef {
                name: f.display().to_string(),
                sha256,
                size: i64::try_from(bytes.len()).unwrap_or(i64::MAX),
                count: 0,
            })
        })
        .collect()
}

fn report(cmd: &HuntCommand, url: &str) -> anyhow::Result<ExitCode> {
    if cmd.systems.is_empty() {
        anyhow::bail!("--report-to needs --system ID (the system the logs come from)");
    }
    let base = url.trim_end_matches('/');
    let token = cmd.token.clone().unwrap_or_default();
    // Check the token and the systems before hunting, so a typo does not cost a long run
    // (and a refusal is read as such, not as a connection cut while sending).
    for system in &cmd.systems {
        let endpoint = format!("{base}/api/v1/systems/{system}");
        let mut resp = ureq::get(&endpoint)
            .header("Authorization", &format!("Bearer {token}"))
            .config()
            .http_status_as_error(false)
            .build()
            .call()
            .map_err(|e| anyhow::anyhow!("cannot reach {endpoint}: {e}"))?;
        match resp.status().as_u16() {
            200 => {}
            401 => {
                anyhow::bail!("the server refused the token (401): create one on your account page")
            }
            404 => anyhow::bail!("system {system} is unknown or outside your scope (404)"),
            other => anyhow::bail!(
                "the server answered {other}: {}",
                resp.body_mut().read_to_string().unwrap_or_default()
            ),
        }
    }
    let a = &cmd.args;
    let when = |s: &Option<String>| -> anyhow::Result<Option<Timestamp>> {
        s.as_deref()
            .map(|t| {
                khien_hunt::timeparse::parse_any(t)
                    .ok_or_else(|| anyhow::anyhow!("cannot read the time {t}"))
            })
            .transpose()
    };
    let input = HuntInput {
        logs: a.paths.clone(),
        rules: a
            .sigma
            .iter()
            .filter(|p| p.as_os_str() != "builtin")
            .cloned()
            .collect(),
        iocs: a.ioc.clone(),
        // Without --sigma the built-in pack is used, as `khien hunt` does.
        builtin_rules: a.sigma.is_empty() || a.sigma.iter().any(|p| p.as_os_str() == "builtin"),
        from: when(&a.from)?,
        to: when(&a.to)?,
        names: Vec::new(),
        rule_names: Vec::new(),
    };
    let outcome = hunt_files(&input, &|done, total| eprint!("\r{done}/{total} files"));
    eprintln!();
    let s = &outcome.summary;
    eprintln!(
        "{} files, {} events, {} detections ({} skipped records)",
        s.files, s.events, s.detections, s.skipped
    );
    if let Some(path) = &a.output {
        let mut f = std::io::BufWriter::new(std::fs::File::create(path)?);
        for d in &outcome.detections {
            writeln!(f, "{}", serde_json::to_string(d)?)?;
        }
    }
    let date = |t: &Option<Timestamp>| {
        t.map(|t| {
            khien_hunt::timeparse::format(&t)
                .chars()
                .take(10)
                .collect::<String>()
        })
    };
    let report = HuntReportIn {
        title: cmd.title.clone().unwrap_or_else(|| {
            // The default title carries the Vietnamese calendar day of the run.
            format!(
                "khien hunt {}",
                khien_domain::time_fmt::iso_date(khien_domain::time_fmt::vn_date(
                    (crate::cli::wall_clock())()
                ))
            )
        }),
        systems: cmd.systems.clone(),
        period_from: date(&input.from),
        period_to: date(&input.to),
        sources: describe(&a.paths)?,
        rule_sets: describe(&input.rules)?,
        ioc_sets: describe(&a.ioc)?,
        summary: outcome.summary,
        detections: outcome.detections,
    };
    let endpoint = format!("{base}/api/v1/hunts");
    let body = serde_json::to_string(&report)?;
    let resp = ureq::post(&endpoint)
        .header("Authorization", &format!("Bearer {token}"))
        .header("Content-Type", "application/json")
        .config()
        .http_status_as_error(false)
        .build()
        .send(body.as_str());
    let mut resp = resp.map_err(|e| anyhow::anyhow!("cannot reach {endpoint}: {e}"))?;
    let status = resp.status().as_u16();
    let text = resp.body_mut().read_to_string().unwrap_or_default();
    if status != 201 {
        anyhow::bail!("the server refused the report ({status}): {text}");
    }
    let id = serde_json::from_str::<serde_json::Value>(&text)
        .ok()
        .and_then(|v| v["id"].as_str().map(String::from))
        .unwrap_or_default();
    println!("recorded: {base}/hunts/{id}");
    Ok(ExitCode::SUCCESS)
}
