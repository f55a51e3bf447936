//! UI strings live in catalogues (`i18n/<lang>/<capability>.txt`: `key = value` lines),
//! never in code. Vietnamese is the default; English is a switch.

use std::collections::HashMap;
use std::sync::OnceLock;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Vi,
    En,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::Vi => "vi",
            Lang::En => "en",
        }
    }

    pub fn parse(s: &str) -> Option<Lang> {
        match s {
            "vi" => Some(Lang::Vi),
            "en" => Some(Lang::En),
            _ => None,
        }
    }
}

/// One catalogue per language, one file per capability (`i18n/<lang>/<capability>.txt`),
/// joined at compile time. A key may appear in one file only (the test checks).
macro_rules! catalogue_files {
    ($lang:literal) => {
        concat!(
            include_str!(concat!("../i18n/", $lang, "/core.txt")), "\n",
            include_str!(concat!("../i18n/", $lang, "/accounts.txt")), "\n",
            include_str!(concat!("../i18n/", $lang, "/advisories.txt")), "\n",
            include_str!(concat!("../i18n/", $lang, "/assessments.txt")), "\n",
            include_str!(concat!("../i18n/", $lang, "/audit.txt")), "\n",
            include_str!(concat!("../i18n/", $lang, "/backups.txt")), "\n",
            include_str!(concat!("../i18n/", $lang, "/budget.txt")), "\n",
            include_str!(concat!("../i18n/", $lang, "/dashboard.txt")), "\n",
            include_str!(concat!("../i18n/", $lang, "/dossiers.txt")), "\n",
            include_str!(concat!("../i18n/", $lang, "/drills.txt")), "\n",
            include_str!(concat!("../i18n/", $lang, "/findings.txt")), "\n",
            include_str!(concat!("../i18n/", $lang, "/hunts.txt")), "\n",
            include_str!(concat!("../i18n/", $lang, "/incidents.txt")), "\n",
            include_str!(concat!("../i18n/", $lang, "/levels.txt")), "\n",
            include_str!(concat!("../i18n/", $lang, "/notifications.txt")), "\n",
            include_str!(concat!("../i18n/", $lang, "/obligations.txt")), "\n",
            include_str!(concat!("../i18n/", $lang, "/plans.txt")), "\n",
            include_str!(concat!("../i18n/", $lang, "/protection.txt")), "\n",
            include_str!(concat!("../i18n/", $lang, "/work.txt")), "\n",
            include_str!(concat!("../i18n/", $lang, "/public.txt")), "\n",
            include_str!(concat!("../i18n/", $lang, "/ranking.txt")), "\n",
            include_str!(concat!("../i18n/", $lang, "/reports.txt")), "\n",
            include_str!(concat!("../i18n/", $lang, "/response_plans.txt")), "\n",
            include_str!(concat!("../i18n/", $lang, "/risks.txt")), "\n",
            include_str!(concat!("../i18n/", $lang, "/rules.txt")), "\n",
            include_str!(concat!("../i18n/", $lang, "/submissions.txt")), "\n",
            include_str!(concat!("../i18n/", $lang, "/systems.txt")), "\n",
            include_str!(concat!("../i18n/", $lang, "/team.txt")), "\n",
            include_str!(concat!("../i18n/", $lang, "/training.txt")), "\n",
            include_str!(concat!("../i18n/", $lang, "/units.txt")), "\n",
            include_str!(concat!("../i18n/", $lang, "/vendors.txt")), "\n",
            include_str!(concat!("../i18n/", $lang, "/weaknesses.txt")),
        )
    };
}

pub const VI_SOURCE: &str = catalogue_files!("vi");
pub const EN_SOURCE: &str = catalogue_files!("en");

pub fn parse_catalogue(src: &str) -> HashMap<String, String> {
    src.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.trim().to_string(), v.trim().replace("\\n", "\n")))
        .collect()
}

fn catalogue(lang: Lang) -> &'static HashMap<String, String> {
    static VI: OnceLock<HashMap<String, String>> = OnceLock::new();
    static EN: OnceLock<HashMap<String, String>> = OnceLock::new();
    match lang {
        Lang::Vi => VI.get_or_init(|| parse_catalogue(VI_SOURCE)),
        Lang::En => EN.get_or_init(|| parse_catalogue(EN_SOURCE)),
    }
}

/// A translator for one request.
#[derive(Debug, Clone, Copy)]
pub struct T {
    pub lang: Lang,
}

impl T {
    /// The string for `key`; a missing key shows itself, which the catalogue test forbids.
    pub fn s<'a>(&self, key: &'a str) -> &'a str
    where
        'static: 'a,
    {
        catalogue(self.lang)
            .get(key)
            .map(String::as_str)
            .unwrap_or(key)
    }

    /// `{0}`-style substitution.
    pub fn f(&self, key: &str, args: &[&str]) -> String {
        let mut s = self.s(key).to_string();
        for (i, a) in args.iter().enumerate() {
            s = s.replace(&format!("{{{i}}}"), a);
        }
        s
    }

    /// Label of an enum value: `prefix.value`.
    pub fn label(&self, prefix: &str, value: &str) -> String {
        let key = format!("{prefix}.{value}");
        match catalogue(self.lang).get(&key) {
            Some(v) => v.clone(),
            None => value.to_string(),
        }
    }

    pub fn lang(&self) -> &'static str {
        self.lang.code()
    }
}

/// Both catalogues' labels for `prefix.*`, for reading values typed in either language.
pub fn labels_for(prefix: &str) -> Vec<(String, String)> {
    let p = format!("{prefix}.");
    let mut out = Vec::new();
    for lang in [Lang::Vi, Lang::En] {
        for (k, v) in catalogue(lang) {
            if let Some(code) = k.strip_prefix(&p) {
                out.push((code.to_string(), v.clone()));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    fn keys(src: &str) -> BTreeSet<String> {
        parse_catalogue(src).into_keys().collect()
    }

    /// Every `.s("key")` literal in the templates and the Rust sources.
    fn used_keys() -> BTreeSet<String> {
        let root = concat!(env!("CARGO_MANIFEST_DIR"));
        let mut out = BTreeSet::new();
        let mut stack = vec![
            std::path::PathBuf::from(format!("{root}/templates")),
            std::path::PathBuf::from(format!("{root}/src")),
        ];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    stack.push(path);
                    continue;
                }
                let text = std::fs::read_to_string(&path).unwrap();
                for part in text.split(".s(\"").skip(1) {
                    if let Some(key) = part.split('"').next()
                        && key.contains('.')
                        && !key.contains('{')
                    {
                        out.insert(key.to_string());
                    }
                }
            }
        }
        out
    }

    /// Every field a form error can name has a label (the list on top of a refused
    /// form shows it): field names written in the domain, store and web sources as
    /// `push("field", …`, `(&mut e, "field", …` or `field: "field"`.
    #[test]
    fn every_field_an_error_names_has_a_label() {
        let root = concat!(env!("CARGO_MANIFEST_DIR"));
        let mut fields = BTreeSet::new();
        let mut stack: Vec<std::path::PathBuf> = ["src", "../domain/src", "../store/src"]
            .iter()
            .map(|d| std::path::PathBuf::from(format!("{root}/{d}")))
            .collect();
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    stack.push(path);
                    continue;
                }
                if path.extension().is_none_or(|e| e != "rs") {
                    continue;
                }
                let text = std::fs::read_to_string(&path).unwrap();
                let text = text.split("#[cfg(test)]").next().unwrap_or("");
                for marker in [".push(\"", "(&mut e, \"", "(&mut errs, \"", "field: \""] {
                    for part in text.split(marker).skip(1) {
                        if let Some(name) = part.split('"').next()
                            && !name.is_empty()
                            && name.chars().all(|c| c.is_ascii_lowercase() || c == '_')
                        {
                            fields.insert(name.to_string());
                        }
                    }
                }
            }
        }
        assert!(fields.contains("decision_date") && fields.contains("code"), "{fields:?}");
        for src in [VI_SOURCE, EN_SOURCE] {
            let keys = keys(src);
            let missing: Vec<_> = fields
                .iter()
                .filter(|f| !keys.contains(&format!("field.{f}")))
                .collect();
            assert!(missing.is_empty(), "fields without a label: {missing:?}");
        }
    }

    #[test]
    fn a_key_is_defined_once() {
        for src in [VI_SOURCE, EN_SOURCE] {
            let mut seen = BTreeSet::new();
            for line in src.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')) {
                if let Some((k, _)) = line.split_once('=') {
                    assert!(seen.insert(k.trim().to_string()), "{} is defined twice", k.trim());
                }
            }
        }
    }

    #[test]
    fn catalogues_have_the_same_keys_and_cover_every_use() {
        let vi = keys(VI_SOURCE);
        let en = keys(EN_SOURCE);
        assert_eq!(
            vi.difference(&en).collect::<Vec<_>>(),
            Vec::<&String>::new(),
            "keys only in vi"
        );
        assert_eq!(
            en.difference(&vi).collect::<Vec<_>>(),
            Vec::<&String>::new(),
            "keys only in en"
        );
        let used = used_keys();
        assert!(used.len() > 100, "found {} keys in use", used.len());
        let missing: Vec<_> = used.difference(&vi).collect();
        assert!(
            missing.is_empty(),
            "keys used but not in the catalogues: {missing:?}"
        );
        // Enumerations shown through `label(prefix, value)` are complete too.
        for (prefix, values) in [
            (
                "role",
                khien_domain::Role::ALL
                    .iter()
                    .map(|r| r.as_str())
                    .collect::<Vec<_>>(),
            ),
            (
                "unit_kind",
                khien_domain::units::UnitKind::ALL
                    .iter()
                    .map(|k| k.as_str())
                    .collect(),
            ),
            (
                "system_type",
                khien_domain::systems::SystemType::ALL
                    .iter()
                    .map(|k| k.as_str())
                    .collect(),
            ),
            (
                "status",
                khien_domain::systems::SystemStatus::ALL
                    .iter()
                    .map(|k| k.as_str())
                    .collect(),
            ),
            (
                "info",
                khien_domain::systems::InfoType::ALL
                    .iter()
                    .map(|k| k.as_str())
                    .collect(),
            ),
        ] {
            for v in values {
                assert!(
                    vi.contains(&format!("{prefix}.{v}")),
                    "{prefix}.{v} missing"
                );
            }
        }
        // Every obligation the shipped rules can produce has a name, every status a label.
        let rules = khien_duties::Rules::embedded().unwrap();
        for province in rules.province_ids() {
            for r in rules.effective(province).unwrap() {
                assert!(vi.contains(&format!("obligation.{}", r.id)), "obligation.{} missing", r.id);
            }
        }
        for status in ["ok", "due_soon", "overdue", "done", "never", "no_data"] {
            assert!(vi.contains(&format!("obligation_status.{status}")), "obligation_status.{status} missing");
        }
        let t = T { lang: Lang::Vi };
        assert_eq!(t.f("systems.count", &["3"]), "3 hệ thống");
    }
}
