//! Sigma rules: loading (rsigma-parser), compilation and evaluation
//! (rsigma-eval), routed by logsource (see [`logsource`]).

pub mod correlation;
pub mod logsource;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rsigma_eval::{CompiledRule, Engine, ResultBody, compile_rule};
use rsigma_parser::{CorrelationRule, SigmaRule, parse_sigma_yaml};

use correlation::Correlation;
use serde_json::Value;

use crate::detection::Detection;
use crate::error::HuntError;
use crate::record::{Record, SigmaView, value_text};

/// Rule metadata carried into detections (DRL 1.1: the author is credited).
#[derive(Debug, Clone)]
pub struct RuleMeta {
    pub id: String,
    /// Sigma `name` (what correlation rules may refer to).
    pub name: Option<String>,
    pub title: String,
    pub level: String,
    pub author: String,
    pub tags: Vec<String>,
    pub path: PathBuf,
}

/// A rule that was not loaded, and why.
#[derive(Debug, Clone)]
pub struct SkippedRule {
    pub path: PathBuf,
    pub title: String,
    pub reason: String,
}

/// A compiled, routed set of Sigma rules.
#[derive(Default)]
pub struct SigmaSet {
    pub metas: Vec<RuleMeta>,
    engines: HashMap<String, Engine>,
    pending: HashMap<String, Vec<CompiledRule>>,
    /// Rules not loaded (unsupported feature, bad detection, ...).
    pub skipped: Vec<SkippedRule>,
    /// Files that could not be read or parsed at all.
    pub errors: Vec<HuntError>,
    /// Remarks about loaded rules (e.g. unmapped logsource).
    pub notes: Vec<String>,
    /// Loaded correlation rules.
    pub correlations: Vec<Correlation>,
    pending_corr: Vec<(CorrelationRule, PathBuf)>,
    /// Base rule -> (stored name, event field) to keep for correlations.
    captures: HashMap<usize, Vec<(String, String)>>,
    /// Routing key -> the rules evaluated on events of that key (to tell,
    /// per file, which rules applied at all).
    key_rules: HashMap<String, Vec<usize>>,
}

const IDX_ATTR: &str = "khien.rule_index";

/// A parsed rule file and its compiled rules (one per `coll.rules` entry).
type Parsed = (
    rsigma_parser::SigmaCollection,
    Vec<Result<CompiledRule, String>>,
);

/// Parses a YAML file and compiles its detection rules (thread-safe part of
/// loading).
fn parse_and_compile(text: &str, path: &Path) -> Result<Parsed, HuntError> {
    let coll = parse_sigma_yaml(text).map_err(|e| HuntError::parse(path, e.to_string()))?;
    let compiled = coll
        .rules
        .iter()
        .map(|r| compile_rule(r).map_err(|e| e.to_string()))
        .collect();
    Ok((coll, compiled))
}

/// Rules written by the Khiên team and shipped in the binary (loaded with
/// `--sigma builtin`, and by `khien hunt` when no `--sigma` is given): Windows
/// Security, System, Application, Sysmon, PowerShell and Defender, Linux
/// authentication and web access logs. See docs/hunt.md.
pub const BUILTIN_RULES: &[(&str, &str)] = &[
    (
        "builtin/windows_security.yml",
        include_str!("../../rules/windows_security.yml"),
    ),
    (
        "builtin/windows_system.yml",
        include_str!("../../rules/windows_system.yml"),
    ),
    (
        "builtin/windows_sysmon.yml",
        include_str!("../../rules/windows_sysmon.yml"),
    ),
    (
        "builtin/windows_powershell.yml",
        include_str!("../../rules/windows_powershell.yml"),
    ),
    (
        "builtin/windows_defender.yml",
        include_str!("../../rules/windows_defender.yml"),
    ),
    (
        "builtin/linux_auth.yml",
        include_str!("../../rules/linux_auth.yml"),
    ),
    (
        "builtin/web_access.yml",
        include_str!("../../rules/web_access.yml"),
    ),
];

/// The path that stands for the built-in pack in rule path lists.
pub const BUILTIN: &str = "builtin";

impl SigmaSet {
    /// Loads every `.yml`/`.yaml` under the given files and directories.
    /// Files are read, parsed and compiled in parallel (rayon), then added
    /// in path order, so the result does not depend on the thread count.
    pub fn load(paths: &[PathBuf]) -> SigmaSet {
        use rayon::prelude::*;
        let mut set = SigmaSet::default();
        let mut sources: Vec<(PathBuf, Option<&'static str>)> = Vec::new();
        for p in paths {
            if p.as_os_str() == BUILTIN && !p.exists() {
                for (name, text) in BUILTIN_RULES {
                    sources.push((PathBuf::from(name), Some(text)));
                }
                continue;
            }
            let mut files = Vec::new();
            if let Err(e) = collect_rule_files(p, &mut files) {
                set.errors.push(e);
                continue;
            }
            sources.extend(files.into_iter().map(|f| (f, None)));
        }
        let parsed: Vec<(PathBuf, Result<Parsed, HuntError>)> = sources
            .into_par_iter()
            .map(|(path, builtin)| {
                let text = match builtin {
                    Some(t) => Ok(std::borrow::Cow::Borrowed(t)),
                    None => std::fs::read_to_string(&path)
                        .map(std::borrow::Cow::Owned)
                        .map_err(|e| HuntError::io(&path, e)),
                };
                let parsed = text.and_then(|t| parse_and_compile(&t, &path));
                (path, parsed)
            })
            .collect();
        for (path, p) in parsed {
            match p {
                Ok(p) => set.add_parsed(p, &path),
                Err(e) => set.errors.push(e),
            }
        }
        set.finish();
        set
    }

    /// Parses one YAML file (one or more documents) and queues its rules.
    pub fn add_yaml(&mut self, text: &str, path: &Path) {
        match parse_and_compile(text, path) {
            Ok(p) => self.add_parsed(p, path),
            Err(e) => self.errors.push(e),
        }
    }

    fn add_parsed(&mut self, parsed: Parsed, path: &Path) {
        let (coll, compiled) = parsed;
        let parsed_any =
            !coll.rules.is_empty() || !coll.correlations.is_empty() || !coll.filters.is_empty();
        for msg in &coll.errors {
            if msg.starts_with("YAML parse error") {
                self.errors.push(HuntError::parse(path, msg.clone()));
            } else if parsed_any {
                self.notes.push(format!("{}: {msg}", path.display()));
            } else {
                self.skipped.push(SkippedRule {
                    path: path.to_path_buf(),
                    title: String::new(),
                    reason: msg.clone(),
                });
            }
        }
        for c in &coll.correlations {
            self.pending_corr.push((c.clone(), path.to_path_buf()));
        }
        for f in &coll.filters {
            self.skipped.push(SkippedRule {
                path: path.to_path_buf(),
                title: f.title.clone(),
                reason: "Sigma filter documents are not supported yet".into(),
            });
        }
        for (rule, compiled) in coll.rules.iter().zip(compiled) {
            self.add_rule(rule, compiled, path);
        }
    }

    fn add_rule(&mut self, rule: &SigmaRule, compiled: Result<CompiledRule, String>, path: &Path) {
        let mut compiled = match compiled {
            Ok(c) => c,
            Err(reason) => {
                self.skipped.push(SkippedRule {
                    path: path.to_path_buf(),
                    title: rule.title.clone(),
                    reason,
                });
                return;
            }
        };
        let idx = self.metas.len();
        let mut attrs = (*compiled.custom_attributes).clone();
        attrs.insert(IDX_ATTR.into(), Value::from(idx));
        compiled.custom_attributes = Arc::new(attrs);
        self.metas.push(RuleMeta {
            id: rule.id.clone().unwrap_or_else(|| rule.title.clone()),
            name: rule.name.clone(),
            title: rule.title.clone(),
            level: rule
                .level
                .as_ref()
                .map_or("informational", |l| l.as_str())
                .to_string(),
            author: rule.author.clone().unwrap_or_default(),
            tags: rule.tags.clone(),
            path: path.to_path_buf(),
        });
        let targets = logsource::rule_keys(&rule.logsource);
        if let Some(note) = targets.note {
            self.notes
                .push(format!("{} ({}): {note}", rule.title, path.display()));
        }
        for key in targets.keys {
            self.key_rules.entry(key.clone()).or_default().push(idx);
            self.pending.entry(key).or_default().push(compiled.clone());
        }
    }

    /// Builds one engine per routing key and resolves correlation rules.
    /// Call after the last `add_yaml`.
    pub fn finish(&mut self) {
        for (c, path) in std::mem::take(&mut self.pending_corr) {
            let meta = RuleMeta {
                id: c.id.clone().unwrap_or_else(|| c.title.clone()),
                name: c.name.clone(),
                title: c.title.clone(),
                level: c
                    .level
                    .as_ref()
                    .map_or("medium", |l| l.as_str())
                    .to_string(),
                author: c.author.clone().unwrap_or_default(),
                tags: c.tags.clone(),
                path: path.clone(),
            };
            let metas = &self.metas;
            let resolve = |r: &str| -> Vec<usize> {
                metas
                    .iter()
                    .enumerate()
                    .filter(|(_, m)| m.id == r || m.name.as_deref() == Some(r))
                    .map(|(i, _)| i)
                    .collect()
            };
            match Correlation::new(&c, meta, &resolve) {
                Ok((corr, caps)) => {
                    for (idx, store, field) in caps {
                        let v = self.captures.entry(idx).or_default();
                        if !v.contains(&(store.clone(), field.clone())) {
                            v.push((store, field));
                        }
                    }
                    self.correlations.push(corr);
                }
                Err(reason) => self.skipped.push(SkippedRule {
                    path,
                    title: c.title.clone(),
                    reason,
                }),
            }
        }
        // Engines are independent: build their indexes (Aho-Corasick
        // automata over the rules' literals) in parallel.
        use rayon::prelude::*;
        let pending: Vec<(String, Vec<CompiledRule>)> = self.pending.drain().collect();
        let built: Vec<(String, Engine)> = pending
            .into_par_iter()
            .map(|(key, rules)| {
                let mut engine = Engine::new();
                engine.extend_compiled_rules(rules);
                (key, engine)
            })
            .collect();
        for (key, engine) in built {
            let old = self.engines.entry(key).or_default();
            if old.rule_count() == 0 {
                *old = engine;
            } else {
                old.extend_compiled_rules(engine.rules().iter().cloned());
            }
        }
    }

    /// Detection rules plus correlation rules loaded.
    pub fn rule_count(&self) -> usize {
        self.metas.len() + self.correlations.len()
    }

    /// Notes the routing keys of `rec` that have rules, in `hit` (a short
    /// list per file): what [`SigmaSet::rules_applied`] counts from.
    pub fn note_keys(&self, keys: &[String], hit: &mut Vec<String>) {
        for k in keys {
            if self.key_rules.contains_key(k) && !hit.contains(k) {
                hit.push(k.clone());
            }
        }
    }

    /// How many distinct detection rules were evaluated on at least one
    /// event, given the keys [`SigmaSet::note_keys`] collected, plus the
    /// correlations whose base rules were among them.
    pub fn rules_applied(&self, hit: &[String]) -> usize {
        let mut seen = vec![false; self.metas.len()];
        for k in hit {
            for &i in self.key_rules.get(k).map(Vec::as_slice).unwrap_or(&[]) {
                if let Some(s) = seen.get_mut(i) {
                    *s = true;
                }
            }
        }
        let corr = self
            .correlations
            .iter()
            .filter(|c| c.rules.iter().any(|&i| seen.get(i).copied().unwrap_or(false)))
            .count();
        seen.iter().filter(|s| **s).count() + corr
    }

    /// Adds correlation hits to time-ordered detections and drops the
    /// matches of base rules that only feed `generate: false` correlations.
    pub fn correlate(&self, dets: &mut Vec<Detection>) {
        if self.correlations.is_empty() {
            return;
        }
        let mut c = self.correlator();
        let mut out = Vec::with_capacity(dets.len());
        for d in dets.drain(..) {
            let mut hits = Vec::new();
            if c.feed(&d, &mut hits) {
                out.push(d);
            }
            out.extend(hits);
        }
        *dets = out;
    }

    /// Streaming correlation over detections in timeline order.
    pub fn correlator(&self) -> Correlator<'_> {
        let suppressed = (0..self.metas.len())
            .map(|i| {
                let mut users = self
                    .correlations
                    .iter()
                    .filter(|c| c.rules.contains(&i))
                    .peekable();
                users.peek().is_some() && users.all(|c| !c.generate)
            })
            .collect();
        Correlator {
            set: self,
            states: self
                .correlations
                .iter()
                .map(|_| correlation::CorrState::default())
                .collect(),
            suppressed,
        }
    }

    /// Evaluates the rules that apply to `rec`, pushing detections.
    /// `keys` is scratch space reused across calls.
    pub fn evaluate(&self, rec: &Record, keys: &mut Vec<String>, out: &mut Vec<Detection>) {
        logsource::event_keys(rec, keys);
        self.evaluate_keys(rec, keys, out);
    }

    /// [`SigmaSet::evaluate`] with the record's routing keys already computed.
    pub fn evaluate_keys(&self, rec: &Record, keys: &[String], out: &mut Vec<Detection>) {
        let view = SigmaView(rec);
        let mut seen: Vec<usize> = Vec::new();
        for key in keys.iter() {
            let Some(engine) = self.engines.get(key) else {
                continue;
            };
            for res in engine.evaluate(&view) {
                let Some(idx) = res
                    .header
                    .custom_attributes
                    .get(IDX_ATTR)
                    .and_then(Value::as_u64)
                    .and_then(|i| usize::try_from(i).ok())
                else {
                    continue;
                };
                if seen.contains(&idx) {
                    continue;
                }
                seen.push(idx);
                let Some(meta) = self.metas.get(idx) else {
                    continue;
                };
                let mut d = Detection::for_record(rec);
                d.rule_index = Some(idx);
                if let Some(caps) = self.captures.get(&idx) {
                    for (store, field) in caps {
                        let v = rec.get(field).map(value_text).unwrap_or_default();
                        d.context.push((store.clone(), v));
                    }
                }
                d.rule_id = meta.id.clone();
                d.rule_title = meta.title.clone();
                d.level = meta.level.clone();
                d.author = meta.author.clone();
                d.tags = meta.tags.clone();
                if let ResultBody::Detection(body) = &res.body {
                    for fm in &body.matched_fields {
                        let pair = (fm.field.clone(), value_text(&fm.value));
                        if !d.matched.contains(&pair) {
                            d.matched.push(pair);
                        }
                    }
                }
                out.push(d);
            }
        }
    }
}

/// Runs the correlation rules over a time-ordered detection stream.
pub struct Correlator<'a> {
    set: &'a SigmaSet,
    states: Vec<correlation::CorrState>,
    suppressed: Vec<bool>,
}

impl Correlator<'_> {
    /// Feeds one detection; pushes correlation hits to `hits`. Returns
    /// false when the detection itself should not be reported.
    pub fn feed(&mut self, d: &Detection, hits: &mut Vec<Detection>) -> bool {
        for (c, st) in self.set.correlations.iter().zip(self.states.iter_mut()) {
            if let Some(h) = c.feed(st, d) {
                hits.push(h);
            }
        }
        !d.rule_index
            .is_some_and(|i| self.suppressed.get(i).copied().unwrap_or(false))
    }
}

/// What one rule file holds, as the rule library records it: its rules with their
/// metadata, or why it cannot be used. Parsing and compiling only, no engine is built.
#[derive(Debug, Clone, Default)]
pub struct RuleFileCheck {
    /// Detection and correlation rules that parse and compile.
    pub rules: Vec<RuleInfo>,
    /// Why the file (or a rule in it) cannot be used; empty when every rule loads.
    pub problems: Vec<String>,
}

/// One loadable rule's metadata.
#[derive(Debug, Clone, Default)]
pub struct RuleInfo {
    pub id: String,
    pub title: String,
    pub level: String,
    pub status: String,
    pub product: String,
    pub category: String,
    pub service: String,
    pub correlation: bool,
}

impl RuleFileCheck {
    /// Usable when at least one rule in it loads (the others are skipped again,
    /// with their reasons, when a hunt loads the file).
    pub fn usable(&self) -> bool {
        !self.rules.is_empty()
    }
}

/// Parses and compiles one rule file (one or more YAML documents), the way
/// [`SigmaSet::load`] would, and says what it holds. A correlation's references
/// are not resolved here (they may name rules of other files).
pub fn check_rule_file(text: &str) -> RuleFileCheck {
    let mut out = RuleFileCheck::default();
    let coll = match parse_sigma_yaml(text) {
        Ok(c) => c,
        Err(e) => {
            out.problems.push(e.to_string());
            return out;
        }
    };
    let parsed_any =
        !coll.rules.is_empty() || !coll.correlations.is_empty() || !coll.filters.is_empty();
    for msg in &coll.errors {
        if msg.starts_with("YAML parse error") || !parsed_any {
            out.problems.push(msg.clone());
        }
    }
    for f in &coll.filters {
        out.problems.push(format!(
            "{}: Sigma filter documents are not supported yet",
            f.title
        ));
    }
    for rule in &coll.rules {
        if let Err(e) = compile_rule(rule) {
            out.problems.push(format!("{}: {e}", rule.title));
            continue;
        }
        let opt = |v: &Option<String>| v.clone().unwrap_or_default();
        out.rules.push(RuleInfo {
            id: rule.id.clone().unwrap_or_else(|| rule.title.clone()),
            title: rule.title.clone(),
            level: rule
                .level
                .as_ref()
                .map_or("informational", |l| l.as_str())
                .to_string(),
            status: rule
                .status
                .as_ref()
                .map(|s| format!("{s:?}").to_lowercase())
                .unwrap_or_default(),
            product: opt(&rule.logsource.product),
            category: opt(&rule.logsource.category),
            service: opt(&rule.logsource.service),
            correlation: false,
        });
    }
    for c in &coll.correlations {
        out.rules.push(RuleInfo {
            id: c.id.clone().unwrap_or_else(|| c.title.clone()),
            title: c.title.clone(),
            level: c.level.as_ref().map_or("medium", |l| l.as_str()).to_string(),
            status: c
                .status
                .as_ref()
                .map(|s| format!("{s:?}").to_lowercase())
                .unwrap_or_default(),
            correlation: true,
            ..RuleInfo::default()
        });
    }
    if out.rules.is_empty() && out.problems.is_empty() {
        out.problems.push("no Sigma rule in this file".into());
    }
    out
}

/// Rule files under a path, sorted.
fn collect_rule_files(p: &Path, out: &mut Vec<PathBuf>) -> Result<(), HuntError> {
    let meta = std::fs::metadata(p).map_err(|e| HuntError::io(p, e))?;
    if meta.is_file() {
        out.push(p.to_path_buf());
        return Ok(());
    }
    let mut entries: Vec<PathBuf> = std::fs::read_dir(p)
        .map_err(|e| HuntError::io(p, e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    for e in entries {
        if e.is_dir() {
            collect_rule_files(&e, out)?;
        } else if e
            .extension()
            .and_then(|x| x.to_str())
            .is_some_and(|x| x.eq_ignore_ascii_case("yml") || x.eq_ignore_ascii_case("yaml"))
        {
            out.push(e);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
