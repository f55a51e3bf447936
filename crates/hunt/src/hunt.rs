//! Hunt orchestration: walks inputs, reads each file in parallel (rayon),
//! runs Sigma and IOC matching per record and gathers detections and
//! counters. Records are never kept: only detections are.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use jiff::Timestamp;
use rayon::prelude::*;

use crate::detection::{Detection, level_rank};
use crate::error::HuntError;
use crate::ioc::IocSet;
use crate::readers::{self, Format};
use crate::record::Record;
use crate::sigma::SigmaSet;

/// What to hunt with, and the time window.
#[derive(Default)]
pub struct Hunter {
    pub sigma: Option<SigmaSet>,
    pub ioc: Option<IocSet>,
    pub from: Option<Timestamp>,
    pub to: Option<Timestamp>,
}

/// Result of hunting one file.
#[derive(Debug, Default)]
pub struct FileResult {
    pub path: PathBuf,
    pub format: Option<Format>,
    pub events: u64,
    pub skipped: u64,
    pub problems: Vec<String>,
    pub error: Option<String>,
    pub detections: Vec<Detection>,
}

/// Result of a whole hunt.
#[derive(Debug, Default)]
pub struct HuntReport {
    pub files: Vec<FileResult>,
    /// All detections, in timeline order.
    pub detections: Vec<Detection>,
    /// Files that were not logs we know (skipped, not an error).
    pub unrecognised: Vec<PathBuf>,
    /// Input paths that could not be walked.
    pub errors: Vec<String>,
}

impl HuntReport {
    pub fn events(&self) -> u64 {
        self.files.iter().map(|f| f.events).sum()
    }
    pub fn skipped_records(&self) -> u64 {
        self.files.iter().map(|f| f.skipped).sum()
    }
    /// Detections per level, most severe first.
    pub fn by_level(&self) -> Vec<(String, usize)> {
        let mut m: BTreeMap<(u8, String), usize> = BTreeMap::new();
        for d in &self.detections {
            *m.entry((level_rank(&d.level), d.level.clone()))
                .or_default() += 1;
        }
        m.into_iter().rev().map(|((_, l), n)| (l, n)).collect()
    }
    /// Detections per (rule id, title), most frequent first.
    pub fn by_rule(&self) -> Vec<(String, String, usize)> {
        let mut m: BTreeMap<(String, String), usize> = BTreeMap::new();
        for d in &self.detections {
            *m.entry((d.rule_id.clone(), d.rule_title.clone()))
                .or_default() += 1;
        }
        let mut v: Vec<_> = m.into_iter().map(|((i, t), n)| (i, t, n)).collect();
        v.sort_by(|a, b| b.2.cmp(&a.2).then_with(|| a.0.cmp(&b.0)));
        v
    }
    /// True when some input failed to read.
    pub fn had_errors(&self) -> bool {
        !self.errors.is_empty() || self.files.iter().any(|f| f.error.is_some())
    }
}

/// Files under the given paths (directories walked recursively, sorted).
pub fn collect_inputs(paths: &[PathBuf], errors: &mut Vec<String>) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for p in paths {
        walk(p, &mut out, errors, 0);
    }
    out
}

fn walk(p: &Path, out: &mut Vec<PathBuf>, errors: &mut Vec<String>, depth: usize) {
    if depth > 64 {
        return;
    }
    match std::fs::metadata(p) {
        Ok(m) if m.is_dir() => match std::fs::read_dir(p) {
            Ok(rd) => {
                let mut entries: Vec<PathBuf> =
                    rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
                entries.sort();
                for e in entries {
                    walk(&e, out, errors, depth + 1);
                }
            }
            Err(e) => errors.push(HuntError::io(p, e).to_string()),
        },
        Ok(_) => out.push(p.to_path_buf()),
        Err(e) => errors.push(HuntError::io(p, e).to_string()),
    }
}

impl Hunter {
    fn in_window(&self, rec: &Record) -> bool {
        match rec.timestamp {
            Some(t) => self.from.is_none_or(|f| t >= f) && self.to.is_none_or(|to| t <= to),
            None => true,
        }
    }

    /// Runs the rules and IOCs on one record.
    pub fn check_record(&self, rec: &Record, keys: &mut Vec<String>, out: &mut Vec<Detection>) {
        if !self.in_window(rec) {
            return;
        }
        if let Some(s) = &self.sigma {
            s.evaluate(rec, keys, out);
        }
        if let Some(i) = &self.ioc {
            i.evaluate(rec, out);
        }
    }

    /// Hunts one file on its own: detections in timeline order, with
    /// correlation rules applied within the file.
    pub fn hunt_file(&self, path: &Path) -> FileResult {
        let mut r = self.hunt_file_raw(path);
        self.finish_detections(&mut r.detections);
        r
    }

    /// Sorts, then applies correlation rules (which need time order).
    pub fn finish_detections(&self, dets: &mut Vec<Detection>) {
        sort_timeline(dets);
        if let Some(s) = self.sigma.as_ref().filter(|s| !s.correlations.is_empty()) {
            s.correlate(dets);
            sort_timeline(dets);
        }
    }

    fn hunt_file_raw(&self, path: &Path) -> FileResult {
        let mut res = FileResult {
            path: path.to_path_buf(),
            ..FileResult::default()
        };
        let format = match readers::detect(path) {
            Ok(f) => f,
            Err(e) => {
                res.error = Some(e.to_string());
                return res;
            }
        };
        res.format = Some(format);
        if format == Format::Unknown {
            return res;
        }
        let mut keys = Vec::new();
        let mut dets = Vec::new();
        let read = readers::read_file(path, format, &mut |rec| {
            self.check_record(&rec, &mut keys, &mut dets);
        });
        match read {
            Ok(stats) => {
                res.events = stats.events;
                res.skipped = stats.skipped;
                res.problems = stats.problems;
            }
            Err(e) => res.error = Some(e.to_string()),
        }
        res.detections = dets;
        res
    }

    /// Hunts all inputs in parallel; `progress` is called after each file.
    pub fn hunt(&self, paths: &[PathBuf], progress: &(dyn Fn(u64, u64) + Sync)) -> HuntReport {
        let mut report = HuntReport::default();
        let files = collect_inputs(paths, &mut report.errors);
        let total = files.len() as u64;
        let done = AtomicU64::new(0);
        let results: Vec<FileResult> = files
            .par_iter()
            .map(|f| {
                let r = self.hunt_file_raw(f);
                let n = done.fetch_add(1, Ordering::Relaxed) + 1;
                progress(n, total);
                r
            })
            .collect();
        for mut r in results {
            if r.format == Some(Format::Unknown) {
                report.unrecognised.push(r.path.clone());
                continue;
            }
            report.detections.append(&mut r.detections);
            report.files.push(r);
        }
        self.finish_detections(&mut report.detections);
        report
    }
}

/// Timeline order: time (untimed last), then source, record, rule.
pub fn sort_timeline(d: &mut [Detection]) {
    d.sort_by(|a, b| {
        let ta = a.timestamp.map(|t| (0, t));
        let tb = b.timestamp.map(|t| (0, t));
        match (ta, tb) {
            (Some(x), Some(y)) => x.cmp(&y),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => std::cmp::Ordering::Equal,
        }
        .then_with(|| a.source.cmp(&b.source))
        .then_with(|| a.record_id.cmp(&b.record_id))
        .then_with(|| a.rule_id.cmp(&b.rule_id))
    });
}
