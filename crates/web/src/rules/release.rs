//! Reading a rule release: a zip through the platform's zip guard (entries, inflated
//! sizes and ratios bounded; entry names never trusted), or loose rule files (a folder
//! picked in the browser), then each file judged by the hunt engine.

use std::io::Read;
use std::path::Path;

use khien_docs::zip_guard::{GuardedArchive, ZipGuardError, ZipLimits};
use khien_domain::rules::{entry_path, is_rule_file, is_version_file};
use khien_store::rules::RuleFileIn;

const MIB: u64 = 1024 * 1024;

/// A SigmaHQ release with every rule (about 3,700 files, 15 MiB inflated) fits well
/// inside these; a rule file of more than 1 MiB is not a rule.
pub const LIMITS: ZipLimits = ZipLimits {
    max_entries: 20_000,
    max_total_uncompressed: 128 * MIB,
    max_entry_uncompressed: MIB,
    max_ratio: 100,
    ratio_applies_above: 256 * 1024,
};

/// Most rule files in one set.
pub const MAX_FILES: usize = 10_000;

/// What a release holds: its rule files (relative path, bytes) and its version file.
#[derive(Debug, Default)]
pub struct Release {
    pub files: Vec<(String, Vec<u8>)>,
    pub version: Option<String>,
}

impl Release {
    /// Adds a file found in the release under `name` (checked), keeping rule files and
    /// the version file; other files (README, licence, tests) are passed over.
    pub fn add(&mut self, name: &str, bytes: Vec<u8>) -> Result<(), &'static str> {
        let path = entry_path(name)?;
        if is_version_file(&path) {
            self.version = Some(khien_domain::rules::label(&String::from_utf8_lossy(&bytes)))
                .filter(|v| !v.is_empty());
        } else if is_rule_file(&path) {
            if self.files.len() >= MAX_FILES {
                return Err("rules.err_too_many");
            }
            self.files.push((path, bytes));
        }
        Ok(())
    }
}

/// Why an archive is refused (an i18n key).
fn refused(e: &ZipGuardError) -> &'static str {
    match e {
        ZipGuardError::NotZip => "rules.err_not_zip",
        _ => "rules.err_bomb",
    }
}

/// Reads a zip at `path`. Any entry name that climbs out of the archive, is absolute
/// or holds control characters refuses the whole archive, as does passing a limit.
pub fn read_zip(path: &Path) -> Result<Release, &'static str> {
    let file = std::fs::File::open(path).map_err(|_| "rules.err_not_zip")?;
    let mut archive = GuardedArchive::new(std::io::BufReader::new(file), LIMITS)
        .map_err(|e| refused(&e))?;
    let mut release = Release::default();
    for i in 0..archive.len() {
        let mut entry = archive.entry_at(i).map_err(|e| refused(&e))?;
        let name = entry.name().to_string();
        // Checked before anything is read, directories included.
        entry_path(&name)?;
        if name.ends_with('/') {
            continue;
        }
        let path = entry_path(&name)?;
        if !is_rule_file(&path) && !is_version_file(&path) {
            continue;
        }
        let mut bytes = Vec::new();
        entry
            .read_to_end(&mut bytes)
            .map_err(|e| refused(&ZipGuardError::from_io(&e)))?;
        release.add(&name, bytes)?;
    }
    Ok(release)
}

/// The files of a release judged by the hunt engine: each kept, loaded or skipped
/// with its reason. A common top folder (`sigma-r2025-08-25/…`) is dropped, so the
/// same release as a zip or as a folder has the same paths.
pub fn judge(release: Release) -> Vec<RuleFileIn> {
    let first = |p: &str| p.split('/').next().map(String::from);
    let common = release.files.first().and_then(|(p, _)| first(p)).filter(|top| {
        release
            .files
            .iter()
            .all(|(p, _)| p.contains('/') && first(p).as_deref() == Some(top.as_str()))
    });
    release
        .files
        .into_iter()
        .map(|(path, bytes)| {
            let path = match &common {
                Some(top) => path
                    .strip_prefix(top.as_str())
                    .and_then(|p| p.strip_prefix('/'))
                    .map(String::from)
                    .unwrap_or(path),
                None => path,
            };
            judge_file(path, bytes)
        })
        .collect()
}

fn judge_file(path: String, bytes: Vec<u8>) -> RuleFileIn {
    let text = match String::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            return RuleFileIn {
                title: path.rsplit('/').next().unwrap_or(&path).to_string(),
                path,
                text: String::from_utf8_lossy(e.as_bytes()).into_owned(),
                problem: Some("not UTF-8 text".into()),
                ..RuleFileIn::default()
            };
        }
    };
    let check = khien_hunt::sigma::check_rule_file(&text);
    let mut first = check.rules.first().cloned().unwrap_or_default();
    if first.title.is_empty() {
        first.title = path.rsplit('/').next().unwrap_or(&path).to_string();
    }
    RuleFileIn {
        path,
        rule_id: first.id,
        title: first.title,
        level: first.level,
        status: first.status,
        product: first.product,
        category: first.category,
        service: first.service,
        rule_count: i64::try_from(check.rules.len()).unwrap_or(0),
        problem: (!check.problems.is_empty()).then(|| check.problems.join("; ")),
        text,
    }
}
