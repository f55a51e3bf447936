//! UI strings live in catalogues (`i18n/vi.txt`, `i18n/en.txt`: `key = value` lines),
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

pub const VI_SOURCE: &str = include_str!("../i18n/vi.txt");
pub const EN_SOURCE: &str = include_str!("../i18n/en.txt");

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
        catalogue(self.lang).get(key).map(String::as_str).unwrap_or(key)
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
