//! The rule library: who manages it, how a release's version and a rule file's path
//! are read from what was uploaded, and which archive entry names are refused.

use crate::roles::Role;

/// Importing a rule set and enabling or disabling rules changes what every hunt of the
/// province checks: the province administrator's act. Everyone may read the library.
pub fn may_manage(role: Role) -> bool {
    role == Role::ProvinceAdmin
}

/// Levels in the order people sort by (most severe first), as Sigma spells them.
pub const LEVELS: [&str; 5] = ["critical", "high", "medium", "low", "informational"];

/// Longest version or set name kept.
const MAX_LABEL: usize = 100;

/// A label as stored: trimmed, one line, at most [`MAX_LABEL`] characters.
pub fn label(s: &str) -> String {
    s.lines()
        .next()
        .unwrap_or("")
        .trim()
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_LABEL)
        .collect()
}

/// The version a SigmaHQ release names in its file name (`sigma_core_r2025-08-25.zip`,
/// `sigma-r2024-12-19.zip` → `r2025-08-25`, `r2024-12-19`), when it does.
pub fn version_from_name(name: &str) -> Option<String> {
    let b = name.as_bytes();
    // `r` + YYYY-MM-DD, not preceded by a letter.
    (0..b.len().saturating_sub(10)).find_map(|i| {
        let w = b.get(i..i + 11)?;
        let shape = w[0] == b'r'
            && w[1..5].iter().all(u8::is_ascii_digit)
            && w[5] == b'-'
            && w[6..8].iter().all(u8::is_ascii_digit)
            && w[8] == b'-'
            && w[9..11].iter().all(u8::is_ascii_digit);
        let starts_word = i == 0 || !b[i - 1].is_ascii_alphabetic();
        (shape && starts_word).then(|| String::from_utf8_lossy(w).into_owned())
    })
}

/// The set's name from an uploaded file name: the name without its folder and
/// `.zip` extension.
pub fn name_from_file(file: &str) -> String {
    let base = file.rsplit(['/', '\\']).next().unwrap_or(file);
    let stem = base
        .strip_suffix(".zip")
        .or_else(|| base.strip_suffix(".ZIP"))
        .unwrap_or(base);
    label(stem)
}

/// An archive entry or uploaded file name as a relative path inside the set, or why
/// it is refused. Names are only ever labels (nothing is written under them), but a
/// name that climbs out (`../`), is absolute, names a drive or holds control
/// characters marks an archive made to attack an unpacker, and it is refused whole.
pub fn entry_path(name: &str) -> Result<String, &'static str> {
    if name.chars().any(char::is_control) {
        return Err("rules.err_entry_name");
    }
    let name = name.replace('\\', "/");
    if name.starts_with('/') || name.as_bytes().get(1) == Some(&b':') {
        return Err("rules.err_entry_name");
    }
    let mut parts = Vec::new();
    for part in name.split('/') {
        match part {
            "" | "." => {}
            ".." => return Err("rules.err_entry_name"),
            p => parts.push(p),
        }
    }
    Ok(parts.join("/"))
}

/// Whether a file in a release is a rule file.
pub fn is_rule_file(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    (lower.ends_with(".yml") || lower.ends_with(".yaml"))
        // macOS archivers add `__MACOSX/._name` resource forks.
        && !lower.split('/').any(|p| p == "__macosx" || p.starts_with("._"))
}

/// The release's version file (`version.txt`, `VERSION`) at its top or one folder down.
pub fn is_version_file(path: &str) -> bool {
    let parts: Vec<&str> = path.split('/').collect();
    parts.len() <= 2
        && parts
            .last()
            .is_some_and(|f| f.eq_ignore_ascii_case("version.txt") || f.eq_ignore_ascii_case("version"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_names_and_paths() {
        assert_eq!(version_from_name("sigma_core_r2025-08-25.zip").as_deref(), Some("r2025-08-25"));
        assert_eq!(version_from_name("r2024-12-19.zip").as_deref(), Some("r2024-12-19"));
        assert_eq!(version_from_name("sigma_core.zip"), None);
        assert_eq!(version_from_name("Fr2024-12-19"), None);
        assert_eq!(name_from_file("C:\\tải về\\sigma_core.zip"), "sigma_core");
        assert_eq!(entry_path("rules/windows/x.yml"), Ok("rules/windows/x.yml".into()));
        assert_eq!(entry_path("./rules//x.yml"), Ok("rules/x.yml".into()));
        for bad in ["../x.yml", "rules/../../x.yml", "/etc/x.yml", "C:/x.yml", "..\\x.yml", "a\0b"] {
            assert!(entry_path(bad).is_err(), "{bad}");
        }
        assert!(is_rule_file("rules/a.YAML") && !is_rule_file("__MACOSX/rules/._a.yml"));
        assert!(is_version_file("sigma/version.txt") && !is_version_file("a/b/version.txt"));
        assert!(may_manage(Role::ProvinceAdmin) && !may_manage(Role::Inspector));
    }
}
